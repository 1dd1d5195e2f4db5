#!/usr/bin/env bash
# Compile-time benchmark (not a test): generates a Dockerfile of N lines
# (default 10000) and reports, for build.mk, --plan and --graph, over RUNS
# runs (default 21) of df2make: its wall time and its CPU time (user+sys,
# from bash's `times`), each as the fastest, the median and the 90th
# percentile, in milliseconds; and the peak RSS (one more run, under
# /usr/bin/time). Goal: < 50 ms and < 20 MB for 10,000 lines.
#
# The median is the figure to read: this kind of machine (a small VM)
# swings by 30 % and more from one minute to the next, so compare binaries
# within one run of this script (OTHER=path/to/df2make runs a second
# binary, its runs interleaved with the first's), and see
# docs/benchmarks-compile.md for the instruction counts (callgrind), which
# do not swing.
# Usage: [OTHER=df2make2] bench/compile.sh [path/to/df2make] [lines] [runs]
set -e
here=$(cd "$(dirname "$0")" && pwd)
df2make=${1:-$here/../compiler/df2make}
lines=${2:-10000}
runs=${3:-21}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/ctx/src/b"
echo a >"$tmp/ctx/src/a.txt"
echo c >"$tmp/ctx/src/b/c.txt"
sh "$here/gen-dockerfile.sh" "$lines" >"$tmp/ctx/Dockerfile"
echo "Dockerfile: $(wc -l <"$tmp/ctx/Dockerfile") lines, $runs runs each"

# min, median and 90th percentile of the numbers on stdin, one a line
stats() {
	sort -n | awk '{ v[NR] = $1 } END {
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		p = v[int(NR * 0.9 + 0.999)]
		printf "min %.1f med %.1f p90 %.1f", v[1], m, p }'
}

# CPU seconds (user+sys) of this shell's children in `times` output $1;
# `times` must run in this shell, not a subshell, which counts its own
# children only
children_cpu() {
	awk 'NR == 2 { split($1, u, "m"); split($2, s, "m"); printf "%.6f\n", u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$1"
}

# one run of binary $1 in mode $2 (may be empty), appended to $3:
# "wall_ms cpu_ms"
one() {
	local t0 t1
	times >"$tmp/times0"
	t0=$(date +%s%N)
	"$1" $2 --store "$tmp/store" "$tmp/ctx" >"$tmp/out" 2>"$tmp/err" || { cat "$tmp/err"; exit 1; }
	t1=$(date +%s%N)
	times >"$tmp/times1"
	echo "$(((t1 - t0) / 1000)) $(children_cpu "$tmp/times0") $(children_cpu "$tmp/times1")" |
		awk '{ printf "%.3f %.3f\n", $1 / 1000, ($3 - $2) * 1000 }' >>"$3"
}

report() { # label file binary mode
	local wall cpu rss
	wall=$(awk '{ print $1 }' "$2" | stats)
	cpu=$(awk '{ print $2 }' "$2" | stats)
	/usr/bin/time -f '%M' -o "$tmp/rss" "$3" $4 --store "$tmp/store" "$tmp/ctx" >"$tmp/out" 2>"$tmp/err"
	rss=$(cat "$tmp/rss")
	printf '%-8s wall ms %s  cpu ms %s  peak RSS %s kB  output %s bytes\n' "$1" "$wall" "$cpu" \
		"$rss" "$(wc -c <"$tmp/out")"
}

for mode in "" --plan --graph; do
	: >"$tmp/a"
	: >"$tmp/b"
	i=0
	while [ "$i" -lt "$runs" ]; do
		one "$df2make" "$mode" "$tmp/a"
		[ -z "${OTHER:-}" ] || one "$OTHER" "$mode" "$tmp/b"
		i=$((i + 1))
	done
	report "${mode:-make}" "$tmp/a" "$df2make" "$mode"
	[ -z "${OTHER:-}" ] || report "  other" "$tmp/b" "$OTHER" "$mode"
done

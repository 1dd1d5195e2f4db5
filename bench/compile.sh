#!/bin/sh
# Compile-time benchmark (not a test): generates a Dockerfile of N lines
# (default 10000) and reports df2make's CPU time (user+sys, median of RUNS
# runs, default 5), wall time (median) and peak RSS (max) for build.mk,
# --plan and --graph. Goal: < 50 ms and < 20 MB for 10,000 lines.
# CPU time is reported because wall time swings on a loaded machine; for
# a stable number use callgrind (docs/benchmarks-compile.md).
# Usage: bench/compile.sh [path/to/df2make] [lines] [runs]
set -e
here=$(cd "$(dirname "$0")" && pwd)
df2make=${1:-$here/../compiler/df2make}
lines=${2:-10000}
runs=${3:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/ctx/src/b"
echo a >"$tmp/ctx/src/a.txt"
echo c >"$tmp/ctx/src/b/c.txt"
sh "$here/gen-dockerfile.sh" "$lines" >"$tmp/ctx/Dockerfile"
echo "Dockerfile: $(wc -l <"$tmp/ctx/Dockerfile") lines, $runs runs each"

# The median of the numbers on stdin, one a line.
median() {
	sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

for mode in "" --plan --graph; do
	: >"$tmp/runs"
	i=0
	while [ "$i" -lt "$runs" ]; do
		/usr/bin/time -f '%U %S %e %M' -o "$tmp/time" \
			"$df2make" $mode --store "$tmp/store" "$tmp/ctx" >"$tmp/out" 2>"$tmp/err" ||
			{ cat "$tmp/err" "$tmp/time"; exit 1; }
		cat "$tmp/time" >>"$tmp/runs"
		i=$((i + 1))
	done
	cpu=$(awk '{ printf "%.3f\n", $1 + $2 }' "$tmp/runs" | median)
	wall=$(awk '{ print $3 }' "$tmp/runs" | median)
	rss=$(awk '$4 > m { m = $4 } END { print m }' "$tmp/runs")
	printf '%-8s cpu %ss  wall %ss  peak RSS %s kB  output %s bytes\n' "${mode:-make}" \
		"$cpu" "$wall" "$rss" "$(wc -c <"$tmp/out")"
done

#!/usr/bin/env bash
# Compile time and memory against the size of the Dockerfile (not a test):
# for 1k, 2k, 5k, 10k, 20k, 50k and 100k lines, a mixed Dockerfile
# (bench/gen-dockerfile.sh N) and one of ENV lines (gen-dockerfile.sh N
# env), the median of RUNS compiles (default 5) of build.mk: wall and CPU
# time (user+sys, from bash's `times`) in ms, CPU per 1,000 lines, and the
# median peak RSS of RUNS more runs (/usr/bin/time: read in 128 KB steps,
# and the binary's pages that happen to be mapped swing by 128 KB) with
# its ratio to the file's size, and that ratio for the RSS above the
# start-up's (the median peak RSS of a 2-line Dockerfile: the binary's
# pages and libc's, which no file of 1,000 lines could stay 20x under). Prints a Markdown table and an
# ASCII plot of CPU time and RSS against size (docs/benchmarks-compile.md).
# Goals (issue 17): 10,000 lines < 50 ms, 50,000 ENV lines < 250 ms, peak
# RSS < 20x the file.
# When the binary has DF2MAKE_RSS_PROBE (session 9), a last table gives
# the exact peak: the largest VmRSS (anonymous + file pages, counted page
# by page) of its phases, and its anonymous pages alone, above the 2-line
# file's: ru_maxrss reads a small process's peak low (the kernel's per-CPU
# counters: 1,076 KB for the 2-line file's 1,256), which swells the small
# rows' ratios.
# OTHER=path/to/df2make2 interleaves a second binary's runs with the
# first's (run for run) and prints its table too, then the ratios
# (CPU and peak RSS, new over other) from the same minutes.
# Usage: [OTHER=df2make2] bench/compile-scale.sh [path/to/df2make] [runs] [sizes...]
set -e
here=$(cd "$(dirname "$0")" && pwd)
df2make=${1:-$here/../compiler/df2make}
runs=${2:-5}
shift 2 2>/dev/null || shift $#
sizes=${*:-1000 2000 5000 10000 20000 50000 100000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/ctx/src/b"
echo a >"$tmp/ctx/src/a.txt"
echo c >"$tmp/ctx/src/b/c.txt"

# CPU seconds (user+sys) of this shell's children in `times` output $1
children_cpu() {
	awk 'NR == 2 { split($1, u, "m"); split($2, s, "m"); printf "%.6f\n", u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$1"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# one compile by binary $2, appended to $1 as "wall_ms cpu_ms"; `times`
# must run in this shell, which counts its children only
one() {
	local t0 t1
	times >"$tmp/times0"
	t0=$(date +%s%N)
	"$2" --store "$tmp/store" "$tmp/ctx" >"$tmp/out" 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
	t1=$(date +%s%N)
	times >"$tmp/times1"
	echo "$(((t1 - t0) / 1000)) $(children_cpu "$tmp/times0") $(children_cpu "$tmp/times1")" |
		awk '{ printf "%.3f %.3f\n", $1 / 1000, ($3 - $2) * 1000 }' >>"$1"
}

# the median peak RSS (KB) of $runs compiles of the Dockerfile in ctx by binary $1
rss() {
	for _ in $(seq "$runs"); do
		/usr/bin/time -f '%M' -o "$tmp/rss" "$1" --store "$tmp/store" "$tmp/ctx" >"$tmp/out" 2>/dev/null
		cat "$tmp/rss"
	done | median | awk '{ printf "%d\n", $1 }'
}
# "VmRSS anon" KB: the largest of the phases DF2MAKE_RSS_PROBE prints for
# the Dockerfile in ctx by binary $1 ("0 0" without the probe)
probe() {
	DF2MAKE_RSS_PROBE=1 "$1" --store "$tmp/store" "$tmp/ctx" 2>&1 >/dev/null |
		awk '/^df2make: rss after/ { if ($6 + $9 > v) v = $6 + $9; if ($6 > a) a = $6 }
		END { print v + 0, a + 0 }'
}
# the start-up's peak RSS of binary $1: a 2-line Dockerfile
startup() {
	printf 'FROM scratch\nENV A=b\n' >"$tmp/ctx/Dockerfile"
	rss "$1"
}
# the row of binary $1 (samples in $2) for the Dockerfile in ctx, to $3
row() {
	local kb
	kb=$(rss "$1")
	wall=$(awk '{ print $1 }' "$2" | median)
	cpu=$(awk '{ print $2 }' "$2" | median)
	echo "$kind $(wc -l <"$tmp/ctx/Dockerfile") $(wc -c <"$tmp/ctx/Dockerfile") $wall $cpu $kb $(wc -c <"$tmp/out")" >>"$3"
}
base=$(startup "$df2make")
pbase=$(probe "$df2make")
[ -z "${OTHER:-}" ] || obase=$(startup "$OTHER")
: >"$tmp/probes"
: >"$tmp/rows"
: >"$tmp/orows"
for kind in mixed env; do
	for n in $sizes; do
		sh "$here/gen-dockerfile.sh" "$n" "$([ "$kind" = env ] && echo env)" >"$tmp/ctx/Dockerfile"
		: >"$tmp/samples"
		: >"$tmp/osamples"
		for _ in $(seq "$runs"); do
			one "$tmp/samples" "$df2make"
			[ -z "${OTHER:-}" ] || one "$tmp/osamples" "$OTHER"
		done
		row "$df2make" "$tmp/samples" "$tmp/rows"
		[ -z "${OTHER:-}" ] || row "$OTHER" "$tmp/osamples" "$tmp/orows"
		echo "$kind $(wc -l <"$tmp/ctx/Dockerfile") $(wc -c <"$tmp/ctx/Dockerfile") $(probe "$df2make")" >>"$tmp/probes"
	done
done

echo "df2make: $("$df2make" --version 2>/dev/null | head -1); $runs runs per row (medians); $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg); start-up peak RSS $((base / 1024)).$((base % 1024 * 10 / 1024)) MB"
echo
table() { # rows start-up
	echo "| Dockerfile | lines | file KB | wall ms | CPU ms | CPU ms / 1k lines | peak RSS MB | RSS / file | (RSS - start-up) / file | build.mk MB |"
	echo "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
	awk -v b="$2" '{ printf "| %s | %d | %.0f | %.1f | %.1f | %.2f | %.1f | %.0fx | %.1fx | %.1f |\n", $1, $2, $3 / 1024, $4, $5,
		$5 * 1000 / $2, $6 / 1024, $6 * 1024 / $3, ($6 - b) * 1024 / $3, $7 / 1048576 }' "$1"
	echo
}
table "$tmp/rows" "$base"
if [ -n "${OTHER:-}" ]; then
	echo "OTHER ($OTHER), the same minutes, start-up peak RSS $((obase / 1024)).$((obase % 1024 * 10 / 1024)) MB:"
	echo
	table "$tmp/orows" "$obase"
	echo "| Dockerfile | lines | CPU ms other | CPU ms | CPU ratio | peak RSS MB other | peak RSS MB | (RSS - start-up) / file other | (RSS - start-up) / file |"
	echo "|---|--:|--:|--:|--:|--:|--:|--:|--:|"
	paste -d' ' "$tmp/orows" "$tmp/rows" | awk -v b="$base" -v ob="$obase" '{ printf "| %s | %d | %.1f | %.1f | %.2f | %.1f | %.1f | %.1fx | %.1fx |\n",
		$1, $2, $5, $12, $5 ? $12 / $5 : 0, $6 / 1024, $13 / 1024, ($6 - ob) * 1024 / $3, ($13 - b) * 1024 / $10 }'
	echo
fi
if [ "${pbase% *}" != 0 ]; then
	echo "The exact peak (DF2MAKE_RSS_PROBE, one run; the 2-line file: VmRSS ${pbase% *} KB, anonymous ${pbase#* } KB):"
	echo
	echo "| Dockerfile | lines | VmRSS MB | (VmRSS - start-up) / file | (anon - start-up's) / file |"
	echo "|---|--:|--:|--:|--:|"
	awk -v v0="${pbase% *}" -v a0="${pbase#* }" '{ printf "| %s | %d | %.1f | %.1fx | %.1fx |\n", $1, $2,
		$4 / 1024, ($4 - v0) * 1024 / $3, ($5 - a0) * 1024 / $3 }' "$tmp/probes"
	echo
fi
# bars scaled to the largest value of each plot, 50 columns
plot() { # title column unit
	echo "$1"
	awk -v c="$2" -v u="$3" '{ v[NR] = $c; k[NR] = $1; n[NR] = $2; if ($c > m) m = $c }
	END { for (i = 1; i <= NR; i++) { w = m ? int(v[i] * 50 / m + 0.5) : 0; bar = ""
		for (j = 0; j < w; j++) bar = bar "#"
		printf "%-5s %7d | %-50s %.1f %s\n", k[i], n[i], bar, u == "MB" ? v[i] / 1024 : v[i], u } }' "$tmp/rows"
	echo
}
echo '```'
plot "CPU time against lines (linear in the lines when the bars grow as the lines do)" 5 ms
plot "peak RSS against lines" 6 MB
echo '```'

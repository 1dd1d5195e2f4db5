#!/bin/sh
# Compile-time benchmark (not a test): generates a Dockerfile of N lines
# (default 10000) and reports df2make's wall time and peak RSS for build.mk,
# --plan and --graph. Goal: < 50 ms and < 20 MB for 10,000 lines.
# Usage: bench/compile.sh [path/to/df2make] [lines]
set -e
here=$(cd "$(dirname "$0")" && pwd)
df2make=${1:-$here/../compiler/df2make}
lines=${2:-10000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/ctx/src/b"
echo a >"$tmp/ctx/src/a.txt"
echo c >"$tmp/ctx/src/b/c.txt"
sh "$here/gen-dockerfile.sh" "$lines" >"$tmp/ctx/Dockerfile"
echo "Dockerfile: $(wc -l <"$tmp/ctx/Dockerfile") lines"
for mode in "" --plan --graph; do
	/usr/bin/time -v "$df2make" $mode --store "$tmp/store" "$tmp/ctx" >"$tmp/out" 2>"$tmp/time" ||
		{ cat "$tmp/time"; exit 1; }
	wall=$(sed -n 's/.*Elapsed (wall clock) time.*: //p' "$tmp/time")
	rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/time")
	printf '%-8s wall %s  peak RSS %s kB  output %s bytes\n' "${mode:-make}" "$wall" "$rss" \
		"$(wc -c <"$tmp/out")"
done

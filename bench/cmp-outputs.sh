#!/usr/bin/env bash
# Two df2make binaries, the same outputs (not a test: it needs a second
# binary): for every Dockerfile of tests/diff/cases and examples/ and the
# generated files of bench/gen-dockerfile.sh, build.mk, --plan, --graph
# and --check are compared byte for byte, with stderr and the exit status.
# The golden cases (tests/cases) compare against their files already.
# Copy both binaries out of the build tree first: run from it, df2make
# writes its sibling df2make-runtime's path into build.mk.
# Usage: bench/cmp-outputs.sh OLD NEW [sizes...]
set -e
here=$(cd "$(dirname "$0")" && pwd)
old=$1 new=$2
shift 2
sizes=${*:-1000 10000 50000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bad=0 n=0

# one Dockerfile $2 with context $1, every mode, both binaries
cmp_one() {
	local ctx=$1 df=$2 mode
	for mode in "" --plan --graph --check; do
		for b in old new; do
			rc=0
			(cd "$tmp" && "${!b}" $mode --store "$tmp/store" --platform linux/amd64 -f "$df" \
				"$ctx" >"$tmp/$b.out" 2>"$tmp/$b.err") || rc=$?
			echo "$rc" >"$tmp/$b.rc"
			sed -i "s|${!b}|DF2MAKE|g" "$tmp/$b.out" "$tmp/$b.err"
		done
		n=$((n + 1))
		if ! cmp -s "$tmp/old.out" "$tmp/new.out" || ! cmp -s "$tmp/old.err" "$tmp/new.err" ||
			! cmp -s "$tmp/old.rc" "$tmp/new.rc"; then
			echo "DIFFERS: $df ${mode:-make}"
			bad=$((bad + 1))
		fi
	done
}

for d in "$here"/../tests/diff/cases/*/; do
	cmp_one "$d" "$d/Dockerfile"
done
for f in "$here"/../examples/*/Dockerfile*; do
	cmp_one "$(dirname "$f")" "$f"
done
mkdir -p "$tmp/ctx/src/b"
echo a >"$tmp/ctx/src/a.txt"
echo c >"$tmp/ctx/src/b/c.txt"
for s in $sizes; do
	sh "$here/gen-dockerfile.sh" "$s" >"$tmp/ctx/mixed-$s"
	sh "$here/gen-dockerfile.sh" "$s" env >"$tmp/ctx/env-$s"
	cmp_one "$tmp/ctx" "$tmp/ctx/mixed-$s"
	cmp_one "$tmp/ctx" "$tmp/ctx/env-$s"
done
echo "$n comparisons, $bad differ"
[ "$bad" = 0 ]

#!/usr/bin/env bash
# The fuzz replay driver (tests/fuzz/fuzz.h): one TAP line per input,
# a failure for an unreadable input or corpus, and every target's corpus
# replayed by name. The corpora themselves run as unit tests.
. "$SRCDIR/tests/lib.sh"
bin=$BUILDDIR/tests/fuzz
[ -x "$bin/fuzz_expand" ] || skip_all "fuzz replay binaries not built"

printf '\0$PWD' >"$T/a"
printf '\1${x:-`}y}' >"$T/b"
out=$("$bin/fuzz_expand" "$T/a" "$T/b"); rc=$?
is "$rc" 0 "replay of two good inputs succeeds"
is "$out" "ok 1 - $T/a
ok 2 - $T/b
1..2" "one TAP line per input, then the plan"

out=$("$bin/fuzz_ignore" "$T/missing" "$T/a"); rc=$?
is "$rc" 1 "an unreadable input fails the run"
is "$out" "not ok 1 - cannot read $T/missing
ok 2 - $T/a
1..2" "unreadable input reported, later inputs still run"

out=$(SRCDIR=$T "$bin/fuzz_expand"); rc=$?
is "$rc" 1 "a missing corpus fails"
is "$out" "not ok 1 - cannot open corpus $T/tests/fuzz/corpus/expand
1..1" "missing corpus reported with its path"

mkdir -p "$T/tests/fuzz/corpus/ignore"
printf 'b\0a/b' >"$T/tests/fuzz/corpus/ignore/2"
printf '*\n!k\0k/x' >"$T/tests/fuzz/corpus/ignore/1"
touch "$T/tests/fuzz/corpus/ignore/.hidden"
out=$(SRCDIR=$T "$bin/fuzz_ignore"); rc=$?
is "$out" "ok 1 - $T/tests/fuzz/corpus/ignore/1
ok 2 - $T/tests/fuzz/corpus/ignore/2
1..2" "corpus replayed in name order, dot files skipped"

for t in expand ignore reader; do
	n=$(find "$SRCDIR/tests/fuzz/corpus/$t" -type f | wc -l)
	check "corpus $t has seeds ($n)" [ "$n" -gt 10 ]
done
done_testing

#!/usr/bin/env bash
# Where build.mk goes: a regular file gets it as it is made (outfile.h), a
# pipe after the compile. Either way a compile that fails, or is killed,
# leaves stdout as it was: what it held before stays, nothing is added.
. "$SRCDIR/tests/lib.sh"
mkdir -p "$T/ctx/src/b"
echo a >"$T/ctx/src/a.txt"
echo c >"$T/ctx/src/b/c.txt"
# big enough that build.mk is written out in pieces (over 64 KB) long
# before the compile ends
sh "$SRCDIR/bench/gen-dockerfile.sh" 2000 >"$T/ctx/Dockerfile"
cp "$T/ctx/Dockerfile" "$T/ctx/Dockerfile.bad"
echo 'COPY no-such-file /x' >>"$T/ctx/Dockerfile.bad"
cd "$T" || exit 1
run() { "$DF2MAKE" --store "$T/s" "$@"; }

run ctx >file.mk 2>err
is "$?" 0 "build.mk into a regular file"
run ctx 2>err | cat >pipe.mk
check "... is byte for byte what a pipe gets" cmp -s file.mk pipe.mk
check "... and over 64 KB" test "$(wc -c <file.mk)" -gt 65536

{ echo 'kept line'; run -f ctx/Dockerfile.bad ctx; } >late.mk 2>err
is "$?" 1 "an error after the first 64 KB were written exits 1"
like "$(cat err)" 'Dockerfile.bad:[0-9]+:1: error: source "no-such-file"' "... with the located error"
is "$(cat late.mk)" "kept line" "... and the file holds only what it held before"
run -f ctx/Dockerfile.bad ctx >both.log 2>&1
like "$(cat both.log)" 'error: source "no-such-file"' "> f 2>&1: the error stays in the file"
check "... and no part of build.mk" bash -c "! grep -q '^\\\$(STATE)' both.log"
echo 'old content' >append.mk
run -f ctx/Dockerfile.bad ctx >>append.mk 2>err
is "$(cat append.mk)" "old content" "appending (>>): the file is unchanged"
run -f ctx/Dockerfile.bad ctx 2>err | cat >pipe-bad.mk
is "$(wc -c <pipe-bad.mk)" 0 "a pipe gets nothing on error"

# Killed while writing: SIGTERM once the file has grown, then the file
# must be empty again and the exit status say "terminated".
sh "$SRCDIR/bench/gen-dockerfile.sh" 60000 >"$T/ctx/Dockerfile.big"
"$DF2MAKE" --store "$T/s" -f ctx/Dockerfile.big ctx >killed.mk 2>err &
pid=$!
while [ ! -s killed.mk ] && kill -0 "$pid" 2>/dev/null; do :; done
kill -TERM "$pid" 2>/dev/null
wait "$pid"
rc=$?
if [ "$rc" -eq 0 ]; then
	skip "a compile killed while writing leaves the file empty" "it finished first"
else
	is "$rc" 143 "a compile killed while writing exits by SIGTERM"
	is "$(wc -c <killed.mk)" 0 "... and the file is empty again"
fi
done_testing

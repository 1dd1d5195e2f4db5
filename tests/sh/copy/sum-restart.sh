#!/usr/bin/env bash
# make reads build.mk once per build: the context sum rewrites its
# dependency file STATE/KEY.d (which build.mk includes, so a change of its
# time would make GNU make read everything again) only when the list of
# files read changes, and touches STATE/KEY.seen, the recipe's target,
# every time. An edit, a touch, a new file and nothing at all must each
# still do what they did: the COPY runs when the content changed, not after
# a touch, a new file is tracked from then on, and `make -q` agrees.
. "$SRCDIR/tests/sh/security/common.bash"
base_image || { not_ok "base image import"; done_testing; exit 1; }

D=$T/b
dockerfile "$D" 'FROM busybox
COPY a.txt dir/ /app/'
mkdir -p "$D/ctx/dir"
echo one >"$D/ctx/a.txt"
echo x >"$D/ctx/dir/x"
compile "$D"
is "$rc" 0 "compile"
key=$(grep -o 'sum [0-9a-f]\{32\}' "$D/build.mk" | head -1 | cut -d' ' -f2)
dfile=$D/state/$key.d seen=$D/state/$key.seen
# --debug=b prints "Re-executing[N]" when make reads its makefiles again
mk() { make -f "$D/build.mk" --debug=b PROGRESS=plain "$@" >"$D/log" 2>&1; }
restarts() { grep -c 'Re-executing' "$D/log"; }
copied() { tar -xOf "$D/image.tar" "$(tar -xOf "$D/image.tar" manifest.json | jq -r '.[0].Layers[1]')" | tar -xO "$1"; }
stamp() { stat -c '%i %y' "$1"; }

mk
is "$?" 0 "first build"
is "$(restarts)" 0 "first build: make read build.mk once"
like "$(cat "$dfile")" "$D/ctx/dir/x" "KEY.d lists the files read"
check "KEY.seen is there" test -f "$seen"

sleep 1.1 # past the racy second of the files above
d0=$(stamp "$dfile")
echo two >"$D/ctx/a.txt"
mk
is "$?" 0 "edit: build"
is "$(restarts)" 0 "edit: make read build.mk once"
like "$(cat "$D/log")" "COPY a.txt dir/ /app/" "edit: the COPY ran"
is "$(copied app/a.txt)" two "edit: the image has the new content"
is "$(stamp "$dfile")" "$d0" "edit: KEY.d kept (same file list)"
check "edit: KEY.seen is newer than the edited file" test "$seen" -nt "$D/ctx/a.txt"

sleep 1.1
touch "$D/ctx/dir/x"
mk
is "$(restarts)" 0 "touch: make read build.mk once"
check "touch: the sum ran (KEY.seen newer than the file)" test "$seen" -nt "$D/ctx/dir/x"
is "$(grep -c 'COPY' "$D/log")" 0 "touch: the COPY did not run"
make -q -f "$D/build.mk" >/dev/null 2>&1
is "$?" 0 "touch: make -q says up to date afterwards"

sleep 1.1
echo new >"$D/ctx/dir/new"
mk
is "$(restarts)" 0 "new file: make read build.mk once"
is "$(copied app/new)" new "new file: in the image"
like "$(cat "$dfile")" "$D/ctx/dir/new" "new file: KEY.d lists it now"
sleep 1.1
echo newer >"$D/ctx/dir/new"
mk
like "$(cat "$D/log")" "COPY a.txt dir/ /app/" "an edit of the new file runs the COPY (tracked)"
is "$(copied app/new)" newer "... and the image has it"

mk
is "$(grep -c "Must remake target '/" "$D/log")" 0 "nothing changed: make remakes no file"
make -q -f "$D/build.mk" >/dev/null 2>&1
is "$?" 0 "nothing changed: make -q says up to date"

rm "$dfile"
mk
is "$?" 0 "a lost KEY.d: the build still succeeds"
done_testing

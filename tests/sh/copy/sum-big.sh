#!/usr/bin/env bash
# A COPY of a large context (more than 4096 files and directories): build.mk
# and KEY.d do not list every file (make would read and stat 100,000 names
# at every run); the sum runs at every make and compares the context's stat
# data with its last run's (STATE/KEY.scan). Nothing changed: no file is
# written and the COPY does not run; an edit, a touch, an added and a
# removed file are each seen, and so are an edit that keeps the size and
# the mtime (to the nanosecond: only the ctime moves), a rename and a
# chmod. A scan file of another format is no record: summed again.
. "$SRCDIR/tests/sh/security/common.bash"
base_image || { not_ok "base image import"; done_testing; exit 1; }

D=$T/b
dockerfile "$D" 'FROM busybox
COPY src/ /app/
RUN find /app -type f | wc -l >/count'
mkdir -p "$D/ctx/src"
(cd "$D/ctx/src" && mkdir d0 d1 d2 d3 d4 && for i in $(seq 1 5000); do echo "f $i" >"d$((i % 5))/f$i"; done)
# files changed within a second before a sum began are hashed again next
# time (their ctime may not have ticked since): let a second pass
sleep 1.2
compile "$D"
is "$rc" 0 "compile"
key=$(grep -o 'sum [0-9a-f]\{32\}' "$D/build.mk" | head -1 | cut -d' ' -f2)
check "build.mk does not list the 5000 files" [ "$(grep -c 'src/d' "$D/build.mk")" -lt 5 ]
like "$(grep "^\$(STATE)/$key.seen:" "$D/build.mk")" "^\\\$\\(STATE\\)/$key\\.seen: \\\$\\(STATE\\)/$key\\.rescan\$" \
	"the sum's target KEY.seen depends on a phony KEY.rescan"
make -f "$D/build.mk" >"$D/log" 2>&1
is "$?" 0 "first build"
count() { tar -xOf "$D/image.tar" "$(tar -xOf "$D/image.tar" manifest.json | jq -r '.[0].Layers[2]')" | tar -xO count; }
is "$(count)" 5000 "the image has the 5000 files"
check "the sum keeps the stat data of its last run" [ -s "$D/state/$key.scan" ]
check "KEY.d does not list the files either" [ "$(wc -l <"$D/state/$key.d")" -lt 5 ]

stamps() { stat -c '%n %Y.%y' "$D/state/$key.sum" "$D/state/$key.d" "$D/state/$key.done" "$D/state/$key.scan"; }
before=$(stamps)
make -f "$D/build.mk" >"$D/log" 2>&1
is "$?" 0 "no change: make succeeds"
is "$(stamps)" "$before" "no change: sum, dependency file, scan and COPY stamp untouched"
is "$(grep -c 'COPY' "$D/log")" 0 "no change: the COPY does not run"

echo edited >"$D/ctx/src/d1/f11"
make -f "$D/build.mk" >"$D/log" 2>&1
rc=$?
is "$rc" 0 "edit: build"
[ "$rc" = 0 ] || tail -20 "$D/log" | sed 's/^/#   /'
like "$(cat "$D/log")" "COPY src/ /app/" "edit: the COPY runs"
is "$(tar -xOf "$D/image.tar" "$(tar -xOf "$D/image.tar" manifest.json | jq -r '.[0].Layers[1]')" | tar -xO app/d1/f11)" \
	edited "edit: the image has the new content"

sleep 1.2 # the edited file is past the racy second
touch "$D/ctx/src/d2/f12"
sumb=$(stat -c %y "$D/state/$key.sum")
make -f "$D/build.mk" >"$D/log" 2>&1
is "$(stat -c %y "$D/state/$key.sum")" "$sumb" "touch: the sum is the same (the digest has no mtimes)"
is "$(grep -c 'COPY' "$D/log")" 0 "touch: the COPY does not run"

echo new >"$D/ctx/src/d3/new"
make -f "$D/build.mk" >"$D/log" 2>&1
is "$(count)" 5001 "added file: in the image"
rm "$D/ctx/src/d4/f14"
make -f "$D/build.mk" >"$D/log" 2>&1
is "$(count)" 5000 "removed file: gone from the image"

layer1() { tar -xOf "$D/image.tar" "$(tar -xOf "$D/image.tar" manifest.json | jq -r '.[0].Layers[1]')"; }
sleep 1.2 # every change so far is past the racy second
f=$D/ctx/src/d1/f21
touch -r "$f" "$D/ref"
printf 'f 2X\n' >"$f" # "f 21\n": the same size
touch -r "$D/ref" "$f"
is "$(stat -c '%s %y' "$f")" "$(stat -c '%s %y' "$D/ref" | sed 's/^0 /5 /')" \
	"same size and mtime: set up"
make -f "$D/build.mk" >"$D/log" 2>&1
like "$(cat "$D/log")" "COPY src/ /app/" "same size and mtime: the COPY runs (ctime)"
is "$(layer1 | tar -xO app/d1/f21)" "f 2X" "same size and mtime: the image has the new bytes"

sleep 1.2
mv "$D/ctx/src/d2/f22" "$D/ctx/src/d2/g22"
make -f "$D/build.mk" >"$D/log" 2>&1
is "$(layer1 | tar -t | grep -c 'app/d2/[fg]22$')" 1 "rename: one of the two names"
is "$(layer1 | tar -xO app/d2/g22)" "f 22" "rename: the new name in the image"

sleep 1.2
chmod 0600 "$D/ctx/src/d3/f23"
make -f "$D/build.mk" >"$D/log" 2>&1
like "$(layer1 | tar -tv | grep 'app/d3/f23$')" "^-rw------- " "chmod: the new mode in the image"

sleep 1.2
make -f "$D/build.mk" >"$D/log" 2>&1
printf 'df2make-copy-index 1\nsum\n1 0\n' >"$D/state/$key.scan"
sumb=$(stat -c %y "$D/state/$key.sum")
make -f "$D/build.mk" >"$D/log" 2>&1
is "$?" 0 "scan file of another format: build"
is "$(grep -c 'COPY' "$D/log")" 0 "scan file of another format: summed again, the COPY does not run"
is "$(stat -c %y "$D/state/$key.sum")" "$sumb" "scan file of another format: the same sum"
is "$(head -c 14 "$D/state/$key.scan")" "df2make-scan 2" "scan file of another format: rewritten"
done_testing

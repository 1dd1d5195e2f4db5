#!/usr/bin/env bash
# A COPY of a large context (more than 4096 files and directories): build.mk
# and KEY.d do not list every file (make would read and stat 100,000 names
# at every run); the sum runs at every make and compares the context's stat
# data with its last run's (STATE/KEY.scan). Nothing changed: no file is
# written and the COPY does not run; an edit, a touch, an added and a
# removed file are each seen.
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
is "$?" 0 "edit: build"
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
done_testing

#!/usr/bin/env bash
# A step's layer blob (STATE/KEY/layer.tar) is renamed into place without
# an fsync: a crash of the machine may leave it empty or short under its
# name while STATE/KEY.layer says it is done. Such a blob is never
# believed: the pack checks every layer against KEY.layer's size and
# digest, fails naming the blob and `fsck --repair`, writes no image and
# keeps the old one byte for byte; after `fsck --repair` the next make
# builds the same image as before. The same for the pack's record of the
# image (STATE/KEY.image.json).
. "$SRCDIR/tests/sh/security/common.bash"
base_image || { not_ok "base image import"; done_testing; exit 1; }

D=$T/b
dockerfile "$D" 'FROM busybox
COPY a.txt /a.txt
RUN echo built >/out && mkdir -p /d && echo x >/d/x'
echo one >"$D/ctx/a.txt"
build "$D"
is "$rc" 0 "first build"
cp "$D/image.tar" "$T/want.tar"
key=$(grep -o ' run [0-9a-f]\{32\}' "$D/build.mk" | head -1 | cut -d' ' -f3)
blob=$D/state/$key/layer.tar
check "the RUN's layer blob is in the state" test -s "$blob"
RT=(make -f "$D/build.mk")

# the crash: the rename reached the disk, the bytes did not
: >"$blob"
rm "$D/image.tar"
"${RT[@]}" >"$D/log" 2>&1
check "no image: make fails" test "$?" -ne 0
log_has "$D" "layer sha256:[0-9a-f]{64} \\($blob\\) is corrupt: 0 bytes, expected [0-9]+; run .*fsck --repair" \
	"the message names the blob and the repair"
check "no image written" test ! -e "$D/image.tar"
is "$(find "$D" -maxdepth 1 -name '*.tmp*' | wc -l)" 0 "no temp file beside the output"

# the same with an image in place (the incremental pack): it is kept
cp "$T/want.tar" "$D/image.tar"
rm -f "$D"/state/*.pack
"${RT[@]}" >"$D/log" 2>&1
check "an image in place: make fails" test "$?" -ne 0
check "the old image is kept byte for byte" cmp -s "$D/image.tar" "$T/want.tar"

"$DF2MAKE_RUNTIME_BIN" --store "$ST" --state "$D/state" fsck --repair >"$D/fsck.log" 2>&1
like "$(cat "$D/fsck.log")" "step ${key:0:8}: layer sha256:[0-9a-f]{64} is corrupt" "fsck names the torn blob"
"${RT[@]}" >"$D/log" 2>&1
is "$?" 0 "after fsck --repair, make succeeds"
check "the image is the same as before, byte for byte" cmp -s "$D/image.tar" "$T/want.tar"

# The pack's record of the image (STATE/KEY.image.json, for --iidfile and
# --metadata-file) is renamed without an fsync too: a torn one is refused.
compile "$D" --iidfile "$D/iid"
is "$rc" 0 "compile with --iidfile"
"${RT[@]}" >"$D/log" 2>&1
is "$?" 0 "build with --iidfile"
like "$(cat "$D/iid")" "^sha256:[0-9a-f]{64}$" "the image id is written"
rec=$(ls "$D"/state/*.image.json)
: >"$rec"
rm "$D/iid"
"${RT[@]}" >"$D/log" 2>&1
check "a torn record: make fails" test "$?" -ne 0
log_has "$D" "image.json: no record of the image \(make it again: rm the image and run make\)" \
	"the message says how to make it again"
check "no image id written" test ! -e "$D/iid"
rm "$D/image.tar"
"${RT[@]}" >"$D/log" 2>&1
is "$?:$(cat "$D/iid")" "0:$(tar -xOf "$D/image.tar" manifest.json | jq -r '.[0].Config' | sed 's|blobs/sha256/|sha256:|')" \
	"after the image is made again, the id is the image's"
done_testing

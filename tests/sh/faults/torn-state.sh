#!/usr/bin/env bash
# A step's state files (chain.json, KEY.done, KEY.ck, KEY.layer) are
# renamed into place without an fsync each, and nothing syncs them later
# (docs/internals.md, "Durability"). A crash of the machine may leave any
# of them empty under its name; simulated here by emptying or cutting each,
# then building again:
# - KEY.layer: pack makes the layer again; the image is the same, byte for byte;
# - KEY.done: only its time counts; the build is the same;
# - KEY.ck: reads as no content key; the build is the same;
# - chain.json: never taken for a shorter chain: the pack (or the step
#   after it, or a COPY --from or RUN --mount=from of its stage) fails
#   naming the file, keeps the old image and removes the torn step's
#   stamp; the next make redoes it and gives the same image.
# And, under strace: no fsync of a state file during the steps, and no
# syncfs (which waits for the whole image's writeback, or the next
# build's for it).
. "$SRCDIR/tests/sh/security/common.bash"
base_image || { not_ok "base image import"; done_testing; exit 1; }

D=$T/b
dockerfile "$D" 'FROM busybox
COPY a.txt /a.txt
RUN echo built >/out && mkdir -p /d && echo x >/d/x
RUN true
RUN echo last >/last'
echo one >"$D/ctx/a.txt"
build "$D"
is "$rc" 0 "first build"
cp "$D/image.tar" "$T/want.tar"
mapfile -t runs < <(grep -o ' run [0-9a-f]\{32\}' "$D/build.mk" | cut -d' ' -f3)
is "${#runs[@]}" 3 "three RUN steps in build.mk"
k1=${runs[0]} k2=${runs[1]} k3=${runs[2]}
S=$D/state
MK=(make -f "$D/build.mk")

# RUN true made an empty layer: no blob, and no temp file was left for it
is "$(jq -c .empty "$S/$k2.layer")" true "RUN true: an empty layer"
is "$(find "$S/$k2" -maxdepth 1 -name 'layer.tar*' | wc -l)" 0 "RUN true: no blob, no temp"

# rebuild after each cut: the image must come back the same
rebuild() {
	rm -f "$D/image.tar"
	"${MK[@]}" >"$D/log" 2>&1
}

: >"$S/$k1.layer"
rebuild
is "$?" 0 "an empty KEY.layer: make succeeds"
check "an empty KEY.layer: the same image, byte for byte" cmp -s "$D/image.tar" "$T/want.tar"
is "$(jq -r .digest "$S/$k1.layer" | cut -c1-7)" "sha256:" "an empty KEY.layer: made again"

head -c 20 "$S/$k3.layer" >"$T/cut" && cp "$T/cut" "$S/$k3.layer"
rebuild
is "$?" 0 "a KEY.layer cut short: make succeeds"
check "a KEY.layer cut short: the same image" cmp -s "$D/image.tar" "$T/want.tar"

: >"$S/$k2.layer"
rebuild
is "$?" 0 "the empty layer's KEY.layer emptied: make succeeds"
check "the empty layer's KEY.layer emptied: the same image" cmp -s "$D/image.tar" "$T/want.tar"

touch -r "$S/$k1.done" "$T/ref"
: >"$S/$k1.done"
touch -r "$T/ref" "$S/$k1.done" # as a crash leaves it: the time of the rename
rebuild
is "$?" 0 "an empty KEY.done: make succeeds"
check "an empty KEY.done: the same image" cmp -s "$D/image.tar" "$T/want.tar"

: >"$S/$k1.ck"
rebuild
is "$?" 0 "an empty KEY.ck: make succeeds"
check "an empty KEY.ck: the same image" cmp -s "$D/image.tar" "$T/want.tar"
"$RT" --store "$ST" --state "$S" fsck >"$D/fsck.log" 2>&1
like "$(cat "$D/fsck.log")" "step ${k1:0:8}: content key .*$k1.ck is unreadable" "fsck names the torn KEY.ck"

# the final step's chain: cut, then the pack must not ship a shorter
# image; it removes the step's stamp, and the next make redoes the step
cp "$T/want.tar" "$D/image.tar"
rm -f "$S"/*.pack
head -c 30 "$S/$k3/chain.json" >"$T/cut" && cp "$T/cut" "$S/$k3/chain.json"
"${MK[@]}" >"$D/log" 2>&1
check "the final step's chain.json torn: make fails" test "$?" -ne 0
log_has "$D" "$k3/chain.json: .*torn or not JSON.*step ${k3:0:8} is torn .*its stamp is removed, run make again to redo it" \
	"the message names chain.json and says what to do"
check "the old image is kept byte for byte" cmp -s "$D/image.tar" "$T/want.tar"
check "the final step's stamp is removed" test ! -e "$S/$k3.done"
"${MK[@]}" >"$D/log" 2>&1
is "$?" 0 "the next make succeeds"
check "the next make: the same image" cmp -s "$D/image.tar" "$T/want.tar"

# a parent's chain, read when the step after it runs again: the same
head -c 30 "$S/$k1/chain.json" >"$T/cut" && cp "$T/cut" "$S/$k1/chain.json"
rm "$S/$k2.done"
rebuild
check "a parent's chain.json torn: make fails" test "$?" -ne 0
log_has "$D" "parent step ${k1:0:8}: .*$k1/chain.json: .*torn or not JSON.*step ${k1:0:8} is torn .*run make again" \
	"the message names the parent's chain.json"
check "the parent's stamp is removed" test ! -e "$S/$k1.done"
rebuild
is "$?" 0 "the next make succeeds"
check "the next make: the same image" cmp -s "$D/image.tar" "$T/want.tar"
"$RT" --store "$ST" --state "$S" fsck >"$D/fsck.log" 2>&1
is "$?" 0 "fsck finds nothing left to repair (the step redone wrote its KEY.ck)"

# a COPY --from's and a RUN --mount=from's source stage, torn: the step
# reading it removes the stage's stamp, the next make redoes both (before
# session 9: the step failed at every make until fsck --repair)
F=$T/from
dockerfile "$F" 'FROM busybox AS a
RUN echo a >/a
FROM busybox
COPY --from=a /a /a
RUN --mount=from=a,target=/m cat /m/a >/b'
build "$F"
is "$rc" 0 "a build with COPY --from and a mount from a stage"
cp "$F/image.tar" "$T/want-from.tar"
mapfile -t fr < <(grep -oE ' (run|copy) [0-9a-f]{32}' "$F/build.mk" | cut -d' ' -f3)
ka=${fr[0]} kc=${fr[1]} kr=${fr[2]}
FS=$F/state
for what in "COPY --from:$kc" "mount source:$kr"; do
	head -c 30 "$FS/$ka/chain.json" >"$T/cut" && cp "$T/cut" "$FS/$ka/chain.json"
	rm "$FS/${what#*:}.done" "$F/image.tar"
	make -f "$F/build.mk" >"$F/log" 2>&1
	check "${what%%:*}: the stage's chain.json torn: make fails" test "$?" -ne 0
	log_has "$F" "${what%%:*} step ${ka:0:8}: .*$ka/chain.json: .*torn or not JSON.*step ${ka:0:8} is torn .*run make again" \
		"${what%%:*}: the message names the stage's chain.json"
	check "${what%%:*}: the stage's stamp is removed" test ! -e "$FS/$ka.done"
	make -f "$F/build.mk" >"$F/log" 2>&1
	is "$?" 0 "${what%%:*}: the next make succeeds"
	check "${what%%:*}: the same image" cmp -s "$F/image.tar" "$T/want-from.tar"
done

# what a cold build syncs: nothing per step, and no syncfs
if command -v strace >/dev/null; then
	rm -rf "$S" "$D/image.tar"
	# (LeakSanitizer cannot run under ptrace: off in a sanitizer build)
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -y -qq -o "$T/st" \
		-e trace=fsync,fdatasync,syncfs,rename,renameat,renameat2 "${MK[@]}" >"$D/log" 2>&1
	is "$?" 0 "a cold build under strace"
	check "the same image" cmp -s "$D/image.tar" "$T/want.tar"
	# (the context sum's KEY.sum and KEY.d keep theirs: KEY.sum is read
	# into the COPY's content key, which --cache-to exports)
	is "$(grep -E "(fsync|fdatasync)\([0-9]+<$S/" "$T/st" | grep -cvE '\.(sum|d)\.tmp-')" 0 \
		"no fsync of a step's state file"
	is "$(grep -cE "(fsync|fdatasync)\([0-9]+<$S/" "$T/st")" 2 "two of the sum's (KEY.sum, KEY.d)"
	is "$(grep -c syncfs "$T/st")" 0 "no syncfs"
	check "the image's rename" grep -qE 'rename\(.*\.image\.tar\.tmp-.*image\.tar' "$T/st"
else
	skip "no fsync of a step's state file" "strace not installed"
fi
done_testing

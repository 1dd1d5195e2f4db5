#!/usr/bin/env bash
# The store and the state never lie (issue 13, item 7): a missing, torn or
# unreadable chain.json fails the build instead of shipping an image built
# from another step's chain, and (session 8: it is written without an
# fsync, a crash may tear it) removes that step's stamp so that the next
# make redoes the step and gives the same image; a stored layer whose
# bytes were flipped fails pack naming the layer; fsck finds and (with
# --repair) removes what is damaged, and the next make rebuilds it; gc
# removes what nothing references; killed writers' temps are swept.
. "$SRCDIR/tests/sh/security/common.bash"
base_image || { not_ok "base image import"; done_testing; exit 1; }

D=$T/c
dockerfile "$D" 'FROM busybox
RUN echo one >/one
RUN echo two >/two'
build "$D"
is "$rc" 0 "reference build"
ref=$(sha256sum <"$D/image.tar")
# nlayers: how many layers the image holds.
nlayers() { tar -xOf "$D/image.tar" manifest.json | jq '.[0].Layers | length'; }
is "$(nlayers)" 3 "base layer + two RUN layers"
last=$(grep -o 'pack [0-9a-f]\{32\}' "$D/build.mk" | cut -c6-)
chain=$D/state/$last/chain.json
check "the final step has a chain.json" test -s "$chain"
cp "$chain" "$T/chain.good"

# damaged CASE: make after the final step's chain.json was damaged fails
# with a message naming it and the repair, and writes no image; the step's
# stamp is gone, and the next make redoes it: the same image.
damaged() {
	local what=$1
	rm -f "$D/image.tar"
	make -f "$D/build.mk" >"$D/log" 2>&1
	is "$?" 2 "$what chain.json: make fails"
	log_has "$D" "exporting to image: .*chain.json.*step ${last:0:8} is torn \(a crash of the machine before its image was written\?\): its stamp is removed, run make again to redo it" \
		"$what chain.json: the message names the file and the repair"
	check "$what chain.json: no image written" [ ! -e "$D/image.tar" ]
	check "$what chain.json: the step's stamp is removed" [ ! -e "$D/state/$last.done" ]
	cp "$D/log" "$D/log.failed"
	make -f "$D/build.mk" >"$D/log" 2>&1
	is "$?:$(sha256sum <"$D/image.tar")" "0:$ref" "$what chain.json: the next make redoes it, the same image"
}
rm "$chain"
damaged missing
head -c 40 "$T/chain.good" >"$chain"
damaged torn
like "$(cat "$D/log.failed")" "torn or not JSON" "a torn chain.json is called that"
rm "$chain" && mkdir "$chain"
damaged unreadable
echo '[{"diff_id":"sha256:00"}]' >"$chain"
damaged "entry without dir:"
cp "$T/chain.good" "$chain"
make -f "$D/build.mk" >"$D/log" 2>&1
is "$?:$(sha256sum <"$D/image.tar")" "0:$ref" "chain.json restored: the same image again"

# The layer op reads the parent's chain (it decides the whiteouts): a torn
# one fails the layer instead of writing a layer without whiteouts. A
# build's pack makes a lost layer of the image from the image's own chain
# (the lowers are the entries below the step's): the parent's is not read.
first=$(jq -r '.[-2].step' "$T/chain.good")
parent_chain=$D/state/$first/chain.json
cp "$parent_chain" "$T/parent.good"
rm -f "$D/state/$last.layer" "$D/image.tar"
head -c 30 "$T/parent.good" >"$parent_chain"
"$RT" -q --state "$D/state" --store "$ST" layer "$last" "{\"parent\":\"$first\",\"compress\":\"none\"}" \
	>"$D/log" 2>&1
is "$?" 1 "layer over a torn parent chain.json: the layer op fails"
log_has "$D" "layer: .*$first/chain.json.*torn.*step ${first:0:8} is torn .*run make again to redo it" \
	"naming the parent's chain.json"
check "and writes no KEY.layer" test ! -e "$D/state/$last.layer"
check "the parent's stamp is removed" test ! -e "$D/state/$first.done"
make -f "$D/build.mk" >"$D/log" 2>&1
is "$?:$(sha256sum <"$D/image.tar")" "0:$ref" "make redoes the parent, the lost layer: the same image"
cp "$T/parent.good" "$parent_chain"

# flip FILE: four bytes in the middle of FILE replaced, size unchanged.
flip() {
	local size
	size=$(stat -c %s "$1")
	printf 'XXXX' | dd of="$1" bs=1 seek=$((size / 2)) conv=notrunc status=none
}
# corrupt WHAT DIGEST: pack fails naming the layer and the repair, no image.
corrupt() {
	rm -f "$D/image.tar"
	make -f "$D/build.mk" >"$D/log" 2>&1
	is "$?" 2 "$1 with flipped bytes: make fails"
	log_has "$D" "layer $2 \\(.*\\) is corrupt: its bytes hash to sha256:.*fsck --repair" \
		"$1: the message names the layer and the repair"
	check "$1: no image, no temp beside it" [ -z "$(ls -A "$D" | grep image)" ]
}

# A step's layer blob in the state dir, flipped after it was written.
step_blob=$(jq -r .path "$D/state/$last.layer")
step_digest=$(jq -r .digest "$D/state/$last.layer")
cp "$step_blob" "$T/step.blob"
flip "$step_blob"
is "$(stat -c %s "$step_blob")" "$(stat -c %s "$T/step.blob")" "the flipped blob keeps its size"
corrupt "a step layer" "$step_digest"
compile "$D" -o "type=oci,dest=$D/oci.d"
make -f "$D/build.mk" >"$D/log" 2>&1
is "$?" 2 "type=oci: the flipped layer fails too"
log_has "$D" "is corrupt" "type=oci: with the same message"
check "type=oci: no directory written" [ ! -e "$D/oci.d" ]
compile "$D"
cp "$T/step.blob" "$step_blob"

# A base layer blob in the store.
base_digest=$(jq -r '.[0].blob.digest' "$chain")
base_blob=$ST/blobs/sha256/${base_digest#sha256:}
cp "$base_blob" "$T/base.blob"
flip "$base_blob"
corrupt "a base layer" "$base_digest"
cp "$T/base.blob" "$base_blob"
make -f "$D/build.mk" >"$D/log" 2>&1
is "$?:$(sha256sum <"$D/image.tar")" "0:$ref" "blobs restored: the same image again"

# Temps of killed writers (no lock held) in the store and beside the
# output are removed by the next make; a live writer's (locked) stays.
need flock
echo partial >"$ST/blobs/sha256/.tmp-dead01"
mkdir -p "$ST/layers/${base_digest#sha256:}.tmp-dead02/etc"
echo partial >"$D/.image.tar.tmp-dead03"
mkdir -p "$D/.image.tar.tmp-dead04/blobs"
echo live >"$ST/blobs/sha256/.tmp-live01"
flock "$ST/blobs/sha256/.tmp-live01" sleep 30 &
holder=$!
sleep 0.3
rm -f "$D/image.tar"
rm -rf "$D/state/$(grep -o 'base [0-9a-f]\{32\}' "$D/build.mk" | cut -c6-)".done
make -f "$D/build.mk" >"$D/log" 2>&1
is "$?:$(sha256sum <"$D/image.tar")" "0:$ref" "a make over leftover temps builds the same image"
is "$(ls -A "$ST/blobs/sha256" "$ST/layers" "$D" | grep tmp-)" ".tmp-live01" \
	"the dead temps are gone, the live one stays"
kill "$holder"
wait "$holder" 2>/dev/null
rm -f "$ST/blobs/sha256/.tmp-live01"

# ---- fsck ----
# fsck [--repair]: runs fsck on the store and D's state; out and rc set.
fsck() { out=$("$RT" --store "$ST" --state "$D/state" fsck "$@" 2>&1); rc=$?; }
# rebuilt DESC: make succeeds and gives the reference image again.
rebuilt() {
	rm -f "$D/image.tar"
	make -f "$D/build.mk" >"$D/log" 2>&1
	is "$?:$(sha256sum <"$D/image.tar")" "0:$ref" "$1"
}
fsck
is "$rc" 0 "fsck of a sound store and state: exit 0"
like "$out" "^fsck: [0-9]+ checked, 0 problems, 0 repaired\$" "and it says so"

flip "$step_blob"
fsck
is "$rc" 1 "fsck: a flipped step layer is found (exit 1)"
like "$out" "step ${last:0:8}: layer $step_digest is corrupt: content is sha256:" "naming step and layer"
check "fsck without --repair removes nothing" test -e "$D/state/$last.layer"
fsck --repair
is "$rc" 0 "fsck --repair: exit 0"
like "$out" "repaired: removed $D/state/$last.layer" "it removed the step's .layer"
check "and the corrupt blob" [ ! -e "$step_blob" ]
rebuilt "make after fsck --repair: the same image"

flip "$base_blob"
fsck --repair
like "$out" "blob $base_digest is corrupt: content is sha256:[0-9a-f]{64} \\(repaired" \
	"fsck --repair: a flipped base blob is found and removed"
like "$out" "image docker.io/library/busybox:latest: blob $base_digest is missing; load the image again \\(repaired" \
	"and the image that needs it is removed (load it again)"
"$RT" --store "$ST" import "$T/rootfs-busybox.tar" busybox >/dev/null
rebuilt "after loading the image again: the same image"

unpacked=$(jq -r '.[0].dir' "$chain")
cp -p "$unpacked/etc/passwd" "$T/passwd.good"
echo extra >>"$unpacked/etc/passwd"
fsck
like "$out" "unpacked layer ${base_digest%%:*}:[0-9a-f]{64} differs from its blob .*: etc/passwd: size differs" \
	"fsck: a changed file in an unpacked layer is found"
like "$out" "step [0-9a-f]{8}: layer directory $unpacked is gone or damaged" \
	"and the steps stacked on it"
cp -p "$T/passwd.good" "$unpacked/etc/passwd"
fsck
is "$rc" 0 "the file restored: fsck finds nothing"
rm "$unpacked/bin/sh" && ln -s /bin/false "$unpacked/bin/sh"
fsck
like "$out" "differs from its blob .*: bin/sh: link target differs" \
	"fsck: a changed link in an unpacked layer is found"
fsck --repair
is "$rc" 0 "fsck --repair of the unpacked layer: exit 0"
check "the layer is gone" [ ! -e "$unpacked" ] && [ ! -e "$unpacked.ok" ]
check "so are the stamps of the steps on it" [ -z "$(ls "$D"/state/*.done 2>/dev/null)" ]
rebuilt "make after fsck --repair unpacks again: the same image"

rm "$chain"
fsck --repair
like "$out" "step ${last:0:8}: unable to open $chain.*repaired: removed $D/state/$last.done" \
	"fsck --repair: a missing chain.json removes the step's stamp"
rebuilt "make redoes the step: the same image"
fsck
is "$rc" 0 "after all that, fsck finds nothing"

# ---- gc ----
# An image used by a second build's state, then untagged (refs removed).
mkdir -p "$T/extra/etc"
echo extra >"$T/extra/etc/extra"
base_image extra "$T/extra"
D2=$T/c2
dockerfile "$D2" 'FROM extra
RUN cat /etc/extra'
build "$D2"
is "$rc" 0 "a build FROM a second image"
extra_layer=$(jq -r '.[0].blob.digest' "$D2/state/"*/chain.json | head -1)
extra_dir=$(jq -r '.[0].dir' "$D2/state/"*/chain.json | head -1)
for f in "$ST"/refs/*.json; do
	[ "$(jq -r .name "$f")" = docker.io/library/busybox:latest ] && busybox_ref=$f
	case $(jq -r .name "$f") in docker.io/library/extra*) rm "$f" ;; esac
done
echo garbage >"$ST/refs/0000.json"
out=$("$RT" --store "$ST" gc 2>&1)
is "$?" 1 "gc with an unreadable ref: exit 1"
like "$out" "gc: image ref .*0000.json is unreadable \\(nothing more removed; see fsck\\)" "and why"
check "nothing removed" test -e "$ST/blobs/sha256/${extra_layer#sha256:}"
rm "$ST/refs/0000.json"
echo partial >"$ST/blobs/sha256/.tmp-dead05"
out=$("$RT" --store "$ST" --state "$D2/state" gc 2>&1)
is "$?" 0 "gc --state: exit 0"
check "gc --state keeps the layer the state uses" test -s "$ST/blobs/sha256/${extra_layer#sha256:}"
check "and its unpacked directory" test -d "$extra_dir"
like "$out" "removed 2 blobs" "gc --state removes the untagged image's config and manifest"
check "and the dead temp" [ ! -e "$ST/blobs/sha256/.tmp-dead05" ]
out=$("$RT" --store "$ST" gc 2>&1)
like "$out" "^gc: 2 images kept; removed 1 blobs \\([0-9]+ bytes\\), 1 unpacked layers\$" \
	"gc without that state removes the layer blob and the unpacked layer"
check "they are gone" [ ! -e "$ST/blobs/sha256/${extra_layer#sha256:}" ] && [ ! -e "$extra_dir" ]
rebuilt "the kept image still builds: the same image"
fsck
is "$rc" 0 "fsck after gc finds nothing"

# The store lock: gc waits for a user of the store (shared holder), and a
# FROM waits while gc (exclusive holder) runs.
# timed CMD...: runs CMD; sets out, rc and ms (how long it took).
timed() {
	local start=$(date +%s%N)
	out=$("$@" 2>&1)
	rc=$?
	ms=$((($(date +%s%N) - start) / 1000000))
}
flock -s "$ST/lock" sleep 2 &
holder=$!
sleep 0.3
timed "$RT" --store "$ST" gc
wait "$holder"
check "gc waited for the store's user (${ms}ms)" [ "$ms" -ge 1400 ]
like "$out" "waiting for $ST/lock \\(a build or load uses the store\\)" "and said why"
flock "$ST/lock" sleep 2 &
holder=$!
sleep 0.3
rm -f "$D/image.tar" "$D"/state/*.done
timed make -f "$D/build.mk"
wait "$holder"
is "$rc:$(sha256sum <"$D/image.tar")" "0:$ref" "a build under a held store lock completes"
check "its FROM waited (${ms}ms)" [ "$ms" -ge 1400 ]
like "$out" "waiting for $ST/lock \\(gc or fsck --repair holds it\\)" "and said why"
done_testing

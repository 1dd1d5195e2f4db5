#!/usr/bin/env bash
# The store and the state never lie (issue 13, item 7): a missing, torn or
# unreadable chain.json fails the build with a repair hint instead of
# shipping an image built from another step's chain; a stored layer whose
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
# with a message naming it and the repair, and writes no image.
damaged() {
	local what=$1
	rm -f "$D/image.tar"
	make -f "$D/build.mk" >"$D/log" 2>&1
	is "$?" 2 "$what chain.json: make fails"
	log_has "$D" "exporting to image: .*chain.json.*state of step ${last:0:8} is damaged: run \`df2make-runtime --state $D/state fsck --repair\`" \
		"$what chain.json: the message names the file and the repair"
	check "$what chain.json: no image written" [ ! -e "$D/image.tar" ]
}
rm "$chain"
damaged missing
head -c 40 "$T/chain.good" >"$chain"
damaged torn
log_has "$D" "torn or not JSON" "a torn chain.json is called that"
rm "$chain" && mkdir "$chain"
damaged unreadable
rmdir "$chain"
echo '[{"diff_id":"sha256:00"}]' >"$chain"
damaged "entry without dir:"
cp "$T/chain.good" "$chain"
make -f "$D/build.mk" >"$D/log" 2>&1
is "$?:$(sha256sum <"$D/image.tar")" "0:$ref" "chain.json restored: the same image again"

# The layer op reads the parent's chain (it decides the whiteouts): a torn
# one fails the layer instead of writing a layer without whiteouts.
first=$(jq -r '.[-2].step' "$T/chain.good")
parent_chain=$D/state/$first/chain.json
cp "$parent_chain" "$T/parent.good"
rm -f "$D/state/$last.layer" "$D/image.tar"
head -c 30 "$T/parent.good" >"$parent_chain"
make -f "$D/build.mk" >"$D/log" 2>&1
is "$?" 2 "layer over a torn parent chain.json: make fails"
log_has "$D" "layer: .*$first/chain.json.*torn.*fsck --repair" "naming the parent's chain.json"
cp "$T/parent.good" "$parent_chain"
make -f "$D/build.mk" >"$D/log" 2>&1
is "$?:$(sha256sum <"$D/image.tar")" "0:$ref" "parent chain restored: the same image again"

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
done_testing

# pull from a plain-HTTP registry on 127.0.0.1 (docker-registry): the same
# store entries as `load`, digests verified while streaming, pinned
# digests, zstd layers, a platform picked from an index, atomicity.
. "$SRCDIR/tests/lib.sh"
. "$SRCDIR/tests/sh/image/helpers.bash"
. "$SRCDIR/tests/lib/registry.sh"
need python3 skopeo curl zstd jq
export CONTAINERS_REGISTRIES_CONF=$T/none.conf REGISTRY_AUTH_FILE= DOCKER_CONFIG=$T/docker

mk_rootfs "$T/root"
tar_dir "$T/root" "$T/rootfs.tar"
mk_docker_archive "$T/busy.tar" "busy:1" "$T/rootfs.tar"
registry_start || { not_ok "registry starts"; done_testing; exit; }
registry_put "$T/busy.tar" library/busy:1

out=$(rt pull "$REG/library/busy:1" 2>"$T/err")
check "pull exits 0" [ $? -eq 0 ]
ref=$(ref_json "$REG/library/busy:1")
raw=$(skopeo inspect --tls-verify=false --raw "docker://$REG/library/busy:1")
mdigest=sha256:$(printf %s "$raw" | sha256sum | cut -c1-64)
is "$out" "Loaded image: $REG/library/busy:1
Digest: $mdigest" "pull prints the name and the manifest digest"
is "$(jq -r .manifest <<<"$ref")" "$mdigest" "ref file: the registry's manifest digest"
is "sha256:$(sha "$STORE/blobs/sha256/${mdigest#sha256:}")" "$mdigest" "manifest blob stored"
STORE=$T/loaded rt load -i "$T/busy.tar" >/dev/null
loaded=$(STORE=$T/loaded ref_json docker.io/library/busy:1)
is "$(jq -r .config <<<"$ref")" "$(jq -r .config <<<"$loaded")" "pulled config digest == loaded one"
is "$(jq -c '[.layers[].diff_id]' <<<"$ref")" "$(jq -c '[.layers[].diff_id]' <<<"$loaded")" \
	"pulled diff_ids == loaded ones"
is "$(jq -r '.layers[0].digest' <<<"$ref")" "$(jq -r '.layers[0].digest' <<<"$raw")" \
	"layer blob digest as in the manifest"
is "$(jq -r .source <<<"$ref")" "pull $REG/library/busy:1@$mdigest" "ref file records the source"
like "$(rt images)" "$REG/library/busy:1 +$(jq -r .config <<<"$ref" | cut -c8-19) .* pull $REG/library/busy:1@$mdigest" \
	"images shows where it came from"
like "$(rt images)" "SOURCE" "images has a SOURCE column"
for f in "$STORE"/blobs/sha256/*; do
	[ "$(sha "$f")" = "$(basename "$f")" ] || { not_ok "blob $f hashes to its name"; break; }
done
ls -A "$STORE/blobs/sha256" | grep -q '^\.tmp' && not_ok "no temp blobs" || ok "no temp blobs left"

# again: every blob is there, nothing is fetched
err=$(rt pull "$REG/library/busy:1" 2>&1 >/dev/null)
like "$err" "already exists" "a second pull fetches no layer"

# pinned by digest
rm -rf "$STORE"
out=$(rt pull "$REG/library/busy@$mdigest" 2>&1)
check "pull NAME@DIGEST" [ -n "$(ref_json "$REG/library/busy@$mdigest")" ]
bad=sha256:$(printf x | sha256sum | cut -c1-64)
out=$(rt pull "$REG/library/busy@$bad" 2>&1)
rc=$?
is "$rc" 1 "unknown pinned digest: exit 1"
like "$out" "^df2make-runtime: $REG/library/busy@$bad: pull from $REG: library/busy:$bad: GET manifest: HTTP 404: MANIFEST_UNKNOWN" \
	"unknown pinned digest: the registry's error"

# a registry serving a corrupted layer: refused, nothing stored under its name
layer=$(jq -r '.layers[0].digest' <<<"$raw")
data=$REG_DIR/data/docker/registry/v2/blobs/sha256/${layer:7:2}/${layer#sha256:}/data
cp "$data" "$T/layer.good"
printf 'X' | dd of="$data" bs=1 seek=100 conv=notrunc 2>/dev/null
rm -rf "$STORE"
out=$(rt pull "$REG/library/busy:1" 2>&1)
rc=$?
is "$rc" 1 "corrupted layer: exit 1"
like "$out" "blob $layer: .*(digest|sha256)" "corrupted layer: the error names the blob"
check "corrupted layer: no blob under its digest" [ ! -e "$STORE/blobs/sha256/${layer#sha256:}" ]
check "corrupted layer: no ref file" [ -z "$(ls "$STORE/refs" 2>/dev/null)" ]
cp "$T/layer.good" "$data"

# a registry serving a manifest that is not the pinned one
mblob=$REG_DIR/data/docker/registry/v2/blobs/sha256/${mdigest:7:2}/${mdigest#sha256:}/data
cp "$mblob" "$T/manifest.good"
printf '%s ' "$(cat "$T/manifest.good")" >"$mblob"
out=$(rt pull "$REG/library/busy@$mdigest" 2>&1)
is "$?" 1 "pinned digest mismatch: exit 1"
like "$out" "the registry sent a manifest with digest sha256:" "pinned digest mismatch: the error says so"
cp "$T/manifest.good" "$mblob"

# zstd layers (made by hand: skopeo would reuse the gzip blob it pushed)
zstd -q "$T/rootfs.tar" -o "$T/rootfs.tar.zst"
diff_id=sha256:$(sha "$T/rootfs.tar")
regtool() { python3 "$SRCDIR/tests/sh/registry/regtool.py" "$REG" "$@"; }
regtool image library/busyz 1 amd64 "$T/rootfs.tar.zst" application/vnd.oci.image.layer.v1.tar+zstd "$diff_id" >/dev/null
rm -rf "$STORE"
rt pull "$REG/library/busyz:1" >/dev/null 2>&1
ref=$(ref_json "$REG/library/busyz:1")
is "$(jq -r '.layers[0].mediaType' <<<"$ref")" "application/vnd.oci.image.layer.v1.tar+zstd" "zstd layer"
is "$(jq -r '.layers[0].digest' <<<"$ref")" "sha256:$(sha "$T/rootfs.tar.zst")" "zstd layer: the blob as served"
is "$(jq -r '.layers[0].diff_id' <<<"$ref")" "$diff_id" "zstd layer: diff_id"
rt base k1 '{"image": "'"$REG/library/busyz:1"'"}' 2>/dev/null
check "zstd layer unpacks (base step)" [ -x "$STORE/layers/${diff_id#sha256:}/bin/busybox" ]

# Docker Hub naming, without leaving the machine (tests/lib.sh sets
# DF2MAKE_LOOPBACK_ONLY)
out=$(rt pull golang:1.22 2>&1)
is "$out" "df2make-runtime: golang:1.22: pull from registry-1.docker.io: library/golang:1.22: https://registry-1.docker.io/v2/library/golang/manifests/1.22: DF2MAKE_LOOPBACK_ONLY is set: only loopback hosts are contacted" \
	"golang:1.22 is docker.io/library/golang served by registry-1.docker.io (not contacted in tests)"

# a descriptor smaller than its blob: the download stops at the size
gzip -n -c "$T/rootfs.tar" >"$T/rootfs.tar.gz"
REGTOOL_SHORT=100 regtool image library/liar 1 amd64 "$T/rootfs.tar.gz" \
	application/vnd.oci.image.layer.v1.tar+gzip "$diff_id" >/dev/null
rm -rf "$STORE"
out=$(rt pull "$REG/library/liar:1" 2>&1)
is "$?" 1 "a blob longer than its descriptor: exit 1"
like "$out" "blob sha256:[0-9a-f]{64}: more than the $(($(stat -c %s "$T/rootfs.tar.gz") - 100)) bytes its descriptor says" \
	"a blob longer than its descriptor: stopped, with the size"
check "a blob longer than its descriptor: no ref file" [ -z "$(ls "$STORE/refs" 2>/dev/null)" ]

# a multi-platform index: an arm64 image beside the amd64 one
gzip -n -c "$T/rootfs.tar" >"$T/rootfs.tar.gz"
gz=application/vnd.oci.image.layer.v1.tar+gzip
amd_cfg=$(regtool image library/multi amd amd64 "$T/rootfs.tar.gz" $gz "$diff_id" | sed -n 's/^config //p')
arm_cfg=$(regtool image library/multi arm arm64 "$T/rootfs.tar.gz" $gz "$diff_id" | sed -n 's/^config //p')
regtool index library/multi 1 arm amd >/dev/null
rm -rf "$STORE"
out=$(rt pull --platform linux/arm64 "$REG/library/multi:1" 2>/dev/null)
is "$(ref_json "$REG/library/multi:1 linux/arm64" | jq -r .config)" "$arm_cfg" "--platform linux/arm64 picks the arm64 manifest"
like "$out" "Loaded image: $REG/library/multi:1 \(linux/arm64\)" "--platform linux/arm64: stored as that platform's image"
check "--platform linux/arm64: not under the plain name (FROM on amd64 must not take it)" \
	[ ! -e "$STORE/refs/$(printf %s "$REG/library/multi:1" | sha256sum | cut -c1-64).json" ]
rt pull --platform linux/amd64 "$REG/library/multi:1" >/dev/null 2>&1
is "$(ref_json "$REG/library/multi:1" | jq -r .config)" "$amd_cfg" "--platform linux/amd64 picks the amd64 manifest"
out=$(rt pull --platform linux/s390x "$REG/library/multi:1" 2>&1)
like "$out" "no image for linux/s390x in the index" "a platform the index lacks: clear error"
out=$(rt pull --platform linux "$REG/library/multi:1" 2>&1)
like "$out" "^usage: df2make-runtime pull" "a malformed --platform: usage"

# a config whose diff_id is not the layer's decompressed digest: the pull
# stores the compressed blob (checked against its digest only, as
# containerd and skopeo do); the first unpack (the base step) hashes the
# tar it reads and refuses the layer, leaving no unpacked layer behind
wrong=sha256:$(printf y | sha256sum | cut -c1-64)
regtool image library/badid 1 amd64 "$T/rootfs.tar.gz" $gz "$wrong" >/dev/null
rm -rf "$STORE"
rt pull "$REG/library/badid:1" >/dev/null 2>&1
is "$?" 0 "a wrong diff_id: the pull stores the blob (not decompressed at pull time)"
check "a wrong diff_id: the blob is stored under its digest" [ -s "$STORE/blobs/sha256/$(sha "$T/rootfs.tar.gz")" ]
badmsg="df2make-runtime: FROM $REG/library/badid:1: unpack layer $wrong: layer sha256:$(sha "$T/rootfs.tar.gz") does not match diff_id $wrong: its content is $diff_id"
out=$(rt base kbad '{"image": "'"$REG/library/badid:1"'"}' 2>&1)
is "$?" 1 "a wrong diff_id: the base step fails"
is "$out" "$badmsg" "a wrong diff_id: the error names the image, the layer, the expected and the actual diff_id"
check "a wrong diff_id: no unpacked layer under either diff_id" \
	test ! -e "$STORE/layers/${wrong#sha256:}" -a ! -e "$STORE/layers/${diff_id#sha256:}"
is "$(ls -A "$STORE/layers")" "" "a wrong diff_id: no temp left in layers/"
check "a wrong diff_id: the step is not done" [ ! -e "$STATE/kbad.done" ]
out=$(rt base kbad '{"image": "'"$REG/library/badid:1"'"}' 2>&1)
is "$out" "$badmsg" "a wrong diff_id: refused again by the next build (never trusted)"

# a blob whose config claims the diff_id of a layer unpacked from another
# blob: the directory exists, the blob is still checked (pack and push
# would reuse the blob as that layer's bytes)
rt pull "$REG/library/busy:1" >/dev/null 2>&1
rt base kgood '{"image": "'"$REG/library/busy:1"'"}' 2>/dev/null
is "$(cat "$STORE/layers/${diff_id#sha256:}.ok")" "ok
$(jq -r '.layers[0].digest' <<<"$raw")" "the layer's .ok lists the blob its unpack checked"
# a layer unpacked by an older df2make (its .ok says "ok" and no blob):
# the blob is checked once more, then recorded
printf 'ok\n' >"$STORE/layers/${diff_id#sha256:}.ok"
rm -f "$STATE/kgood.done"
rt base kgood '{"image": "'"$REG/library/busy:1"'"}' 2>/dev/null
is "$(cat "$STORE/layers/${diff_id#sha256:}.ok")" "ok
$(jq -r '.layers[0].digest' <<<"$raw")" "an older .ok: the blob checked and added"
mkdir -p "$T/imp/etc" && echo imposter >"$T/imp/etc/imp"
tar_dir "$T/imp" "$T/imp.tar" && gzip -n -c "$T/imp.tar" >"$T/imp.tar.gz"
regtool image library/imposter 1 amd64 "$T/imp.tar.gz" $gz "$diff_id" >/dev/null
rt pull "$REG/library/imposter:1" >/dev/null 2>&1
out=$(rt base kimp '{"image": "'"$REG/library/imposter:1"'"}' 2>&1)
is "$?" 1 "a blob claiming an unpacked layer's diff_id: the base step fails"
like "$out" "layer sha256:$(sha "$T/imp.tar.gz") does not match diff_id $diff_id: its content is sha256:$(sha "$T/imp.tar")" \
	"a blob claiming an unpacked layer's diff_id: the error says which"
check "a blob claiming an unpacked layer's diff_id: the good layer stays" [ -x "$STORE/layers/${diff_id#sha256:}/bin/busybox" ]
is "$(grep -c "$(sha "$T/imp.tar.gz")" "$STORE/layers/${diff_id#sha256:}.ok")" 0 \
	"a blob claiming an unpacked layer's diff_id: not recorded as checked"
# only the imposter names that diff_id now: fsck must still take the blob
# the unpack checked (its .ok), not the imposter's
for f in "$STORE"/refs/*.json; do
	case $(jq -r .name "$f") in "$REG/library/busy"*) rm -f "$f" ;; esac
done
out=$("$DF2MAKE_RUNTIME_BIN" --quiet --store "$STORE" fsck 2>&1)
is "$?" 0 "fsck compares the unpacked layer with the blob its unpack checked, not the imposter's"
unlike_out=$(grep -c "differs" <<<"$out")
is "$unlike_out" 0 "fsck: no layer reported as differing from its blob"

# a gzip layer of several members (gzip streams concatenated): the
# diff_id hashed while streaming covers every member
half=$(($(stat -c %s "$T/rootfs.tar") / 2))
{ head -c "$half" "$T/rootfs.tar" | gzip -n; tail -c +$((half + 1)) "$T/rootfs.tar" | gzip -n; } >"$T/members.gz"
regtool image library/members 1 amd64 "$T/members.gz" $gz "$diff_id" >/dev/null
rm -rf "$STORE"
out=$(rt pull "$REG/library/members:1" 2>&1)
is "$?" 0 "a two-member gzip layer: pulled (its diff_id matched)"
is "$(ref_json "$REG/library/members:1" | jq -r '.layers[0].diff_id')" "$diff_id" "a two-member gzip layer: diff_id"

# several layers (fetched by parallel workers), gzip and plain, and one
# already stored: the same image as loaded
mkdir -p "$T/l2/etc" "$T/l3/srv"
echo two >"$T/l2/etc/two" && head -c 3000000 /dev/urandom >"$T/l3/srv/big"
tar_dir "$T/l2" "$T/l2.tar" && tar_dir "$T/l3" "$T/l3.tar"
gzip -n -c "$T/l3.tar" >"$T/l3.tar.gz"
mk_docker_archive "$T/multi.tar" "multi:1" "$T/rootfs.tar" "$T/l2.tar" "$T/l3.tar.gz"
registry_put "$T/multi.tar" library/layers:1
rm -rf "$STORE" "$T/loaded"
rt pull "$REG/library/busy:1" >/dev/null 2>&1
err=$(rt pull "$REG/library/layers:1" 2>&1 >/dev/null)
is "$?" 0 "several layers: pull exits 0"
is "$(grep -c 'already exists' <<<"$err")" 1 "several layers: the stored one is not fetched again"
is "$(grep -c 'bytes pulled in' <<<"$err")" 2 "several layers: the two others are"
STORE=$T/loaded rt load -i "$T/multi.tar" >/dev/null
ref=$(ref_json "$REG/library/layers:1")
loaded=$(STORE=$T/loaded ref_json docker.io/library/multi:1)
is "$(jq -c '[.config, .layers[].diff_id]' <<<"$ref")" \
	"$(jq -c '[.config, .layers[].diff_id]' <<<"$loaded")" "several layers: config and diff_ids as loaded"
rt base k2 '{"image": "'"$REG/library/layers:1"'"}' 2>/dev/null
check "several layers: they unpack" [ -s "$STORE/layers/$(sha "$T/l3.tar")/srv/big" ]

done_testing

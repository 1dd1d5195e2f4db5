#!/usr/bin/env bash
# Disk full: a small tmpfs as the state dir (a COPY, then a layer that do
# not fit), as the output dir (pack) and as the store (an import's blob,
# then a FROM's unpacked layer, then a pull's layer from a registry). Each
# fails with a clear ENOSPC message naming what it wrote, leaves no stamp
# and no temp file, and the next make after the tmpfs grows succeeds and
# gives the bytes a build that never ran out of space gives.
# Runs in its own mount namespace so the tmpfs mounts vanish with it.
if [ -z "${DF_DISKFULL_NS:-}" ] && [ "$(id -u)" = 0 ]; then
	DF_DISKFULL_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
. "$SRCDIR/tests/sh/security/common.bash"
base_image || { not_ok "base image import"; done_testing; exit 1; }

# temps DIR: write_atomic/blob/pack temp names left in DIR.
temps() { find "$1" -maxdepth 2 \( -name '*.tmp*' -o -name '.tmp-*' \) 2>/dev/null; }
# tmpfs_at DIR SIZE: a fresh tmpfs of SIZE at DIR.
tmpfs_at() { mkdir -p "$1" && mount -t tmpfs -o "size=$2" tmpfs "$1"; }
# tar_has TAR NAME...: the archive reads and holds every NAME.
tar_has() { local t=$1; shift; tar -tf "$t" "$@" >/dev/null 2>&1; }

# 1. A COPY that does not fit in the state dir.
D=$T/copy
dockerfile "$D" 'FROM busybox
COPY big /big
RUN echo after'
head -c 3000000 /dev/urandom >"$D/ctx/big"
tmpfs_at "$D/state" 1m
build "$D"
is "$rc" 2 "COPY onto a full state dir: make fails"
log_has "$D" "COPY step: write big: No space left on device" "with a COPY step ENOSPC message naming the file"
check "the COPY has no stamp" [ -z "$(grep -l 'COPY big' "$D"/state/*.done 2>/dev/null)" ] &&
	[ "$(ls "$D"/state/*.done | wc -l)" -eq 1 ]
is "$(temps "$D/state")" "" "no temp file left in the state dir"
mount -o remount,size=64m "$D/state"
build "$D"
is "$rc" 0 "after space is freed the build succeeds"
check "and wrote the image" tar_has "$D/image.tar" manifest.json
check "the same bytes as a build that never ran out of space" same_as_fresh "$D"

# 2. A RUN whose layer tar does not fit (the RUN itself fits).
D=$T/layer
dockerfile "$D" 'FROM busybox
RUN yes 0123456789abcdef | head -c 700000 >/r'
tmpfs_at "$D/state" 1200k
build "$D"
is "$rc" 2 "layer onto a full state dir: make fails"
log_has "$D" "layer: write $D/state/[0-9a-f]*/layer.tar: $D/state/[0-9a-f]*/upper/r: No space left on device" \
	"with an ENOSPC message naming the layer it writes (before: only upper/r)"
check "no .layer written" [ -z "$(ls "$D"/state/*.layer 2>/dev/null)" ]
is "$(temps "$D/state")" "" "no temp file left in the state dir"
mount -o remount,size=64m "$D/state"
build "$D"
is "$rc" 0 "after space is freed the build succeeds"
check "the same bytes as a build that never ran out of space" same_as_fresh "$D"

# 3. pack into a full output dir.
D=$T/pack
dockerfile "$D" 'FROM busybox
RUN echo x >/x'
mkdir -p "$D/out"
tmpfs_at "$D/out" 256k
compile "$D" -o "$D/out/image.tar"
make -f "$D/build.mk" >"$D/log" 2>&1
rc=$?
is "$rc" 2 "pack into a full output dir: make fails"
log_has "$D" "write image $D/out/image.tar: write blobs/sha256/[0-9a-f]{64}: .*No space left on device" "with an ENOSPC message naming the image and its member"
check "no image.tar under its real name" [ ! -e "$D/out/image.tar" ]
is "$(temps "$D/out")$(ls -A "$D/out")" "" "no temp file left in the output dir"
mount -o remount,size=64m "$D/out"
make -f "$D/build.mk" >"$D/log" 2>&1
is "$?" 0 "after space is freed pack succeeds"
check "and the image is complete" tar_has "$D/out/image.tar" manifest.json index.json
mv "$D/out/image.tar" "$D/image.tar"
check "the same bytes as a build that never ran out of space" same_as_fresh "$D"

# 4. import into a full store: the blob does not fit.
S4=$T/store4
tmpfs_at "$S4" 1m
mkdir -p "$T/big4" && head -c 3000000 /dev/urandom >"$T/big4/big"
tar -C "$T/big4" -cf "$T/big4.tar" .
out=$("$RT" --store "$S4" import "$T/big4.tar" big:1 2>&1)
is "$?" 1 "import into a full store: fails"
like "$out" "No space left on device" "with an ENOSPC message"
is "$(temps "$S4/blobs/sha256")$(ls -A "$S4/blobs/sha256")$(ls -A "$S4/refs" 2>/dev/null)" "" \
	"no blob, no temp, no image in the store"
mount -o remount,size=64m "$S4"
out=$("$RT" --store "$S4" import "$T/big4.tar" big:1 2>&1)
is "$?" 0 "after space is freed the import succeeds"

# 5. FROM into a full store: the blob fits, its unpacked layer does not.
S5=$T/store5
tmpfs_at "$S5" 1200k
mkrootfs "$T/r5" && rm "$T/r5/bin/busybox" && head -c 700000 /dev/urandom >"$T/r5/big"
tar -C "$T/r5" -cf "$T/r5.tar" .
"$RT" --store "$S5" import "$T/r5.tar" r5 >/dev/null 2>&1
is "$?" 0 "an image whose blob fits the store"
D=$T/unpack
dockerfile "$D" 'FROM r5
COPY Dockerfile /x'
saved=$ST ST=$S5
build "$D"
ST=$saved
is "$rc" 2 "FROM whose layer does not fit the store: make fails"
log_has "$D" "unpack layer sha256:[0-9a-f]{64}: write big: Write failed: No space left on device" "with an ENOSPC message naming the layer and the file"
is "$(temps "$S5/layers")$(ls -A "$S5/layers")" "" "no layer directory and no temp in layers/"
mount -o remount,size=64m "$S5"
make -f "$D/build.mk" >"$D/log" 2>&1
is "$?" 0 "after space is freed the build succeeds"
check "the layer is unpacked whole" cmp -s "$T/r5/big" "$S5/layers/$(jq -r '.[0].diff_id' "$D"/state/*/chain.json | head -1 | cut -c8-)/big"

# 6. pull into a full store: the layer's blob (3 MB) does not fit.
need python3 timeout base64
S6=$T/store6
tmpfs_at "$S6" 1m
export CONTAINERS_REGISTRIES_CONF=$T/none.conf REGISTRY_AUTH_FILE= DOCKER_CONFIG=$T/docker XDG_RUNTIME_DIR=
mkdir -p "$DOCKER_CONFIG"
coproc FAKE { exec python3 "$SRCDIR/tests/sh/registry/hostile.py" "$T/reglog" big-layer; }
read -r RP _ <&"${FAKE[0]}"
printf '{"auths":{"127.0.0.1:%s":{"auth":"%s"}}}\n' "$RP" "$(printf a:b | base64)" \
	>"$DOCKER_CONFIG/config.json"
pull6() { timeout 60 "$RT" --quiet --store "$S6" pull "127.0.0.1:$RP/library/x:1" 2>&1; }
# blobs_ok: every blob of the store hashes to its name; prints their count.
blobs_ok() {
	local f n=0
	for f in "$S6"/blobs/sha256/*; do
		[ -e "$f" ] || continue
		[ "$(sha256sum <"$f" | cut -c1-64)" = "${f##*/}" ] || return 1
		n=$((n + 1))
	done
	echo "$n"
}
out=$(pull6)
is "$?" 1 "pull into a full store: fails"
like "$out" "blob sha256:[0-9a-f]{64}: .*No space left on device" "with an ENOSPC message naming the blob"
is "$(temps "$S6/blobs/sha256")$(ls -A "$S6/refs" 2>/dev/null)" "" "no temp, no image in the store"
check "no blob under a wrong name" blobs_ok
mount -o remount,size=64m "$S6"
out=$(pull6)
is "$?" 0 "after space is freed the pull succeeds"
is "$(blobs_ok)" 3 "manifest, config and layer stored, each under its digest"
kill "$FAKE_PID" && wait "$FAKE_PID" 2>/dev/null
done_testing

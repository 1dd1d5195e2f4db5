#!/usr/bin/env bash
# Disk full: a small tmpfs as the state dir (a COPY, then a layer that do
# not fit) and as the output dir (pack). Each fails with a clear ENOSPC
# message, leaves no stamp and no temp file, and the next make after the
# tmpfs grows succeeds.
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
log_has "$D" "COPY step.*No space left on device" "with a COPY step ENOSPC message"
check "the COPY has no stamp" [ -z "$(grep -l 'COPY big' "$D"/state/*.done 2>/dev/null)" ] &&
	[ "$(ls "$D"/state/*.done | wc -l)" -eq 1 ]
is "$(temps "$D/state")" "" "no temp file left in the state dir"
mount -o remount,size=64m "$D/state"
build "$D"
is "$rc" 0 "after space is freed the build succeeds"
check "and wrote the image" tar_has "$D/image.tar" manifest.json

# 2. A RUN whose layer tar does not fit (the RUN itself fits).
D=$T/layer
dockerfile "$D" 'FROM busybox
RUN head -c 700000 /dev/urandom >/r'
tmpfs_at "$D/state" 1200k
build "$D"
is "$rc" 2 "layer onto a full state dir: make fails"
log_has "$D" "No space left on device" "with an ENOSPC message"
check "no .layer written" [ -z "$(ls "$D"/state/*.layer 2>/dev/null)" ]
is "$(temps "$D/state")" "" "no temp file left in the state dir"
mount -o remount,size=64m "$D/state"
build "$D"
is "$rc" 0 "after space is freed the build succeeds"

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
log_has "$D" "No space left on device" "with an ENOSPC message"
check "no image.tar under its real name" [ ! -e "$D/out/image.tar" ]
is "$(temps "$D/out")$(ls -A "$D/out")" "" "no temp file left in the output dir"
mount -o remount,size=64m "$D/out"
make -f "$D/build.mk" >"$D/log" 2>&1
is "$?" 0 "after space is freed pack succeeds"
check "and the image is complete" tar_has "$D/out/image.tar" manifest.json index.json
done_testing

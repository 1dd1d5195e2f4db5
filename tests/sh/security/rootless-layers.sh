#!/usr/bin/env bash
# Device nodes and setuid files in a base image's layer, loaded and built
# FROM by an unprivileged user (rootless): the user cannot make a device
# node, so a char or block node becomes an empty file (never a host
# device: the rootfs is nodev anyway); a FIFO stays one; setuid and setgid
# files keep their bits, owned by the namespace's root (the user), so they
# give a USER at most that root. Nothing is made outside the user's store.
. "$SRCDIR/tests/lib.sh"
need make timeout python3
. "$SRCDIR/tests/lib/rootless.sh"
rootless_start
rootless_workdir df2make-rllayers
MKTAR="python3 $SRCDIR/tests/sh/security/mktar.py"
mkdir -p "$W/rootfs/bin" "$W/rootfs/etc" "$W/host" "$W/ctx"
cp "$BUSYBOX" "$W/rootfs/bin/busybox" && ln -s busybox "$W/rootfs/bin/sh"
printf 'root:x:0:0::/:/bin/sh\n' >"$W/rootfs/etc/passwd"
tar -C "$W/rootfs" -cf "$W/bb.tar" .
$MKTAR tar devices "$W/dev.tar" "$W/host"
$MKTAR tar setuid "$W/suid.tar" "$W/host"
echo '{"config": {"Env": ["PATH=/bin"]}, "history": []}' >"$W/env.json"
$MKTAR image "$W/img.tar" nodes:1 --config "$W/env.json" "$W/bb.tar" "$W/dev.tar" "$W/suid.tar"
chown -R "$RLUSER:" "$W"
out=$(as_user "$DF2MAKE_RUNTIME_BIN" --store "$W/store" load -i "$W/img.tar" 2>&1)
is "$?:$out" "0:Loaded image: docker.io/library/nodes:1" "the user loads the image"
printf '%s\n' 'FROM nodes:1' \
	'RUN --network=none for f in null2 disk fifo suid sgid; do stat -c "%n %F %a %u:%g %t,%T" /$f; done' \
	>"$W/ctx/Dockerfile"
chown "$RLUSER:" "$W/ctx/Dockerfile"
as_user "$DF2MAKE" . >"$W/ctx/build.mk" 2>"$W/compile.log" &&
	as_user timeout 120 make -f build.mk DF2MAKE_RUNTIME="$DF2MAKE_RUNTIME_BIN" >"$W/make.log" 2>&1
is "$?" 0 "a build FROM it as the user"
is "$(sed -n 's/^#[0-9]* [0-9.]* \/\(null2\|disk\|fifo\|suid\|sgid\) /\1 /p' "$W/make.log")" \
	"null2 regular empty file 644 0:0 0,0
disk regular empty file 644 0:0 0,0
fifo fifo 644 0:0 0,0
suid regular file 4755 0:0 0,0
sgid regular file 2755 0:0 0,0" \
	"devices are empty files, the FIFO a FIFO, setuid/setgid bits kept, owned by the namespace's root"
is "$(ls -A "$W/host")" "" "nothing made in the host directory"
is "$(find "$W/store/layers" -type c -o -type b | wc -l)" 0 "no device node in the user's store"
done_testing

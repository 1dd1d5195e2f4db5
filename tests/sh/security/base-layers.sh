#!/usr/bin/env bash
# Hostile base image layers (tests/sh/security/mktar.py "base" kinds) on
# top of a busybox layer, loaded and built FROM as root: a link made in a
# lower layer or earlier in the same layer and a file through it; a
# hardlink to a file of a lower layer or to a later member; whiteouts of
# "..", of "" and "/", an opaque whiteout at the root; an owner of
# 2^32-1; a file 10,000 directories deep, a 64 KiB path, a 64 KiB name.
# Each is refused with a message naming the member (no layer directory,
# no temp left) or confined to the rootfs as docker's overlay2 driver and
# containerd do; nothing on the host outside the store and state changes.
. "$SRCDIR/tests/sh/security/common.bash"
need timeout
MKTAR="python3 $SRCDIR/tests/sh/security/mktar.py"
base_image || { not_ok "base image import"; done_testing; exit 1; }
mkcanary
tar -C "$T/rootfs-busybox" -cf "$T/bb.tar" .
echo '{"config": {"Env": ["PATH=/bin"]}, "history": []}' >"$T/env.json"

# hostile KIND... : an image KIND (the first's name without -1) of the
# busybox layer and the KINDs' layers, loaded; FROM it a RUN that prints
# what the attack left in the rootfs. rc, log in $T/NAME/log, err: the
# runtime's error line; L: the diff_id (hex) of the last KIND's layer.
hostile() {
	local k l=() n=${1%-1}
	for k in "$@"; do
		$MKTAR base "$k" "$T/$k.tar" "$T" && l+=("$T/$k.tar")
	done
	L=$(sha256sum <"$T/$k.tar" | cut -c1-64)
	$MKTAR image "$T/$n.img" "$n:1" --config "$T/env.json" "$T/bb.tar" "${l[@]}" &&
		"$RT" --store "$ST" load -i "$T/$n.img" >/dev/null || { rc=load; return; }
	D=$T/$n
	dockerfile "$D" "FROM $n:1
RUN ls -A / | tr '\n' ' '; echo; ls -A /a 2>&1; stat -c 'umax %u %g %a' /umax 2>&1; echo ran"
	compile "$D"
	timeout 120 make -f "$D/build.mk" >"$D/log" 2>&1
	rc=$?
	err=$(grep '^df2make-runtime: ' "$D/log" | tail -n 1)
}
# out: the RUN's output lines (make's progress prefix removed).
out() { sed -n 's/^#[0-9]* [0-9.]* //p' "$D/log"; }
# refused: no layer directory for $L, no temp in the store's layers.
refused() { [ ! -e "$ST/layers/$L" ] && [ -z "$(ls -A "$ST/layers" | grep -v '^[0-9a-f]\{64\}\(\.ok\)\{0,1\}$')" ]; }
# host_clean: the canary intact, no pwned-* outside the store and $T/NAME.
host_clean() { canary_intact && [ -z "$(find "$T" -name 'pwned-*' -not -path "$ST/*" -not -path "$D/*")" ]; }
E="df2make-runtime: Dockerfile:1: FROM docker.io/library"

hostile link-lower-1 link-lower-2
is "$rc" 0 "a link to a host dir in a lower layer, a file through it above: built"
is "$(out | sed -n 2p)" pwned-link-lower \
	"the upper layer's directory a/ hides the link (each layer unpacked on its own, as docker's overlay2)"
check "nothing written on the host" host_clean

hostile link-same
is "$rc:$err" "2:$E/link-same:1: unpack layer sha256:$L: a/pwned-link-same: Cannot extract through symlink a/pwned-link-same" \
	"a link and a file through it in one layer: refused (containerd resolves it inside the root)"
check "no layer directory, no temp" refused
check "nothing written on the host" host_clean

hostile hardlink-lower
is "$rc:$err" "2:$E/hardlink-lower:1: unpack layer sha256:$L: hl: Hard-link target 'bin/busybox' does not exist." \
	"a hardlink to a lower layer's file: refused (as docker's overlay2, which applies a layer alone)"
check "no layer directory, no temp" refused

hostile hardlink-later
is "$rc:$err" "2:$E/hardlink-later:1: unpack layer sha256:$L: hl: Hard-link target 'later' does not exist." \
	"a hardlink to a member not yet extracted: refused (as containerd)"
check "no layer directory, no temp" refused

hostile wh-dotdot
is "$rc:$err" "2:$E/wh-dotdot:1: unpack layer sha256:$L: .wh...: Path contains '..'" \
	"a whiteout of '..': refused"
check "no layer directory, no temp" refused
for k in wh-empty wh-slash; do
	hostile $k
	is "$rc:$err" "2:$E/$k:1: unpack layer sha256:$L: invalid whiteout .wh." \
		"$k: a whiteout of '' or '/': refused"
	check "no layer directory, no temp" refused
done

hostile wh-root-opq
is "$rc:$(out | head -n 1)" "0:bin dev etc keep proc root sys tmp usr " \
	"an opaque whiteout at the root: built; the lower layers stay (overlayfs ignores an opaque root)"
check "nothing removed or written on the host" host_clean

hostile uid-max
is "$rc:$(out | grep '^umax ')" "0:umax 0 0 4755" \
	"an owner of 2^32-1 (-1, 'no change' to lchown): root's, as containerd leaves it; the setuid bit gives at most the sandbox's root"

hostile deep
is "$rc" 0 "a file 10,000 directories deep (20 KB path): built"
f=$(find "$ST/layers/$L" -name f)
is "$(printf '%s' "${f#"$ST/layers/$L/"}" | tr -cd / | wc -c)" 10000 "it is unpacked whole"
hostile longpath
is "$rc" 0 "a 64 KiB path (32,767 directories): built"
f=$(find "$ST/layers/$L" -name b)
is "$(printf '%s' "${f#"$ST/layers/$L/"}" | wc -c)" 65535 "it is unpacked whole"

hostile longname
n110=$(printf 'n%.0s' $(seq 110))
is "$rc:$err" "2:$E/longname:1: unpack layer sha256:$L: $n110[...]$n110: Could not stat $(printf 'n%.0s' $(seq 95))[...]$n110: File name too long" \
	"a 64 KiB member name: refused, the name shortened so the reason shows (before: 2 KB of n's, no reason)"
check "no layer directory, no temp" refused
check "nothing anywhere on the host" host_clean
done_testing

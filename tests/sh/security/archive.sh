#!/usr/bin/env bash
# Hostile archives, through ADD and through a base image loaded with
# `df2make-runtime load`: `../` and absolute names, a symlink then a file
# written through it, hardlinks to outside, devices, setuid files, `.wh.`
# whiteouts aimed outside. Each kind (tests/sh/security/mktar.py) aims at
# $T: it tries to create $T/pwned-KIND or to overwrite/delete $T/canary.
# Expected: the build fails or extracts inside the rootfs; the host canary
# is intact and no pwned file appears on the host.
. "$SRCDIR/tests/sh/security/common.bash"
need python3
MKTAR="python3 $SRCDIR/tests/sh/security/mktar.py"
base_image || { not_ok "base image import"; done_testing; exit 1; }

# outcome: "failed" or "ok", for the record in docs/security.md.
outcome() {
	[ "$rc" -eq 0 ] && echo ok && return
	echo "failed: $(grep -m1 '^df2make-runtime:' "$D/log" | sed 's/.*: \([^:]*: [^:]*\)$/\1/')"
}
# in_image PATH: PATH in whichever layer holds it.
in_image() { find "$D/layers" -path "$D/layers/*$1" | head -1; }

for kind in $($MKTAR kinds); do
	mkcanary
	D=$T/add-$kind
	dockerfile "$D" 'FROM busybox
ADD h.tar /dest/
RUN ls -la /dest >/dev/null'
	$MKTAR tar "$kind" "$D/ctx/h.tar" "$T"
	build "$D"
	echo "# ADD $kind: $(outcome)"
	check "ADD $kind: host canary intact, nothing written outside" canary_intact
	check "ADD $kind: no mount left" no_state_mounts "$D/state"
done

# A setuid file from an archive keeps its mode inside the image (as
# BuildKit), and so sits in the state dir's upper: the state dir must not
# let other users reach it (CVE-2021-41091).
D=$T/add-setuid
unpack_image "$D"
is "$(stat -c %a "$(in_image /dest/suid)" 2>&1)" 4755 "ADD setuid: mode kept in the layer"
# others: the "other" permission digit of a path (0 = unreachable).
others() { stat -c %a "$1" | sed 's/.*\(.\)$/\1/'; }
is "$(others "$D/state")" 0 "state dir not reachable by other users (CVE-2021-41091)"
D=$T/add-devices
unpack_image "$D"
is "$(stat -c %F "$(in_image /dest/null2)" 2>&1)" "character special file" \
	"ADD devices: the node is created in the layer, as root BuildKit does"

# The same archives as a base image layer over a busybox layer.
base_tar=$T/rootfs-busybox.tar
for kind in $($MKTAR kinds); do
	mkcanary
	D=$T/load-$kind
	mkdir -p "$D"
	$MKTAR tar "$kind" "$D/layer.tar" "$T"
	$MKTAR image "$D/image-in.tar" "hostile-$kind:latest" "$base_tar" "$D/layer.tar"
	"$RT" --store "$ST" load -i "$D/image-in.tar" >"$D/load.log" 2>&1
	lrc=$?
	if [ "$lrc" -eq 0 ]; then
		dockerfile "$D" "FROM hostile-$kind
RUN ls / >/dev/null"
		build "$D"
		echo "# load $kind: load ok, build $(outcome)"
	else
		echo "# load $kind: load failed: $(head -1 "$D/load.log")"
	fi
	check "base layer $kind: host canary intact, nothing written outside" canary_intact
done
is "$(others "$ST")" 0 "store (unpacked base layers, setuid files) not reachable by other users"
check "no overlay under the store or any state dir" refute grep -qF " $T/" /proc/self/mountinfo

# load reads only what is inside the archive (or directory) it is given.
mkcanary
echo "TOPSECRET-$$" >"$T/secret"
mkdir -p "$T/secretlayer" && cp "$T/secret" "$T/secretlayer/"
tar -C "$T/secretlayer" -cf "$T/secret.tar" .
$MKTAR layout "$T/dirimg" "dirimg:latest" "../secret.tar"
"$RT" --store "$ST" load -i "$T/dirimg" >"$T/dirimg.log" 2>&1
rc=$?
check "load of a directory whose manifest names ../secret.tar: fails" [ "$rc" -ne 0 ]
$MKTAR layout "$T/dirimg2" "dirimg2:latest" "$T/secret.tar"
"$RT" --store "$ST" load -i "$T/dirimg2" >"$T/dirimg2.log" 2>&1
rc=$?
check "load of a directory whose manifest names an absolute path: fails" [ "$rc" -ne 0 ]
check "no blob holds the outside secret" refute grep -rqa "TOPSECRET-$$" "$ST/blobs"
done_testing

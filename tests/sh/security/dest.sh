#!/usr/bin/env bash
# Destination escape: COPY/ADD into paths that are symlinks in the base
# image pointing at host-like absolute paths (or climbing with ..), WORKDIR
# through such symlinks, COPY --from a stage whose source is a symlink to a
# host path. Expected: everything resolves inside the rootfs, as a chroot
# would; the host paths the links name are never touched or read.
. "$SRCDIR/tests/sh/security/common.bash"
mkcanary
SECRET=TOPSECRET-$$-dest
echo "$SECRET" >"$T/secret"
mkdir -p "$T/hostdir" && echo keep >"$T/hostdir/keep"
mkdir -p "$T/links/usr/local" "$T/links/etc"
ln -s "$T/hostdir" "$T/links/usr/local/bin"
ln -s "$T/canary" "$T/links/etc/target"
ln -s "$T/hostdir" "$T/links/w"
ln -s ../../../../../../../../../.."$T/hostdir" "$T/links/rel"
ln -s "$T/secret" "$T/links/evil"
ln -s /etc/passwd "$T/links/pw"
base_image busybox "$T/links" || { not_ok "base image import"; done_testing; exit 1; }
host_clean() { canary_intact && [ "$(ls -A "$T/hostdir")" = keep ]; }

D=$T/b
dockerfile "$D" "FROM busybox AS a
FROM busybox
COPY f /usr/local/bin/
COPY f /etc/target
COPY f /rel/f-rel
COPY f /w/../../../../../../..$T/hostdir/f-dotdot
ADD t.tar /usr/local/bin/
WORKDIR /w/sub
RUN echo wd >here
COPY --link f /w/linked
WORKDIR /rel/sub2
RUN echo wd2 >here2 && echo pwd=\$(pwd)
RUN cat /usr/local/bin/f /etc/target >/dev/null"
echo PWNED >"$D/ctx/f"
mkdir -p "$T/tsrc" && echo PWNED >"$T/tsrc/from-tar"
tar -C "$T/tsrc" -cf "$D/ctx/t.tar" .
build "$D"
is "$rc" 0 "the build through symlinked destinations succeeds"
check "host canary and host dir untouched" host_clean
unpack_image "$D"
# in_layers PATH: the file exists in some layer of the image.
in_layers() { [ -n "$(find "$D/layers" -path "$D/layers/*$1" -print -quit)" ]; }
check "COPY to /usr/local/bin/ (-> $T/hostdir) landed in the rootfs" in_layers "$T/hostdir/f"
check "COPY onto /etc/target (-> $T/canary) replaced the rootfs's $T/canary" in_layers "$T/canary"
check "COPY through a ../ symlink landed in the rootfs" in_layers "$T/hostdir/f-rel"
check "ADD through a symlinked dir landed in the rootfs" in_layers "$T/hostdir/from-tar"
check "WORKDIR through a symlink created its dir in the rootfs" in_layers "$T/hostdir/sub/here"
check "WORKDIR through a ../ symlink too" in_layers "$T/hostdir/sub2/here2"
check "COPY --link replaces the symlinked /w by a directory (never follows it)" in_layers "/w/linked"

# BuildKit resolves a --from source's symlinks inside that stage's rootfs.
D=$T/frompw
dockerfile "$D" "FROM busybox AS a
FROM busybox
COPY --from=a /pw /from-pw"
build "$D"
is "$rc" 0 "COPY --from of a symlink to /etc/passwd succeeds (resolved in the stage)"
[ ! -f "$D/image.tar" ] || unpack_image "$D"
is "$(cat "$(find "$D/layers" -name from-pw 2>/dev/null | head -1)" 2>/dev/null)" \
	"$(cat "$T/rootfs-busybox/etc/passwd")" "  and reads the stage's passwd, not the host's"

D=$T/evil
dockerfile "$D" "FROM busybox AS a
FROM busybox
COPY --from=a /evil /e"
build "$D"
check "COPY --from of a symlink to a host-only file: fails" [ "$rc" -ne 0 ]
check "  and the host file is not in any image" refute grep -rqa "$SECRET" "$D/state"
check "nothing of the host dir changed after all builds" host_clean
done_testing

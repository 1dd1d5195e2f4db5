#!/usr/bin/env bash
# After a RUN, the runtime removes the mount stubs it created in the
# upper (empty mount-point directories and files). The step can replace a
# parent of a stub by a symlink to the host ("mv /x /z; ln -s /HOST /x");
# following it, the cleanup removed the host's empty directory or file of
# the stub's name. With safe_lstat (lib/safeopen.c) it does not look
# through symlinks. Also the lowers: a symlink in a base layer is not
# followed when a stub's parent is compared with the layers below.
. "$SRCDIR/tests/sh/security/common.bash"
base_image || { not_ok "base image import"; done_testing; exit 1; }

D=$T/stub
mkdir -p "$T/victim/y" "$T/victim2"
: >"$T/victim2/f"
dockerfile "$D" "FROM busybox
RUN --mount=type=tmpfs,target=/x/y mv /x /z && ln -s $T/victim /x
RUN --mount=type=bind,source=Dockerfile,target=/w/f mv /w /v && ln -s $T/victim2 /w"
build "$D"
is "$rc" 0 "the build succeeds"
check "the host's empty directory named like a tmpfs stub survives" test -d "$T/victim/y"
check "the host's empty file named like a bind stub survives" test -f "$T/victim2/f"
unpack_image "$D"
is "$(readlink "$(last_layer "$D")/w")" "$T/victim2" "the image keeps the step's symlink"
done_testing

#!/usr/bin/env bash
# Registry cache keys do not depend on who builds (issue #14 item 4): a
# cache pushed by root is taken whole by an unprivileged user (rootless,
# its own store and state, the context copied elsewhere and owned by it),
# and a cache pushed by the user is taken whole by root: 0 RUN steps and
# the same image digest both ways.
. "$SRCDIR/tests/sh/cache/common.bash"
. "$SRCDIR/tests/lib/registry.sh"
. "$SRCDIR/tests/lib/rootless.sh"
need curl python3
rootless_user
rootless_can_run "$DF2MAKE" "$DF2MAKE_RUNTIME_BIN"
export SOURCE_DATE_EPOCH=1700000000
export REGISTRY_AUTH_FILE= XDG_RUNTIME_DIR=
registry_start || { not_ok "registry starts"; done_testing; exit; }
# Root's temp dir is 0700: the user's files live in their own dir.
W=$(mktemp -d /var/tmp/df2make-regcache.XXXXXX)
trap 'registry_stop; rm -rf "$W"' EXIT
chown "$RLUSER:" "$W"
export CONTAINERS_REGISTRIES_CONF=$W/none.conf DOCKER_CONFIG=$W/docker

# A context needing no base image; the RUNs write random bytes.
mkctx() {
	mkdir -p "$1/src"
	cp "$BUSYBOX" "$1/busybox"
	echo "$2" >"$1/src/a.txt"
	cat >"$1/Dockerfile" <<'DF'
FROM scratch
COPY busybox /bin/busybox
RUN --network=none ["/bin/busybox", "sh", "-c", "/bin/busybox od -An -N16 -tx1 /dev/urandom >/stamp"]
COPY src /src
RUN --network=none ["/bin/busybox", "sh", "-c", "/bin/busybox cat /src/a.txt >/built"]
DF
}
# as_user M CTX ARGS...: compile and make as the user, machine M in $W
# (state, store, image, log).
as_user() {
	local m=$1 c=$2
	shift 2
	mkdir -p "$m" && chown "$RLUSER:" "$m"
	(cd "$m" && setpriv --reuid="$RLUID" --regid="$RLGID" --clear-groups env HOME="$W" \
		sh -c '"$@" >build.mk 2>log && make -f build.mk >>log 2>&1' sh \
		"$DF2MAKE" --store "$m/store" --state "$m/state" -o "$m/image.tar" "$@" "$c")
	rc=$?
}

# root -> user
mkctx "$T/a/ctx" alpha
A=$T/A
mkdir -p "$A"
build "$A" "$T/a/ctx" --cache-to "type=registry,ref=$REG/cache/u:root,mode=max"
is "$rc:$(ran "$A")" "0:2" "root builds (2 RUN steps) and pushes its cache"
mkctx "$W/u/ctx" alpha
chown -R "$RLUSER:" "$W/u"
as_user "$W/U" "$W/u/ctx" --cache-from "$REG/cache/u:root"
is "$rc" 0 "the user builds from root's cache"
sed 's/^/#   /' "$W/U/log" | grep -iE 'error|warning' | head -5
is "$(ran "$W/U"):$(grep -c ' CACHED$' "$W/U/log")" 0:4 "  0 RUN steps, the 4 steps CACHED"
is "$(digest "$W/U")" "$(digest "$A")" "  root's image digest"

# user -> root
mkctx "$W/u2/ctx" beta
chown -R "$RLUSER:" "$W/u2"
as_user "$W/U2" "$W/u2/ctx" --cache-to "$REG/cache/u:user"
is "$rc:$(ran "$W/U2")" "0:2" "the user builds (2 RUN steps, rootless) and pushes its cache"
mkctx "$T/r/other/place" beta
R=$T/R
mkdir -p "$R"
build "$R" "$T/r/other/place" --cache-from "$REG/cache/u:user"
is "$rc:$(ran "$R"):$(grep -c ' CACHED$' "$R/log")" "0:0:4" \
	"root builds from the user's cache: 0 RUN steps, the 4 steps CACHED"
is "$(digest "$R")" "$(digest "$W/U2")" "  the user's image digest"
done_testing

#!/usr/bin/env bash
# fsck and gc of the store and state after each kind of build that puts
# something of its own there: FROM an image pulled from a registry, a
# local --cache-from import, --push, ADD of a git repository. After each,
# fsck reports no problem, gc removes nothing the build still uses (fsck
# stays clean, make -q answers as before, the image packed again from what
# is left runs no step and is the same bytes), and a second gc removes
# nothing more. (ADD of a git branch is asked again at every make, so -q
# says "not up to date" there, before gc as after.)
. "$SRCDIR/tests/lib.sh"
. "$SRCDIR/tests/sh/image/helpers.bash"
. "$SRCDIR/tests/lib/registry.sh"
need make python3 skopeo jq git cmp
[ "$(id -u)" = 0 ] || skip_all "needs root (overlay mounts)"
export CONTAINERS_REGISTRIES_CONF=$T/none.conf REGISTRY_AUTH_FILE= DOCKER_CONFIG=$T/docker
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@t GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@t
export SOURCE_DATE_EPOCH=1700000000

mk_rootfs "$T/root"
tar_dir "$T/root" "$T/rootfs.tar"
mk_docker_archive "$T/busy.tar" "busy:1" "$T/rootfs.tar"
registry_start || { not_ok "registry starts"; done_testing; exit; }
registry_put "$T/busy.tar" library/busy:1

# a git repository served over loopback HTTP (git's dumb protocol)
git init -q -b main "$T/src"
echo one >"$T/src/f"
git -C "$T/src" add -A && git -C "$T/src" commit -qm one
mkdir -p "$T/srv"
git clone -q --bare "$T/src" "$T/srv/repo.git"
git -C "$T/srv/repo.git" update-server-info
python3 "$SRCDIR/tests/sh/net/serve.py" "$T/srv" "$T/http.log" >"$T/port" &
srv=$!
trap 'kill $srv 2>/dev/null; registry_stop' EXIT
for _ in $(seq 50); do [ -s "$T/port" ] && break; sleep 0.1; done
GITURL=http://127.0.0.1:$(cat "$T/port")/repo.git

B=$REG/library/busy:1
PULL="FROM $B
RUN echo hi >/x"
CACHED="FROM $B AS a
RUN echo a >/a
FROM $B
COPY --from=a /a /a
RUN cat /a >/b"
GITADD="FROM $B
ADD $GITURL#main /g
RUN cat /g/f >/copied"

# M: the machine's directory (store M/store, state M/state, M/ctx).
# mk ARGS...: make of M/build.mk (output in M/log).
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -f "$M/build.mk" "$@" >"$M/log" 2>&1; }
# machine NAME DOCKERFILE: a new machine at $T/NAME with that context.
machine() {
	M=$T/$1
	mkdir -p "$M/ctx"
	printf '%s\n' "$2" >"$M/ctx/Dockerfile"
}
# build ARGS...: df2make ARGS for M, then make; sets rc.
build() {
	"$DF2MAKE" --store "$M/store" --state "$M/state" -o "$M/image.tar" "$@" "$M/ctx" \
		>"$M/build.mk" 2>"$M/compile.err" && mk -j2
	rc=$?
}
rtm() { "$DF2MAKE_RUNTIME_BIN" --store "$M/store" --state "$M/state" "$@" >"$M/rt.log" 2>&1; }
files() { (cd "$M/store" && find . -type f | LC_ALL=C sort); }

# sound KIND: fsck clean, gc removes nothing live, a second gc nothing.
sound() {
	rtm fsck
	is "$?" 0 "$1: fsck exits 0"
	like "$(tail -1 "$M/rt.log")" "^fsck: [0-9]+ checked, 0 problems, 0 repaired\$" \
		"$1: fsck finds no problem"
	cp "$M/image.tar" "$M/before.tar"
	mk -q
	q0=$?
	# a blob nothing names: gc must take it (it does run)
	printf 'junk %s\n' "$1" >"$M/junk"
	junk=$M/store/blobs/sha256/$(sha256sum "$M/junk" | cut -c1-64)
	cp "$M/junk" "$junk"
	rtm gc
	is "$?" 0 "$1: gc"
	check "$1: gc removed an unreferenced blob" test ! -e "$junk"
	files >"$M/after-gc1"
	rtm fsck
	like "$?:$(tail -1 "$M/rt.log")" "^0:fsck: [0-9]+ checked, 0 problems" "$1: fsck after gc: clean"
	mk -q
	is "$?" "$q0" "$1: after gc, make -q answers as before ($q0)"
	rm -f "$M/image.tar"
	mk
	is "$?" 0 "$1: after gc, make packs the image again"
	is "$(grep -E '^#[0-9]+ \[' "$M/log")" "" "$1: ... and runs no step"
	check "$1: ... from what gc left: the same bytes" cmp -s "$M/image.tar" "$M/before.tar"
	rtm gc
	files >"$M/after-gc2"
	is "$(diff "$M/after-gc1" "$M/after-gc2")" "" "$1: a second gc removes nothing more"
}

# 1. FROM an image the store lacks: pulled by build.mk
machine pull "$PULL"
build
is "$rc" 0 "pull: the build"
check "pull: the image was pulled into the store" test -n "$(ls "$M/store/refs")"
sound pull

# 2. --cache-from type=local: a first machine exports, another imports
machine export "$CACHED"
build --cache-to "type=local,dest=$T/cache"
is "$rc" 0 "cache import: the exporting build"
machine import "$CACHED"
build --cache-from "type=local,src=$T/cache"
is "$rc" 0 "cache import: the importing build"
like "$(cat "$M/log")" "CACHED" "cache import: steps restored from the cache"
sound "cache import"

# 3. --push
machine push "$PULL"
build --push -t "$REG/pushed/img:1"
is "$rc" 0 "push: the build"
check "push: the registry has the image" \
	skopeo inspect --tls-verify=false --raw "docker://$REG/pushed/img:1" >/dev/null 2>&1
sound push

# 4. ADD of a git repository
machine git "$GITADD"
build
is "$rc" 0 "ADD git: the build"
sound "ADD git"
done_testing

# tests/lib/ctxbuild.sh: one context built again and again with other
# df2make flags (tests/sh/flags/*.sh), sourced after tests/lib.sh: root,
# make and python3, a store of the test's own ($DF2MAKE_STORE), the context
# $T/ctx (the test writes its Dockerfile) and the working directory $T/out,
# where build.mk and the image land.
need make python3
[ "$(id -u)" = 0 ] || skip_all "needs root (overlay mounts)"
export DF2MAKE_STORE=$T/store
mkdir -p "$T/ctx" "$T/out"
cd "$T/out" || exit 1

# ctxbuild_busybox: the busybox base image in the store; without it the
# whole file is skipped.
ctxbuild_busybox() {
	. "$SRCDIR/tests/lib/images.sh"
	images_df2make busybox >"$T/load.log" 2>&1 ||
		skip_all "no busybox base image: $(tail -1 "$T/load.log")"
}

# ctxbuild ARGS...: df2make ARGS $T/ctx into build.mk, then make it. Sets
# rc; a failure shows the end of $T/compile.log and $T/make.log as TAP
# comments.
ctxbuild() {
	"$DF2MAKE" "$@" "$T/ctx" >build.mk 2>"$T/compile.log" && ctxbuild_make
	rc=$?
	[ "$rc" = 0 ] || sed 's/^/#   /' "$T/compile.log" "$T/make.log" | tail -15
	return "$rc"
}

# ctxbuild_make: make build.mk again (its output in $T/make.log).
ctxbuild_make() {
	make -f build.mk DF2MAKE_RUNTIME="$DF2MAKE_RUNTIME_BIN" >"$T/make.log" 2>&1
}

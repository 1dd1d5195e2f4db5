# Shared set-up for tests/sh/cache/*.sh (sourced; not a test itself): one
# busybox rootfs tar made once with fixed mtimes, so that every store the
# tests load it into (one per "machine") holds the same image digest.
. "$SRCDIR/tests/lib.sh"
. "$SRCDIR/tests/lib/buildout.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root (overlay mounts, namespaces)"
need jq tar make sha256sum
BUSYBOX=$(command -v busybox || echo /bin/busybox)
[ -x "$BUSYBOX" ] && file -L "$BUSYBOX" 2>/dev/null | grep -q 'statically linked' ||
	skip_all "static busybox (busybox-static) not installed"
RT=$DF2MAKE_RUNTIME_BIN
unset SOURCE_DATE_EPOCH

# The base rootfs: same bytes for every store.
mk_base_tar() {
	local r=$T/rootfs
	mkdir -p "$r/bin" "$r/etc" "$r/tmp"
	cp "$BUSYBOX" "$r/bin/busybox"
	for c in sh echo cat date true touch mkdir cp ls od head; do ln -s busybox "$r/bin/$c"; done
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$r/etc/passwd"
	printf 'root:x:0:\n' >"$r/etc/group"
	chmod 1777 "$r/tmp"
	tar --sort=name --numeric-owner --owner=0 --group=0 --mtime=@1700000000 \
		-C "$r" -cf "$T/base.tar" .
}
mk_base_tar

# machine DIR: a "machine" at DIR: an empty state (DIR/state) and a store
# (DIR/store) holding the base image as busybox.
machine() {
	mkdir -p "$1"
	"$RT" --store "$1/store" import "$T/base.tar" busybox >/dev/null 2>"$1/import.err" ||
		echo "# import failed: $(cat "$1/import.err")"
}

# mkctx DIR: the context every machine builds: two stages, RUNs that
# write 16 random bytes into the image (a RUN that ran again changes the
# digest); with MKCTX_BIG=N also a file of N bytes (layers worth fetching).
mkctx() {
	mkdir -p "$1/src"
	echo alpha >"$1/src/a.txt"
	[ -z "${MKCTX_BIG:-}" ] || head -c "$MKCTX_BIG" /dev/zero | tr '\0' b >"$1/src/big.txt"
	cat >"$1/Dockerfile" <<'DF'
FROM busybox AS build
COPY src /src
RUN od -An -N16 -tx1 /dev/urandom >/src/stamp && cat /src/a.txt >/built
FROM busybox
COPY --from=build /built /app/built
WORKDIR /app
RUN od -An -N16 -tx1 /dev/urandom >/app/stamp && echo ok >/app/ok
RUN true
DF
}

# newmachine NAME: the variable NAME set to $T/NAME, a machine there, and
# mkctx's context at $T/name/ctx (lower case: each machine its own path).
newmachine() {
	printf -v "$1" '%s' "$T/$1"
	machine "$T/$1"
	mkctx "$T/${1,,}/ctx"
}

# two_makes M: two `make -j2` of M/build.mk at once (logs M/log1, M/log2);
# sets rc1, rc2 and ran1, ran2 (the RUN steps each ran).
two_makes() {
	make -f "$1/build.mk" -j2 >"$1/log1" 2>&1 &
	make -f "$1/build.mk" -j2 >"$1/log2" 2>&1
	rc2=$?
	wait $!
	rc1=$?
	cp "$1/log1" "$1/log"
	ran1=$(ran "$1")
	cp "$1/log2" "$1/log"
	ran2=$(ran "$1")
}

# compile M CTX [ARGS...]: build.mk for context CTX on machine M (state
# M/state, store M/store, image M/image.tar). Sets rc.
compile() {
	local m=$1 c=$2
	shift 2
	"$DF2MAKE" --store "$m/store" --state "$m/state" -o "$m/image.tar" "$@" "$c" \
		>"$m/build.mk" 2>"$m/compile.err"
	rc=$?
}

# build M CTX [ARGS...]: compile, then make (log in M/log). Sets rc.
build() {
	local m=$1
	compile "$@"
	[ "$rc" -eq 0 ] || { cp "$m/compile.err" "$m/log"; return; }
	make -f "$m/build.mk" -j2 >"$m/log" 2>&1
	rc=$?
}

# digest M: the manifest digest of M/image.tar (from its index.json).
digest() { tar -xOf "$1/image.tar" index.json 2>/dev/null | jq -r '.manifests[0].digest'; }

# layout_man DIR, layout_cfg DIR: the manifest and cache config blobs of the
# OCI layout DIR (paths).
layout_man() { echo "$1/blobs/sha256/$(jq -r '.manifests[0].digest' "$1/index.json" | cut -c8-)"; }
layout_cfg() { echo "$1/blobs/sha256/$(jq -r .config.digest "$(layout_man "$1")" | cut -c8-)"; }

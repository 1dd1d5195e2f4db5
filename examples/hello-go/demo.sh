#!/usr/bin/env bash
# The seed demo, end to end: build df2make, make the base images offline,
# compile examples/hello-go/Dockerfile (single stage) and Dockerfile.multi
# (multi-stage) to Makefiles, build both images with `make -j`, run the app,
# and print the two image sizes side by side.
#
#   examples/hello-go/demo.sh            # as root on Debian 12: does everything
#   DEMO_BUILDER=docker demo.sh          # same flow with `docker build` (reference)
#
# Environment:
#   DF2MAKE, DF2MAKE_RUNTIME_BIN  use these binaries (skip building df2make)
#   DEMO_BUILD   build dir for df2make (default: ${TMPDIR:-/tmp}/df2make-build, out of tree)
#   DEMO_OUT     outputs: build.mk files, state, image tars (default /tmp/df2make-demo)
#   DF2MAKE_STORE   df2make image store (default DEMO_OUT/store)
#   DF2MAKE_CACHE   base image cache (default /var/cache/df2make-test)
#   DEMO_NO_DEPS=1  do not apt-get anything
# Exit status: 0 when both images build, the app prints "Hello Docker!" and
# the size targets hold (multi-stage <= 4 MB; single stage within 2% of the
# golang base); 1 otherwise.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${DEMO_OUT:-${TMPDIR:-/tmp}/df2make-demo}
builder=${DEMO_BUILDER:-df2make}
mkdir -p "$out"
export DF2MAKE_STORE=${DF2MAKE_STORE:-$out/store}

say() { printf '\n==> %s\n' "$*"; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# 1. build dependencies (the test suite's list: one place names them)
if [ "${DEMO_NO_DEPS:-0}" != 1 ]; then
	bash "$top/tests/deps.sh" --build-only || die "missing build dependencies"
fi

# 2. df2make itself (out of tree)
if [ "$builder" = df2make ]; then
	if [ -x "${DF2MAKE:-}" ] && [ -x "${DF2MAKE_RUNTIME_BIN:-}" ]; then
		say "using $DF2MAKE and $DF2MAKE_RUNTIME_BIN"
	else
		bdir=${DEMO_BUILD:-${TMPDIR:-/tmp}/df2make-build}
		say "building df2make in $bdir"
		if [ ! -x "$top/configure" ] || [ "$top/configure.ac" -nt "$top/configure" ]; then
			(cd "$top" && autoreconf -fi) || die "autoreconf failed"
		fi
		mkdir -p "$bdir"
		(cd "$bdir" && { [ -f Makefile ] || "$top/configure" -q; } && make -j"$(nproc)" -s) ||
			die "building df2make failed"
		DF2MAKE=$bdir/compiler/df2make
		DF2MAKE_RUNTIME_BIN=$bdir/runtime/df2make-runtime
	fi
	export DF2MAKE DF2MAKE_RUNTIME_BIN
	PATH=$(dirname "$DF2MAKE_RUNTIME_BIN"):$(dirname "$DF2MAKE"):$PATH
fi

# 3. base images (offline): golang (mmdebstrap) and busybox (busybox-static)
. "$top/tests/lib/dockerd.sh"
. "$top/tests/lib/images.sh"
have_docker=0
if dockerd_up 2>/dev/null; then have_docker=1; fi
say "base images (cache: $DF2MAKE_CACHE)"
t0=$(now)
images_rootfs golang >/dev/null || die "cannot make the golang rootfs"
images_rootfs busybox >/dev/null || die "cannot make the busybox rootfs"
if [ $have_docker = 1 ]; then
	images_docker golang busybox || die "docker import failed"
fi
[ "$builder" = docker ] && [ $have_docker = 0 ] && die "DEMO_BUILDER=docker but no docker daemon: $DOCKERD_ERROR"
if [ "$builder" = df2make ]; then
	images_df2make golang busybox || die "loading the base images into the df2make store failed"
	"$DF2MAKE_RUNTIME_BIN" --store "$DF2MAKE_STORE" images 2>/dev/null || "$DF2MAKE_RUNTIME_BIN" images
fi
echo "base images ready in $(since "$t0") s"

# 4. compile and build both Dockerfiles
build() { # DOCKERFILE TAG NAME
	local df=$1 tag=$2 name=$3 t
	t=$(now)
	if [ "$builder" = docker ]; then
		say "docker build -f $df -t $tag ."
		(cd "$here" && "$DOCKER" build --network=none -q -f "$df" -t "$tag" .) || return 1
	else
		say "df2make -f $df -t $tag -o $out/$name.tar --state $out/$name.state . > $out/$name.mk"
		(cd "$here" && "$DF2MAKE" -f "$df" -t "$tag" -o "$out/$name.tar" --state "$out/$name.state" . >"$out/$name.mk") ||
			return 1
		say "make -f $out/$name.mk -j"
		make -f "$out/$name.mk" -j DF2MAKE_RUNTIME="$DF2MAKE_RUNTIME_BIN" || return 1
	fi
	echo "$tag built in $(since "$t") s"
}
build Dockerfile hello:single single || die "building hello:single failed"
build Dockerfile.multi hello:multi multi || die "building hello:multi failed"

# 5. run the app
say "run hello:multi and hello:single"
runner=
if [ $have_docker = 1 ]; then
	runner=docker
	for n in single multi; do
		[ "$builder" = docker ] || "$DOCKER" load -q -i "$out/$n.tar" || die "docker load $n failed"
	done
	got_multi=$("$DOCKER" run --rm --network=none hello:multi)
	got_single=$("$DOCKER" run --rm --network=none hello:single)
elif podman_up 2>/dev/null; then
	runner=podman
	for n in single multi; do $PODMAN load -q -i "$out/$n.tar" >/dev/null || die "podman load $n failed"; done
	got_multi=$($PODMAN run --rm --network=none hello:multi)
	got_single=$($PODMAN run --rm --network=none hello:single)
else
	# No container engine: unpack the multi-stage image and chroot into it.
	runner=chroot
	rm -rf "$out/rootfs"
	mkdir -p "$out/rootfs"
	python3 - "$out/multi.tar" "$out/rootfs" <<'PY' || die "cannot unpack the image"
import io, json, sys, tarfile, os
t = tarfile.open(sys.argv[1])
m = json.load(t.extractfile("manifest.json"))[0]
for l in m["Layers"]:
    lt = tarfile.open(fileobj=io.BytesIO(t.extractfile(l).read()), mode="r:*")
    lt.extractall(sys.argv[2])
PY
	got_multi=$(cd "$out/rootfs" && chroot . ./app)
	got_single=$got_multi
fi
echo "hello:multi  says: $got_multi"
echo "hello:single says: $got_single"

# 6. sizes, like `podman images`
size_of() { # TAG -> bytes (the engine's image size: sum of unpacked layers)
	if [ "$runner" = docker ]; then "$DOCKER" image inspect -f '{{.Size}}' "$1"
	elif [ "$runner" = podman ]; then $PODMAN image inspect --format '{{.Size}}' "$1"
	else echo 0; fi
}
human() { awk -v b="$1" 'BEGIN { if (b >= 1e9) printf "%.3g GB", b/1e9; else if (b >= 1e6) printf "%.3g MB", b/1e6; else printf "%.3g kB", b/1e3 }'; }
s_single=$(size_of hello:single) s_multi=$(size_of hello:multi) s_base=$(size_of golang:latest)
say "images ($runner)"
printf '%-24s %-10s %s\n' REPOSITORY TAG SIZE
printf '%-24s %-10s %s\n' localhost/hello single "$(human "$s_single")"
printf '%-24s %-10s %s\n' localhost/hello multi "$(human "$s_multi")"
printf '%-24s %-10s %s\n' "(base) golang" latest "$(human "$s_base")"

rc=0
[ "$got_multi" = "Hello Docker!" ] || { echo "FAIL: hello:multi printed '$got_multi'"; rc=1; }
[ "$got_single" = "Hello Docker!" ] || { echo "FAIL: hello:single printed '$got_single'"; rc=1; }
if [ "$runner" != chroot ]; then
	if [ "$s_multi" -le 4000000 ]; then echo "target ok: multi-stage image $(human "$s_multi") <= 4 MB"; else
		echo "FAIL: multi-stage image $(human "$s_multi") > 4 MB"; rc=1; fi
	pct=$(awk -v a="$s_single" -v b="$s_base" 'BEGIN { printf "%.2f", (a - b) * 100 / b }')
	if awk -v p="$pct" 'BEGIN { exit !(p <= 2 && p >= -2) }'; then
		echo "target ok: single-stage image is within ${pct}% of the base (<= 2%)"
	else
		echo "FAIL: single-stage image differs from the base by ${pct}% (> 2%)"; rc=1
	fi
fi
exit $rc

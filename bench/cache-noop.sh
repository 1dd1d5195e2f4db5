#!/usr/bin/env bash
# bench/cache-noop.sh: the cost of --cache-from type=registry on a make
# with nothing to do (docs/cache.md). Machine A pushes a two-stage build's
# cache to docker-registry on loopback; machine B builds from it; then a
# no-op `make` on B is timed, with and without --cache-from in build.mk,
# and the registry's access log says how many requests the no-op runs made.
#
#   bench/cache-noop.sh [--runs N]
# Environment: DF2MAKE, DF2MAKE_RUNTIME_BIN (else BUILDDIR/compiler/df2make
# and BUILDDIR/runtime/df2make-runtime). Needs root (the builds), a static
# busybox and docker-registry. Prints the median wall time in ms over N
# runs (default 20) per side, and the registry requests per no-op make.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
runs=20
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=$2; shift 2 ;;
	*) echo "usage: bench/cache-noop.sh [--runs N]" >&2; exit 2 ;;
	esac
done
DF=${DF2MAKE:-${BUILDDIR:-$here/build}/compiler/df2make}
RT=${DF2MAKE_RUNTIME_BIN:-${BUILDDIR:-$here/build}/runtime/df2make-runtime}
T=$(mktemp -d) && trap 'registry_stop; rm -rf "$T"' EXIT
skip_all() { echo "bench/cache-noop.sh: $*" >&2; exit 1; }
SRCDIR=$here . "$here/tests/lib/registry.sh"
BB=$(command -v busybox || echo /bin/busybox)
[ -x "$BB" ] || skip_all "busybox missing"
export CONTAINERS_REGISTRIES_CONF=$T/none.conf DOCKER_CONFIG=$T/docker REGISTRY_AUTH_FILE=
export DF2MAKE_LOOPBACK_ONLY=1 SOURCE_DATE_EPOCH=1700000000
REG_ACCESSLOG=1 registry_start >/dev/null || skip_all "registry did not start"

mkdir -p "$T/root/bin" "$T/ctx/src"
cp "$BB" "$T/root/bin/busybox"
for c in sh cat od; do ln -s busybox "$T/root/bin/$c"; done
tar --sort=name --numeric-owner --owner=0 --group=0 --mtime=@1700000000 \
	-C "$T/root" -cf "$T/base.tar" .
echo alpha >"$T/ctx/src/a.txt"
cat >"$T/ctx/Dockerfile" <<'DF'
FROM busybox AS build
COPY src /src
RUN cat /src/a.txt >/built
FROM busybox
COPY --from=build /built /app/built
RUN od -An -N16 -tx1 /dev/urandom >/app/stamp
DF
machine() { # DIR ARGS...: build.mk for ctx on a machine at DIR, then make
	local m=$1
	shift
	"$RT" --store "$m/store" import "$T/base.tar" busybox >/dev/null 2>&1
	"$DF" --store "$m/store" --state "$m/state" -o "$m/image.tar" "$@" "$T/ctx" >"$m/build.mk" &&
		make -s -f "$m/build.mk" >/dev/null 2>&1 || skip_all "build on $m failed"
}
machine "$T/A" --cache-to "type=registry,ref=$REG/cache/noop:1,mode=max"
machine "$T/B" --cache-from "$REG/cache/noop:1"
"$DF" --store "$T/B/store" --state "$T/B/state" -o "$T/B/image.tar" "$T/ctx" >"$T/B/plain.mk"

ms() {
	local t0 t1
	t0=$(date +%s%N)
	"$@" >/dev/null 2>&1 || echo "failed: $*" >&2
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
noop() { # NAME MAKEFILE
	local n0 i
	n0=$(wc -l <"$REG_DIR/log")
	for i in $(seq "$runs"); do ms make -f "$2"; done | median | sed "s/^/$1 ms /"
	echo "$1 registry requests per run $((($(wc -l <"$REG_DIR/log") - n0) / runs))"
}
noop "no-op make, --cache-from registry" "$T/B/build.mk"
noop "no-op make, no --cache-from" "$T/B/plain.mk"

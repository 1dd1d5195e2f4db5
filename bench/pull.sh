#!/usr/bin/env bash
# bench/pull.sh: pull and push of an image (default golang, from
# tests/lib/images.sh) against docker-registry on loopback, df2make-runtime
# beside skopeo copy (to an OCI layout dir, and from one), same run.
#
#   bench/pull.sh [--runs N] [--image golang|busybox]
# Environment: DF2MAKE_RUNTIME_BIN (else BUILDDIR/runtime/df2make-runtime),
# DF2MAKE_CACHE (base images). Prints one line per side and phase: the
# median wall time in ms over N runs (default 3), and df2make/skopeo.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
runs=3 image=golang
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=$2; shift 2 ;;
	--image) image=$2; shift 2 ;;
	*) echo "usage: bench/pull.sh [--runs N] [--image NAME]" >&2; exit 2 ;;
	esac
done
RT=${DF2MAKE_RUNTIME_BIN:-${BUILDDIR:-$here/build}/runtime/df2make-runtime}
T=$(mktemp -d) && trap 'registry_stop; rm -rf "$T"' EXIT
skip_all() { echo "bench/pull.sh: $*" >&2; exit 1; }
SRCDIR=$here . "$here/tests/lib/registry.sh"
. "$here/tests/lib/images.sh"
tar=$DF2MAKE_CACHE/$image.docker.tar
[ -s "$tar" ] || skip_all "$tar missing (tests/lib/images.sh images_docker $image)"
registry_start >/dev/null || skip_all "registry did not start"
registry_put "$tar" "library/$image:1"
skopeo copy -q "docker-archive:$tar" "oci:$T/layout:1"
export CONTAINERS_REGISTRIES_CONF=$T/none.conf

ms() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null 2>&1 || echo "failed: $*" >&2; t1=$(date +%s%N); echo $(((t1 - t0) / 1000000)); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
run() { # NAME PREP CMD...
	local name=$1 prep=$2 i
	shift 2
	for i in $(seq "$runs"); do eval "$prep"; ms "$@"; done | median | sed "s/^/$name /"
}
# each push to a new repository, so no blob is there yet (skopeo may
# still mount blobs from a repository its blob-info cache remembers)
push_df() { "$RT" --store "$T/s" transfer "oci:$T/layout" "docker://$REG/p$RANDOM$RANDOM/$image:1"; }
push_sk() { skopeo copy -q --dest-tls-verify=false "oci:$T/layout:1" "docker://$REG/q$RANDOM$RANDOM/$image:1"; }
{
	run "pull df2make" 'rm -rf "$T/s"' "$RT" --store "$T/s" pull "$REG/library/$image:1"
	run "pull skopeo" 'rm -rf "$T/o"' skopeo copy -q --src-tls-verify=false "docker://$REG/library/$image:1" "oci:$T/o:1"
	run "push df2make" : push_df
	run "push skopeo" : push_sk
} | tee "$T/res"
for op in pull push; do
	d=$(awk -v o="$op" '$1 == o && $2 == "df2make" {print $3}' "$T/res")
	s=$(awk -v o="$op" '$1 == o && $2 == "skopeo" {print $3}' "$T/res")
	[ -n "$d" ] && [ -n "$s" ] && [ "$s" -gt 0 ] && awk -v d="$d" -v s="$s" -v o="$op" 'BEGIN {printf "%s df2make/skopeo %.2f\n", o, d / s}'
done

#!/usr/bin/env bash
# bench/pack.sh: time and peak memory of load, base, layer and pack on a
# big base image (the golang image of tests/lib/images.sh, ~600 MB).
#
#   bench/pack.sh [IMAGE.tar]     # default: $DF2MAKE_CACHE/golang.docker.tar
#
# Needs a built runtime: DF2MAKE_RUNTIME_BIN, else runtime/df2make-runtime
# under BUILDDIR (default: the current directory). Prints one line per
# phase: seconds, peak RSS, and the output size.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
cache=${DF2MAKE_CACHE:-/var/cache/df2make-test}
rt=${DF2MAKE_RUNTIME_BIN:-${BUILDDIR:-.}/runtime/df2make-runtime}
img=${1:-$cache/golang.docker.tar}
[ -x "$rt" ] || { echo "bench/pack.sh: no runtime at $rt (set DF2MAKE_RUNTIME_BIN)" >&2; exit 1; }
if [ ! -s "$img" ]; then
	# Build the image the tests use (mmdebstrap), then docker-import or
	# df2make-import it.
	export SRCDIR=$here
	. "$here/tests/lib/images.sh"
	tar=$(images_rootfs golang) || exit 1
	img=$tar
fi
command -v /usr/bin/time >/dev/null || { echo "bench/pack.sh: needs /usr/bin/time" >&2; exit 1; }
w=$(mktemp -d "${TMPDIR:-/tmp}/df2make-bench.XXXXXX")
trap 'rm -rf "$w"' EXIT
R=("$rt" --quiet --store "$w/store" --state "$w/state")
phase() { # NAME RUNTIME-ARGS...
	local name=$1 t
	shift
	/usr/bin/time -o "$w/time" -f '%e %M' "${R[@]}" "$@" >/dev/null 2>"$w/err" ||
		{ cat "$w/err" >&2; exit 1; }
	t=$(tail -1 "$w/time")
	printf '%-22s %8s s  peak RSS %7s kB\n' "$name" "${t% *}" "${t#* }"
}
mkdir -p "$w/state"
printf 'image: %s (%d MB)\n' "$img" $(($(stat -c %s "$img") >> 20))
case $img in
*.rootfs.tar) phase "import" import "$img" bench:1 ;;
*) phase "load" load -i "$img" -t bench:1 ;;
esac
phase "base (unpack)" base k0 '{"image":"bench:1"}'
phase "base (cached)" base k0 '{"image":"bench:1"}'
mkdir -p "$w/state/k1/upper/app"
head -c $((64 << 20)) /dev/urandom >"$w/state/k1/upper/app/blob"
jq -c ". + [{\"dir\":\"$w/state/k1/upper\",\"step\":\"k1\"}]" "$w/state/k0/chain.json" >"$w/state/k1/chain.json"
phase "layer 64 MB gzip" layer k1 '{"parent":"k0","epoch":0,"compress":"gzip","level":1}'
phase "layer 64 MB none" layer k1 '{"parent":"k0","epoch":0,"compress":"none"}'
spec='{"output":{"type":"tar","dest":"'$w'/image.tar"},"tags":["docker.io/library/bench:out"],"epoch":0,"config":{},"history":[]}'
phase "pack tar" pack k1 "$spec"
printf '%-22s %8s MB\n' "image.tar" $(($(stat -c %s "$w/image.tar") >> 20))
phase "pack tar (again)" pack k1 "$spec"
phase "pack oci dir" pack k1 "${spec/\"tar\",\"dest\":\"$w\/image.tar\"/\"oci\",\"dest\":\"$w/layout\"}"

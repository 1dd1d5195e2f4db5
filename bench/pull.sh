#!/usr/bin/env bash
# bench/pull.sh: pull and push of an image (default golang, from
# tests/lib/images.sh) against docker-registry on loopback: df2make-runtime
# beside skopeo copy and podman pull/push, same run, interleaved run by run.
#
#   bench/pull.sh [--runs N] [--image golang|busybox] [--md FILE]
#
# Phases (each side starts from the same state every run):
#   pull    df2make-runtime pull into an empty store | skopeo copy
#           docker://REF oci:DIR into an empty dir | podman pull into an
#           empty --root (podman also unpacks the layers into its storage)
#   push    the image's blobs are in another repository of the registry
#           and each tool knows it (df2make: the store it pulled into;
#           skopeo, podman: their blob-info cache): a push to a new
#           repository mounts them. df2make-runtime push NAME NEW |
#           skopeo copy oci:LAYOUT docker://NEW | podman push NAME NEW
#   upload  nothing known: every blob is sent. df2make-runtime transfer
#           oci:LAYOUT docker://NEW with an empty store | skopeo copy with
#           an empty blob-info cache (a tmpfs over it, in a mount namespace)
#   unpack  df2make only: the FROM step on the store the pull filled (the
#           layers unpacked, their diff_ids checked on the way: the work a
#           pull leaves to the first build; podman's pull includes it)
# Every side runs with TLS verification off, as skopeo and podman are
# given it (--*tls-verify=false): with it on, df2make loads the system CA
# bundle (~30 ms) for the HTTPS attempt that precedes plain HTTP.
# DF2MAKE_RUNTIME_BASELINE=BIN adds a column: that runtime (e.g. a build
# of an older commit) timed the same way, in the same runs.
# Prints one line per phase and side (median wall ms, median CPU ms of
# user+sys) and the ratios; --md FILE also writes them as a markdown table.
# Environment: DF2MAKE_RUNTIME_BIN (else BUILDDIR/runtime/df2make-runtime),
# DF2MAKE_CACHE (base images).
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
runs=3 image=golang md=
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=$2; shift 2 ;;
	--image) image=$2; shift 2 ;;
	--md) md=$2; shift 2 ;;
	*) echo "usage: bench/pull.sh [--runs N] [--image NAME] [--md FILE]" >&2; exit 2 ;;
	esac
done
RT=${DF2MAKE_RUNTIME_BIN:-${BUILDDIR:-$here/build}/runtime/df2make-runtime}
BASE=${DF2MAKE_RUNTIME_BASELINE:-}
T=$(mktemp -d)
PM=(podman --root "$T/pr" --runroot "$T/prr" --storage-driver overlay)
trap 'registry_stop; "${PM[@]}" rmi -a >/dev/null 2>&1; rm -rf "$T"' EXIT
skip_all() { echo "bench/pull.sh: $*" >&2; exit 1; }
SRCDIR=$here . "$here/tests/lib/registry.sh"
. "$here/tests/lib/images.sh"
tar=$DF2MAKE_CACHE/$image.docker.tar
[ -s "$tar" ] || skip_all "$tar missing (tests/lib/images.sh images_docker $image)"
registry_start >/dev/null || skip_all "registry did not start"
registry_put "$tar" "library/$image:1"
skopeo copy -q "docker-archive:$tar" "oci:$T/layout:1"
# no mirrors, nothing from the host's registries.conf (podman wants the file)
: >"$T/none.conf"
export CONTAINERS_REGISTRIES_CONF=$T/none.conf
SRC=$REG/library/$image:1
command -v podman >/dev/null && have_podman=1 || have_podman=

# SIDE PHASE CMD...: one timed run; appends "PHASE SIDE WALL_MS CPU_MS" to $T/res
ms() {
	local phase=$1 side=$2 t0 t1
	shift 2
	t0=$(date +%s%N)
	/usr/bin/time -f '%U %S' -o "$T/cpu" "$@" >/dev/null 2>"$T/err" || {
		echo "failed: $*" >&2
		tail -3 "$T/err" >&2
	}
	t1=$(date +%s%N)
	echo "$phase $side $(((t1 - t0) / 1000000)) $(tail -1 "$T/cpu" | awk '{printf "%d", ($1 + $2) * 1000}')" >>"$T/res"
}
new() { echo "$REG/n$RANDOM$RANDOM/$image:1"; }
# skopeo with an empty blob-info cache: it cannot know where blobs are
cold=(unshare -m sh -c 'mount -t tmpfs none /var/lib/containers/cache && exec "$@"' sh)

: >"$T/res"
for i in $(seq "$runs"); do
	rm -rf "$T/s" "$T/o" "$T/b" "$T/st"
	ms pull df2make "$RT" --store "$T/s" pull --tls-verify=false "$SRC"
	ms unpack df2make "$RT" --store "$T/s" --state "$T/st" base k '{"image": "'"$SRC"'"}'
	if [ -n "$BASE" ]; then
		ms pull baseline "$BASE" --store "$T/b" pull --tls-verify=false "$SRC"
		rm -rf "$T/st"
		ms unpack baseline "$BASE" --store "$T/b" --state "$T/st" base k '{"image": "'"$SRC"'"}'
	fi
	ms pull skopeo skopeo copy -q --src-tls-verify=false "docker://$SRC" "oci:$T/o:1"
	if [ -n "$have_podman" ]; then
		"${PM[@]}" rmi -a >/dev/null 2>&1
		rm -rf "$T/pr" "$T/prr"
		ms pull podman "${PM[@]}" pull -q --tls-verify=false "$SRC"
	fi
	ms push df2make "$RT" --store "$T/s" push --tls-verify=false "$SRC" "$(new)"
	ms push skopeo skopeo copy -q --dest-tls-verify=false "oci:$T/layout:1" "docker://$(new)"
	[ -n "$have_podman" ] && ms push podman "${PM[@]}" push -q --tls-verify=false "$SRC" "docker://$(new)"
	rm -rf "$T/s2"
	ms upload df2make "$RT" --store "$T/s2" transfer --tls-verify=false "oci:$T/layout" "docker://$(new)"
	ms upload skopeo "${cold[@]}" skopeo copy -q --dest-tls-verify=false "oci:$T/layout:1" "docker://$(new)"
done
median() { sort -n | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]}'; }
cell() { awk -v p="$1" -v s="$2" -v f="$3" '$1 == p && $2 == s {print $f}' "$T/res" | median; }
ratio() { [ -n "$1" ] && [ -n "$2" ] && [ "$2" -gt 0 ] && awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
{
	echo "| phase | df2make ms (CPU) | skopeo ms (CPU) | podman ms (CPU) | df2make/skopeo | df2make/podman |${BASE:+ baseline ms (CPU) |}"
	echo "|---|---:|---:|---:|---:|---:|${BASE:+---:|}"
	for p in pull unpack push upload; do
		d=$(cell $p df2make 3) s=$(cell $p skopeo 3) o=$(cell $p podman 3) b=$(cell $p baseline 3)
		dc=$(cell $p df2make 4) sc=$(cell $p skopeo 4) oc=$(cell $p podman 4) bc=$(cell $p baseline 4)
		echo "| $p | $d ($dc) | ${s:--}${s:+ ($sc)} | ${o:--}${o:+ ($oc)} | $(ratio "$d" "$s") | $(ratio "$d" "$o") |${BASE:+ ${b:--}${b:+ ($bc)} |}"
	done
} | tee "$T/table"
[ -n "$md" ] && {
	echo "- $(date -u '+%Y-%m-%d %H:%M UTC'), $runs runs (medians), image $image ($(stat -c %s "$tar") bytes as docker save)"
	echo "- machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%d GB", $2 / 1048576}' /proc/meminfo), load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "- command: \`bench/pull.sh --runs $runs --image $image\`"
	echo
	cat "$T/table"
} >"$md"
exit 0

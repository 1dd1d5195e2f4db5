#!/usr/bin/env bash
# Inodes a RUN step makes and frees on the state's file system, and the
# block discards it waits for: a cold runs30 build (FROM busybox + 30
# trivial RUNs, --network none, as bench.sh's workload) minus a build
# without RUNs, divided by 30, from the kernel's ext4 tracepoints
# (perf record -g of ext4_allocate_inode, ext4_free_inode and
# ext4_discard_blocks over make and everything it starts), by the system
# call (or overlayfs function) that made or freed each. On ext4 without a
# journal every inode freed is skipped by every allocation of its group
# for 30 s (recently_deleted), so both counts are a RUN's cost on such a
# file system. The state must be on ext4 (TMPDIR, default /tmp).
# No docker: the busybox base is a rootfs tar imported into a scratch store.
# Usage: bench/step-inodes.sh BUILDDIR [BUILDDIR2 ...]
#   bench/step-inodes.sh /tmp/base/build build
set -eu
[ $# -ge 1 ] || { echo "usage: bench/step-inodes.sh BUILDDIR [BUILDDIR2 ...]" >&2; exit 2; }
BUSYBOX=${BUSYBOX:-/bin/busybox}
W=$(mktemp -d "${TMPDIR:-/tmp}/step-inodes.XXXXXX")
trap 'rm -rf "$W"' EXIT
[ "$(stat -f -c %T "$W")" = ext2/ext3 ] || { echo "step-inodes: $W is not on ext4" >&2; exit 2; }
. "$(dirname "$0")/busybox-rootfs.sh"
busybox_rootfs "$W"
runs_contexts "$W" 0 30
# Count events by kind and by the first system call (or overlayfs
# function) in the kernel stack of each.
count() {
	perf script -i "$1" -F event,ip,sym 2>/dev/null | awk 'BEGIN { RS = "" } {
		ev = $1; sub(/^ext4:ext4_/, "", ev); sub(/:$/, "", ev); c = "other"
		if (match($0, /(ovl_fill_super|ovl_copy_up_one|ovl_create_object|__x64_sys_[a-z0-9]+)/))
			c = substr($0, RSTART, RLENGTH)
		sub(/__x64_sys_/, "", c); n[ev " " c]++; n[ev " (all)"]++
	} END { for (k in n) print k, n[k] }'
}
for b in "$@"; do
	b=$(cd "$b" && pwd)
	rm -rf "$W/store"
	"$b/runtime/df2make-runtime" --store "$W/store" import "$W/rootfs.tar" busybox >/dev/null
	# the first build unpacks the base into the store: not measured
	for n in 0 0 30; do
		rm -rf "$W/state" "$W/image.tar"
		"$b/compiler/df2make" --store "$W/store" --state "$W/state" -o "$W/image.tar" \
			--network none "$W/ctx$n" >"$W/build.mk"
		perf record -q -g -o "$W/p$n.data" -e ext4:ext4_allocate_inode \
			-e ext4:ext4_free_inode -e ext4:ext4_discard_blocks \
			make -s -j2 -f "$W/build.mk" PROGRESS=none \
			"DF2MAKE_RUNTIME=$b/runtime/df2make-runtime" >/dev/null 2>&1
		count "$W/p$n.data" | sort >"$W/c$n"
	done
	echo "$b: per RUN ((runs30 - runs0) / 30)"
	echo "| event | by | per RUN |"
	echo "|---|---|---:|"
	join -a 1 -e 0 -o 0,1.2,2.2 <(awk '{ print $1 "/" $2, $3 }' "$W/c30" | sort) \
		<(awk '{ print $1 "/" $2, $3 }' "$W/c0" | sort) |
		awk '{ split($1, k, "/"); printf "| %s | %s | %.2f |\n", k[1], k[2], ($2 - $3) / 30 }'
done

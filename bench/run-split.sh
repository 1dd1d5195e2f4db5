#!/usr/bin/env bash
# Where a RUN step's wall time goes: CPU, run queue (runnable, waiting for
# a core) and blocked (asleep), blocked split by its cause (the kernel
# stack it slept in), per RUN of a cold runs30 build (FROM busybox + 30
# trivial RUNs, --network none, as bench.sh's runs30), from a system-wide
# `perf record` of the scheduler's tracepoints during `make -j2`. At every
# instant a step counts as CPU when one of its processes (the runtime,
# sandbox init, the command) runs, else run queue when one is runnable,
# else blocked, named after the process that is not merely waiting for
# another of the step's (a child, a socket, a pipe). Then the mean wall of
# each segment of a step (the runtime's exec, init's clone, the command's
# fork and end, init's end, the runtime's end).
# Usage: bench/run-split.sh [BUILDDIR...] (default build; one build each,
# in the order given, repeated ROUNDS times, default 2). Root (perf -a).
#   ROUNDS=3 bench/run-split.sh /tmp/base/build build
set -eu
[ $# -ge 1 ] || set -- build
ROUNDS=${ROUNDS:-2}
BUSYBOX=${BUSYBOX:-/bin/busybox}
command -v perf >/dev/null || { echo "bench/run-split.sh: needs perf" >&2; exit 2; }
W=$(mktemp -d "${TMPDIR:-/tmp}/run-split.XXXXXX")
trap 'rm -rf "$W"' EXIT
. "$(dirname "$0")/busybox-rootfs.sh"
busybox_rootfs "$W"
mkdir -p "$W/ctx"
{
	echo "FROM busybox"
	for i in $(seq 1 30); do echo "RUN echo step $i > /step$i"; done
} >"$W/ctx/Dockerfile"
for r in $(seq 1 "$ROUNDS"); do
	for b in "$@"; do
		b=$(cd "$b" && pwd)
		rm -rf "$W/b" "$W/store"
		mkdir -p "$W/b"
		"$b/runtime/df2make-runtime" --store "$W/store" import "$W/rootfs.tar" busybox >/dev/null
		"$b/compiler/df2make" --store "$W/store" --state "$W/b/state" -o "$W/b/image.tar" \
			--network none "$W/ctx" >"$W/b/build.mk"
		nc='/call-graph=no/'
		perf record -q -a --call-graph fp -o "$W/perf.data" -e sched:sched_switch \
			-e "sched:sched_waking$nc" -e "sched:sched_wakeup_new$nc" \
			-e "sched:sched_process_fork$nc" -e "sched:sched_process_exec$nc" \
			-e "sched:sched_process_exit$nc" -- \
			make -s -j2 -f "$W/b/build.mk" PROGRESS=none \
			DF2MAKE_RUNTIME="$b/runtime/df2make-runtime" >/dev/null 2>&1
		echo "== $b, round $r, $(date -u +%H:%M) UTC, 1-min load $(cut -d' ' -f1 /proc/loadavg)"
		perf script -i "$W/perf.data" -F comm,pid,time,event,trace,ip,sym 2>/dev/null |
			python3 "$(dirname "$0")/run-split.py"
	done
done

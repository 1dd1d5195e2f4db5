#!/usr/bin/env bash
# Median wall time of one trivial RUN step (`/bin/true` in a busybox +
# probe rootfs): sandbox set-up, teardown, stub cleanup, chain commit and
# stamp, i.e. everything df2make-runtime adds around the command.
# Usage: bench/run-overhead.sh [N] (default 50); needs a built tree:
#   RUNTIME=build/runtime/df2make-runtime PROBE=build/tests/probe/probe
# Prefix with `unshare -r` to measure the rootless path.
set -eu
N=${1:-50}
RUNTIME=${RUNTIME:-./runtime/df2make-runtime}
PROBE=${PROBE:-./tests/probe/probe}
BUSYBOX=${BUSYBOX:-/bin/busybox}
W=$(mktemp -d "${TMPDIR:-/tmp}/run-overhead.XXXXXX")
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/rootfs/bin" "$W/state/base" "$W/store"
cp "$BUSYBOX" "$W/rootfs/bin/busybox"
cp "$PROBE" "$W/rootfs/bin/probe"
ln -s busybox "$W/rootfs/bin/true"
printf '[{"dir":"%s"}]\n' "$W/rootfs" >"$W/state/base/chain.json"
times=()
for i in $(seq 1 "$N"); do
	key=$(printf 'bench%027d' "$i")
	t0=$(date +%s%N)
	"$RUNTIME" -q --state "$W/state" --store "$W/store" run "$key" \
		'{"parent":"base","args":["/bin/true"],"env":["PATH=/bin"]}'
	t1=$(date +%s%N)
	times+=($(((t1 - t0) / 1000)))
done
sorted=($(printf '%s\n' "${times[@]}" | sort -n))
med=${sorted[$((N / 2))]}
printf 'trivial RUN: median %d.%03d ms, min %d.%03d ms, max %d.%03d ms over %d runs\n' \
	$((med / 1000)) $((med % 1000)) $((sorted[0] / 1000)) $((sorted[0] % 1000)) \
	$((sorted[N - 1] / 1000)) $((sorted[N - 1] % 1000)) "$N"
# CPU time is steadier than wall time on a busy machine (perf, if present).
if command -v perf >/dev/null && perf stat -e task-clock true 2>/dev/null; then
	perf stat -r "$N" -e task-clock "$RUNTIME" -q --state "$W/state" --store "$W/store" run \
		bench-perf '{"parent":"base","args":["/bin/true"],"env":["PATH=/bin"]}' 2>&1 |
		sed -n 's/^ *\([0-9.]*\) msec task-clock.*/trivial RUN: \1 ms CPU (all processes, perf)/p'
	perf stat -r "$N" -e task-clock "$RUNTIME" --help 2>&1 >/dev/null |
		sed -n 's/^ *\([0-9.]*\) msec task-clock.*/runtime start (--help): \1 ms CPU/p'
fi
# The floor on this machine: starting the runtime at all (dynamic linking).
t0=$(date +%s%N)
for i in $(seq 1 "$N"); do "$RUNTIME" --help >/dev/null; done
t1=$(date +%s%N)
printf 'runtime start (--help) for comparison: mean %d us\n' $(((t1 - t0) / 1000 / N))

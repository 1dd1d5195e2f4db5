#!/usr/bin/env bash
# Per-RUN overhead: N trivial RUN steps (`/bin/true` over a busybox-like
# rootfs with /dev /proc /sys /etc, as every real image has), each a fresh
# step key: runtime start, sandbox set-up, teardown, stub cleanup, chain
# commit and stamp, i.e. everything df2make-runtime adds around a command.
# Prints the median wall time and the median CPU time of the whole process
# tree (user+sys of the runtime and every descendant it reaped: steadier
# than wall time on a busy machine), then the breakdown the runtime reports
# with DF2MAKE_TIMING=1 (CPU ms per phase; "setup" is the sandbox init's
# mounts, part of "sandbox"), and the floor: starting the runtime at all.
# Usage: bench/run-overhead.sh [N] (default 50); needs python3 and a build:
#   RUNTIME=build/runtime/df2make-runtime PROBE=build/tests/probe/probe
# LAYER=step gives the step its layer as a build of the image does (the
# spec's "layer": made in the step's process); LAYER=op makes it the way
# build.mk did before that, with a `layer` op of its own after each run
# (its process counted in the step's CPU). Either way the layer is plain
# (--compress none, the default for a tar output).
# Prefix with `unshare -r` to measure the rootless path. NETWORK=host or
# NETWORK=none measures those modes instead of the default network (an own
# namespace plus slirp4netns, runtime/netns.c). The state and store
# go in a scratch directory under ${TMPDIR:-/tmp} (docs/sandbox.md: where it
# sits changes file-operation costs on some machines).
set -eu
N=${1:-50}
RUNTIME=${RUNTIME:-./runtime/df2make-runtime}
PROBE=${PROBE:-./tests/probe/probe}
BUSYBOX=${BUSYBOX:-/bin/busybox}
W=$(mktemp -d "${TMPDIR:-/tmp}/run-overhead.XXXXXX")
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/rootfs/bin" "$W/rootfs/dev" "$W/rootfs/proc" "$W/rootfs/sys" "$W/rootfs/etc" \
	"$W/rootfs/tmp" "$W/state/base" "$W/store"
cp "$BUSYBOX" "$W/rootfs/bin/busybox"
cp "$PROBE" "$W/rootfs/bin/probe"
ln -s busybox "$W/rootfs/bin/true"
echo 'root:x:0:0:root:/root:/bin/sh' >"$W/rootfs/etc/passwd"
echo 'root:x:0:' >"$W/rootfs/etc/group"
printf '[{"dir":"%s"}]\n' "$W/rootfs" >"$W/state/base/chain.json"
python3 - "$RUNTIME" "$W" "$N" <<'PY'
import os, resource, statistics as st, subprocess, sys, time

rt, w, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
net = os.environ.get("NETWORK", "default")
grant = ',"entitlements":["network.host"]' if net == "host" else ""  # as --allow writes it
layer = os.environ.get("LAYER", "")
params = '"epoch":null,"compress":"none","level":null'
spec = '{"parent":"base","network":"%s"%s,"args":["/bin/true"],"env":["PATH=/bin"]%s}' % (
    net, grant, ',"layer":{%s}' % params if layer == "step" else "")
env = dict(os.environ, DF2MAKE_TIMING="1")


def measure(argv):
    """Wall ms, CPU ms of the whole reaped process tree, stderr."""
    r0, t0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
    p = subprocess.run(argv, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                       text=True)
    t1, r1 = time.monotonic(), resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode:
        sys.exit("bench: %s failed: %s" % (argv[-2], p.stderr))
    cpu = r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime
    return (t1 - t0) * 1e3, cpu * 1e3, p.stderr


def run(i):
    key = "bench%027d" % i
    base = [rt, "-q", "--state", w + "/state", "--store", w + "/store"]
    wall, cpu, err = measure(base + ["run", key, spec])
    if layer == "op":
        lw, lc, _ = measure(base + ["layer", key, '{"parent":"base",%s}' % params])
        wall, cpu = wall + lw, cpu + lc
    return wall, cpu, err


def phases(line):
    """{"prepare": (wall, cpu), ...} from "timing: start -/6.1 prepare 1.2/0.4 (setup ..)"."""
    toks, out = line.split()[1:], {}
    for name, val in zip(toks[::2], toks[1::2]):
        wall, cpu = val.strip(")").split("/")
        out[name.strip("(")] = (None if wall == "-" else float(wall), float(cpu))
    return out


def q(v):
    qs = st.quantiles(v, n=4) if len(v) > 1 else [v[0]] * 3
    return "median %.2f ms (p25 %.2f, p75 %.2f)" % (st.median(v), qs[0], qs[2])


for i in range(3):  # warm the page cache and the state dir
    run(n + i)
walls, cpus, rows = [], [], []
for i in range(n):
    wall, cpu, err = run(i)
    walls.append(wall)
    cpus.append(cpu)
    rows += [phases(l) for l in err.splitlines() if l.startswith("timing:")]
print("trivial RUN, network %s, layer %s, %d runs: wall %s" % (net, layer or "none", n, q(walls)))
print("trivial RUN, %d runs: CPU  %s (runtime + sandbox + command)" % (n, q(cpus)))
names = [k for k in rows[0]] if rows else []
print("breakdown, median CPU ms (wall ms):",
      ", ".join("%s %.2f (%s)" % (k, st.median(r[k][1] for r in rows),
                                  "-" if rows[0][k][0] is None else
                                  "%.2f" % st.median(r[k][0] for r in rows)) for k in names))
starts = [measure([rt, "--help"]) for _ in range(n)]
print("floor: runtime start (--help): wall %s; CPU median %.2f ms"
      % (q([s[0] for s in starts]), st.median(s[1] for s in starts)))
t = [measure(["/bin/true"]) for _ in range(n)]
print("floor: /bin/true: wall median %.2f ms, CPU median %.2f ms"
      % (st.median(s[0] for s in t), st.median(s[1] for s in t)))
PY

#!/usr/bin/env bash
# CPU of a whole cold runs30 build (FROM busybox + 30 trivial RUNs, as
# bench.sh's runs30 workload, --network none as bench.sh builds it): the
# compile and `make -j2` with everything they start (the runtime's
# processes, the sandboxes, pack), for one or two builds of df2make,
# interleaved A/B/A/B so both see the same load. No docker: the busybox
# base is a rootfs tar imported into a scratch store.
# Prints per build: median CPU ms of the tree (rusage of everything
# reaped), the runtime processes a build starts, and CPU ms per RUN
# ((median - the compile, base and pack of a 0-RUN build) / 30); then the
# median wall ms of the same builds (compile + make), for a quiet machine.
# Usage: bench/runs-cpu.sh [N] BUILDDIR [BUILDDIR2]   (default N 10)
#   bench/runs-cpu.sh 10 /tmp/base/build build
set -eu
N=${1:-10}
shift
[ $# -ge 1 ] || { echo "usage: bench/runs-cpu.sh [N] BUILDDIR [BUILDDIR2]" >&2; exit 2; }
BUSYBOX=${BUSYBOX:-/bin/busybox}
W=$(mktemp -d "${TMPDIR:-/tmp}/runs-cpu.XXXXXX")
trap 'rm -rf "$W"' EXIT
. "$(dirname "$0")/busybox-rootfs.sh"
busybox_rootfs "$W"
runs_contexts "$W" 0 30
python3 - "$W" "$N" "$@" <<'PY'
import os, resource, shutil, statistics as st, subprocess, sys, time

w, n, builds = sys.argv[1], int(sys.argv[2]), [os.path.abspath(b) for b in sys.argv[3:]]


def tool(b, name):
    return os.path.join(b, "compiler/df2make" if name == "c" else "runtime/df2make-runtime")


for i, b in enumerate(builds):
    subprocess.run([tool(b, "r"), "--store", f"{w}/store{i}", "import", f"{w}/rootfs.tar",
                    "busybox"], check=True, stdout=subprocess.DEVNULL)


def cpu(argv, out=subprocess.DEVNULL):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(argv, check=True, stdout=out, stderr=subprocess.DEVNULL)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime) * 1e3


def build(i, b, nruns, count=False):
    """CPU ms of the compile and a cold make -j2 (and the runtime processes)."""
    d = f"{w}/b{i}"
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    t0 = time.monotonic()
    mk = f"{d}/build.mk"
    with open(mk, "w") as f:
        t = cpu([tool(b, "c"), "--store", f"{w}/store{i}", "--state", f"{d}/state", "-o",
                 f"{d}/image.tar", "--network", "none", f"{w}/ctx{nruns}"], f)
    argv = ["make", "-s", "-j2", "-f", mk, "PROGRESS=none"]
    if count:
        log = f"{w}/ops{i}"
        with open(f"{w}/rt{i}", "w") as f:
            f.write(f"#!/bin/sh\necho x >>{log}\nexec {tool(b, 'r')} \"$@\"\n")
        os.chmod(f"{w}/rt{i}", 0o755)
        open(log, "w").close()
        subprocess.run(argv + [f"DF2MAKE_RUNTIME={w}/rt{i}"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return sum(1 for _ in open(log))
    t += cpu(argv + [f"DF2MAKE_RUNTIME={tool(b, 'r')}"])
    walls[i].append((time.monotonic() - t0) * 1e3)
    return t


walls = [[] for _ in builds]
execs = [build(i, b, 30, count=True) for i, b in enumerate(builds)]
full = [[] for _ in builds]
empty = [[] for _ in builds]
wall30 = [[] for _ in builds]
for _ in range(n):
    for i, b in enumerate(builds):
        full[i].append(build(i, b, 30))
        wall30[i].append(walls[i][-1])
        empty[i].append(build(i, b, 0))
load = os.getloadavg()[0]
print(f"runs30 cold, N={n}, 1-min load {load:.1f} at the end")
print("| build | CPU ms (median) | p25-p75 | 0-RUN build | per RUN | runtime processes |")
print("|---|---:|---:|---:|---:|---:|")
for i, b in enumerate(builds):
    q = st.quantiles(full[i], n=4)
    m, m0 = st.median(full[i]), st.median(empty[i])
    print(f"| {b} | {m:.0f} | {q[0]:.0f}-{q[2]:.0f} | {m0:.0f} | {(m - m0) / 30:.2f} | {execs[i]} |")
print("| build | cold runs30 wall ms (median) | p25-p75 |")
print("|---|---:|---:|")
for i, b in enumerate(builds):
    q = st.quantiles(wall30[i], n=4)
    print(f"| {b} | {st.median(wall30[i]):.0f} | {q[0]:.0f}-{q[2]:.0f} |")
PY

#!/usr/bin/env bash
# What a cold runs30 build (FROM busybox + 30 trivial RUNs, --network none,
# as bench.sh's workload) waits for between its commands: the fsyncs,
# renames, inodes created and files stat'd (strace, deterministic), and
# wall against CPU time per build (perf stat -e task-clock over
# `make -s -j2`, the compile not included), for one or two builds of
# df2make interleaved A/B/A/B so both see the same load.
# No docker: the busybox base is a rootfs tar imported into a scratch store.
# Usage: bench/step-sync.sh [N] BUILDDIR [BUILDDIR2]   (default N 5; 0: counts only)
#   bench/step-sync.sh 7 /tmp/base/build build
# STRACE=0 skips the syscall counts; NRUNS (default 30) sets the RUN count;
# BIGMB=N adds a first RUN writing N MB of random bytes (a big state and
# image for the pack's one sync to wait for).
set -eu
N=${1:-5}
shift
[ $# -ge 1 ] || { echo "usage: bench/step-sync.sh [N] BUILDDIR [BUILDDIR2]" >&2; exit 2; }
BUSYBOX=${BUSYBOX:-/bin/busybox}
NRUNS=${NRUNS:-30}
W=$(mktemp -d "${TMPDIR:-/tmp}/step-sync.XXXXXX")
trap 'rm -rf "$W"' EXIT
. "$(dirname "$0")/busybox-rootfs.sh"
busybox_rootfs "$W"
mkdir -p "$W/ctx"
{
	echo "FROM busybox"
	[ -z "${BIGMB:-}" ] || echo "RUN head -c ${BIGMB}m /dev/urandom >/big"
	for i in $(seq 1 "$NRUNS"); do echo "RUN echo step $i > /step$i"; done
} >"$W/ctx/Dockerfile"
python3 - "$W" "$N" "$NRUNS" "${STRACE:-1}" "$@" <<'PY'
import os, re, shutil, statistics as st, subprocess, sys, time

w, n, nruns, do_strace = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
builds = [os.path.abspath(b) for b in sys.argv[5:]]


def tool(b, name):
    return os.path.join(b, "compiler/df2make" if name == "c" else "runtime/df2make-runtime")


def prepare(i, b):
    """A fresh state and a build.mk for build i; the make command."""
    d = f"{w}/b{i}"
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    with open(f"{d}/build.mk", "w") as f:
        subprocess.run([tool(b, "c"), "--store", f"{w}/store{i}", "--state", f"{d}/state",
                        "-o", f"{d}/image.tar", "--network", "none", f"{w}/ctx"], stdout=f,
                       check=True)
    return ["make", "-s", "-j2", "-f", f"{d}/build.mk", "PROGRESS=none",
            f"DF2MAKE_RUNTIME={tool(b, 'r')}"]


for i, b in enumerate(builds):
    subprocess.run([tool(b, "r"), "--store", f"{w}/store{i}", "import", f"{w}/rootfs.tar",
                    "busybox"], check=True, stdout=subprocess.DEVNULL)

# Syscalls that make a build wait or touch the directory tree.
KINDS = {
    "fsync/fdatasync/syncfs": r"^(fsync|fdatasync|syncfs|sync_file_range)$",
    "rename": r"^rename(at2?)?$",
    "stat/access": r"^(stat|lstat|fstatat|newfstatat|statx|access|faccessat2?|readlink(at)?)$",
    "unlink/rmdir": r"^(unlink(at)?|rmdir)$",
}


def trace(i, b):
    argv = prepare(i, b)
    log = f"{w}/strace{i}"
    subprocess.run(["strace", "-f", "-y", "-T", "-qq", "-o", log, "-e",
                    "trace=%file,%desc,fsync,fdatasync,syncfs,sync_file_range"] + argv,
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    counts = {k: 0 for k in KINDS}
    created = in_state = 0
    sync_ms = 0.0
    state = f"{w}/b{i}/state/"
    for line in open(log):
        m = re.match(r"^\d+\s+(\w+)\((.*)", line)
        if not m or "= -1" in line or "<unfinished" in line:
            continue
        name, rest = m.group(1), m.group(2)
        for k, pat in KINDS.items():
            if re.match(pat, name):
                counts[k] += 1
        t = re.search(r"<([0-9.]+)>$", line.strip())
        if t and re.match(KINDS["fsync/fdatasync/syncfs"], name):
            sync_ms += float(t.group(1)) * 1e3
        # a new inode: mkdir, mknod, symlink, or an open that creates
        if re.match(r"^(mkdir(at)?|mknod(at)?|symlink(at)?|link(at)?)$", name) or (
                name in ("open", "openat", "creat") and "O_CREAT" in rest and "O_EXCL" in rest):
            created += 1
            in_state += state in rest
        if name in ("open", "openat") and "O_CREAT" in rest and "O_EXCL" not in rest:
            counts.setdefault("open O_CREAT (no O_EXCL)", 0)
            counts["open O_CREAT (no O_EXCL)"] += 1
    counts["inodes made (mkdir, mknod, symlink, O_EXCL)"] = created
    counts["of them in the state dir"] = in_state
    counts["ms inside fsync/syncfs (strace -T)"] = round(sync_ms, 1)
    return counts


if do_strace:
    rows = [trace(i, b) for i, b in enumerate(builds)]
    print(f"syscalls of one cold make -j2 ({nruns} RUNs), strace -f")
    print("| syscall | " + " | ".join(f"{b} | per RUN" for b in builds) + " |")
    print("|---|" + "---:|---:|" * len(builds))
    for k in rows[0]:
        print(f"| {k} | " + " | ".join(f"{r.get(k, 0)} | {r.get(k, 0) / nruns:.1f}"
                                      for r in rows) + " |")


def timed(i, b):
    argv = prepare(i, b)
    out = f"{w}/perf{i}"
    t0 = time.monotonic()
    subprocess.run(["perf", "stat", "-x,", "-e", "task-clock", "-o", out] + argv, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = (time.monotonic() - t0) * 1e3
    cpu = next(float(l.split(",")[0]) for l in open(out) if "task-clock" in l)
    return wall, cpu


if n == 0:
    sys.exit(0)
res = [[] for _ in builds]
loads = []
for _ in range(n):
    for i, b in enumerate(builds):
        res[i].append(timed(i, b))
    loads.append(os.getloadavg()[0])
print(f"\ncold make -s -j2, {n} rounds interleaved, 1-min load {min(loads):.1f}-{max(loads):.1f}")
print("| build | wall ms (median) | task-clock ms (median) | wall - CPU per RUN | all wall | all CPU |")
print("|---|---:|---:|---:|---|---|")
for i, b in enumerate(builds):
    wl, cp = [r[0] for r in res[i]], [r[1] for r in res[i]]
    gap = (st.median(wl) - st.median(cp)) / nruns
    print(f"| {b} | {st.median(wl):.0f} | {st.median(cp):.0f} | {gap:.2f} | "
          f"{' '.join(f'{x:.0f}' for x in wl)} | {' '.join(f'{x:.0f}' for x in cp)} |")
PY

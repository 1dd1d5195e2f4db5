#!/usr/bin/env bash
# The floor under a RUN step: what bubblewrap and crun pay to start
# /bin/true in fresh namespaces over the same busybox root filesystem that
# bench/run-overhead.sh uses, next to df2make-runtime's trivial RUN (host,
# none and default network). For each runner: median wall ms and median CPU
# ms of the whole process tree (user+sys of everything reaped, as
# run-overhead.sh counts it), then `perf stat -e task-clock` (CPU ms of the
# tree, counted by the kernel) when perf is installed.
# Usage: bench/floor.sh [N] (default 30). Root only (crun and the runtime's
# root path); bwrap and crun are measured when installed (Debian packages
# bubblewrap, crun: for this measurement only, not dependencies).
#   RUNTIME=build/runtime/df2make-runtime bench/floor.sh 30
set -eu
N=${1:-30}
RUNTIME=${RUNTIME:-./runtime/df2make-runtime}
BUSYBOX=${BUSYBOX:-/bin/busybox}
W=$(mktemp -d "${TMPDIR:-/tmp}/floor.XXXXXX")
trap 'rm -rf "$W"' EXIT
R=$W/rootfs
mkdir -p "$R/bin" "$R/dev" "$R/proc" "$R/sys" "$R/etc" "$R/tmp" "$W/state/base" "$W/store"
cp "$BUSYBOX" "$R/bin/busybox"
ln -s busybox "$R/bin/true"
echo 'root:x:0:0:root:/root:/bin/sh' >"$R/etc/passwd"
echo 'root:x:0:' >"$R/etc/group"
printf '[{"dir":"%s"}]\n' "$R" >"$W/state/base/chain.json"
if command -v crun >/dev/null; then
	mkdir -p "$W/bundle"
	(cd "$W/bundle" && crun spec)
	# crun's default spec: pid/net/ipc/uts/mnt namespaces, /proc /dev /sys,
	# masked and read-only paths, no seccomp; the rootfs read-only (crun
	# --cgroup-manager=disabled: a step of df2make makes only a pids cgroup)
	python3 - "$W/bundle/config.json" "$R" <<'PY'
import json, sys
p, root = sys.argv[1], sys.argv[2]
c = json.load(open(p))
c["root"] = {"path": root, "readonly": True}
c["process"].update(terminal=False, args=["/bin/true"])
c["mounts"] = [m for m in c["mounts"] if m["destination"] != "/sys/fs/cgroup"]
json.dump(c, open(p, "w"))
PY
fi
# crun 1.8 refuses a hybrid cgroup v1/v2 host (a v2 hierarchy at
# /sys/fs/cgroup/unified beside the v1 controllers, as on this machine): the
# whole measurement, every runner alike, runs in a mount namespace without it
NS=()
if command -v crun >/dev/null && mountpoint -q /sys/fs/cgroup/unified 2>/dev/null; then
	NS=(unshare -m --propagation private sh -c 'umount -l /sys/fs/cgroup/unified && exec "$@"' sh)
fi
"${NS[@]}" python3 - "$RUNTIME" "$W" "$N" <<'PY'
import os, resource, shutil, statistics as st, subprocess, sys, time

rt, w, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
root = w + "/rootfs"
seq = [0]


def runtime(net):
    def argv():
        seq[0] += 1
        grant = ',"entitlements":["network.host"]' if net == "host" else ""
        spec = ('{"parent":"base","network":"%s"%s,"args":["/bin/true"],"env":["PATH=/bin"]}'
                % (net, grant))
        return [rt, "-q", "--state", w + "/state", "--store", w + "/store", "run",
                "floor%027d" % seq[0], spec]
    return argv


def fixed(cmd):
    return lambda: cmd


def crun():
    seq[0] += 1
    return ["crun", "--cgroup-manager=disabled", "run", "--bundle", w + "/bundle",
            "floor%d-%d" % (os.getpid(), seq[0])]


runners = [("true (no namespaces)", fixed(["/bin/true"]))]
if shutil.which("bwrap"):
    runners += [("bwrap --unshare-all --ro-bind ROOT / true",
                 fixed(["bwrap", "--unshare-all", "--ro-bind", root, "/", "/bin/true"])),
                ("bwrap ... + --proc /proc --dev /dev --tmpfs /tmp",
                 fixed(["bwrap", "--unshare-all", "--ro-bind", root, "/", "--proc", "/proc",
                        "--dev", "/dev", "--tmpfs", "/tmp", "/bin/true"]))]
if shutil.which("crun"):
    runners.append(("crun run (default spec, ro rootfs)", crun))
runners += [("df2make-runtime run, --network=%s" % m, runtime(m))
            for m in ("host", "none", "default")]
have_perf = shutil.which("perf") is not None


def once(argv):
    r0, t0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
    p = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    t1, r1 = time.monotonic(), resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode:
        sys.exit("floor: %s failed: %s" % (" ".join(argv[:3]), p.stderr))
    return (t1 - t0) * 1e3, (r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime) * 1e3


def perf(argv):
    p = subprocess.run(["perf", "stat", "-x,", "-e", "task-clock", "--"] + argv,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for line in p.stderr.splitlines():
        f = line.split(",")
        if len(f) > 2 and f[2].startswith("task-clock"):
            return float(f[0])
    sys.exit("floor: perf stat: " + p.stderr)


print("| runner | wall ms | CPU ms (rusage) | CPU ms (perf task-clock) |")
print("|---|---:|---:|---:|")
for name, argv in runners:
    for _ in range(3):  # warm-up
        once(argv())
    walls, cpus, pcs = [], [], []
    for _ in range(n):  # interleaved with perf so both see the same moment
        wall, cpu = once(argv())
        walls.append(wall)
        cpus.append(cpu)
        if have_perf:
            pcs.append(perf(argv()))
    print("| %s | %.2f | %.2f | %s |" % (name, st.median(walls), st.median(cpus),
                                           "%.2f" % st.median(pcs) if pcs else "-"))
print("\n%d runs each; 1-min load average at the end: %.2f" % (n, os.getloadavg()[0]))
PY

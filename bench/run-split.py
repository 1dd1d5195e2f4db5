"""bench/run-split.sh's analysis: `perf script -F comm,pid,time,event,trace,ip,sym`
of the scheduler's tracepoints during one make, on stdin. Prints, per RUN step
(a df2make-runtime that make started and whose child started a command): the
mean ms of CPU, run queue and blocked by cause, then the mean wall of the
step's segments."""
import collections
import re
import statistics
import sys

EVENT = re.compile(r"^\s*(.+?)\s+(\d+)\s+([\d.]+):\s+sched:(\w+):\s*(.*)$")
# First match wins: the specific causes before the generic ones.
CAUSES = [
    ("cgroup_procs_write", "cgroup attach: percpu_down_write's RCU grace period"),
    ("cgroup_kn_lock_live", "cgroup_mutex (held by another attach)"),
    ("blkdev_issue_discard", "ext4 discard of freed blocks (rmdir, unlink)"),
    ("free_nsproxy", "mount namespace teardown at exit (expedited RCU)"),
    ("ovl_free_fs", "overlay superblock teardown at exit (expedited RCU)"),
    ("namespace_unlock", "umount / close of a mount (expedited RCU)"),
    ("synchronize_rcu", "RCU grace period (other)"),
    ("do_wait", "wait for a child"),
    ("kernel_clone", "vfork: wait for the child's exec"),
    ("do_sys_poll", "poll"), ("unix_dgram_recvmsg", "recv"), ("unix_stream", "recv"),
    ("pipe_read", "pipe read"), ("pipe_write", "pipe write"),
    ("flock", "file lock"), ("locks_lock", "file lock"),
    ("hrtimer_nanosleep", "nanosleep"),
    ("exc_page_fault", "page fault"), ("mutex_lock", "mutex (other)"),
    ("io_schedule", "block I/O (other)"),
]
WAITS = {"wait for a child", "vfork: wait for the child's exec", "poll", "recv", "pipe read"}
SKIP = {"__schedule", "schedule", "schedule_timeout", "schedule_hrtimeout_range_clock",
        "io_schedule_timeout", "wait_for_completion", "__wait_for_common", "[unknown]",
        "wait_for_completion_state", "schedule_preempt_disabled", "__cond_resched"}


def cause(stack):
    text = " ".join(stack)
    for key, name in CAUSES:
        if key in text:
            return name
    return "other: " + " <- ".join([f for f in stack if f not in SKIP][:3])


def fields(s):
    return dict(re.findall(r"(\w+)=(\S+)", s))


def read_events(lines):
    events, cur = [], None
    for line in lines:
        m = EVENT.match(line)
        if m:
            cur = (float(m.group(3)), m.group(4), fields(m.group(5)), [])
            events.append(cur)
        elif cur is not None and line.strip():
            parts = line.split()
            if len(parts) >= 2:
                cur[3].append(parts[1].split("+")[0])
    return events


def main():
    events = read_events(sys.stdin)
    make = next((int(d["pid"]) for t, e, d, s in events
                 if e == "sched_process_exec" and d["filename"].endswith("/make")), None)
    if make is None:
        sys.exit("run-split: no exec of make in the trace")
    parent, forkt, exe, end, kids = {}, {}, {}, {}, collections.defaultdict(list)
    for t, e, d, s in events:
        if e == "sched_process_fork":
            c, p = int(d["child_pid"]), int(d["pid"])
            parent[c], forkt[c] = p, t
            kids[p].append(c)
        elif e == "sched_process_exec":
            exe[int(d["pid"])] = (t, d["filename"])
        elif e == "sched_switch" and d["prev_state"][:1] in ("X", "Z"):
            end[int(d["prev_pid"])] = t

    def top(p):  # the process make started that p descends from
        while p in parent and parent[p] != make:
            p = parent[p]
        return p if parent.get(p) == make else None

    step_of = {p: top(p) for p in parent if top(p) is not None}
    runs = sorted((p for p in kids[make]
                   if exe.get(p, (0, ""))[1].endswith("df2make-runtime")
                   and any(kids[k] for k in kids[p])), key=lambda p: forkt[p])
    spans = [(forkt[p], end.get(p, forkt[p]), p) for p in runs]
    # the step's state at every instant
    state, acc = {}, {p: collections.Counter() for p in runs}
    last, k = None, 0
    for t, e, d, stack in events:
        if last is not None and t > last:
            while k < len(spans) and spans[k][1] <= last:
                k += 1
            if k < len(spans) and spans[k][0] <= last:
                s = spans[k][2]
                mine = [v for p, v in state.items() if step_of.get(p) == s]
                if any(v[0] == "run" for v in mine):
                    what = "CPU"
                elif any(v[0] == "rq" for v in mine):
                    what = "run queue"
                else:
                    cs = [v[1] for v in mine if v[0] == "blk"]
                    real = [c for c in cs if c not in WAITS]
                    what = "blocked: " + (real[-1] if real else cs[-1] if cs else "?")
                acc[s][what] += (min(t, spans[k][1]) - last) * 1e3
        last = t
        if e == "sched_switch":
            pp, np_ = int(d["prev_pid"]), int(d["next_pid"])
            if pp in step_of:
                ps = d["prev_state"]
                if ps[:1] in ("X", "Z"):
                    state.pop(pp, None)
                else:
                    state[pp] = ("rq", None) if ps.startswith("R") else ("blk", cause(stack))
            if np_ in step_of:
                state[np_] = ("run", None)
        elif e in ("sched_waking", "sched_wakeup_new"):
            p = int(d["pid"])
            if p in step_of and state.get(p, ("",))[0] != "run":
                state[p] = ("rq", None)
    n = len(runs)
    if not n:
        sys.exit("run-split: no RUN step in the trace")
    total = collections.Counter()
    for p in runs:
        total.update(acc[p])
    wall = sum(b - a for a, b, p in spans) * 1e3 / n
    print(f"{n} RUN steps: wall {wall:.2f} ms a step (make's fork to the runtime's end)")
    for what, v in sorted(total.items(), key=lambda x: -x[1]):
        if v / n >= 0.005:
            print(f"  {v / n:6.2f} ms  {what}")
    segs = collections.OrderedDict((name, []) for name in (
        "make's fork -> the runtime's exec", "exec -> clone of init",
        "init's set-up (clone -> command's fork)", "the command",
        "command's end -> init's end (teardown)", "init's end -> the runtime's end",
        "the runtime's end -> make's next fork"))
    for i, r in enumerate(runs):
        init = [c for c in kids[r] if kids[c]][-1]
        cmd = kids[init][0]
        if cmd not in end or init not in end or r not in end:
            continue
        v = [exe[r][0] - forkt[r], forkt[init] - exe[r][0], forkt[cmd] - forkt[init],
             end[cmd] - forkt[cmd], end[init] - end[cmd], end[r] - end[init]]
        if i + 1 < len(runs):
            v.append(forkt[runs[i + 1]] - end[r])
        for name, x in zip(segs, v):
            segs[name].append(x * 1e3)
    print("  segments, mean (median) ms:")
    for name, v in segs.items():
        if v:
            print(f"    {name:42s} {statistics.mean(v):5.2f} ({statistics.median(v):.2f})")


main()

#!/usr/bin/env bash
# The RUN sandbox, attacked from inside a Dockerfile: host paths (state
# dir, store, context, runtime binary, $HOME) out of sight, fds 0-2 only,
# Docker's default capabilities, no_new_privs, Docker's masked and
# read-only /proc and /sys paths, no way to reach or overwrite the runtime
# binary (CVE-2019-5736), mounts that never reach the host, no process that
# outlives its step.
. "$SRCDIR/tests/sh/security/common.bash"
PROBE=$BUILDDIR/tests/probe/probe
[ -x "$PROBE" ] || skip_all "tests/probe/probe not built"
mkdir -p "$T/extra/bin" && cp "$PROBE" "$T/extra/bin/probe"
base_image busybox "$T/extra" || { not_ok "base image import"; done_testing; exit 1; }

# The build runs a copy of the runtime, so an attack on the binary cannot
# break the suite, and the copy's checksum shows whether it was written.
RTCOPY=$T/rt-copy
cp "$RT" "$RTCOPY"
rt_sum=$(sha256sum <"$RTCOPY")
home_entry=$(ls -A "$HOME" 2>/dev/null | head -1)
D=$T/b
dockerfile "$D" "FROM busybox
RUN [\"/bin/probe\"]
RUN [\"/bin/probe\", \"see\", \"$D/state\", \"$ST\", \"$D/ctx\", \"$D/ctx/Dockerfile\", \"$RTCOPY\", \"$T\", \"$HOME/$home_entry\"]
RUN echo \"procs: \$(ls /proc | grep -c '^[0-9]')\"; echo \"rootpids: \$(ls -d /proc/[0-9]*/root | wc -l)\"
RUN echo \"exe 1: \$(readlink /proc/1/exe)\"; echo \"exe others: \$(for e in /proc/[0-9]*/exe; do readlink \$e; done | grep -vc '^/bin/')\"; echo exe-scan-done
RUN (echo x >>/proc/1/exe) 2>/dev/null && echo 'exe writable: /proc/1/exe'; echo exe-write-done
RUN for p in /proc/[0-9]*/root /proc/[0-9]*/cwd; do ls \$p/ 2>/dev/null | grep -q '^canary\$' && echo \"hostvia: \$p\"; done; echo root-scan-done
RUN for f in kcore keys timer_list sched_debug latency_stats timer_stats; do [ -e /proc/\$f ] && echo \"masked \$f: \$(wc -c </proc/\$f 2>&1)\"; done; true
RUN for d in /proc/acpi /proc/scsi /proc/asound /sys/firmware /sys/devices/virtual/powercap; do [ -d \$d ] && echo \"maskdir \$d: \$(ls -A \$d | wc -l)\"; done; true
RUN for d in /proc/bus /proc/fs /proc/irq /proc/sys /proc/sysrq-trigger /sys; do echo \"ro \$d: \$(grep \" \$d \" /proc/self/mountinfo | awk '{print \$6}' | cut -d, -f1 | tail -1)\"; done
RUN for d in mem kmem port kmsg sda vda nvme0 loop0; do [ -e /dev/\$d ] && echo \"hostdev: \$d\"; done; echo dev-scan-done
RUN mkdir -p /mnt && mount -t tmpfs dfsec-default-$$ /mnt 2>/dev/null && echo 'mountcheck: allowed' || echo 'mountcheck: denied'
RUN unshare -U true 2>/dev/null && echo 'userns: allowed' || echo 'userns: denied'; unshare -m true 2>/dev/null && echo 'mntns: allowed' || echo 'mntns: denied'
RUN (sleep 20.61 &); setsid sleep 20.62 & nohup sleep 20.63 >/dev/null 2>&1 & echo spawned
RUN b() { if [ \$1 -gt 0 ]; then b \$((\$1 - 1)) & b \$((\$1 - 1)) & fi; sleep 20.64; }; b 7 & sleep 1; echo \"bomb: \$(ls /proc | grep -c '^[0-9]')\"
RUN --security=insecure mkdir -p /mnt && mount -t tmpfs dfsec-insecure-$$ /mnt && mount --make-rshared /mnt && echo 'insecure mount: done'"
compile "$D" --allow security.insecure # for the last RUN
is "$rc" 0 "compile"
start=$(date +%s)
make -f "$D/build.mk" DF2MAKE_RUNTIME="$RTCOPY" >"$D/log" 2>&1
rc=$?
took=$(($(date +%s) - start))
is "$rc" 0 "the attack build runs"
L=$(cat "$D/log")
# val KEY: the value printed as "KEY: value" (first match; the runtime
# may prefix RUN output lines with "#N 0.123 ").
val() {
	printf '%s\n' "$L" | awk -v k="$1:" '{ sub(/^#[0-9a-f]+ ([0-9]+\.[0-9]+ )?/, "") }
		index($0, k) == 1 { v = substr($0, length(k) + 1); sub(/^[ \t]+/, "", v); print v; exit }'
}

is "$(val fds)" "0 1 2" "only fds 0-2 are open in a RUN"
is "$(val CapEff) $(val CapPrm) $(val CapBnd)" \
	"00000000a80425fb 00000000a80425fb 00000000a80425fb" "Docker's default capabilities"
is "$(val CapInh) $(val CapAmb)" "0000000000000000 0000000000000000" "no inheritable/ambient caps"
is "$(val NoNewPrivs)" 0 "no no_new_privs (BuildKit's RUN may run setuid files)"
for p in "$D/state" "$ST" "$D/ctx" "$D/ctx/Dockerfile" "$RTCOPY" "$T" "$HOME/$home_entry"; do
	is "$(val "see $p")" no "host path invisible: $p"
done
check "a pid namespace: few processes visible ($(val procs))" [ "$(val procs)" -lt 6 ]
like "$L" "exe-scan-done" "exe scan ran"
# CVE-2019-5736 (a RUN reaching the runtime binary through /proc/N/exe):
# no process of the sandbox is the runtime; pid 1 is the command itself.
is "$(val "exe 1")" /bin/busybox "pid 1 is the command (sh) (/proc/1/exe), not the runtime"
is "$(val "exe others")" 0 "every /proc/N/exe in a RUN is a binary of the image (CVE-2019-5736)"
is "$(val "exe writable")" "" "nor written"
is "$(sha256sum <"$RTCOPY")" "$rt_sum" "the runtime binary is unchanged"
like "$L" "root-scan-done" "root scan ran"
is "$(val hostvia)" "" "no /proc/PID/root or cwd leads to the host"
# Paths this kernel lacks cannot leak; those it has must be masked.
for f in kcore keys timer_list sched_debug latency_stats timer_stats; do
	if [ -e "/proc/$f" ]; then
		is "$(val "masked $f")" 0 "/proc/$f is masked (reads empty)"
	else skip "/proc/$f is masked" "this kernel has no /proc/$f"; fi
done
for d in /proc/acpi /proc/scsi /proc/asound /sys/firmware /sys/devices/virtual/powercap; do
	if [ -d "$d" ] && [ -n "$(ls -A "$d")" ]; then
		is "$(val "maskdir $d")" 0 "$d is masked (empty)"
	else skip "$d is masked" "empty or absent on this host"; fi
done
for d in /proc/bus /proc/fs /proc/irq /proc/sys /proc/sysrq-trigger /sys; do
	if [ -e "$d" ]; then
		is "$(val "ro $d")" ro "$d is mounted read-only"
	else skip "$d is read-only" "absent on this host"; fi
done
like "$L" "dev-scan-done" "/dev scan ran"
is "$(val hostdev)" "" "no host device nodes in /dev"
is "$(val mountcheck)" denied "mount(2) is denied with the default capabilities"
# Docker's default seccomp profile (no new namespaces: a user namespace
# would hand the RUN every capability inside it).
is "$(val Seccomp)" 2 "a seccomp filter is active (Docker's default profile)"
is "$(val userns)" denied "unshare -U (a new user namespace) is denied"
is "$(val mntns)" denied "unshare -m is denied"
like "$L" "insecure mount: done" "--security=insecure may mount"
check "its mounts never reach the host mount table" refute grep -q "dfsec-" /proc/self/mountinfo
like "$L" "spawned" "background processes were started"
check "the fork bomb ran ($(val bomb) processes)" [ "$(val bomb)" -gt 100 ]
check "no background process outlives its step" [ -z "$(pgrep -f 'sleep 20.6[1-4]')" ]
check "the build did not wait for them (${took}s)" [ "$took" -lt 15 ]
check "no mount left under the state dir" no_state_mounts "$D/state"
done_testing

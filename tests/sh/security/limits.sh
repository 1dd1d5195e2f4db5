#!/usr/bin/env bash
# Resource limits of a RUN (issue 13 item 5): --pids-limit (default 4096),
# --memory and --ulimit carried from the command line into each RUN's spec
# and applied by the runtime in a cgroup of the step's own (v2 when the
# runtime's cgroup delegates the controller, else the v1 hierarchy); a
# fork bomb or a memory hog fails its step with a message naming the
# limit, and leaves nothing behind. Cache mounts live in STORE/cache,
# 0700 and the store owner's only.
. "$SRCDIR/tests/sh/security/common.bash"
need timeout pgrep
PROBE=$BUILDDIR/tests/probe/probe
[ -x "$PROBE" ] || skip_all "tests/probe/probe not built"
mkdir -p "$T/extra/bin" && cp "$PROBE" "$T/extra/bin/probe"
base_image busybox "$T/extra" || { not_ok "base image import"; done_testing; exit 1; }

# cg_dir CTL: the directory of this shell's cgroup that holds controller
# CTL, where the runtime makes its leaves; empty when none is writable.
cg_dir() {
	local p d
	p=$(awk -F: '$1 == 0 && $2 == "" {print $3}' /proc/self/cgroup)
	for d in "/sys/fs/cgroup$p" "/sys/fs/cgroup/unified$p"; do
		if grep -qw "$1" "$d/cgroup.subtree_control" 2>/dev/null &&
			mkdir "$d/dftest.$$" 2>/dev/null && rmdir "$d/dftest.$$"; then
			echo "$d"
			return
		fi
	done
	p=$(awk -F: -v c="$1" '$2 ~ "(^|,)" c "(,|$)" {print $3}' /proc/self/cgroup)
	d=/sys/fs/cgroup/$1${p%/}
	[ -n "$p" ] && mkdir "$d/dftest.$$" 2>/dev/null && rmdir "$d/dftest.$$" && echo "$d"
}
# stale DIR: step cgroups under DIR whose runtime ("df2make-KEY-PID") is
# gone: they should have been removed (other builds' live ones are fine).
stale() {
	local l
	for l in "$1"/df2make-*; do
		[ -d "$l" ] && ! kill -0 "${l##*-}" 2>/dev/null && echo "$l"
	done
}
PIDS_CG=$(cg_dir pids)
MEM_CG=$(cg_dir memory)

# ---- the options reach each RUN's spec, and not its key ----
D=$T/opts
dockerfile "$D" 'FROM busybox
RUN true'
compile "$D" --memory 64m --pids-limit 50 --ulimit nofile=100:200 --ulimit core=-1
is "$rc" 0 "compile with --memory, --pids-limit, --ulimit"
like "$(cat "$D/build.mk")" '"limits":\{"memory":67108864,"pids":50,"ulimits":\[\{"name":"nofile","soft":100,"hard":200\},\{"name":"core","soft":-1,"hard":-1\}\]\}' \
	"the RUN's spec carries the limits (docker's syntax, sizes in bytes)"
like "$(cat "$D/build.mk")" "'--memory' '67108864' '--pids-limit' '50' '--ulimit' 'nofile=100:200' '--ulimit' 'core=-1'" \
	"build.mk's remake rule keeps the limits"
keys_with=$(grep -o 'run [0-9a-f]\{16,\}' "$D/build.mk" | sort -u)
compile "$D"
keys_without=$(grep -o 'run [0-9a-f]\{16,\}' "$D/build.mk" | sort -u)
check "there is a RUN step key to compare" [ -n "$keys_with" ]
is "$keys_with" "$keys_without" "limits do not change the step keys (no rebuild)"
check "without options the spec has no limits" refute grep -q '"limits"' "$D/build.mk"
for bad in "--memory 5m|--memory: 5m is below the minimum of 6m" \
	"--memory 12x|--memory: invalid size '12x' (want e.g. 512m, 1g)" \
	"--pids-limit x|--pids-limit: want a number of processes (-1: no limit), not 'x'" \
	"--ulimit nofile|--ulimit: want NAME=SOFT[:HARD], not 'nofile'" \
	"--ulimit bogus=1|--ulimit: unknown ulimit 'bogus'" \
	"--ulimit nofile=5:2|--ulimit: 'nofile=5:2': soft limit must be less than or equal to hard limit"; do
	compile "$D" ${bad%%|*}
	is "$rc:$(cat "$D/compile.err")" "1:df2make: ${bad#*|}" "${bad%%|*}: usage error"
done
compile "$D" --memory 1.5g
like "$(cat "$D/build.mk")" '"memory":1610612736' "--memory 1.5g is 1.5 GiB (powers of 1024, as docker)"

# ---- --ulimit: the RUN sees the values ----
D=$T/ulimit
dockerfile "$D" 'FROM busybox
RUN echo "nofile: $(ulimit -n) $(ulimit -Hn)"; echo "core: $(ulimit -c)"'
build "$D" --ulimit nofile=100:200 --ulimit core=0
is "$rc" 0 "a build with --ulimit"
L=$(sed -E 's/^#[0-9a-f]+ ([0-9]+\.[0-9]+ )?//' "$D/log")
has() { printf '%s\n' "$L" | grep -qxF -- "$1"; }
check "RUN sees nofile 100 soft, 200 hard" has "nofile: 100 200"
check "RUN sees core 0" has "core: 0"

# ---- fork bomb: bounded, fails its step, leaves nothing ----
if [ -n "$PIDS_CG" ]; then
	D=$T/bomb
	# A bounded bomb (255 processes at most): without the limit it
	# would finish; with --pids-limit 50 its forks fail.
	dockerfile "$D" 'FROM busybox
RUN b() { if [ $1 -gt 0 ]; then b $(($1 - 1)) & b $(($1 - 1)) & wait; else sleep 2.71; fi; }; b 7 2>/dev/null; wait'
	start=$(date +%s)
	compile "$D" --pids-limit 50
	timeout -k 5 120 make -f "$D/build.mk" -j2 >"$D/log" 2>&1
	rc=$?
	took=$(($(date +%s) - start))
	check "the fork bomb fails its step (exit $rc)" [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]
	log_has "$D" "Dockerfile:2: RUN b\(\) .*: pids limit 50 reached \(--pids-limit\)$" \
		"the message names the pids limit"
	check "the host stayed responsive: done in ${took}s" [ "$took" -lt 60 ]
	pkill -9 -f 'sleep 2.71' 2>/dev/null # the test's own, if any survived
	check "no process of the bomb is left" [ -z "$(pgrep -f 'sleep 2.71')" ]
	check "no step cgroup left" [ -z "$(stale "$PIDS_CG")" ]
	# The default: 4096, read from the step's cgroup while it runs.
	D=$T/default
	dockerfile "$D" 'FROM busybox
RUN sleep 2.72'
	compile "$D"
	make -f "$D/build.mk" >"$D/log" 2>&1 &
	mk=$!
	n=0 max=
	while [ -z "$max" ] && [ $n -lt 100 ]; do
		max=$(cat "$PIDS_CG"/df2make-*/pids.max 2>/dev/null | head -1)
		sleep 0.05
		n=$((n + 1))
	done
	wait $mk
	is "$?:$max" "0:4096" "a RUN gets a pids limit of 4096 by default"
	# The sandbox enters its cgroup while it mounts (runtime/sandbox_parent.c
	# release_child), and the command is started only after: it is in the
	# step's leaf from its first instruction, a forked child too.
	D=$T/inside
	dockerfile "$D" 'FROM busybox
RUN grep -h "^[0-9]*:pids:" /proc/self/cgroup; (grep -h "^[0-9]*:pids:" /proc/self/cgroup)'
	build "$D" --network none
	L=$(sed -En 's/^#[0-9a-f]+ ([0-9]+\.[0-9]+ )?([0-9]+:pids:.*)/\2/p' "$D/log")
	like "$(printf '%s\n' "$L" | head -1)" '^[0-9]+:pids:/(.*/)?df2make-[0-9a-f]{16}-[0-9]+$' \
		"the command runs in the step's pids cgroup"
	is "$rc:$(printf '%s\n' "$L" | sort -u | wc -l):$(printf '%s\n' "$L" | wc -l)" "0:1:2" \
		"... and what it forks too"
	# A sandbox whose set-up fails while the parent writes it into its
	# cgroup: its own error, not the cgroup's.
	D=$T/setupfail
	dockerfile "$D" 'FROM busybox
USER nosuchuser
RUN true'
	build "$D" --network none
	check "a set-up failure fails the build" [ "$rc" -ne 0 ]
	log_has "$D" "Dockerfile:3: RUN step: USER nosuchuser: .*nosuchuser" \
		"the set-up's own error is reported"
	check "... not the cgroup's" refute grep -q "enter cgroup" "$D/log"
	check "no step cgroup left" [ -z "$(stale "$PIDS_CG")" ]
else
	skip "fork bomb with --pids-limit" "no writable pids cgroup here (rlimit fallback only)"
	skip "default pids limit" "no writable pids cgroup here"
fi

# ---- memory hog ----
if [ -n "$MEM_CG" ]; then
	D=$T/hog
	dockerfile "$D" 'FROM busybox
RUN ["/bin/probe", "hog", "16"]
RUN ["/bin/probe", "hog", "200"]'
	compile "$D" --memory 64m
	timeout -k 5 120 make -f "$D/build.mk" >"$D/log" 2>&1
	rc=$?
	check "the memory hog fails the build (exit $rc)" [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]
	log_has "$D" "hog: 16 MiB" "16 MiB fit under --memory 64m"
	log_has "$D" 'Dockerfile:3: RUN \["/bin/probe", "hog", "200"\]: exit status 137 \(killed by signal 9, SIGKILL\): out of memory \(--memory 64m\)$' \
		"200 MiB: OOM-killed, exit 137 and the limit named"
	check "no step cgroup left" [ -z "$(stale "$MEM_CG")" ]
else
	skip "memory hog with --memory" "no writable memory cgroup here (rlimit fallback only)"
fi

# ---- without a cgroup: rlimits (an unprivileged user, rootless sandbox) ----
# No network: an unprivileged user may not open /dev/net/tun (0600 on
# some hosts), which the default network's stack needs.
# RLIMIT_DATA bounds each process's heap (not the step's total) and
# RLIMIT_NPROC the user's processes on the whole host (and never root's).
if command -v setpriv >/dev/null && setpriv --reuid 65534 --regid 65534 --clear-groups \
	unshare -r true 2>/dev/null &&
	setpriv --reuid 65534 --regid 65534 --clear-groups test -x "$RT"; then
	# Outside $T, which is root's 0700.
	F=$(mktemp -d /tmp/df2make-fallback.XXXXXX)
	mkdir -p "$F/state/base" "$F/store"
	mkrootfs "$F/rootfs"
	cp "$PROBE" "$F/rootfs/bin/probe"
	printf '[{"dir":"%s"}]\n' "$F/rootfs" >"$F/state/base/chain.json"
	chown -R 65534:65534 "$F"
	fb() {
		setpriv --reuid 65534 --regid 65534 --clear-groups "$RT" -q --state "$F/state" \
			--store "$F/store" run "$1" "$2" >"$F/out" 2>"$F/err"
		rc=$?
	}
	fb k1 '{"loc":"Dockerfile:3","parent":"base","args":["/bin/probe","hog","200"],"env":[],"network":"none","limits":{"memory":67108864}}'
	like "$rc:$(cat "$F/out")" "^1:hog: malloc failed after 6[0-4] MiB$" \
		"no cgroup: --memory 64m becomes RLIMIT_DATA, the hog's malloc fails"
	fb k2 '{"parent":"base","args":["/bin/sh","-c","echo $(ulimit -u) $(ulimit -d)"],"env":["PATH=/bin"],"network":"none","limits":{"memory":67108864,"pids":50}}'
	is "$rc:$(cat "$F/out")" "0:50 65536" "no cgroup: --pids-limit 50 is RLIMIT_NPROC, --memory RLIMIT_DATA (KiB)"
	rm -rf "$F"
else
	skip "rlimit fallback" "setpriv or unprivileged user namespaces missing, or the runtime is in a private directory"
fi

# ---- cache mounts: the store owner's only ----
D=$T/cache
dockerfile "$D" 'FROM busybox
RUN --mount=type=cache,target=/c,id=mine echo x >/c/f && echo "cached: $(cat /c/f)"'
rm -rf "$ST/cache"
(umask 000 && build "$D")
is "$(stat -c %a "$ST/cache" 2>/dev/null)" 700 "STORE/cache is made 0700 (whatever the umask)"
chmod 755 "$ST/cache"
echo 'RUN --mount=type=cache,target=/c,id=mine cat /c/f' >>"$D/ctx/Dockerfile"
build "$D"
is "$rc:$(stat -c %a "$ST/cache")" "0:700" "an existing STORE/cache of ours is tightened to 0700"
chown 65534 "$ST/cache"
echo 'RUN --mount=type=cache,target=/c,id=mine ls /c' >>"$D/ctx/Dockerfile"
build "$D"
check "another user's STORE/cache fails the build" [ "$rc" -ne 0 ]
log_has "$D" "cache mount mine: $ST/cache belongs to uid 65534: cache mounts are never shared across users \(use a store of your own\): Operation not permitted" \
	"the message says whose it is and why"
chown 0 "$ST/cache"
rm -rf "$ST/cache"
ln -s "$T/elsewhere" "$ST/cache"
mkdir -p "$T/elsewhere"
build "$D"
check "a STORE/cache symlink is refused" [ "$rc" -ne 0 ]
is "$(ls -A "$T/elsewhere")" "" "nothing was written through the link"
rm -f "$ST/cache"
check "no mount left under the state dir" no_state_mounts "$D/state"
done_testing

#!/usr/bin/env bash
# DF2MAKE_TIMING=1: one "timing:" line per RUN with the phases of
# bench/run-overhead.sh's breakdown (wall/cpu ms each). With the default
# network the stack is started before the child is released ("net") and
# waited for while the child mounts ("netwait", runtime/sandbox_parent.c
# release_child); the command still runs with the network up, and a child
# that fails while the stack comes up reports its own error. (With the
# pool off: a pooled step, root only, has only "net", the lease; with the
# pool on, --network=none steps lease a namespace of their own pool.)
. "$SRCDIR/tests/sh/sandbox/common.inc"
command -v slirp4netns >/dev/null || skip_all "slirp4netns not installed"

# timed KEY JSON: run_step with DF2MAKE_TIMING=1
timed() { DF2MAKE_TIMING=1 run_step "$@"; }
# none_keepers: the pids of the keepers of S's first --network=none entry.
none_keepers() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(tr -d '\0' 2>/dev/null <"$p/cmdline")" = "df2make-netpool $S/.netpool/none0.sock" ] &&
			echo "${p#/proc/}"
	done
}
phases() { printf '%s\n' "$err" | sed -n 's/^timing: //p' | sed 's/ [-0-9.]*\/[0-9.]*)\{0,1\}//g; s/(//g'; }

cases() {
	local k=0123abcd0123abcd0123abcd0123abcd
	fresh timing
	timed $k '{"parent":"base","args":["/bin/probe","netifs"],"env":["PATH=/bin"]}'
	is "$rc" 0 "[$MODE] default network: the step runs"
	is "$(phases)" "start prepare sandbox setup net netwait cleanup commit trash" \
		"[$MODE] default network: the stack's start and the wait for it are phases of their own"
	like "$out" "netifs: .*tap0" "[$MODE] default network: the command ran with the stack's device up"
	timed $k '{"parent":"base","network":"none","args":["/bin/sh","-c",":"],"env":["PATH=/bin"]}'
	is "$(phases)" "start prepare sandbox setup cleanup commit trash" "[$MODE] network none: no stack"
	timed $k '{"parent":"base","args":["/bin/sh","-c",":"],"env":["PATH=/bin"],"workdir":"/bin/busybox/x"}'
	like "$err" "workdir|/bin/busybox/x" "[$MODE] a child failing while the stack starts: its own error"
	check "[$MODE] ... not the stack's" bash -c "! grep -q slirp4netns <<<\"\$1\"" _ "$err"
}
if real_root; then
	MODE=pool WRAP=
	export DF2MAKE_NETPOOL=2
	k=4567abcd0123abcd0123abcd0123abcd
	fresh pool
	timed $k '{"parent":"base","args":["/bin/probe","netifs"],"env":["PATH=/bin"]}'
	timed $k '{"parent":"base","args":["/bin/probe","netifs"],"env":["PATH=/bin"]}'
	is "$rc $(phases)" "0 start prepare sandbox setup net cleanup commit trash" \
		"[pool] the second step leases a pooled namespace: net is the lease, no wait"
	like "$out" "netifs: .*tap0" "[pool] ... with the stack's device up"
	# --network=none: pooled too, in entries of its own (lo up, no stack)
	none='{"parent":"base","network":"none","args":["/bin/sh","-c","readlink /proc/self/ns/net'
	timed $k "$none\"],\"env\":[\"PATH=/bin\"]}"
	ns1=$out
	timed $k "$none; probe netifs | grep ^netifs; cat /sys/class/net/lo/flags\"],\"env\":[\"PATH=/bin\"]}"
	is "$rc $(phases)" "0 start prepare sandbox setup net cleanup commit trash" \
		"[pool] network none: the step leases a pooled namespace too (net: the lease)"
	is "$out" "$ns1
netifs: lo
0x9" "[pool] ... the first one's, with lo up and no other device (not the default's tap0)"
	like "$(none_keepers)" "^[0-9]+$" "[pool] ... held by a keeper of its own"
	"$DF2MAKE_RUNTIME_BIN" --state "$S" clean
	for i in $(seq 100); do [ -z "$(none_keepers)" ] && break; sleep 0.1; done
	is "$(none_keepers)" "" "[pool] clean stops the none keeper too"
fi
export DF2MAKE_NETPOOL=0
both_modes

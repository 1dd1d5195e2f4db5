# Exit statuses, signals and set-up errors: the message names the
# Dockerfile line and the command, no stamp is written, and the next call
# retries from a clean step directory.
. "$SRCDIR/tests/sh/sandbox/common.inc"

cases() {
	fresh exit
	run_step k1 '{"title":"[2/3] RUN exit 3","loc":"Dockerfile:7","parent":"base","args":["/bin/sh","-c","touch /partial; exit 3"],"env":["PATH=/bin"]}'
	is "$rc" 1 "[$MODE] failing RUN: runtime exits 1"
	is "$err" "df2make-runtime: Dockerfile:7: RUN exit 3: exit status 3" "[$MODE] exit status message"
	check "[$MODE] no stamp after a failure" test ! -e "$S/k1.done"
	check "[$MODE] no chain.json after a failure" test ! -e "$S/k1/chain.json"

	run_step k2 '{"title":"[2/3] RUN probe kill 9","loc":"Dockerfile:8","parent":"base","args":["/bin/probe","kill","9"],"env":[]}'
	is "$rc" 1 "[$MODE] killed RUN fails"
	is "$err" "df2make-runtime: Dockerfile:8: RUN probe kill 9: exit status 137 (killed by signal 9, SIGKILL)" \
		"[$MODE] signal reported as 128+N with its name"
	check "[$MODE] no stamp after a signal" test ! -e "$S/k2.done"
	run_step k2 '{"parent":"base","args":["/bin/sh","-c","kill -TERM $$"],"env":["PATH=/bin"]}'
	like "$err" "exit status 143 \(killed by signal 15, SIGTERM\)$" "[$MODE] a shell killing itself (not pid 1: signals work)"
	run_step k2 '{"title":"[2/3] RUN ok","parent":"base","args":["/bin/sh","-c","echo retried > /r"],"env":["PATH=/bin"]}'
	is "$rc:$err" "0:" "[$MODE] the next call retries and succeeds"
	check "[$MODE] stamp after the retry" test -f "$S/k2.done"
	is "$(cat "$S/k2/upper/r")" retried "[$MODE] retry's change committed"

	run_step k3 '{"loc":"Dockerfile:9","parent":"base","args":["/nope"],"env":[]}'
	is "$err" "df2make-runtime: Dockerfile:9: RUN step: exec /nope: No such file or directory" \
		"[$MODE] exec failure is a set-up error with the cause"
	run_step k3 '{"loc":"Dockerfile:9","parent":"missing","args":["/bin/true"],"env":[]}'
	like "$err" "^df2make-runtime: Dockerfile:9: RUN step: mount rootfs: parent step missing: unable to open .*missing/chain.json" \
		"[$MODE] missing parent chain named"
	# A child-side failure comes back as a record (errno, step, detail):
	# the parent renders the step, the detail and strerror(errno).
	mkdir -p "$W/ctx"
	run_step k3 '{"loc":"Dockerfile:9","parent":"base","args":["/bin/true"],"env":[],"mounts":[{"type":"bind","target":"/x","source":"nope","from":{"context":"'"$W/ctx"'"}}]}'
	is "$rc:$err" "1:df2make-runtime: Dockerfile:9: RUN step: bind on /x: source nope in $W/ctx: No such file or directory" \
		"[$MODE] a mount failing in the child: step, detail and errno"
	run_step k4 '{"parent":"base","args":["/bin/sh","-c","sleep 5 & exit 0"],"env":["PATH=/bin"]}'
	is "$rc" 0 "[$MODE] background processes do not hold the step (the pid namespace dies)"
	out=$(echo "$err" | head -1)
	run_step k5 '{"parent":"base","args":["/bin/sh","-c","echo out; echo err >&2; exit 0"],"env":["PATH=/bin"]}'
	is "$out|$err" "out|err" "[$MODE] stdout and stderr pass through"
	# The runtime killed mid-step (make interrupted): the sandbox dies with
	# it, and the next call starts the step afresh (also rootless, where the
	# overlay's mode-0 work dir must not block the reset).
	local sl=$([ "$MODE" = root ] && echo 31 || echo 32)
	$WRAP "$DF2MAKE_RUNTIME_BIN" -q --state "$S" --store "$ST" run k7 \
		"{\"parent\":\"base\",\"args\":[\"/bin/sleep\",\"$sl\"],\"env\":[]}" 2>/dev/null &
	local pid=$! n=0
	while ! pgrep -fx "/bin/sleep $sl" >/dev/null && [ $n -lt 200 ]; do sleep 0.05; n=$((n + 1)); done
	check "[$MODE] the sandboxed command was running" sh -c "pgrep -fx '/bin/sleep $sl' >/dev/null"
	kill -9 $pid
	wait $pid 2>/dev/null
	n=0
	while pgrep -fx "/bin/sleep $sl" >/dev/null && [ $n -lt 40 ]; do sleep 0.05; n=$((n + 1)); done
	check "[$MODE] killing the runtime kills the sandboxed command" test -z "$(pgrep -fx "/bin/sleep $sl")"
	check "[$MODE] no stamp for the interrupted step" test ! -e "$S/k7.done"
	run_step k7 '{"parent":"base","args":["/bin/sh","-c","echo again > /a"],"env":["PATH=/bin"]}'
	is "$rc:$err:$(cat "$S/k7/upper/a" 2>/dev/null)" "0::again" "[$MODE] the interrupted step reruns cleanly"
	run_step k6 '{"parent":"base","args":["/bin/sh","-c","read x; echo \"[$x]\""],"env":["PATH=/bin"]}'
	is "$out" "[]" "[$MODE] stdin reads end of file (an empty pipe)"
}
both_modes

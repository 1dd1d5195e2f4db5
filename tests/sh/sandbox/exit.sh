# Exit statuses, signals and set-up errors: the message names the
# Dockerfile line and the command, no stamp is written, and the next call
# retries from a clean step directory.
. "$SRCDIR/tests/sh/sandbox/common.inc"

# interrupt SIG ARGV USER PATTERN: the runtime running ARGV as USER (its
# process's command line matching PATTERN) gets SIG: it dies of it, and the
# sandbox with it.
interrupt() {
	local pid n=0
	# (a job started with & has SIGINT ignored, which the runtime keeps)
	env --default-signal=INT $WRAP "$DF2MAKE_RUNTIME_BIN" -q --state "$S" --store "$ST" run k8 \
		"{\"parent\":\"base\",\"args\":$2,\"env\":[\"PATH=/bin\"],\"user\":\"$3\"}" \
		>/dev/null 2>"$W/int.err" &
	pid=$!
	while ! pgrep -fx "$4" >/dev/null && [ $n -lt 200 ]; do sleep 0.05; n=$((n + 1)); done
	check "[$MODE] SIG$1: the sandboxed command was running" sh -c "pgrep -fx '$4' >/dev/null"
	kill -"$1" $pid
	wait $pid
	is "$?:$(cat "$W/int.err")" "$((128 + $(kill -l "$1"))):" "[$MODE] SIG$1: the runtime dies of it"
	n=0
	while pgrep -fx "$4" >/dev/null && [ $n -lt 40 ]; do sleep 0.05; n=$((n + 1)); done
	is "$(pgrep -fx "$4")" "" "[$MODE] SIG$1 of the runtime ends the sandbox ($2${3:+, USER $3})"
	check "[$MODE] SIG$1: no stamp" test ! -e "$S/k8.done"
}

cases() {
	fresh exit
	run_step k1 '{"title":"[2/3] RUN exit 3","loc":"Dockerfile:7","parent":"base","args":["/bin/sh","-c","touch /partial; exit 3"],"env":["PATH=/bin"]}'
	is "$rc" 1 "[$MODE] failing RUN: runtime exits 1"
	is "$err" "df2make-runtime: Dockerfile:7: RUN exit 3: exit status 3" "[$MODE] exit status message"
	check "[$MODE] no stamp after a failure" test ! -e "$S/k1.done"
	check "[$MODE] no chain.json after a failure" test ! -e "$S/k1/chain.json"

	# The command is pid 1 (as under runc): a signal it has no handler for
	# and sends itself is ignored, SIGKILL too; a fault still kills it.
	run_step k2 '{"title":"[2/3] RUN probe segv","loc":"Dockerfile:8","parent":"base","args":["/bin/probe","segv"],"env":[]}'
	is "$rc" 1 "[$MODE] killed RUN fails"
	is "$err" "df2make-runtime: Dockerfile:8: RUN probe segv: exit status 139 (killed by signal 11, SIGSEGV)" \
		"[$MODE] signal reported as 128+N with its name"
	check "[$MODE] no stamp after a signal" test ! -e "$S/k2.done"
	run_step k2 '{"title":"[2/3] RUN probe kill 9","loc":"Dockerfile:8","parent":"base","args":["/bin/probe","kill","9"],"env":[]}'
	is "$err" "df2make-runtime: Dockerfile:8: RUN probe kill 9: exit status 99" \
		"[$MODE] pid 1 survives its own SIGKILL (the probe then exits 99)"
	run_step k2 '{"parent":"base","args":["/bin/sh","-c","kill -TERM $$; kill -KILL $$; echo alive $$"],"env":["PATH=/bin"]}'
	is "$rc:$out" "0:alive 1" "[$MODE] a shell as pid 1 survives kill -TERM \$\$ and kill -KILL \$\$"
	run_step k2 '{"parent":"base","args":["/bin/sh","-c","sh -c \"kill -TERM \\$\\$\"; exit $?"],"env":["PATH=/bin"]}'
	like "$err" ": exit status 143$" "[$MODE] a child shell killing itself (not pid 1: signals work): 143"
	run_step k2 '{"title":"[2/3] RUN ok","parent":"base","args":["/bin/sh","-c","echo retried > /r"],"env":["PATH=/bin"]}'
	is "$rc:$err" "0:" "[$MODE] the next call retries and succeeds"
	check "[$MODE] stamp after the retry" test -f "$S/k2.done"
	is "$(cat "$S/k2/upper/r")" retried "[$MODE] retry's change committed"

	run_step k3 '{"loc":"Dockerfile:9","parent":"base","args":["/nope"],"env":[]}'
	is "$err" "df2make-runtime: Dockerfile:9: RUN step: exec /nope: No such file or directory" \
		"[$MODE] exec failure is a set-up error with the cause"
	run_step k3 '{"loc":"Dockerfile:9","parent":"base","args":["/etc/passwd"],"env":[]}'
	is "$rc:$err" "1:df2make-runtime: Dockerfile:9: RUN step: exec /etc/passwd: Permission denied" \
		"[$MODE] exec failure EACCES: the record comes before the exec"
	run_step k3 '{"loc":"Dockerfile:9","parent":"missing","args":["/bin/true"],"env":[]}'
	like "$err" "^df2make-runtime: Dockerfile:9: RUN step: mount rootfs: parent step missing: unable to open .*missing/chain.json" \
		"[$MODE] missing parent chain named"
	# A child-side failure comes back as a record (errno, step, detail):
	# the parent renders the step, the detail and strerror(errno).
	mkdir -p "$W/ctx"
	run_step k3 '{"loc":"Dockerfile:9","parent":"base","args":["/bin/true"],"env":[],"mounts":[{"type":"bind","target":"/x","source":"nope","from":{"context":"'"$W/ctx"'"}}]}'
	is "$rc:$err" "1:df2make-runtime: Dockerfile:9: RUN step: bind on /x: source nope in $W/ctx: No such file or directory" \
		"[$MODE] a mount failing in the child: step, detail and errno"
	# What the command leaves behind dies with it (pid 1's exit), before
	# the runtime returns and commits: nothing it would write comes later.
	local bg=$([ "$MODE" = root ] && echo 41 || echo 42)
	run_step k4 '{"parent":"base","args":["/bin/sh","-c","sleep '$bg' & (sleep 0.3; echo late >/late) & sh -c \"sleep '$bg' &\"; sleep 0.1; ls /proc | grep -c \"^[0-9]\"; exit 0"],"env":["PATH=/bin"]}'
	is "$rc:$out" "0:7" "[$MODE] background processes do not hold the step (the pid namespace dies)"
	is "$(pgrep -fx "sleep $bg")" "" "[$MODE] the orphans are gone when the runtime returns"
	sleep 0.4
	check "[$MODE] an orphan wrote nothing into the committed layer" test ! -e "$S/k4/upper/late"
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
	# make's Ctrl-C or SIGTERM: the runtime SIGKILLs the sandbox, whose pid 1
	# ignores them; also when that is a setuid file run by a USER, whose exec
	# cleared the parent-death signal (root mode: the file owned by root).
	interrupt INT '["/bin/sh","-c","trap \"\" INT TERM HUP; sleep 5'$sl'"]' "" "sleep 5$sl"
	interrupt TERM '["/bin/sh","-c","trap \"\" INT TERM HUP; sleep 6'$sl'"]' "" "sleep 6$sl"
	if [ "$MODE" = root ]; then
		mkdir -p "$W/rootfs/su" && cp "$BUSYBOX" "$W/rootfs/su/sleep" && chmod 4755 "$W/rootfs/su/sleep"
		interrupt TERM '["/su/sleep","7'$sl'"]' app "/su/sleep 7$sl"
	fi
	run_step k6 '{"parent":"base","args":["/bin/sh","-c","read x; echo \"[$x]\""],"env":["PATH=/bin"]}'
	is "$out" "[]" "[$MODE] stdin reads end of file (an empty pipe)"
}
both_modes

# Progress lines of a RUN step (BuildKit's plain output): "#KEY8 TITLE",
# the command's output relayed with the "#KEY8 " prefix (stdout to stdout,
# stderr to stderr), "#KEY8 DONE 1.2s" or "#KEY8 ERROR: ..."; -q passes
# the output through untouched.
. "$SRCDIR/tests/sh/sandbox/common.inc"

# loud KEY JSON: like run_step, without -q.
loud() {
	local f=$W/out.$$ g=$W/err.$$
	$WRAP "$DF2MAKE_RUNTIME_BIN" --state "$S" --store "$ST" run "$1" "$2" >"$f" 2>"$g"
	rc=$?
	out=$(cat "$f") err=$(cat "$g")
	rm -f "$f" "$g"
}

cases() {
	local k=0123abcd0123abcd0123abcd0123abcd long
	fresh progress
	loud $k '{"title":"[s 2/5] RUN work","parent":"base","args":["/bin/sh","-c","echo out1; echo err1 >&2; echo out2; printf tail"],"env":["PATH=/bin"]}'
	is "$out" "#0123abcd out1
#0123abcd out2
#0123abcd tail" "[$MODE] stdout relayed line by line with the key prefix, last partial line ended"
	is "$(printf '%s\n' "$err" | sed '$d')" "#0123abcd [s 2/5] RUN work
#0123abcd err1" "[$MODE] title first; stderr stays on stderr"
	like "$(printf '%s\n' "$err" | tail -1)" '^#0123abcd DONE [0-9]+\.[0-9]s$' "[$MODE] DONE with the time"
	loud $k '{"parent":"base","args":["/bin/sh","-c","exit 3"],"env":["PATH=/bin"]}'
	is "$rc:$err" "1:#0123abcd RUN /bin/sh -c exit 3
#0123abcd ERROR: exit status 3
df2make-runtime: RUN /bin/sh -c exit 3: exit status 3" "[$MODE] no title: the argv; ERROR with the exit status"
	loud $k '{"parent":"base","args":["/nonexistent"],"env":[]}'
	like "$(printf '%s\n' "$err" | sed -n 2p)" '^#0123abcd ERROR: exec /nonexistent: No such file' "[$MODE] set-up failure: ERROR with the cause"
	long=$(printf '%05000d' 0)
	loud $k "{\"parent\":\"base\",\"args\":[\"/bin/sh\",\"-c\",\"printf $long\"],\"env\":[\"PATH=/bin\"]}"
	is "$(printf '%s\n' "$out" | awk '{print length($0)}' | tr '\n' ' ')" "4106 914 " "[$MODE] a line longer than the buffer is cut into prefixed pieces"
	run_step $k '{"parent":"base","args":["/bin/sh","-c","echo plain; echo e >&2"],"env":["PATH=/bin"]}'
	is "$out/$err" "plain/e" "[$MODE] -q: output untouched, no progress lines"
}
both_modes

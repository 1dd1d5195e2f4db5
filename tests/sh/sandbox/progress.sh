# Progress lines of a RUN step (BuildKit's plain output): "#ID TITLE",
# the command's output relayed as "#ID SECS LINE" (stdout to stdout,
# stderr to stderr), "#ID DONE 1.2s" or "#ID ERROR: ..."; ID is the spec's
# "vertex", KEY8 without one; -q passes the output through untouched.
. "$SRCDIR/tests/sh/sandbox/common.inc"

# loud KEY JSON [OPTION]: like run_step, without -q, in plain mode.
loud() {
	local f=$W/out.$$ g=$W/err.$$
	DF2MAKE_PROGRESS=plain $WRAP "$DF2MAKE_RUNTIME_BIN" ${3:-} --state "$S" --store "$ST" \
		run "$1" "$2" >"$f" 2>"$g"
	rc=$?
	out=$(cat "$f") err=$(cat "$g")
	rm -f "$f" "$g"
}

# the seconds since the step began, "0.123", made comparable: "T"
stamps() { sed -E 's/^(#[0-9a-f]+) [0-9]+\.[0-9]+ /\1 T /'; }

cases() {
	local k=0123abcd0123abcd0123abcd0123abcd long
	fresh progress
	loud $k '{"title":"[s 2/5] RUN work","parent":"base","args":["/bin/sh","-c","echo out1; echo err1 >&2; echo out2; printf tail"],"env":["PATH=/bin"]}'
	is "$(printf '%s\n' "$out" | stamps)" "#0123abcd T out1
#0123abcd T out2
#0123abcd T tail" "[$MODE] stdout relayed line by line, stamped, with the key; last partial line ended"
	is "$(printf '%s\n' "$err" | sed '$d' | stamps)" "#0123abcd [s 2/5] RUN work
#0123abcd T err1" "[$MODE] title first; stderr stays on stderr"
	like "$(printf '%s\n' "$err" | tail -1)" '^#0123abcd DONE [0-9]+\.[0-9]s$' "[$MODE] DONE with the time"
	loud $k '{"vertex":7,"title":"[s 2/5] RUN work","parent":"base","args":["/bin/sh","-c","echo out"],"env":["PATH=/bin"]}'
	is "$(printf '%s\n' "$err" "$out" | sed 's/[0-9.]*s$/S/' | stamps)" "#7 [s 2/5] RUN work
#7 DONE S
#7 T out" "[$MODE] with a vertex: #7 on every line"
	loud $k '{"parent":"base","args":["/bin/sh","-c","exit 3"],"env":["PATH=/bin"]}'
	is "$rc:$err" '1:#0123abcd RUN /bin/sh -c exit 3
#0123abcd ERROR: process "/bin/sh -c exit 3" did not complete successfully: exit code: 3
------
 > RUN /bin/sh -c exit 3:
------
ERROR: process "/bin/sh -c exit 3" did not complete successfully: exit code: 3
df2make-runtime: RUN /bin/sh -c exit 3: exit status 3' "[$MODE] no title: the argv; ERROR as BuildKit's; the report (no loc: no excerpt)"
	loud $k '{"parent":"base","args":["/bin/sh","-c","exit 3"],"env":["PATH=/bin"]}' --progress=bogus
	is "$rc:$err" "2:df2make-runtime: --progress: unknown mode 'bogus' (want auto, plain, tty, quiet, none or rawjson)" \
		"[$MODE] an unknown --progress mode: usage error"
	loud $k '{"parent":"base","args":["/nonexistent"],"env":[]}'
	like "$(printf '%s\n' "$err" | sed -n 2p)" '^#0123abcd ERROR: exec /nonexistent: No such file' "[$MODE] set-up failure: ERROR with the cause"
	long=$(printf '%05000d' 0)
	loud $k "{\"parent\":\"base\",\"args\":[\"/bin/sh\",\"-c\",\"printf $long\"],\"env\":[\"PATH=/bin\"]}"
	is "$(printf '%s\n' "$out" | stamps | awk '{print length($0)}' | tr '\n' ' ')" "4108 916 " "[$MODE] a line longer than the buffer is cut into prefixed pieces"
	run_step $k '{"parent":"base","args":["/bin/sh","-c","echo plain; echo e >&2"],"env":["PATH=/bin"]}'
	is "$out/$err" "plain/e" "[$MODE] -q: output untouched, no progress lines"
}
both_modes

#!/usr/bin/env bash
# Errors the compiler returns to main() as struct diag (docs/architecture.md,
# "Compiler errors"): each prints FILE:LINE:COL: error: MSG, the source line
# and a caret (or "df2make: MSG" with no place), exits 1, and leaves
# nothing on stdout, on every path main() takes (one platform, a list of
# platforms, --plan, --check).
. "$SRCDIR/tests/lib.sh"
mkdir -p "$T/ctx"
cd "$T" || exit 1
run() { "$DF2MAKE" --store "$T/s" -f "$T/ctx/Dockerfile" "$@" "$T/ctx" >out 2>err; }

# (a duplicate stage name is only a lint warning, as in BuildKit)
printf 'FROM scratch AS a\nRUN true\nFROM scratch AS b\nCOPY --from=$X /a /b\n' >ctx/Dockerfile
fromvar="$T/ctx/Dockerfile:4:6: error: variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround
COPY --from=\$X /a /b
     ^"
for mode in "" --plan "--platform linux/amd64,linux/arm64"; do
	run $mode
	is "$?" 1 "--from=\$X (${mode:-build.mk}): exit 1"
	is "$(cat err)" "$fromvar" "... the located error, the line and a caret"
	is "$(wc -c <out)" 0 "... nothing on stdout"
done

printf 'FROM scratch AS x\nCOPY --from=later /a /b\nFROM scratch AS later\nFROM x\n' >ctx/Dockerfile
run
is "$?" 1 "a stage used before it is defined: exit 1"
is "$(cat err)" "$T/ctx/Dockerfile:2:1: error: cannot copy from stage \"later\", it needs to be defined before current stage \"x\"
COPY --from=later /a /b
^" "... located at the COPY, with a caret"

printf 'FROM scratch AS base\n' >ctx/Dockerfile
run --target bsae
is "$?" 1 "an unknown --target: exit 1"
is "$(cat err)" "df2make: target stage \"bsae\" could not be found (did you mean base?)" \
	"... no place in the file: df2make: MSG"
run --check --target bsae
is "$?" 1 "--check with an unknown --target: exit 1"
is "$(cat err)" "df2make: target stage \"bsae\" could not be found (did you mean base?)" \
	"... the same message"
is "$(wc -c <out)" 0 "... and no findings on stdout"

printf '\tFROM scratch\nCOPY --chwon=1 a /b\n' >ctx/Dockerfile
run --platform linux/amd64,linux/arm64
is "$?" 1 "a reader error under a platform list: exit 1"
is "$(cat err)" "$T/ctx/Dockerfile:2:6: error: unknown flag: --chwon (did you mean chown?)
COPY --chwon=1 a /b
     ^" "... printed once, with its caret"

# Errors found while dispatching a stage: only the first is shown (the
# stage stops at that instruction), as when the compile exited there.
printf 'FROM scratch\nENV E=\nVOLUME $E\n' >ctx/Dockerfile
run --plan
is "$?" 1 "VOLUME expanding to nothing: exit 1"
is "$(cat err)" "$T/ctx/Dockerfile:3:1: error: VOLUME specified can not be an empty string
VOLUME \$E
^" "... located, with a caret"
printf 'FROM scratch\nARG S=SIGBOGUS\nSTOPSIGNAL $S\n' >ctx/Dockerfile
run
is "$?:$(cat err)" "1:$T/ctx/Dockerfile:3:1: error: invalid signal: SIGBOGUS
STOPSIGNAL \$S
^" "STOPSIGNAL: the signal a variable gives is checked too (dispatchStopSignal)"
printf 'FROM scratch\nENV E=\nWORKDIR /w\nWORKDIR $E\n' >ctx/Dockerfile
run
is "$?:$(grep ' workdir ' out | grep -o '"path":"[^"]*"' | paste -sd' ')" '0:"path":"/w" "path":"/w"' \
	"WORKDIR expanding to nothing keeps the directory (BuildKit's NormalizePath)"
printf 'FROM scratch\nEXPOSE 80 0-99999999999 70000\n' >ctx/Dockerfile
run
is "$?" 1 "two bad EXPOSE ports: exit 1"
is "$(cat err)" "$T/ctx/Dockerfile:2:1: error: invalid containerPort: 0-99999999999
EXPOSE 80 0-99999999999 70000
^" "... the first one only"
is "$(wc -c <out)" 0 "... nothing on stdout"
printf 'FROM scratch\nENV E=\nVOLUME a $E $E\n' >ctx/Dockerfile
run --platform linux/amd64,linux/arm64
is "$?" 1 "an empty VOLUME under a platform list: exit 1"
is "$(cat err)" "$T/ctx/Dockerfile:3:1: error: VOLUME specified can not be an empty string
VOLUME a \$E \$E
^" "... printed once"

printf 'FROM scratch\nWORKDIR /\nRUN --mount=type=cache,target=. true\n' >ctx/Dockerfile
run
is "$?" 1 "a mount over the root: exit 1"
is "$(cat err)" "$T/ctx/Dockerfile:3:5: error: invalid mount target \"/\"
RUN --mount=type=cache,target=. true
    ^" "... located at the --mount, with a caret"
printf 'FROM scratch\nRUN --mount=type=secret,id=s,required=true true\n' >ctx/Dockerfile
run
is "$?" 1 "a required secret not given: exit 1"
is "$(cat err)" "$T/ctx/Dockerfile:2:5: error: secret s: not provided (use --secret id=s,src=FILE)
RUN --mount=type=secret,id=s,required=true true
    ^" "... the message says how to give it"
printf 'FROM scratch\nARG S=12q\nRUN --mount=type=tmpfs,target=/t,size=$S true\n' >ctx/Dockerfile
run --plan
is "$?" 1 "a tmpfs size bad once expanded: exit 1"
is "$(cat err)" "$T/ctx/Dockerfile:3:1: error: invalid tmpfs size: \$S
RUN --mount=type=tmpfs,target=/t,size=\$S true
^" "... located at the RUN"
printf 'FROM scratch\nCOPY nothere /x\n' >ctx/Dockerfile
run
is "$?" 1 "a COPY source not in the context: exit 1"
is "$(cat err)" "$T/ctx/Dockerfile:2:1: error: source \"nothere\": not found in the build context
COPY nothere /x
^" "... located at the COPY"
is "$(wc -c <out)" 0 "... nothing on stdout"

# An instruction's heredoc count is 16 bits (session 9, mem3: the
# instruction is 16 bytes smaller): 65,535 heredocs (a line each through
# continuations; a line is at most 65,535 bytes) compile, one more is an
# error at the instruction. BuildKit has no such limit.
heredocs() { awk -v n="$1" 'BEGIN { printf "FROM scratch\nRUN"
	for (i = 0; i < n; i++) printf " <<H%d \\\n", i; print "true"; for (i = 0; i < n; i++) print "H" i }'; }
heredocs 65535 >ctx/Dockerfile
run
is "$?:$(cat err)" "0:" "65,535 heredocs in one RUN compile"
heredocs 65536 >ctx/Dockerfile
run
is "$?" 1 "65,536 heredocs in one RUN: exit 1"
is "$(cat err)" "$T/ctx/Dockerfile:2:1: error: more than 65535 heredocs in one instruction
RUN <<H0 \\
^" "... located at the RUN"

"$DF2MAKE" --allow network.hots -f ctx/Dockerfile ctx >out 2>err
is "$?" 1 "a bad --allow: exit 1"
is "$(cat err)" 'df2make: --allow: unknown entitlement "network.hots" (want network.host, security.insecure or device[=NAME])' \
	"... the message names the flag"
done_testing

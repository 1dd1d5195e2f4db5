#!/usr/bin/env bash
# Plain progress through make (BuildKit's --progress=plain): "#N TITLE"
# when a step starts, "#N T OUTPUT" per output line, "#N DONE 1.2s",
# "#N CACHED" or "#N ERROR: ..." at its end. N is the step's number in
# build.mk (fixed at compile time, so the same under make -j).
. "$SRCDIR/tests/sh/e2e/progress.inc"
echo x >ctx/x.txt
printf 'FROM bb AS a\nRUN echo built > /b; echo out; echo err >&2\nFROM scratch\nCOPY x.txt /x.txt\nCOPY --from=a /b /b\n' \
	>ctx/Dockerfile

build ok Dockerfile
is "$(printf '%s\n' "$err" | grep -v 'writing layers' | norm)" "#3 FROM scratch (empty)
#3 DONE T
#4 [stage-1 1/2] COPY x.txt /x.txt
#4 DONE T
#1 [a 1/2] FROM docker.io/library/bb:latest@sha256:D
#1 DONE T
#2 [a 2/2] RUN echo built > /b; echo out; echo err >&2
#2 T err
#2 DONE T
#5 [stage-1 2/2] COPY --from=a /b /b
#5 DONE T
#6 exporting to image (tar ok.tar)
#6 DONE T" "base, copy, run and pack (the steps make their layers): one line format, numbered in build.mk's order"
is "$(printf '%s\n' "$out" | norm)" "#2 T out" "the command's stdout: numbered and stamped, on stdout"
like "$(grep '^#2 [0-9]' ok.err)" '^#2 [0-9]\.[0-9]{3} err$' "output lines carry the seconds since the step began (3 decimals under 10 s)"
like "$(grep 'writing layers' ok.err | tail -1)" '^#6 writing layers [0-9.]+kB / [0-9.]+kB [0-9.]+s done$' \
	"pack: the bytes written, BuildKit's status line"
check "each DONE carries the number of the step it ends" awk '
	/ DONE / { if ($1 != prev) exit 1 } { prev = $1 }' <<<"$err"
is "$(grep -cvE '^#[0-9]+ ' <<<"$err")" 0 "every line is a numbered progress line"
is "$(grep -o '"vertex":[0-9]*' ok.mk | tr '\n' ' ')" \
	'"vertex":1 "vertex":2 "vertex":3 "vertex":4 "vertex":5 "vertex":6 ' \
	"build.mk numbers its steps in order"

# one stage: no stage name in the titles; ten steps or more: the number
# padded to the total's width (BuildKit's prefixCommand). BuildKit counts
# the image's FROM, RUN, COPY, ADD and WORKDIR only, not ENV or CMD; a
# scratch FROM has no number (docker 20.10 prints "[a 1/1] COPY" for a
# stage FROM scratch with one COPY).
printf 'FROM bb\nENV A=1\nRUN : 2\nRUN : 3\nENV B=2\nRUN : 4\nRUN : 5\nRUN : 6\nRUN : 7\nRUN : 8\nRUN : 9\nRUN echo ten\nCMD ["x"]\n' \
	>ctx/Dockerfile.ten
build ten Dockerfile.ten --state st-ten
is "$(grep -E '^#[0-9]+ \[' ten.err | norm | sed -n '1,2p;$p')" "#1 [ 1/10] FROM docker.io/library/bb:latest@sha256:D
#2 [ 2/10] RUN : 2
#10 [10/10] RUN echo ten" "a single stage: [N/TOTAL], N as wide as TOTAL"

# a cached step: the same step in a second state dir, restored from the
# first build's exported cache
build exp Dockerfile --cache-to type=local,dest=cache,mode=max
build imp Dockerfile --state st2 --cache-from type=local,src=cache
is "$(printf '%s\n' "$err" | grep '^#[12] ' | norm)" "#1 [a 1/2] FROM docker.io/library/bb:latest@sha256:D
#1 DONE T
#2 [a 2/2] RUN echo built > /b; echo out; echo err >&2
#2 CACHED" "a step restored from a cache: its title, then CACHED (no output)"
done_testing

#!/usr/bin/env bash
# A failing RUN's report, as docker build prints it: the step's last ten
# output lines, the Dockerfile excerpt with the failing lines marked ">>>"
# (BuildKit's layout: a line or two around them), and
# `ERROR: process "..." did not complete successfully: exit code: N`.
. "$SRCDIR/tests/sh/e2e/progress.inc"
echo x >ctx/x.txt
cat >ctx/Dockerfile.mid <<'DF'
FROM bb
RUN echo one
RUN for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo line $i; done; \
    echo bad >&2; \
    exit 2
RUN echo never
COPY x.txt /
DF
cat >ctx/Dockerfile.heredoc <<'DF'
FROM bb
RUN <<EOF
echo "in heredoc"
exit 5
EOF
COPY x.txt /
DF
printf 'FROM bb\nRUN exit 3' >ctx/Dockerfile.one

build mid Dockerfile.mid
is "$rc" 2 "make fails"
is "$(grep -v '^make' mid.err | sed -n '/^#3 ERROR/,$p' | norm)" \
	'#3 ERROR: process "/bin/sh -c for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo line $i; done;     echo bad >&2;     exit 2" did not complete successfully: exit code: 2
------
 > [3/5] RUN for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo line $i; done;     echo bad >&2;     exit 2:
T line 4
T line 5
T line 6
T line 7
T line 8
T line 9
T line 10
T line 11
T line 12
T bad
------
Dockerfile.mid:3
--------------------
   2 |     RUN echo one
   3 | >>> RUN for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo line $i; done; \
   4 | >>>     echo bad >&2; \
   5 | >>>     exit 2
   6 |     RUN echo never
--------------------
ERROR: process "/bin/sh -c for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo line $i; done;     echo bad >&2;     exit 2" did not complete successfully: exit code: 2
df2make-runtime: Dockerfile.mid:3: RUN for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo line $i; done;     echo bad >&2;     exit 2: exit status 2' \
	"a multi-line RUN in the middle: the last 10 output lines, a line around the excerpt"

build heredoc Dockerfile.heredoc
is "$(grep -v '^make' heredoc.err | sed -n '/^------/,/^ERROR/p' | norm)" '------
 > [2/3] RUN <<EOF:
T in heredoc
------
Dockerfile.heredoc:2
--------------------
   1 |     FROM bb
   2 | >>> RUN <<EOF
   3 | >>> echo "in heredoc"
   4 | >>> exit 5
   5 | >>> EOF
   6 |     COPY x.txt /
--------------------
ERROR: process "/bin/sh -c echo \"in heredoc\"\nexit 5\n" did not complete successfully: exit code: 5' \
	"a heredoc RUN: its body and terminator marked, the script quoted as Go's %q"

# the report of Dockerfile.one, with every progress mode
one='------
 > [2/2] RUN exit 3:
------
Dockerfile.one:2
--------------------
   1 |     FROM bb
   2 | >>> RUN exit 3
--------------------
ERROR: process "/bin/sh -c exit 3" did not complete successfully: exit code: 3'
build one Dockerfile.one
is "$(grep -v '^make' one.err | sed -n '/^------/,/^ERROR/p')" "$one" \
	"a one-line RUN at the end of a file without a final newline: no output, lines up to the end"

build quiet Dockerfile.one --progress quiet
is "$(grep -v '^make' quiet.err | sed -n '1,/^ERROR/p')" "$one" \
	"--progress=quiet: nothing but the report"
# a base image that is not in the store and cannot be pulled (a closed
# loopback port): the FROM line marked, what failed, how to get the image
printf 'FROM 127.0.0.1:1/nosuch:1\nRUN true\n' >ctx/Dockerfile.base
build base Dockerfile.base 2>/dev/null
how='; it is not in the store: pull it with `df2make-runtime pull 127.0.0.1:1/nosuch:1` once the registry answers, or load it with `df2make-runtime load -i IMAGE.tar`'
# the transport's own words (curl's) made comparable
cause() { sed -E 's|(manifests/1: )[^;]*(;\|$)|\1CAUSE\2|'; }
is "$(grep -v '^make' base.err | cause)" "#1 [internal] pull 127.0.0.1:1/nosuch:1
#1 ERROR: 127.0.0.1:1/nosuch:1: failed to resolve source metadata for 127.0.0.1:1/nosuch:1: pull from 127.0.0.1:1: nosuch:1: GET https://127.0.0.1:1/v2/nosuch/manifests/1: CAUSE$how
------
 > [internal] pull 127.0.0.1:1/nosuch:1:
------
Dockerfile.base:1
--------------------
   1 | >>> FROM 127.0.0.1:1/nosuch:1
   2 |     RUN true
   3 |     
--------------------
ERROR: 127.0.0.1:1/nosuch:1: failed to resolve source metadata for 127.0.0.1:1/nosuch:1: pull from 127.0.0.1:1: nosuch:1: GET https://127.0.0.1:1/v2/nosuch/manifests/1: CAUSE$how
df2make-runtime: Dockerfile.base:1: pull 127.0.0.1:1/nosuch:1: pull from 127.0.0.1:1: nosuch:1: GET https://127.0.0.1:1/v2/nosuch/manifests/1: CAUSE" \
	"a base image that cannot be pulled: the FROM line, what failed while pulling, the commands that get it"
done_testing

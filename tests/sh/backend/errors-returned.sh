#!/usr/bin/env bash
# The errors that used to exit where they were found (exit(), fatal(),
# loc_fatal() in compiler/*.c), now returned to main() as struct diag
# (docs/architecture.md, "Compiler errors"): the same message, exit 1,
# nothing on stdout, and a build.mk written into a regular file taken back.
. "$SRCDIR/tests/lib.sh"
mkdir -p "$T/ctx" "$T/tpl"
cd "$T" || exit 1
touch ctx/a
run() { "$DF2MAKE" --store "$T/s" -f "$T/ctx/Dockerfile" "$@" "$T/ctx" >out 2>err; }
# expect DESC STATUS MESSAGE: the last run's status, stderr, empty stdout.
expect() {
	is "$?:$(cat err)" "$2:$3" "$1: exit $2, the message"
	is "$(wc -c <out)" 0 "... nothing on stdout"
}

# An expansion error (${X:?msg}) in a global ARG, in every mode that reads them.
printf 'ARG A=${X:?boom}\nFROM scratch\n' >ctx/Dockerfile
msg="$T/ctx/Dockerfile:1:1: error: X: boom
ARG A=\${X:?boom}
^"
for mode in "" --check --plan --graph "--call outline" "--platform linux/amd64,linux/arm64"; do
	run $mode
	expect "a global ARG's expansion error (${mode:-build.mk})" 1 "$msg"
done
# ... but a default that expands only with the build-args is no error:
# BuildKit abandons the lint check that expands the defaults alone
printf 'ARG X\nARG A=${X:?boom}\nFROM scratch\n' >ctx/Dockerfile
run --build-arg X=1
is "$?:$(cat err)" "0:" "a global ARG default that needs its build-arg: compiles, no message"
run --check --build-arg X=1
is "$?:$(cat out)" "0:Check complete, no warnings found." "... and --check finds nothing"
run --check
expect "... without the build-arg: the expansion error" 1 "$T/ctx/Dockerfile:2:1: error: X: boom
ARG A=\${X:?boom}
^"
printf 'FROM ${X:?nobase}\n' >ctx/Dockerfile
run
expect "a FROM's expansion error" 1 "$T/ctx/Dockerfile:1:1: error: X: nobase
FROM \${X:?nobase}
^"
# ... in a stage: the instruction's, and none after it
printf 'FROM scratch\nENV A=${X:?inenv}\nCOPY ${Y:?second} /b\n' >ctx/Dockerfile
for mode in "" --plan; do
	run $mode
	expect "an ENV's expansion error (${mode:-build.mk})" 1 "$T/ctx/Dockerfile:2:1: error: X: inenv
ENV A=\${X:?inenv}
^"
done
printf 'FROM scratch\nCOPY ${Y:?nosrc} /b\n' >ctx/Dockerfile
run
expect "a COPY source's expansion error" 1 "$T/ctx/Dockerfile:2:1: error: Y: nosrc
COPY \${Y:?nosrc} /b
^"
printf 'FROM scratch\nRUN --mount=type=cache,target=${T:?notarget} true\n' >ctx/Dockerfile
run
expect "a mount option's expansion error" 1 "$T/ctx/Dockerfile:2:1: error: T: notarget
RUN --mount=type=cache,target=\${T:?notarget} true
^"

printf 'FROM scratch\nRUN --mount=type=bind,source=${S:?nosrc},target=/x true\n' >ctx/Dockerfile
run
expect "a bind mount source's expansion error" 1 "$T/ctx/Dockerfile:2:1: error: S: nosrc
RUN --mount=type=bind,source=\${S:?nosrc},target=/x true
^"

printf 'FROM scratch\nCOPY --from=UPPER /a /b\n' >ctx/Dockerfile
run
expect "COPY --from a bad image reference" 1 "$T/ctx/Dockerfile:2:1: error: invalid image reference \"UPPER\": invalid reference format: repository name (UPPER) must be lowercase
COPY --from=UPPER /a /b
^"

# Errors of the emitter, found after the graph is made.
printf 'FROM scratch\nCOPY a /b\n' >ctx/Dockerfile
run --build-arg SOURCE_DATE_EPOCH=abc
expect "SOURCE_DATE_EPOCH not a number" 1 \
	"df2make: SOURCE_DATE_EPOCH must be a number of seconds, not 'abc'"
SOURCE_DATE_EPOCH=-5 run
expect "SOURCE_DATE_EPOCH negative, from the environment" 1 \
	"df2make: SOURCE_DATE_EPOCH must be a number of seconds, not '-5'"
run -t UP:x
expect "-t not a valid reference" 1 \
	"df2make: -t UP:x: invalid reference format: repository name (UP:x) must be lowercase"
printf 'x @BOGUS@\n' >tpl/copy.mk
run --templates tpl
expect "--templates: an unknown placeholder" 1 "df2make: template copy.mk: unknown placeholder @BOGUS@"
rm tpl/copy.mk
mkdir tpl/copy.mk
run --templates tpl
expect "--templates: a template that cannot be read" 1 \
	"df2make: template $T/tpl/copy.mk: $T/tpl/copy.mk is a directory, not a regular file"

# ... the same under a platform list (one pack for every platform), and
# the rules after the image
plist="--platform linux/amd64,linux/arm64"
run $plist --build-arg SOURCE_DATE_EPOCH=1x
expect "SOURCE_DATE_EPOCH not a number ($plist)" 1 \
	"df2make: SOURCE_DATE_EPOCH must be a number of seconds, not '1x'"
run $plist -t UP:x
expect "-t not a valid reference ($plist)" 1 \
	"df2make: -t UP:x: invalid reference format: repository name (UP:x) must be lowercase"
rm -r tpl/copy.mk
printf 'x @NOPE@\n' >tpl/base.mk
run $plist --templates tpl
expect "--templates: an unknown placeholder in the first step's ($plist)" 1 \
	"df2make: template base.mk: unknown placeholder @NOPE@"
mv tpl/base.mk tpl/prologue.mk
run --templates tpl
expect "--templates: an unknown placeholder in build.mk's head" 1 \
	"df2make: template prologue.mk: unknown placeholder @NOPE@"
rm tpl/prologue.mk
why="cannot be named in a Makefile (make reads a newline, tab, ; = | %, a trailing \\ & ) or blank as syntax): rename it"
run --iidfile 'a;b'
expect "--iidfile make cannot name" 1 "df2make: --iidfile 'a;b' $why"
run --metadata-file 'x|y' $plist
expect "--metadata-file make cannot name ($plist)" 1 "df2make: --metadata-file 'x|y' $why"

# --dump-ast: the read error of the file, returned to main() as the
# parse errors are (tests/sh/front/dump_ast.sh)
"$DF2MAKE" --dump-ast "$T/nothere" >out 2>err
expect "--dump-ast of a missing file" 1 "df2make: $T/nothere: No such file or directory"

# A build.mk written straight into a regular file (compiler/outfile.c) is
# taken back when an error comes after steps were written: the file
# keeps what it had.
sh "$SRCDIR/bench/gen-dockerfile.sh" 3000 >ctx/Dockerfile
mkdir -p ctx/src/b
printf 'COPY --from=UPPER /a /b\n' >>ctx/Dockerfile
printf 'kept\n' >mk
"$DF2MAKE" --store "$T/s" -f ctx/Dockerfile ctx >>mk 2>err
is "$?:$(cat mk)" "1:kept" "an error after 3000 lines of steps: exit 1, the file as it was"
like "$(cat err)" "error: invalid image reference \"UPPER\"" "... with the error"
sed -i '$d' ctx/Dockerfile
"$DF2MAKE" --store "$T/s" -f ctx/Dockerfile --build-arg SOURCE_DATE_EPOCH=x ctx >>mk 2>err
is "$?:$(cat mk):$(cat err)" \
	"1:kept:df2make: SOURCE_DATE_EPOCH must be a number of seconds, not 'x'" \
	"an emitter error after the steps: the file as it was"

# Standard output that cannot be written: a big build.mk (spilled to a
# temporary file as it grows), a small one, a plan.
if [ -w /dev/full ]; then
	for mode in "" --plan; do
		"$DF2MAKE" --store "$T/s" -f ctx/Dockerfile $mode ctx >/dev/full 2>err
		is "$?:$(cat err)" "1:df2make: write error on standard output" \
			"stdout full (${mode:-big build.mk}): exit 1, the message"
	done
	printf 'FROM scratch\n' >ctx/Dockerfile
	"$DF2MAKE" --dump-ast ctx/Dockerfile >/dev/full 2>err
	is "$?:$(cat err)" "1:df2make: write error on standard output" "stdout full (--dump-ast)"
	"$DF2MAKE" --store "$T/s" -f ctx/Dockerfile ctx >/dev/full 2>err
	is "$?:$(cat err)" "1:df2make: write error on standard output" \
		"stdout full (small build.mk): exit 1, the message"
else
	skip "stdout full" "no writable /dev/full"
fi
done_testing

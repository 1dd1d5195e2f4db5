#!/usr/bin/env bash
# Inputs the tools read (issue 13 item 6): a Dockerfile, .dockerignore or
# template that is a FIFO nobody writes, a device (/dev/zero), a directory
# or a huge file is a clear error, at once, with nothing on stdout; never a
# hang or unbounded memory. A FIFO inside the build context is never opened:
# copied as a FIFO inside a copied directory (BuildKit sends special files
# as nodes), an error when COPY names it. `-f` may follow a symlink out of
# the context (the user asked), and an error shows no more of a file than
# the offending line.
. "$SRCDIR/tests/sh/security/common.bash"
need timeout mkfifo truncate
cd "$T" || exit 1
base_image || { not_ok "base image import"; done_testing; exit 1; }

D=$T/in
mkdir -p "$D/ctx" "$D/out"
printf 'FROM busybox\nCOPY a /a\n' >"$D/ctx/Dockerfile"
echo a >"$D/ctx/a"
mkfifo "$D/fifo"
truncate -s 65M "$D/huge"
# df2make_err WHAT WANT ARGS...: df2make ARGS fails in time with exactly
# WANT on stderr and nothing on stdout.
df2make_err() {
	local what=$1 want=$2 r
	shift 2
	timeout 20 "$DF2MAKE" --store "$ST" "$@" >"$D/stdout" 2>"$D/err"
	r=$?
	is "$r:$(wc -c <"$D/stdout"):$(cat "$D/err")" "1:0:$want" "$what"
}
df2make_err "-f FIFO with no writer: refused at once" \
	"df2make: $D/fifo is a FIFO, not a regular file" -f "$D/fifo" "$D/ctx"
df2make_err "-f /dev/zero: refused, not read" \
	"df2make: /dev/zero is a character device, not a regular file" -f /dev/zero "$D/ctx"
df2make_err "-f /dev/null: refused" \
	"df2make: /dev/null is a character device, not a regular file" -f /dev/null "$D/ctx"
df2make_err "-f DIRECTORY: refused" \
	"df2make: $D/ctx is a directory, not a regular file" -f "$D/ctx" "$D/ctx"
df2make_err "-f a 65 MiB file: refused before reading" \
	"df2make: $D/huge is larger than 64 MiB" -f "$D/huge" "$D/ctx"
ln -s /dev/zero "$D/zlink"
df2make_err "-f a symlink to /dev/zero: refused" \
	"df2make: $D/zlink is a character device, not a regular file" -f "$D/zlink" "$D/ctx"
df2make_err "--dump-ast FIFO: refused" \
	"df2make: $D/fifo is a FIFO, not a regular file" --dump-ast "$D/fifo"

mkfifo "$D/ctx/.dockerignore"
df2make_err ".dockerignore a FIFO: refused" \
	"df2make: $D/ctx/.dockerignore is a FIFO, not a regular file" "$D/ctx"
rm "$D/ctx/.dockerignore" && ln -s /dev/zero "$D/ctx/.dockerignore"
df2make_err ".dockerignore a symlink to /dev/zero: refused" \
	"df2make: $D/ctx/.dockerignore is a character device, not a regular file" "$D/ctx"
rm "$D/ctx/.dockerignore" && mkfifo "$D/ctx/Dockerfile.dockerignore"
df2make_err "Dockerfile.dockerignore a FIFO: refused" \
	"df2make: $D/ctx/Dockerfile.dockerignore is a FIFO, not a regular file" "$D/ctx"
rm "$D/ctx/Dockerfile.dockerignore"
mkdir -p "$D/tpl" && mkfifo "$D/tpl/run.mk"
printf 'FROM busybox\nRUN true\n' >"$D/run.df"
df2make_err "--templates DIR with a FIFO template: refused" \
	"df2make: template $D/tpl/run.mk: $D/tpl/run.mk is a FIFO, not a regular file" \
	--templates "$D/tpl" -f "$D/run.df" "$D/ctx"

# -f through a symlink out of the context: fine
mkdir -p "$D/elsewhere"
printf 'FROM busybox\nCOPY a /a\n' >"$D/elsewhere/Dockerfile"
ln -s "$D/elsewhere/Dockerfile" "$D/ctx/linked.df"
timeout 20 "$DF2MAKE" --store "$ST" -f "$D/ctx/linked.df" "$D/ctx" >"$D/out/b.mk" 2>"$D/err"
is "$?" 0 "-f a symlink to a Dockerfile outside the context: compiles"

# an error shows the offending line, nothing else of the file
printf 'SECRET-LINE-1\nFROM busybox\nBOGUS x\nSECRET-LINE-4\n' >"$D/elsewhere/secret.df"
sed -i 1d "$D/elsewhere/secret.df" && sed -i '1i # SECRET-LINE-1' "$D/elsewhere/secret.df"
timeout 20 "$DF2MAKE" --store "$ST" -f "$D/elsewhere/secret.df" "$D/ctx" >/dev/null 2>"$D/err"
is "$?" 1 "a Dockerfile with an unknown instruction: exit 1"
like "$(cat "$D/err")" 'secret.df:3:1: error: .*BOGUS' "  FILE:LINE:COL: error: naming it"
check "  no other line of the file in the message" refute grep -q SECRET "$D/err"
{ printf 'FROM busybox\nBOGUS '; head -c 100000 /dev/zero | tr '\0' x; echo; } >"$D/long.df"
timeout 20 "$DF2MAKE" --store "$ST" -f "$D/long.df" "$D/ctx" >/dev/null 2>"$D/err"
check "  a 100 kB offending line is shown cut (error under 2 kB)" \
	[ "$(wc -c <"$D/err")" -lt 2048 ]

# FIFOs in the context
mkfifo "$D/ctx/pipe"
mkdir -p "$D/ctx/dir" && mkfifo "$D/ctx/dir/pipe" && echo f >"$D/ctx/dir/file"
# mk BODY: compile and make the context with that Dockerfile body.
mk() {
	printf 'FROM busybox\n%s\n' "$1" >"$D/ctx/Dockerfile"
	rm -rf "$D/state" "$D/out/i.tar"
	timeout 20 "$DF2MAKE" --store "$ST" --state "$D/state" -o "$D/out/i.tar" "$D/ctx" \
		>"$D/out/b.mk" 2>"$D/log" && timeout 60 make -f "$D/out/b.mk" >>"$D/log" 2>&1
	rc=$?
}
# named: made again as a FIFO, never opened for its data (current BuildKit's
# fsutil copyDevice; BuildKit v0.8 skipped it)
mk 'COPY pipe /p'
is "$rc" 0 "COPY naming a FIFO: builds in time (no hang)"
top=$(tar -xOf "$D/out/i.tar" manifest.json | jq -r '.[0].Layers[-1]')
is "$(tar -xOf "$D/out/i.tar" "$top" | tar -tvf - | awk '$NF == "p" {print substr($1, 1, 1)}')" p \
	"  /p is a FIFO in the layer"
mk 'COPY dir /d'
is "$rc" 0 "COPY of a directory holding a FIFO: builds in time"
top=$(tar -xOf "$D/out/i.tar" manifest.json | jq -r '.[0].Layers[-1]')
types=$(tar -xOf "$D/out/i.tar" "$top" | tar -tvf - |
	awk '$NF == "d/pipe" || $NF == "d/file" {print substr($1, 1, 1), $NF}' | sort | tr '\n' ' ')
is "$types" "- d/file p d/pipe " "  the FIFO is in the layer as a FIFO, the file as a file"
mk 'RUN --mount=type=bind,target=/m ls /m/dir >/ls'
is "$rc" 0 "a bind mount of a context with FIFOs: builds in time"
# devices in the context (a tarball unpacked as root can hold them)
mknod "$D/ctx/zero" c 1 5 && mkdir -p "$D/ctx/devdir" && mknod "$D/ctx/devdir/zero" c 1 5
mk 'COPY zero /z'
check "COPY naming a character device (1,5 = zero): fails in time, nothing read" \
	[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]
like "$(cat "$D/log")" 'source "zero" is not a regular file, directory or FIFO' \
	"  with a clear message"
mk 'COPY devdir /dd'
is "$rc" 0 "COPY of a directory holding /dev/zero's twin: builds in time"
top=$(tar -xOf "$D/out/i.tar" manifest.json | jq -r '.[0].Layers[-1]')
like "$(tar -xOf "$D/out/i.tar" "$top" | tar -tvf - | grep 'dd/zero')" '^c.* 1,5 ' \
	"  copied as the device node, not as its bytes"
rm -rf "$D/ctx/zero" "$D/ctx/devdir"
# a tree deeper than PATH_MAX (BuildKit's client fails to lstat it: "file
# name too long"): refused when compiling, at the COPY, not by make later
python3 - "$D/ctx/deep" <<'PY'
import os, sys
os.mkdir(sys.argv[1])
d = os.open(sys.argv[1], os.O_RDONLY)
for i in range(80):
    os.mkdir("d" * 60, dir_fd=d)
    n = os.open("d" * 60, os.O_RDONLY, dir_fd=d)
    os.close(d)
    d = n
PY
mk 'COPY deep /deep/'
is "$rc:$(wc -c <"$D/out/b.mk")" 1:0 "a context path longer than PATH_MAX: df2make fails, no build.mk"
like "$(cat "$D/log")" \
	'Dockerfile:2:1: error: stat deep/d{60}/.*\.\.\. \([0-9]+ bytes with the context.s directory\): File name too long' \
	"  at the COPY, with the path's start and its length"
printf 'deep\n' >"$D/ctx/.dockerignore"
mk 'COPY . /all/'
is "$rc" 0 "  the same tree left out by .dockerignore is not looked at"
done_testing

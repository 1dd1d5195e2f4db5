#!/usr/bin/env bash
# df2make --call targets|outline (docker build --call): the stages with
# their doc comments, and the build args, secrets and ssh ids the target
# needs, as buildx prints BuildKit's result.txt; nothing is built.
. "$SRCDIR/tests/lib.sh"
mkdir -p "$T/ctx"
cd "$T/ctx" || exit 1
export DF2MAKE_STORE=$T/store
cat >Dockerfile <<'DF'
# syntax=docker/dockerfile:1
ARG BASE=scratch
# GO_VERSION the Go release to build with
ARG GO_VERSION=1.22
ARG UNUSED=x

# builder compiles the app
FROM ${BASE} AS builder
# MODE release or debug
ARG MODE=release
ARG GO_VERSION
RUN --mount=type=secret,id=token,required=true --mount=type=ssh make

FROM scratch AS other
ARG NOPE=1

# release the small image
FROM scratch AS release
COPY --from=builder /x /x
DF
out=$("$DF2MAKE" --call targets . 2>"$T/err")
is "$?" 0 "--call targets exits 0"
is "$out" "TARGET            DESCRIPTION
builder           compiles the app
other             
release (default) the small image" "--call targets: every stage, its doc comment, the last one the default"
out=$("$DF2MAKE" --call outline . 2>"$T/err")
is "$?:$(cat "$T/err")" "0:" "--call outline exits 0, needs no secret or ssh grant"
is "$out" "TARGET:      release
DESCRIPTION: the small image

BUILD ARG    VALUE     DESCRIPTION
BASE         scratch   
GO_VERSION   1.22      the Go release to build with
MODE         release   release or debug

SECRET   REQUIRED
token    true

SSH       REQUIRED
default   " "--call outline: the args the target's stages use (globals of FROM lines, stage ARGs), secrets, ssh"
out=$("$DF2MAKE" --call outline --target other --build-arg NOPE=7 . 2>"$T/err")
is "$out" "TARGET: other

BUILD ARG   VALUE   DESCRIPTION
NOPE        7       " "--call outline --target other: a --build-arg's value"
"$DF2MAKE" --call outline --build-arg BASE=busybox . >/dev/null 2>"$T/err"
is "$?:$(cat "$T/err")" "0:" "a base image missing from the store: no warning (nothing is built or pulled)"
check "nothing was written for a build" test ! -e image.tar -a ! -e .df2make
done_testing

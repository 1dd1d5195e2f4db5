#!/usr/bin/env bash
# Progress through make, every op in one format (BuildKit's plain output):
# "#KEY8 TITLE" when a step starts, "#KEY8 DONE 0.0s" or "#KEY8 ERROR: ..."
# when it ends, the same key on both; FROM pinned to its manifest digest.
. "$SRCDIR/tests/lib.sh"
need make
[ "$(id -u)" = 0 ] || skip_all "needs root (overlay mounts)"
BUSYBOX=$(command -v busybox || echo /bin/busybox)
[ -x "$BUSYBOX" ] || skip_all "busybox not installed"
export DF2MAKE_STORE=$T/store
mkdir -p "$T/r/bin" "$T/ctx"
cp "$BUSYBOX" "$T/r/bin/busybox"
ln -s busybox "$T/r/bin/sh"
tar -C "$T/r" -cf "$T/root.tar" .
"$DF2MAKE_RUNTIME_BIN" import "$T/root.tar" bb >/dev/null || exit 1
cd "$T" || exit 1
echo x >ctx/x.txt
printf 'FROM bb AS a\nRUN echo built > /b\nFROM scratch\nCOPY x.txt /x.txt\nCOPY --from=a /b /b\n' \
	>ctx/Dockerfile
printf 'FROM bb\nRUN exit 3\n' >ctx/Dockerfile.run
printf 'FROM bb\nCOPY --from=bb /nope /x\n' >ctx/Dockerfile.copy

# build NAME DOCKERFILE: make -j1's stderr (deterministic order) in $err.
build() {
	"$DF2MAKE" -f "ctx/$2" -o "$1.tar" ctx >"$1.mk" || return 1
	# not a sub-make of `make check -j2`: no jobserver notes in the output
	err=$(env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		make -s -j1 -f "$1.mk" DF2MAKE_RUNTIME="$DF2MAKE_RUNTIME_BIN" 2>&1 >/dev/null)
}
# keys, times and digests made comparable
norm() { sed -E 's/^#[0-9a-f]{8} /# /; s/DONE [0-9]+\.[0-9]s$/DONE T/; s/sha256:[0-9a-f]{12}$/sha256:D/'; }

build ok Dockerfile
is "$(printf '%s\n' "$err" | norm)" "# [stage-1 1/3] FROM scratch (empty)
# DONE T
# [stage-1 2/3] COPY x.txt /x.txt
# DONE T
# [a 1/2] FROM docker.io/library/bb:latest@sha256:D
# DONE T
# [a 2/2] RUN echo built > /b
# DONE T
# [stage-1 3/3] COPY --from=a /b /b
# DONE T
# exporting layer
# DONE T
# exporting layer
# DONE T
# exporting to image (tar ok.tar)
# DONE T" "base, copy, run, layer and pack: one line format"
check "each DONE carries the key of the step it ends" awk '
	/ DONE / { if ($1 != prev) exit 1 } { prev = $1 }' <<<"$err"
is "$(grep -cvE '^#[0-9a-f]{8} ' <<<"$err")" 0 "every line is a keyed progress line"

build run Dockerfile.run
is "$(printf '%s\n' "$err" | grep -v '^make' | norm)" "# [stage-0 2/2] RUN exit 3
# ERROR: exit status 3
df2make-runtime: Dockerfile.run:2: RUN exit 3: exit status 3" "a failing RUN: ERROR line, then the runtime's message"

build copy Dockerfile.copy
got=$(printf '%s\n' "$err" | grep -v '^make' | norm)
like "$got" '^# \[stage-0 2/2\] COPY --from=bb /nope /x
# ERROR: .*nope.*
df2make-runtime: .*nope' "a failing COPY: the same ERROR line and message"
done_testing

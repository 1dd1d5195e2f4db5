#!/usr/bin/env bash
# The seed demo (examples/hello-go/demo.sh) with the built df2make: both
# Dockerfiles build with make -j, the images run and print "Hello Docker!",
# the size targets hold, and the multi-stage image has the same files and
# config as docker build's.
. "$SRCDIR/tests/lib.sh"
. "$SRCDIR/tests/lib/dockerd.sh"
need python3 make
[ -x "${DF2MAKE:-}" ] && [ -x "${DF2MAKE_RUNTIME_BIN:-}" ] || skip_all "df2make/df2make-runtime not built"
[ "$(id -u)" = 0 ] || skip_all "the demo needs root (mmdebstrap, sandbox, dockerd)"
export DEMO_OUT=$T/out DEMO_NO_DEPS=1 DF2MAKE DF2MAKE_RUNTIME_BIN
bash "$SRCDIR/examples/hello-go/demo.sh" >"$T/demo.log" 2>&1
rc=$?
sed 's/^/# /' "$T/demo.log" | tail -40
log=$(cat "$T/demo.log")
like "$log" 'hello:single built in' "hello:single built with df2make + make -j"
like "$log" 'hello:multi built in' "hello:multi built with df2make + make -j"
like "$log" 'hello:multi  says: Hello Docker!' "the multi-stage image runs and prints Hello Docker!"
like "$log" 'hello:single says: Hello Docker!' "the single-stage image runs and prints Hello Docker!"
like "$log" 'target ok: multi-stage image' "multi-stage image <= 4 MB"
like "$log" 'target ok: single-stage image' "single-stage image within 2% of the base"
is "$rc" 0 "demo.sh exits 0"
# no-op: make again does nothing
if [ -f "$T/out/multi.mk" ]; then
	out=$(make -f "$T/out/multi.mk" -j DF2MAKE_RUNTIME="$DF2MAKE_RUNTIME_BIN" 2>&1)
	like "$out" "Nothing to be done|is up to date" "make again on multi.mk does nothing"
	printf '%s\n' "$out" | head -5 | sed 's/^/#   /'
else
	not_ok "make again on multi.mk does nothing (no multi.mk)"
fi
# same image as BuildKit's
if dockerd_up 2>/dev/null && [ -s "$T/out/multi.tar" ]; then
	"$DOCKER" build --network=none -q -f "$SRCDIR/examples/hello-go/Dockerfile.multi" -t hello-ref:multi \
		"$SRCDIR/examples/hello-go" >/dev/null 2>"$T/ref.log" &&
		"$DOCKER" save -o "$T/ref.tar" hello-ref:multi && "$DOCKER" image inspect hello-ref:multi >"$T/ref.json" &&
		"$DOCKER" image inspect hello:multi >"$T/multi.json" && "$DOCKER" save -o "$T/multi-saved.tar" hello:multi
	out=$(python3 "$SRCDIR/tests/diff/compare.py" --label-a docker --label-b df2make \
		"$T/ref.tar" "$T/ref.json" "$T/multi-saved.tar" "$T/multi.json" 2>&1)
	if [ $? -eq 0 ]; then ok "hello:multi has the same files and config as docker build's"; else
		not_ok "hello:multi has the same files and config as docker build's"
		printf '%s\n' "$out" | head -30 | sed 's/^/#   /'
	fi
	"$DOCKER" rmi hello-ref:multi >/dev/null 2>&1
else
	skip "hello:multi compared with docker build's" "no docker daemon or no image"
fi
done_testing

#!/usr/bin/env bash
# A RUN on a foreign platform goes through binfmt_misc. The handler is
# registered in a binfmt_misc instance of the test's own user namespace
# (Linux >= 6.7 gives each user namespace that mounts it its own), so the
# machine's handlers are neither read nor changed. The "emulator" is
# busybox's echo, registered for aarch64 ELF files: a RUN of an aarch64
# binary prints its own path and arguments, which shows the kernel ran it
# through the handler. Then a handler without the F flag, a disabled one
# and none at all: the exec of the foreign binary fails, and the RUN's
# error says why and how to enable one.
. "$SRCDIR/tests/lib.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root (overlay mounts, namespaces)"
need jq tar make python3 unshare
BUSYBOX=$(command -v busybox || echo /bin/busybox)
[ -x "$BUSYBOX" ] && file -L "$BUSYBOX" 2>/dev/null | grep -q 'statically linked' ||
	skip_all "static busybox (busybox-static) not installed"
[ "$(uname -m)" = x86_64 ] || skip_all "the fake emulator is an x86-64 busybox"
unshare -U -r -m --propagation private \
	sh -c 'mount -t binfmt_misc none /proc/sys/fs/binfmt_misc' 2>/dev/null ||
	skip_all "binfmt_misc cannot be mounted in a user namespace (Linux < 6.7)"
RT=$DF2MAKE_RUNTIME_BIN
STORE=$T/store
unset SOURCE_DATE_EPOCH

# an image of one platform, linux/arm64, whose /bin/hello is an aarch64 ELF
# header (never run natively: the handler runs instead)
mkdir -p "$T/r/bin" "$T/ctx" "$T/emu"
cp "$BUSYBOX" "$T/r/bin/busybox" && ln -s busybox "$T/r/bin/sh"
python3 - "$T/r/bin/hello" <<'PY'
import os, sys
h = bytearray(64)
h[0:4] = b"\x7fELF"; h[4] = 2; h[5] = 1; h[6] = 1; h[16] = 2; h[18] = 0xb7
open(sys.argv[1], "wb").write(bytes(h)); os.chmod(sys.argv[1], 0o755)
PY
tar --numeric-owner --owner=0 --group=0 -C "$T/r" -cf "$T/arm.tar" .
python3 "$SRCDIR/tests/sh/platform/mkmulti.py" "$T/multi" docker.io/only/arm:1 \
	"linux/arm64=$T/arm.tar"
"$RT" --store "$STORE" load -i "$T/multi" >/dev/null
ln -s "$BUSYBOX" "$T/emu/echo"
printf 'FROM only/arm:1\nRUN /bin/hello ran through binfmt_misc >/out\n' >"$T/ctx/Dockerfile"
# the exec form: the sandbox itself execs the foreign binary
mkdir -p "$T/ctx-exec"
printf 'FROM only/arm:1\nRUN ["/bin/hello"]\n' >"$T/ctx-exec/Dockerfile"

# build FLAGS [disable|none] [CTX]: a fresh state; make runs in a user
# namespace whose own binfmt_misc has qemu-aarch64 -> busybox echo with
# FLAGS. Sets rc.
build() {
	rm -rf "$T/state" "$T/out"
	"$DF2MAKE" --store "$STORE" --state "$T/state" --platform linux/arm64 \
		-o "type=local,dest=$T/out" "${3:-$T/ctx}" >"$T/build.mk" 2>"$T/log" || {
		rc=9
		return
	}
	local magic='\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00'
	local mask='\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff'
	local reg=":qemu-aarch64:M::$magic:$mask:$T/emu/echo:$1"
	PATH=$(dirname "$RT"):$PATH unshare -U -r -m --propagation private sh -c '
		b=/proc/sys/fs/binfmt_misc
		mount -t binfmt_misc none $b || exit 8
		[ "$2" = none ] || printf "$1" >$b/register || exit 8
		[ "$2" = disable ] && echo 0 >$b/qemu-aarch64
		make -f "$3"' sh "$reg" "${2:-}" "$T/build.mk" >>"$T/log" 2>&1
	rc=$?
}

build F
is "$rc" 0 "a handler with F: the foreign RUN runs"
is "$(cat "$T/out/out" 2>/dev/null)" "/bin/hello ran through binfmt_misc" \
	"... through the handler (its output in the image)"

m="Dockerfile:2: RUN step: linux/arm64 code cannot run on this machine"
h=/proc/sys/fs/binfmt_misc/qemu-aarch64
build "" "" "$T/ctx-exec"
is "$rc" 2 "a handler without F: make fails"
like "$(cat "$T/log")" "$m: the binfmt_misc handler $h lacks the F flag" "... saying so"
build F disable "$T/ctx-exec"
is "$rc" 2 "a disabled handler: make fails"
like "$(cat "$T/log")" "$m: the binfmt_misc handler $h is disabled; enable it" "... saying so"
build F none "$T/ctx-exec"
is "$rc" 2 "no handler: make fails"
a="install an emulator with \`apt-get install qemu-user-static binfmt-support\`"
x="\(exec /bin/hello: Exec format error\)"
like "$(cat "$T/log")" "$m: no binfmt_misc handler $h; $a.* $x" \
	"... saying how to get one, and what exec said"
done_testing

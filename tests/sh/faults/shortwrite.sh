#!/usr/bin/env bash
# Short writes and EIO, injected into the runtime with an LD_PRELOAD shim
# (tests/sh/faults/writeshim.c) around write(2)/pwrite(2) of regular files:
# a build whose every write is cut in half gives the same image bytes (a
# short write is not an error: ADD of a URL failed with "No such file or
# directory"); an EIO on the file an ADD of a URL, an unpacked ADD, a
# layer or pack writes fails the build naming that file, leaves no stamp
# and no temp, and the next make without the fault gives the same bytes.
. "$SRCDIR/tests/sh/security/common.bash"
need cc python3
base_image || { not_ok "base image import"; done_testing; exit 1; }
cc -shared -fPIC -o "$T/writeshim.so" "$SRCDIR/tests/sh/faults/writeshim.c" -ldl ||
	skip_all "cannot build the LD_PRELOAD shim"
export SOURCE_DATE_EPOCH=1700000000
mkdir -p "$T/www" "$T/ts/d"
head -c 300000 /dev/urandom >"$T/www/u.bin"
python3 "$SRCDIR/tests/sh/net/serve.py" "$T/www" "$T/slog" >"$T/port" &
sp=$!
trap 'kill $sp 2>/dev/null' EXIT
for _ in $(seq 50); do [ -s "$T/port" ] && break; sleep 0.1; done
U=http://127.0.0.1:$(cat "$T/port")
# (an ASan runtime wants to be first in the list of libraries: not here)
printf '#!/bin/sh\nASAN_OPTIONS=$ASAN_OPTIONS:verify_asan_link_order=0 LD_PRELOAD=%s exec "%s" "$@"\n' \
	"$T/writeshim.so" "$RT" >"$T/rtshim"
chmod +x "$T/rtshim"
yes abc | head -c 400000 >"$T/ts/d/f"

# setup DIR: the context: a COPY, an ADD of a local tar, an ADD of a URL, a RUN.
setup() {
	dockerfile "$1" "FROM busybox
COPY big /big
ADD t.tar /t/
ADD $U/u.bin /u.bin
RUN head -c 500000 /big >/r && echo done"
	head -c 2000000 /dev/zero | tr '\0' a >"$1/ctx/big"
	tar -C "$T/ts" -cf "$1/ctx/t.tar" d
	compile "$1"
}
# shimmed DIR VAR=VALUE: make with the shim's setting; rc, log in DIR/log.
shimmed() {
	env "$2" make -f "$1/build.mk" DF2MAKE_RUNTIME="$T/rtshim" >"$1/log" 2>&1
	rc=$?
}
# temps DIR: temp files left in DIR (write_atomic, blob, layer, pack temps).
temps() { find "$1" \( -name '*.tmp*' -o -name '.tmp-*' \) 2>/dev/null; }

setup "$T/plain"
make -f "$T/plain/build.mk" >"$T/plain/log" 2>&1
is "$?" 0 "the build without faults"

setup "$T/short"
shimmed "$T/short" SHIM_SHORT=1
is "$rc" 0 "every write cut in half: the build succeeds (before: the ADD of a URL failed)"
check "the same image bytes" cmp -s "$T/plain/image.tar" "$T/short/image.tar"

n=0
for c in "net-0/u.bin|ADD step: write $T/eio1/state/[0-9a-f]*/net-0/u.bin: Input/output error" \
	"/mnt/t/d/f|ADD step: extract t.tar: write d/f: Input/output error" \
	"/layer.tar|layer: write $T/eio3/state/[0-9a-f]*/layer.tar: .*Input/output error" \
	".image.tar.tmp-|exporting to image: write image $T/eio4/image.tar: .*Input/output error"; do
	n=$((n + 1))
	D=$T/eio$n
	setup "$D"
	shimmed "$D" "SHIM_EIO=${c%%|*}"
	is "$rc" 2 "EIO writing ${c%%|*}: make fails"
	like "$(grep '^df2make-runtime: ' "$D/log")" "${c#*|}" "naming the file and the error"
	is "$(temps "$D/state")$(temps "$D")" "" "no temp file left"
	check "no image" [ ! -e "$D/image.tar" ]
	make -f "$D/build.mk" >"$D/log" 2>&1
	is "$?" 0 "the next make without the fault succeeds"
	check "with the same image bytes" cmp -s "$T/plain/image.tar" "$D/image.tar"
done
done_testing

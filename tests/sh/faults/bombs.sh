#!/usr/bin/env bash
# Decompression and size bombs through ADD: a 64 MiB member of zeros
# compressed with gzip, xz, bzip2 and zstd (64 KiB to 10 KiB on disk), and
# a tar whose member is a 1 TiB sparse file (GNU sparse: 2 KiB), added
# into a state dir on a 24 MiB tmpfs. What bounds them is the disk (as in
# BuildKit; libarchive streams, memory stays flat): the step fails with
# ENOSPC naming the step, leaves no stamp and no temp; the RSS of the
# runtime stays small.
# Runs in its own mount namespace so the tmpfs mounts vanish with it.
if [ -z "${DF_BOMBS_NS:-}" ] && [ "$(id -u)" = 0 ]; then
	DF_BOMBS_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
. "$SRCDIR/tests/sh/security/common.bash"
need gzip xz bzip2 zstd python3
[ -x /usr/bin/time ] || skip_all "/usr/bin/time (package time) not installed"
base_image || { not_ok "base image import"; done_testing; exit 1; }

temps() { find "$1" -maxdepth 2 \( -name '*.tmp*' -o -name '.tmp-*' \) 2>/dev/null; }
mkdir -p "$T/z"
head -c 64M /dev/zero >"$T/z/zero"
tar -C "$T/z" -cf "$T/bomb.tar" zero
rm -rf "$T/z"
for c in gzip xz bzip2 zstd; do "$c" -9 -c "$T/bomb.tar" >"$T/bomb.tar.$c"; done
python3 - "$T/sparse.tar" <<'PY'
import io, sys, tarfile
# a GNU sparse 0.0 header ("S") by hand: 1 TiB, one 1-byte region at the end
name = b"sparse"
size_real = 1 << 40
h = bytearray(512)
h[0:len(name)] = name
def octal(v, n):
    if v < 8 ** (n - 1):
        return (b"%0*o" % (n - 1, v)) + b"\0"
    return b"\x80" + v.to_bytes(n - 1, "big")  # GNU base-256
h[100:108] = octal(0o644, 8)
h[108:116] = octal(0, 8)
h[116:124] = octal(0, 8)
h[124:136] = octal(1, 12)           # bytes stored
h[136:148] = octal(0, 12)
h[156:157] = b"S"
h[257:265] = b"ustar  \0"
h[386:398] = octal(size_real - 1, 12)  # offset of the region
h[398:410] = octal(1, 12)              # its length
h[483:495] = octal(size_real, 12)      # real size
h[148:156] = b" " * 8
h[148:156] = b"%06o\0 " % sum(h)
with open(sys.argv[1], "wb") as f:
    f.write(h + b"x" + b"\0" * 511 + b"\0" * 1024)
PY
check "the sparse tar lists a 1 TiB member" [ "$(tar -tvf "$T/sparse.tar" | awk '{print $3}')" = 1099511627776 ]

for b in bomb.tar.gzip bomb.tar.xz bomb.tar.bzip2 bomb.tar.zstd sparse.tar; do
	D=$T/d-$b
	dockerfile "$D" "FROM busybox
ADD $b /x/
RUN echo after"
	cp "$T/$b" "$D/ctx/"
	mkdir -p "$D/state" && mount -t tmpfs -o size=24m tmpfs "$D/state"
	compile "$D"
	/usr/bin/time -f '%M' -o "$D/rss" make -f "$D/build.mk" >"$D/log" 2>&1
	rc=$?
	is "$rc" 2 "ADD $b ($(stat -c %s "$T/$b") bytes) into a 24 MiB state: make fails"
	# (the sparse member is extracted sparse; its layer, 1 TiB of tar, fills the disk)
	log_has "$D" "Dockerfile:2: (ADD step|layer): .*No space left on device" "$b: ENOSPC, naming the ADD"
	is "$(ls "$D"/state/*.done | wc -l)" 1 "$b: no stamp but FROM's"
	is "$(temps "$D/state")" "" "$b: no temp file left"
	check "$b: make's peak RSS under 64 MiB ($(tail -n 1 "$D/rss") KiB)" [ "$(tail -n 1 "$D/rss")" -lt 65536 ]
	umount "$D/state"
done
done_testing

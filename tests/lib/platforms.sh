# tests/lib/platforms.sh: the set-up of the multi-platform tests
# (tests/sh/platform/*.sh), sourced after tests/lib.sh: root, a static
# busybox, an x86-64 host (the expectations name amd64 as the build
# platform); RT, STORE, no SOURCE_DATE_EPOCH; and two-platform images.
[ "$(id -u)" = 0 ] || skip_all "needs root (overlay mounts, namespaces)"
need jq tar make python3
BUSYBOX=$(command -v busybox || echo /bin/busybox)
[ -x "$BUSYBOX" ] && file -L "$BUSYBOX" 2>/dev/null | grep -q 'statically linked' ||
	skip_all "static busybox (busybox-static) not installed"
[ "$(uname -m)" = x86_64 ] || skip_all "the expectations name amd64 as the build platform"
RT=$DF2MAKE_RUNTIME_BIN
STORE=$T/store
unset SOURCE_DATE_EPOCH

# platforms_layer ARCH: $T/ARCH.tar, a rootfs of busybox (sh echo cat
# true), /arch naming ARCH and /bin/hello, an aarch64 ELF header (it runs
# only through a binfmt_misc handler); fixed mtimes, so the same bytes.
platforms_layer() {
	local r=$T/root-$1
	mkdir -p "$r/bin" "$r/tmp"
	cp "$BUSYBOX" "$r/bin/busybox"
	for c in sh echo cat true; do ln -sf busybox "$r/bin/$c"; done
	printf '%s\n' "$1" >"$r/arch"
	python3 -c 'import sys; h = bytearray(64); h[0:7] = b"\x7fELF\x02\x01\x01"; h[16] = 2
h[18] = 0xb7; open(sys.argv[1], "wb").write(bytes(h))' "$r/bin/hello"
	chmod 755 "$r/bin/hello"
	tar --sort=name --numeric-owner --owner=0 --group=0 --mtime=@1700000000 \
		-C "$r" -cf "$T/$1.tar" .
}

# platforms_multi DIR NAME: an OCI layout DIR whose index holds NAME for
# linux/amd64 and linux/arm64 (platforms_layer's amd64 and arm64).
platforms_multi() {
	platforms_layer amd64
	platforms_layer arm64
	python3 "$SRCDIR/tests/sh/platform/mkmulti.py" "$1" "$2" \
		"linux/amd64=$T/amd64.tar" "linux/arm64=$T/arm64.tar"
}

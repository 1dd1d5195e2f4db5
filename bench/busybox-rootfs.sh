# Sourced by the runs30-style benches (runs-cpu.sh, step-sync.sh,
# run-split.sh): no docker, so the busybox base is a rootfs tar of their own.
# busybox_rootfs DIR: DIR/rootfs holds BUSYBOX (default /bin/busybox) with a
# link per applet and a passwd/group for root; DIR/rootfs.tar is its tar,
# for `df2make-runtime import`.
busybox_rootfs() {
	local r=$1/rootfs bb=${BUSYBOX:-/bin/busybox} c
	mkdir -p "$r/bin" "$r/etc" "$r/tmp" "$r/root"
	cp "$bb" "$r/bin/busybox"
	for c in $("$bb" --list); do [ -e "$r/bin/$c" ] || ln -s busybox "$r/bin/$c"; done
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$r/etc/passwd"
	printf 'root:x:0:\n' >"$r/etc/group"
	tar -C "$r" -cf "$1/rootfs.tar" .
}

# Sourced by the runs30-style benches (runs-cpu.sh, step-sync.sh,
# run-split.sh, step-inodes.sh): no docker, so the busybox base is a rootfs tar of their own.
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
# runs_contexts DIR N...: DIR/ctxN/Dockerfile per N, FROM busybox and N
# trivial RUNs (runs30's with N=30; N=0 gives the build's fixed cost).
runs_contexts() {
	local d=$1 n i
	shift
	for n in "$@"; do
		mkdir -p "$d/ctx$n"
		{
			echo "FROM busybox"
			for i in $(seq 1 "$n"); do echo "RUN echo step $i > /step$i"; done
		} >"$d/ctx$n/Dockerfile"
	done
}

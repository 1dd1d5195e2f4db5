# Shared set-up for tests/sh/security/*.sh and tests/sh/faults/*.sh
# (sourced; not a test itself: no .sh suffix). A busybox base image
# imported into a private store, and helpers that compile a context and
# run make on it, then look inside the image.
. "$SRCDIR/tests/lib.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root (overlay mounts, namespaces)"
need jq tar make
BUSYBOX=$(command -v busybox || echo /bin/busybox)
[ -x "$BUSYBOX" ] && file -L "$BUSYBOX" 2>/dev/null | grep -q 'statically linked' ||
	skip_all "static busybox (busybox-static) not installed"
RT=$DF2MAKE_RUNTIME_BIN
ST=$T/store

# mkrootfs DIR: a busybox root filesystem with every applet linked.
mkrootfs() {
	mkdir -p "$1/bin" "$1/etc" "$1/tmp" "$1/root" "$1/usr/local"
	cp "$BUSYBOX" "$1/bin/busybox"
	for c in $("$BUSYBOX" --list); do [ -e "$1/bin/$c" ] || ln -s busybox "$1/bin/$c"; done
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/sh\n' >"$1/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$1/etc/group"
	chmod 1777 "$1/tmp"
}

# base_image [NAME [EXTRA-DIR]]: imports a busybox rootfs (plus the
# contents of EXTRA-DIR) into $ST as NAME (default busybox).
base_image() {
	local name=${1:-busybox} r=$T/rootfs-${1:-busybox}
	rm -rf "$r"
	mkrootfs "$r"
	[ -z "${2:-}" ] || cp -a "$2/." "$r/"
	tar -C "$r" -cf "$r.tar" . &&
		"$RT" --store "$ST" import "$r.tar" "$name" >/dev/null 2>"$T/import.err" ||
		{ echo "# import failed: $(cat "$T/import.err")"; return 1; }
}

# compile DIR [DF2MAKE-ARGS...]: DIR/ctx (with its Dockerfile) to
# DIR/build.mk, state DIR/state, output DIR/image.tar. Sets rc.
compile() {
	local d=$1
	shift
	"$DF2MAKE" --store "$ST" --state "$d/state" -o "$d/image.tar" "$@" "$d/ctx" \
		>"$d/build.mk" 2>"$d/compile.err"
	rc=$?
}

# build DIR [DF2MAKE-ARGS...]: compile, then make; log in DIR/log. Sets rc.
build() {
	local d=$1
	compile "$@"
	[ "$rc" -eq 0 ] || { cp "$d/compile.err" "$d/log"; return; }
	make -f "$d/build.mk" -j2 >"$d/log" 2>&1
	rc=$?
}

# same_as_fresh DIR: DIR/image.tar equals, byte for byte, the image a new
# state dir builds from DIR/ctx (in $T/fresh).
same_as_fresh() {
	local F=$T/fresh
	rm -rf "$F" && mkdir -p "$F"
	"$DF2MAKE" --store "$ST" --state "$F/state" -o "$F/image.tar" "$1/ctx" >"$F/build.mk" &&
		make -f "$F/build.mk" >"$F/log" 2>&1 && cmp -s "$F/image.tar" "$1/image.tar"
}

# dockerfile DIR TEXT: a fresh context DIR/ctx with that Dockerfile.
dockerfile() {
	rm -rf "$1"
	mkdir -p "$1/ctx"
	printf '%s\n' "$2" >"$1/ctx/Dockerfile"
}

# unpack_image DIR: every layer of DIR/image.tar extracted, in order, into
# DIR/layers/N (no whiteout processing), and the config at DIR/config.json.
unpack_image() {
	local d=$1 i=0 l
	rm -rf "$d/img" "$d/layers"
	mkdir -p "$d/img" "$d/layers"
	tar -C "$d/img" -xf "$d/image.tar" || return 1
	jq -r '.[0].Config' "$d/img/manifest.json" | xargs -I{} cp "$d/img/{}" "$d/config.json"
	for l in $(jq -r '.[0].Layers[]' "$d/img/manifest.json"); do
		i=$((i + 1))
		mkdir -p "$d/layers/$i"
		tar -C "$d/layers/$i" -xf "$d/img/$l" 2>/dev/null
	done
}

# last_layer DIR: the directory of the image's top layer (after unpack_image).
last_layer() { find "$1/layers" -mindepth 1 -maxdepth 1 | sort -t/ -k1 -V | tail -1; }

# log_has DIR REGEX DESC: the build log matches.
log_has() { like "$(cat "$1/log")" "$2" "$3"; }

# refute CMD...: succeeds when CMD fails (for check).
refute() { ! "$@"; }

# no_state_mounts DIR: nothing is mounted under DIR (host mount table).
no_state_mounts() { ! grep -qF " $1" /proc/self/mountinfo; }

# canary: a host file that attacks try to overwrite or create beside.
CANARY=$T/canary
mkcanary() { echo original >"$CANARY"; rm -f "$T/pwned" "$T"/pwned*; }
canary_intact() { [ "$(cat "$CANARY")" = original ] && ! ls "$T"/pwned* >/dev/null 2>&1; }

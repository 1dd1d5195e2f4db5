# Helpers for tests/sh/image/*.sh (sourced; not a test itself).
# Images are made by hand here so the tests know every byte they load.
STORE=$T/store
STATE=$T/state
mkdir -p "$STATE"
export SOURCE_DATE_EPOCH=
unset SOURCE_DATE_EPOCH

rt() { "$DF2MAKE_RUNTIME_BIN" --quiet --store "$STORE" --state "$STATE" "$@"; }

sha() { sha256sum "$1" | cut -c1-64; }

# ref_json NAME: the store's ref file for a normalised name
ref_json() { cat "$STORE/refs/$(printf %s "$1" | sha256sum | cut -c1-64).json"; }

# mk_rootfs DIR: a tiny runnable busybox root filesystem (busybox-static)
mk_rootfs() {
	[ -x /bin/busybox ] && ldd /bin/busybox 2>&1 | grep -q 'not a dynamic' ||
		skip_all "/bin/busybox is not a static binary (apt-get install busybox-static)"
	local d=$1 a
	mkdir -p "$d"/bin "$d"/etc "$d"/tmp "$d"/dev "$d"/proc "$d"/sys
	cp /bin/busybox "$d/bin/busybox"
	for a in sh echo cat ls true; do ln -sf busybox "$d/bin/$a"; done
	echo 'root:x:0:0:root:/root:/bin/sh' >"$d/etc/passwd"
	echo 'root:x:0:' >"$d/etc/group"
	chmod 1777 "$d/tmp"
}

# tar_dir DIR OUT: a deterministic tar of DIR's contents
tar_dir() {
	tar --sort=name --numeric-owner --owner=0 --group=0 --mtime=@1700000000 \
		--xattrs --xattrs-include='*' -C "$1" -cf "$2" .
}

# mk_docker_archive OUT NAME LAYER.tar...: a legacy `docker save` archive
# (<id>/layer.tar, <config>.json, manifest.json) built by hand; layers may be
# compressed, the config's diff_ids are the uncompressed digests.
mk_docker_archive() {
	local out=$1 name=$2 dir l i=0 diffs="" layers="" cfg h
	shift 2
	dir=$(mktemp -d "$T/da.XXXXXX")
	for l in "$@"; do
		h=$(case $l in
			*.zst) zstd -dc "$l" ;; *.bzip2) bzip2 -dc "$l" ;; *.xz) xz -dc "$l" ;;
			*.lz4) lz4 -dc "$l" ;; *) zcat -f "$l" ;;
			esac | sha256sum | cut -c1-64)
		mkdir -p "$dir/l$i"
		cp "$l" "$dir/l$i/layer.tar"
		diffs="$diffs${diffs:+,}\"sha256:$h\""
		layers="$layers${layers:+,}\"l$i/layer.tar\""
		i=$((i + 1))
	done
	printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin"],"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":[%s]}}' "$diffs" >"$dir/cfg.json"
	cfg=$(sha "$dir/cfg.json")
	mv "$dir/cfg.json" "$dir/$cfg.json"
	printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":[%s]}]' "$cfg" "$name" "$layers" >"$dir/manifest.json"
	tar -C "$dir" -cf "$out" .
	rm -rf "$dir"
}

# registry_busy USER PASS: a TLS registry (tests/lib/registry.sh's
# registry_start tls USER PASS) holding library/busy:1 from mk_rootfs
# $T/root ($T/rootfs.tar, $T/busy.tar), its CA in DF2MAKE_CERTS_D; 1 when
# the registry does not start.
registry_busy() {
	mk_rootfs "$T/root"
	tar_dir "$T/root" "$T/rootfs.tar"
	mk_docker_archive "$T/busy.tar" "busy:1" "$T/rootfs.tar"
	registry_start tls "$1" "$2" || return 1
	registry_put "$T/busy.tar" library/busy:1 --dest-creds "$1:$2"
	export DF2MAKE_CERTS_D=$REG_CERTS_D
}

# xattr PATH NAME: prints the xattr's value (empty when absent)
xattr() { python3 -c 'import os,sys
try: print(os.getxattr(sys.argv[1], sys.argv[2], follow_symlinks=False).decode())
except OSError: print("")' "$1" "$2"; }

# set_xattr PATH NAME VALUE
set_xattr() { python3 -c 'import os,sys; os.setxattr(sys.argv[1], sys.argv[2], sys.argv[3].encode(), follow_symlinks=False)' "$@"; }

# devno PATH: "c MAJ MIN" for a character device, else its type
devno() { stat -c '%F %t %T' "$1" 2>/dev/null; }

# pack: the image tar is an OCI layout and a docker-archive at once,
# deterministic, accepted by skopeo, umoci, docker and podman/buildah, and
# written atomically.
. "$SRCDIR/tests/lib.sh"
. "$SRCDIR/tests/sh/image/helpers.bash"
need python3 jq gzip
[ "$(id -u)" = 0 ] || skip_all "needs root (whiteouts, mounts)"
trap 'umount "$T/ro" 2>/dev/null; umount "$T/full" 2>/dev/null' EXIT

mk_rootfs "$T/root"
tar_dir "$T/root" "$T/rootfs.tar"
rt import "$T/rootfs.tar" base:1 >/dev/null
rt base k0 '{"image":"base:1"}'
U=$STATE/k1/upper
mkup() {
	mkdir -p "$U/bin" "$U/etc"
	echo "hello from df2make" >"$U/msg"
	mknod "$U/bin/ls" c 0 0
	set_xattr "$U/etc" trusted.overlay.opaque y
	echo only >"$U/etc/only"
	ln -s "$T/victim" "$U/hostetc"
}
mkdir -p "$T/victim" && echo keep >"$T/victim/f"
mkup
jq -c ". + [{\"dir\":\"$U\",\"step\":\"k1\"}]" "$STATE/k0/chain.json" >"$STATE/k1/chain.json"
rt layer k1 '{"parent":"k0","epoch":1700000000,"compress":"gzip"}'
base_digest=$(jq -r '.[0].blob.digest' "$STATE/k0/chain.json")
base_diff=$(jq -r '.[0].diff_id' "$STATE/k0/chain.json")

spec() { # DEST [TYPE] [TAGS-JSON] [HISTORY-JSON]
	local h=${4:-'[{"created":"2023-11-14T22:13:20Z","created_by":"df2make-runtime import"},{"created_by":"RUN make msg # buildkit","comment":"buildkit.dockerfile.v0","step":"k1"},{"created_by":"CMD [\"cat\" \"/msg\"]","comment":"buildkit.dockerfile.v0","step":"k2","empty_layer":false}]'}
	printf '{"output":{"type":"%s","dest":"%s"},"tags":%s,"epoch":1700000000,"config":{"Env":["PATH=/bin"],"Cmd":["cat","/msg"],"WorkingDir":"/"},"author":null,"architecture":"amd64","os":"linux","history":%s,"layers":["k1"],"title":"exporting"}' \
		"${2:-tar}" "$1" "${3:-[\"docker.io/library/dftest:1\"]}" "$h"
}
IMG=$T/image.tar
rt pack k1 "$(spec "$IMG")"
check "pack writes the image" test -s "$IMG"

names=$(tar tf "$IMG")
cfg=$(jq -r '.[0].Config' <(tar xOf "$IMG" manifest.json))
man=$(jq -r '.manifests[0].digest' <(tar xOf "$IMG" index.json))
ldig=$(jq -r .digest "$STATE/k1.layer")
# layers bottom first, then what changes with every build (packinc.c
# rewrites only that end when the bottom layers stay)
is "$names" "$(printf '%s\n' blobs/ blobs/sha256/ $(printf 'blobs/sha256/%s\n' ${base_digest#sha256:} ${ldig#sha256:} ${cfg#blobs/sha256/} ${man#sha256:}) index.json manifest.json oci-layout)" "members: layers bottom first, config, manifest, index.json, manifest.json, oci-layout"
is "$(tar tvf "$IMG" --numeric-owner --full-time | awk '{print $2, $4, $5}' | sort -u)" "0/0 2023-11-14 22:13:20" "every member: owner 0/0, mtime = epoch"
mkdir -p "$T/x" && tar -C "$T/x" -xf "$IMG"
bad=0
for b in "$T"/x/blobs/sha256/*; do [ "$(sha "$b")" = "$(basename "$b")" ] || bad=$((bad + 1)); done
is "$bad" 0 "every blob hashes to its name"
is "$(cat "$T/x/oci-layout")" '{"imageLayoutVersion":"1.0.0"}' "oci-layout"
cmp -s "$T/x/blobs/sha256/${base_digest#sha256:}" "$STORE/blobs/sha256/${base_digest#sha256:}" && ok "base layer blob reused byte for byte" || not_ok "base layer blob reused byte for byte"
idx=$T/x/index.json
is "$(jq -c '[.schemaVersion, .mediaType, .manifests[0].mediaType, .manifests[0].annotations]' "$idx")" \
	'[2,"application/vnd.oci.image.index.v1+json","application/vnd.oci.image.manifest.v1+json",{"io.containerd.image.name":"docker.io/library/dftest:1","org.opencontainers.image.ref.name":"1"}]' \
	"index.json: the full name in io.containerd.image.name, the tag alone in ref.name (BuildKit)"
is "$(jq -r '.manifests[0].size' "$idx")" "$(stat -c %s "$T/x/blobs/sha256/${man#sha256:}")" "index: manifest size"
M=$T/x/blobs/sha256/${man#sha256:}
is "$(jq -r '.config.digest' "$M")" "sha256:${cfg#blobs/sha256/}" "manifest -> config"
is "$(jq -c '[.layers[].mediaType]' "$M")" '["application/vnd.oci.image.layer.v1.tar","application/vnd.oci.image.layer.v1.tar+gzip"]' "layer media types"
is "$(jq -c '[.layers[].digest]' "$M")" "[\"$base_digest\",\"$ldig\"]" "layer digests, base first"
is "$(jq -c '.[0] | [.RepoTags, (.Layers | length)]' "$T/x/manifest.json")" \
	'[["docker.io/library/dftest:1"],2]' "manifest.json: RepoTags as full names, Layers"
C=$T/x/$cfg
is "$(jq -c '.rootfs' "$C")" "{\"type\":\"layers\",\"diff_ids\":[\"$base_diff\",\"$(jq -r .diff_id "$STATE/k1.layer")\"]}" "config rootfs.diff_ids"
is "$(jq -c '[.created, .architecture, .os, .config.Cmd]' "$C")" '["2023-11-14T22:13:20Z","amd64","linux",["cat","/msg"]]' "config: created from epoch, platform, config"
is "$(jq -c '[.history[] | [.created, (.empty_layer // false)]]' "$C")" '[["2023-11-14T22:13:20Z",false],["2023-11-14T22:13:20Z",false],["2023-11-14T22:13:20Z",true]]' "history: empty_layer from KEY.layer"
is "$(jq '[.history[] | select(.step)] | length' "$C")" 0 "history: step keys removed"

# skopeo and umoci
if command -v skopeo >/dev/null; then
	out=$(skopeo inspect --config "oci-archive:$IMG" 2>&1)
	is "$(jq -c .config.Cmd <<<"$out" 2>&1)" '["cat","/msg"]' "skopeo inspect oci-archive: shows the config"
	out=$(skopeo inspect --config "docker-archive:$IMG" 2>&1)
	is "$(jq -c .config.Cmd <<<"$out" 2>&1)" '["cat","/msg"]' "skopeo inspect docker-archive: shows the config"
else
	skip "skopeo" "not installed"
fi
if command -v umoci >/dev/null; then
	umoci unpack --image "$T/x:1" "$T/bundle" >/dev/null 2>&1
	R=$T/bundle/rootfs
	is "$(cat "$R/msg" 2>&1)" "hello from df2make" "umoci: file of the new layer"
	check "umoci: whiteout removed /bin/ls" test ! -e "$R/bin/ls" -a ! -L "$R/bin/ls"
	check "umoci: base files present" test -x "$R/bin/busybox" -a -L "$R/bin/cat"
	is "$(ls "$R/etc")" "only" "umoci: opaque dir hides the base's files"
else
	skip "umoci" "not installed"
fi

# reproducible: later wall clock, touched files, fresh layer -> same bytes
sum1=$(sha "$IMG")
sleep 1
touch "$U/msg" "$U/bin"
rt layer k1 '{"parent":"k0","epoch":1700000000,"compress":"gzip"}'
rt pack k1 "$(spec "$T/image2.tar")"
is "$(sha "$T/image2.tar")" "$sum1" "two packs give the same sha256"
rm -rf "$U" && mkup
rt layer k1 '{"parent":"k0","epoch":1700000000,"compress":"gzip"}'
rt pack k1 "$(spec "$T/image3.tar")"
is "$(sha "$T/image3.tar")" "$sum1" "rebuilt upper (new inodes, new times): same sha256"

# type=oci: buildx's OCI archive (a tar, no docker manifest.json), or a
# layout directory with tar=false, a dest ending in /, or an existing dir
files() { (cd "$1" && find . -type f ! -name manifest.json | sort | xargs sha256sum); }
rt pack k1 "$(spec "$T/oci.tar" oci)"
mkdir -p "$T/o" && tar -C "$T/o" -xf "$T/oci.tar"
is "$(files "$T/o")" "$(files "$T/x")" "type=oci: an OCI archive with the tar's OCI files"
check "type=oci: no docker manifest.json in it" test ! -e "$T/o/manifest.json"
rt pack k1 "$(spec "$T/layout/" oci)"
is "$(files "$T/layout")" "$(files "$T/x")" "type=oci,dest=DIR/: a layout directory"
rt pack k1 "$(spec "$T/layout" oci)"
check "type=oci: repack over an existing dir keeps it a dir" test -f "$T/layout/index.json"
rt pack k1 "$(spec "$T/layout2" oci | jq -c '.output.tar = false')"
is "$(files "$T/layout2")" "$(files "$T/x")" "type=oci,tar=false: a layout directory"
rt pack k1 "$(spec "$T/oci2.tar" oci '["docker.io/library/dftest:1","example.com/team/app:v2"]')"
if command -v skopeo >/dev/null; then
	check "type=oci: skopeo reads the layout" skopeo inspect "oci:$T/layout" >/dev/null
	is "$(skopeo inspect --config "oci-archive:$T/oci2.tar:v2" 2>&1 | jq -c .config.Cmd 2>&1)" \
		'["cat","/msg"]' "skopeo finds oci-archive:FILE:TAG by the tag alone"
fi
if command -v umoci >/dev/null; then
	mkdir -p "$T/o2" && tar -C "$T/o2" -xf "$T/oci2.tar"
	umoci unpack --image "$T/o2:v2" "$T/bundle2" >/dev/null 2>&1
	is "$(cat "$T/bundle2/rootfs/msg" 2>&1)" "hello from df2make" "umoci unpack --image DIR:TAG (second tag)"
fi

# type=local: the final root filesystem
rt pack k1 "$(spec "$T/rootfs" local)"
is "$(cat "$T/rootfs/msg" 2>&1)" "hello from df2make" "type=local: new file"
check "type=local: whiteout applied" test ! -e "$T/rootfs/bin/ls" -a ! -L "$T/rootfs/bin/ls"
check "type=local: base file" test -x "$T/rootfs/bin/busybox"
check "type=local: no whiteout devices" test -z "$(find "$T/rootfs" -type c)"
is "$(ls "$T/rootfs/etc")" "only" "type=local: opaque dir applied"
is "$(stat -c %Y "$T/rootfs/msg")" 1700000000 "type=local: mtimes clamped to the epoch"
touch -d @1600000000 "$U/msg"
rt pack k1 "$(spec "$T/rootfs-mtimes" local | jq -c 'del(.epoch)')"
is "$(stat -c %Y "$T/rootfs-mtimes/msg")" 1600000000 \
	"type=local without an epoch or SOURCE_DATE_EPOCH keeps the files' mtimes (BuildKit)"
SOURCE_DATE_EPOCH=1500000000 rt pack k1 "$(spec "$T/rootfs-sde" local | jq -c 'del(.epoch)')"
is "$(stat -c %Y "$T/rootfs-sde/msg")" 1500000000 "type=local: SOURCE_DATE_EPOCH rewrites them"
is "$(readlink "$T/rootfs/hostetc")" "$T/victim" "type=local: symlink kept as a symlink"
if [ -d "$T/bundle/rootfs" ]; then
	tree() { (cd "$1" && { find . -mindepth 1 -printf '%p %y %m %U %G %l\n'; find . -type f -exec md5sum {} +; } | LC_ALL=C sort); }
	is "$(tree "$T/rootfs")" "$(tree "$T/bundle/rootfs")" "type=local tree = umoci's unpack of the image"
fi
# a later layer's directory replaces the symlink; its whiteout must not
# reach through the old symlink
X=$STATE/kx/upper
mkdir -p "$X/hostetc" && mknod "$X/hostetc/f" c 0 0 && echo g >"$X/hostetc/g"
jq -c ". + [{\"dir\":\"$X\",\"step\":\"kx\"}]" "$STATE/k1/chain.json" >"$STATE/kx/chain.json"
rt layer kx '{"parent":"k1","epoch":1700000000,"compress":"none"}'
rt pack kx "$(spec "$T/rootfs2" local '[]' '[]')"
is "$(cat "$T/victim/f")" "keep" "type=local: whiteout never follows a lower symlink"
check "type=local: directory replaced the symlink" test -d "$T/rootfs2/hostetc" -a ! -L "$T/rootfs2/hostetc" -a -f "$T/rootfs2/hostetc/g"

# the image loads back into the store (Docker >= 25 layout)
out=$(rt load -i "$IMG" 2>&1)
like "$out" "Loaded image: docker.io/library/dftest:1" "round trip: load of the packed image"
is "$(ref_json docker.io/library/dftest:1 | jq -r .manifest)" "$man" "round trip: same manifest digest"

# errors: nothing under the real name, the previous image intact
out=$(rt pack k1 "$(spec "$T/nodir/image.tar")" 2>&1); rc=$?
check "missing output dir: fails" test $rc -ne 0
like "$out" "output directory $T/nodir: No such file or directory" "missing output dir: message"
mkdir -p "$T/ro" && mount -t tmpfs -o ro,size=1m tmpfs "$T/ro" 2>/dev/null && ro=1 || ro=
if [ -n "$ro" ]; then
	out=$(rt pack k1 "$(spec "$T/ro/image.tar")" 2>&1); rc=$?
	check "read-only output dir: fails" test $rc -ne 0
	like "$out" "write image $T/ro/image.tar: create .*Read-only file system" "read-only output dir: message"
	umount "$T/ro"
	mkdir -p "$T/full" && mount -t tmpfs -o size=1m tmpfs "$T/full"
	echo previous >"$T/full/image.tar"
	out=$(rt pack k1 "$(spec "$T/full/image.tar")" 2>&1); rc=$?
	check "full disk: fails" test $rc -ne 0
	like "$out" "No space left on device" "full disk: message"
	is "$(cat "$T/full/image.tar")" "previous" "full disk: previous image intact"
	is "$(ls -A "$T/full")" "image.tar" "full disk: no temp file left"
	umount "$T/full"
else
	skip "tmpfs output errors" "cannot mount tmpfs"
fi
# a base image without history: entries are added for its layers
rt pack k1 "$(spec "$T/h.tar" tar '["docker.io/library/dftest:1"]' '[{"created_by":"RUN","step":"k1"}]')"
c1=$(tar xOf "$T/h.tar" manifest.json | jq -r '.[0].Config')
is "$(tar xOf "$T/h.tar" "$c1" | jq -c '[.history[] | [.created_by, (.empty_layer // false)]]')" '[[null,false],["RUN",false]]' "missing base history: added at the bottom"
rt pack k1 "$(spec "$T/h2.tar" tar '["docker.io/library/dftest:1"]' '[{"created_by":"a"},{"created_by":"b"},{"created_by":"RUN","step":"k1"}]')"
c2=$(tar xOf "$T/h2.tar" manifest.json | jq -r '.[0].Config')
is "$(tar xOf "$T/h2.tar" "$c2" | jq -c '[.history[] | [.created_by, (.empty_layer // false)]]')" '[["a",true],["b",false],["RUN",false]]' "surplus history entries: oldest made empty"
mv "$STATE/k1.layer" "$STATE/k1.layer.x"
out=$(rt pack k1 "$(spec "$T/m.tar")" 2>&1); rc=$?
check "missing KEY.layer: fails" test $rc -ne 0
like "$out" "layer of step k1" "missing KEY.layer: message"
mv "$STATE/k1.layer.x" "$STATE/k1.layer"

# docker: load and run
if [ -f "$SRCDIR/tests/lib/dockerd.sh" ] && . "$SRCDIR/tests/lib/dockerd.sh" && dockerd_up 2>/dev/null; then
	rt pack k1 "$(spec "$T/two.tar" tar '["docker.io/library/dftest:1","docker.io/df2make/t:2"]')"
	out=$(rt load -i "$T/two.tar" -t extra:3 2>&1)
	like "$out" "Loaded image: docker.io/library/extra:3" "load -t of an image listed once per tag"
	out=$("$DOCKER" load -i "$T/two.tar" 2>&1)
	like "$out" "Loaded image: dftest:1" "docker load: first tag"
	like "$out" "Loaded image: df2make/t:2" "docker load: second tag"
	is "$(docker_run_until "hello from df2make" "$T/two.tar" df2make/t:2)" "hello from df2make" \
		"docker run prints the expected output"
	is "$("$DOCKER" image inspect -f '{{.Id}}' dftest:1)" "sha256:${cfg#blobs/sha256/}" "docker: image ID = config digest"
	"$DOCKER" rmi -f dftest:1 df2make/t:2 >/dev/null 2>&1
else
	skip "docker load/run" "no docker daemon"
fi

# podman and buildah
if [ -f "$SRCDIR/tests/lib/dockerd.sh" ] && . "$SRCDIR/tests/lib/dockerd.sh" && podman_up 2>/dev/null; then
	out=$($PODMAN load -i "$IMG" 2>&1)
	like "$out" "Loaded image.*docker.io/library/dftest:1" "podman load"
	if [ -f "$T/two.tar" ]; then
		$PODMAN rmi -f docker.io/df2make/t:2 localhost/df2make/t:2 >/dev/null 2>&1
		$PODMAN load -i "$T/two.tar" >/dev/null 2>&1
		is "$($PODMAN image inspect -f '{{.Id}}' docker.io/df2make/t:2 2>&1)" \
			"$($PODMAN image inspect -f '{{.Id}}' docker.io/library/dftest:1 2>&1)" \
			"podman load of a two-tag archive: both names, one image"
	fi
	if command -v skopeo >/dev/null && [ -f "$T/two.tar" ]; then
		is "$(skopeo inspect --config "docker-archive:$T/two.tar:docker.io/df2make/t:2" 2>&1 |
			jq -c .config.Cmd 2>&1)" '["cat","/msg"]' "skopeo docker-archive:FILE:NAME finds the second tag"
	fi
	if command -v buildah >/dev/null; then
		B="buildah ${PODMAN#podman }"
		B=${B/--cgroup-manager cgroupfs/}
		B=${B/--events-backend file/}
		ctr=$($B from docker.io/library/dftest:1 2>&1 | tail -1)
		is "$($B run --isolation chroot "$ctr" -- cat /msg 2>&1)" "hello from df2make" "buildah from + run --isolation chroot"
		$B rm "$ctr" >/dev/null 2>&1
	else
		skip "buildah" "not installed"
	fi
	$PODMAN rmi -f docker.io/library/dftest:1 >/dev/null 2>&1
else
	skip "podman" "podman not usable"
fi
done_testing

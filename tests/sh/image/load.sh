# load / import / images: archives made by hand (and by skopeo/docker when
# present) go into the store with verified digests and the right names.
. "$SRCDIR/tests/lib.sh"
. "$SRCDIR/tests/sh/image/helpers.bash"
need python3 tar gzip

mk_rootfs "$T/root"
tar_dir "$T/root" "$T/rootfs.tar"
gzip -n -c "$T/rootfs.tar" >"$T/rootfs.tar.gz"
diff_id=sha256:$(sha "$T/rootfs.tar")

# legacy docker-archive, plain layer
mk_docker_archive "$T/da.tar" "busy:1" "$T/rootfs.tar"
out=$(rt load -i "$T/da.tar" 2>&1)
is "$out" "Loaded image: docker.io/library/busy:1" "load prints the normalised name"
ref=$(ref_json docker.io/library/busy:1)
is "$(jq -r '.layers[0].diff_id' <<<"$ref")" "$diff_id" "diff_id from the config"
is "$(jq -r '.layers[0].digest' <<<"$ref")" "$diff_id" "plain layer: digest = diff_id"
is "$(jq -r '.layers[0].mediaType' <<<"$ref")" "application/vnd.oci.image.layer.v1.tar" "plain layer media type"
cfg=$(jq -r .config <<<"$ref")
is "sha256:$(sha "$STORE/blobs/sha256/${cfg#sha256:}")" "$cfg" "config stored under its digest"
man=$(jq -r .manifest <<<"$ref")
is "$(jq -r .config.digest "$STORE/blobs/sha256/${man#sha256:}")" "$cfg" "manifest made for a legacy archive points at the config"
cmp -s "$STORE/blobs/sha256/${diff_id#sha256:}" "$T/rootfs.tar" && ok "layer blob stored as is" || not_ok "layer blob stored as is"
like "$(rt images)" "docker.io/library/busy:1 +${cfg:7:12} +[0-9.]+MB" "images lists name, id, size"
ls "$STORE"/blobs/sha256/.tmp-* >/dev/null 2>&1 && not_ok "no temp blobs left" || ok "no temp blobs left"

out=$(rt load -i - <"$T/da.tar" 2>&1)
is "$out" "Loaded image: docker.io/library/busy:1" "load -i - reads standard input"

# gzip layer, whole archive gzipped too, -t override
mk_docker_archive "$T/dz.tar" "busyz:1" "$T/rootfs.tar.gz"
gzip -c "$T/dz.tar" >"$T/dz.tar.gz"
out=$(rt load -i "$T/dz.tar.gz" -t other/name:2 2>&1)
like "$out" "docker.io/other/name:2" "-t names the image"
ref=$(ref_json docker.io/other/name:2)
is "$(jq -r '.layers[0].mediaType' <<<"$ref")" "application/vnd.oci.image.layer.v1.tar+gzip" "gzip layer sniffed"
is "$(jq -r '.layers[0].digest' <<<"$ref")" "sha256:$(sha "$T/rootfs.tar.gz")" "gzip blob digest"
is "$(jq -r '.layers[0].diff_id' <<<"$ref")" "$diff_id" "gzip layer diff_id verified"

# zstd layer
if command -v zstd >/dev/null; then
	zstd -q -c "$T/rootfs.tar" >"$T/rootfs.tar.zst"
	mk_docker_archive "$T/dzst.tar" "busyzst:1" "$T/rootfs.tar.zst"
	rt load -i "$T/dzst.tar" >/dev/null
	ref=$(ref_json docker.io/library/busyzst:1)
	is "$(jq -r '[.layers[0].mediaType, .layers[0].diff_id] | @tsv' <<<"$ref")" "application/vnd.oci.image.layer.v1.tar+zstd	$diff_id" "zstd layer: media type, diff_id verified"
	rt base z '{"image":"busyzst:1"}'
	check "zstd layer unpacks" test -x "$STORE/layers/${diff_id#sha256:}/bin/busybox"
else
	skip "zstd layer" "zstd not installed"
fi

# bzip2, xz and lz4 layers load, as `docker load` takes them (measured with
# docker 20.10); OCI has no media type for them, so the store keeps the
# decompressed tar (digest = diff_id).
for c in bzip2 xz lz4; do
	if ! command -v $c >/dev/null; then
		skip "$c layer" "$c not installed"
		continue
	fi
	$c -q -c "$T/rootfs.tar" >"$T/rootfs.tar.$c"
	mk_docker_archive "$T/d$c.tar" "busy$c:1" "$T/rootfs.tar.$c"
	out=$(rt load -i "$T/d$c.tar" 2>&1); rc=$?
	ref=$(ref_json docker.io/library/busy$c:1)
	is "$rc $(jq -r '.layers[0] | [.digest, .diff_id, .mediaType, .size] | @tsv' <<<"$ref")" \
		"0 $diff_id	$diff_id	application/vnd.oci.image.layer.v1.tar	$(stat -c %s "$T/rootfs.tar")" \
		"$c layer: stored decompressed, digest = diff_id"
	check "$c layer: the stored blob is the tar" cmp -s "$STORE/blobs/sha256/${diff_id#sha256:}" "$T/rootfs.tar"
	rm -rf "$STORE/layers/${diff_id#sha256:}"
	rt base "b$c" "{\"image\":\"busy$c:1\"}"
	check "$c layer unpacks" test -x "$STORE/layers/${diff_id#sha256:}/bin/busybox"
done
# the same compressed layer under two tags in one archive: stored once
bzip2 -q -c "$T/rootfs.tar" >"$T/r2.tar.bzip2"
mk_docker_archive "$T/d2.tar" "two:a" "$T/r2.tar.bzip2"
mkdir "$T/d2" && tar -C "$T/d2" -xf "$T/d2.tar"
jq -c '.[0] as $m | [$m, ($m | .RepoTags = ["two:b"])]' "$T/d2/manifest.json" >"$T/m2"
mv "$T/m2" "$T/d2/manifest.json" && tar -C "$T/d2" -cf "$T/d2.tar" .
out=$(rt load -i "$T/d2.tar" 2>&1); rc=$?
is "$rc $(ref_json docker.io/library/two:a | jq -r '.layers[0].digest') $(ref_json docker.io/library/two:b | jq -r '.layers[0].digest')" \
	"0 $diff_id $diff_id" "a bzip2 layer listed twice: both tags point at the decompressed blob"

# legacy archive with two images sharing a layer through a symlink, as
# `docker save a b` writes it
mkdir -p "$T/two/l0" "$T/two/l1"
cp "$T/rootfs.tar" "$T/two/l0/layer.tar"
ln -s ../l0/layer.tar "$T/two/l1/layer.tar"
mkdir -p "$T/extra/etc" && echo x >"$T/extra/etc/x" && tar_dir "$T/extra" "$T/two/extra.tar"
for n in a b; do
	[ $n = a ] && ids="\"$diff_id\"" || ids="\"$diff_id\",\"sha256:$(sha "$T/two/extra.tar")\""
	printf '{"architecture":"amd64","os":"linux","config":{"Cmd":["%s"]},"rootfs":{"type":"layers","diff_ids":[%s]}}' $n "$ids" >"$T/two/$n.json"
done
printf '[{"Config":"a.json","RepoTags":["two:a"],"Layers":["l0/layer.tar"]},{"Config":"b.json","RepoTags":["two:b","two:bb"],"Layers":["l1/layer.tar","extra.tar"]}]' >"$T/two/manifest.json"
tar -C "$T/two" -cf "$T/two.tar" .
out=$(rt load -i "$T/two.tar" 2>&1)
is "$out" "Loaded image: docker.io/library/two:a
Loaded image: docker.io/library/two:b
Loaded image: docker.io/library/two:bb" "two images, three tags"
is "$(ref_json docker.io/library/two:b | jq -r '.layers[0].digest')" "$diff_id" "symlinked layer resolves to the shared blob"
is "$(ref_json docker.io/library/two:bb | jq -r '.layers | length')" 2 "second image has both layers"
out=$(rt load -i "$T/two.tar" -t one:1 2>&1); rc=$?
like "$out" "-t needs an archive with one image" "-t with two images refused"

# a config lying about diff_id is refused
mkdir -p "$T/bad" && tar -C "$T/bad" -xf "$T/da.tar"
c=$(ls "$T/bad"/*.json | grep -v manifest)
sed -i 's/"sha256:[0-9a-f]*"/"sha256:0000000000000000000000000000000000000000000000000000000000000000"/' "$c"
n=$(sha "$c"); mv "$c" "$T/bad/$n.json"
sed -i "s/\"Config\":\"[0-9a-f]*.json\"/\"Config\":\"$n.json\"/" "$T/bad/manifest.json"
tar -C "$T/bad" -cf "$T/bad.tar" .
out=$(rt load -i "$T/bad.tar" -t bad:1 2>&1); rc=$?
check "wrong diff_id: load fails" test $rc -ne 0
like "$out" "does not match diff_id" "wrong diff_id: message"
check "wrong diff_id: no ref written" test ! -e "$STORE/refs/$(printf docker.io/library/bad:1 | sha256sum | cut -c1-64).json"

# an OCI blob whose content does not hash to its name
mkdir -p "$T/oci-bad/blobs/sha256"
echo '{"imageLayoutVersion":"1.0.0"}' >"$T/oci-bad/oci-layout"
echo hello >"$T/oci-bad/blobs/sha256/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
tar -C "$T/oci-bad" -cf "$T/oci-bad.tar" .
out=$(rt load -i "$T/oci-bad.tar" 2>&1); rc=$?
check "blob digest mismatch fails" test $rc -ne 0
like "$out" "digest mismatch" "blob digest mismatch: message"

# not an image at all
out=$(rt load -i "$T/rootfs.tar" 2>&1); rc=$?
check "rootfs tar is not an image archive" test $rc -ne 0
like "$out" "no index.json or manifest.json" "not-an-archive message"
out=$(rt load -i "$T/missing.tar" 2>&1); rc=$?
like "$out" "missing.tar.*No such file" "missing input named"

# import
out=$(rt import "$T/rootfs.tar.gz" imported 2>&1)
is "$out" "Loaded image: docker.io/library/imported:latest" "import names the image"
ref=$(ref_json docker.io/library/imported:latest)
cfgj=$STORE/blobs/sha256/$(jq -r .config <<<"$ref" | cut -c8-)
is "$(jq -c '[.architecture, .os, .config, .rootfs.diff_ids]' "$cfgj")" \
	"[\"$(dpkg --print-architecture 2>/dev/null || echo amd64)\",\"linux\",{},[\"$diff_id\"]]" "import config: host platform, no Env, diff_id"
out=$(rt import -c 'ENV PATH=/go/bin:/bin' -c 'ENV GOPATH=/go' -c 'WORKDIR /go' -c 'CMD ["bash"]' \
	-c 'ENTRYPOINT echo hi' -c 'EXPOSE 80 53/udp' -c 'LABEL a=b "c d"=e' -c 'USER nobody' \
	-c 'VOLUME ["/data"]' -m "test base" "$T/rootfs.tar" changed:1 2>&1)
cfgj=$STORE/blobs/sha256/$(ref_json docker.io/library/changed:1 | jq -r .config | cut -c8-)
is "$(jq -c .config "$cfgj")" '{"Env":["PATH=/go/bin:/bin","GOPATH=/go"],"WorkingDir":"/go","Cmd":["bash"],"Entrypoint":["/bin/sh","-c","echo hi"],"ExposedPorts":{"80/tcp":{},"53/udp":{}},"Labels":{"a":"b","c d":"e"},"User":"nobody","Volumes":{"/data":{}}}' "import --change: config like docker import's"
is "$(jq -r '.history[0].comment' "$cfgj")" "test base" "import -m: history comment"
nblobs=$(ls "$STORE/blobs/sha256" | wc -l)
out=$(rt import -c 'FROM x' "$T/rootfs.tar.gz" bad:2 2>&1); rc=$?
check "import --change FROM: refused" test $rc -ne 0
like "$out" "FROM is not one of" "import --change: message"
is "$(ls "$STORE/blobs/sha256" | wc -l)" "$nblobs" "import --change refused before storing anything"
out=$(rt import /etc/passwd x 2>&1); rc=$?
check "import of a non-tar fails" test $rc -ne 0
like "$out" "not a tar archive" "import non-tar message"
out=$(rt import "$T/rootfs.tar" 'Bad Name' 2>&1); rc=$?
like "$out" "invalid reference format" "import refuses a bad name"

# OCI layout and archive through skopeo
if command -v skopeo >/dev/null; then
	skopeo copy -q "docker-archive:$T/dz.tar" "oci:$T/layout:t1" 2>/dev/null
	out=$(rt load -i "$T/layout" 2>&1); rc=$?
	check "OCI layout with a bare tag ref: refused without -t" test $rc -ne 0
	like "$out" "give one with -t" "no-name message says -t"
	out=$(rt load -i "$T/layout" -t oci/dir:1 2>&1)
	like "$out" "docker.io/oci/dir:1" "OCI layout dir loads with -t"
	ref=$(ref_json docker.io/oci/dir:1)
	is "$(jq -r .manifest <<<"$ref")" "$(jq -r '.manifests[0].digest' "$T/layout/index.json")" "manifest digest kept from the layout"
	is "$(jq -r '.layers[0].diff_id' <<<"$ref")" "$diff_id" "OCI layout diff_id"
	# a nested (multi-platform) index: the host's manifest is picked
	mkdir -p "$T/nested" && cp -r "$T/layout/." "$T/nested/"
	md=$(jq -c '.manifests[0] | del(.annotations)' "$T/layout/index.json")
	arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%064d","size":9,"platform":{"architecture":"s390x","os":"linux"}},%s]}' 0 \
		"$(jq -c ". + {platform:{architecture:\"$arch\",os:\"linux\"}}" <<<"$md")" >"$T/nested/i.json"
	ih=$(sha "$T/nested/i.json") && mv "$T/nested/i.json" "$T/nested/blobs/sha256/$ih"
	printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:%s","size":%d,"annotations":{"io.containerd.image.name":"docker.io/multi/arch:1"}}]}' \
		"$ih" "$(stat -c %s "$T/nested/blobs/sha256/$ih")" >"$T/nested/index.json"
	out=$(rt load -i "$T/nested" 2>&1)
	like "$out" "docker.io/multi/arch:1" "nested index: name from the annotation"
	is "$(ref_json docker.io/multi/arch:1 | jq -r .manifest)" "$(jq -r .digest <<<"$md")" "nested index: host platform's manifest"
	mkdir -p "$T/esc" && cp -r "$T/layout/." "$T/esc/"
	echo '[{"Config":"../../../../etc/hostname","RepoTags":["esc:1"],"Layers":[]}]' >"$T/esc/manifest.json"
	rm "$T/esc/index.json"
	out=$(rt load -i "$T/esc" 2>&1); rc=$?
	like "$out" "leaves the image directory" "layout dir: paths leaving it refused"
	skopeo copy -q "docker-archive:$T/da.tar" "oci-archive:$T/oa.tar:quay.io/x/y:3" 2>/dev/null
	out=$(rt load -i "$T/oa.tar" 2>&1)
	like "$out" "quay.io/x/y:3" "OCI archive: full ref.name is the name"
else
	skip "skopeo tests" "skopeo not installed"
fi

# a real `docker save` when the test daemon is up
if [ -f "$SRCDIR/tests/lib/dockerd.sh" ] && . "$SRCDIR/tests/lib/dockerd.sh" && dockerd_up 2>/dev/null; then
	"$DOCKER" load -q -i "$T/da.tar" >/dev/null && "$DOCKER" save -o "$T/saved.tar" busy:1
	out=$(rt load -i "$T/saved.tar" -t saved:1 2>&1)
	ref=$(ref_json docker.io/library/saved:1)
	is "$(jq -r '.layers[0].diff_id' <<<"$ref")" "$diff_id" "docker save archive loads ($out)"
else
	skip "docker save archive" "no docker daemon"
fi

# memory: streaming, never a layer in memory
big=/var/cache/df2make-test/golang.docker.tar
if [ -s "$big" ]; then
	rss=$( { /usr/bin/time -f '%M' "$DF2MAKE_RUNTIME_BIN" --store "$T/bigstore" load -i "$big" >/dev/null; } 2>&1 | tail -1)
	check "load of $(($(stat -c %s "$big") >> 20)) MB archive: peak RSS ${rss} kB < 64 MB" test "$rss" -lt 65536
	rm -rf "$T/bigstore"
else
	skip "peak RSS of a big load" "no $big"
fi
done_testing

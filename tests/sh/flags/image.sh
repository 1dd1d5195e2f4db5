#!/usr/bin/env bash
# --annotation and --format docker in the image make writes: where buildx
# puts each annotation type (the manifest, its descriptor in index.json,
# the index; an image index and its descriptor for a --platform list) and
# docker's media types for every document and layer. docker load takes
# the docker-format image when a daemon is there.
. "$SRCDIR/tests/lib.sh"
. "$SRCDIR/tests/lib/ctxbuild.sh"
echo data >"$T/ctx/f"
printf 'FROM scratch\nCOPY f /f\n' >"$T/ctx/Dockerfile"
build() { ctxbuild "$@"; }
# doc PATH...: a JSON document of image.tar, following index.json: "index",
# "manifest" (the first one; of the nested index for a list), "nested"
doc() {
	python3 - image.tar "$1" <<'PY'
import json, sys, tarfile
t = tarfile.open(sys.argv[1])
blob = lambda d: json.load(t.extractfile("blobs/sha256/" + d["digest"][7:]))
idx = json.load(t.extractfile("index.json"))
top = idx["manifests"][0]
what = sys.argv[2]
if what == "index":
    print(json.dumps(idx))
elif what == "nested":
    print(json.dumps(blob(top)))
elif what == "manifest":
    m = blob(top)
    if "manifests" in m:
        m = blob(m["manifests"][0])
    print(json.dumps(m))
elif what == "types":
    m = blob(top)
    out = [top["mediaType"], m["mediaType"]]
    if "manifests" in m:
        out.append(m["manifests"][0]["mediaType"]); m = blob(m["manifests"][0])
    out += [m["config"]["mediaType"]] + [l["mediaType"] for l in m["layers"]]
    print(" ".join(out))
PY
}
build -t ann:1 --annotation org.k=v --annotation manifest:b=2 --annotation manifest-descriptor:z=1 \
	--annotation manifest-descriptor:a=2 --annotation index:i=j
is "$rc" 0 "one platform with annotations of each type"
like "$(doc manifest)" '"annotations": \{"b": "2", "org.k": "v"\}\}$' \
	"manifest (the default type): in the manifest, keys sorted"
like "$(doc index)" '"annotations": \{"a": "2", "io.containerd.image.name": "docker.io/library/ann:1", "org.opencontainers.image.ref.name": "1", "z": "1"\}\}\]' \
	"manifest-descriptor: on the manifest's descriptor in index.json, beside the names"
like "$(doc index)" '\], "annotations": \{"i": "j"\}\}$' "index: on index.json (the layout's index)"
"$DF2MAKE" --annotation index-descriptor:x=y "$T/ctx" >/dev/null 2>"$T/err"
is "$?:$(cat "$T/err")" "1:df2make: --annotation index-descriptor:x=y: an index descriptor exists only for a --platform list" \
	"index-descriptor without a platform list is refused"

build --platform linux/amd64,linux/arm64 --annotation index:i=j --annotation index-descriptor:d=e \
	--annotation manifest-descriptor:m=n
is "$rc" 0 "a platform list with annotations"
like "$(doc nested)" '"annotations": \{"i": "j"\}\}$' "index: on the image index"
like "$(doc nested)" '"annotations": \{"m": "n"\}, "platform"' "manifest-descriptor: on each platform's descriptor in it"
like "$(doc index)" '"annotations": \{"d": "e"\}\}\]' "index-descriptor: on the image index's descriptor in index.json"

build --platform linux/amd64,linux/arm64 --iidfile id.txt --metadata-file meta.json -t multi:1
is "$(cat id.txt)" "$(python3 -c 'import json,sys; print(json.load(sys.stdin)["manifests"][0]["digest"])' < <(tar -xOf image.tar index.json))" \
	"a platform list: --iidfile is the image index's digest (buildx: no config digest)"
like "$(cat meta.json)" '"containerimage.descriptor": \{
    "digest": "sha256:[0-9a-f]{64}",
    "mediaType": "application/vnd.oci.image.index.v1\+json",' "... and the metadata describes the index"
check "... without containerimage.config.digest" bash -c "! grep -q config.digest meta.json"

build -t fmt:1 --format docker
is "$rc" 0 "--format docker"
is "$(doc types)" "application/vnd.docker.distribution.manifest.v2+json application/vnd.docker.distribution.manifest.v2+json application/vnd.docker.container.image.v1+json application/vnd.docker.image.rootfs.diff.tar" \
	"--format docker: docker's media types for the manifest, config and layer"
build -t fmt:1 --format docker --compress gzip --platform linux/amd64,linux/arm64
is "$(doc types)" "application/vnd.docker.distribution.manifest.list.v2+json application/vnd.docker.distribution.manifest.list.v2+json application/vnd.docker.distribution.manifest.v2+json application/vnd.docker.container.image.v1+json application/vnd.docker.image.rootfs.diff.tar.gzip" \
	"... a manifest list and gzip layers"
build -t fmt:1 --format oci
like "$(doc types)" "^application/vnd.oci.image.manifest.v1\+json " "--format oci: the default"
"$DF2MAKE" --format docker --compress zstd "$T/ctx" >/dev/null 2>"$T/err"
is "$?:$(cat "$T/err")" "1:df2make: --format docker: docker's media types have no zstd layers (--compress gzip or none)" \
	"--format docker with zstd layers is refused"
if [ -f "$SRCDIR/tests/lib/dockerd.sh" ] && . "$SRCDIR/tests/lib/dockerd.sh" && dockerd_up 2>/dev/null; then
	tag=df2make-flags-fmt-$$
	build -t "$tag:1" --format docker
	like "$("$DOCKER" load -i image.tar 2>&1)" "Loaded image: $tag:1" "docker loads the docker-format image"
	"$DOCKER" rmi -f "$tag:1" >/dev/null 2>&1
else
	skip "docker loads the docker-format image" "no docker daemon"
fi
done_testing

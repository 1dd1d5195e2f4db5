#!/usr/bin/env bash
# --platform linux/amd64,linux/arm64: one build.mk builds one image per
# platform (in parallel under make -j) and packs them into one archive: an
# OCI index listing each platform's manifest with its platform object,
# plus a docker manifest.json holding the host's image (docker 20.10 loads
# only that file). Checked with jq on the archive, with our own load (both
# platforms come back), skopeo and podman when installed.
. "$SRCDIR/tests/lib.sh"
. "$SRCDIR/tests/lib/platforms.sh"
platforms_multi "$T/multi" docker.io/multi/arch:1
"$RT" --store "$STORE" load -i "$T/multi" >/dev/null

# the cross-compile pattern: the build stage runs natively for both
mkdir -p "$T/ctx"
cat >"$T/ctx/Dockerfile" <<'D'
FROM --platform=$BUILDPLATFORM multi/arch:1 AS build
ARG TARGETARCH
RUN echo "$TARGETARCH built on $(cat /arch)" >/t
FROM multi/arch:1
COPY --from=build /t /t
D
"$DF2MAKE" --store "$STORE" --state "$T/state" -t multi/out:1 -o "$T/out.tar" \
	--platform linux/amd64,linux/arm64 "$T/ctx" >"$T/build.mk" 2>"$T/log"
is "$?" 0 "compile with two platforms"
make -f "$T/build.mk" -j2 >>"$T/log" 2>&1
is "$?" 0 "make -j2 builds both"
is "$(grep -c '^#[0-9a-f]* \[build 2/2\] RUN' "$T/log")" 2 \
	"the build stage's RUN ran once per platform"

ix() { tar -xOf "$T/out.tar" "$1"; }
top=$(ix index.json)
is "$(jq -c '[.manifests[] | [.mediaType, .annotations["io.containerd.image.name"]]]' <<<"$top")" \
	'[["application/vnd.oci.image.index.v1+json","docker.io/multi/out:1"]]' \
	"index.json: one image index, named"
idx=$(ix "blobs/sha256/$(jq -r '.manifests[0].digest[7:]' <<<"$top")")
is "$(jq -c '[.manifests[].platform]' <<<"$idx")" \
	'[{"architecture":"amd64","os":"linux"},{"architecture":"arm64","os":"linux"}]' \
	"the index lists each platform's manifest with its platform"
# file FROM the image of platform N: /t and /arch from its last layer
files() {
	local m c l
	m=$(ix "blobs/sha256/$(jq -r ".manifests[$1].digest[7:]" <<<"$idx")")
	c=$(ix "blobs/sha256/$(jq -r '.config.digest[7:]' <<<"$m")")
	l=$(jq -r '.layers[-1].digest[7:]' <<<"$m")
	printf '%s %s | %s\n' "$(jq -r .architecture <<<"$c")" "$(ix "blobs/sha256/$l" | tar -xO t)" \
		"$(jq -r '.layers[0].digest[7:]' <<<"$m" | xargs -I{} tar -xOf "$T/out.tar" blobs/sha256/{} |
			tar -xO ./arch)"
}
is "$(files 0)" "amd64 amd64 built on amd64 | amd64" \
	"amd64 image: amd64 config, base and build output"
is "$(files 1)" "arm64 arm64 built on amd64 | arm64" \
	"arm64 image: arm64 config and base; its /t built natively on amd64"
is "$(ix manifest.json | jq -r '.[0].Config[13:]')" \
	"$(ix "blobs/sha256/$(jq -r '.manifests[0].digest[7:]' <<<"$idx")" | jq -r '.config.digest[7:]')" \
	"manifest.json (docker load) holds the host's image"

out=$("$RT" --store "$T/store2" load -i "$T/out.tar" 2>&1)
is "$out" "Loaded image: docker.io/multi/out:1
Loaded image: docker.io/multi/out:1 (linux/arm64)" "df2make-runtime load keeps both platforms"

if command -v skopeo >/dev/null; then
	raw=$(skopeo inspect --raw "oci-archive:$T/out.tar")
	is "$(jq -c '[.manifests[].platform.architecture]' <<<"$raw")" '["amd64","arm64"]' \
		"skopeo inspect --raw shows the index"
	arch=$(skopeo inspect --override-arch arm64 "oci-archive:$T/out.tar" | jq -r .Architecture)
	is "$arch" arm64 "skopeo picks the arm64 image"
else
	skip "skopeo" "not installed"
	skip "skopeo arm64" "not installed"
fi
if command -v podman >/dev/null; then
	p=(podman --root "$T/podman" --runroot "$T/podman-run" --storage-driver vfs)
	"${p[@]}" load -i "$T/out.tar" >"$T/podman.log" 2>&1
	is "$("${p[@]}" image inspect docker.io/multi/out:1 --format '{{.Architecture}}' 2>&1)" amd64 \
		"podman load takes the host's platform from the index"
else
	skip "podman" "not installed"
fi
done_testing

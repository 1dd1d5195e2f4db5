#!/usr/bin/env bash
# Platforms: a two-platform OCI image keeps both platforms in the store;
# --platform and FROM --platform pick the base image of that platform, the
# classic cross-compile pattern (FROM --platform=$BUILDPLATFORM) runs its
# stage natively, a platform the image lacks is an error naming both, and a
# RUN on a foreign platform without a binfmt_misc handler fails at that RUN
# saying how to enable one.
. "$SRCDIR/tests/lib.sh"
. "$SRCDIR/tests/lib/platforms.sh"
platforms_multi "$T/multi" docker.io/multi/arch:1
out=$("$RT" --store "$STORE" load -i "$T/multi" 2>&1)
is "$out" "Loaded image: docker.io/multi/arch:1
Loaded image: docker.io/multi/arch:1 (linux/arm64)" \
	"load: both platforms kept, the host's is the default"
is "$("$RT" --store "$STORE" images | awk 'NR > 1' | cut -c1-50 | sed 's/ *$//')" \
	"docker.io/multi/arch:1
docker.io/multi/arch:1 (linux/arm64)" "images: the default once, the other platform named"

# build NAME ARGS...: compile ctx-NAME and make it into out-NAME (a local
# export of the image's files) and NAME.tar; sets rc, log in NAME.log
build() {
	local n=$1
	shift
	"$DF2MAKE" --store "$STORE" --state "$T/state" -o "type=local,dest=$T/out-$n" "$@" \
		"$T/ctx-$n" >"$T/$n.mk" 2>"$T/$n.log" &&
		make -f "$T/$n.mk" >>"$T/$n.log" 2>&1
	rc=$?
}
ctx() { mkdir -p "$T/ctx-$1" && cat >"$T/ctx-$1/Dockerfile"; }

ctx plain <<'D'
FROM multi/arch:1
D
build plain --platform linux/arm64
is "$rc" 0 "--platform linux/arm64: builds"
is "$(cat "$T/out-plain/arch" 2>/dev/null)" arm64 \
	"--platform linux/arm64: the arm64 image's files"
build plain --platform linux/aarch64/v8
is "$(cat "$T/out-plain/arch" 2>/dev/null)" arm64 \
	"linux/aarch64/v8 is linux/arm64 (containerd's aliases)"
build plain
is "$(cat "$T/out-plain/arch" 2>/dev/null)" amd64 "no --platform: the host's image"

# the image config says the target platform (pack to a tar)
"$DF2MAKE" --store "$STORE" --state "$T/state" -o "$T/arm.tar" --platform linux/arm64/v8 \
	"$T/ctx-plain" >"$T/arm.mk" 2>"$T/arm.log" && make -f "$T/arm.mk" >>"$T/arm.log" 2>&1
cfg=$(tar -xOf "$T/arm.tar" "$(tar -xOf "$T/arm.tar" manifest.json | jq -r '.[0].Config')")
is "$(jq -c '[.os, .architecture, .variant]' <<<"$cfg")" '["linux","arm64",null]' \
	"config: linux/arm64 (v8 normalised away, as BuildKit)"

ctx missing <<'D'
FROM multi/arch:1
D
build missing --platform linux/s390x
is "$rc" 1 "a platform the image lacks: compile fails"
m="image docker.io/multi/arch:1 has no linux/s390x image in the store $STORE (it has linux/amd64)"
is "$(head -1 "$T/missing.log")" \
	"$T/ctx-missing/Dockerfile:1:1: error: base image docker.io/multi/arch:1: $m" \
	"... naming the image and the platform"

# a single image (not from an index) of another platform is used, with
# BuildKit's warning, as BuildKit builds on it
"$RT" --store "$STORE" import "$T/amd64.tar" single:1 >/dev/null
ctx single <<'D'
FROM single:1
D
build single --platform linux/arm64
is "$rc" 0 "a single amd64 image FROM for linux/arm64: builds"
w="InvalidBaseImagePlatform: Base image single:1 was pulled with platform"
w="$w \"linux/amd64\", expected \"linux/arm64\" for current build"
like "$(cat "$T/single.log")" "Dockerfile:1:1: warning: $w" \
	"... with BuildKit's warning"

# cross-compile: the build stage on $BUILDPLATFORM (native, its RUN runs),
# TARGET* the build's target in it, and a COPY --from=IMAGE in it too (as
# BuildKit resolves those images); the final stage on the target
ctx cross <<'D'
FROM --platform=$BUILDPLATFORM multi/arch:1 AS build
ARG TARGETPLATFORM TARGETOS TARGETARCH TARGETVARIANT BUILDPLATFORM BUILDARCH
COPY --from=multi/arch:1 /arch /img-arch
RUN echo "$BUILDPLATFORM $BUILDARCH -> $TARGETPLATFORM $TARGETOS $TARGETARCH" \
	"[$TARGETVARIANT] on $(cat /arch), --from image $(cat /img-arch)" >/tmp/built
FROM multi/arch:1
COPY --from=build /tmp/built /built
D
build cross --platform linux/arm64
is "$rc" 0 "FROM --platform=\$BUILDPLATFORM: builds for linux/arm64"
is "$(cat "$T/out-cross/built" 2>/dev/null)" \
	"linux/amd64 amd64 -> linux/arm64 linux arm64 [] on amd64, --from image arm64" \
	"the build stage ran natively on the host's image, TARGET* and a --from image the target's"
is "$(cat "$T/out-cross/arch" 2>/dev/null)" arm64 "the final stage is the target's image"

# a later single image under the name (its descriptor names no platform:
# the default) whose config is arm64: linux/arm64 now means it, not the
# per-platform ref the multi-platform load left
platforms_layer arm64-new
python3 "$SRCDIR/tests/sh/platform/mkmulti.py" "$T/single" x "linux/arm64=$T/arm64-new.tar"
nested=$T/single/blobs/sha256/$(jq -r '.manifests[0].digest[7:]' "$T/single/index.json")
jq -c '{schemaVersion: 2, manifests: [.manifests[0] | del(.platform) |
	.annotations = {"io.containerd.image.name": "docker.io/multi/arch:1"}]}' "$nested" \
	>"$T/single/index.json.new" && mv "$T/single/index.json.new" "$T/single/index.json"
is "$("$RT" --store "$STORE" load -i "$T/single" 2>&1)" "Loaded image: docker.io/multi/arch:1" \
	"a single arm64 image loaded under the name"
build plain --platform linux/arm64
is "$(cat "$T/out-plain/arch" 2>/dev/null)" arm64-new "--platform linux/arm64: the new image"

# a RUN on a foreign platform without a handler: an image's host binaries
# run (as BuildKit runs them), a foreign one fails at the RUN
ctx native <<'D'
FROM multi/arch:1
RUN echo "ran: $(cat /arch)" >/ran
D
build native --platform linux/arm64
is "$(cat "$T/out-native/ran" 2>/dev/null)" "ran: arm64-new" \
	"host binaries in a linux/arm64 stage run without a handler"
ctx foreign <<'D'
FROM multi/arch:1
RUN ["/bin/hello"]
D
if [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
	skip "foreign RUN without a handler" "this machine has a qemu-aarch64 handler"
else
	build foreign --platform linux/arm64
	is "$rc" 2 "foreign RUN without binfmt_misc: make fails"
	m="linux/arm64 code cannot run on this machine: .*apt-get install qemu-user-static binfmt-support"
	like "$(cat "$T/foreign.log")" "Dockerfile:2: RUN step: $m" \
		"... at the RUN, naming the platform and how to enable it"
fi
done_testing

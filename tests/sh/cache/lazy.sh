#!/usr/bin/env bash
# Lazy layers from a registry cache (issue #14 item 4, docs/cache.md): a
# Go-like multi-stage build (a builder stage with a big toolchain and a
# build cache, a small final stage taking one binary) exported with
# mode=max. Machine B, from that cache, restores the builder's steps from
# their records and fetches only the final image's layers; a step that
# needs the builder's content (a COPY --from of another path), a RUN over
# a restored layer and an export fetch what they read, no more. gc and
# fsck keep lazy entries as they are. Against docker-registry on loopback.
. "$SRCDIR/tests/sh/cache/common.bash"
. "$SRCDIR/tests/lib/registry.sh"
need curl python3
export SOURCE_DATE_EPOCH=1700000000
export CONTAINERS_REGISTRIES_CONF=$T/none.conf REGISTRY_AUTH_FILE= DOCKER_CONFIG=$T/docker
export XDG_RUNTIME_DIR=

# mkctx DIR FINAL: the context; FINAL is the final stage after its FROM.
mkctx() {
	mkdir -p "$1/toolchain" "$1/src"
	seq 1 400000 >"$1/toolchain/compile"
	seq 400001 600000 >"$1/toolchain/link"
	echo 'package main' >"$1/src/main.go"
	{
		cat <<'DF'
FROM busybox AS build
COPY toolchain /usr/local/go
COPY src /src
RUN mkdir -p /root/.cache /out && \
	cat /usr/local/go/compile /src/main.go >/root/.cache/objs && \
	head -c 30000 /root/.cache/objs >/out/app && od -An -N16 -tx1 /dev/urandom >>/out/app
FROM busybox
DF
		printf '%s\n' "$2"
	} >"$1/Dockerfile"
}
FINAL='COPY --from=build /out/app /app
RUN od -An -N16 -tx1 /dev/urandom >/stamp'

REG_ACCESSLOG=1 registry_start || { not_ok "registry starts"; done_testing; exit; }
mark() { REG_MARK=$(wc -l <"$REG_DIR/log"); }
# fetched: "DIGEST BYTES" of each blob GET since the mark, sorted.
fetched() {
	tail -n +$((REG_MARK + 1)) "$REG_DIR/log" |
		sed -n 's|.*"GET /v2/[^ ]*/blobs/\(sha256:[0-9a-f]*\) HTTP/[0-9.]*" 200 \([0-9]*\).*|\1 \2|p' |
		sort
}
bytes() { awk '{s += $NF} END {print s + 0}'; }
manifest_bytes() {
	tail -n +$((REG_MARK + 1)) "$REG_DIR/log" |
		sed -n 's|.*"GET /v2/[^ ]*/manifests/[^ ]* HTTP/[0-9.]*" 200 \([0-9]*\).*|\1|p' | bytes
}
reg_manifest() {
	curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
		"http://$REG/v2/$1/manifests/$2"
}
# layers M: the layer digests of M/image.tar, bottom first.
layers() {
	tar -xOf "$1/image.tar" manifest.json | jq -r '.[0].Layers[]' | sed 's|blobs/sha256/|sha256:|'
}

A=$T/A
machine "$A"
mkctx "$T/a/ctx" "$FINAL"
build "$A" "$T/a/ctx" --cache-to "type=registry,ref=$REG/cache/go:max,mode=max"
is "$rc:$(ran "$A")" "0:2" "machine A builds the Go-like project and pushes its cache (mode=max)"
ref=$(digest "$A")
man=$(reg_manifest cache/go max)
cfg=$(jq -r .config.digest <<<"$man")
whole=$(jq '[.layers[].size] | add' <<<"$man")
is "$(jq '.layers | length' <<<"$man")" 5 \
	"  the cache holds 5 layers (3 of the builder, 2 of the image)"
base=$(layers "$A" | head -1)

# Machine B: the result's layers only.
B=$T/B
machine "$B"
mkctx "$T/b/ctx" "$FINAL"
mark
build "$B" "$T/b/ctx" --cache-from "$REG/cache/go:max"
is "$rc:$(ran "$B"):$(digest "$B")" "0:0:$ref" "machine B: 0 RUN steps, A's image"
got=$(fetched)
want=$({
	echo "$cfg"
	layers "$B" | grep -vx "$base"
} | sort)
is "$(cut -d' ' -f1 <<<"$got")" "$want" \
	"  B fetched the cache config and the image's 2 layers, no layer of the builder"
echo "# the cache's layers: $whole bytes; B fetched $(bytes <<<"$got") bytes of blobs" \
	"+ $(manifest_bytes) of manifest:"
sed 's/^/#   /' <<<"$got"
check "  less than a tenth of the cache" test "$(($(bytes <<<"$got") * 10))" -lt "$whole"
lazy=$(cat "$B"/state/*/chain.json | jq -c '.[] | select(.lazy)' | jq -r .step | sort -u)
is "$(wc -l <<<"$lazy")" 5 "  the 5 steps with a layer are lazy entries of B's chains"
unpacked=0
for s in $lazy; do
	d=$(jq -r --arg s "$s" '.[] | select(.step == $s) | .dir' "$B/state/$s/chain.json")
	[ -e "$d" ] && unpacked=$((unpacked + 1))
done
is "$unpacked" 0 "  none is unpacked (nothing ran over them)"

# fsck and gc with lazy entries: clean, and the stamps stay.
stamps=$(ls "$B/state" | grep -c '\.done$')
"$RT" --store "$B/store" --state "$B/state" fsck --repair >"$B/fsck.log" 2>&1
is "$?:$(ls "$B/state" | grep -c '\.done$')" "0:$stamps" \
	"fsck --repair of B: clean, lazy steps keep their stamps"
"$RT" --store "$B/store" --state "$B/state" gc >"$B/gc.log" 2>&1
is "$?" 0 "gc of B with lazy entries"
"$RT" --store "$B/store" --state "$B/state" fsck >"$B/fsck.log" 2>&1
is "$?" 0 "  fsck after gc: clean"
for l in $(layers "$B" | grep -vx "$base"); do
	check "  gc kept the fetched layer $l" test -f "$B/store/blobs/sha256/${l#sha256:}"
done
rm -f "$B/image.tar"
mark
make -f "$B/build.mk" >"$B/log" 2>&1
is "$?:$(ran "$B"):$(digest "$B"):$(fetched | wc -l)" "0:0:$ref:0" \
	"  after gc, make packs A's image again and fetches nothing"

# An export from B (mode=max) needs every layer: the builder's are
# fetched then, each once, verified.
mark
build "$B" "$T/b/ctx" --cache-from "$REG/cache/go:max" \
	--cache-to "type=local,dest=$T/bexport,mode=max"
is "$rc:$(ran "$B")" "0:0" "B exports its cache (mode=max) without running a step"
builder=$(jq -r '.layers[].digest' <<<"$man" | grep -vxF "$(layers "$B")" | sort)
is "$(fetched | cut -d' ' -f1)" "$builder" \
	"  it fetched the 3 builder layers it had not, once each"
is "$(jq -r '.layers[].digest' "$(layout_man "$T/bexport")" | sort)" \
	"$(jq -r '.layers[].digest' <<<"$man" | sort)" "  the export holds A's 5 layers"

# Machine C: a RUN over the restored COPY --from: that layer is fetched and
# unpacked, the builder's are not.
C=$T/C
machine "$C"
mkctx "$T/c/ctx" 'COPY --from=build /out/app /app
RUN cp /app /app2'
mark
build "$C" "$T/c/ctx" --cache-from "$REG/cache/go:max"
is "$rc:$(ran "$C")" "0:1" "machine C (another final RUN): that RUN runs"
copy=$(layers "$A" | sed -n 2p)
is "$(fetched | cut -d' ' -f1)" "$(printf '%s\n' "$cfg" "$copy" | sort)" \
	"  C fetched the config and the COPY --from layer it runs over, no builder layer"
is "$(img_file "$C" app2 | sha256sum)" "$(img_file "$A" app | sha256sum)" \
	"  /app2 is A's binary"

# Machine D: a COPY --from of another path of the builder: it reads the
# builder's filesystem, so the builder's layers are fetched (not run).
D=$T/D
machine "$D"
mkctx "$T/d/ctx" 'COPY --from=build /usr/local/go/link /link'
mark
build "$D" "$T/d/ctx" --cache-from "$REG/cache/go:max"
is "$rc:$(ran "$D")" "0:0" "machine D (COPY --from another path): no RUN runs"
is "$(img_file "$D" link | sha256sum)" "$(sha256sum <"$T/d/ctx/toolchain/link")" \
	"  /link is the toolchain's file"
is "$(fetched | wc -l)" 4 "  D fetched the config and the 3 builder layers"
done_testing

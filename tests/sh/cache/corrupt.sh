#!/usr/bin/env bash
# A broken --cache-from is a warning, never a wrong image (as BuildKit
# ignores a cache import it cannot use): a layer blob whose bytes do not
# match its digest, a record whose diff_id lies, a layout that is not one,
# a directory that does not exist. The step runs instead, the build
# succeeds, nothing unverified reaches the store.
. "$SRCDIR/tests/sh/cache/common.bash"
need python3
export SOURCE_DATE_EPOCH=1700000000
C=$T/ctx
mkdir -p "$C"
cat >"$C/Dockerfile" <<'DF'
FROM busybox
RUN od -An -N16 -tx1 /dev/urandom >/one
RUN od -An -N16 -tx1 /dev/urandom >/two
RUN od -An -N16 -tx1 /dev/urandom >/three
DF
A=$T/A
machine "$A"
build "$A" "$C" --cache-to "type=local,dest=$T/good"
is "$rc" 0 "machine A builds and exports"
ref=$(digest "$A")

# layout_blob DIR FILE: the layer blob (hex) of DIR's cache whose tar holds FILE.
layout_blob() {
	local b
	for b in $(jq -r '.manifests[0].digest' "$1/index.json" | cut -c8- |
		xargs -I{} jq -r '.layers[].digest' "$1/blobs/sha256/{}" | cut -c8-); do
		tar -tf "$1/blobs/sha256/$b" 2>/dev/null | grep -qx "$2" && echo "$b"
	done
}
# store_ok M: every blob of M's store hashes to its name, no temp file left.
store_ok() {
	local b bad=0
	for b in "$1"/store/blobs/sha256/*; do
		[ "$(sha256sum <"$b" | cut -c1-64)" = "$(basename "$b")" ] || bad=$((bad + 1))
	done
	bad=$((bad + $(find "$1/store/blobs" -name '.tmp-*' | wc -l)))
	[ "$bad" = 0 ]
}

# 1. A blob's bytes changed (same size): its digest check refuses it.
cp -a "$T/good" "$T/bad-blob"
b=$(layout_blob "$T/bad-blob" two)
check "the layer of RUN ... >/two is in the layout" test -n "$b"
python3 - "$T/bad-blob/blobs/sha256/$b" <<'PY'
import sys
p = sys.argv[1]
d = bytearray(open(p, "rb").read())
i = d.index(b"two") + 700  # inside the file's data block
d[i] ^= 0xff
open(p, "wb").write(d)
PY
D=$T/D
machine "$D"
build "$D" "$C" --cache-from "type=local,src=$T/bad-blob"
is "$rc" 0 "a corrupt blob: the build succeeds"
re="warning: step [0-9a-f]{8}: not restored from the cache, running it: .*"
re+="digest mismatch: content is sha256:[0-9a-f]{64}, expected sha256:$b"
like "$(cat "$D/log")" "$re" \
	"  warning names the digest mismatch"
is "$(ran "$D")" 1 "  only that step ran (the others were restored)"
check "  the image differs from A's (/two was made again)" test "$(digest "$D")" != "$ref"
check "  no unverified blob in the store" store_ok "$D"

# 2. Records that lie about their blob (the layout's digests all made to
# match): the record's diff_id, size and media type reach the image, so
# each is checked against the blob; a record without params is refused.
# tamper NAME PYTHON: a copy of the good cache, PYTHON run on each record r
# with a layer; config, manifest and index rewritten to match.
tamper() {
	cp -a "$T/good" "$T/$1"
	python3 - "$T/$1" "$2" <<'PY'
import hashlib, json, os, sys
d, code = sys.argv[1], sys.argv[2]
def blob(dg): return os.path.join(d, "blobs/sha256", dg.split(":")[1])
def put(obj):
    b = json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()
    h = hashlib.sha256(b).hexdigest()
    open(os.path.join(d, "blobs/sha256", h), "wb").write(b)
    return {"digest": "sha256:" + h, "size": len(b)}
idx = json.load(open(os.path.join(d, "index.json")))
man = json.load(open(blob(idx["manifests"][0]["digest"])))
cfg = json.load(open(blob(man["config"]["digest"])))
for r in cfg["records"].values():
    if r["layer"]:
        exec(code)
man["config"].update(put(cfg))
idx["manifests"][0].update(put(man))
json.dump(idx, open(os.path.join(d, "index.json"), "w"))
PY
}
# lied NAME PYTHON REGEX: a machine building from the tampered cache runs
# every RUN, with a warning matching REGEX.
lied() {
	local m=$T/m-$1
	tamper "$1" "$2"
	machine "$m"
	build "$m" "$C" --cache-from "type=local,src=$T/$1"
	is "$rc" 0 "$1: the build succeeds"
	like "$(cat "$m/log")" "not restored from the cache, running it: $3" "  warning: $3"
	is "$(ran "$m")" 3 "  every RUN ran"
	check "  the store is whole (fsck)" "$RT" --store "$m/store" fsck
	F=$m
}
z64=$(printf '0%.0s' $(seq 64))
# refused by the unpack, which checks the diff_id as it decompresses
re="unpack layer sha256:0{64}: layer sha256:[0-9a-f]{64} does not match diff_id sha256:0{64}: "
lied diff_id 'r["layer"]["diff_id"] = "sha256:" + "0" * 64' \
	"${re}its content is sha256:[0-9a-f]{64}"
check "  no layer unpacked under the false diff_id" test ! -e "$F/store/layers/$z64"
lied size 'r["layer"]["size"] += 1' "layer sha256:[0-9a-f]{64}: size is [0-9]+, not [0-9]+"
MT=application/vnd.oci.image.layer.v1.tar
lied mediatype 'r["layer"]["mediaType"] = "application/vnd.oci.image.layer.v1.tar+gzip"' \
	"layer sha256:[0-9a-f]{64}: media type is $MT, not $MT\\+gzip"
lied params 'del r["params"]' "cache record without params"

# 3. Not a layout; 4. no such directory.
mkdir -p "$T/junk" && echo '{"manifests":' >"$T/junk/index.json"
G=$T/G
machine "$G"
build "$G" "$C" --cache-from "type=local,src=$T/junk"
is "$rc" 0 "a broken index.json: the build succeeds"
like "$(cat "$G/log")" "warning: step [0-9a-f]{8}: --cache-from ignored: " "  with a warning"
is "$(ran "$G")" 3 "  every RUN ran"
rm -rf "$G/state"
build "$G" "$C" --cache-from "type=local,src=$T/nowhere"
is "$rc" 0 "a missing directory: the build succeeds"
like "$(cat "$G/log")" "--cache-from ignored: .*nowhere/index.json" "  with a warning naming it"
check "  and the directory is not created" test ! -e "$T/nowhere"

# 5. FIFOs where a shared directory should have files: an error, not a hang.
mkdir -p "$T/fifo-index" && mkfifo "$T/fifo-index/index.json"
rm -rf "$G/state"
compile "$G" "$C" --cache-from "type=local,src=$T/fifo-index"
timeout 120 make -f "$G/build.mk" >"$G/log" 2>&1
is "$?" 0 "index.json is a FIFO: the build succeeds (no hang)"
like "$(cat "$G/log")" "--cache-from ignored: .*index.json.*FIFO" "  with a warning"
cp -a "$T/good" "$T/fifo-blob"
b=$(layout_blob "$T/fifo-blob" two)
rm "$T/fifo-blob/blobs/sha256/$b" && mkfifo "$T/fifo-blob/blobs/sha256/$b"
rm -rf "$G/state"
compile "$G" "$C" --cache-from "type=local,src=$T/fifo-blob"
timeout 120 make -f "$G/build.mk" >"$G/log" 2>&1
is "$?" 0 "a layer blob is a FIFO: the build succeeds (no hang)"
like "$(cat "$G/log")" "running it: .*$b: not a regular file" "  that step runs, with a warning"
is "$(ran "$G")" 1 "  only that one"

# The good cache still works after all that.
H=$T/H
machine "$H"
build "$H" "$C" --cache-from "type=local,src=$T/good"
is "$(ran "$H"):$(digest "$H")" "0:$ref" "the intact cache: 0 RUN steps, A's image"
done_testing

#!/usr/bin/env bash
# Hostile base image configs read by the compiler: 500,000 LABELs (a 7 MB
# config). The cache key sorts an object's fields; an insertion sort made
# that quadratic (a million labels: 208 s of compile). Now it compiles in
# seconds, every label in the image's config.
. "$SRCDIR/tests/sh/security/common.bash"
need python3 timeout
mkrootfs "$T/r" && tar -C "$T/r" -cf "$T/r.tar" .
python3 - "$T/r.tar" "$T/labels.tar" <<'PY'
import hashlib, io, json, sys, tarfile
raw = open(sys.argv[1], "rb").read()
d = "sha256:" + hashlib.sha256(raw).hexdigest()
cfg = json.dumps({"architecture": "amd64", "os": "linux",
                  "config": {"Env": ["PATH=/bin"], "Cmd": ["sh"],
                             "Labels": {"l%d" % i: "v" for i in range(500000)}},
                  "rootfs": {"type": "layers", "diff_ids": [d]}}).encode()
ch = hashlib.sha256(cfg).hexdigest()
with tarfile.open(sys.argv[2], "w") as t:
    for n, b in (("l0/layer.tar", raw), (ch + ".json", cfg),
                 ("manifest.json", json.dumps([{"Config": ch + ".json", "RepoTags": ["labels:1"],
                                                "Layers": ["l0/layer.tar"]}]).encode())):
        i = tarfile.TarInfo(n)
        i.size = len(b)
        t.addfile(i, io.BytesIO(b))
PY
"$RT" --store "$ST" load -i "$T/labels.tar" >/dev/null
is "$?" 0 "an image of 500,000 labels loads"
D=$T/l
dockerfile "$D" 'FROM labels:1
LABEL mine=yes
RUN true'
timeout 60 "$DF2MAKE" --store "$ST" --state "$D/state" -o "$D/image.tar" "$D/ctx" >"$D/build.mk" 2>"$D/compile.err"
is "$?" 0 "it compiles within 60 s (before: the key's sort was quadratic: over 60 s here, 208 s for a million)"
pack=$(grep -o ' pack [0-9a-f]\{32\} .*' "$D/build.mk")
check "the pack spec holds the base's labels" grep -q '"l499999":"v"' <<<"$pack"
check "and the Dockerfile's" grep -q '"mine":"yes"' <<<"$pack"
done_testing

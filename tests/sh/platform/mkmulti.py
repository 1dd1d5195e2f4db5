#!/usr/bin/env python3
"""mkmulti.py DIR NAME OS/ARCH[/VARIANT]=LAYER.tar...: an OCI layout at DIR
holding one multi-platform image NAME: a nested index with one manifest per
platform, each of one uncompressed layer, the config labelled with that
platform (as `docker buildx build --platform a,b -o type=oci` writes)."""
import hashlib, json, os, sys

out, name, specs = sys.argv[1], sys.argv[2], sys.argv[3:]
blobs = os.path.join(out, "blobs", "sha256")
os.makedirs(blobs, exist_ok=True)

def put(data):
    d = hashlib.sha256(data).hexdigest()
    with open(os.path.join(blobs, d), "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + d, "size": len(data)}

def dumps(o):
    return json.dumps(o, separators=(",", ":")).encode()

manifests = []
for spec in specs:
    plat, layer = spec.split("=", 1)
    parts = plat.split("/")
    p = {"architecture": parts[1], "os": parts[0]}
    if len(parts) > 2:
        p["variant"] = parts[2]
    with open(layer, "rb") as f:
        ld = put(f.read())
    cfg = dict(p)
    cfg.update({"config": {"Env": ["PATH=/bin"]},
                "rootfs": {"type": "layers", "diff_ids": [ld["digest"]]}})
    cd = put(dumps(cfg))
    m = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
         "config": dict(cd, mediaType="application/vnd.oci.image.config.v1+json"),
         "layers": [dict(ld, mediaType="application/vnd.oci.image.layer.v1.tar")]}
    md = put(dumps(m))
    manifests.append(dict(md, mediaType=m["mediaType"], platform=p))
# what BuildKit adds beside the images: an attestation, not an image
manifests.append({"mediaType": "application/vnd.oci.image.manifest.v1+json",
                  "digest": "sha256:" + "0" * 64, "size": 2,
                  "platform": {"architecture": "unknown", "os": "unknown"}})
idx = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
       "manifests": manifests}
xd = put(dumps(idx))
top = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
       "manifests": [dict(xd, mediaType=idx["mediaType"],
                          annotations={"io.containerd.image.name": name,
                                       "org.opencontainers.image.ref.name": "1"})]}
with open(os.path.join(out, "index.json"), "wb") as f:
    f.write(dumps(top))
with open(os.path.join(out, "oci-layout"), "w") as f:
    f.write('{"imageLayoutVersion":"1.0.0"}')

"""mklayout.py DIR: an OCI layout holding a non-image artifact (a build
cache shape: a JSON config of its own media type, two opaque blobs) and,
as the layout's one entry, an index of it and a second manifest."""
import hashlib
import json
import os
import sys

d = sys.argv[1]
os.makedirs(d + "/blobs/sha256", exist_ok=True)


def put(data):
    h = hashlib.sha256(data).hexdigest()
    with open(f"{d}/blobs/sha256/{h}", "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + h, "size": len(data)}


def manifest(cfg, blobs):
    c = dict(put(json.dumps(cfg).encode()), mediaType="application/vnd.df2make.test.config.v0+json")
    ls = [dict(put(b), mediaType="application/vnd.df2make.test.blob") for b in blobs]
    m = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": c, "layers": ls}).encode()
    return dict(put(m), mediaType="application/vnd.oci.image.manifest.v1+json")


m1 = manifest({"records": [1, 2]}, [os.urandom(3000), b"second blob"])
m2 = manifest({"records": [3]}, [os.urandom(100)])
idx = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                  "manifests": [m1, m2]}).encode()
top = dict(put(idx), mediaType="application/vnd.oci.image.index.v1+json")
with open(d + "/index.json", "w") as f:
    json.dump({"schemaVersion": 2, "manifests": [top]}, f)
with open(d + "/oci-layout", "w") as f:
    f.write('{"imageLayoutVersion":"1.0.0"}')
print(top["digest"])

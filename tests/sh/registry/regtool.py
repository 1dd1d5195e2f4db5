"""regtool.py: puts hand-made images into a test registry (plain HTTP,
anonymous), so the tests know every byte the registry serves.

  regtool.py REG image REPO TAG ARCH LAYER MEDIATYPE DIFF_ID
      one-layer OCI image; prints "manifest D" and "config D"
  regtool.py REG index REPO TAG TAG1 TAG2...
      an OCI index of the manifests REPO:TAGn (platform from their config)
"""
import hashlib
import json
import os
import sys
import urllib.request

OCI_M = "application/vnd.oci.image.manifest.v1+json"
OCI_I = "application/vnd.oci.image.index.v1+json"


def req(method, url, data=None, ctype=None, accept=None):
    r = urllib.request.Request(url, data=data, method=method)
    if ctype:
        r.add_header("Content-Type", ctype)
    if accept:
        r.add_header("Accept", accept)
    with urllib.request.urlopen(r) as resp:
        return resp.read(), resp.headers


def digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def put_blob(reg, repo, data):
    d = digest(data)
    _, h = req("POST", f"http://{reg}/v2/{repo}/blobs/uploads/")
    loc = h["Location"]
    loc = loc if loc.startswith("http") else f"http://{reg}{loc}"
    sep = "&" if "?" in loc else "?"
    req("PUT", f"{loc}{sep}digest={d}", data, "application/octet-stream")
    return {"digest": d, "size": len(data)}


def image(reg, repo, tag, arch, layer, mt, diff_id):
    cfg = json.dumps({"architecture": arch, "os": "linux",
                      "config": {"Env": ["PATH=/bin"], "Cmd": ["sh"]},
                      "rootfs": {"type": "layers", "diff_ids": [diff_id]}}).encode()
    c = dict(put_blob(reg, repo, cfg), mediaType="application/vnd.oci.image.config.v1+json")
    with open(layer, "rb") as f:
        l = dict(put_blob(reg, repo, f.read()), mediaType=mt)
    # REGTOOL_SHORT=N: the descriptor says N bytes fewer than the blob has
    l["size"] -= int(os.environ.get("REGTOOL_SHORT", "0"))
    m = json.dumps({"schemaVersion": 2, "mediaType": OCI_M, "config": c,
                    "layers": [l]}).encode()
    req("PUT", f"http://{reg}/v2/{repo}/manifests/{tag}", m, OCI_M)
    print("manifest", digest(m))
    print("config", c["digest"])


def index(reg, repo, tag, tags):
    ms = []
    for t in tags:
        raw, h = req("GET", f"http://{reg}/v2/{repo}/manifests/{t}", accept=OCI_M)
        m = json.loads(raw)
        cfg = json.loads(req("GET", f"http://{reg}/v2/{repo}/blobs/{m['config']['digest']}")[0])
        ms.append({"mediaType": m["mediaType"], "digest": digest(raw), "size": len(raw),
                   "platform": {"architecture": cfg["architecture"], "os": cfg["os"]}})
    i = json.dumps({"schemaVersion": 2, "mediaType": OCI_I, "manifests": ms}).encode()
    req("PUT", f"http://{reg}/v2/{repo}/manifests/{tag}", i, OCI_I)
    print("index", digest(i))


if __name__ == "__main__":
    if sys.argv[2] == "image":
        image(sys.argv[1], *sys.argv[3:9])
    else:
        index(sys.argv[1], sys.argv[3], sys.argv[4], sys.argv[5:])

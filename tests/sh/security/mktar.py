#!/usr/bin/env python3
"""Hostile archives and images for tests/sh/security/*.sh (archive.sh,
base-config.sh, base-layers.sh) and the fuzz corpus: the one generator.

  mktar.py tar KIND OUT HOSTDIR      one hostile tar of the given kind
  mktar.py kinds                     the kinds, one per line
  mktar.py image OUT NAME [--config JSON] LAYER...
                                     a docker-archive whose layers are the
                                     given tars (in order; one may repeat),
                                     tagged NAME; the keys of the JSON file
                                     replace the config's (config, history)
  mktar.py base KIND OUT HOSTDIR     one hostile base layer (base-layers.sh)
  mktar.py oci[-nested] OUT NAME LAYER...  an OCI image archive
  mktar.py layout DIR NAME LAYERPATH...  a docker-archive *directory* whose
                                     manifest names LAYERPATH verbatim

HOSTDIR is an absolute host directory the attacks aim at: they try to
create HOSTDIR/pwned-KIND or overwrite HOSTDIR/canary. Each relative attack
climbs with many "../" so that it reaches / from any extraction depth.
"""
import hashlib
import io
import json
import os
import sys
import tarfile

UP = "../" * 24


def reg(name, data=b"PWNED\n", mode=0o644, uid=0):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    info.uid = info.gid = uid
    info.mtime = 0
    return info, data


def link(name, target, kind=tarfile.SYMTYPE):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    info.mode = 0o777
    return info, None


def node(name, kind, major=0, minor=0, mode=0o644):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.devmajor, info.devminor = major, minor
    info.mode = mode
    return info, None


def directory(name, mode=0o755):
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    info.mode = mode
    return info, None


def kinds(host):
    rel = UP + host.lstrip("/")
    canary = host + "/canary"
    return {
        "dotdot": [reg(rel + "/pwned-dotdot")],
        "dotdot-mid": [directory("a"), reg("a/" + rel + "/pwned-dotdot-mid")],
        "absolute": [reg(host + "/pwned-absolute")],
        "symlink-abs-dir": [link("esc", host), reg("esc/pwned-symlink-abs-dir")],
        "symlink-rel-dir": [link("esc", rel), reg("esc/pwned-symlink-rel-dir")],
        "symlink-chain": [directory("a"), link("a/b", UP), reg("a/b" + host + "/pwned-symlink-chain")],
        "symlink-file": [link("f", canary), reg("f")],
        "symlink-file-rel": [link("f", UP + canary.lstrip("/")), reg("f")],
        "hardlink-abs": [link("hl", canary, tarfile.LNKTYPE), reg("hl")],
        "hardlink-rel": [link("hl", UP + canary.lstrip("/"), tarfile.LNKTYPE), reg("hl")],
        "hardlink-via-symlink": [link("s", host), link("hl", "s/canary", tarfile.LNKTYPE), reg("hl")],
        "devices": [node("null2", tarfile.CHRTYPE, 1, 3), node("disk", tarfile.BLKTYPE, 8, 0),
                    node("fifo", tarfile.FIFOTYPE), reg("plain", b"plain\n")],
        "setuid": [reg("suid", b"#!/bin/sh\n", 0o4755), reg("sgid", b"#!/bin/sh\n", 0o2755)],
        "whiteout": [reg(".wh.canary", b""), reg(rel + "/.wh.canary", b""),
                     reg("sub/.wh...", b""), reg("sub/.wh..wh..opq", b""),
                     reg("keep", b"keep\n")],
        "whiteout-symlink": [link("w", host), reg("w/.wh.canary", b"")],
    }


def deep(n):
    """A file under n nested directories d/d/.../d (their entries implied:
    one entry each would make the tar quadratic, 100 MB for 10,000)."""
    return [reg("d/" * n + "f", b"deep\n"), reg("keep", b"keep\n")]


def base_kinds(host):
    """Layers of base images (tests/sh/security/base-layers.sh): each goes
    on top of a busybox layer; -1/-2 kinds are two layers, lower first."""
    return {
        "link-lower-1": [link("a", host)],
        "link-lower-2": [reg("a/pwned-link-lower")],
        "link-same": [link("a", host), reg("a/pwned-link-same")],
        "hardlink-lower": [link("hl", "bin/busybox", tarfile.LNKTYPE)],
        "hardlink-later": [link("hl", "later", tarfile.LNKTYPE), reg("later", b"later\n")],
        "wh-dotdot": [reg(".wh...", b""), reg("keep", b"keep\n")],
        "wh-empty": [reg(".wh.", b""), reg("keep", b"keep\n")],
        "wh-root-opq": [reg(".wh..wh..opq", b""), reg("keep", b"keep\n")],
        "wh-slash": [reg("/.wh.", b""), reg("./.wh..wh..opq", b""), reg("keep", b"keep\n")],
        "uid-max": [reg("umax", b"u\n", 0o4755, 4294967295)],
        "deep": deep(10000),
        "longname": [reg("n" * 65536), reg("keep", b"keep\n")],
        "longpath": [reg("a/" * 32767 + "b", b"long\n"), reg("keep", b"keep\n")],
    }


def write_tar(out, entries):
    with tarfile.open(out, "w", format=tarfile.GNU_FORMAT) as t:
        for info, data in entries:
            t.addfile(info, io.BytesIO(data) if data is not None else None)


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def image(out, name, layers, extra=None):
    """docker-archive: manifest.json, config, layer tars (each once)."""
    diff_ids = ["sha256:" + sha(l) for l in layers]
    cfg = {"architecture": "amd64", "os": "linux", "config": {},
           "rootfs": {"type": "layers", "diff_ids": diff_ids},
           "history": [{"created_by": "layer %d" % i} for i in range(len(layers))]}
    cfg.update(extra or {})
    config = json.dumps(cfg, sort_keys=True).encode()
    chex = hashlib.sha256(config).hexdigest()
    names = ["%s/layer.tar" % d[7:] for d in diff_ids]
    manifest = json.dumps([{"Config": chex + ".json", "RepoTags": [name], "Layers": names}]).encode()
    with tarfile.open(out, "w") as t:
        for (info, data) in [reg("manifest.json", manifest), reg(chex + ".json", config)]:
            t.addfile(info, io.BytesIO(data))
        for n, l in sorted(set(zip(names, layers))):
            t.add(l, arcname=n)


def oci(out, name, layers, nested=False):
    """An OCI image archive (oci-layout, index.json, blobs), optionally with
    an index nested inside the top index (as docker save writes)."""
    blobs = {}

    def blob(data, media):
        h = hashlib.sha256(data).hexdigest()
        blobs[h] = data
        return {"mediaType": media, "digest": "sha256:" + h, "size": len(data)}

    descs = [blob(open(l, "rb").read(), "application/vnd.oci.image.layer.v1.tar") for l in layers]
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Env": ["A=b"]},
                         "rootfs": {"type": "layers", "diff_ids": [d["digest"] for d in descs]}}).encode()
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": blob(config, "application/vnd.oci.image.config.v1+json"),
                           "layers": descs}).encode()
    mdesc = blob(manifest, "application/vnd.oci.image.manifest.v1+json")
    mdesc["annotations"] = {"io.containerd.image.name": name, "org.opencontainers.image.ref.name": "latest"}
    mdesc["platform"] = {"architecture": "amd64", "os": "linux"}
    index = {"schemaVersion": 2, "manifests": [mdesc]}
    if nested:
        inner = blob(json.dumps(index).encode(), "application/vnd.oci.image.index.v1+json")
        index = {"schemaVersion": 2, "manifests": [inner]}
    with tarfile.open(out, "w") as t:
        for n, data in [("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'),
                        ("index.json", json.dumps(index).encode())] + \
                [("blobs/sha256/" + h, d) for h, d in sorted(blobs.items())]:
            info, _ = reg(n, data)
            t.addfile(info, io.BytesIO(data))


def layout(d, name, paths):
    """A docker-archive directory whose manifest names paths verbatim."""
    os.makedirs(d, exist_ok=True)
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                         "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "0" * 64] * len(paths)}}).encode()
    with open(os.path.join(d, "config.json"), "wb") as f:
        f.write(config)
    with open(os.path.join(d, "manifest.json"), "w") as f:
        json.dump([{"Config": "config.json", "RepoTags": [name], "Layers": paths}], f)


def main(argv):
    if argv[1:2] == ["kinds"]:
        print("\n".join(kinds("/x")))
    elif argv[1:2] == ["tar"] and len(argv) == 5:
        write_tar(argv[3], kinds(argv[4])[argv[2]])
    elif argv[1:2] == ["base"] and len(argv) == 5:
        write_tar(argv[3], base_kinds(argv[4])[argv[2]])
    elif argv[1:2] == ["image"] and len(argv) >= 7 and argv[4] == "--config":
        with open(argv[5]) as f:
            image(argv[2], argv[3], argv[6:], json.load(f))
    elif argv[1:2] == ["image"] and len(argv) >= 5:
        image(argv[2], argv[3], argv[4:])
    elif argv[1:2] in (["oci"], ["oci-nested"]) and len(argv) >= 5:
        oci(argv[2], argv[3], argv[4:], argv[1] == "oci-nested")
    elif argv[1:2] == ["layout"] and len(argv) >= 5:
        layout(argv[2], argv[3], argv[4:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)

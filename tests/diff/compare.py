#!/usr/bin/env python3
"""Compare two container images the way a user of them would see them.

    compare.py [--ignore GLOB]... [--mtime GLOB]... [--no-run-args]
               [--label-a docker] [--label-b df2make]
               A.save.tar A.inspect.json B.save.tar B.inspect.json

Each *.save.tar is `docker save` output for one image (legacy or OCI
layout, plain or gzip layers); each *.inspect.json is `docker image inspect`
output for it. The layers are applied in order (whiteouts `.wh.NAME` delete
from lower layers, `.wh..wh..opq` empties a lower directory; both apply
before the same layer's other entries), giving the flattened root file
system. Compared per path: type, mode (with setuid/setgid/sticky), uid,
gid, size, sha256 of the content, symlink target, device numbers, and which
paths are hardlinks of each other. Not compared: mtimes/atimes, uname/gname,
xattrs, layer boundaries (the layer counts are printed as a note), except
the mtimes of the paths matching a `--mtime GLOB` (a case's `compare-mtime`:
ADD of a URL sets the file's mtime from Last-Modified).

Config fields compared (from `docker image inspect`): Config.{Env,
Entrypoint, Cmd, WorkingDir, User, Labels, ExposedPorts, Volumes,
StopSignal, Healthcheck, OnBuild, Shell, ArgsEscaped} and Architecture, Os,
Author. An empty list/map, false and null count as equal (docker shows
them all for "unset").

The history (from the saved config) is compared entry by entry: created_by,
not the times nor empty_layer (which steps made a layer is not compared:
Docker 20.10 keeps a layer for a COPY that changed nothing). Where Docker
20.10's BuildKit and current BuildKit (which df2make follows) write the same
step differently, both are brought to one form first: EXPOSE's ports as a
sorted set (20.10: a Go map, current: a list), HEALTHCHECK without its text
(20.10: %q of a pointer, current: %+v; the config's Healthcheck is
compared), ARG's names without their values (20.10 leaves out a global's
value), COPY/ADD without the --parents, --chown and --chmod that current
BuildKit names (20.10 names no flag), RUN's "|N K=V..." with a repeated ARG
once (20.10 repeats it). `--no-run-args` leaves RUN's "|N K=V..." out: for a
stage FROM another stage, whose ARGs current BuildKit names there too (since
June 2024) and 20.10 does not.

Exit status: 0 equal, 1 different, 2 usage or read error. The differences
are printed one a line, ready for a TAP diagnostic.
"""
import fnmatch
import gzip
import hashlib
import io
import json
import sys
import tarfile

CONFIG_FIELDS = ["Env", "Entrypoint", "Cmd", "WorkingDir", "User", "Labels",
                 "ExposedPorts", "Volumes", "StopSignal", "Healthcheck",
                 "OnBuild", "Shell", "ArgsEscaped"]
TOP_FIELDS = ["Architecture", "Os", "Author"]

TYPES = {
    tarfile.REGTYPE: "file", tarfile.AREGTYPE: "file", tarfile.CONTTYPE: "file",
    tarfile.DIRTYPE: "dir", tarfile.SYMTYPE: "symlink", tarfile.LNKTYPE: "hardlink",
    tarfile.CHRTYPE: "char", tarfile.BLKTYPE: "block", tarfile.FIFOTYPE: "fifo",
}


def norm(name):
    name = name.replace("\\", "/")
    while name.startswith("./"):
        name = name[2:]
    name = name.strip("/")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    return "/".join(parts)


def open_layer(data):
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    elif data[:4] == b"\x28\xb5\x2f\xfd":
        try:
            import zstandard  # type: ignore
        except ImportError:
            raise SystemExit("compare.py: zstd layer and no python3-zstandard")
        data = zstandard.ZstdDecompressor().decompressobj().decompress(data)
    return tarfile.open(fileobj=io.BytesIO(data), mode="r:")


def read_save(path):
    """Returns (layer blobs as bytes list, config dict) from a docker save tar."""
    with tarfile.open(path, "r:*") as t:
        names = {norm(m.name): m for m in t.getmembers()}

        def read(n):
            m = names.get(norm(n))
            if m is None:
                raise SystemExit("compare.py: %s: no %s in the archive" % (path, n))
            while m.issym() or m.islnk():
                target = m.linkname
                if m.issym():
                    base = norm(m.name).rsplit("/", 1)[0] if "/" in norm(m.name) else ""
                    target = norm(base + "/" + target) if base else norm(target)
                    # resolve ../
                    parts = []
                    for p in target.split("/"):
                        if p == "..":
                            if parts:
                                parts.pop()
                        else:
                            parts.append(p)
                    target = "/".join(parts)
                m = names[norm(target)]
            return t.extractfile(m).read()

        if "manifest.json" in names:
            man = json.loads(read("manifest.json"))
            if len(man) != 1:
                raise SystemExit("compare.py: %s: %d images in manifest.json" % (path, len(man)))
            config = json.loads(read(man[0]["Config"]))
            layers = [read(l) for l in man[0]["Layers"]]
        else:  # OCI layout only
            idx = json.loads(read("index.json"))
            desc = idx["manifests"][0]
            m = json.loads(read("blobs/" + desc["digest"].replace(":", "/")))
            if "manifests" in m:
                m = json.loads(read("blobs/" + m["manifests"][0]["digest"].replace(":", "/")))
            config = json.loads(read("blobs/" + m["config"]["digest"].replace(":", "/")))
            layers = [read("blobs/" + l["digest"].replace(":", "/")) for l in m["layers"]]
    return layers, config


def remove_tree(tree, path):
    tree.pop(path, None)
    prefix = path + "/"
    for p in [p for p in tree if p.startswith(prefix)]:
        del tree[p]


def flatten(layers):
    tree = {}      # path -> entry dict
    inode_of = {}  # path -> inode number (regular files)
    next_inode = [1]
    for blob in layers:
        t = open_layer(blob)
        members = t.getmembers()
        # whiteouts first: they only apply to lower layers
        for m in members:
            p = norm(m.name)
            base = p.rsplit("/", 1)[-1]
            parent = p.rsplit("/", 1)[0] if "/" in p else ""
            if base == ".wh..wh..opq":
                prefix = parent + "/" if parent else ""
                for q in [q for q in tree if q.startswith(prefix) and q != parent]:
                    del tree[q]
            elif base.startswith(".wh."):
                target = (parent + "/" if parent else "") + base[4:]
                remove_tree(tree, target)
        for m in members:
            p = norm(m.name)
            base = p.rsplit("/", 1)[-1]
            if p == "" or base.startswith(".wh."):
                continue
            kind = TYPES.get(m.type, "other:%r" % m.type)
            old = tree.get(p)
            if old is not None and not (old["type"] == "dir" and kind == "dir"):
                remove_tree(tree, p)
            elif old is None:
                # a path under a non-directory replaces it
                parts = p.split("/")
                for i in range(1, len(parts)):
                    anc = "/".join(parts[:i])
                    if anc in tree and tree[anc]["type"] != "dir":
                        remove_tree(tree, anc)
            # implicit parents
            parts = p.split("/")
            for i in range(1, len(parts)):
                anc = "/".join(parts[:i])
                if anc not in tree:
                    tree[anc] = {"type": "dir", "mode": "implicit", "uid": 0, "gid": 0}
            e = {"type": kind, "mode": "%04o" % (m.mode & 0o7777), "uid": m.uid, "gid": m.gid,
                 "mtime": int(m.mtime)}
            if kind == "file":
                data = t.extractfile(m).read()
                e["size"] = len(data)
                e["sha256"] = hashlib.sha256(data).hexdigest()
                inode_of[p] = next_inode[0]
                next_inode[0] += 1
            elif kind == "hardlink":
                target = norm(m.linkname)
                src = tree.get(target)
                if src is None or src["type"] != "file":
                    e = {"type": "broken-hardlink", "target": target}
                else:
                    e = dict(src)
                    # a hardlink shares the inode: same mode/owner as target
                    inode_of[p] = inode_of.get(target)
            elif kind == "symlink":
                e["target"] = m.linkname
            elif kind in ("char", "block"):
                e["dev"] = "%d:%d" % (m.devmajor, m.devminor)
            if kind == "dir" and old is not None and old["type"] == "dir":
                old.update(e)
            else:
                tree[p] = e
    # hardlink groups among surviving regular files
    groups = {}
    for p, e in tree.items():
        if e["type"] == "file" and inode_of.get(p) is not None:
            groups.setdefault(inode_of[p], []).append(p)
    for paths in groups.values():
        if len(paths) > 1:
            paths.sort()
            for p in paths:
                tree[p]["hardlinks"] = ",".join(paths)
    return tree


def empty(v):
    return v is None or v is False or v == [] or v == {} or v == ""


def norm_created_by(t):
    """One form for a step that Docker 20.10 and current BuildKit write
    differently (see the module's doc)."""
    if t.startswith("EXPOSE "):
        ports = t[len("EXPOSE "):].strip()
        if ports.startswith("map["):
            ports = " ".join(p.rsplit(":", 1)[0] for p in ports[4:-1].split())
        else:
            ports = ports.strip("[]")
        return "EXPOSE " + " ".join(sorted(set(ports.split())))
    if t.startswith("HEALTHCHECK "):
        return "HEALTHCHECK"
    if t.startswith("COPY ") or t.startswith("ADD "):
        return " ".join(w for w in t.split(" ")
                        if not w.startswith(("--chown=", "--chmod=")) and w != "--parents")
    if t.startswith("RUN |"):
        w = t.split(" ")
        try:
            n = int(w[1][1:])
        except ValueError:
            return t
        kvs = w[2:2 + n]
        if all("=" in kv for kv in kvs):
            seen = []
            for kv in kvs:
                if kv not in seen:
                    seen.append(kv)
            return " ".join(["RUN", "|%d" % len(seen)] + seen + w[2 + n:])
        return t
    if t.startswith("ARG "):
        return "ARG " + " ".join(w.split("=", 1)[0] for w in t[4:].split())
    return t


def history_view(config, run_args=True):
    out = []
    for h in config.get("history") or []:
        t = norm_created_by(h.get("created_by") or "")
        if not run_args and t.startswith("RUN |"):
            w = t.split(" ")
            t = " ".join(["RUN"] + w[2 + int(w[1][1:]):])
        out.append(t)
    return out


def config_view(inspect):
    if isinstance(inspect, list):
        inspect = inspect[0]
    cfg = inspect.get("Config") or {}
    out = {}
    for f in CONFIG_FIELDS:
        v = cfg.get(f)
        out["Config." + f] = None if empty(v) else v
    for f in TOP_FIELDS:
        v = inspect.get(f)
        out[f] = None if empty(v) else v
    return out


def fmt_entry(e):
    keys = ["type", "mode", "uid", "gid", "size", "sha256", "target", "dev", "hardlinks"]
    return " ".join("%s=%s" % (k, (e[k][:12] if k == "sha256" else e[k])) for k in keys if k in e)


def main(argv):
    ignores = []
    mtimes = []
    run_args = True
    la, lb = "A", "B"
    args = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--ignore":
            ignores.append(norm(argv[i + 1]))
            i += 2
        elif a == "--no-run-args":
            run_args = False
            i += 1
        elif a == "--mtime":
            mtimes.append(norm(argv[i + 1]))
            i += 2
        elif a == "--label-a":
            la = argv[i + 1]
            i += 2
        elif a == "--label-b":
            lb = argv[i + 1]
            i += 2
        else:
            args.append(a)
            i += 1
    if len(args) != 4:
        sys.stderr.write(__doc__)
        return 2
    la_layers, la_config = read_save(args[0])
    lb_layers, lb_config = read_save(args[2])
    with open(args[1]) as f:
        ia = json.load(f)
    with open(args[3]) as f:
        ib = json.load(f)
    ta, tb = flatten(la_layers), flatten(lb_layers)

    def ignored(p):
        return any(fnmatch.fnmatchcase(p, g) or p == g for g in ignores)

    def no_mtime(p, e):  # mtimes are compared only where asked
        if e is None or any(fnmatch.fnmatchcase(p, g) or p == g for g in mtimes):
            return e
        return {k: v for k, v in e.items() if k != "mtime"}

    diffs = []
    for p in sorted(set(ta) | set(tb)):
        if ignored(p):
            continue
        a, b = no_mtime(p, ta.get(p)), no_mtime(p, tb.get(p))
        if a is None:
            diffs.append("only in %s: /%s  (%s)" % (lb, p, fmt_entry(b)))
        elif b is None:
            diffs.append("only in %s: /%s  (%s)" % (la, p, fmt_entry(a)))
        elif a != b:
            fields = []
            for k in sorted(set(a) | set(b)):
                if a.get(k) != b.get(k):
                    fields.append("%s %s=%s %s=%s" % (k, la, a.get(k), lb, b.get(k)))
            diffs.append("differs: /%s: %s" % (p, "; ".join(fields)))
    ca, cb = config_view(ia), config_view(ib)
    for k in ca:
        if ca[k] != cb[k]:
            diffs.append("config %s: %s=%s %s=%s" % (
                k, la, json.dumps(ca[k], sort_keys=True), lb, json.dumps(cb[k], sort_keys=True)))
    ha, hb = history_view(la_config, run_args), history_view(lb_config, run_args)
    for i in range(max(len(ha), len(hb))):
        ea = ha[i] if i < len(ha) else None
        eb = hb[i] if i < len(hb) else None
        if ea != eb:
            diffs.append("history[%d]: %s=%s %s=%s" % (i, la, json.dumps(ea), lb, json.dumps(eb)))
            break  # the rest is shifted: one line says where it starts
    for d in diffs:
        print(d)
    print("note: %d paths; layers %s=%d %s=%d" % (len(ta), la, len(la_layers), lb, len(lb_layers)))
    return 1 if diffs else 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except SystemExit:
        raise
    except Exception as e:  # a broken archive is a difference, say why
        print("compare.py: error: %s: %s" % (type(e).__name__, e))
        sys.exit(2)

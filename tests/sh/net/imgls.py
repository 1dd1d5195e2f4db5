"""imgls.py IMAGE.tar [PREFIX...] -- the files of a built image, as docker
would see them: every layer of the docker manifest applied in order
(whiteouts honoured), one line per entry under one of the PREFIXes:
"path type mode uid:gid mtime size sha256[:12]" sorted by path. A
directory's mtime is "-": ADD creates directories at the time it runs."""
import hashlib
import io
import json
import sys
import tarfile

img, prefixes = sys.argv[1], sys.argv[2:]
files = {}
with tarfile.open(img) as outer:
    manifest = json.load(outer.extractfile("manifest.json"))
    for layer in manifest[0]["Layers"]:
        data = outer.extractfile(layer).read()
        with tarfile.open(fileobj=io.BytesIO(data)) as t:
            for m in t.getmembers():
                name = m.name.rstrip("/")
                base = name.rsplit("/", 1)[-1]
                if base.startswith(".wh."):
                    gone = name[: -len(base)] + base[4:]
                    for k in [k for k in files if k == gone or k.startswith(gone + "/")]:
                        del files[k]
                    continue
                body = t.extractfile(m).read() if m.isfile() else b""
                kind = "d" if m.isdir() else "l" if m.issym() else "f" if m.isfile() else "o"
                files[name] = "%s %s %o %d:%d %s %d %s" % (
                    name, kind, m.mode & 0o7777, m.uid, m.gid, "-" if m.isdir() else m.mtime, len(body),
                    hashlib.sha256(body).hexdigest()[:12] if m.isfile() else m.linkname or "-")
for k in sorted(files):
    if not prefixes or any(k == p or k.startswith(p + "/") for p in prefixes):
        print(files[k])

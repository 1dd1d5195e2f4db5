python3 - <<'PY'
import io, tarfile
def add(t, name, typ=tarfile.REGTYPE, data=b"", mode=0o644, link=""):
    ti = tarfile.TarInfo(name); ti.type = typ; ti.mode = mode; ti.mtime = 1600000000
    ti.linkname = link; ti.size = len(data) if typ == tarfile.REGTYPE else 0
    t.addfile(ti, io.BytesIO(data) if typ == tarfile.REGTYPE else None)
with tarfile.open("c.tar", "w") as t:
    add(t, "wasdir", data=b"now a file\n")
    add(t, "wasfile/", tarfile.DIRTYPE, mode=0o711)
    add(t, "wasfile/inner", data=b"inner\n")
    add(t, "keepdir/", tarfile.DIRTYPE, mode=0o700)
    add(t, "keepdir/new", data=b"new\n")
    add(t, "wasdirlink", data=b"link replaced by a file\n")
    add(t, "samefile", data=b"replaced\n", mode=0o640)
PY

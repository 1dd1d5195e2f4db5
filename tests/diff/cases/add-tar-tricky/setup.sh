python3 - <<'PY'
import io, tarfile
def add(t, name, typ=tarfile.REGTYPE, data=b"", mode=0o644, uid=0, gid=0, link=""):
    ti = tarfile.TarInfo(name); ti.type = typ; ti.mode = mode; ti.uid = uid; ti.gid = gid
    ti.mtime = 1600000000; ti.linkname = link; ti.size = len(data) if typ == tarfile.REGTYPE else 0
    t.addfile(ti, io.BytesIO(data) if typ == tarfile.REGTYPE else None)
with tarfile.open("tricky.tar", "w", format=tarfile.GNU_FORMAT) as t:
    add(t, "./", tarfile.DIRTYPE, mode=0o750, uid=3, gid=3)
    add(t, "existing/", tarfile.DIRTYPE, mode=0o755, uid=4, gid=4)
    add(t, "existing/new", data=b"new\n", uid=4, gid=4)
    add(t, "/abs/file", data=b"abs\n")
    add(t, "../up/file", data=b"up\n")
    add(t, "nodir/deep/file", data=b"implicit parents\n", mode=0o600)
    add(t, "link", tarfile.SYMTYPE, link="existing")
    add(t, "hard", tarfile.LNKTYPE, link="existing/new")
    add(t, "fifo", tarfile.FIFOTYPE, mode=0o640)
    add(t, "exe", data=b"#!/bin/sh\n", mode=0o4755, uid=1000, gid=1000)
    add(t, "dup", data=b"first\n")
    add(t, "dup", data=b"second\n")
with tarfile.open("paxlong.tar", "w", format=tarfile.PAX_FORMAT) as t:
    add(t, "d/" + "x" * 150 + "/" + "y" * 120, data=b"long\n")
    add(t, "d/ünïcødé name", data=b"u\n", uid=60000, gid=60001)
    add(t, "d/linkto-long", tarfile.SYMTYPE, link="x" * 150 + "/" + "y" * 120)
PY

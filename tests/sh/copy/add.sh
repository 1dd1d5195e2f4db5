# ADD: local archives detected by content and extracted with union
# semantics, owners from the archive (or --chown); hostile archives stay contained.
. "$SRCDIR/tests/sh/copy/lib.bash"
need tar gzip bzip2 xz python3
mkdir -p "$T/src/d/e" "$R/dst/d" "$T/host"
echo f >"$T/src/d/f"; echo g >"$T/src/d/e/g"; chmod 0700 "$T/src/d/e"
ln "$T/src/d/f" "$T/src/d/hard"
echo old >"$R/dst/d/f"; echo keep >"$R/dst/d/keep"
tar -C "$T/src" --owner=1234 --group=5678 --numeric-owner -cf "$C/a.tar" d
gzip -c "$C/a.tar" >"$C/a.tgz"; bzip2 -c "$C/a.tar" >"$C/a.tar.bz2"; xz -c "$C/a.tar" >"$C/a.xz"
cp "$C/a.tgz" "$C/looks-like-text.txt"
echo "just text" | gzip -c >"$C/notatar.gz"
echo "not an archive" >"$C/plain.tar"

for f in a.tar a.tgz a.tar.bz2 a.xz looks-like-text.txt; do
	copy '{"srcs":["'"$f"'"],"dest":"/x/"}' add
	is "$?:$(tree "$(up /x)")" "0:d d 755 1234:5678 
d/e d 700 1234:5678 
d/e/g f 644 1234:5678 
d/f f 644 1234:5678 
d/hard f 644 1234:5678 " "ADD $f extracts it, owners from the archive"
done
is "$(stat -c %i "$(up /x/d/f)")" "$(stat -c %i "$(up /x/d/hard)")" "hardlinks in the archive are kept"
if command -v zstd >/dev/null; then
	zstd -q -c "$C/a.tar" >"$C/a.tar.zst"
	copy '{"srcs":["a.tar.zst"],"dest":"/z"}' add
	check "ADD of a zstd tar extracts it" test -f "$(up /z/d/e/g)"
else
	skip "ADD of a zstd tar extracts it" "zstd not installed"
fi
copy '{"srcs":["a.tar"],"dest":"/dst"}' add
is "$(view "$K" 'cat dst/d/f dst/d/keep')" "f
keep" "extraction merges into existing directories (union)"
copy '{"srcs":["a.tar"],"dest":"/u/","unpack":false}' add
is "$(cmp "$(up /u/a.tar)" "$C/a.tar" && echo same)" same "--unpack=false copies the archive as a file"
copy '{"srcs":["a.tar"],"dest":"/c/"}'
check "COPY never extracts" test -f "$(up /c/a.tar)"
copy '{"srcs":["notatar.gz"],"dest":"/n/"}' add
is "$(cmp "$(up /n/notatar.gz)" "$C/notatar.gz" && echo same)" same "a gzip file that is not a tar is copied as is"
copy '{"srcs":["plain.tar"],"dest":"/n2/"}' add
is "$(cat "$(up /n2/plain.tar)")" "not an archive" "a .tar name without tar content is copied as is"
copy '{"srcs":["a.tgz"],"dest":"/o/","chown":"app"}' add
is "$(meta /o/d/e/g)|$(meta /o/d/e)|$(meta /o)" \
	"regular file 644 1000:1001|directory 700 1000:1001|directory 755 1000:1001" \
	"ADD --chown owns the extracted entries too (BuildKit since 2025-05; Docker 20.10 kept the archive's)"
copy '{"srcs":["a.tgz"],"dest":"/r","checksum":"sha256:00"}' add
like "$?:$(errmsg)" '^1:.*--checksum' "--checksum with a local source is an error"

# hostile archives
python3 - "$C" "$T/host" <<'PY'
import io, sys, tarfile
ctx, host = sys.argv[1], sys.argv[2]
def mk(name, entries):
    with tarfile.open(f"{ctx}/{name}", "w") as t:
        for kind, path, arg in entries:
            ti = tarfile.TarInfo(path)
            if kind == "file":
                ti.size = len(arg); t.addfile(ti, io.BytesIO(arg))
            elif kind == "sym":
                ti.type = tarfile.SYMTYPE; ti.linkname = arg; t.addfile(ti)
            elif kind == "hard":
                ti.type = tarfile.LNKTYPE; ti.linkname = arg; t.addfile(ti)
mk("dotdot.tar", [("file", "../../../../escape", b"x")])
mk("abs.tar", [("file", "/abs/file", b"abs")])
mk("symwrite.tar", [("sym", "lnk", host), ("file", "lnk/owned", b"pwned")])
mk("symabs.tar", [("sym", "etc", "/etc"), ("file", "etc/passwd", b"changed")])
mk("symup.tar", [("sym", "up", "../../../../.."), ("file", "x", b"x")])
mk("hardout.tar", [("hard", "h", "../../../../etc/passwd")])
mk("hardabs.tar", [("hard", "h", host + "/secret")])
PY
echo secret >"$T/host/secret"
copy '{"srcs":["dotdot.tar"],"dest":"/t/"}' add
is "$?:$(cat "$(up /t/escape)")" "0:x" "a ../ entry stops at the destination (BuildKit untars chrooted there)"
check "... and nothing escapes" test ! -e "$T/escape" -a ! -e /escape -a ! -e "$(up /escape)"
copy '{"srcs":["abs.tar"],"dest":"/t/"}' add
is "$(cat "$(up /t/abs/file)")" abs "an absolute entry name lands under the destination"
copy '{"srcs":["symwrite.tar"],"dest":"/t/"}' add
check "a symlink to a host dir then a write through it stays in the rootfs" test -f "$(up "$T/host/owned")"
check "... the host dir is untouched" test ! -e "$T/host/owned"
copy '{"srcs":["symabs.tar"],"dest":"/t/"}' add
is "$(cat "$(up /etc/passwd)" 2>/dev/null):$(grep -c app /etc/passwd)" "changed:0" \
	"a symlink to /etc redirects only to the rootfs's /etc, never the host's"
copy '{"srcs":["symup.tar"],"dest":"/t/"}' add
is "$?:$(readlink "$(up /t/up)")" "0:../../../../.." \
	"a relative symlink climbing out of the destination is stored as is (BuildKit does)"
copy '{"srcs":["hardout.tar"],"dest":"/t/"}' add
like "$?:$(errmsg)" '^1:.*hardlink h -> etc/passwd: No such file' \
	"a hardlink climbing out is looked up under the destination (DEST/etc/passwd, missing)"
copy '{"srcs":["hardabs.tar"],"dest":"/t/"}' add
is "$?:$(cat "$T/host/secret")" "1:secret" "a hardlink to an absolute host path is looked up in the rootfs (missing there)"
done_testing

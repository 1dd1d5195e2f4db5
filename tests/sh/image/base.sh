# base: layers unpacked once into the store, overlay-ready (whiteouts as
# 0/0 char devices, opaque xattr), owners/modes/xattrs/links/devices kept,
# hostile tars refused, concurrent unpacks safe; chain.json and stamp.
. "$SRCDIR/tests/lib.sh"
. "$SRCDIR/tests/sh/image/helpers.bash"
need python3 jq
[ "$(id -u)" = 0 ] || skip_all "unpacking owners and devices needs root"
trap 'umount "$T/m" 2>/dev/null' EXIT

# mktar OUT: entries from stdin, one per line: TYPE PATH [ARG] (python tarfile)
cat >"$T/mktar.py" <<'PY'
import io, sys, tarfile
out = tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT)
for line in sys.stdin:
    f = line.split()
    if not f: continue
    t, name, arg = f[0], f[1], f[2] if len(f) > 2 else ""
    ti = tarfile.TarInfo(name); ti.mtime = 1700000000; ti.mode = 0o644
    data = None
    if t == "dir": ti.type = tarfile.DIRTYPE; ti.mode = 0o755
    elif t == "file": data = (arg or name).encode(); ti.size = len(data)
    elif t == "suid": data = b"x"; ti.size = 1; ti.mode = 0o4755; ti.uid = 1234; ti.gid = 5678
    elif t == "xattr": data = b"x"; ti.size = 1; ti.pax_headers = {"SCHILY.xattr.user.foo": "bar", "SCHILY.xattr.trusted.overlay.redirect": "/etc"}
    elif t == "link": ti.type = tarfile.LNKTYPE; ti.linkname = arg
    elif t == "sym": ti.type = tarfile.SYMTYPE; ti.linkname = arg
    elif t == "fifo": ti.type = tarfile.FIFOTYPE
    elif t == "chr": ti.type = tarfile.CHRTYPE; ti.devmajor = 1; ti.devminor = 3
    out.addfile(ti, io.BytesIO(data) if data is not None else None)
out.close()
PY
mktar() { python3 "$T/mktar.py" "$1"; }

mktar "$T/l1.tar" <<'L'
dir a
file a/x
file a/y
file gone
dir keep
file keep/k
file keep/stay
file h1
link h2 h1
fifo p
sym s a/x
chr null
suid suid
xattr xa
L
mktar "$T/l2.tar" <<'L'
file .wh.gone
dir a
file a/.wh..wh..opq
file a/new
file keep/.wh.k
file b/.wh..wh..opq
L
gzip -n -c "$T/l2.tar" >"$T/l2.tar.gz"
mk_docker_archive "$T/img.tar" t/layers:1 "$T/l1.tar" "$T/l2.tar.gz"
rt load -i "$T/img.tar" >/dev/null || not_ok "load"

rt base k1 '{"image":"t/layers:1","title":"[1/1] FROM t/layers:1"}'
check "base succeeds" test -f "$STATE/k1.done"
chain=$(cat "$STATE/k1/chain.json")
is "$(jq length <<<"$chain")" 2 "chain has two layers"
d1=$(jq -r '.[0].dir' <<<"$chain")
d2=$(jq -r '.[1].dir' <<<"$chain")
is "$(jq -r '.[0].diff_id' <<<"$chain")" "sha256:$(sha "$T/l1.tar")" "chain diff_id (bottom first)"
is "$(jq -r '.[1].blob.digest' <<<"$chain")" "sha256:$(sha "$T/l2.tar.gz")" "chain blob digest of the gzip layer"
is "$(jq -r '.[1].blob.mediaType' <<<"$chain")" "application/vnd.oci.image.layer.v1.tar+gzip" "chain blob media type"
is "$d1" "$STORE/layers/$(sha "$T/l1.tar")" "layer dir named by diff_id"
check "layer .ok marker" test -f "$d1.ok" -a -f "$d2.ok"

is "$(cat "$d1/a/x")" "a/x" "file content"
is "$(stat -c %i "$d1/h1")" "$(stat -c %i "$d1/h2")" "hardlink kept"
is "$(stat -c %F "$d1/p")" "fifo" "fifo kept"
is "$(readlink "$d1/s")" "a/x" "symlink kept"
is "$(devno "$d1/null")" "character special file 1 3" "device kept"
is "$(stat -c '%a %u %g' "$d1/suid")" "4755 1234 5678" "mode (setuid) and owner kept"
is "$(xattr "$d1/xa" user.foo)" "bar" "xattr kept"
is "$(xattr "$d1/xa" trusted.overlay.redirect)" "" "overlay xattr from the tar dropped"
is "$(stat -c %Y "$d1/a/x")" 1700000000 "mtime kept"

is "$(devno "$d2/gone")" "character special file 0 0" ".wh.gone -> 0/0 char device"
is "$(devno "$d2/keep/k")" "character special file 0 0" "nested whiteout"
check "no .wh. files left" test -z "$(find "$d2" -name '.wh.*')"
is "$(xattr "$d2/a" trusted.overlay.opaque)" "y" "opaque dir gets trusted.overlay.opaque=y"
is "$(xattr "$d2/b" trusted.overlay.opaque)" "y" "opaque marker alone creates its dir"
is "$(cat "$d2/a/new")" "a/new" "sibling of the opaque marker kept"

# overlayfs sees what the image means
mkdir -p "$T/m" "$T/u" "$T/w"
if mount -t overlay overlay -o "lowerdir=$d2:$d1,upperdir=$T/u,workdir=$T/w" "$T/m" 2>/dev/null; then
	is "$(cd "$T/m" && ls a)" "new" "overlay: opaque dir hides lower children"
	check "overlay: whiteout hides the file" test ! -e "$T/m/gone"
	is "$(cd "$T/m/keep" && ls)" "stay" "overlay: nested whiteout"
	umount "$T/m"
else
	skip "overlay mount checks" "cannot mount overlay here"
fi

# second base of the same image reuses the unpacked layers
touch -d @1 "$d1.ok"
rt base k2 '{"image":"docker.io/t/layers:1"}'
is "$(stat -c %Y "$d1.ok")" 1 "layers unpacked once"
is "$(cat "$STATE/k2/chain.json" | jq -c .)" "$(jq -c . <<<"$chain")" "same chain for the normalised name"

# concurrent unpacks of the same layers
rm -rf "$STORE/layers"
for i in 1 2 3 4 5 6; do rt base c$i '{"image":"t/layers:1"}' & done
fails=0
for i in 1 2 3 4 5 6; do wait %$i || fails=$((fails + 1)); done
is "$fails" 0 "six concurrent bases succeed"
is "$(ls -a "$STORE/layers" | grep -c tmp)" 0 "no temp dirs left"
is "$(devno "$d2/gone")" "character special file 0 0" "concurrently unpacked layer is whole"

# by digest: FROM name@digest and name:tag@digest (the tag is ignored)
man=$(ref_json docker.io/t/layers:1 | jq -r .manifest)
rt base d1 "{\"image\":\"t/layers@$man\"}"
is "$(jq -c . "$STATE/d1/chain.json" 2>&1)" "$(jq -c . <<<"$chain")" "FROM name@manifest-digest"
rt base d2 "{\"image\":\"t/layers:other@$man\"}"
is "$(jq -c . "$STATE/d2/chain.json" 2>&1)" "$(jq -c . <<<"$chain")" "FROM name:tag@digest ignores the tag"
out=$(rt base d3 '{"image":"t/layers@sha256:0000000000000000000000000000000000000000000000000000000000000000"}' 2>&1)
like "$out" "is not in the store" "unknown digest: not found"
is "$(rt images | grep -c @)" 0 "images does not list the digest aliases"

# scratch and missing images
rt base s '{"scratch":true}'
is "$(jq -c . "$STATE/s/chain.json")" "[]" "scratch: empty chain"
out=$(rt base m '{"image":"nope:2","loc":"Dockerfile:4"}' 2>&1); rc=$?
check "missing image fails" test $rc -ne 0
like "$out" "Dockerfile:4: FROM nope:2: image docker.io/library/nope:2 is not in the store" "missing image: where and what"
like "$out" "df2make-runtime load -i" "missing image: says how to load"
check "missing image: no stamp" test ! -e "$STATE/m.done"

# hostile layers
evil() { # NAME: load a one-layer image from $T/NAME.tar, base it
	mk_docker_archive "$T/$1.img" "evil/$1" "$T/$1.tar"
	rt load -i "$T/$1.img" >/dev/null && rt base "e$1" "{\"image\":\"evil/$1\"}" 2>&1
}
mkdir -p "$T/outside"
mktar "$T/dotdot.tar" <<<"file ../../../outside/pwn"
out=$(evil dotdot); rc=$?
check "'..' member refused" test $rc -ne 0 -a ! -e "$T/outside/pwn"
like "$out" "leaves the layer" "'..' message"
printf 'sym l %s\nfile l/pwn\n' "$T/outside" | mktar "$T/symesc.tar"
out=$(evil symesc); rc=$?
check "write through a symlink refused" test $rc -ne 0 -a ! -e "$T/outside/pwn"
printf 'link hl ../../../../../../etc/passwd\n' | mktar "$T/hlesc.tar"
out=$(evil hlesc); rc=$?
check "hardlink out of the layer refused" test $rc -ne 0
like "$out" "leaves the layer" "hardlink message"
printf 'file /abs/f\n' | mktar "$T/abs.tar"
evil abs >/dev/null
check "absolute member lands inside the layer" test -f "$STORE/layers/$(sha "$T/abs.tar")/abs/f"
check "failed unpacks leave no layer dir" test ! -e "$STORE/layers/$(sha "$T/dotdot.tar")"
done_testing

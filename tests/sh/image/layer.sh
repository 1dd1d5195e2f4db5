# layer: an overlay upper dir made by hand becomes a layer tar whose
# entries, whiteouts, metadata and digests are checked byte for byte.
. "$SRCDIR/tests/lib.sh"
. "$SRCDIR/tests/sh/image/helpers.bash"
need python3 jq gzip
[ "$(id -u)" = 0 ] || skip_all "whiteout devices and owners need root"

mk_rootfs "$T/root"
mkdir -p "$T/root/etc/conf.d" && echo old >"$T/root/etc/conf.d/a"
tar_dir "$T/root" "$T/rootfs.tar"
rt import "$T/rootfs.tar" base:1 >/dev/null
rt base k0 '{"image":"base:1"}'

U=$STATE/k1/upper
mkdir -p "$U/bin" "$U/etc/conf.d" "$U/new/sub" "$U/w"
echo hello >"$U/new/file"
ln "$U/new/file" "$U/new/hard"
ln -s ../bin/busybox "$U/new/link"
mkfifo "$U/new/fifo"
mknod "$U/new/null" c 1 3
echo s >"$U/new/suid" && chown 1234:5678 "$U/new/suid" && chmod 4750 "$U/new/suid"
set_xattr "$U/new/file" user.color blue
set_xattr "$U/new/file" trusted.overlay.origin x
mknod "$U/bin/cat" c 0 0          # exists below: whiteout
mknod "$U/w/nothere" c 0 0        # not below: dropped
set_xattr "$U/etc/conf.d" trusted.overlay.opaque y   # exists below: marker
set_xattr "$U/new/sub" trusted.overlay.opaque y      # new dir: no marker
echo new >"$U/etc/conf.d/b"
touch -h -d @2000000000 "$U/new/file"
touch -d @500 "$U/new/fifo"
jq -c ". + [{\"dir\":\"$U\",\"step\":\"k1\"}]" "$STATE/k0/chain.json" >"$STATE/k1/chain.json"

rt layer k1 '{"parent":"k0","epoch":1000,"compress":"none"}'
meta=$(cat "$STATE/k1.layer")
L=$STATE/k1/layer.tar
is "$(jq -r .path <<<"$meta")" "$L" "KEY.layer path"
is "$(jq -r .diff_id <<<"$meta")" "sha256:$(sha "$L")" "diff_id = sha256 of the tar"
is "$(jq -r .digest <<<"$meta")" "sha256:$(sha "$L")" "uncompressed: digest = diff_id"
is "$(jq -r .size <<<"$meta")" "$(stat -c %s "$L")" "size"
is "$(jq -r '[.empty, .mediaType] | @tsv' <<<"$meta")" "false	application/vnd.oci.image.layer.v1.tar" "not empty, media type"

cat >"$T/ls.py" <<'PY'
import sys, tarfile
for m in tarfile.open(sys.argv[1]):
    x = {k[len("SCHILY.xattr."):]: v for k, v in m.pax_headers.items() if k.startswith("SCHILY.xattr.")}
    print(m.name, m.type.decode() if m.type != b"\0" else "0", oct(m.mode), m.uid, m.gid, int(m.mtime), m.size,
          m.linkname or "-", m.devmajor if m.ischr() else "-", m.devminor if m.ischr() else "-",
          ",".join(f"{k}={v}" for k, v in sorted(x.items())) or "-", m.uname or "-")
PY
want="bin 5 0o755 0 0 1000 0 - - - - -
bin/.wh.cat 0 0o0 0 0 1000 0 - - - - -
etc 5 0o755 0 0 1000 0 - - - - -
etc/conf.d 5 0o755 0 0 1000 0 - - - - -
etc/conf.d/.wh..wh..opq 0 0o0 0 0 1000 0 - - - - -
etc/conf.d/b 0 0o644 0 0 1000 4 - - - - -
new 5 0o755 0 0 1000 0 - - - - -
new/fifo 6 0o644 0 0 500 0 - - - - -
new/file 0 0o644 0 0 1000 6 - - - user.color=blue -
new/hard 1 0o644 0 0 1000 0 new/file - - - -
new/link 2 0o777 0 0 1000 0 ../bin/busybox - - - -
new/null 3 0o644 0 0 1000 0 - 1 3 - -
new/sub 5 0o755 0 0 1000 0 - - - - -
new/suid 0 0o4750 1234 5678 1000 2 - - - - -
w 5 0o755 0 0 1000 0 - - - - -"
is "$(python3 "$T/ls.py" "$L")" "$want" "entries: sorted, relative, whiteouts, opaque marker, links, devices, owners, xattrs, clamped mtimes"

# compressed, digests in one pass
rt layer k1 '{"parent":"k0","epoch":1000,"compress":"gzip","level":9}'
meta=$(cat "$STATE/k1.layer")
G=$STATE/k1/layer.tar.gz
is "$(jq -r .digest <<<"$meta")" "sha256:$(sha "$G")" "gzip: digest of the blob"
is "$(jq -r .diff_id <<<"$meta")" "sha256:$(sha "$L")" "gzip: same diff_id as the plain tar"
is "$(zcat "$G" | sha256sum | cut -c1-64)" "$(sha "$L")" "gzip decompresses to the tar"
is "$(od -An -tx1 -j3 -N5 "$G" | tr -d ' ')" "0000000000" "gzip header: no name, no time"
is "$(jq -r .mediaType <<<"$meta")" "application/vnd.oci.image.layer.v1.tar+gzip" "gzip media type"
if command -v zstd >/dev/null; then
	rt layer k1 '{"parent":"k0","epoch":1000,"compress":"zstd"}'
	meta=$(cat "$STATE/k1.layer")
	is "$(zstd -dc "$STATE/k1/layer.tar.zst" | sha256sum | cut -c1-64)" "$(sha "$L")" "zstd decompresses to the tar"
	is "$(jq -r .digest <<<"$meta")" "sha256:$(sha "$STATE/k1/layer.tar.zst")" "zstd digest"
else
	skip "zstd" "zstd not installed"
fi

# reproducible: touching files (mtime > epoch) changes nothing
d1=$(jq -r .digest "$STATE/k1.layer")
rt layer k1 '{"parent":"k0","epoch":1000,"compress":"gzip","level":9}'
d1=$(jq -r .digest "$STATE/k1.layer")
sleep 1
touch "$U/new/file" "$U/etc/conf.d/b" "$U/new"
rt layer k1 '{"parent":"k0","epoch":1000,"compress":"gzip","level":9}'
is "$(jq -r .digest "$STATE/k1.layer")" "$d1" "same digest after touching files"

# whiteouts are judged against the parent chain (KEY's own chain.json is not read)
rm "$STATE/k1/chain.json"
rt layer k1 '{"parent":"k0","epoch":1000,"compress":"none"}'
like "$(tar tf "$L")" "bin/.wh.cat" "parent's chain used when KEY's is missing"
rt layer k1 '{"parent":null,"epoch":1000,"compress":"none"}'
like "$(tar tf "$L" | tr '\n' ' ')" "^bin/ etc/ etc/conf.d/ etc/conf.d/b new/" "scratch parent: no whiteouts, no markers"

# empty upper
mkdir -p "$STATE/k2/upper"
rt layer k2 '{"parent":"k0","epoch":0,"compress":"gzip"}'
is "$(jq -c . "$STATE/k2.layer")" '{"empty":true,"params":{"epoch":0,"compress":"gzip","level":null}}' \
	"empty upper: empty layer (and the parameters it was made with)"
check "empty upper: no blob" test ! -e "$STATE/k2/layer.tar.gz"
rt layer k3 '{"parent":"k0","epoch":0,"compress":"gzip"}' 2>/dev/null
is "$(jq -c 'del(.params)' "$STATE/k3.layer" 2>/dev/null)" '{"empty":true}' "missing upper: empty layer"
mkdir -p "$STATE/k4/upper" && mknod "$STATE/k4/upper/nothere" c 0 0
rt layer k4 '{"parent":"k0","epoch":0,"compress":"none"}'
is "$(jq -c 'del(.params)' "$STATE/k4.layer")" '{"empty":true}' "only whiteouts of absent paths: empty layer"
# A lower whose "esc" is a symlink to the host's "/": a whiteout of esc/etc
# in the upper (esc replaced by a directory) must not ask the host whether
# /etc exists. Before: lstat followed the link and wrote esc/.wh.etc.
L5=$T/lower5
mkdir -p "$L5/real/etc" && ln -s / "$L5/esc"
mkdir -p "$STATE/k5" && printf '[{"dir":"%s"}]\n' "$L5" >"$STATE/k5/chain.json"
mkdir -p "$STATE/k6/upper/esc" "$STATE/k6/upper/real"
mknod "$STATE/k6/upper/esc/etc" c 0 0
mknod "$STATE/k6/upper/real/etc" c 0 0
rt layer k6 '{"parent":"k5","epoch":0,"compress":"none"}'
is "$(tar tf "$STATE/k6/layer.tar" | grep wh | tr '\n' ' ')" "real/.wh.etc " \
	"a symlink in a lower is not followed to the host: no whiteout for esc/etc"
out=$(rt layer k1 '{"parent":"k0","compress":"bzip9"}' 2>&1)
like "$out" "unknown compression" "bad compression refused"
check "failed layer leaves no KEY.layer" test ! -e "$STATE/k1.layer"
done_testing

# Symlinks: followed when named, kept inside trees, never followed out of
# the context or out of the destination rootfs.
. "$SRCDIR/tests/sh/copy/lib.bash"
mkdir -p "$C/dir" "$C/real" "$T/host" "$R/etc"
echo a >"$C/a.txt"; echo r >"$C/real/r"
ln -s a.txt "$C/link"; ln -s real "$C/linkdir"
ln -s /etc/passwd "$C/abs"; ln -s ../../../../../etc/passwd "$C/up"
ln -s ../a.txt "$C/dir/inner"; ln -s /nowhere "$C/dir/dangling"
echo host-secret >"$T/host/secret"
ln -s "$T/host" "$R/tohost"; ln -s /etc "$R/etclink"; ln -s ../../../../.. "$R/climb"

copy '{"srcs":["link"],"dest":"/l"}'
is "$(stat -c %F "$(up /l)"):$(cat "$(up /l)")" "regular file:a" "a symlink named as the source is followed"
copy '{"srcs":["linkdir"],"dest":"/ld/"}'
is "$(cat "$(up /ld/r)")" r "a symlink to a directory named as the source copies the directory's contents"
copy '{"srcs":["link"],"dest":"/dd/"}'
check "a followed symlink keeps its own name under a / dest" test -f "$(up /dd/link)"
copy '{"srcs":["abs"],"dest":"/x"}'
like "$?:$(errmsg)" '^1:.*"abs" points outside the build context' "an absolute symlink out of the context is refused"
copy '{"srcs":["up"],"dest":"/x"}'
like "$?:$(errmsg)" '^1:.*"up" points outside the build context' "a ../ symlink out of the context is refused"
copy '{"srcs":["dir"],"dest":"/t/"}'
is "$(readlink "$(up /t/inner)")|$(readlink "$(up /t/dangling)")" "../a.txt|/nowhere" \
	"symlinks inside a copied directory stay symlinks, dangling ones too"
copy '{"srcs":["a.txt"],"dest":"/tohost/"}'
check "a dest symlink to a host path resolves inside the rootfs" test -f "$(up "$T/host/a.txt")"
check "... and nothing is written on the host" test ! -e "$T/host/a.txt"
copy '{"srcs":["a.txt"],"dest":"/climb/x/"}'
check "a dest symlink climbing with .. stops at the rootfs root" test -f "$(up /x/a.txt)"
copy '{"srcs":["a.txt"],"dest":"/etclink/"}'
check "a dest symlink to /etc means the rootfs's /etc" test -f "$(up /etc/a.txt)"
copy '{"srcs":["dir"],"dest":"/tohost/"}'
is "$(ls "$T/host")" secret "a directory copied through a dest symlink stays in the rootfs"
copy '{"srcs":["a.txt"],"dest":"/etclink/","link":true}'
is "$(stat -c %F "$(up /etclink)"):$(cat "$(up /etclink/a.txt)")" "directory:a" \
	"--link does not follow a dest symlink: the scratch dir replaces it"
copy '{"srcs":["a.txt"],"dest":"/l2/y","link":true}'
is "$(cat "$(up /l2/y)")" a "--link copies like COPY otherwise"
mkdir -p "$R/victim"; ln -s "$T/host/secret" "$R/victim/file"
copy '{"srcs":["a.txt"],"dest":"/victim/file"}'
is "$(cat "$T/host/secret")" host-secret "a dest file that is a symlink out of the rootfs is not written through"
mkdir -p "$R/etc"; echo old >"$R/etc/real-rc"; ln -s real-rc "$R/etc/rc"; ln -s /made/here "$R/dangle"
copy '{"srcs":["a.txt"],"dest":"/etc/rc"}'
is "$(readlink "$(up /etc/rc)" || echo "no symlink in upper"):$(cat "$(up /etc/real-rc)")" "no symlink in upper:a" \
	"a file dest that is a symlink is resolved in the rootfs: its target gets the file"
copy '{"srcs":["a.txt"],"dest":"/dangle"}'
is "$(cat "$(up /made/here)")" a "a dangling dest symlink: the file is created at its target, in the rootfs"
# --link: the copy lands on scratch and its layer is merged on top, so the
# directories on the dest path come out as created there (0755, 0:0 or the
# --chown owner) and a file dest hides a directory (BuildKit's MergeOp;
# moby/buildkit#3602: /tmp 1777 becomes 0755)
mkdir -p "$R/sticky/sub" "$R/pdir/full"; chmod 1777 "$R/sticky"; chmod 0700 "$R/sticky/sub"
chown 5:5 "$R/sticky/sub"; echo keep >"$R/pdir/full/old"
copy '{"srcs":["a.txt"],"dest":"/sticky/sub/","link":true}'
is "$(meta /sticky) / $(meta /sticky/sub)" "directory 755 0:0 / directory 755 0:0" \
	"--link resets the directories on the dest path to 0755 0:0"
copy '{"srcs":["a.txt"],"dest":"/sticky/sub/","link":true,"chown":"app"}'
is "$(meta /sticky/sub)" "directory 755 1000:1001" "... owned by the --chown user"
copy '{"srcs":["a.txt"],"dest":"/sticky/sub/"}'
is "$(meta /sticky/sub)" "directory 700 5:5" "without --link the directory keeps its mode and owner"
copy '{"srcs":["a.txt"],"dest":"/pdir/full","link":true}'
is "$(stat -c %F "$(up /pdir/full)"):$(cat "$(up /pdir/full)")" "regular file:a" \
	"--link onto an existing directory without a slash: the file replaces it"
done_testing

# Ownership, modes, times, hardlinks and xattrs of copied files.
. "$SRCDIR/tests/sh/copy/lib.bash"
mkdir -p "$C/dir/sub" "$R/existing"
echo a >"$C/a.txt"; chmod 0640 "$C/a.txt"; chown 1234:5678 "$C/a.txt"
echo x >"$C/dir/x"; chmod 0600 "$C/dir/x"; echo s >"$C/dir/run.sh"; chmod 0755 "$C/dir/run.sh"
echo y >"$C/dir/sub/y"; chmod 0750 "$C/dir/sub"; chmod 0755 "$C/dir"
chown -R 1234:5678 "$C/dir"
ln "$C/dir/x" "$C/dir/x-link"
touch -d '2001-02-03 04:05:06' "$C/a.txt" "$C/dir/sub/y" "$C/dir/sub"
chmod 0700 "$R/existing"

copy '{"srcs":["a.txt"],"dest":"/f"}'
is "$(meta /f)" "regular file 640 0:0" "context files arrive 0:0 with their mode"
is "$(stat -c %Y "$(up /f)")" "$(stat -c %Y "$C/a.txt")" "the mtime is preserved"
copy '{"srcs":["dir"],"dest":"/d/"}'
is "$(tree "$(up /d)")" "run.sh f 755 0:0 
sub d 750 0:0 
sub/y f 644 0:0 
x f 600 0:0 
x-link f 600 0:0 " "modes of a tree are kept, owners reset"
is "$(stat -c %Y "$(up /d/sub)")" "$(stat -c %Y "$C/dir/sub")" "a directory's mtime survives its contents being copied"
is "$(stat -c %i "$(up /d/x)")" "$(stat -c %i "$(up /d/x-link)")" "hardlinks in the context stay hardlinks"
copy '{"srcs":["dir/x","dir/x-link"],"dest":"/two/"}'
is "$(stat -c %h "$(up /two/x)"):$(stat -c %h "$(up /two/x-link)")" "1:1" \
	"... but not across two sources of one COPY (BuildKit: one copy per source)"
copy '{"srcs":["a.txt"],"dest":"/o/p/f","chown":"app"}'
is "$(meta /o/p/f)" "regular file 640 1000:1001" "--chown=name takes the group from passwd"
is "$(meta /o)|$(meta /o/p)" "directory 755 1000:1001|directory 755 1000:1001" \
	"missing parents are created 0755 owned by the --chown user"
copy '{"srcs":["a.txt"],"dest":"/f","chown":"1234"}'
is "$(meta /f)" "regular file 640 1234:1234" "--chown=1234 gives gid 1234"
copy '{"srcs":["a.txt"],"dest":"/f","chown":"app:other"}'
is "$(meta /f)" "regular file 640 1000:2000" "--chown=user:group by names"
copy '{"srcs":["a.txt"],"dest":"/f","chown":"7:8"}'
is "$(meta /f)" "regular file 640 7:8" "--chown=uid:gid numbers need no passwd entry"
copy '{"srcs":["a.txt"],"dest":"/f","chown":"nosuch"}'
is "$?:$(meta /f)" "0:regular file 640 0:0" \
	"--chown with a name missing from /etc/passwd gives 0:0 (BuildKit's readUser)"
copy '{"srcs":["a.txt"],"dest":"/f","chown":"app:nosuch"}'
is "$?:$(meta /f)" "0:regular file 640 1000:1001" "... a missing group keeps the user's gid"
copy '{"srcs":["dir"],"dest":"/c/","chown":"app"}'
is "$(meta /c)|$(meta /c/sub)|$(meta /c/sub/y)" \
	"directory 755 1000:1001|directory 750 1000:1001|regular file 644 1000:1001" "--chown applies to the whole tree"
copy '{"srcs":["a.txt"],"dest":"/f","chmod":"0755"}'
is "$(meta /f)" "regular file 755 0:0" "--chmod octal"
copy '{"srcs":["a.txt"],"dest":"/f","chmod":"4711"}'
is "$(meta /f)" "regular file 711 0:0" "--chmod=4711 drops the set-id bit, as docker build does"
copy '{"srcs":["dir"],"dest":"/s/","chmod":"u=rwX,go=rX"}'
is "$(tree "$(up /s)")" "run.sh f 755 0:0 
sub d 755 0:0 
sub/y f 644 0:0 
x f 644 0:0 
x-link f 644 0:0 " "--chmod symbolic with X on files and subdirectories"
is "$(meta /s)" "directory 755 0:0" "--chmod leaves the destination directory itself alone"
chmod 0711 "$C/dir"
copy '{"srcs":["dir"],"dest":"/s2/","chmod":"0600"}'
is "$(meta /s2)|$(meta /s2/sub)" "directory 755 0:0|directory 600 0:0" \
	"a created destination directory is 0755 whatever the source's mode; subdirs get --chmod"
chmod 0755 "$C/dir"
copy '{"srcs":["a.txt"],"dest":"/f","chmod":"+x"}'
is "$(meta /f)" "regular file 751 0:0" "--chmod +x"
copy '{"srcs":["a.txt"],"dest":"/f","chmod":"u=rwz"}'
like "$?:$(errmsg)" '^1:.*invalid --chmod value "u=rwz"' "a bad --chmod fails with the value"
copy '{"srcs":["dir"],"dest":"/existing/"}'
is "$(meta /existing)" "directory 700 0:0" "COPY onto an existing 0700 dir keeps its mode, as docker build does"
mkfifo "$C/fifo"
copy '{"srcs":["fifo"],"dest":"/p"}'
is "$?:$(meta /p)" "0:fifo $(stat -c %a "$C/fifo") 0:0" \
	"a fifo named as a source is made again (current BuildKit), not read"
mkdir "$C/withfifo"; mkfifo "$C/withfifo/q"
copy '{"srcs":["withfifo"],"dest":"/wf/"}'
is "$(meta /wf/q)" "fifo 644 0:0" "a fifo inside a copied directory is recreated"
if setfattr_ok=$(python3 -c "import os; os.setxattr('$C/a.txt', 'user.df2make', b'v1'); print('y')" 2>/dev/null) &&
	[ "$setfattr_ok" = y ]; then
	copy '{"srcs":["a.txt"],"dest":"/xa"}'
	is "$(python3 -c "import os; print(os.getxattr('$(up /xa)', 'user.df2make').decode())" 2>&1)" v1 \
		"extended attributes are copied"
else
	skip "extended attributes are copied" "user xattrs unsupported here"
fi
# A file capability (security.capability, cap_net_raw+ep): the kernel
# clears it on chown, so it must be set after the owner (fsutil's order).
capblob='\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'
getcap_py() { python3 -c "import os,sys; print(os.getxattr(sys.argv[1], 'security.capability').hex())" "$1" 2>&1; }
echo bin >"$C/capbin"
if python3 -c "import os,sys; os.setxattr(sys.argv[1], 'security.capability', b'$capblob')" \
	"$C/capbin" 2>/dev/null; then
	copy '{"srcs":["capbin"],"dest":"/cap/b"}'
	is "$(getcap_py "$(up /cap/b)")" 0100000200200000000000000000000000000000 \
		"a file capability is copied (set after the owner, which clears it)"
	copy '{"srcs":["capbin"],"dest":"/cap2/b","chown":"app"}'
	is "$(getcap_py "$(up /cap2/b)")" 0100000200200000000000000000000000000000 \
		"... also under --chown"
	mkdir -p "$T/capsrc" && cp -a "$C/capbin" "$T/capsrc/" &&
		tar -C "$T/capsrc" --xattrs --xattrs-include='*' --owner=7 --group=8 --numeric-owner \
			-cf "$C/cap.tar" capbin
	copy '{"srcs":["cap.tar"],"dest":"/capx/"}' add
	is "$(getcap_py "$(up /capx/capbin)") $(stat -c %u:%g "$(up /capx/capbin)")" \
		"0100000200200000000000000000000000000000 7:8" \
		"ADD of a tar keeps a file capability with the entry's owner"
else
	skip "a file capability is copied" "cannot set security.capability here"
fi
done_testing

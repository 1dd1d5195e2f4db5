# sum: a content digest of what a COPY reads (rewritten only when it
# changes) and a make dependency file of the files and dirs read.
. "$SRCDIR/tests/sh/copy/lib.bash"
mkdir -p "$C/dir/sub" "$C/ign"
echo a >"$C/a.txt"; echo x >"$C/dir/x"; echo y >"$C/dir/sub/y"; echo i >"$C/ign/i"
echo "has space" >"$C/dir/sp ace#1:\$x"
printf 'ign\n' >"$C/.dockerignore"
SP='{"srcs":["a.txt","dir","*.md","ign*"],"dest":"/d/","ignore":"'"$C"'/.dockerignore"}'
K=0123456789abcdef0123456789abcdef
sum() { step sum "$K" "$(spec "$1")"; }
old() { touch -d '2000-01-01' "$S/$K.sum"; }
digest() { sed -n 2p "$S/$K.sum"; }

sum "$SP"
is "$?:$(head -1 "$S/$K.sum")" "0:df2make-sum 2" "sum writes STATE/KEY.sum"
like "$(digest)" '^[0-9a-f]{64}$' "... with a sha256 digest"
d0=$(digest); old
touch "$C/a.txt" "$C/dir/x"
sum "$SP"
is "$(stat -c %Y "$S/$K.sum")" "$(date -d 2000-01-01 +%s)" "touching inputs leaves KEY.sum untouched (mtime too)"
echo A >"$C/a.txt"
sum "$SP"
check "a content change rewrites KEY.sum" test "$(digest)" != "$d0"
d1=$(digest); old
chmod 0600 "$C/dir/x"; sum "$SP"
check "a mode change changes the digest" test "$(digest)" != "$d1"
d2=$(digest)
chown 77:77 "$C/dir/x"; sum "$SP"
is "$(digest)" "$d2" "owners do not count (context files are sent as 0:0)"
echo new >"$C/dir/sub/new"; sum "$SP"
check "a new file in a copied dir changes the digest" test "$(digest)" != "$d2"
d3=$(digest)
echo changed >"$C/ign/i"; sum "$SP"
is "$(digest)" "$d3" "ignored files are not read"
echo m >"$C/n.md"; sum "$SP"
check "a new wildcard match changes the digest" test "$(digest)" != "$d3"
d4=$(digest)
rm "$C/dir/sub/new"; ln -s x "$C/dir/sub/new"; sum "$SP"
check "a file replaced by a symlink changes the digest" test "$(digest)" != "$d4"
dep=$(cat "$S/$K.d")
like "$dep" "^$S/$K\\.sum $S/$K\\.seen: \\\\" "KEY.d starts with the rule for KEY.sum and KEY.seen"
like "$dep" " $C/a.txt \\\\" "KEY.d lists a file source"
like "$dep" " $C/dir \\\\" "KEY.d lists a directory read"
like "$dep" " $C/dir/sub/y" "KEY.d lists files inside directories"
like "$dep" " $C \\\\" "a wildcard source lists the directory it searched"
check "KEY.d does not list ignored files" test "$(grep -c "$C/ign" <<<"$dep")" = 0
check "KEY.d does not list symlinks (make would stat their targets)" test "$(grep -c "sub/new" <<<"$dep")" = 0
like "$dep" 'sp\\ ace\\#1\\:\$\$x' "names are escaped for make"
mkdir -p "$T/mk" && cd "$T/mk" && printf 'include %s\n%s:\n\techo ran\n' "$S/$K.d" "$S/$K.sum" >Makefile
touch -d '2000-01-01' "$S/$K.sum"
is "$(env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s --no-print-directory 2>&1)" "ran" "GNU make reads KEY.d and sees the inputs newer"
find "$C" -exec touch -h -d '2001-01-01' {} +; touch "$S/$K.sum"
is "$(env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s --no-print-directory 2>&1)" "" "... and nothing when KEY.sum is newer"
rm "$C/dir/sub/y"; touch -d '2001-01-01' "$C/dir/sub"
is "$(env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s --no-print-directory 2>&1)" "ran" "a deleted input does not stop make (empty rules, like gcc -MP)"
cd "$T"
step sum "$K" "$(spec '{"srcs":["missing"],"dest":"/m"}')"
like "$?:$(errmsg)" '^1:.*COPY step.*"missing": not found' "sum fails on a missing literal source"
step sum "$K" "$(spec '{"srcs":["x"],"dest":"/m","from":{"step":"base"},"context":null}')"
is "$?:$(cat "$S/$K.d")" "0:$S/$K.sum $S/$K.seen:" "--from reads no context: an empty dependency list"
mkdir -p "$C/semi"; echo s >"$C/semi/x;y"; echo p >"$C/semi/p|q"
step sum "$K" "$(spec '{"srcs":["semi"],"dest":"/s/"}')"
dep=$(cat "$S/$K.d")
check "a path with ';' or '|' is not named in KEY.d (make cannot)" \
	sh -c '! grep -qE "x;y|p\|q" "$1"' _ "$S/$K.d"
like "$dep" "$C/semi \\\\" "... its directory is listed instead"
done_testing

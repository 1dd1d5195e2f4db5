# COPY destination rules, directory merging, globs and source errors.
. "$SRCDIR/tests/sh/copy/lib.bash"
mkdir -p "$C/dir/sub" "$C/other" "$R/existing" "$R/app"
echo a >"$C/a.txt"; echo b >"$C/b.txt"; echo m >"$C/c.md"
echo x >"$C/dir/x"; echo y >"$C/dir/sub/y"; echo o >"$C/other/x"
echo keep >"$R/app/keep"; echo old >"$R/app/x"

copy '{"srcs":["a.txt"],"dest":"/x"}'
is "$(cat "$(up /x)")" a "COPY a /x writes the file /x"
check "the overlay work dir is removed after the copy" test ! -e "$S/$K/work"
check "  and the upper stays" test -d "$S/$K/upper"
copy '{"srcs":["a.txt"],"dest":"/x/"}'
is "$(cat "$(up /x/a.txt)")" a "COPY a /x/ writes /x/a.txt"
is "$(meta /x)" "directory 755 0:0" "a missing dest directory is created 0755 0:0"
copy '{"srcs":["a.txt"],"dest":"/existing"}'
is "$(cat "$(up /existing/a.txt)")" a "COPY a /existing (a directory) writes /existing/a.txt"
copy '{"srcs":["a.txt"],"dest":"rel/f","workdir":"/work/dir"}'
is "$(cat "$(up /work/dir/rel/f)")" a "a relative dest joins WORKDIR; parents are created"
copy '{"srcs":["a.txt"],"dest":".","workdir":"/wd"}'
is "$(cat "$(up /wd/a.txt)")" a "dest . is the WORKDIR as a directory"
copy '{"srcs":["dir"],"dest":"/app/"}'
is "$(cat "$(up /app/x)"):$(cat "$(up /app/sub/y)")" "x:y" "a directory's contents are copied, not the directory"
check "no /app/dir is made" test ! -e "$(up /app/dir)"
is "$(view "$K" 'cat app/keep app/x')" "keep
x" "contents merge into the existing dir; the source wins file by file"
copy '{"srcs":["dir"],"dest":"/newdir"}'
is "$(tree "$(up /newdir)")" "sub d 755 0:0 
sub/y f 644 0:0 
x f 644 0:0 " "a directory to a missing dest without slash makes that directory"
copy '{"srcs":["/dir/../a.txt"],"dest":"/c1"}'
is "$(cat "$(up /c1)")" a "a leading / and .. are cleaned away"
copy '{"srcs":["../../../a.txt"],"dest":"/c2"}'
is "$(cat "$(up /c2)")" a "../ cannot leave the context"
copy '{"srcs":["dir/"],"dest":"/c3/"}'
check "a trailing / on a source is ignored" test -f "$(up /c3/x)"
copy '{"srcs":["*.txt"],"dest":"/g/"}'
is "$(ls "$(up /g)" | tr '\n' ' ')" "a.txt b.txt " "*.txt matches only .txt files at the top"
copy '{"srcs":["*/x"],"dest":"/g2/"}'
is "$(cat "$(up /g2/x)")" o "a glob per segment; the later match wins the same name"
copy '{"srcs":["[ab].txt","c.md"],"dest":"/g3/"}'
is "$(ls "$(up /g3)" | tr '\n' ' ')" "a.txt b.txt c.md " "character classes and several sources"
copy '{"srcs":["nomatch*"],"dest":"/g4/"}'
is "$?:$(ls -A "$(up /)")" "0:" "a wildcard matching nothing is not an error and copies nothing"
copy '{"srcs":["missing.txt"],"dest":"/m"}'
is "$?" 1 "a missing literal source fails"
like "$(errmsg)" 'Dockerfile:7: COPY step: .*"missing.txt": not found' "the error names the line and the path"
check "  and leaves no overlay work dir either" test ! -e "$S/$K/work"
copy '{"srcs":["a.txt","b.txt"],"dest":"/two"}'
like "$?:$(errmsg)" '^1:.*more than one source file, the destination must be a directory and end with a /' \
	"several sources need a /-terminated dest"
copy '{"srcs":["*.txt"],"dest":"/w"}'
like "$?:$(errmsg)" '^1:.*must be a directory and end with a /' \
	"a wildcard matching several files needs a /-terminated dest"
check "  and copies none of them" test ! -e "$(up /w)"
# A wildcard with one match is one source: the file is written as dest
# (issue 15.7: `COPY f1?txt /single`), for every wildcard form.
echo one >"$C/f1.txt"
n=0
for pat in 'f1?txt' 'f1*' '*1.txt' 'f[1].txt' 'f[0-1].txt' 'f[^2].txt' 'f1.tx?'; do
	n=$((n + 1))
	copy '{"srcs":["'"$pat"'"],"dest":"/single'$n'"}'
	is "$?:$(cat "$(up /single$n)" 2>&1)" "0:one" "COPY $pat /single$n (one match) writes the file /single$n"
done
copy '{"srcs":["d*"],"dest":"/onedir"}'
is "$?:$(tree "$(up /onedir)")" "0:sub d 755 0:0 
sub/y f 644 0:0 
x f 644 0:0 " "a wildcard matching one directory copies its contents to a non-slash dest"
rm "$C/f1.txt"
echo file >"$R/afile"
copy '{"srcs":["dir"],"dest":"/afile"}'
like "$?:$(errmsg)" '^1:.*cannot copy to non-directory' "a directory onto a file is an error"
mkdir -p "$R/d2/a.txt"
copy '{"srcs":["a.txt"],"dest":"/d2/a.txt/"}'
is "$(cat "$(up /d2/a.txt/a.txt)")" a "a file into a directory named like it goes inside"
copy '{"srcs":["http://example.com/x"],"dest":"/u"}'
like "$?:$(errmsg)" "^1:.*can't be a URL for COPY" "COPY rejects URL sources"
copy '{"srcs":["https://example.com/x.tar"],"dest":"/u"}' add
like "$?:$(errmsg)" '^1:df2make-runtime: Dockerfile:7: ADD step: https://example.com/x.tar: a URL or git source needs its fetch step' \
	"ADD of a URL without its fetch step (a spec not from df2make): error at file:line"
copy '{"srcs":["git@github.com:a/b.git"],"dest":"/u"}' add
like "$(errmsg)" "needs its fetch step" "ADD of a git source without its fetch step: error"
check "a failed step writes no stamp" test ! -e "$S/$K.done"
copy '{"srcs":["a.txt"],"dest":"/"}'
check "success writes the stamp" test -f "$S/$K.done"
is "$(jq -r '.[-1].step' "$S/$K/chain.json")" "$K" "chain.json ends with the step's upper"
copy '{"srcs":["nomatch*"],"dest":"/g4/","parent":null}'
is "$?:$(jq -c . "$S/$K/chain.json")" '0:[]' "scratch + an empty copy gives an empty chain"
done_testing

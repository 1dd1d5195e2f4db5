# --parents, --exclude, heredoc sources and .dockerignore.
. "$SRCDIR/tests/sh/copy/lib.bash"
mkdir -p "$C/x/y/z" "$C/src/a/b" "$C/docs" "$C/secret"
echo t >"$C/x/y/f.txt"; echo z >"$C/x/y/z/g.txt"; echo n >"$C/x/y/no.md"
echo 1 >"$C/src/a/one.go"; echo 2 >"$C/src/a/b/two.go"; echo 3 >"$C/src/top.go"; echo r >"$C/src/README"
echo d >"$C/docs/a.txt"; echo k >"$C/docs/keep.txt"; echo s >"$C/secret/key"; echo p >"$C/plain.txt"
chmod 0750 "$C/x/y"

copy '{"srcs":["x/y/f.txt"],"dest":"/p/","parents":true}'
is "$(cat "$(up /p/x/y/f.txt)")" t "--parents keeps the source path under the dest"
is "$(meta /p/x/y)" "directory 750 0:0" "--parents recreates parent dirs with the source's mode"
copy '{"srcs":["./x/./y/*.txt"],"dest":"/q/","parents":true}'
is "$(cd "$(up /q)" && find . | LC_ALL=C sort | tr '\n' ' ')" ". ./y ./y/f.txt " "/./ sets the pivot"
copy '{"srcs":["src/**/*.go"],"dest":"/g/","parents":true}'
is "$(cd "$(up /g)" && find . -type f | LC_ALL=C sort | tr '\n' ' ')" \
	"./src/a/b/two.go ./src/a/one.go ./src/top.go " "--parents with ** matches at any depth"
copy '{"srcs":["x"],"dest":"/pd/","parents":true}'
is "$(cat "$(up /pd/x/y/z/g.txt)")" z "--parents with a directory keeps its name"
copy '{"srcs":["docs"],"dest":"/e/","excludes":["*.txt"]}'
is "$(ls -A "$(up /e)")" "" "--exclude matches below a directory source"
copy '{"srcs":["docs"],"dest":"/e2/","excludes":["keep*"]}'
is "$(ls "$(up /e2)" | tr '\n' ' ')" "a.txt " "--exclude drops just the matching file"
copy '{"srcs":["*"],"dest":"/e3/","excludes":["*.txt","secret"]}'
check "--exclude on a wildcard match" test ! -e "$(up /e3/plain.txt)"
check "--exclude of a directory drops it all" test ! -e "$(up /e3/key)"
check "... and the rest is copied" test -f "$(up /e3/README)"
copy '{"srcs":["x"],"dest":"/e4/","excludes":["y/z"]}'
is "$(cd "$(up /e4)" && find . | LC_ALL=C sort | tr '\n' ' ')" ". ./y ./y/f.txt ./y/no.md " \
	"--exclude of a subdirectory, relative to the source"
copy '{"srcs":["x"],"dest":"/e5/","excludes":["x/y/*.md"]}'
check "--exclude relative to the context root" test ! -e "$(up /e5/y/no.md)"
copy '{"srcs":["docs"],"dest":"/n1/","excludes":["*.txt","!keep.txt"]}'
is "$(ls -A "$(up /n1)" | tr '\n' ' ')" "keep.txt " "--exclude=!pattern re-includes, as in .dockerignore"
copy '{"srcs":["x"],"dest":"/n2/","excludes":["y","!y/z/g.txt"]}'
is "$(cd "$(up /n2)" && find . | LC_ALL=C sort | tr '\n' ' ')" ". ./y ./y/z ./y/z/g.txt " \
	"an excluded directory is walked for a later ! exception below it"
copy '{"srcs":["docs"],"dest":"/n3/","excludes":["!keep.txt","*.txt"]}'
is "$(ls -A "$(up /n3)")" "" "the last matching pattern wins (an exception before the exclude does nothing)"
copy '{"srcs":["*"],"dest":"/n4/","excludes":["*.txt","!plain.txt"]}'
is "$(test -f "$(up /n4/plain.txt)" && echo kept):$(test -e "$(up /n4/a.txt)" || echo gone)" \
	"kept:gone" "--exclude with ! on wildcard matches"
copy '{"srcs":["docs"],"dest":"/n5/","excludes":["!"]}'
like "$?:$(errmsg)" '^1:.*illegal exclusion pattern: "!"' "a lone ! is refused as by patternmatcher"
copy '{"srcs":["docs"],"dest":"/e6/","excludes":["[z"]}'
like "$?:$(errmsg)" '^1:.*invalid --exclude pattern' "a malformed --exclude fails"
copy '{"srcs":[],"heredocs":[{"name":"EOF","content":"hello\nworld\n"}],"dest":"/h/"}'
is "$(cat "$(up /h/EOF)")|$(meta /h/EOF)" "hello
world|regular file 644 0:0" "a heredoc is a file named after its delimiter, 0644"
copy '{"srcs":[],"heredocs":[{"name":"run","content":"#!/bin/sh\n"}],"dest":"/h2","chmod":"0755","chown":"app"}'
is "$(meta /h2)" "regular file 755 1000:1001" "a heredoc with a file dest, --chmod and --chown"
copy '{"srcs":["plain.txt"],"heredocs":[{"name":"A","content":"a"}],"dest":"/h3"}'
like "$?:$(errmsg)" '^1:.*must be a directory and end with a /' "a heredoc counts as a source"
printf 'secret\n*.md\n!x/y/no.md\ndocs/keep.txt\n' >"$C/.dockerignore"
IG='"ignore":"'"$C"'/.dockerignore"'
copy '{"srcs":["secret"],"dest":"/i",'"$IG"'}'
like "$?:$(errmsg)" '^1:.*"secret": not found' "an ignored source is not found"
copy '{"srcs":["docs"],"dest":"/i2/",'"$IG"'}'
is "$(ls "$(up /i2)" | tr '\n' ' ')" "a.txt " "ignored files inside a directory are invisible"
copy '{"srcs":["."],"dest":"/i3/",'"$IG"'}'
check "a re-included file under an excluded pattern is copied" test -f "$(up /i3/x/y/no.md)"
check "the ignored directory is absent" test ! -e "$(up /i3/secret)"
copy '{"srcs":["*"],"dest":"/i4/",'"$IG"'}'
check "a wildcard does not see ignored paths" test ! -e "$(up /i4/key)"
# A link to an ignored path leads nowhere: BuildKit's client sends the link
# but never its target.
ln -s secret/key "$C/keylink"; ln -s secret "$C/seclink"; ln -s docs "$C/doclink"
copy '{"srcs":["keylink"],"dest":"/i5",'"$IG"'}'
like "$?:$(errmsg)" '^1:.*"keylink": not found' "a link to an ignored file is not found"
copy '{"srcs":["seclink"],"dest":"/i6/",'"$IG"'}'
like "$?:$(errmsg)" '^1:.*"seclink": not found' "a link to an ignored directory is not found"
check "  and nothing of it is copied" test ! -e "$(up /i6/key)"
copy '{"srcs":["seclink/*"],"dest":"/i7/",'"$IG"'}'
like "$?:$(errmsg)" '^1:.*"seclink": not found' "a wildcard below a link to an ignored directory: not found"
copy '{"srcs":["doclink"],"dest":"/i8/",'"$IG"'}'
is "$?:$(ls "$(up /i8)" | tr '\n' ' ')" "0:a.txt " "a link to a directory: its ignored files stay out"
copy '{"srcs":["doclink/*"],"dest":"/i9/",'"$IG"'}'
is "$?:$(ls "$(up /i9)" | tr '\n' ' ')" "0:a.txt " "a wildcard through the link does not see them either"
# sum reads what the copy reads: an ignored file behind the link is not summed.
newkey
SUMSPEC=$(spec '{"srcs":["doclink"],"dest":"/s/",'"$IG"'}')
step sum "$K" "$SUMSPEC"
d0=$(sed -n 2p "$S/$K.sum")
echo changed >"$C/docs/keep.txt"
step sum "$K" "$SUMSPEC"
is "$(sed -n 2p "$S/$K.sum")" "$d0" "sum through a link ignores the ignored file's content"
echo more >"$C/docs/a.txt"
step sum "$K" "$SUMSPEC"
check "  but sees its visible files' content" test "$(sed -n 2p "$S/$K.sum")" != "$d0"
done_testing

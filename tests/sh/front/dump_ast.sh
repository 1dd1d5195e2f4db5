#!/usr/bin/env bash
# df2make --dump-ast FILE prints BuildKit's syntax-tree dump: every parser
# vector of the conformance set must come out byte for byte, and a file
# BuildKit rejects must give the standard diagnostic and exit status 1.
. "$SRCDIR/tests/lib.sh"
: "${DF2MAKE:?}" "${CONFORMANCE:?}"
[ -x "$DF2MAKE" ] || skip_all "df2make not built"
if "$DF2MAKE" --dump-ast /dev/null 2>&1 | grep -q "not available"; then
	skip_all "df2make built without --dump-ast"
fi

for d in "$CONFORMANCE"/buildkit/parser/testfiles/*/; do
	name=$(basename "$d")
	got=$("$DF2MAKE" --dump-ast "$d/Dockerfile" 2>/dev/null; echo x)
	want=$(cat "$d/result"; echo x)
	is "$got" "$want" "dump-ast $name"
done

printf 'FROM alpine\nRUN ["a", 1]\n' >"$T/Dockerfile"
err=$("$DF2MAKE" --dump-ast "$T/Dockerfile" 2>&1 >/dev/null)
is "$err" "$T/Dockerfile:2:5: error: when using JSON array syntax, arrays must be comprised of strings only
RUN [\"a\", 1]
    ^" "dump-ast error message with source line and caret"
"$DF2MAKE" --dump-ast "$T/Dockerfile" >/dev/null 2>&1
is "$?" "1" "dump-ast exits 1 on a parse error"

printf 'FROM alpine\nFOO --bar baz\n' >"$T/Dockerfile"
is "$("$DF2MAKE" --dump-ast "$T/Dockerfile")" '(from "alpine")
(foo ["--bar"] "")' "dump-ast shows unknown instructions as BuildKit's parser does"

done_testing

#!/usr/bin/env bash
# df2make reports Dockerfile errors as FILE:LINE:COL: error: MSG, the source
# line and a caret, and exits 1; reader warnings do not stop the build.
. "$SRCDIR/tests/lib.sh"
: "${DF2MAKE:?}"
[ -x "$DF2MAKE" ] || skip_all "df2make not built"
cd "$T" || exit 1
touch a

printf 'FROM scratch\nCOPY --chwon=1 a /b\n' >Dockerfile
err=$("$DF2MAKE" -f "$T/Dockerfile" "$T" 2>&1 >/dev/null)
rc=$?
is "$rc" "1" "a bad flag fails the compile"
is "$err" "$T/Dockerfile:2:6: error: unknown flag: --chwon (did you mean chown?)
COPY --chwon=1 a /b
     ^" "unknown flag: message, source line and caret"

printf 'FROM scratch\nRUN <<EOF\necho hi\n' >Dockerfile
err=$("$DF2MAKE" -f "$T/Dockerfile" "$T" 2>&1 >/dev/null)
is "$(printf '%s\n' "$err" | head -1)" "$T/Dockerfile:2:1: error: unterminated heredoc" \
	"unterminated heredoc points at its instruction"

printf 'RUN true\nFROM scratch\n' >Dockerfile
err=$("$DF2MAKE" -f "$T/Dockerfile" "$T" 2>&1 >/dev/null)
is "$(printf '%s\n' "$err" | head -1)" "$T/Dockerfile:1:1: error: no build stage in current context" \
	"FROM must come first"

: >Dockerfile
err=$("$DF2MAKE" -f "$T/Dockerfile" "$T" 2>&1 >/dev/null)
is "$(printf '%s\n' "$err" | head -1)" "$T/Dockerfile:1:1: error: the Dockerfile cannot be empty" \
	"empty Dockerfile"

printf 'FROM scratch\nCOPY a \\\n\n  /b\n' >Dockerfile
err=$("$DF2MAKE" -f "$T/Dockerfile" "$T" 2>&1 >/dev/null)
like "$err" "^$T/Dockerfile:4:1: warning: Empty continuation line found in: COPY a   /b" \
	"empty continuation line is a warning"

done_testing

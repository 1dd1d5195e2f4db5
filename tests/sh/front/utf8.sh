#!/usr/bin/env bash
# Bytes that are not UTF-8: in instruction text or a heredoc they are a
# located error (FILE:LINE:COL at the bad byte, exit 1, nothing on stdout);
# comments may hold any bytes; --plan stops with an error instead of
# handing them to libyaml (whose emitter loops on them).
. "$SRCDIR/tests/lib.sh"
: "${DF2MAKE:?}"
[ -x "$DF2MAKE" ] || skip_all "df2make not built"
cd "$T" || exit 1
export SOURCE_DATE_EPOCH=0
store="$T/store"
tail='(instructions and heredocs must be UTF-8 text)'

# compile [ARGS...]: runs df2make on $T with a timeout; sets out, err, rc.
compile() {
	out=$(timeout 5 "$DF2MAKE" --store "$store" "$@" 2>"$T/err")
	rc=$?
	err=$(cat "$T/err")
}

printf 'FROM scratch\nRUN echo \xff\n' >Dockerfile
compile "$T"
is "$rc" "1" "invalid UTF-8 in RUN fails the compile"
is "$out" "" "nothing on stdout"
is "$err" "$T/Dockerfile:2:10: error: invalid UTF-8 byte 0xff $tail
RUN echo $(printf '\xff')
         ^" "message, source line and caret at the bad byte"

printf 'FROM scratch\nRUN echo a \\\n # c \xfe\n  b\xc3\xa9 \\\n  c\xc3\n' >Dockerfile
compile "$T"
is "$rc" "1" "invalid UTF-8 on a continuation line fails"
is "$(printf '%s\n' "$err" | head -1)" \
	"$T/Dockerfile:5:4: error: invalid UTF-8 byte 0xc3 $tail" \
	"continuation: the physical line and column of the truncated sequence"

printf 'FROM scratch\nRUN <<EOF\necho ok\n\techo \xe2\x82\nEOF\n' >Dockerfile
compile "$T"
is "$rc" "1" "invalid UTF-8 in a heredoc fails"
is "$(printf '%s\n' "$err" | head -1)" \
	"$T/Dockerfile:4:7: error: invalid UTF-8 byte 0xe2 $tail" "heredoc: line and column"

printf 'FROM scratch\nLABEL a=\xed\xa0\x80\n' >Dockerfile
compile "$T"
is "$(printf '%s\n' "$err" | head -1)" \
	"$T/Dockerfile:2:9: error: invalid UTF-8 byte 0xed $tail" "an encoded surrogate is rejected"

printf '# syntax=x\n# \xff\xfe comment\nFROM scratch\nRUN echo \xc3\xa9 \\\n  # \xff\n  ok\n' >Dockerfile
compile "$T"
is "$rc" "0" "comments may hold any bytes"
is "$err" "" "no diagnostic for bytes in comments"

compile --plan "$T"
is "$rc" "0" "--plan with bytes in comments"

mkdir -p src
printf 'x' >"src/a$(printf '\xff')b"
printf 'FROM scratch\nCOPY src/ /x/\n' >Dockerfile
compile --plan "$T"
is "$rc" "1" "--plan does not hang on a context file name that is not UTF-8"
is "$out" "" "--plan: nothing on stdout"
is "$err" 'df2make: plan: "src/a\xffb" is not valid UTF-8, which a YAML plan cannot hold' \
	"--plan names the value, Go-quoted"

# shellcheck disable=SC2016 # $X is the Dockerfile's
printf 'FROM scratch\nARG X\nRUN echo $X\n' >Dockerfile
rm -rf src
compile --plan --build-arg "X=$(printf '\xff')" "$T"
is "$rc" "0" "--plan with a build-arg that is not UTF-8 (not in the plan)"

done_testing

#!/usr/bin/env bash
# The command line: help, version, usage errors (exit 1, an unknown
# option 2; nothing on stdout), -o in buildx syntax, --dump-ast, --target
# replayed by the remake rule, absolute paths.
. "$SRCDIR/tests/lib.sh"
mkdir -p "$T/ctx"
printf 'FROM scratch AS b\nRUN x\nFROM scratch\nCOPY --from=b /x /x\n' >"$T/ctx/Dockerfile"
cd "$T" || exit 1

out=$("$DF2MAKE" --help)
is "$?" 0 "--help exits 0"
like "$out" "^usage: df2make" "--help prints the usage"
is "$("$DF2MAKE" --version | head -1)" "df2make 0.1.0" "--version"
"$DF2MAKE" --no-such-option >"$T/out" 2>"$T/err"
is "$?" 2 "an unknown option exits 2 (getopt's usage error)"
is "$(wc -c <"$T/out")" 0 "... with nothing on stdout"
"$DF2MAKE" a b >"$T/out" 2>"$T/err"
is "$?" 1 "two contexts are a usage error"
"$DF2MAKE" --compress lz4 ctx >"$T/out" 2>"$T/err"
like "$(cat "$T/err")" "want none, gzip or zstd" "a bad --compress is refused"
"$DF2MAKE" -o type=foo,dest=x ctx >"$T/out" 2>"$T/err"
is "$?" 1 "a bad -o type is refused"
"$DF2MAKE" --store "$T/s" -f ctx/Dockerfile -o type=oci,dest=out/oci --target B ctx >build.mk 2>"$T/err"
is "$?" 0 "-f, -o type=oci and --target (any case)"
like "$(grep ' pack ' build.mk)" '"output":\{"type":"oci","dest":"out/oci"\}' "the pack spec has the oci output"
like "$(grep "^	@'" build.mk | head -1)" "'-f' '$T/ctx/Dockerfile' '--target' 'B' '-o' 'type=oci,dest=out/oci' '--store' '$T/s'.* '$T/ctx' >" \
	"the remake rule replays the arguments with absolute paths"
check "the target's stage only" bash -c "! grep -q 'COPY --from' build.mk"
"$DF2MAKE" --store "$T/s" -o type=oci,dest=o.tar,tar=false ctx >build.mk 2>"$T/err"
like "$(grep ' pack ' build.mk)" '"output":\{"type":"oci","dest":"o.tar","tar":false\}' \
	"-o type=oci,tar=false reaches the pack spec"
like "$(grep "^	@'" build.mk | head -1)" "'-o' 'type=oci,dest=o.tar,tar=false'" "... and is replayed"
"$DF2MAKE" --store "$T/s" -o type=docker,dest=img.tar,tar=true ctx >"$T/out" 2>"$T/err"
is "$?:$(cat "$T/err")" "1:df2make: -o: tar= applies to type=oci only" "tar= with another type is refused"
"$DF2MAKE" --store "$T/s" -o type=docker,dest=img.tar ctx >build.mk 2>"$T/err"
like "$(grep ' pack ' build.mk)" '"output":\{"type":"tar","dest":"img.tar"\}' "type=docker writes a tar"
"$DF2MAKE" --store "$T/s" --state "$T/50%" ctx >"$T/out" 2>"$T/err"
like "$(cat "$T/err")" "cannot be named in a Makefile" "a state directory make cannot name is refused"
echo "top-secret-content" >"$T/secret.txt"
printf 'FROM scratch\nRUN --mount=type=secret,id=tok cat /run/secrets/tok\n' >"$T/ctx/Dockerfile.s"
"$DF2MAKE" --store "$T/s" -f ctx/Dockerfile.s --secret id=tok,src=secret.txt ctx >build.mk 2>"$T/err"
like "$(grep ' run ' build.mk)" "\"src\":\"$T/secret.txt\"" "a secret's absolute src path is in the RUN spec"
check "... never its content" bash -c "! grep -q top-secret-content build.mk"
out=$("$DF2MAKE" --dump-ast ctx/Dockerfile)
like "$out" "^\(from \"scratch\" \"AS\" \"b\"\)" "--dump-ast prints the syntax tree"
printf 'FROM scratch\nFROB x\n' >"$T/bad"
"$DF2MAKE" -f "$T/bad" ctx >"$T/out" 2>"$T/err"
is "$?" 1 "a Dockerfile error exits 1"
is "$(wc -c <"$T/out")" 0 "... with nothing on stdout"
like "$(head -1 "$T/err")" "^$T/bad:2:1: error: " "... and FILE:LINE:COL: error:"
done_testing

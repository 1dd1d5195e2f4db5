#!/usr/bin/env bash
# Paths make and the shell both read: a context, state and output with
# spaces, #, $, :, quotes and unicode, and context files named so. The
# generated Makefile must build, be up to date afterwards, and notice a
# change of such a file.
. "$SRCDIR/tests/lib.sh"
need make python3
STUB="$SRCDIR/tests/stub-runtime"
export STUB_LOG="$T/log"
ctx="$T/c tx#1\$x é"
state="$T/st ate#2"
mkdir -p "$ctx/d ir" "$T/out dir"
cd "$T/out dir" || exit 1
echo a >"$ctx/we ird:#1.txt"
echo b >"$ctx/d ir/it's \$HOME.txt"
echo c >"$ctx/ünï cødé.txt"
cat >"$ctx/Dockerfile" <<'DF'
FROM scratch
COPY ["we ird:#1.txt", "ünï cødé.txt", "/dst/"]
COPY d?ir /d/
RUN echo "$HOME" '#not a comment' % \; done
DF
"$DF2MAKE" --store "$T/store" --state "$state" -o "$T/out dir/ima'ge\$1.tar" "$ctx" >build.mk 2>"$T/err"
is "$?" 0 "compiles"
make -f build.mk DF2MAKE_RUNTIME="$STUB" >"$T/make.out" 2>&1
is "$?" 0 "make builds"
check "the state directory is the one asked for" test -e "$state/stub.log" -o -s "$STUB_LOG"
check "the image is where -o said" test -s "$T/out dir/ima'ge\$1.tar"
like "$(grep -c '^run ' "$STUB_LOG")" "^1$" "the RUN ran once"
like "$(grep '^run ' "$STUB_LOG")" "RUN echo \"\\\$HOME\" '#not a comment' % \\\\; done$" \
	"the RUN text reached the runtime intact"
make -q -f build.mk DF2MAKE_RUNTIME="$STUB" >/dev/null 2>&1
is "$?" 0 "up to date afterwards"
sleep 1.1
echo changed >"$ctx/d ir/it's \$HOME.txt"
n=$(wc -l <"$STUB_LOG")
make -f build.mk DF2MAKE_RUNTIME="$STUB" >"$T/make.out" 2>&1
is "$?" 0 "rebuilds"
like "$(tail -n +$((n + 1)) "$STUB_LOG" | cut -d' ' -f1 | sort | tr '\n' ' ')" "^copy pack run sum $" \
	"a change to a file with a quote and \$ in its name reruns its COPY"
echo x >"$ctx/semi;colon"
cat >>"$ctx/Dockerfile" <<'DF'
COPY semi* /s/
DF
make -f build.mk DF2MAKE_RUNTIME="$STUB" >"$T/make.out" 2>&1
is "$?" 0 "a file make cannot name (;) is tracked through its directory"
done_testing

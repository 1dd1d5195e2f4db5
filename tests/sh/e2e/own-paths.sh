#!/usr/bin/env bash
# The README's usage, build.mk and the default .df2make/ and image.tar in the
# context directory itself: `COPY . /ctx/` must not copy df2make's own state
# or output into the image, a second make does nothing, and a file named
# with '%' or non-ASCII letters is copied like any other.
. "$SRCDIR/tests/lib.sh"
need make python3
[ "$(id -u)" = 0 ] || skip_all "needs root (overlay mounts)"
C=$T/ctx
mkdir -p "$C"
cd "$C" || exit 1
printf 'FROM scratch\nCOPY . /ctx/\n' >Dockerfile
echo data >data.txt
echo p >'percent%x'
echo u >'unicode-é.txt'
export DF2MAKE_STORE=$T/store
"$DF2MAKE" . >build.mk 2>"$T/compile.log"
is "$?" 0 "df2make . > build.mk in the context"
make -f build.mk DF2MAKE_RUNTIME="$DF2MAKE_RUNTIME_BIN" >"$T/make1.log" 2>&1
is "$?" 0 "make builds image.tar beside build.mk"
sed 's/^/#   /' "$T/make1.log" | tail -5
names=$(python3 - image.tar <<'PY'
import json, sys, tarfile
t = tarfile.open(sys.argv[1])
m = json.load(t.extractfile("manifest.json"))
names = set()
for l in m[0]["Layers"]:
    names.update(tarfile.open(fileobj=t.extractfile(l)).getnames())
print("\n".join(sorted(n.lstrip("./") for n in names)))
PY
)
like "$names" '^ctx/data\.txt$' "the context's files are in the image"
like "$names" 'ctx/percent%x' "a name with '%' is copied"
like "$names" 'ctx/unicode-é\.txt' "a non-ASCII name is copied"
check "the state directory .df2make is not in the image" sh -c '! printf "%s\n" "$1" | grep -q "\.df2make"' _ "$names"
check "the output image.tar is not in the image" sh -c '! printf "%s\n" "$1" | grep -q "image\.tar"' _ "$names"
out=$(make -f build.mk DF2MAKE_RUNTIME="$DF2MAKE_RUNTIME_BIN" 2>&1)
like "$out" "Nothing to be done|is up to date" "a second make does nothing"
printf '%s\n' "$out" | head -5 | sed 's/^/#   /'
done_testing

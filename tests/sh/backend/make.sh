#!/usr/bin/env bash
# build.mk's behaviour under GNU make, with tests/stub-runtime standing in
# for the runtime: parallel stages, unused stages, no-op rebuilds, content
# checksums, edits of one instruction, new files, regeneration.
. "$SRCDIR/tests/lib.sh"
need make python3
STUB="$SRCDIR/tests/stub-runtime"
export STUB_LOG="$T/log"
mkdir -p "$T/ctx/src" "$T/out"
cd "$T/out" || exit 1
echo one >"$T/ctx/src/a.txt"
echo top >"$T/ctx/top.txt"
cat >"$T/ctx/Dockerfile" <<'DF'
FROM scratch AS a
COPY src/ /src/
RUN build-a
RUN finish-a

FROM scratch AS b
COPY top.txt /
RUN build-b

FROM nosuch.example/never/there AS unused
COPY does-not-exist /
RUN unused-marker

FROM scratch
COPY --from=a /src /a
COPY --from=b /top.txt /b
CMD ["/a"]
DF
mk() { make -f build.mk DF2MAKE_RUNTIME="$STUB" "$@" >"$T/make.out" 2>&1; }
ops() { cut -d' ' -f1,5- "$STUB_LOG" 2>/dev/null | sed 's/ \[[^]]*\]//' | LC_ALL=C sort | tr '\n' ';'; }
since() { tail -n +"$(($1 + 1))" "$STUB_LOG" | cut -d' ' -f1,5- | sed 's/ \[[^]]*\]//' | LC_ALL=C sort | tr '\n' ';'; }
lines() { wc -l <"$STUB_LOG" 2>/dev/null || echo 0; }

"$DF2MAKE" --store "$T/store" "$T/ctx" >build.mk 2>"$T/err"
is "$?" 0 "an unused stage FROM a missing image with a broken COPY compiles"
check "the unused stage is not in build.mk" bash -c "! grep -q unused-marker build.mk"
is "$(cat "$T/err")" "" "the unused stage's image is never looked up (no warning)"

STUB_MEET="RUN build-a|RUN build-b" mk -j2
is "$?" 0 "make -j2 builds"
read -r s1 e1 < <(awk '/ RUN build-a/ {print $3, $4}' "$STUB_LOG")
read -r s2 e2 < <(awk '/ RUN build-b/ {print $3, $4}' "$STUB_LOG")
check "independent stages overlap under make -j2" test "$s1" -lt "$e2" -a "$s2" -lt "$e1"
check "the image was written" test -s image.tar
is "$(grep -c 'unused' "$STUB_LOG")" 0 "the unused stage is never called"

n=$(lines)
mk
is "$(lines)" "$n" "nothing changed: make calls nothing"
make -q -f build.mk DF2MAKE_RUNTIME="$STUB" >/dev/null 2>&1
is "$?" 0 "nothing changed: make -q says up to date"

sleep 1.1
touch "$T/ctx/src/a.txt"
n=$(lines)
mk
is "$(since "$n")" "sum COPY src/ /src/;" "touch of a copied file runs only its COPY's checksum"
make -q -f build.mk DF2MAKE_RUNTIME="$STUB" >/dev/null 2>&1
is "$?" 0 "after the touch, make -q says up to date"

echo two >"$T/ctx/src/a.txt"
n=$(lines)
mk
is "$(since "$n")" "copy COPY --from=a /src /a;copy COPY --from=b /top.txt /b;copy COPY src/ /src/;fsum COPY --from=a /src /a;pack exporting to image;run RUN build-a;run RUN finish-a;sum COPY src/ /src/;" \
	"changing a copied file reruns that COPY and what follows"

# A --from stage that runs again with the same result: the digest of what
# the COPY takes stays, so nothing after it runs (BuildKit: CACHED).
sleep 1.1
touch ".df2make/$(awk '/ RUN build-a/ {k = $2} END {print k}' "$STUB_LOG").done"
n=$(lines)
mk
is "$(since "$n")" "fsum COPY --from=a /src /a;run RUN finish-a;" \
	"a stage run again with the same result stops at the --from digest"
n=$(lines)
mk
is "$(lines)" "$n" "after that, make calls nothing"

sleep 1.1
echo new >"$T/ctx/src/new.txt"
n=$(lines)
mk
like "$(since "$n")" "^copy COPY --from=a.*copy COPY src/ /src/;.*run RUN build-a;.*sum COPY src/ /src/;$" \
	"adding a file to a copied directory reruns that COPY"

sleep 1.1
echo newer >"$T/ctx/src/new.txt"
n=$(lines)
mk
like "$(since "$n")" "copy COPY src/ /src/;" "a file added after build.mk was made is tracked too"

sed -i 's/^RUN finish-a$/RUN finish-a --edited/' "$T/ctx/Dockerfile"
n=$(lines)
mk
is "$(since "$n")" "copy COPY --from=a /src /a;copy COPY --from=b /top.txt /b;fsum COPY --from=a /src /a;fsum COPY --from=b /top.txt /b;pack exporting to image;run RUN finish-a --edited;" \
	"editing instruction N reruns only the steps from N on and what depends on them"
check "editing the Dockerfile regenerated build.mk" grep -q 'finish-a --edited' build.mk
like "$(cat "$T/make.out")" "regenerating" "make said it regenerated build.mk"

sed -i 's/^CMD \["\/a"\]$/CMD ["\/b"]/' "$T/ctx/Dockerfile"
n=$(lines)
mk
is "$(since "$n")" "pack exporting to image;" "a config-only change packs again and runs nothing else"

n=$(lines)
mk b
is "$(lines)" "$n" "the stage target b is up to date"
mk clean
check "clean removes the state directory" test ! -e .df2make
check "clean keeps the image" test -e image.tar
done_testing

#!/usr/bin/env bash
# make's own contract on a generated build.mk, as a make user exercises it:
# `make -j4` interrupted with SIGINT (Ctrl-C: the whole process group)
# while a RUN runs, then run again, finishes with the image a clean build
# gives; `make -q` and `make -n` after it; a context file .dockerignore
# excludes, touched and edited: nothing runs; an edited Dockerfile:
# build.mk remakes itself and only what changed runs; `make clean` then
# make; `make -B`. SOURCE_DATE_EPOCH makes the image's bytes reproducible,
# so "the same image" is the same digest.
. "$SRCDIR/tests/lib.sh"
. "$SRCDIR/tests/lib/ctxbuild.sh"
need setsid jq timeout pgrep
ctxbuild_busybox
export SOURCE_DATE_EPOCH=1700000000
echo fast >"$T/ctx/f.txt"
echo ignored >"$T/ctx/ignored.txt"
printf 'ignored.txt\nDockerfile\n' >"$T/ctx/.dockerignore"
cat >"$T/ctx/Dockerfile" <<'DF'
FROM busybox AS slow
RUN echo started; sleep 3.17; echo slow >/slow
FROM busybox AS fast
COPY . /ctx/
RUN cat /ctx/f.txt >/fast
FROM busybox
COPY --from=slow /slow /slow
COPY --from=fast /fast /fast
CMD ["cat", "/slow"]
DF
M() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL timeout 300 make -f build.mk DF2MAKE_RUNTIME="$DF2MAKE_RUNTIME_BIN" PROGRESS=plain "$@"; }
digest() { tar -xOf "$1" index.json | jq -r '.manifests[0].digest'; }
ran() { grep -oE '^#[0-9]+ \[[a-z0-9-]+ [0-9]+/[0-9]+\] RUN' "$1" | sed 's/^#[0-9]* //' | sort | paste -sd' '; }

# the reference: a clean build elsewhere (own state and output)
mkdir -p "$T/ref"
(cd "$T/ref" && "$DF2MAKE" "$T/ctx" >build.mk 2>"$T/ref.err" && M -j4 >"$T/ref.log" 2>&1)
is "$?" 0 "a clean build (the reference)"
ref=$(digest "$T/ref/image.tar")

"$DF2MAKE" "$T/ctx" >build.mk 2>"$T/compile.log"
is "$?" 0 "df2make > build.mk"
setsid env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL bash -c 'exec timeout 300 make -f build.mk -j4 DF2MAKE_RUNTIME="$1" PROGRESS=plain' _ \
	"$DF2MAKE_RUNTIME_BIN" >"$T/int.log" 2>&1 &
pid=$!
for _ in $(seq 600); do grep -q ' started$' "$T/int.log" && break; sleep 0.1; done
kill -INT -- "-$pid"
wait "$pid"
rc=$?
check "make -j4 interrupted by SIGINT while a RUN runs: it fails" [ "$rc" != 0 ]
grep -q ' started$' "$T/int.log" || echo "# the RUN never started: $(tail -3 "$T/int.log")"
check "  no image.tar" [ ! -e image.tar ]
# the RUN's processes die with it (the sleep would last 3 s more)
is "$(pgrep -xf 'sleep 3.17' | wc -l)" 0 "  no process of the interrupted RUN is left"
check "  no temp file left beside the output" [ -z "$(ls -A | grep -E '^\.image\.tar')" ]
M -j4 >"$T/again.log" 2>&1
is "$?" 0 "make -j4 again finishes"
like "$(ran "$T/again.log")" "RUN" "  it ran the interrupted RUN ($(ran "$T/again.log"))"
is "$(digest image.tar)" "$ref" "  the image is the clean build's"

M -q >/dev/null 2>&1
is "$?" 0 "make -q: up to date"
is "$(M -n 2>&1)" "make: Nothing to be done for 'all'." "make -n: nothing to do"

touch "$T/ctx/ignored.txt"
echo changed >"$T/ctx/ignored.txt"
M -q >/dev/null 2>&1
is "$?" 0 "a file .dockerignore excludes, edited: make -q still up to date"
is "$(M 2>&1)" "make: Nothing to be done for 'all'." "  make runs nothing"

sed -i 's|^CMD \["cat", "/slow"\]$|CMD ["cat", "/fast"]|' "$T/ctx/Dockerfile"
# GNU make remakes a makefile under -q and -n too (its manual, "How
# Makefiles Are Remade"): -q regenerates build.mk and then answers
M -q >/dev/null 2>"$T/q.log"
is "$?:$(cat "$T/q.log")" "1:df2make: regenerating build.mk" \
	"an edited Dockerfile: make -q remakes build.mk, then says not up to date"
M -j4 >"$T/edit.log" 2>&1
is "$?" 0 "  make after the edit"
is "$(ran "$T/edit.log")" "" "  no RUN ran (only the config changed)"
is "$(tar -xOf image.tar "$(tar -xOf image.tar manifest.json | jq -r '.[0].Config')" | jq -c .config.Cmd)" \
	'["cat","/fast"]' "  the image has the new CMD"
ref2=$(digest image.tar)

M clean >/dev/null 2>&1
check "make clean: the state directory is gone" [ ! -e .df2make ]
check "  the image stays" [ -s image.tar ]
M -j4 >"$T/clean.log" 2>&1
is "$?:$(ran "$T/clean.log")" "0:[fast 3/3] RUN [slow 2/2] RUN" "make after clean: both RUNs run again"
is "$(digest image.tar)" "$ref2" "  the same image"

M -B -j4 >"$T/B.log" 2>&1
is "$?:$(ran "$T/B.log")" "0:[fast 3/3] RUN [slow 2/2] RUN" "make -B: every step runs again, make ends"
is "$(digest image.tar)" "$ref2" "  the same image"
is "$(M -q >/dev/null 2>&1; echo $?)" 0 "  then make -q: up to date"
done_testing

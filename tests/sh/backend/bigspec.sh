#!/usr/bin/env bash
# Steps whose spec is longer than Linux takes in one argument (128 KiB):
# make runs a recipe as `/bin/sh -c RECIPE`, so a spec passed inline made
# make fail with "Argument list too long" where docker build builds. Over
# 64 KiB, build.mk keeps the spec in a variable that the recipe writes to
# STATE/HASH.spec and passes as @FILE (docs/makefile.md, "Big specs").
# Each real case is built by make and its files and config compared with
# the expected bytes; the same Dockerfile with every spec through a file
# (DF2MAKE_SPEC_INLINE_MAX=0) has the same keys and the same image; the
# runtime refuses a missing, changed or foreign spec file.
. "$SRCDIR/tests/sh/security/common.bash"
base_image || { not_ok "base image import"; done_testing; exit 1; }
export DF2MAKE_RUNTIME=$RT
unset MAKELEVEL MAKEFLAGS MFLAGS # make check's: "make[3]: ..." messages
PAD=abcdefghijklmnopqrstuvwxyz0123456789-abcdefghijklmnopqrstuvwxyz

# longest_recipe FILE: the length of the longest recipe line of build.mk
longest_recipe() { awk '/^\t/ { if (length($0) > m) m = length($0) } END { print m + 0 }' "$1"; }
# layer_file DIR PATH: PATH from the image's top layer that has it
layer_file() {
	local l
	for l in $(find "$1/layers" -mindepth 1 -maxdepth 1 | sort -t/ -k1 -V -r); do
		[ -e "$l/$2" ] && { cat "$l/$2"; return; }
	done
}

# 1. A 200 KB `#!` heredoc RUN (a file: docker runs it too) and a 200 KB
# COPY heredoc whose body has quotes and `$` (make and shell syntax).
A=$T/heredoc
mkdir -p "$A/ctx"
awk -v pad=$PAD 'BEGIN {
	print "FROM busybox"
	print "RUN <<EOF"
	print "#!/bin/sh"
	print "mkdir -p /big"
	for (i = 0; i < 3000; i++) printf "echo %05d-%s >>/big/run.txt\n", i, pad
	print "EOF"
	print "COPY <<'\''EOF'\'' /big/copy.txt"
	for (i = 0; i < 3000; i++) printf "%05d $HOME '\''q'\'' \\ %s\n", i, pad
	print "EOF"
}' >"$A/ctx/Dockerfile"
build "$A"
is "$rc" 0 "a 200 KB heredoc RUN and COPY: make builds the image"
[ "$rc" -eq 0 ] || sed 's/^/#   /' "$A/log" | tail -5
is "$(grep -c '^define DF2MAKE_SPEC_' "$A/build.mk")" 2 "... the RUN's and the COPY's specs are defined, not inline"
check "... no recipe line of build.mk is over 64 KiB: $(longest_recipe "$A/build.mk")" \
	test "$(longest_recipe "$A/build.mk")" -lt 65536
unpack_image "$A"
awk -v pad=$PAD 'BEGIN { for (i = 0; i < 3000; i++) printf "%05d-%s\n", i, pad }' >"$T/want"
is "$(layer_file "$A" big/run.txt | cmp - "$T/want" 2>&1)" "" "... /big/run.txt has the RUN's 3,000 lines"
awk -v pad=$PAD 'BEGIN { for (i = 0; i < 3000; i++) printf "%05d $HOME '\''q'\'' \\ %s\n", i, pad }' >"$T/want"
is "$(layer_file "$A" big/copy.txt | cmp - "$T/want" 2>&1)" "" "... /big/copy.txt is the heredoc's bytes"
is "$(find "$A/state" -name '*.spec' | wc -l)" 2 "... one spec file per big step, in the state directory"
make -f "$A/build.mk" >"$A/log2" 2>&1
is "$(cat "$A/log2")" "make: Nothing to be done for 'all'." "... a second make has nothing to do"

# 2. 1,500 LABELs and ENVs and a COPY of 2,500 sources (the case
# tests/diff/cases/big-specs, which docker builds too): the RUN's spec
# (its environment), the COPY's and its sum's, the image's (labels and
# history).
B=$T/many
mkdir -p "$B/ctx"
(cd "$B/ctx" && sh "$SRCDIR/tests/diff/cases/big-specs/setup.sh" lines)
build "$B"
is "$rc" 0 "1,500 LABELs and ENVs, a COPY of 2,500 sources: make builds the image"
[ "$rc" -eq 0 ] || sed 's/^/#   /' "$B/log" | tail -5
ops=$(grep -oE ' (run|copy|sum|pack) [0-9a-f]{32} \$\(call DF2MAKE_SPEC_FILE' "$B/build.mk" |
	cut -d' ' -f2 | sort | tr '\n' ' ')
is "$ops" "copy pack run sum " "... the RUN, COPY, sum and pack specs go through files"
unpack_image "$B"
jq -r '.config.Labels | to_entries[] | "\(.key)=\(.value)"' "$B/config.json" >"$T/got"
awk -v pad=$PAD 'BEGIN { for (i = 0; i < 1500; i++) printf "org.example.label-%04d=%s\n", i, pad }' >"$T/want"
is "$(cmp "$T/got" "$T/want" 2>&1)" "" "... the config has the 1,500 labels"
awk -v pad=$PAD 'BEGIN { for (i = 0; i < 1500; i++) printf "E_%04d=%s$x\n", i, pad }' >"$T/want"
is "$(layer_file "$B" big/env.txt | cmp - "$T/want" 2>&1)" "" "... the RUN saw the 1,500 ENVs, \$ and all"
is "$(jq '.config.Env | length' "$B/config.json")" 1501 "... the config's Env has them and PATH"
is "$(jq '.history | length' "$B/config.json")" 3003 "... the history an entry per instruction"
n=0
for i in 0000 1234 2499; do
	[ "$(layer_file "$B" "big/src/file-with-a-longer-name-$i.txt")" = "$i" ] && n=$((n + 1))
done
is "$n" 3 "... the COPY copied the sources (first, middle, last)"
is "$(find "$(last_layer "$B")/big/src" -type f | wc -l)" 2500 "... all 2,500 of them"

# 3. A base image whose config has 1,500 Env entries: every RUN on it
# inherits them (its spec's env).
"$RT" --store "$ST" load -i "$B/image.tar" -t bigenv:1 >/dev/null 2>&1
C=$T/base
dockerfile "$C" 'FROM bigenv:1
RUN env | grep -c ^E_ >/n'
build "$C"
is "$rc" 0 "FROM an image with 1,500 Env entries, RUN: make builds"
[ "$rc" -eq 0 ] || sed 's/^/#   /' "$C/log" | tail -5
unpack_image "$C"
is "$(layer_file "$C" n)" 1500 "... the RUN had the base image's environment"
is "$(jq '.history | length' "$C/config.json")" 3004 "... the image has the base's 3,003 history entries and the RUN's"

# 4. 1,000 --build-arg values of 130 bytes: the RUN's spec, and the
# command that remakes build.mk (one `sh -c` argument of 140 KB).
D=$T/args
mkdir -p "$D/ctx"
awk 'BEGIN { print "FROM busybox"; for (i = 0; i < 1000; i++) printf "ARG B_%04d\n", i
	print "RUN env | grep ^B_ | sort >/args.txt" }' >"$D/ctx/Dockerfile"
args=()
for i in $(seq -w 0 999); do args+=(--build-arg "B_0$i=v$i '\$x' $PAD-$PAD"); done
build "$D" "${args[@]}"
is "$rc" 0 "1,000 --build-arg values: make builds"
[ "$rc" -eq 0 ] || sed 's/^/#   /' "$D/log" | tail -5
unpack_image "$D"
for i in $(seq -w 0 999); do printf 'B_0%s=v%s '\''$x'\'' %s-%s\n' "$i" "$i" "$PAD" "$PAD"; done >"$T/want"
is "$(layer_file "$D" args.txt | cmp - "$T/want" 2>&1)" "" "... the RUN saw every value"
cp "$D/build.mk" "$D/build.mk.first"
touch "$D/ctx/Dockerfile"
make -f "$D/build.mk" >"$D/log" 2>&1
is "$?" 0 "... a touched Dockerfile: make regenerates build.mk with the long command"
is "$(cat "$D/log")" "df2make: regenerating $D/build.mk
make: Nothing to be done for 'all'." "... which is the same: nothing to build"
# line 5 is the "# Arguments:" comment, in the order the command has them
is "$(cmp <(sed 5d "$D/build.mk") <(sed 5d "$D/build.mk.first") 2>&1)" "" \
	"... byte for byte but the comment of the arguments"
is "$(find "$D/state" -name '*.sh' | wc -l)" 1 "... the command ran from a file in the state directory"
# make -n and -q remake build.mk too (GNU make does, then re-reads it)
rm "$D/state/"*.sh
touch "$D/ctx/Dockerfile"
make -n -f "$D/build.mk" >"$D/log" 2>&1
is "$?:$(cat "$D/log")" "0:df2make: regenerating $D/build.mk
make: Nothing to be done for 'all'." "... make -n after a touch: remakes build.mk, the file written anew"

# 5. The same Dockerfile, every spec through a file: the same keys (the
# make targets) and the same image, byte for byte.
E=$T/same
mkdir -p "$E/ctx/src"
echo a >"$E/ctx/src/a.txt"
printf '%s\n' 'FROM busybox AS b' 'RUN echo b >/b' 'FROM busybox' 'WORKDIR /w' \
	'COPY src/ ./' 'COPY --from=b /b /b' 'RUN cat a.txt /b >/c' 'LABEL k=v' >"$E/ctx/Dockerfile"
build "$E"
is "$rc" 0 "a small Dockerfile: every spec inline"
is "$(grep -c DF2MAKE_SPEC "$E/build.mk")" 0 "... build.mk has no spec variable"
mv "$E/image.tar" "$E/inline.tar"
keys() { grep -oE '^\$\(STATE\)/[0-9a-f]{32}\.[a-z]+' "$1" | sort; }
keys "$E/build.mk" >"$E/keys.inline"
rm -rf "$E/state"
DF2MAKE_SPEC_INLINE_MAX=0 build "$E"
is "$rc" 0 "DF2MAKE_SPEC_INLINE_MAX=0: every spec through a file builds"
[ "$rc" -eq 0 ] || sed 's/^/#   /' "$E/log" | tail -5
is "$(grep -c "'{" "$E/build.mk")" 0 "... no spec inline"
is "$(keys "$E/build.mk" | cmp - "$E/keys.inline" 2>&1)" "" "... the same keys: the same targets"
is "$(cmp "$E/image.tar" "$E/inline.tar" 2>&1)" "" "... the same image, byte for byte"

# 6. make -n and -q write no spec file; V=1 shows the file it passes.
rm -f "$A/state/"*.spec "$A/state/"*.done
make -n -f "$A/build.mk" >"$A/log" 2>&1
like "$(cat "$A/log")" "run [0-9a-f]{32} @'$A/state'/[0-9a-f]{32}\.spec" "make -n prints the recipe with @FILE"
make -q -f "$A/build.mk"
is "$?" 1 "make -q: not up to date"
is "$(find "$A/state" -name '*.spec' | wc -l)" 0 "... neither wrote a spec file"
make V=1 -f "$A/build.mk" >"$A/log" 2>&1
is "$?" 0 "make V=1 builds"
like "$(grep -E '^/.* run ' "$A/log")" "^$RT --state '$A/state' --store '$ST' run [0-9a-f]{32} @'$A/state'/[0-9a-f]{32}\.spec$" \
	"... and shows the command with the spec's file"

# 7. Every ASCII byte but NUL and newline, and UTF-8, in a big COPY
# heredoc (the define body, make's $(file), the runtime's read), with a
# --state that has blanks, `$`, `#`, quotes, parentheses and a comma.
W=$T/bytes
mkdir -p "$W/ctx"
line=$(printf "$(printf '\\%03o' $(seq 1 9) $(seq 11 127))")é€😀
{ printf 'FROM busybox\nCOPY <<'"'"'EOF'"'"' /bytes\n'
	for _ in $(seq 300); do printf '%s\n' "$line"; done
	echo EOF; } >"$W/ctx/Dockerfile"
for _ in $(seq 300); do printf '%s\n' "$line"; done >"$W/want"
st="$W/st ate \$x #y 'q' (p) ,c"
"$DF2MAKE" --store "$ST" --state "$st" -o "$W/image.tar" "$W/ctx" >"$W/build.mk" 2>"$W/log" &&
	make -f "$W/build.mk" >>"$W/log" 2>&1
is "$?" 0 "bytes 1-127 and UTF-8 in a big heredoc, an odd --state: make builds"
[ -s "$W/image.tar" ] || sed 's/^/#   /' "$W/log" | tail -5
unpack_image "$W"
is "$(layer_file "$W" bytes | cmp - "$W/want" 2>&1)" "" "... the file has the bytes"
is "$(find "$st" -name '*.spec' | wc -l)" 1 "... the spec file is in that state directory"

# 8. The runtime's checks of @FILE: a file it did not write, or that
# changed, is refused before anything is done.
ref=$(grep -oE ' run [0-9a-f]{32} \$\(call DF2MAKE_SPEC_FILE,[0-9a-f]{32}' "$A/build.mk")
key=$(echo "$ref" | cut -d' ' -f3) h=${ref##*,} f=$A/state/${ref##*,}.spec
rm "$A/state/$key.done"
runspec() { "$RT" --state "$A/state" --store "$ST" run "$key" "$1" 2>&1; }
cp "$f" "$T/saved"
printf '{"args":["true"]}\n' >"$f"
out=$(runspec "@$f")
is "$?" 2 "a changed spec file: refused, exit 2"
is "$out" "df2make-runtime: run $key: spec file $f: its content is not the spec it is named by (cut short or rewritten by a concurrent make?): run make again" \
	"... saying so"
head -c 1000 "$T/saved" >"$f"
like "$(runspec "@$f")" "its content is not the spec it is named by" "a spec file cut short: refused"
rm "$f"
is "$(runspec "@$f")" "df2make-runtime: run $key: spec file $f: open (build.mk's recipe writes it as it starts, with GNU make's \$(file), make 4.0 or later): No such file or directory" \
	"a missing spec file: refused, saying who writes it"
ln -s "$T/saved" "$f"
like "$(runspec "@$f")" "spec file $f: open .*: Too many levels of symbolic links" "a symlink: not followed"
rm "$f"
mkdir "$f"
like "$(runspec "@$f")" "spec file $f: not a regular file" "a directory: refused"
rmdir "$f"
cp "$T/saved" "$T/$h.spec"
is "$(runspec "@$T/$h.spec")" "df2make-runtime: run $key: spec file $T/$h.spec: not in the state directory $A/state" \
	"a spec file outside the state directory: refused"
cp "$T/saved" "$A/state/x.spec"
is "$(runspec "@$A/state/x.spec")" "df2make-runtime: run $key: spec file $A/state/x.spec: not a name build.mk writes (HASH.spec)" \
	"a name that is not a hash: refused"
is "$(find "$A/state" -name "$key.done" | wc -l)" 0 "... and no step was done"
cp "$T/saved" "$f"
is "$(runspec "@$f" >/dev/null; echo $?)" 0 "the file as build.mk wrote it: the step runs"
done_testing

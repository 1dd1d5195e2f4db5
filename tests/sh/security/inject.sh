#!/usr/bin/env bash
# Makefile injection (issue 13 item 1): names and text are data. A context
# holding a file for every byte 1..255 (and names such as `x!=id>pwned`,
# `y:=$(shell touch p)`, `a;b`, one ending in a backslash, one with a
# newline), directories named so, COPY sources naming them, Dockerfile text
# (titles, LABEL, ENV, build-args, mount sources) and -f/-o/--state paths
# with `$`, spaces, quotes. Expected: the image holds every file under its
# exact name, no canary appears (make or a shell ran nothing from a name), a
# second make does nothing, and editing a file make cannot name (newline,
# `;`, `%`, ...) still rebuilds: the .d file names it through an alias.
. "$SRCDIR/tests/sh/security/common.bash"
need find cmp od
cd "$T" || exit 1 # make runs here: a relative canary lands under $T
base_image || { not_ok "base image import"; done_testing; exit 1; }

# no_canary: no file that an injected `id>pwned`, `touch p` or `touch pwned`
# would make, anywhere under the test directory.
no_canary() { [ -z "$(find "$T" \( -name pwned -o -name p -o -name 'pwned*' \) -print)" ]; }
# names DIR: the NUL-separated sorted list of paths under DIR.
names() { (cd "$1" && find . -mindepth 1 -printf '%P\0' | LC_ALL=C sort -z); }
# mkmake DIR [ARGS]: make in DIR/run (relative canaries would land there).
mkmake() {
	mkdir -p "$1/run"
	(cd "$1/run" && make -f "$1/build.mk" -j2 "${@:2}") >"$1/log" 2>&1
	rc=$?
}
# in_image DIR PATH: the content of PATH in the topmost layer holding it.
in_image() {
	local l f=
	for l in $(find "$1/layers" -mindepth 1 -maxdepth 1 | sort -t/ -k1 -V); do
		[ -e "$l/$2" ] || [ -L "$l/$2" ] && f="$l/$2"
	done
	[ -n "$f" ] && cat -- "$f"
}

# ---- the plain attack: names that are make syntax, and nothing else ----
D=$T/plain
dockerfile "$D" 'FROM busybox
COPY in/ /in/'
mkdir -p "$D/ctx/in"
for n in 'x!=id>pwned' 'y:=$(shell touch pwned1)' 'z::=$(shell touch pwned2)' \
	'w+=$(shell touch pwned3)'; do
	echo "$n" >"$D/ctx/in/$n"
done
build "$D"
is "$rc" 0 "files named 'x!=id>pwned', 'y:=\$(shell touch pwned1)', ...: build"
mkmake "$D"
is "$rc" 0 "  a second make (which reads the .d files) succeeds"
check "  and runs nothing from a name: no canary" no_canary

# ---- context names: every byte, in files and in directory names ----
D=$T/bytes
dockerfile "$D" ""
mkdir -p "$D/ctx/in"
for b in $(seq 1 255); do
	[ "$b" -eq 47 ] && continue
	printf -v n "f\\x$(printf %02x "$b")g"
	printf '%s\n' "$b" >"$D/ctx/in/$n"
	printf -v n "\\x$(printf %02x "$b")"
	[ "$n" = . ] || printf 'end %s\n' "$b" >"$D/ctx/in/e$n"
	mkdir "$D/ctx/in/D${n}x" && echo "$b" >"$D/ctx/in/D${n}x/f" # directories too
done
specials=('x!=id>pwned' 'y:=$(shell touch p)' 'a;b' 'end\' $'nl\nx' 'pc%t' 'h#sh' 'e=q'
	$'t\tab' $'\xff\xfe' 'ar(m)' 'grp&' ' lead' 'trail ' '$(shell touch pwned2)' '~root'
	'sq'"'"'dq"' 'bq`id`' '-rf' 'br[ack]et' 'st*r' 'q?m' 'bs\#x')
for n in "${specials[@]}"; do printf '%s\n' "$n" >"$D/ctx/in/$n"; done
for d in 'd;$(touch pwned)' $'d\nnl' 'd%p' 'd\' 'd(x)' 'd e#f:g'; do
	mkdir -p "$D/ctx/in/$d/sub" && echo inner >"$D/ctx/in/$d/sub/file"
done
# COPY sources naming them (JSON form: \n is a JSON escape; no glob characters,
# which BuildKit matches as patterns)
cat >"$D/ctx/Dockerfile" <<'DF'
FROM busybox
COPY in/ /in/
COPY ["in/x!=id>pwned", "in/y:=$(shell touch p)", "in/a;b", "in/nl\nx", "in/pc%t", \
      "in/e=q", "in/ar(m)", "in/grp&", "/named/"]
COPY in/d* /globbed/
DF
# and every ASCII byte in a COPY source (JSON \u escapes), but the glob
# characters * ? [ \ that BuildKit reads as a pattern and the quotes and $
# its word expansion reads
each=()
for b in $(seq 1 127); do
	case $b in 34 | 36 | 39 | 42 | 47 | 63 | 91 | 92) continue ;; esac
	each+=("$(printf 'in/f\\u%04xg' "$b")")
done
printf 'COPY [%s"/each/"]\n' "$(printf '"%s", ' "${each[@]}")" >>"$D/ctx/Dockerfile"
build "$D"
is "$rc" 0 "a context with every byte in file and directory names builds"
[ "$rc" -eq 0 ] || sed 's/^/#   /' "$D/log" | tail -5
check "  no injection canary (pwned, p) appeared" no_canary
unpack_image "$D"
check "  /in/ in the image has exactly the context's names (NUL-separated list)" \
	cmp -s <(names "$D/ctx/in") <(names "$D/layers/2/in")
is "$(names "$D/layers/3/named" | tr '\0' '|')" \
	'a;b|ar(m)|e=q|grp&|nl'$'\n''x|pc%t|x!=id>pwned|y:=$(shell touch p)|' \
	"  COPY sources naming them copy each under its name"
is "$(in_image "$D" "/in/$(printf 'f\x0ag')")" 10 "  the newline-named file has its bytes"
want=$(for b in $(seq 1 127); do
	case $b in 34 | 36 | 39 | 42 | 47 | 63 | 91 | 92) continue ;; esac
	printf "f\\x$(printf %02x "$b")g\0"
done | LC_ALL=C sort -z | od -An -c)
is "$(names "$D/layers/5/each" | od -An -c)" "$want" \
	"  a COPY naming a file for every ASCII byte copies each under its name"
mkmake "$D" -q
is "$rc" 0 "make -q afterwards: up to date"
mkmake "$D"
check "a second make runs no step" refute grep -qE 'COPY|RUN|FROM|exporting' "$D/log"
check "  no canary" no_canary

# edit: changes files make cannot name; each change must reach the image
edit() { for n in "$@"; do printf 'changed %s\n' "$n" >"$D/ctx/in/$n"; done; }
sleep 1.1
edit $'nl\nx' 'a;b' 'pc%t' 'end\' 'e=q' 'ar(m)' $'t\tab' 'br[ack]et'
echo changed >"$D/ctx/in/d;\$(touch pwned)/sub/file"
mkmake "$D"
is "$rc" 0 "after editing files make cannot name: make rebuilds"
unpack_image "$D"
for n in $'nl\nx' 'a;b' 'pc%t' 'end\' 'e=q' 'ar(m)' $'t\tab' 'br[ack]et'; do
	is "$(in_image "$D" "/in/$n")" "changed $n" "  /in/$(printf %q "$n") has the new content"
done
is "$(in_image "$D" "/in/d;\$(touch pwned)/sub/file")" changed \
	"  a file under a directory named 'd;\$(touch pwned)'"
is "$(in_image "$D" "/named/a;b")" "changed a;b" "  /named/a;b too"
check "  no canary" no_canary
mkmake "$D" -q
is "$rc" 0 "  then up to date again"
rm "$D/ctx/in/pc%t"
mkmake "$D"
check "deleting a COPY source make cannot name: make fails (no stale image)" [ "$rc" -ne 0 ]
like "$(cat "$D/log")" 'pc%t.*not found|not found.*pc%t' "  naming the missing source"

# ---- Dockerfile text: titles, LABEL, ENV, build-args, mount sources ----
D=$T/text
dockerfile "$D" ""
# every byte except the line breaks, the escape character and quotes/`$`
# (which the Dockerfile language itself interprets)
txt=$(for b in $(seq 1 127); do
	case $b in 10 | 13 | 34 | 36 | 92 | 96) continue ;; esac
	printf "\\x$(printf %02x "$b")"
done)
txt+='é€ x!=id>pwned y:=(shell touch p) ;#%=|\'
mkdir -p "$D/ctx/m;\$(id>pwned)#%"
echo mounted >"$D/ctx/m;\$(id>pwned)#%/f"
{
	printf '# escape=`\n'
	printf 'FROM busybox AS st-age.1_x\n'
	printf 'ARG A\n'
	printf 'LABEL l="%s"\n' "$txt"
	printf 'ENV E="%s"\n' "$txt"
	printf 'RUN printf %%s "$E" >/env; printf %%s "$A" >/arg # %s $(shell touch p)\n' "$txt"
	printf 'RUN echo one >/one; : \\\n'
	printf 'RUN echo two >/two; : \\\\\n'
	printf 'RUN echo three >/three #$(shell touch p) \\\\\\\n'
	printf 'RUN --mount=type=bind,source=m;$(id>pwned)#%%,target=/m cp /m/f /mnt\n'
	printf 'RUN --mount=type=cache,id=c;$(id>pwned),target=/c echo c >/c/x && cp /c/x /cache\n'
} >"$D/ctx/Dockerfile"
arg='a!=b $(shell touch p) `id` ;#%|\'$'\t'"'"'"'$'\nline 2 \\\n'
build "$D" --build-arg "A=$arg"
is "$rc" 0 "Dockerfile text with every byte (titles, LABEL, ENV, args, mounts) builds"
[ "$rc" -eq 0 ] || sed 's/^/#   /' "$D/log" | tail -5
check "  no canary" no_canary
unpack_image "$D"
is "$(jq -r '.config.Labels.l' "$D/config.json")" "$txt" "  the LABEL value is exact"
is "$(in_image "$D" /env)" "$txt" "  the ENV value reached RUN exactly"
check "  the build-arg value (a newline at its end) reached RUN exactly" \
	cmp -s <(in_image "$D" /arg) <(printf %s "$arg")
is "$(in_image "$D" /one)$(in_image "$D" /two)$(in_image "$D" /three)" "onetwothree" \
	"  titles ending in 1, 2 and 3 backslashes (escape=\`): every RUN ran"
is "$(in_image "$D" /mnt)" mounted "  a bind mount source named 'm;\$(id>pwned)#%'"
is "$(in_image "$D" /cache)" c "  a cache id named 'c;\$(id>pwned)'"
mkmake "$D" -q
is "$rc" 0 "  make -q afterwards: up to date"
sleep 1.1
printf 'RUN printf %%s "$A" >/arg2\n' >>"$D/ctx/Dockerfile"
mkmake "$D"
is "$rc" 0 "  after an edit, make regenerates build.mk (the build-arg with a newline replayed)"
unpack_image "$D"
check "  and the build-arg value is still exact" cmp -s <(in_image "$D" /arg2) <(printf %s "$arg")
check "  no canary" no_canary

# ---- command-line paths: -f, context, -o, --state ----
D=$T/paths
weird='w $x'"'"'q"#:$(shell touch p)é'
mkdir -p "$D/c $weird" "$D/f $weird" "$D/s $weird" "$D/o $weird"
printf 'FROM busybox\nCOPY a /a\n' >"$D/f $weird/Dockerfile"
echo a >"$D/c $weird/a"
cp -a "$ST" "$D/store $weird"
"$DF2MAKE" --store "$D/store $weird" -f "$D/f $weird/Dockerfile" --state "$D/s $weird/st" \
	-o "$D/o $weird/i.tar" "$D/c $weird" >"$D/build.mk" 2>"$D/err"
is "$?" 0 "-f, context, -o, --state, --store with spaces, quotes, \$, #, : compile"
mkmake "$D"
is "$rc" 0 "  and build"
check "  the image is at -o" test -s "$D/o $weird/i.tar"
check "  the state is at --state" test -d "$D/s $weird/st"
check "  no canary" no_canary
mkmake "$D" -q
is "$rc" 0 "  make -q: up to date"
sleep 1.1
printf 'FROM busybox\nCOPY a /b\n' >"$D/f $weird/Dockerfile"
mkmake "$D"
is "$rc" 0 "  editing the Dockerfile regenerates build.mk and builds"
like "$(cat "$D/log")" 'regenerating' "  (build.mk was regenerated)"
sleep 1.1
echo nothing >"$D/c $weird/.dockerignore"
mkmake "$D"
like "$(cat "$D/log")" 'regenerating' \
	"  creating .dockerignore there regenerates it (through the directory: no \$(wildcard))"
# refused: what make can never read, with a clear message and no output
for opt in -o --state -f; do
	for bad in 'x;y' $'n\nl' 'a=b' 'p|q' 't\'; do
		[ "$opt$bad" = "-ft\\" ] && continue # t\/Dockerfile: make can name it
		mkdir -p "$D/$bad"
		val=$D/$bad
		[ "$opt" = -f ] && { printf 'FROM busybox\n' >"$D/$bad/Dockerfile"; val=$D/$bad/Dockerfile; }
		"$DF2MAKE" --store "$ST" -f "$D/f $weird/Dockerfile" "$opt" "$val" "$D/c $weird" \
			>"$D/out" 2>"$D/err"
		r=$?
		is "$r:$(wc -c <"$D/out")" "1:0" "$opt $(printf %q "$bad"): exit 1, nothing on stdout"
		# (-o a=b is read as -o KEY=VALUE and refused as such)
		like "$(cat "$D/err")" "cannot be named in a Makefile|-o: unknown option" \
			"  with a clear message"
	done
done
for o in .PHONY ./.DEFAULT .//.SILENT; do
	"$DF2MAKE" --store "$ST" -f "$D/f $weird/Dockerfile" -o "$o" "$D/c $weird" >"$D/out" 2>"$D/err"
	is "$?:$(wc -c <"$D/out"):$(cat "$D/err")" \
		"1:0:df2make: -o '$o' names a special make target: choose another name" \
		"-o $o: refused (a rule for a special target)"
done
mkdir -p "$D/x;y"
"$DF2MAKE" --store "$D/x;y" -f "$D/f $weird/Dockerfile" "$D/c $weird" >"$D/out" 2>"$D/err"
is "$?:$(wc -c <"$D/out")" "1:0" "--store with ';': refused (its ref files are prerequisites)"
check "no canary at the end" no_canary
done_testing

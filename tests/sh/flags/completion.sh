#!/usr/bin/env bash
# Shell completion: the bash function driven as bash's programmable
# completion calls it (COMP_WORDS/COMP_CWORD, also with the words readline
# splits at '='), its candidates compared; the zsh file's syntax, its stage
# helper, and the options it offers against --help; make install-completions
# puts both where bash-completion and zsh look.
. "$SRCDIR/tests/lib.sh"
mkdir -p "$T/bin" "$T/ctx/sub"
ln -s "$DF2MAKE" "$T/bin/df2make"
export PATH=$T/bin:$PATH
cd "$T/ctx" || exit 1
cat >Dockerfile <<'DF'
# builder compiles
FROM scratch AS builder
FROM scratch AS Tests
FROM scratch
DF
printf 'FROM scratch AS one\nFROM scratch AS two\n' >sub/Other.df
touch iid.txt
. "$SRCDIR/completions/df2make.bash"
is "$(complete -p df2make)" "complete -F _df2make df2make" "the file registers _df2make for df2make"
# comp WORD...: the candidates for the last word, sorted, on one line
comp() {
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_df2make
	printf '%s\n' "${COMPREPLY[@]}" | LC_ALL=C sort | paste -sd' '
}
is "$(comp df2make --target '')" "builder tests" "--target: the named stages of ./Dockerfile (lower-cased as BuildKit)"
is "$(comp df2make --target b)" "builder" "--target b: those starting with b"
is "$(comp df2make -f sub/Other.df sub --target '')" "one two" "--target after -f FILE: that file's stages"
is "$(comp df2make --file=sub/Other.df --no-cache-filter '')" "one two" "--no-cache-filter: stages too; --file=FILE"
is "$(comp df2make --file = sub/Other.df --target = '')" "one two" "the words readline splits at '='"
is "$(comp df2make --target=t)" "--target=tests" "--target=PREFIX as one word"
is "$(comp df2make --load --target '')" "builder tests" "a flag without a value before it is skipped"
is "$(comp df2make -f nothere --target '')" "" "no Dockerfile: no stage"
is "$(comp df2make --network '')" "default host none" "--network: its modes"
is "$(comp df2make --call o)" "outline" "--call o"
is "$(comp df2make --format '')" "docker oci" "--format"
is "$(comp df2make --progress '')" "auto none plain quiet rawjson tty" "--progress: its modes"
is "$(comp df2make -q --target '')" "builder tests" "-q takes no value"
is "$(comp df2make --compress z)" "zstd" "--compress z"
is "$(comp df2make --iidfile ii)" "iid.txt" "--iidfile: files"
is "$(comp df2make -f s)" "sub" "-f: files and directories"
is "$(comp df2make --state s)" "sub" "--state: directories"
is "$(comp df2make --label '')" "" "--label: a value nobody can guess, nothing offered"
is "$(comp df2make --no-cache-f)" "--no-cache-filter" "an option by its prefix"
is "$(comp df2make s)" "sub" "the context: directories"
want=$("$DF2MAKE" --help | grep -oE -- '(^| )--?[a-z][a-z-]*' | tr -d ' ' | LC_ALL=C sort -u | paste -sd' ')
is "$(comp df2make -)" "$want" "'-': every option --help lists"
like "$want" "--no-cache-filter" "... (the list has the docker build flags)"

if command -v zsh >/dev/null 2>&1; then
	check "zsh: _df2make parses (zsh -n)" zsh -n "$SRCDIR/completions/_df2make"
	got=$(zsh -fc 'function _arguments { :; }; source "$1"
		words=(df2make -f sub/Other.df sub --target ""); CURRENT=6; _df2make_stages' _ \
		"$SRCDIR/completions/_df2make" | paste -sd' ')
	is "$got" "one two" "zsh: the stage helper reads the Dockerfile -f names"
	zopts=$(grep -oE -- "'(\([^)]*\))?(\*)?\{?--?[a-z][a-z-]*|,--[a-z][a-z-]*" "$SRCDIR/completions/_df2make" |
		grep -oE -- '--?[a-z][a-z-]*$' | LC_ALL=C sort -u)
	missing=$(for o in $zopts; do
		"$DF2MAKE" --help | grep -qE -- "(^| )$o([ =,\[]|$)" || echo "$o"
	done | paste -sd' ')
	is "$missing" "" "zsh: every option it offers is one --help lists"
else
	skip "zsh completion" "zsh not installed"
fi

if [ -n "${BUILDDIR:-}" ] && [ -f "$BUILDDIR/Makefile" ]; then
	make -C "$BUILDDIR" -s install-completions DESTDIR="$T/dest" prefix=/usr >"$T/inst.log" 2>&1
	is "$?" 0 "make install-completions"
	cmp -s "$T/dest/usr/share/bash-completion/completions/df2make" "$SRCDIR/completions/df2make.bash" &&
		cmp -s "$T/dest/usr/share/zsh/site-functions/_df2make" "$SRCDIR/completions/_df2make"
	is "$?" 0 "... into bash-completion/completions/df2make and zsh/site-functions/_df2make"
fi
done_testing

#!/usr/bin/env bash
# Golden cases of the compiler, tests/cases/backend/*.case (jq's
# tests/jq.test style, one case per file):
#   %%ARGS words...         df2make options, shell-quoted, @TMP@ allowed
#                           (--store TMP/store --platform linux/amd64
#                           first, the context last)
#   %%FILE path             a file of the case (path under the temp dir;
#                           the context is ctx/); lines follow
#   %%EXPECT make|plan|graph  the expected stdout follows
#   %%FAIL                  the expected stderr follows; exit status 1,
#                           nothing on stdout
# The temp dir is written @TMP@, df2make's path @DF2MAKE@. UPDATE=1
# rewrites the expectations from the actual output (then review the diff).
. "$SRCDIR/tests/lib.sh"
export DF2MAKE_RUNTIME=df2make-runtime SOURCE_DATE_EPOCH=

run_case() { # file
	local f=$1 dir out err rc mode="" args="" want got file="" name
	name=$(basename "$f" .case)
	dir="$T/$name"
	mkdir -p "$dir/ctx"
	want="$dir/want"
	: >"$want"
	while IFS= read -r line || [ -n "$line" ]; do
		case "$line" in
		%%ARGS*) args=${line#%%ARGS} ;;
		%%FILE\ *) file="$dir/${line#%%FILE }"; mkdir -p "$(dirname "$file")"; : >"$file" ;;
		%%EXPECT\ *) mode=${line#%%EXPECT }; file="$want" ;;
		%%FAIL) mode=fail; file="$want" ;;
		*) [ -n "$file" ] && printf '%s\n' "$line" >>"$file" ;;
		esac
	done <"$f"
	local flag=()
	[ "$mode" = plan ] && flag=(--plan)
	[ "$mode" = graph ] && flag=(--graph)
	args=${args//@TMP@/$dir}
	(cd "$dir" && eval "set -- $args" && "$DF2MAKE" "${flag[@]}" --store "$dir/store" --platform linux/amd64 "$@" \
		"$dir/ctx" >"$dir/out" 2>"$dir/err")
	rc=$?
	if [ "$mode" = fail ]; then
		is "$rc" 1 "$name: exit status 1"
		is "$(wc -c <"$dir/out")" 0 "$name: nothing on stdout"
		got="$dir/err"
	else
		is "$rc" 0 "$name: exit status 0"
		got="$dir/out"
	fi
	sed -i -e "s|$dir|@TMP@|g" -e "s|$DF2MAKE|@DF2MAKE@|g" "$got"
	if [ "${UPDATE:-}" = 1 ]; then
		awk -v m="$([ "$mode" = fail ] && echo '%%FAIL' || echo "%%EXPECT $mode")" \
			'$0 == m {print; exit} {print}' "$f" >"$f.new"
		cat "$got" >>"$f.new" && mv "$f.new" "$f"
	fi
	if cmp -s "$got" "$want"; then ok "$name: output matches"; else
		not_ok "$name: output matches"
		diff "$want" "$got" | head -30 | sed 's/^/#   /'
	fi
}

for f in "$SRCDIR"/tests/cases/backend/*.case; do
	[ -e "$f" ] || skip_all "no cases"
	run_case "$f"
done
done_testing

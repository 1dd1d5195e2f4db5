#!/usr/bin/env bash
# The compiler's shape (docs/architecture.md, "Compiler errors"): no
# compiler/*.c file over 1,200 lines, and only main() and the command-line
# parser (compiler/main.c, compiler/cli.c, compiler/bflags.c: the docker
# build options) decide to exit. Everything else
# returns its errors as struct diag (compiler/diag.h).
#
# The calls to exit()/fatal()/loc_fatal() not moved to struct diag yet are
# listed below, file by file: a file may have at most that many, and a file
# not listed none. Lower a number when you convert a call; never raise one.
. "$SRCDIR/tests/lib.sh"
cd "$SRCDIR" || exit 1

MAX_LINES=1200
# file count: what is left, and why it is still a direct exit
ALLOWED="
diag.c 2
bfemit.c 4
emit.c 12
outline.c 1
outfile.c 1
plan.c 3
templates.c 3
"
# diag.c: loc_fatal itself (its name and its exit(1): print through diag_show, exit).
# dockerfile.c, spec.c, plan.c (1 of 3), expand.c: out of memory or a
#   constant the program holds (a PCRE class), i.e. a bug, not an input.
# The others are errors found while dispatching steps or writing the
# output (args_expand, fetch.c, graph_image_step, emit.c,
# bfemit.c, outfile.c, templates.c, outline.c): still loc_fatal/fatal, to
# be returned as struct diag.

# Prints one line per violation in the compiler sources under $1.
shape_violations() {
	local dir=$1 f base n allowed
	for f in "$dir"/compiler/*.c; do
		base=${f##*/}
		n=$(wc -l <"$f")
		[ "$n" -le "$MAX_LINES" ] || echo "$base: $n lines (at most $MAX_LINES)"
		case $base in main.c | cli.c | bflags.c) continue ;; esac
		# exit( but not atexit(; fatal( and loc_fatal(; comments too (cheap to keep clean)
		n=$(grep -c '\bexit(\|fatal(' "$f")
		allowed=$(printf '%s\n' "$ALLOWED" | awk -v f="$base" '$1 == f { print $2 }')
		[ "$n" -le "${allowed:-0}" ] ||
			echo "$base: $n exit()/fatal() calls (at most ${allowed:-0}): return a struct diag"
	done
}

out=$(shape_violations .)
is "$out" "" "compiler/*.c: at most $MAX_LINES lines each; exits only in main.c and cli.c"

# The check itself can fail: a copy with one file too long and one new
# exit() must be refused, naming both.
mkdir -p "$T/fake/compiler"
seq 1 1201 | sed 's/^/int x/' >"$T/fake/compiler/long.c"
printf 'void f(void)\n{\n\texit(1);\n}\n' >"$T/fake/compiler/newfile.c"
printf 'void g(void)\n{\n\tatexit(g);\n}\n' >"$T/fake/compiler/atexit.c"
cp compiler/main.c "$T/fake/compiler/main.c"
out=$(shape_violations "$T/fake")
is "$out" "long.c: 1201 lines (at most 1200)
newfile.c: 1 exit()/fatal() calls (at most 0): return a struct diag" \
	"the check refuses a long file and a new exit(); atexit( is not an exit"
done_testing

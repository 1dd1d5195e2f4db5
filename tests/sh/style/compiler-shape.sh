#!/usr/bin/env bash
# The compiler's shape (docs/architecture.md, "Compiler errors"): no
# compiler/*.c file over 1,200 lines, and only main() and the command-line
# parser (compiler/main.c, compiler/cli.c, compiler/bflags.c: the docker
# build options) decide to exit. Everything else
# returns its errors as struct diag (compiler/diag.h).
# Out of memory is the one exception, and it is lib/'s (out_of_memory()
# in lib/util.c, which every x* allocator calls): no compiler file names it
# as exit() or fatal().
. "$SRCDIR/tests/lib.sh"
cd "$SRCDIR" || exit 1

MAX_LINES=1200

# Prints one line per violation in the compiler sources under $1.
shape_violations() {
	local dir=$1 f base n
	for f in "$dir"/compiler/*.c; do
		base=${f##*/}
		n=$(wc -l <"$f")
		[ "$n" -le "$MAX_LINES" ] || echo "$base: $n lines (at most $MAX_LINES)"
		case $base in main.c | cli.c | bflags.c) continue ;; esac
		# exit( but not atexit(; fatal( and loc_fatal(; comments too (cheap to keep clean)
		n=$(grep -c '\bexit(\|fatal(' "$f")
		[ "$n" -eq 0 ] || echo "$base: $n exit()/fatal() calls (none allowed): return a struct diag"
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
newfile.c: 1 exit()/fatal() calls (none allowed): return a struct diag" \
	"the check refuses a long file and a new exit(); atexit( is not an exit"
done_testing

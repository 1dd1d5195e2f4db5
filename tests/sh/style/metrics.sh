#!/usr/bin/env bash
# The size metrics of issue 18, computed from the sources and checked:
#   - no .c file over 1,200 lines (test data in tests/diff/cases aside);
#   - one openat2 wrapper: only lib/safeopen.c makes the system call;
#   - at most 3 static libraries (one per layer: lib, compiler, runtime);
#   - one error convention in the compiler, no exit outside main() and the
#     command-line parser (see conventions() below).
# It also prints lines per module (a .c and its .h) and each module's
# largest function; --markdown prints that table alone, for
# docs/architecture.md. A function is what clang-format's Linux brace
# style makes of one: a line at column 0 holding its name and '(', then
# "{" alone on a line, up to the next "}" alone on a line; its length
# counts from the first line of its signature to that "}".
. "$SRCDIR/tests/lib.sh"
cd "$SRCDIR" || exit 1
files() { git ls-files "$@" 2>/dev/null | grep -v '^tests/diff/cases/'; }
[ -n "$(files '*.c')" ] || skip_all "not a git checkout"

# functions FILE...: "file name lines" for every function definition
functions() {
	awk '
	FNR == 1 { infn = 0; sig = 0 }
	!infn && /^[A-Za-z_]/ && /\(/ && !/;$/ { sig = FNR; head = $0 }
	!infn && /^[A-Za-z_]/ && !/\(/ { sig = 0 }
	!infn && $0 == "{" && sig { infn = 1; next }
	infn && $0 == "}" {
		name = head; sub(/^__attribute__\(\([a-z_]*(\([^)]*\))?\)\) */, "", name)
		sub(/\(.*/, "", name); sub(/.*[^A-Za-z0-9_]/, "", name)
		print FILENAME, name, FNR - sig + 1
		infn = 0; sig = 0
	}' "$@"
}

# module rows: "module c_lines h_lines largest_function its_lines"
modules() {
	local m c h
	for m in $(files 'lib/*.[ch]' 'compiler/*.[ch]' 'runtime/*.[ch]' | sed 's/\.[ch]$//' | sort -u); do
		c=0 h=0
		[ -f "$m.c" ] && c=$(wc -l <"$m.c")
		[ -f "$m.h" ] && h=$(wc -l <"$m.h")
		set -- $(functions $(ls "$m.c" "$m.h" 2>/dev/null) | sort -k3,3nr | head -1)
		echo "$m $c $h ${2:--} ${3:-0}"
	done
}

markdown() {
	echo "| module | .c lines | .h lines | largest function (lines) |"
	echo "|---|--:|--:|---|"
	modules | awk '{ f = $5 ? sprintf("`%s` (%d)", $4, $5) : ""
		printf "| `%s` | %d | %d | %s |\n", $1, $2, $3, f }'
	modules | awk '{ split($1, p, "/"); n[p[1]]++; c[p[1]] += $2; h[p[1]] += $3 }
		END { for (d in n) printf "| **%s/** (%d modules) | %d | %d | |\n", d, n[d], c[d], h[d] }' |
		sort
}
if [ "${1:-}" = --markdown ]; then
	markdown
	exit 0
fi

# 1. file size
big=$(for f in $(files '*.c'); do n=$(wc -l <"$f"); [ "$n" -le 1200 ] || echo "$f: $n lines"; done)
is "$big" "" "no .c file over 1,200 lines"

# 2. the openat2 system call, outside comments
calls=$(for f in $(files '*.c' '*.h'); do
	sed 's://.*$::' "$f" | grep -v '^[[:space:]]*/\?\*' |
		grep -qE 'SYS_openat2|__NR_openat2|[^_[:alnum:]]openat2[[:space:]]*\(' && echo "$f"
done)
is "$calls" "lib/safeopen.c" "one openat2 wrapper: lib/safeopen.c"

# 3. static libraries in the build files
libs=$(cat Makefile.am $(files '*.mk' | grep -v '^templates/') |
	sed -n 's/^[a-z_]*_LIBRARIES[[:space:]]*+*=//p' | tr ' \t' '\n\n' | grep '\.a$' | sort -u)
check "at most 3 static libraries: $(echo $libs)" test "$(echo "$libs" | grep -c .)" -le 3

# 4. the compiler's error conventions (docs/architecture.md, "Compiler
# errors"), in compiler/*.c under $1 outside main() and the command-line
# parser (main.c, cli.c, bflags.c) and diag.c (which prints the records):
# struct diag records returned up to main (diag_error, diag_add), and one
# more for each other way of ending a compile found there: exiting where
# the error is found (exit(), fatal(), loc_fatal()), or printing it there
# (fprintf/fputs/perror to stderr, not through diag.c). Prints
# "EXITS CONVENTIONS".
conventions() {
	local f n exits=0 diag=0 printed=0
	for f in "$1"/compiler/*.c; do
		case ${f##*/} in main.c | cli.c | bflags.c | diag.c) continue ;; esac
		n=$(grep -c '\bexit(\|fatal(' "$f")
		exits=$((exits + n))
		grep -q 'diag_error\(_value\)\?(\|diag_add(' "$f" && diag=1
		grep -qE '(fprintf|fputs|vfprintf)\(.*stderr|perror\(' "$f" && printed=1
	done
	echo "$exits $((diag + (exits > 0) + printed))"
}
set -- $(conventions .)
is "exit lines outside main/cli: $1" "exit lines outside main/cli: 0" \
	"the compiler decides to exit only in main() and the command-line parser"
is "error conventions: $2" "error conventions: 1" "one error convention in the compiler: struct diag"
# ... and the count can fail: a tree exiting in one file and printing its
# error in another has three
mkdir -p "$T/fake/compiler"
printf 'int f(struct diags *d)\n{\n\treturn diag_error(d, NULL, "x");\n}\n' >"$T/fake/compiler/a.c"
printf 'void g(void)\n{\n\tfatal("x");\n}\n' >"$T/fake/compiler/b.c"
printf 'void h(void)\n{\n\tfprintf(stderr, "x");\n}\n' >"$T/fake/compiler/c.c"
printf 'void m(void)\n{\n\texit(1);\n}\n' >"$T/fake/compiler/main.c"
is "$(conventions "$T/fake")" "1 3" "a fatal() and a fprintf(stderr) outside main: 1 exit line, 3 conventions"

# the numbers, for the record
echo "# exit lines outside main/cli: $1; error conventions: $2; openat2 wrappers:" \
	"$(echo "$calls" | grep -c .); static libraries: $(echo "$libs" | grep -c .)"
all=$(functions $(files 'lib/*.[ch]' 'compiler/*.[ch]' 'runtime/*.[ch]'))
echo "# functions: $(echo "$all" | wc -l), median $(echo "$all" | awk '{ print $3 }' | sort -n |
	awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }') lines, largest:"
echo "$all" | sort -k3,3nr | head -5 | sed 's/^/#   /'
markdown | sed 's/^/# /'
done_testing

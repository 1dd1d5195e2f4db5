#!/usr/bin/env bash
# Every C file follows the one .clang-format of the project.
. "$SRCDIR/tests/lib.sh"
need clang-format git
cd "$SRCDIR"
# Test fixtures (C sources inside build contexts) are data, not project code.
files=$(git ls-files '*.c' '*.h' 2>/dev/null | grep -v '^tests/diff/cases/')
[ -n "$files" ] || skip_all "not a git checkout"
for f in $files; do
	if out=$(clang-format --dry-run --Werror "$f" 2>&1); then ok "clang-format $f"
	else not_ok "clang-format $f"; echo "$out" | head -5 | sed 's/^/#   /'; fi
	n=$(awk 'length > 100' "$f" | wc -l)
	is "$n" 0 "$f has no line over 100 columns"
done
done_testing

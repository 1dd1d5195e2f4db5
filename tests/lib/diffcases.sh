# diff_cases [SUFFIX]: one TAP line per tests/diff/cases/NAME (or the names
# in DIFF_CASES), each built and compared by tests/diff/run-case.sh in the
# caller's environment (DIFF_MODE, DIFF_USER, DIFF_WORK, ...); SUFFIX is
# added to each name, " (rootless)" for the rootless run. A failing case
# prints its differences as diagnostics. Sourced after tests/lib.sh.
diff_cases() {
	local suffix=${1:-} c dir what out rc cases=${DIFF_CASES:-}
	[ -n "$cases" ] || cases=$(cd "$SRCDIR/tests/diff/cases" && ls -d */ | tr -d /)
	for c in $cases; do
		dir=$SRCDIR/tests/diff/cases/$c
		what=$(head -n 1 "$dir/README" 2>/dev/null)
		out=$(bash "$SRCDIR/tests/diff/run-case.sh" --mode "${DIFF_MODE:-df2make}" "$dir" 2>&1)
		rc=$?
		if [ $rc -eq 0 ]; then
			ok "$c$suffix: $what"
		elif [ $rc -eq 77 ]; then
			skip "$c$suffix: $what" "cannot run: $out"
		else
			not_ok "$c$suffix: $what"
			printf '%s\n' "$out" | head -n 40 | sed 's/^/#   /'
		fi
	done
}

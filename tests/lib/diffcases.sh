# diff_cases [SUFFIX]: one TAP line per tests/diff/cases/NAME (or the names
# in DIFF_CASES), each built and compared by tests/diff/run-case.sh in the
# caller's environment (DIFF_MODE, DIFF_USER, DIFF_WORK, ...); SUFFIX is
# added to each name, " (rootless)" for the rootless run. A failing case
# prints its differences as diagnostics. A case with args.VARIANT files is
# run once more per variant (TAP name NAME[VARIANT]). Sourced after tests/lib.sh.
diff_cases() {
	local suffix=${1:-} c dir what out rc cases=${DIFF_CASES:-}
	[ -n "$cases" ] || cases=$(cd "$SRCDIR/tests/diff/cases" && ls -d */ | tr -d /)
	for c in $cases; do
		dir=$SRCDIR/tests/diff/cases/$c
		_diff_case "$c$suffix" "$(head -n 1 "$dir/README" 2>/dev/null)" "$dir"
		# args.VARIANT: the same Dockerfile built again with other arguments
		for v in "$dir"/args.*; do
			[ -f "$v" ] || continue
			v=${v##*/args.}
			_diff_case "$c[$v]$suffix" "$(sed -n 's/^# *//p' "$dir/args.$v" | head -n 1)" \
				"$dir" --variant "$v"
		done
	done
}

# _diff_case TAPNAME WHAT DIR [run-case options]: one TAP line.
_diff_case() {
	local out rc
	out=$(bash "$SRCDIR/tests/diff/run-case.sh" --mode "${DIFF_MODE:-df2make}" "${@:4}" "$3" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then
		ok "$1: $2"
	elif [ $rc -eq 77 ]; then
		skip "$1: $2" "cannot run: $out"
	else
		not_ok "$1: $2"
		printf '%s\n' "$out" | head -n 40 | sed 's/^/#   /'
	fi
}

#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs dependencies, builds,
# runs every test, then rebuilds with ASan+UBSan and runs the whole suite
# again. Ends with the combined line "N passed, M failed, K skipped".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash tests/deps.sh || exit 1
autoreconf -fi >/dev/null 2>&1 || { autoreconf -fi; exit 1; }
total_p=0 total_f=0 total_s=0 rc=0

suite() { # name builddir configure-args... -- filters...
	local name=$1 dir=$2; shift 2
	local cargs=() filt=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do cargs+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	filt=("$@")
	echo "=== $name"
	mkdir -p "$dir"
	( cd "$dir" && "$top/configure" -q "${cargs[@]}" && make -j2 >/dev/null ) ||
		{ echo "$name: build failed"; total_f=$((total_f + 1)); rc=1; return; }
	( cd "$dir" && make check TESTS_FILTER="${filt[*]}" ) || rc=1
	if [ -f "$dir/tests/summary" ]; then
		read -r p f s <"$dir/tests/summary"
		total_p=$((total_p + p)); total_f=$((total_f + f)); total_s=$((total_s + s))
	else
		total_f=$((total_f + 1))
	fi
}

# --enable-static-libs: a failed static link of the programs (see
# configure.ac) is an error here, not a silent fallback.
suite "tests" "$top/build" --enable-static-libs
# The whole suite again with ASan+UBSan. A sanitizer report aborts the
# process (-fno-sanitize-recover, leaks at exit), so the test that ran it
# fails. Left out here, each still run in the first suite: valgrind (it
# cannot run sanitized binaries), the bounded fuzz run (the fuzzers are
# sanitized already), and the two sandbox tests that compare the stderr of
# a command in the sandbox byte for byte: ASan adds a harmless warning there
# ("ignoring requested __asan_handle_no_return") after the clone onto the
# sandbox's own stack.
export TESTS_EXCLUDE="tests/sh/security/valgrind tests/sh/fuzz/bounded tests/sh/sandbox/exit tests/sh/sandbox/progress"
suite "tests under ASan+UBSan" "$top/build-san" --enable-static-libs --enable-sanitizers CC=gcc
unset TESTS_EXCLUDE
echo
echo "$total_p passed, $total_f failed, $total_s skipped"
[ "$rc" -eq 0 ] && [ "$total_f" -eq 0 ]

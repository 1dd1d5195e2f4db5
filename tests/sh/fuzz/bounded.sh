#!/usr/bin/env bash
# A bounded libFuzzer run of every fuzz target (reader, expansion, ignore
# patterns, image-archive loader, JSON configs) on each CI run, seeded with
# tests/fuzz/corpus/<target>. FUZZ_SECONDS per target (default 20; `make
# fuzz-long` runs 10 minutes each). New inputs go to the temp dir, never to
# the source tree; a crash fails the test and its input is kept there.
. "$SRCDIR/tests/lib.sh"
need clang make
secs=${FUZZ_SECONDS:-20}
cd "$BUILDDIR" || exit 1
if ! make -s fuzz-build fuzz-build-rt >"$T/build.log" 2>&1; then
	not_ok "fuzz targets build with clang -fsanitize=fuzzer,address,undefined"
	sed 's/^/#   /' "$T/build.log" | tail -20
	done_testing
	exit 1
fi
ok "fuzz targets build with clang -fsanitize=fuzzer,address,undefined"
for t in expand ignore reader load config; do
	mkdir -p "$T/corpus-$t"
	./fuzz/fuzz_$t -max_total_time="$secs" -print_final_stats=1 -rss_limit_mb=4096 \
		-artifact_prefix="$T/crash-$t-" "$T/corpus-$t" "$SRCDIR/tests/fuzz/corpus/$t" \
		>"$T/$t.log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$T/$t.log")
	if [ "$rc" -eq 0 ] && [ -n "$runs" ] && [ "$runs" -gt 0 ]; then
		ok "fuzz_$t: ${secs}s, $runs inputs, no crash"
	else
		not_ok "fuzz_$t: ${secs}s (exit $rc): crash input kept in $T"
		grep -E 'ERROR|SUMMARY|==[0-9]+==' "$T/$t.log" | head -10 | sed 's/^/#   /'
	fi
done
done_testing

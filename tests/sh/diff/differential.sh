#!/usr/bin/env bash
# Differential suite: every tests/diff/cases/NAME is built with docker
# (BuildKit, the reference) and with df2make + make; the two images must have
# the same file tree and config (tests/diff/run-case.sh, compare.py). One TAP
# line per case; a failing case prints the differences as diagnostics.
# DIFF_MODE=docker compares docker against docker (validates the harness).
# DIFF_CASES="a b": only those cases.
. "$SRCDIR/tests/lib.sh"
. "$SRCDIR/tests/lib/dockerd.sh"
. "$SRCDIR/tests/lib/images.sh"
. "$SRCDIR/tests/lib/diffcases.sh"
need python3 make
dockerd_up || skip_all "differential suite needs a docker daemon (BuildKit reference): $DOCKERD_ERROR"
mode=${DIFF_MODE:-df2make}
if ! images_docker busybox >"$T/images.log" 2>&1; then
	not_ok "busybox base image imported into docker"
	sed 's/^/#   /' "$T/images.log" | tail -20
	done_testing
	exit 1
fi
if [ "$mode" = df2make ]; then
	[ -x "${DF2MAKE:-}" ] || skip_all "DF2MAKE not built"
	[ -x "${DF2MAKE_RUNTIME_BIN:-}" ] || skip_all "DF2MAKE_RUNTIME_BIN not built"
	export DF2MAKE_STORE=${DIFF_STORE:-$T/store}
	if images_df2make busybox >"$T/load.log" 2>&1; then
		ok "busybox loaded into the df2make store"
	else
		not_ok "busybox loaded into the df2make store"
		sed 's/^/#   /' "$T/load.log" | tail -20
	fi
fi
export DIFF_WORK=$T/work
mkdir -p "$DIFF_WORK"
diff_cases
done_testing

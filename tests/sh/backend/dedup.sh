#!/usr/bin/env bash
# Identical steps are one step (BuildKit's cache keys): stages built the
# same way on one base share their keys and build.mk has one rule per key.
# Forty stages on one base step exceed the short list of children that
# graph_add_step searches first, so the table it then falls back on is
# exercised too (ids 1 and 24, 2 and 25, ... are built alike).
. "$SRCDIR/tests/lib.sh"
mkdir -p "$T/ctx"
{
	echo 'FROM scratch AS base'
	echo 'RUN x'
	for i in $(seq 1 40); do
		echo "FROM base AS s$i"
		echo "RUN echo $((i % 23))"
		echo 'RUN echo same'
	done
	echo 'FROM scratch'
	for i in $(seq 1 40); do echo "COPY --from=s$i /x /x$i"; done
} >"$T/ctx/Dockerfile"
cd "$T" || exit 1
"$DF2MAKE" --store "$T/s" ctx >build.mk 2>err
is "$?" 0 "forty stages on one base compile"
"$DF2MAKE" --plan --store "$T/s" ctx >plan.yaml 2>err
result() { awk -v s="$1" '$0 == "- name: " s { f = 1 } f && /^  result:/ { print $2; exit }' plan.yaml; }
is "$(result s24)" "$(result s1)" "s24 is built as s1: the same result step"
is "$(result s40)" "$(result s17)" "s40 is built as s17 (found through the table)"
check "s2 is not built as s1" test "$(result s2)" != "$(result s1)"
# one FROM scratch (both stages'), RUN x, 23 different RUN echo N on it,
# RUN echo same on each of those, and the last stage's 40 COPY
is "$(grep -c '^\$(STATE)/[0-9a-f]*\.done:' build.mk)" 88 "one rule per distinct step: 1 + 1 + 23 + 23 + 40"
is "$(grep -c ' run [0-9a-f]* ' build.mk)" 47 "... and one runtime call per distinct RUN"
done_testing

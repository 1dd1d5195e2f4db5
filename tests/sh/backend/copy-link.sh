#!/usr/bin/env bash
# COPY/ADD --link in the step spec: BuildKit's dispatchCopy merges a
# scratch layer only when no --chmod is given (`cfg.link && cfg.chmod ==
# ""`); with one (an ARG expanding to one too) it is a plain COPY.
. "$SRCDIR/tests/lib.sh"
need jq
mkdir -p "$T/ctx"
cd "$T" || exit 1
printf '%s\n' 'FROM scratch' 'ARG M=0640' 'ARG E=' 'COPY --link f /a' \
	'COPY --link --chmod=0755 f /b' 'COPY --link --chmod=$M f /c' \
	'COPY --link --chmod=$E f /d' 'ADD --link --chmod=u+x f /e' 'COPY --link=false f /g' \
	>ctx/Dockerfile
: >ctx/f
"$DF2MAKE" --store "$T/s" ctx >build.mk 2>err
is "$?" 0 "the Dockerfile compiles"
links=$(grep -oE " (copy|add) [0-9a-f]{32} '.*'$" build.mk | sed "s/^[^']*'//; s/'\$//" |
	jq -r '"\(.dest) \(.link)"' | tr '\n' ' ')
is "$links" "/a true /b false /c false /d true /e false /g false " \
	"--link holds only without a --chmod (expanded: an empty one keeps it)"
done_testing

#!/usr/bin/env bash
# 50,000 ENV lines: the image's Env, the history and a RUN's environment
# come out as a short Dockerfile's do (new names appended in order, a name
# set again keeps its place, a reference sees the latest value). The names
# are looked up through an index (lib/nameidx.c); before it, a search
# per ENV made this file take 38 s. Times are measured in bench/, not here.
. "$SRCDIR/tests/lib.sh"
n=50000
mkdir -p "$T/ctx"
# every 5,000th line sets K0 again; line 20,001 reads K123
awk -v n=$n 'BEGIN {
	print "FROM scratch"
	for (i = 0; i < n; i++) {
		if (i > 0 && i % 5000 == 0) print "ENV K0=again" i
		else if (i == 20001) print "ENV R=$K123"
		else print "ENV K" i "=v" i
	}
	print "RUN true"
}' >"$T/ctx/Dockerfile"
cd "$T" || exit 1
"$DF2MAKE" --store "$T/s" ctx >build.mk 2>err
is "$?" 0 "$n ENV lines compile"
is "$(cat err)" "" "... without a message"
spec() { mkspec "$1" build.mk; }
# what Env must be: PATH, then each name at its first setting
awk -v n=$n 'BEGIN {
	print "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	print "K0=again45000"
	for (i = 1; i < n; i++) {
		if (i % 5000 == 0) continue
		else if (i == 20001) print "R=v123"
		else print "K" i "=v" i
	}
}' >want
spec pack | jq -r '.config.Env[]' >env
is "$(cmp want env 2>&1)" "" "the image's Env: every name once, in the order first set"
is "$(spec pack | jq '.history | length')" $((n + 1)) "one history entry per ENV and the RUN"
is "$(spec pack | jq -r '.history[20001].created_by')" 'ENV R=v123' "history has the expanded value, as BuildKit's"
spec run | jq -r '.env[]' >runenv
is "$(cmp want runenv 2>&1)" "" "the RUN sees the same environment"
done_testing

#!/usr/bin/env bash
# Restoring from --cache-from is as atomic as running a step: kill -9 of
# the make process group, or of the runtime alone, at points spread over
# a build from a cache (blob copies into the store, unpacking, layers,
# pack). The next make completes without running any RUN, the image is
# the exporting machine's, and nothing half-made is left in the state dir
# or the store.
. "$SRCDIR/tests/sh/cache/common.bash"
need setsid pgrep
POINTS=${KILL_POINTS:-10}
export SOURCE_DATE_EPOCH=1700000000
C=$T/ctx
mkdir -p "$C"
cat >"$C/Dockerfile" <<'DF'
FROM busybox
RUN head -c 24000000 /dev/urandom >/big1
RUN head -c 24000000 /dev/urandom >/big2 && od -An -N16 -tx1 /dev/urandom >/t
RUN head -c 24000000 /dev/urandom >/big3
DF
A=$T/A
machine "$A"
build "$A" "$C" --compress gzip --cache-to "type=local,dest=$T/cache"
is "$rc" 0 "machine A builds and exports"
ref=$(digest "$A")

B=$T/B
fresh() {
	rm -rf "$B" && machine "$B" &&
		compile "$B" "$C" --compress gzip --cache-from "type=local,src=$T/cache"
}
fresh
start=$(date +%s%N)
make -f "$B/build.mk" >"$B/log" 2>&1
total=$((($(date +%s%N) - start) / 1000000))
is "$(ran "$B"):$(digest "$B")" "0:$ref" \
	"an uninterrupted build from the cache (${total}ms): 0 RUN, A's image"

leftovers() {
	find "$B/state" -maxdepth 2 \( -name '*.tmp*' -o -name mnt \) 2>/dev/null
	find "$B/store" -maxdepth 3 \( -name '.tmp-*' -o -name '*.tmp-*' \) 2>/dev/null
}
bad=0
for i in $(seq 1 "$POINTS"); do
	fresh
	delay=$((total * i / (POINTS + 1)))
	setsid make -f "$B/build.mk" >"$B/log.kill" 2>&1 &
	pg=$!
	sleep "$((delay / 1000)).$(printf %03d $((delay % 1000)))"
	if [ $((i % 3)) -eq 0 ]; then
		what=runtime
		for p in $(pgrep -g "$pg" -x df2make-runtime); do kill -9 "$p"; done
		wait $pg
	else
		what="make group"
		kill -9 -- "-$pg" 2>/dev/null
		wait $pg 2>/dev/null
	fi
	sleep 0.1
	make -f "$B/build.mk" >"$B/log" 2>&1
	rc=$?
	n=$(ran "$B")
	got=$(digest "$B")
	left=$(leftovers)
	if [ "$rc" = 0 ] && [ "$n" = 0 ] && [ "$got" = "$ref" ] && [ -z "$left" ]; then
		ok "kill -9 of the $what at ${delay}ms: resumed from the cache, A's image, nothing left"
	else
		not_ok "kill -9 of the $what at ${delay}ms: resumed from the cache, A's image, nothing left"
		echo "# rc=$rc ran=$n same=$([ "$got" = "$ref" ] && echo yes || echo no) left: $left"
		tail -5 "$B/log" | sed 's/^/#   /'
		bad=$((bad + 1))
	fi
done
is "$bad" 0 "every kill point recovered"
done_testing

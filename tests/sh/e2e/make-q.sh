#!/usr/bin/env bash
# `make -q` and `make -n` right after every kind of complete build, as GNU
# make users expect: -q exits 0 and -n prints only "Nothing to be done",
# also after a stage that ran again with the same result (the COPY --from
# early cutoff, KEY.fsum) and after a touched context file (KEY.sum). One
# row per kind of build: a Dockerfile, df2make's flags, and what changes
# before the last make. An unpinned ADD URL is the one exception: its fetch
# asks the server at every make (as BuildKit does at every build), so -q
# says "not up to date" and -n shows that fetch.
. "$SRCDIR/tests/sh/security/common.bash"
need python3
base_image || { not_ok "base image import"; done_testing; exit 1; }

NET=$SRCDIR/tests/sh/net
W=$T/www
mkdir -p "$W"
printf 'served\n' >"$W/a.txt"
python3 "$NET/serve.py" "$W" "$T/http.log" >"$T/port" &
srv=$!
trap 'kill $srv 2>/dev/null' EXIT
for _ in $(seq 50); do [ -s "$T/port" ] && break; sleep 0.1; done
U=http://127.0.0.1:$(cat "$T/port")/a.txt
SUM=sha256:$(sha256sum "$W/a.txt" | cut -d' ' -f1)

SINGLE='FROM busybox
COPY in.txt /in.txt
RUN cat /in.txt >/out'
MULTI='FROM busybox AS a
RUN echo a >/a
FROM a
COPY in.txt /in.txt
RUN cat /a /in.txt >/b'
FROMCOPY='FROM busybox AS a
COPY in.txt /in.txt
RUN head -c 3 /in.txt >/out
FROM busybox
COPY --from=a /out /out
RUN cat /out >/copied'
PINNED="FROM busybox
ADD --checksum=$SUM $U /a.txt
RUN cat /a.txt >/b"
UNPINNED="FROM busybox
ADD $U /a.txt
RUN cat /a.txt >/b"

# The changes made before the last make (none: the complete first build).
same_content() { touch "$D/ctx/in.txt"; }
same_result() { echo "one: second" >"$D/ctx/in.txt"; }
# cache_import: DIR/build.mk made again over an empty state dir, from the
# cache a --cache-to build of the same Dockerfile exported.
cache_import() {
	compile "$D" --cache-to "type=local,dest=$T/cache-$name" &&
		make -f "$D/build.mk" >"$D/log" 2>&1 &&
		rm -rf "$D/state" "$D/image.tar" &&
		compile "$D" --cache-from "type=local,src=$T/cache-$name"
}

# name | Dockerfile | change before the last make | make -q's status
ROWS=(
	"single|SINGLE|-|0"
	"single-touched|SINGLE|same_content|0"
	"multi-stage|MULTI|-|0"
	"multi-stage-touched|MULTI|same_content|0"
	"copy-from|FROMCOPY|-|0"
	"copy-from-same-result|FROMCOPY|same_result|0"
	"cache-import|FROMCOPY|cache_import|0"
	"add-url-pinned|PINNED|-|0"
	"add-url-unpinned|UNPINNED|-|1"
)

# mk ARGS...: make on $D/build.mk, its output in $D/log; the status (not
# as a sub-make of the test runner's make: no "Entering directory").
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -f "$D/build.mk" "$@" >"$D/log" 2>&1; }

for r in "${ROWS[@]}"; do
	IFS='|' read -r name df change want <<<"$r"
	D=$T/$name
	dockerfile "$D" "${!df}"
	echo "one: first" >"$D/ctx/in.txt"
	build "$D"
	is "$rc" 0 "$name: the build"
	if [ "$change" != - ]; then
		# a later mtime than every stamp of the first build
		sleep 1.1
		$change
		is "$?" 0 "$name: $change"
		mk
		is "$?" 0 "$name: make after $change"
	fi
	mk -q
	is "$?" "$want" "$name: make -q exits $want"
	mk -n
	if [ "$want" = 0 ]; then
		is "$(cat "$D/log")" "make: Nothing to be done for 'all'." \
			"$name: make -n has nothing to do"
	else
		like "$(head -1 "$D/log")" " fetch [0-9a-f]{32} " "$name: make -n shows the fetch first"
	fi
	mk
	is "$?" 0 "$name: make again"
	if [ "$want" = 0 ]; then
		is "$(cat "$D/log")" "make: Nothing to be done for 'all'." "$name: ... does nothing"
	fi
done
done_testing

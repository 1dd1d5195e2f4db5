#!/usr/bin/env bash
# A hostile registry (tests/sh/registry/hostile.py, a fake on two loopback
# ports) against pull: where do the credentials go when it redirects a
# layer to another port or host name, or points its token realm elsewhere;
# a redirect loop; a manifest that never ends; an index of 10,000
# entries; a token server trickling
# endless header lines; a layer trickled a byte at a time, a manifest
# stalled after its headers, a slow but steady layer.
. "$SRCDIR/tests/lib.sh"
need python3 timeout base64
export CONTAINERS_REGISTRIES_CONF=$T/none.conf REGISTRY_AUTH_FILE= DOCKER_CONFIG=$T/docker XDG_RUNTIME_DIR=
mkdir -p "$DOCKER_CONFIG"
B64=$(printf 'alice:s3cret' | base64)
LOG=$T/log

# pull MODE: starts the fake in MODE, pulls library/x:1 from it with
# alice's password; sets out, rc, took (its seconds), RP (registry port),
# EP (elsewhere's).
pull() {
	local start=$SECONDS

	: >"$LOG"
	coproc FAKE { exec python3 "$SRCDIR/tests/sh/registry/hostile.py" "$LOG" "$1"; }
	read -r RP EP <&"${FAKE[0]}"
	printf '{"auths":{"127.0.0.1:%s":{"auth":"%s"}}}\n' "$RP" "$B64" >"$DOCKER_CONFIG/config.json"
	out=$(timeout 60 env ${TO:+DF2MAKE_HTTP_TIMEOUT=$TO} \
		${LS:+DF2MAKE_HTTP_LOW_SPEED_LIMIT=1000 DF2MAKE_HTTP_LOW_SPEED_TIME=$LS} "$DF2MAKE_RUNTIME_BIN" --quiet --store "$T/store-$1" --state "$T/state" \
		pull "127.0.0.1:$RP/library/x:1" 2>&1)
	rc=$?
	took=$((SECONDS - start))
	kill "$FAKE_PID" && wait "$FAKE_PID" 2>/dev/null
}

pull redirect-port
is "$rc" 0 "a layer redirected to another port of the host: pulled"
check "its ref is stored" test -d "$T/store-redirect-port/refs"
is "$(grep -c "^$RP GET /v2/library/x/blobs/.* auth=Basic $B64\$" "$LOG")" 2 \
	"the registry got the password (config and layer)"
is "$(grep "^$EP " "$LOG")" "$EP GET /blob auth=" "the other port got the GET without it"

pull redirect-host
is "$(grep "/else/blob" "$LOG")" "$RP GET /else/blob auth=" \
	"redirected to localhost (the same server, another name): no password"
is "$(grep -c "auth=Basic" "$LOG")" 3 "only the registry's own requests carried it"

pull realm-elsewhere
is "$rc" 0 "a token realm on another port: pulled"
is "$(grep "^$EP " "$LOG")" "$EP GET /token?service=reg&scope=repository%3Alibrary%2Fx%3Apull auth=Basic $B64" \
	"the realm gets the password, as docker and containerd send it (the registry chose its token server)"
is "$(grep -c "^$RP .*auth=Basic" "$LOG")" 0 "the registry itself never gets the password, only the token"

pull redirect-loop
is "$rc" 1 "a layer redirected to itself: the pull fails"
like "$out" "blob sha256:[0-9a-f]{64}: GET http://127.0.0.1:$RP/v2/library/x/blobs/sha256:[0-9a-f]{64}: Number of redirects hit maximum amount\$" \
	"after 10 redirects, naming the blob"
is "$(grep -c "GET /v2/library/x/blobs/" "$LOG")" 12 "config + 11 tries of the layer"
check "nothing stored under its ref" test ! -e "$T/store-redirect-loop/refs"

pull endless
is "$rc:$out" "1:df2make-runtime: 127.0.0.1:$RP/library/x:1: pull from 127.0.0.1:$RP: library/x:1: GET http://127.0.0.1:$RP/v2/library/x/manifests/1: answer larger than 4194304 bytes" \
	"a manifest that never ends: refused at 4 MiB"

pull big-index
is "$rc" 0 "an index of 10,000 manifests: pulled"
is "$(grep -c "GET /v2/library/x/manifests/sha256:" "$LOG")" 1 \
	"only the host's platform's manifest is fetched"

TO=3 pull trickle-token
like "$rc:$out" "^1:.*library/x:1: 127.0.0.1:$RP: GET http://127.0.0.1:$EP/token\?service=reg&scope=repository%3Alibrary%2Fx%3Apull: Timeout was reached\$" \
	"a token server trickling header lines: the pull fails at DF2MAKE_HTTP_TIMEOUT (before: held until killed)"
check "within 30 s ($took s)" [ "$took" -lt 30 ]

# The low-speed limit (1000 bytes/s over 3 s here): before, 1 byte/s over
# 120 s, so a layer trickled at 2 bytes/s took as long as the server liked.
SLOW="Operation too slow. Less than 1000 bytes/sec transferred the last 3 seconds \
(the low-speed limit: DF2MAKE_HTTP_LOW_SPEED_LIMIT bytes/s over DF2MAKE_HTTP_LOW_SPEED_TIME seconds)"
LS=3 pull trickle-layer
is "$rc:$(printf '%s\n' "$out" | tail -1 | sed -E 's/sha256:[0-9a-f]{64}/sha256:D/g')" \
	"1:df2make-runtime: 127.0.0.1:$RP/library/x:1: pull from 127.0.0.1:$RP: blob sha256:D: GET http://127.0.0.1:$RP/v2/library/x/blobs/sha256:D: $SLOW" \
	"a layer trickled at 2 bytes/s: the pull fails naming the blob, the registry and the limit"
check "within 20 s ($took s)" [ "$took" -lt 20 ]
check "nothing stored under its ref" test ! -e "$T/store-trickle-layer/refs"
is "$(find "$T/store-trickle-layer" -name '*tmp*' | wc -l)" 0 "no temp file left"

LS=3 pull stall-manifest
is "$rc:$out" "1:df2make-runtime: 127.0.0.1:$RP/library/x:1: pull from 127.0.0.1:$RP: library/x:1: GET http://127.0.0.1:$RP/v2/library/x/manifests/1: $SLOW" \
	"a manifest stalled after its headers: the pull fails naming it"
check "within 20 s ($took s)" [ "$took" -lt 20 ]

LS=3 pull steady-layer
is "$rc:$(printf '%s\n' "$out" | grep -c '^Loaded image: ')" "0:1" \
	"a 24 KB layer at 4 KiB/s (above the limit, 6 s in all): pulled"
check "its ref is stored" test -d "$T/store-steady-layer/refs"
done_testing

#!/usr/bin/env bash
# ADD of a URL and of a git repository over http from a server that
# trickles (a byte a second): the fetch fails at the low-speed limit
# (DF2MAKE_HTTP_LOW_SPEED_LIMIT bytes/s over DF2MAKE_HTTP_LOW_SPEED_TIME
# seconds, here 1000 over 3) naming the URL, instead of holding make for
# as long as the server likes; a slow but steady transfer still succeeds.
. "$SRCDIR/tests/sh/net/lib.bash"
need timeout
export DF2MAKE_HTTP_LOW_SPEED_LIMIT=1000 DF2MAKE_HTTP_LOW_SPEED_TIME=3

W=$T/www
mkdir -p "$W/.meta"
head -c 200 /dev/urandom >"$W/trickle.bin"
echo '{"slow":1}' >"$W/.meta/trickle.bin"
head -c 16384 /dev/urandom >"$W/steady.bin"
echo '{"slow":4096}' >"$W/.meta/steady.bin"
python3 "$NET/serve.py" "$W" "$T/log" >"$T/port" &
_pids+=($!)
for _ in $(seq 50); do [ -s "$T/port" ] && break; sleep 0.1; done
U=http://127.0.0.1:$(cat "$T/port")
SLOW="Operation too slow. Less than 1000 bytes/sec transferred the last 3 seconds \
(the low-speed limit: DF2MAKE_HTTP_LOW_SPEED_LIMIT bytes/s over DF2MAKE_HTTP_LOW_SPEED_TIME seconds)"

# tbuild DOCKERFILE-TEXT: build, killed after 60 s; sets rc and took.
tbuild() {
	local start=$SECONDS
	printf '%s' "$1" >ctx/Dockerfile && "$DF2MAKE" ctx >build.mk 2>"$T/cerr" &&
		timeout 60 env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -f build.mk \
			DF2MAKE_RUNTIME="$DF2MAKE_RUNTIME_BIN" >"$T/out" 2>&1
	rc=$?
	took=$((SECONDS - start))
}
# tadd URL DEST: tbuild of FROM scratch and an ADD of URL at DEST.
tadd() { tbuild "FROM scratch
ADD $1 $2
"; }

# before: a byte a second passed the limit (1 byte/s over 120 s): the
# 200 bytes took 200 s
tadd "$U/trickle.bin" /t
is "$rc:$(grep df2make-runtime "$T/out")" \
	"2:df2make-runtime: Dockerfile:2: ADD step: fetch $U/trickle.bin: GET $U/trickle.bin: $SLOW" \
	"ADD of a URL trickled a byte a second: the step fails naming the URL and the limit"
check "within 30 s ($took s)" [ "$took" -lt 30 ]
check "no KEY.fetch, no temp left" [ -z "$(ls .df2make | grep -e '\.fetch$' -e tmp)" ]

tadd "$U/steady.bin" /s
is "$rc:$(python3 "$NET/imgls.py" image.tar s | cut -d' ' -f6,7)" \
	"0:16384 $(sha256sum "$W/steady.bin" | cut -c1-12)" \
	"16 KiB at 4 KiB/s (above the limit, 4 s in all): fetched whole"

if command -v git >/dev/null; then
	export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@t GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@t
	git init -q -b main "$T/src" && echo one >"$T/src/f" && git -C "$T/src" add f &&
		git -C "$T/src" commit -qm one
	git clone -q --bare "$T/src" "$W/repo.git" && git -C "$W/repo.git" update-server-info
	# before: git had http.lowSpeedLimit=1 (a byte a second passed)
	echo '{"slow":1}' >"$W/.meta/repo.git_info_refs"
	tadd "$U/repo.git" /r
	like "$rc:$(grep df2make-runtime "$T/out")" \
		"^2:df2make-runtime: Dockerfile:2: ADD step: $U/repo.git: git ls-remote failed: .*Operation too slow\. Less than 1000 bytes/sec transferred the last 3 seconds" \
		"ADD of a git repository over http trickled a byte a second: git fails at the same limit"
	check "within 30 s ($took s)" [ "$took" -lt 30 ]
	rm "$W/.meta/repo.git_info_refs"
	tadd "$U/repo.git" /r
	is "$rc:$(python3 "$NET/imgls.py" image.tar r/f | cut -d' ' -f1,6)" "0:r/f 4" \
		"the same repository served at full speed: fetched"
else
	for _ in 1 2 3; do skip "git over http" "git not installed"; done
fi
done_testing

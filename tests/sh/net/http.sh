#!/usr/bin/env bash
# ADD https://...: BuildKit's file name, mode 0600, Last-Modified mtime,
# --checksum, --chmod/--chown, --unpack, conditional re-checks that keep a
# no-op build a no-op, error messages naming the URL and status, and URL
# credentials that never reach build.mk, the plan or the state directory.
. "$SRCDIR/tests/sh/net/lib.bash"

W=$T/www
mkdir -p "$W/.meta" "$W/dir"
printf 'hello\n' >"$W/a.txt"
echo '{"etag":"\"v1\"","last_modified":"Tue, 03 Mar 2020 10:00:00 GMT"}' >"$W/.meta/a.txt"
printf 'plain' >"$W/plain.bin"
printf 'cd body' >"$W/cd.bin"
echo '{"disposition":"attachment; filename=\"other.txt\""}' >"$W/.meta/cd.bin"
printf 'sp' >"$W/b c.txt"
echo '{"redirect":"/a.txt"}' >"$W/.meta/moved"
echo '{"status":500}' >"$W/.meta/boom"
echo ctx >"$T/ctx/c.txt"
mkdir -p "$T/tsrc/d" && echo in-tar >"$T/tsrc/d/f" && tar -C "$T/tsrc" -czf "$W/t.tgz" d
python3 "$NET/serve.py" "$W" "$T/log" >"$T/port" &
_pids+=($!)
for _ in $(seq 50); do [ -s "$T/port" ] && break; sleep 0.1; done
P=$(cat "$T/port")
U=http://127.0.0.1:$P
sha() { sha256sum "$1" | cut -c1-12; }
nreq() { wc -l <"$T/log"; }

build "FROM scratch
ADD $U/a.txt /x/
ADD $U/plain.bin $U/cd.bin $U/b%20c.txt /y/
ADD $U/a.txt /file
ADD --chmod=755 --chown=12:34 $U/plain.bin /own/
ADD $U/t.tgz /t/
ADD --unpack=true $U/t.tgz /u/
ADD $U/moved /m/
COPY c.txt /c
"
is "$?" 0 "a Dockerfile of URL sources builds"
is "$(files x y file own t u/d m)" "file f 600 0:0 1583229600 6 $(sha "$W/a.txt")
m d 755 0:0 - 0 -
m/moved f 600 0:0 1583229600 6 $(sha "$W/a.txt")
own d 755 12:34 - 0 -
own/plain.bin f 755 12:34 0 5 $(sha "$W/plain.bin")
t d 755 0:0 - 0 -
t/t.tgz f 600 0:0 0 $(wc -c <"$W/t.tgz") $(sha "$W/t.tgz")
u/d d 755 0:0 - 0 -
u/d/f f 644 0:0 $(stat -c %Y "$T/tsrc/d/f") 7 $(sha "$T/tsrc/d/f")
x d 755 0:0 - 0 -
x/a.txt f 600 0:0 1583229600 6 $(sha "$W/a.txt")
y d 755 0:0 - 0 -
y/b c.txt f 600 0:0 0 2 $(sha "$W/b c.txt")
y/cd.bin f 600 0:0 0 7 $(sha "$W/cd.bin")
y/plain.bin f 600 0:0 0 5 $(sha "$W/plain.bin")" \
	"names from the URL path (decoded; not Content-Disposition), 0600, Last-Modified or 0 as mtime, --chmod/--chown, archives kept unless --unpack=true, redirects followed"

like "$(cat "$T/log")" "GET /a.txt 200 plain" "the first build fetches"

# no-op: the URLs are asked again (conditionally), nothing runs, nothing changes
cp build.mk build.mk.1; cp image.tar image.tar.1; n0=$(nreq)
mk
is "$?:$(steps)" "0:" "second make: 0 steps run"
check "build.mk unchanged" cmp -s build.mk build.mk.1
check "image.tar unchanged" cmp -s image.tar image.tar.1
like "$(tail -n +$((n0 + 1)) "$T/log" | sort | uniq -c)" "GET /a.txt 304 cond" \
	"the re-check is conditional (If-None-Match) and answered 304"
like "$(tail -n +$((n0 + 1)) "$T/log" | sort | uniq -c)" "GET /plain.bin 200 plain" \
	"a URL without validators is downloaded again (same bytes: nothing ran, as checked above)"
mk -q
is "$?" 1 "make -q: not up to date (an unpinned URL is asked again at every run, as BuildKit does)"

# the content behind a URL changes: its ADD and every step after it rerun
printf 'plain v2' >"$W/plain.bin"
mk
is "$?:$(steps)" "0:[internal] fetch $U/plain.bin sha256:$(sha256sum "$W/plain.bin" | cut -c1-64)
[2/8] ADD $U/plain.bin $U/cd.bin $U/b%20c.txt /y/
[3/8] ADD $U/a.txt /file
[4/8] ADD --chmod=755 --chown=12:34 $U/plain.bin /own/
[5/8] ADD $U/t.tgz /t/
[6/8] ADD --unpack=true $U/t.tgz /u/
[7/8] ADD $U/moved /m/
[8/8] COPY c.txt /c" "changed content behind a URL: its ADD and every later step run again"
is "$(files y/plain.bin own/plain.bin)" "own/plain.bin f 755 12:34 0 8 $(sha "$W/plain.bin")
y/plain.bin f 600 0:0 0 8 $(sha "$W/plain.bin")" "the image has the new bytes"
cmp -s build.mk build.mk.1
is "$?" 0 "build.mk is not rewritten for new content"

# a new ETag with a new Last-Modified: the file's mtime follows
printf 'hello v2\n' >"$W/a.txt"
echo '{"etag":"\"v2\"","last_modified":"Wed, 04 Mar 2020 10:00:00 GMT"}' >"$W/.meta/a.txt"
mk
is "$?:$(files x/a.txt)" "0:x/a.txt f 600 0:0 1583316000 9 $(sha "$W/a.txt")" "new ETag: fetched again, new mtime"

# Last-Modified alone (no ETag): If-Modified-Since, a 304, nothing rebuilt
printf 'lm\n' >"$W/lm.txt"
echo '{"last_modified":"Thu, 05 Mar 2020 10:00:00 GMT"}' >"$W/.meta/lm.txt"
build "FROM scratch
ADD $U/lm.txt /lm
COPY c.txt /c
"
n0=$(nreq)
mk
is "$?:$(steps):$(tail -n +$((n0 + 1)) "$T/log")" "0::GET /lm.txt 304 cond -" \
	"Last-Modified only: the re-check is If-Modified-Since, answered 304, 0 steps run"

# dot segments are sent as written (Go's client does not remove them)
build "FROM scratch
ADD $U/./lm.txt $U/.meta/../lm.txt /dots/
"
is "$?:$(grep -c -e '^GET /\./lm.txt ' -e '^GET /\.meta/\.\./lm.txt ' "$T/log")" "0:2" \
	"a URL's ./ and ../ segments reach the server as written"

# --checksum: verified; once its blob is stored the URL is not asked again
good=$(sha256sum "$W/plain.bin" | cut -c1-64)
build "FROM scratch
ADD --checksum=sha256:$good $U/plain.bin /p
"
is "$?:$(files p)" "0:p f 600 0:0 0 8 $(sha "$W/plain.bin")" "--checksum that matches"
n0=$(nreq)
mk
is "$?:$(nreq)" "0:$n0" "--checksum with the blob in the store: no request at all"
"$DF2MAKE_RUNTIME_BIN" --store "$DF2MAKE_STORE" --state .df2make gc >/dev/null 2>&1
mk
is "$?:$(nreq)" "0:$n0" "gc --state keeps the fetched blob (still no request)"
mk -q
is "$?" 0 "make -q: up to date (a URL pinned by --checksum has no forced fetch)"
check "... and build.mk's fetch rule has no force prerequisite" \
	grep -qE '^\$\(STATE\)/[0-9a-f]+\.fetch:$' build.mk
rm "$DF2MAKE_STORE/blobs/sha256/$good"
mk
is "$?:$(nreq)" "0:$n0" "the pinned blob removed from the store: nothing to do while no ADD needs it"
build "FROM scratch
ADD --checksum=sha256:$good $U/plain.bin /p
ADD --checksum=sha256:$good $U/plain.bin /p2
"
is "$?:$(grep df2make-runtime "$T/out")" "2:df2make-runtime: Dockerfile:3: ADD step: sha256:$good is no longer in the store: run make again to fetch it" \
	"... an ADD that needs it says so"
mk
is "$?:$(nreq):$(files p2 | cut -d' ' -f6,7)" "0:$((n0 + 1)):8 $(sha "$W/plain.bin")" \
	"... and the next make fetches it again (one request)"
bad=$(printf '%064d' 0)
build "FROM scratch
ADD --checksum=sha256:$bad $U/a.txt /p
"
is "$?" 2 "--checksum mismatch fails make"
is "$(grep df2make-runtime "$T/out")" "df2make-runtime: Dockerfile:2: ADD step: digest mismatch for $U/a.txt: sha256:$(sha256sum "$W/a.txt" | cut -c1-64) (expected: sha256:$bad)" \
	"... with a message naming the URL and both digests"
build "FROM scratch
ADD --checksum=md5:00 $U/a.txt /p
"
like "$?:$(cat "$T/cerr")" "^1:.*Dockerfile:2.*unsupported digest algorithm" "--checksum with another algorithm: compile error"

# COPY never fetches (BuildKit's words, at the line)
for src in "$U/a.txt:URL" "git://127.0.0.1:1/r.git:git ref"; do
	printf 'FROM scratch\nCOPY %s /x\n' "${src%:*}" >ctx/Dockerfile
	"$DF2MAKE" ctx >/dev/null 2>"$T/cerr"
	like "$?:$(head -1 "$T/cerr")" "^1:.*Dockerfile:2:1: error: source can't be a ${src##*:} for COPY$" \
		"COPY of a ${src##*:}: compile error"
done

# failures: the URL and the HTTP status (or transport error), not a make riddle
for case in "missing 404" "boom 500"; do
	set -- $case
	build "FROM scratch
ADD $U/$1 /f
"
	is "$?:$(grep df2make-runtime "$T/out")" "2:df2make-runtime: Dockerfile:2: ADD step: $U/$1: invalid response status $2" \
		"HTTP $2: the step fails naming the URL and the status"
done
dead=$(free_port)
build "FROM scratch
ADD http://127.0.0.1:$dead/x /f
"
like "$?:$(grep df2make-runtime "$T/out")" \
	"^2:df2make-runtime: Dockerfile:2: ADD step: fetch http://127.0.0.1:$dead/x: GET http://127.0.0.1:$dead/x: (Couldn't connect|Could not connect)" \
	"connection refused: the step fails naming the URL and the transport error"
check "a failed fetch leaves no KEY.fetch" [ -z "$(grep -l "$dead" .df2make/*.fetch 2>/dev/null)" ]

# a context file and a URL in one ADD: both copied; the context file is summed
build "FROM scratch
ADD c.txt $U/plain.bin /mix/
ADD $U/a.txt /mix
"
is "$?:$(files mix | cut -d' ' -f1,3)" "0:mix 755
mix/a.txt 600
mix/c.txt 644
mix/plain.bin 600" "ADD of a context file and a URL together; a URL into an existing directory"

# a shared build cache: another state dir takes the ADD from the cache only
# when its fetch got the same bytes (the fetched digest is in the content key)
printf 'FROM scratch\nADD %s/plain.bin /cc\n' "$U" >ctx/Dockerfile
for m in a b c; do
	mkdir -p "$T/$m"
	[ $m = a ] && cflag=(--cache-to "type=local,dest=$T/bcache") || cflag=(--cache-from "type=local,src=$T/bcache")
	"$DF2MAKE" --state "$T/$m/state" -o "$T/$m/image.tar" "${cflag[@]}" "$T/ctx" >"$T/$m/build.mk" 2>/dev/null
done
(cd "$T/a" && mk) && (cd "$T/b" && mk)
like "$(grep -A1 "ADD $U/plain.bin /cc" "$T/out")" "^#([0-9]+) \[stage-0 2/2\] ADD $U/plain.bin /cc
#[0-9]+ CACHED$" "--cache-from: same bytes behind the URL, the ADD is restored"
printf 'plain v3' >"$W/plain.bin"
(cd "$T/c" && mk)
is "$?:$(grep -c CACHED "$T/out"):$(cd "$T/c" && python3 "$NET/imgls.py" image.tar cc | cut -d' ' -f6,7)" \
	"0:0:8 $(sha "$W/plain.bin")" "--cache-from: other bytes behind the URL, the ADD runs"

# with a registry cache the fetch must stay a real prerequisite of the ADD
# (never order-only: a changed URL reruns it)
"$DF2MAKE" --cache-from "type=registry,ref=127.0.0.1:1/c:1" "$T/ctx" >"$T/reg.mk" 2>/dev/null
like "$(grep '^$(STATE)/[0-9a-f]*\.done: .*\.fetch' "$T/reg.mk")" '^[^|]*\.fetch( [^|]*)?$' \
	"--cache-from type=registry: KEY.fetch is a normal prerequisite (no order-only bar before it)"

# make killed while a URL streams in: nothing half-made; the next make
# completes (blobs are renamed to their digest once verified)
head -c 300000 /dev/urandom >"$W/big.bin"
echo '{"slow": 50000}' >"$W/.meta/big.bin"
rm -rf .df2make
printf 'FROM scratch\nADD %s/big.bin /big\n' "$U" >ctx/Dockerfile
"$DF2MAKE" ctx >build.mk 2>/dev/null
setsid env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -f build.mk DF2MAKE_RUNTIME="$DF2MAKE_RUNTIME_BIN" >"$T/kout" 2>&1 &
mpid=$!
for _ in $(seq 100); do grep -q "GET /big.bin" "$T/log" && break; sleep 0.1; done
sleep 1.5
kill -TERM -- "-$mpid" 2>/dev/null; wait "$mpid" 2>/dev/null
bad=0
for b in "$DF2MAKE_STORE"/blobs/sha256/*; do
	case "${b##*/}" in .tmp-*) continue ;; esac
	[ "$(sha256sum "$b" | cut -c1-64)" = "${b##*/}" ] || bad=$((bad + 1))
done
is "$(ls .df2make/*.fetch 2>/dev/null | wc -l):$bad" "0:0" "killed mid-download: no KEY.fetch, no blob under a wrong name"
rm -f "$W/.meta/big.bin"
mk
is "$?:$(files big | cut -d' ' -f6,7)" "0:300000 $(sha "$W/big.bin")" "the next make fetches it whole"

# the same Dockerfile through docker build (BuildKit): the same files.
# Its daemon fetches from the host's network, so 127.0.0.1 is ours. Not
# --chmod: docker 20.10's BuildKit leaves a URL's file 0600 with it, the
# current BuildKit source applies it (CopyInfo.Mode), as df2make does.
cmp_df="FROM scratch
ADD $U/a.txt $U/cd.bin $U/b%20c.txt /x/
ADD $U/plain.bin /file
ADD --chown=12:34 $U/plain.bin /own/
ADD $U/t.tgz /t/
"
build "$cmp_df"
ours=$(files x file own t)
. "$SRCDIR/tests/lib/dockerd.sh"
if dockerd_up >/dev/null 2>&1; then
	printf '%s' "$cmp_df" >ctx/Dockerfile
	if timeout 300 $DOCKER build -q --network=host -t df2make-addnet-cmp ctx >"$T/dout" 2>&1 &&
		$DOCKER save df2make-addnet-cmp -o "$T/docker.tar" 2>>"$T/dout"; then
		is "$(python3 "$NET/imgls.py" "$T/docker.tar" x file own t)" "$ours" \
			"docker build makes the same files (names, modes, owners, mtimes, bytes)"
		$DOCKER rmi -f df2make-addnet-cmp >/dev/null 2>&1
	else
		not_ok "docker build of the URL Dockerfile"; sed 's/^/#   /' "$T/dout" | tail -5
	fi
else
	skip "docker build makes the same files" "no docker daemon: ${DOCKERD_ERROR:-}"
fi

# credentials in a URL: masked (BuildKit's xxxxx) in everything written;
# the fetch reads them from the Dockerfile when make runs
printf 'private\n' >"$W/private.txt"
echo '{"auth":"user:s3cr3t"}' >"$W/.meta/private.txt"
rm -rf .df2make
build "FROM scratch
ADD http://user:s3cr3t@127.0.0.1:$P/private.txt \\
    /cred/
"
st=$?
"$DF2MAKE" --plan ctx >plan.yaml 2>/dev/null
is "$st:$(files cred/private.txt | cut -d' ' -f1-4)" "0:cred/private.txt f 600 0:0" \
	"a URL with credentials: fetched with them (a server that asks for them)"
like "$(grep -c 'xxxxx:xxxxx@127.0.0.1' build.mk)" "^[1-9]" "build.mk shows the URL masked"
fkey=$(sed -n 's/^$(STATE)\/\([0-9a-f]*\)\.fetch: .*/\1/p' build.mk)
like "$(grep -A1 '^    fetch:' plan.yaml)" "key: '?$fkey'?" "the plan names the fetch step build.mk has"
b64=$(printf user:s3cr3t | base64)
is "$(grep -rlE "s3cr3t|$b64" build.mk plan.yaml .df2make "$T/out" image.tar 2>/dev/null)" "" \
	"the password (and its base64) is in none of build.mk, the plan, the state dir, make's output, the image"
like "$(grep private "$T/log" | tail -1)" "^GET /private.txt 200 plain Basic $b64\$" \
	"the request carried them as Basic auth"
sed -i 's/s3cr3t/wrong/' ctx/Dockerfile
"$DF2MAKE" ctx >build.mk 2>/dev/null
rm -f .df2make/*.fetch
mk
is "$?:$(grep df2make-runtime "$T/out")" "2:df2make-runtime: Dockerfile:2: ADD step: http://xxxxx:xxxxx@127.0.0.1:$P/private.txt: invalid response status 401" \
	"wrong credentials: 401 named, the URL masked"
printf 'ARG PW=s3cr3t\nFROM scratch\nADD http://user:${PW}@127.0.0.1:%s/private.txt /c/\n' "$P" >ctx/Dockerfile
"$DF2MAKE" ctx >build.mk 2>/dev/null
mk
is "$?:$(grep df2make-runtime "$T/out")" "2:df2make-runtime: Dockerfile:3: ADD step: http://xxxxx:xxxxx@127.0.0.1:$P/private.txt: credentials from a variable are not passed on (docs/copy.md)" \
	"credentials from an ARG: refused with a clear message (never written down)"

# BuildKit's auth secrets: --secret id=HTTP_AUTH_TOKEN_<host> sends
# "Authorization: Bearer <token>"; build.mk names only the variable
printf 'FROM scratch\nADD %s/tok.txt /tok/\n' "$U" >ctx/Dockerfile
printf 'token-protected' >"$W/tok.txt"
echo '{"tok.txt": "Bearer t0ken9"}' >"$W/.meta/_authz.json"
"$DF2MAKE" --secret id=HTTP_AUTH_TOKEN_127.0.0.1,env=MYTOK ctx >build.mk 2>/dev/null
MYTOK=t0ken9 mk
is "$?:$(files tok/tok.txt | cut -d' ' -f1,6)" "0:tok/tok.txt 15" "HTTP_AUTH_TOKEN_<host> secret: the token is sent"
is "$(grep -rl t0ken9 build.mk .df2make "$T/out" image.tar 2>/dev/null)" "" "the token is in none of build.mk, the state dir, make's output, the image"
rm -f .df2make/*.fetch
MYTOK=wrong mk
like "$?:$(grep df2make-runtime "$T/out")" "^2:.*tok.txt: invalid response status 401" "a wrong token: 401"
rm -f "$W/.meta/_authz.json"
done_testing

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

# the content behind a URL changes: its ADD and every step after it rerun
printf 'plain v2' >"$W/plain.bin"
mk
is "$?:$(steps)" "0:[internal] fetch $U/plain.bin sha256:$(sha256sum "$W/plain.bin" | cut -c1-64)
[stage-0 3/9] ADD $U/plain.bin $U/cd.bin $U/b%20c.txt /y/
[stage-0 4/9] ADD $U/a.txt /file
[stage-0 5/9] ADD --chmod=755 --chown=12:34 $U/plain.bin /own/
[stage-0 6/9] ADD $U/t.tgz /t/
[stage-0 7/9] ADD --unpack=true $U/t.tgz /u/
[stage-0 8/9] ADD $U/moved /m/
[stage-0 9/9] COPY c.txt /c" "changed content behind a URL: its ADD and every later step run again"
is "$(files y/plain.bin own/plain.bin)" "own/plain.bin f 755 12:34 0 8 $(sha "$W/plain.bin")
y/plain.bin f 600 0:0 0 8 $(sha "$W/plain.bin")" "the image has the new bytes"
cmp -s build.mk build.mk.1
is "$?" 0 "build.mk is not rewritten for new content"

# a new ETag with a new Last-Modified: the file's mtime follows
printf 'hello v2\n' >"$W/a.txt"
echo '{"etag":"\"v2\"","last_modified":"Wed, 04 Mar 2020 10:00:00 GMT"}' >"$W/.meta/a.txt"
mk
is "$?:$(files x/a.txt)" "0:x/a.txt f 600 0:0 1583316000 9 $(sha "$W/a.txt")" "new ETag: fetched again, new mtime"

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
done_testing

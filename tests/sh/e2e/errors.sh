#!/usr/bin/env bash
# The errors a user meets, each with its exact message, a non-zero exit
# and nothing half-written: a typo in an instruction and a COPY of a
# missing file (compile: FILE:LINE:COL, build.mk left empty); a file
# deleted after the compile; a RUN that fails (BuildKit's report with the
# Dockerfile's lines; the image.tar of the last good build left as it
# was); a FROM of an image not in the store with no registry answering;
# a registry that refuses the password (which is written nowhere).
. "$SRCDIR/tests/lib.sh"
. "$SRCDIR/tests/lib/ctxbuild.sh"
. "$SRCDIR/tests/lib/registry.sh"
need jq
ctxbuild_busybox
export CONTAINERS_REGISTRIES_CONF=$T/none.conf REGISTRY_AUTH_FILE= DOCKER_CONFIG=$T/docker XDG_RUNTIME_DIR=
C=$T/ctx
M() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -f build.mk DF2MAKE_RUNTIME="$DF2MAKE_RUNTIME_BIN" PROGRESS=plain "$@"; }
# nothing half-written: no temp file beside the image, no tar but a good one
no_temps() { [ -z "$(ls -A "$T/out" | grep -E '^\.image\.tar|\.tmp')" ]; }

printf 'FROM busybox\nRUNN echo hi\n' >"$C/Dockerfile"
"$DF2MAKE" "$C" >build.mk 2>"$T/err"
is "$?:$(wc -c <build.mk)" "1:0" "a typo in an instruction: exit 1, build.mk empty"
is "$(cat "$T/err")" "$C/Dockerfile:2:1: error: unknown instruction: RUNN (did you mean RUN?)
RUNN echo hi
^" "  FILE:LINE:COL, BuildKit's words and its suggestion, the line and a caret"

printf 'FROM busybox\nCOPY missing.txt /m\n' >"$C/Dockerfile"
"$DF2MAKE" "$C" >build.mk 2>"$T/err"
is "$?:$(wc -c <build.mk)" "1:0" "COPY of a missing file: exit 1, build.mk empty"
is "$(head -1 "$T/err")" "$C/Dockerfile:2:1: error: source \"missing.txt\": not found in the build context" \
	"  FILE:LINE:COL and the source"

echo x >"$C/f.txt"
printf 'FROM busybox\nCOPY f.txt /f\n' >"$C/Dockerfile"
"$DF2MAKE" "$C" >build.mk 2>"$T/err"
rm "$C/f.txt"
M >"$T/make.log" 2>&1
is "$?" 2 "a context file deleted after the compile: make fails"
like "$(cat "$T/make.log")" "Dockerfile:2: COPY step: source \"f.txt\": not found in the build context" \
	"  naming the line and the source"
check "  no image.tar, no temp file" eval '[ ! -e image.tar ] && no_temps'

# a good build, then a RUN that fails: the last good image stays
printf 'FROM busybox\nRUN echo ok >/ok\n' >"$C/Dockerfile"
"$DF2MAKE" "$C" >build.mk 2>"$T/err" && M >"$T/make.log" 2>&1
is "$?" 0 "a good build"
good=$(sha256sum <image.tar)
printf 'FROM busybox\nRUN echo one && \\\n    echo two && false\nCMD ["x"]\n' >"$C/Dockerfile"
M >"$T/make.log" 2>&1
is "$?" 2 "a RUN that fails: make fails"
is "$(sed -n '/^------$/,/^ERROR/p' "$T/make.log" | sed -E 's/^[0-9]+\.[0-9]+ /T /')" \
	'------
 > [2/2] RUN echo one &&     echo two && false:
T one
T two
------
Dockerfile:2
--------------------
   1 |     FROM busybox
   2 | >>> RUN echo one && \
   3 | >>>     echo two && false
   4 |     CMD ["x"]
--------------------
ERROR: process "/bin/sh -c echo one &&     echo two && false" did not complete successfully: exit code: 1' \
	"  BuildKit's report: the output, the Dockerfile's lines (both lines of the RUN marked), the exit code"
is "$(sha256sum <image.tar)" "$good" "  image.tar is the last good build's, untouched"
check "  no temp file" no_temps
is "$(ls .df2make | grep -cE '\.(tmp|work)')" 0 "  no step work dir left in the state"

# FROM an image the store lacks, no registry answering (a closed port)
port=$(registry_free_port)
rm -f image.tar
printf 'FROM 127.0.0.1:%s/nope:1\nRUN true\n' "$port" >"$C/Dockerfile"
"$DF2MAKE" "$C" >build.mk 2>"$T/err"
is "$?" 0 "FROM an image not in the store: the compile succeeds"
is "$(head -1 "$T/err")" "$C/Dockerfile:1:1: warning: image 127.0.0.1:$port/nope:1 is not in the store $DF2MAKE_STORE: build.mk pulls it" \
	"  with a warning naming the image and the store"
M >"$T/make.log" 2>&1
is "$?" 2 "  make fails"
like "$(grep '^#1 ERROR' "$T/make.log")" \
	"^#1 ERROR: 127.0.0.1:$port/nope:1: failed to resolve source metadata for 127.0.0.1:$port/nope:1: .*Couldn't connect to server; it is not in the store: pull it with .df2make-runtime pull 127.0.0.1:$port/nope:1. once the registry answers, or load it with .df2make-runtime load -i IMAGE.tar.$" \
	"  BuildKit's words, why, and what to do"
is "$(grep -A2 -x 'Dockerfile:1' "$T/make.log" | sed -n 3p)" "   1 | >>> FROM 127.0.0.1:$port/nope:1" \
	"  the FROM line shown"
check "  no image.tar, no temp file" eval '[ ! -e image.tar ] && no_temps'

# a registry that refuses the password
PW='right-Pa55'
registry_start tls alice "$PW" || { not_ok "registry starts"; done_testing; exit; }
export DF2MAKE_CERTS_D=$REG_CERTS_D
mkdir -p "$DOCKER_CONFIG"
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REG" "$(printf 'alice:wrong-Pa55' | base64)" >"$DOCKER_CONFIG/config.json"
printf 'FROM %s/library/busy:1\nRUN true\n' "$REG" >"$C/Dockerfile"
"$DF2MAKE" "$C" >build.mk 2>"$T/err"
M >"$T/make.log" 2>&1
is "$?" 2 "a wrong registry password: make fails"
like "$(grep '^#1 ERROR' "$T/make.log")" \
	"pull from $REG: library/busy:1: GET manifest: HTTP 401: UNAUTHORIZED: authentication required; it is not in the store: the registry refused the credentials: log in with .df2make-runtime login. \(docker's and podman's logins are read too\) and run make again$" \
	"  the registry's refusal is named, and what to do about it (not: wait for the registry)"
check "  no image.tar" [ ! -e image.tar ]
is "$(grep -rlaF -e wrong-Pa55 -e "$(printf 'alice:wrong-Pa55' | base64)" build.mk "$T/make.log" .df2make "$DF2MAKE_STORE")" "" \
	"  the password is in no build.mk, log, state or store"
out=$(printf 'wrong\n' | "$DF2MAKE_RUNTIME_BIN" login -u alice --password-stdin "$REG" 2>&1)
is "$?:$out" "1:df2make-runtime: $REG: unauthorized: wrong user or password" \
	"login with a wrong password: exit 1 and the message"
is "$(jq -c . "$DOCKER_CONFIG/config.json")" \
	"{\"auths\":{\"$REG\":{\"auth\":\"$(printf 'alice:wrong-Pa55' | base64)\"}}}" "  config.json left as it was"
done_testing

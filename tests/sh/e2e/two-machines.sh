#!/usr/bin/env bash
# A user's day across two machines and one private registry (TLS from a
# test CA, htpasswd login), done as docs/cli.md and docs/cache.md tell it:
# machine A logs in, pulls the base pushed there, builds a multi-stage
# image with --cache-to type=registry and --push -t; machine B (its own
# store, state, docker config and context path) builds the same Dockerfile
# with --cache-from, runs no RUN and gets A's image id; an edit of one file
# reruns only the steps after it; B then uses A's pushed image by digest
# (FROM) and by tag (COPY --from).
. "$SRCDIR/tests/lib.sh"
. "$SRCDIR/tests/sh/image/helpers.bash"
. "$SRCDIR/tests/lib/registry.sh"
. "$SRCDIR/tests/lib/buildout.sh"
need python3 skopeo curl jq openssl htpasswd make
[ "$(id -u)" = 0 ] || skip_all "needs root (overlay mounts, namespaces)"
export CONTAINERS_REGISTRIES_CONF=$T/none.conf REGISTRY_AUTH_FILE= XDG_RUNTIME_DIR=
unset SOURCE_DATE_EPOCH
PW='e2e-Pa55:word'
RT=$DF2MAKE_RUNTIME_BIN

registry_busy alice "$PW" || { not_ok "registry starts"; done_testing; exit; }
BASE=$REG/library/busy:1

# on M CMD...: run CMD as machine M (its docker config for the login).
on() {
	local m=$1
	shift
	DOCKER_CONFIG=$T/$m/docker DF2MAKE_STORE=$T/$m/store "$@"
}
# mkctx DIR B: the project; B is the content of b.txt.
mkctx() {
	mkdir -p "$1/src"
	echo alpha >"$1/src/a.txt"
	echo "$2" >"$1/b.txt"
	cat >"$1/Dockerfile" <<DF
FROM $BASE AS build
COPY src /src
RUN cat /src/a.txt >/built && od -An -N8 -tx1 /dev/urandom >>/built
FROM $BASE
COPY --from=build /built /app/built
COPY b.txt /app/b.txt
RUN cat /app/b.txt >/app/b2 && od -An -N8 -tx1 /dev/urandom >>/app/b2
CMD ["cat", "/app/built"]
DF
}
# build M CTX ARGS...: compile into T/M/build.mk (state T/M/state, image
# T/M/image.tar), then make -j2; log in T/M/log; sets rc.
build() {
	local m=$1 c=$2
	shift 2
	on "$m" "$DF2MAKE" --state "$T/$m/state" -o "$T/$m/image.tar" "$@" "$c" \
		>"$T/$m/build.mk" 2>"$T/$m/log"
	rc=$?
	[ "$rc" = 0 ] || return
	on "$m" make -f "$T/$m/build.mk" -j2 DF2MAKE_RUNTIME="$RT" >"$T/$m/log" 2>&1
	rc=$?
}
imgid() { tar -xOf "$T/$1/image.tar" manifest.json | jq -r '.[0].Config' | sed 's|^blobs/sha256/|sha256:|'; }

# ---- machine A: login, pull the base, build, export the cache, push
mkdir -p "$T/A" "$T/B"
out=$(printf '%s\n' "$PW" | on A "$RT" login -u alice --password-stdin "$REG" 2>&1)
is "$out" "Login Succeeded" "A: login --password-stdin"
on A "$RT" pull "$BASE" >"$T/A/pull.log" 2>&1
is "$?" 0 "A: pulls the base from the TLS registry"
mkctx "$T/a/ctx" beta
build A "$T/a/ctx" -t "$REG/me/app:1" --push --cache-to "type=registry,ref=$REG/cache/app:1,mode=max"
is "$rc" 0 "A: builds, pushes the image and the cache"
sed 's/^/#   /' "$T/A/log" | tail -4
is "$(ran "$T/A")" 2 "A: ran both RUN steps"
idA=$(imgid A)
digA=$(tar -xOf "$T/A/image.tar" index.json | jq -r '.manifests[0].digest')
is "$(skopeo inspect --cert-dir "$REG_CERTS_D/$REG" --creds "alice:$PW" --raw "docker://$REG/me/app:1" |
	sha256sum | cut -c1-64)" "${digA#sha256:}" "A: the registry serves image.tar's manifest under the -t tag"
regcfg=$(skopeo inspect --cert-dir "$REG_CERTS_D/$REG" --creds "alice:$PW" --config "docker://$REG/me/app:1" |
	jq -c .config.Cmd)
is "$regcfg" '["cat","/app/built"]' "A: the pushed config has the Dockerfile's CMD"

# ---- machine B: its own login, store and state; the cache from the registry
printf '%s\n' "$PW" | on B "$RT" login -u alice --password-stdin "$REG" >/dev/null 2>&1
mkctx "$T/b/elsewhere/ctx" beta
build B "$T/b/elsewhere/ctx" --cache-from "type=registry,ref=$REG/cache/app:1"
is "$rc" 0 "B: builds with --cache-from (base pulled by build.mk)"
sed 's/^/#   /' "$T/B/log" | tail -3
is "$(ran "$T/B")" 0 "B: no RUN ran (all restored)"
is "$(imgid B)" "$idA" "B: the same image id as A"
is "$(img_file "$T/B" app/built)" "$(img_file "$T/A" app/built)" "B: /app/built holds A's random bytes"

# B edits b.txt: the build stage and the COPY --from stay, the COPY of
# b.txt and the RUN after it run again.
echo gamma >"$T/b/elsewhere/ctx/b.txt"
on B make -f "$T/B/build.mk" -j2 DF2MAKE_RUNTIME="$RT" >"$T/B/log" 2>&1
is "$?" 0 "B: make after editing b.txt"
is "$(grep -E '^#[0-9]+ \[' "$T/B/log" | sed 's/^#[0-9]* //' | grep -v '^\[internal\]')" \
	"[stage-1 3/4] COPY b.txt /app/b.txt
[stage-1 4/4] RUN cat /app/b.txt >/app/b2 && od -An -N8 -tx1 /dev/urandom >>/app/b2" \
	"B: only the COPY of the edited file and the RUN after it ran"
is "$(ran "$T/B")" 1 "B: one RUN ran"
is "$(img_file "$T/B" app/built)" "$(img_file "$T/A" app/built)" "B: the build stage's output is still A's"
like "$(img_file "$T/B" app/b2)" "^gamma" "B: /app/b2 has the edit"

# ---- B uses A's pushed image: by digest as FROM, by tag as COPY --from
mkdir -p "$T/b/use"
cat >"$T/b/use/Dockerfile" <<DF
FROM $REG/me/app@$digA
COPY --from=$REG/me/app:1 /app/b2 /from-tag
RUN cat /app/built /from-tag >/both
DF
build B "$T/b/use"
is "$rc" 0 "B: FROM A's image by digest, COPY --from A's image by tag"
sed 's/^/#   /' "$T/B/log" | tail -3
is "$(img_file "$T/B" both)" "$(img_file "$T/A" app/built; img_file "$T/A" app/b2)" \
	"B: the new image has A's files from both references"
is "$(tar -xOf "$T/B/image.tar" "$(tar -xOf "$T/B/image.tar" manifest.json | jq -r '.[0].Config')" |
	jq -c .config.Cmd)" '["cat","/app/built"]' "B: the CMD is inherited from A's image"
# ---- machine C pulls A's image by hand, by digest and by tag: one image
mkdir -p "$T/C"
printf '%s\n' "$PW" | on C "$RT" login -u alice --password-stdin "$REG" >/dev/null 2>&1
on C "$RT" pull "$REG/me/app@$digA" >"$T/C/pull.log" 2>&1
is "$?" 0 "C: df2make-runtime pull REG/me/app@DIGEST"
on C "$RT" pull "$REG/me/app:1" >>"$T/C/pull.log" 2>&1
is "$?" 0 "C: df2make-runtime pull REG/me/app:1"
is "$(on C "$RT" images | awk 'NR > 1 { print $2 }' | sort | uniq -c | awk '{ print $1, $2 }')" "1 $(printf %.12s "${idA#sha256:}")" \
	"C: one image, A's (images lists the tag, as docker images does after both pulls)"
hits=$(grep -rlaF -e "$PW" "$T/A/build.mk" "$T/B/build.mk" "$T/A/log" "$T/B/log" \
	"$T/A/state" "$T/B/state" "$T/A/store" "$T/B/store" "$T/C/store" "$T/C/pull.log" 2>/dev/null)
is "$hits" "" "the password is in no build.mk, log, state or store"
done_testing

#!/usr/bin/env bash
# --cache-to/--cache-from type=registry (issue #14 item 4), against a real
# docker-registry on loopback: machine A builds and pushes its step cache;
# machine B (another context path, an empty state dir and an empty store
# but for the base image) builds from it, runs 0 RUN steps, fetches the
# cache's manifest and config once and then only the layer blobs of the
# steps it takes, and gets A's image digest. The RUNs write random bytes
# into the image: a RUN that ran again would change the digest.
. "$SRCDIR/tests/sh/cache/common.bash"
. "$SRCDIR/tests/lib/registry.sh"
need curl python3 setsid openssl htpasswd
export SOURCE_DATE_EPOCH=1700000000
export CONTAINERS_REGISTRIES_CONF=$T/none.conf REGISTRY_AUTH_FILE= DOCKER_CONFIG=$T/docker XDG_RUNTIME_DIR=
MKCTX_BIG=300000
REG_ACCESSLOG=1 registry_start || { not_ok "registry starts"; done_testing; exit; }
# gets: the blob GETs (path and bytes) the registry served since the mark.
mark() { REG_MARK=$(wc -l <"$REG_DIR/log"); }
gets() {
	tail -n +$((REG_MARK + 1)) "$REG_DIR/log" |
		sed -n 's|.*"GET /v2/\([^ ]*\) HTTP/[0-9.]*" 200 \([0-9]*\).*|\1 \2|p'
}
blob_gets() { gets | grep -c '/blobs/sha256:'; }
manifest_gets() { gets | grep -c '/manifests/'; }
# the exported manifest and config, as the registry serves them
reg_manifest() {
	curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
		"http://$REG/v2/$1/manifests/$2"
}
reg_config() {
	curl -sf "http://$REG/v2/$1/blobs/$(reg_manifest "$1" "$2" | jq -r .config.digest)"
}

newmachine A
build "$A" "$T/a/ctx" --cache-to "type=registry,ref=$REG/cache/app:max,mode=max"
is "$rc" 0 "machine A builds and pushes its cache (mode=max)"
is "$(ran "$A")" 3 "machine A ran its 3 RUN steps"
ref=$(digest "$A")
xk=$(sed -n 's/^#\([0-9a-f]*\) exporting cache to '"$REG"'\/cache\/app:max$/\1/p' "$A/log")
like "$(cat "$A/log")" "#$xk 6 steps, 4 layers" \
	"  the export's progress line"
man=$(reg_manifest cache/app max)
is "$(jq -r .config.mediaType <<<"$man")" application/vnd.df2make.cache.config.v1+json \
	"the registry serves the cache manifest (config: the df2make cache config)"
is "$(reg_config cache/app max | jq '.records | length')" 6 \
	"mode=max: a record per filesystem step of both stages (6)"
is "$(jq '.layers | length' <<<"$man")" 4 "  and the 4 layer blobs in the manifest"

# mode=min, same registry: the layers are there already (HEAD), none sent.
compile "$A" "$T/a/ctx" --cache-to "$REG/cache/app:min"
make -f "$A/build.mk" >"$A/log" 2>&1
is "$?:$(ran "$A")" "0:0" "machine A exports again (mode=min, buildx's short ref form)"
is "$(grep -c ': already exists$' "$A/log")" 2 \
	"  the 2 layers the registry holds are skipped (HEAD)"
is "$(grep -cE ': [0-9]+ bytes pushed in [0-9.]+s$' "$A/log")" 1 "  only the new cache config is pushed"
# the push's lines are progress lines of the export step, as BuildKit
# prints its export under the step's number (none bare on the log)
xk=$(sed -n 's/^#\([0-9a-f]*\) exporting cache to .*/\1/p' "$A/log")
mdig=$(reg_manifest cache/app min | sha256sum | cut -c1-64)
is "$(grep -E '(already exists|pushed|Pushed|Digest)' "$A/log" |
	sed -e "s/ [0-9a-f]\{12\}: / DIGEST12: /" -e 's/: [0-9]* bytes pushed in [0-9.]*s$/: pushed/')" \
	"#$xk DIGEST12: already exists
#$xk DIGEST12: already exists
#$xk DIGEST12: pushed
#$xk Pushed $REG/cache/app:min
#$xk Digest: sha256:$mdig" "  the push lines are the export step's progress lines"
is "$(reg_config cache/app min | jq '.records | length')" 4 \
	"mode=min: a record per step of the image's chain (4)"
is "$(reg_manifest cache/app min | jq '.layers | length')" 2 "  and its 2 layer blobs"

# Machine B: the context elsewhere, empty state, its own store.
B=$T/B
machine "$B"
mkctx "$T/b/elsewhere/ctx2"
mark
build "$B" "$T/b/elsewhere/ctx2" --cache-from "type=registry,ref=$REG/cache/app:max"
is "$rc" 0 "machine B builds from the registry cache"
is "$(ran "$B")" 0 "machine B ran 0 RUN steps"
is "$(grep -c ' CACHED$' "$B/log")" 6 "  6 steps restored (CACHED)"
is "$(digest "$B")" "$ref" "machine B's image = machine A's (digest)"
is "$(manifest_gets)" 1 "  the cache manifest was fetched once"
# lazy layers: the build stage's steps are restored from their records
# and their layers are not fetched (the image's COPY --from is cached too)
is "$(blob_gets)" 3 "  3 blobs fetched: the cache config and the image's 2 layers"
gets | sed 's/^/#   /'
# A make with nothing to do is quiet and asks no registry: the import is
# done by the first step looked up, once per make run.
mark
out=$(env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -f "$B/build.mk" 2>&1)
is "$?:$out" "0:make: Nothing to be done for 'all'." \
	"a second make on B (nothing to do): make's message, nothing else"
is "$(tail -n +$((REG_MARK + 1)) "$REG_DIR/log" | wc -l)" 0 "  and no request to the registry"
# A make with a step to look up fetches the manifest again (the tag may
# have moved), once; the config is unchanged and not fetched.
k=$(grep -A1 '^# \[stage-1 5/5\] RUN true$' "$B/build.mk" | sed -n 's|^$(STATE)/\([0-9a-f]*\)\.done:.*|\1|p')
v=$(sed -n 's/.*"vertex":\([0-9]*\),"title":"\[stage-1 5\/5\] RUN true".*/\1/p' "$B/build.mk")
rm "$B/state/$k.done"
mark
make -f "$B/build.mk" >"$B/log2" 2>&1
is "$?:$(manifest_gets):$(blob_gets)" "0:1:0" \
	"a make with one step to do: the manifest fetched once, no blob"
is "$(grep ' CACHED$' "$B/log2"):$(grep -c 'importing cache manifest' "$B/log2")" \
	"#$v CACHED:1" "  that step restored (only it), one import line"

# What B's store holds: the restored layers came through the digest check.
bad=0
for b in "$B"/store/blobs/sha256/*; do
	[ "$(sha256sum <"$b" | cut -c1-64)" = "$(basename "$b")" ] || bad=$((bad + 1))
done
is "$bad" 0 "every blob of B's store hashes to its name"
check "B's state holds the imported manifest and config, no layer" \
	test "$(find "$B/state" -path '*/blobs/sha256/*' -type f | wc -l)" = 2
"$RT" --store "$B/store" --state "$B/state" gc >"$B/gc.log" 2>&1
"$RT" --store "$B/store" --state "$B/state" fsck >"$B/fsck.log" 2>&1
is "$?" 0 "fsck of B's store and state after gc: clean"
rm -f "$B/image.tar"
make -f "$B/build.mk" >"$B/log" 2>&1
is "$?:$(ran "$B"):$(digest "$B")" "0:0:$ref" "  after gc, make packs A's image again"

# Machine C: mode=min: the build stage's RUN runs, the image's do not.
newmachine C
build "$C" "$T/c/ctx" --cache-from "type=registry,ref=$REG/cache/app:min"
is "$rc:$(ran "$C"):$(digest "$C")" "0:1:$ref" \
	"machine C from the mode=min cache: 1 RUN (the build stage's), A's image"

# The classic CI case: a source file changed, the dependencies did not.
# Machine D takes the steps before the change from the cache (and fetches
# their layers only), runs the changed COPY and the RUN after it.
mkdeps() {
	mkdir -p "$1/deps" "$1/src"
	head -c 1000000 /dev/zero | tr '\0' d >"$1/deps/lib.bin"
	echo "v$2" >"$1/src/main.c"
	head -c 200000 /dev/zero | tr '\0' s >>"$1/src/main.c"
	cat >"$1/Dockerfile" <<'DF'
FROM busybox
COPY deps /deps
RUN od -An -N16 -tx1 /dev/urandom >/deps/stamp
COPY src /src
RUN cp /src/main.c /app.bin && od -An -N16 -tx1 /dev/urandom >>/app.bin
DF
}
mkdeps "$T/a/deps" 1
build "$A" "$T/a/deps" --cache-to "type=registry,ref=$REG/cache/deps:main"
is "$rc:$(ran "$A")" "0:2" "machine A builds the deps/src project and pushes its cache"
depsref=$(digest "$A")
whole=$(reg_manifest cache/deps main | jq '[.layers[].size] | add')
D=$T/D
machine "$D"
mkdeps "$T/d/ctx" 2
mark
build "$D" "$T/d/ctx" --cache-from "type=registry,ref=$REG/cache/deps:main"
is "$rc:$(ran "$D")" "0:1" "machine D (src/ changed): 1 RUN step ran, the deps' RUN came from the cache"
fetched=$(gets | grep '/blobs/sha256:' | awk '{s += $2} END {print s}')
is "$(blob_gets)" 3 "  3 blobs fetched: the cache config and the 2 layers before the change"
echo "# the cache's layers: $whole bytes; machine D fetched $fetched bytes (config included):"
gets | sed 's/^/#   /'
reg_manifest cache/deps main | jq -r '.layers[] | "#   in the cache: \(.digest) \(.size)"' 
check "  fewer bytes than the whole cache" test "$fetched" -lt "$whole"

# A cache ref that does not exist yet (a first build): a warning, not an error.
newmachine E
build "$E" "$T/e/ctx" --cache-from "$REG/cache/app:nope"
is "$rc:$(ran "$E")" "0:3" "a cache ref that does not exist: the build runs every step"
like "$(cat "$E/log")" \
	"warning: --cache-from $REG/cache/app:nope ignored: .*HTTP 404: MANIFEST_UNKNOWN" \
	"  with a warning naming the ref and the registry's answer"
is "$(grep -c 'ignored' "$E/log")" 1 "  once (not once per step)"

# A registry that does not answer: the same.
port=$(registry_free_port)
newmachine F
build "$F" "$T/f/ctx" --cache-from "127.0.0.1:$port/cache/app:max"
is "$rc:$(ran "$F")" "0:3" "a registry that does not answer: the build runs every step"
like "$(cat "$F/log")" "warning: --cache-from 127.0.0.1:$port/cache/app:max ignored: .*127.0.0.1:$port" \
	"  with a warning naming the registry"
# --cache-to to it: that is an error (as BuildKit's export).
build "$F" "$T/f/ctx" --cache-to "127.0.0.1:$port/cache/app:max"
check "--cache-to a registry that does not answer: make fails" test "$rc" -ne 0
like "$(cat "$F/log")" "cache export to 127.0.0.1:$port/cache/app:max: .*127.0.0.1:$port" \
	"  with an error naming the ref"

# registries.conf applies as for pull: a blocked registry is not asked.
printf '[[registry]]\nlocation = "%s"\nblocked = true\n' "$REG" >"$T/blocked.conf"
rm -rf "$F/state"
CONTAINERS_REGISTRIES_CONF=$T/blocked.conf build "$F" "$T/f/ctx" --cache-from "$REG/cache/app:max"
is "$rc:$(ran "$F")" "0:3" "registries.conf blocked = true: the cache is not used"
like "$(cat "$F/log")" "ignored: .*registry $REG/cache/app is blocked in registries.conf" \
	"  the warning says why"

# An image that is not a df2make cache: a warning.
"$RT" --store "$A/store" push "$A/image.tar" "$REG/app/image:1" >/dev/null 2>&1
rm -rf "$F/state"
build "$F" "$T/f/ctx" --cache-from "$REG/app/image:1"
is "$rc:$(ran "$F")" "0:3" "--cache-from an image, not a cache: every step runs"
like "$(cat "$F/log")" "warning: --cache-from $REG/app/image:1 ignored: manifest sha256:[0-9a-f]{64}: not a df2make cache" \
	"  with a warning"

# A manifest whose config descriptor claims more than the 64 MiB a cache
# config may have: refused before a byte of it is fetched.
cfgblob=$(reg_config cache/app max)
cdig=sha256:$(printf %s "$cfgblob" | sha256sum | cut -c1-64)
reg_manifest cache/app max | jq -c '.config.size = 100000000' >"$T/big.json"
curl -sf -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
	--data-binary @"$T/big.json" "http://$REG/v2/cache/app/manifests/bigcfg" >/dev/null
check "a manifest claiming a 100 MB config is in the registry" \
	test "$(reg_manifest cache/app bigcfg | jq .config.size)" = 100000000
rm -rf "$F/state"
mark
build "$F" "$T/f/ctx" --cache-from "$REG/cache/app:bigcfg"
is "$rc:$(ran "$F")" "0:3" "a config of 100 MB claimed: the cache is ignored"
like "$(cat "$F/log")" "ignored: .*config of more than 67108864 bytes" "  with a warning"
is "$(gets | grep -c "/blobs/$cdig")" 0 "  and the config was not fetched"

# The CI pattern: the same ref to import from and export to. The first
# build finds nothing (a warning) and pushes; the next machine takes every
# step and its export sends no layer (the registry has them all).
newmachine H
build "$H" "$T/h/ctx" --cache-from "$REG/cache/ci:main" --cache-to "type=registry,ref=$REG/cache/ci:main,mode=max"
is "$rc:$(ran "$H")" "0:3" "CI pattern, first build: nothing to import, 3 RUN steps, cache pushed"
newmachine I
build "$I" "$T/i/ctx" --cache-from "$REG/cache/ci:main" --cache-to "type=registry,ref=$REG/cache/ci:main,mode=max"
is "$rc:$(ran "$I"):$(digest "$I")" "0:0:$(digest "$H")" \
	"CI pattern, next machine: 0 RUN steps, the first machine's image"
is "$(grep -cE ': [0-9]+ bytes pushed in [0-9.]+s$' "$I/log")" 0 "  its export pushes no blob (all there)"

# Two makes at once on one fresh state dir, both from the registry: the
# step locks let one import and restore each step and the other take it.
newmachine K
compile "$K" "$T/k/ctx" --cache-from "$REG/cache/app:max"
two_makes "$K"
is "$rc1:$rc2" "0:0" "two concurrent makes from the registry cache both succeed"
is "$ran1:$ran2:$(digest "$K")" "0:0:$ref" "  neither ran a RUN; A's image"

# A layer blob corrupted in the registry's storage. The step was restored
# lazily (from its record); pack, which gives the image its blob, fetches
# it, the digest check refuses it while it streams, and make
# fails naming the step and the blob (the verified store rule: nothing
# unverified enters the store). The step lost its stamp and its record:
# the next make runs it and builds a correct image.
run_layer=$(reg_config cache/app max |
	jq -r '[.records[] | select(.layer != null) | .layer.digest] | .[]' | while read -r d; do
		# the layer of the image's RUN: it holds app/stamp
		curl -sf "http://$REG/v2/cache/app/blobs/$d" | tar -t 2>/dev/null | grep -qx app/stamp && echo "$d"
	done)
run_key=$(reg_config cache/app max | jq -r --arg d "$run_layer" \
	'.records[] | select(.layer.digest == $d) | .key')
data=$REG_DIR/data/docker/registry/v2/blobs/sha256/${run_layer:7:2}/${run_layer#sha256:}/data
cp "$data" "$T/layer.good"
printf 'X' | dd of="$data" bs=1 seek=700 conv=notrunc 2>/dev/null
newmachine G
build "$G" "$T/g/ctx" --cache-from "$REG/cache/app:max"
is "$rc:$(ran "$G")" "2:0" "a corrupted layer in the registry: make fails (no RUN ran)"
msg="df2make-runtime: exporting to image: layer: step ${run_key:0:8}, restored from --cache-from "
msg+="$REG/cache/app:max: "
msg+="its layer $run_layer: pull from $REG/cache/app:max: blob $run_layer: digest mismatch: "
msg+="content is sha256:$(sha256sum <"$data" | cut -c1-64), expected $run_layer; "
msg+="the next make runs the step again"
is "$(grep '^df2make-runtime: ' "$G/log")" "$msg" "  the error names the step and the blob"
check "  the corrupted blob is not in the store" test ! -e "$G/store/blobs/sha256/${run_layer#sha256:}"
check "  the step lost its stamp" test ! -e "$G/state/$run_key.done"
make -f "$G/build.mk" >"$G/log" 2>&1
is "$?:$(ran "$G")" "0:1" "the next make succeeds and runs that step"
like "$(cat "$G/log")" \
	"warning: step ${run_key:0:8}: its layer from --cache-from $REG/cache/app:max failed before, running it" \
	"  saying why"
check "  the image differs from A's (/app/stamp made again)" test "$(digest "$G")" != "$ref"
is "$(img_file "$G" app/ok):$(img_file "$G" app/built)" "ok:alpha" "  and holds the right files"
cp "$T/layer.good" "$data"

# kill -9 of make while a layer streams from the registry (a throttling
# proxy in front of it; the deps project, whose image has a 1 MB layer):
# nothing unverified is stored; the next make completes from the cache,
# runs no RUN and gives A's image.
proxy_start --slow 100000 "$T/fast"
L=$T/L
machine "$L"
mkdeps "$T/l/ctx" 1
compile "$L" "$T/l/ctx" --cache-from "$PROXY/cache/deps:main"
setsid make -f "$L/build.mk" >"$L/log" 2>&1 &
pid=$!
for i in $(seq 200); do
	ls -A "$L/store/blobs/sha256" 2>/dev/null | grep -q '^\.tmp' && break
	sleep 0.1
done
sleep 0.5
kill -9 -- -"$pid" 2>/dev/null
wait "$pid" 2>/dev/null
check "killed while a layer streams: a temp file was being written" \
	test -n "$(ls -A "$L/store/blobs/sha256" | grep '^\.tmp')"
bad=0
for b in "$L"/store/blobs/sha256/*; do
	[ "$(sha256sum <"$b" | cut -c1-64)" = "$(basename "$b")" ] || bad=$((bad + 1))
done
is "$bad" 0 "  every blob of the store hashes to its name"
touch "$T/fast"
make -f "$L/build.mk" >"$L/log" 2>&1
is "$?:$(ran "$L"):$(digest "$L")" "0:0:$depsref" "the next make completes: 0 RUN steps, A's image"
is "$(find "$L/store" "$L/state" -name '.tmp-*' | wc -l)" 0 "  and no temp file is left"
proxy_stop

# Behind a bearer-token endpoint (the distribution spec's token flow, as
# Docker Hub): credentials from docker's config.json for the token realm.
proxy_start --token "dave:tok-Pa55"
mkdir -p "$DOCKER_CONFIG"
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$PROXY" "$(printf 'dave:tok-Pa55' | base64)" \
	>"$DOCKER_CONFIG/config.json"
newmachine N
build "$N" "$T/n/ctx" --cache-from "$PROXY/cache/app:max"
is "$rc:$(ran "$N"):$(digest "$N")" "0:0:$ref" "bearer token: 0 RUN steps, A's image"
like "$(cat "$PROXY_LOG")" "token service=df2make-test scope=repository:cache/app:pull basic=True" \
	"  a token for the cache's repository, asked with the credentials"
check "  the password is not in build.mk, the state, the store or the log" \
	test -z "$(grep -rlaF 'tok-Pa55' "$N")"
rm -f "$DOCKER_CONFIG/config.json"
proxy_stop

# The same through TLS from a test CA (its certs.d directory) and htpasswd
# basic auth, credentials in docker's config.json: the registry client's
# own rules, as for pull and push. The password never leaves the runtime.
registry_stop
PW='cache-Pa55word-x7'
REG_DIR=$T/reg-tls
REG_ACCESSLOG=1 registry_start tls carol "$PW" || { not_ok "TLS registry starts"; done_testing; exit; }
export DF2MAKE_CERTS_D=$REG_CERTS_D
TA=$T/TA
machine "$TA"
build "$TA" "$T/a/ctx" --cache-to "type=registry,ref=$REG/cache/app:tls,mode=max"
check "TLS, no credentials: the export fails" test "$rc" -ne 0
like "$(cat "$TA/log")" "cache export to $REG/cache/app:tls: .*the registry wants a user and password" \
	"  saying what is missing"
mkdir -p "$DOCKER_CONFIG"
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REG" "$(printf 'carol:%s' "$PW" | base64)" \
	>"$DOCKER_CONFIG/config.json"
make -f "$TA/build.mk" >"$TA/log" 2>&1
is "$?:$(ran "$TA")" "0:0" "TLS + basic auth: machine A pushes its cache (no step runs again)"
tref=$(digest "$TA")
TB=$T/TB
machine "$TB"
mkctx "$T/tb/ctx"
mark
build "$TB" "$T/tb/ctx" --cache-from "type=registry,ref=$REG/cache/app:tls"
is "$rc:$(ran "$TB"):$(digest "$TB")" "0:0:$tref" \
	"TLS + basic auth: machine B builds from it, 0 RUN steps, A's image"
is "$(blob_gets)" 3 "  3 blobs fetched over TLS (config and the image's 2 layers)"
TC=$T/TC
machine "$TC"
mkctx "$T/tc/ctx"
DF2MAKE_CERTS_D= build "$TC" "$T/tc/ctx" --cache-from "type=registry,ref=$REG/cache/app:tls"
is "$rc:$(ran "$TC")" "0:3" "CA unknown: the cache is ignored, every step runs"
like "$(cat "$TC/log")" "warning: --cache-from $REG/cache/app:tls ignored: .*(certificate|SSL)" \
	"  with a certificate warning"
leaks=$(grep -rlaF -- "$PW" "$TA" "$TB" "$TC" 2>/dev/null | grep -v '/docker/config.json$')
is "$leaks" "" "the password is in no build.mk, state, store or log"
unset DF2MAKE_CERTS_D

# One source named twice (long and short form): one import target.
out=$("$DF2MAKE" --cache-from "$REG/cache/app:max" --cache-from "type=registry,ref=$REG/cache/app:max" \
	"$T/a/ctx" 2>&1)
is "$(grep '^export DF2MAKE_CACHE_FROM' <<<"$out" | grep -o '"key":"[0-9a-f]*"' | sort -u | wc -l)" 1 \
	"a ref given twice: one import key"

out=$("$DF2MAKE" --no-cache --cache-from "$REG/cache/app:max" "$T/a/ctx" 2>&1)
is "$(grep -c 'import\|DF2MAKE_CACHE_RUN' <<<"$out")" 0 "--no-cache: no import, no run id"

# Bad refs are compile errors, with buildx's option syntax.
bad() { # EXPECTED-MESSAGE ARGS...: df2make ARGS fails with that message
	local want=$1
	shift
	out=$("$DF2MAKE" "$@" "$T/a/ctx" 2>&1 >/dev/null)
	is "$?:$out" "1:df2make: $want" "df2make $*: exit 1 and the message"
}
bad "--cache-from: bad ref 'Cache/App:1': invalid reference format: repository name (Cache/App:1) must be lowercase" \
	--cache-from Cache/App:1
bad "--cache-to: type=registry needs ref=REG/NAME:TAG" --cache-to type=registry,mode=max
bad "--cache-to: ref '$REG/c@sha256:$(printf %064d 0)' must name a tag, not a digest (the cache is pushed under it)" \
	--cache-to "$REG/c@sha256:$(printf %064d 0)"
bad "--cache-from: type must be local or registry, not 'gha'" --cache-from type=gha,url=x
bad "--cache-to: mode must be min or max, not 'all'" --cache-to "type=registry,ref=$REG/c:1,mode=all"
bad "--cache-from: unknown option 'mode=max' (want type=local,src=DIR or type=registry,ref=REF)" \
	--cache-from "type=registry,ref=$REG/c:1,mode=max"

done_testing

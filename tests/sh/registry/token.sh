#!/usr/bin/env bash
# The bearer-token flow (a token endpoint served by tests/sh/registry/
# proxy.py in front of docker-registry: configuring docker-registry's own
# auth.token needs a JWT signing chain, the flow seen by the client is the
# same), a registry mirror from registries.conf, Docker Hub short names,
# and a pull killed midway.
. "$SRCDIR/tests/lib.sh"
. "$SRCDIR/tests/sh/image/helpers.bash"
. "$SRCDIR/tests/lib/registry.sh"
need python3 skopeo curl jq
export CONTAINERS_REGISTRIES_CONF=$T/none.conf REGISTRY_AUTH_FILE= DOCKER_CONFIG=$T/docker XDG_RUNTIME_DIR=
PW='t0ken-Pa55'

mk_rootfs "$T/root"
tar_dir "$T/root" "$T/rootfs.tar"
mk_docker_archive "$T/busy.tar" "busy:1" "$T/rootfs.tar"
registry_start || { not_ok "registry starts"; done_testing; exit; }
registry_put "$T/busy.tar" library/busy:1
registry_put "$T/busy.tar" mirror/library/busy:1
proxy_start --token "alice:$PW"
TOK_LOG=$PROXY_LOG

out=$(rt pull "$PROXY/library/busy:1" 2>&1)
is "$?" 1 "token server refuses anonymous: exit 1"
like "$out" "token server http://$PROXY/token: 401 Unauthorized" "the token server's refusal is named"

mkdir -p "$DOCKER_CONFIG"
printf '{"auths":{"http://%s/v1/":{"auth":"%s"}}}\n' "$PROXY" "$(printf 'alice:%s' "$PW" | base64)" \
	>"$DOCKER_CONFIG/config.json"
: >"$TOK_LOG"
out=$(rt pull "$PROXY/library/busy:1" 2>&1)
is "$?" 0 "pull through the bearer-token flow (auths key with scheme and path)"
like "$(cat "$TOK_LOG")" "^token service=df2make-test scope=repository:library/busy:pull basic=True$" \
	"token asked with the challenge's service and scope, with Basic credentials"
is "$(grep -c '^token' "$TOK_LOG")" 1 "one token for the whole pull"
check "every registry request after the token carries it" \
	[ "$(grep -c '^GET /v2/library/busy/.* auth=Bearer' "$TOK_LOG")" -ge 3 ]
check "pulled" [ -n "$(ref_json "$PROXY/library/busy:1")" ]
out=$(rt login -u alice -p "$PW" "$PROXY" 2>&1)
is "$out" "Login Succeeded" "login through a token server"
like "$(tail -1 "$TOK_LOG"; grep '^token' "$TOK_LOG" | tail -1)" "scope= basic=True" "login asks for a token without a scope"

# a push mounting the blobs of another repository: the token must let it
# pull from there too (the proxy, as the registry, uploads instead)
: >"$TOK_LOG"
out=$(rt push "$PROXY/library/busy:1" "$PROXY/other/busy:1" 2>&1)
is "$?" 0 "push through the bearer-token flow"
like "$(grep '^token' "$TOK_LOG")" "scope=repository:other/busy:pull,push repository:library/busy:pull basic=True" \
	"the mount's token asks for the destination and the source repository (two scope=)"
is "$(grep -c ': mounted from library/busy$' <<<"$out")/$(grep -c 'pushing' <<<"$out")" "2/0" \
	"layer and config mounted, nothing uploaded"
is "$(skopeo inspect --tls-verify=false --raw "docker://$REG/other/busy:1" | sha256sum | cut -c1-64)" \
	"$(skopeo inspect --tls-verify=false --raw "docker://$REG/library/busy:1" | sha256sum | cut -c1-64)" \
	"the pushed manifest is the source's"

# a mirror from registries.conf, for a Docker Hub short name
cat >"$T/mirror.conf" <<CONF
# the registry itself is a closed loopback port: only the mirror answers
[[registry]]
prefix = "docker.io"
location = "127.0.0.2:9"
[[registry.mirror]]
location = "$REG/mirror"
CONF
rm -rf "$STORE"
out=$(CONTAINERS_REGISTRIES_CONF=$T/mirror.conf rt pull busy:1 2>&1)
is "$?" 0 "busy:1 pulled from the mirror (the registry's own port is closed)"
check "stored under its docker.io name" [ -n "$(ref_json docker.io/library/busy:1)" ]
sed 's/^location = "127.0.0.2:9"$/location = "127.0.0.2:9"\nmirror-by-digest-only = true/' "$T/mirror.conf" >"$T/mirror2.conf"
out=$(CONTAINERS_REGISTRIES_CONF=$T/mirror2.conf rt pull busy:1 2>&1)
like "$out" "pull from 127.0.0.2:9: .*(refused|connect)" "mirror-by-digest-only: a tag goes to the registry itself"
printf '[[registry]]\nlocation = "%s"\nblocked = true\n' "$REG" >"$T/blocked.conf"
out=$(CONTAINERS_REGISTRIES_CONF=$T/blocked.conf rt pull "$REG/library/busy:1" 2>&1)
like "$out" "registry $REG/library/busy is blocked in registries.conf" "blocked = true"
printf '[[registry]]\nlocation = "x"\nbad line\n' >"$T/bad.conf"
out=$(CONTAINERS_REGISTRIES_CONF=$T/bad.conf rt pull "$REG/library/busy:1" 2>&1)
like "$out" "bad.conf:3: not understood" "a broken registries.conf: file and line"

# a pull killed while a layer streams leaves nothing half-made
proxy_start --slow 100000 "$T/fast"
rm -rf "$STORE"
rt pull "$PROXY/library/busy:1" >/dev/null 2>&1 &
pid=$!
for i in $(seq 100); do
	ls -A "$STORE/blobs/sha256" 2>/dev/null | grep -q '^\.tmp' && break
	sleep 0.1
done
sleep 0.5
kill -9 $pid
wait $pid 2>/dev/null
layer=$(jq -r '.layers[0].digest' < <(skopeo inspect --tls-verify=false --raw "docker://$REG/library/busy:1"))
check "killed midway: no ref file" [ -z "$(ls "$STORE/refs" 2>/dev/null)" ]
check "killed midway: the layer is not stored under its digest" [ ! -e "$STORE/blobs/sha256/${layer#sha256:}" ]
bad=0
for f in "$STORE"/blobs/sha256/*; do
	[ -e "$f" ] && [ "$(sha "$f")" != "$(basename "$f")" ] && bad=1
done
is "$bad" 0 "killed midway: every stored blob hashes to its name"
touch "$T/fast"
out=$(rt pull "$PROXY/library/busy:1" 2>&1)
is "$?" 0 "the pull started again completes"
check "the layer is now stored" [ -e "$STORE/blobs/sha256/${layer#sha256:}" ]

done_testing

#!/usr/bin/env bash
# A registry that requires a client certificate: the pair comes from the
# certs.d directory (NAME.cert + NAME.key, docker's and podman's layout).
. "$SRCDIR/tests/lib.sh"
. "$SRCDIR/tests/sh/image/helpers.bash"
. "$SRCDIR/tests/lib/registry.sh"
need python3 skopeo curl jq openssl
export CONTAINERS_REGISTRIES_CONF=$T/none.conf REGISTRY_AUTH_FILE= DOCKER_CONFIG=$T/docker XDG_RUNTIME_DIR=

mk_rootfs "$T/root"
tar_dir "$T/root" "$T/rootfs.tar"
mk_docker_archive "$T/busy.tar" "busy:1" "$T/rootfs.tar"
registry_start mtls || { not_ok "registry starts"; done_testing; exit; }
export DF2MAKE_CERTS_D=$REG_CERTS_D
D=$REG_CERTS_D/$REG
mkdir -p "$T/skocerts"
cp "$REG_DIR/tls/client.cert" "$REG_DIR/tls/client.key" "$T/skocerts/"
registry_put "$T/busy.tar" library/busy:1 --dest-cert-dir "$T/skocerts"

out=$(rt pull "$REG/library/busy:1" 2>&1)
is "$?" 1 "no client certificate: exit 1"
like "$out" "pull from $REG: library/busy:1: GET https://$REG/v2/library/busy/manifests/1: " \
	"no client certificate: a TLS error, no fallback to plain HTTP"

cp "$REG_DIR/tls/client.cert" "$D/client.cert"
out=$(rt pull "$REG/library/busy:1" 2>&1)
is "$?" 1 "a .cert without its .key: exit 1"
like "$out" "client certificate $D/client.cert without its key $D/client.key" "a .cert without its .key: named"

cp "$REG_DIR/tls/client.key" "$D/client.key"
out=$(rt pull "$REG/library/busy:1" 2>&1)
is "$?" 0 "client.cert + client.key from certs.d: pulled"
check "stored" [ -n "$(ref_json "$REG/library/busy:1")" ]

done_testing

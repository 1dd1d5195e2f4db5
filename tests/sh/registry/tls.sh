#!/usr/bin/env bash
# A registry with TLS from a test CA and htpasswd basic auth: the CA from a
# certs.d directory, credentials from docker's config.json (login/logout),
# REGISTRY_AUTH_FILE and a credential helper; --tls-verify=false and
# registries.conf insecure; the password never written anywhere.
. "$SRCDIR/tests/lib.sh"
. "$SRCDIR/tests/sh/image/helpers.bash"
. "$SRCDIR/tests/lib/registry.sh"
need python3 skopeo curl jq openssl htpasswd
export CONTAINERS_REGISTRIES_CONF=$T/none.conf REGISTRY_AUTH_FILE= DOCKER_CONFIG=$T/docker XDG_RUNTIME_DIR=
PW='s3cret-Pa55word'

registry_busy alice "$PW" || { not_ok "registry starts"; done_testing; exit; }
IMG=$REG/library/busy:1

out=$(rt pull "$IMG" 2>&1)
is "$?" 1 "no credentials: exit 1"
like "$out" "pull from $REG: .*the registry wants a user and password" "no credentials: says what is missing"

out=$(rt login -u alice -p wrong "$REG" 2>&1)
is "$?" 1 "login with a wrong password: exit 1"
is "$out" "df2make-runtime: $REG: unauthorized: wrong user or password" "login: wrong password message"
check "login failed: nothing written" [ ! -e "$DOCKER_CONFIG/config.json" ]

out=$(printf '%s\n' "$PW" | rt login -u alice --password-stdin "$REG" 2>&1)
is "$out" "Login Succeeded" "login --password-stdin"
is "$(jq -r --arg k "$REG" '.auths[$k].auth' "$DOCKER_CONFIG/config.json")" \
	"$(printf 'alice:%s' "$PW" | base64)" "login writes auths[HOST].auth as docker does"
is "$(stat -c %a "$DOCKER_CONFIG/config.json")" 600 "config.json is owner-only"

out=$(rt pull "$IMG" 2>&1)
is "$?" 0 "pull with the login's credentials over TLS (CA from certs.d)"
check "pulled" [ -n "$(ref_json "$IMG")" ]

rm -rf "$STORE"
out=$(DF2MAKE_CERTS_D= rt pull "$IMG" 2>&1)
is "$?" 1 "CA unknown: exit 1"
like "$out" "(certificate|SSL)" "CA unknown: a certificate error"
out=$(DF2MAKE_CERTS_D= rt pull --tls-verify=false "$IMG" 2>&1)
is "$?" 0 "--tls-verify=false pulls without the CA"
printf '[[registry]]\nlocation = "%s"\ninsecure = true\n' "$REG" >"$T/insecure.conf"
rm -rf "$STORE"
out=$(CONTAINERS_REGISTRIES_CONF=$T/insecure.conf DF2MAKE_CERTS_D= rt pull "$IMG" 2>&1)
is "$?" 0 "registries.conf insecure = true pulls without the CA"

# REGISTRY_AUTH_FILE (podman's auth.json) instead of docker's config
mv "$DOCKER_CONFIG/config.json" "$T/docker.json"
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REG" "$(printf 'alice:%s' "$PW" | base64)" >"$T/auth.json"
rm -rf "$STORE"
out=$(REGISTRY_AUTH_FILE=$T/auth.json rt pull "$IMG" 2>&1)
is "$?" 0 "credentials from REGISTRY_AUTH_FILE"

# a credential helper named by credHelpers
mkdir -p "$T/bin"
cat >"$T/bin/docker-credential-dftest" <<HELPER
#!/bin/sh
read -r server
echo "\$server" >"$T/helper-asked"
[ "\$1" = get ] && printf '{"ServerURL":"%s","Username":"alice","Secret":"%s"}\n' "\$server" '$PW'
HELPER
chmod +x "$T/bin/docker-credential-dftest"
printf '{"credHelpers":{"%s":"dftest"}}\n' "$REG" >"$DOCKER_CONFIG/config.json"
rm -rf "$STORE"
out=$(PATH=$T/bin:$PATH rt pull "$IMG" 2>&1)
is "$?" 0 "credentials from a docker-credential helper"
is "$(cat "$T/helper-asked" 2>/dev/null)" "$REG" "the helper is asked for the registry host"
printf '{"credsStore":"dftest"}\n' >"$DOCKER_CONFIG/config.json"
rm -rf "$STORE" "$T/helper-asked"
out=$(PATH=$T/bin:$PATH rt pull "$IMG" 2>&1)
is "$?" 0 "credentials from credsStore (the same helper protocol)"
is "$(cat "$T/helper-asked" 2>/dev/null)" "$REG" "credsStore: the helper is asked for the registry host"
printf '{"credHelpers":{"%s":"missing"}}\n' "$REG" >"$DOCKER_CONFIG/config.json"
out=$(rt pull "$IMG" 2>&1)
like "$out" "docker-credential-missing get: not found in PATH" "a missing helper: clear error"
mv "$T/docker.json" "$DOCKER_CONFIG/config.json"

# a build through make with the credentials: the password is nowhere
if [ "$(id -u)" = 0 ] && command -v make >/dev/null; then
	rm -rf "$STORE"
	mkdir -p "$T/ctx"
	printf 'FROM %s\nRUN echo ok > /ok\n' "$IMG" >"$T/ctx/Dockerfile"
	(cd "$T" && DF2MAKE_STORE=$STORE "$DF2MAKE" ctx >build.mk 2>/dev/null &&
		DF2MAKE_STORE=$STORE "$DF2MAKE" --plan ctx >plan.yaml 2>/dev/null &&
		DF2MAKE_STORE=$STORE env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -f build.mk \
			DF2MAKE_RUNTIME="$DF2MAKE_RUNTIME_BIN" >make.log 2>&1)
	is "$?" 0 "a build pulls its base with the login's credentials"
	b64=$(printf 'alice:%s' "$PW" | base64)
	hits=$(grep -rlaF -e "$PW" -e "$b64" "$T/build.mk" "$T/plan.yaml" "$T/make.log" "$T/.df2make" "$STORE" 2>/dev/null)
	is "$hits" "" "the password is not in build.mk, the plan, make's output, the state or the store"
else
	skip "a build pulls its base with the login's credentials" "needs root and make"
	skip "the password is not in build.mk, the plan, make's output, the state or the store" "needs root and make"
fi

out=$(rt logout "$REG" 2>&1)
is "$out" "Removing login credentials for $REG" "logout"
is "$(jq -c '.auths' "$DOCKER_CONFIG/config.json")" "{}" "logout removes the auths entry"
is "$(rt logout "$REG" 2>&1)" "Not logged in to $REG" "logout again: not logged in"
out=$(rt pull "$IMG" 2>&1)
is "$?" 1 "after logout the pull is refused again"

# Docker Hub's key, as docker writes it (offline: logout only)
printf '{"auths":{"https://index.docker.io/v1/":{"auth":"eDp5"},"%s":{"auth":"eDp5"}},"credsStore":"x"}\n' "$REG" \
	>"$DOCKER_CONFIG/config.json"
is "$(rt logout 2>&1)" "Removing login credentials for https://index.docker.io/v1/" "logout without a server: Docker Hub"
is "$(jq -c '[(.auths | keys), .credsStore]' "$DOCKER_CONFIG/config.json")" "[[\"$REG\"],\"x\"]" \
	"only Docker Hub's entry removed, the rest of config.json kept"

done_testing

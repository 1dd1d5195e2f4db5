# tests/lib/registry.sh: a private registry on loopback for a test, Debian's
# docker-registry (the reference distribution registry) with its storage
# under the test directory. Stopped when the test exits.
#
#   . "$SRCDIR/tests/lib/registry.sh"
#   registry_start             # plain HTTP on 127.0.0.1:$REG_PORT
#   registry_start tls USER PASS
#                              # TLS from a test CA + htpasswd basic auth;
#                              # the CA is in $REG_CERTS_D/127.0.0.1:PORT/ca.crt
#   registry_start mtls        # TLS that requires a client certificate
#                              # signed by the test CA ($REG_DIR/tls/client.*)
#   registry_put TAR REPO:TAG  # skopeo copy docker-archive:TAR -> the registry
#   REG_ACCESSLOG=1 before registry_start: one line per request in
#                              # $REG_DIR/log ("GET /v2/... HTTP/1.1" STATUS BYTES)
#
# Sets REG (127.0.0.1:PORT), REG_PORT, REG_DIR.

registry_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# registry_ca DIR: a CA and a server certificate for 127.0.0.1 in DIR.
registry_ca() {
	local d=$1
	mkdir -p "$d"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=df2make-test-ca \
		-keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null &&
		openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 \
			-keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null &&
		printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$d/ext" &&
		openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" \
			-CAcreateserial -days 2 -extfile "$d/ext" -out "$d/server.crt" 2>/dev/null
}

_registry_config() { # MODE USER PASS
	local c=$REG_DIR/config.yml
	cat >"$c" <<YAML
version: 0.1
log:
  level: error
  accesslog:
    disabled: $([ -n "${REG_ACCESSLOG:-}" ] && echo false || echo true)
storage:
  filesystem:
    rootdirectory: $REG_DIR/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$REG_PORT
YAML
	if [ "$1" = tls ] || [ "$1" = mtls ]; then
		registry_ca "$REG_DIR/tls" || return 1
		cat >>"$c" <<YAML
  tls:
    certificate: $REG_DIR/tls/server.crt
    key: $REG_DIR/tls/server.key
YAML
	fi
	if [ "$1" = tls ]; then
		htpasswd -Bbn "$2" "$3" >"$REG_DIR/htpasswd" || return 1
		cat >>"$c" <<YAML
auth:
  htpasswd:
    realm: df2make-test
    path: $REG_DIR/htpasswd
YAML
	fi
	if [ "$1" = mtls ]; then
		local d=$REG_DIR/tls
		openssl req -newkey rsa:2048 -nodes -subj /CN=df2make-client \
			-keyout "$d/client.key" -out "$d/client.csr" 2>/dev/null &&
			openssl x509 -req -in "$d/client.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" \
				-CAcreateserial -days 2 -out "$d/client.cert" 2>/dev/null || return 1
		printf '    clientcas:\n      - %s\n' "$d/ca.crt" >>"$c"
	fi
	if [ "$1" = tls ] || [ "$1" = mtls ]; then
		REG_CERTS_D=$REG_DIR/certs.d
		mkdir -p "$REG_CERTS_D/127.0.0.1:$REG_PORT"
		cp "$REG_DIR/tls/ca.crt" "$REG_CERTS_D/127.0.0.1:$REG_PORT/ca.crt"
	fi
}

registry_stop() {
	[ -n "${REG_PID:-}" ] && kill "$REG_PID" 2>/dev/null && wait "$REG_PID" 2>/dev/null
	REG_PID=
}

registry_start() {
	local mode=${1:-plain} i scheme=http
	command -v docker-registry >/dev/null || skip_all "docker-registry not installed"
	REG_DIR=${REG_DIR:-$T/registry}
	mkdir -p "$REG_DIR/data"
	REG_PORT=$(registry_free_port) || return 1
	REG=127.0.0.1:$REG_PORT
	_registry_config "$mode" "${2:-}" "${3:-}" || return 1
	REG_CLIENT=
	[ "$mode" = mtls ] && REG_CLIENT=1
	# REGISTRY_* variables override the registry's config (REGISTRY_AUTH_FILE,
	# which the runtime reads, would become auth.file)
	env $(env | sed -n 's/^\(REGISTRY_[A-Z_]*\)=.*/-u \1/p') \
		docker-registry serve "$REG_DIR/config.yml" >"$REG_DIR/log" 2>&1 &
	REG_PID=$!
	trap registry_stop EXIT
	[ "$mode" != plain ] && scheme=https
	for i in $(seq 100); do
		curl -s -o /dev/null --cacert "$REG_DIR/tls/ca.crt" ${REG_CLIENT:+--cert "$REG_DIR/tls/client.cert" --key "$REG_DIR/tls/client.key"} \
			"$scheme://$REG/v2/" 2>/dev/null && return 0
		sleep 0.1
	done
	cat "$REG_DIR/log" >&2
	return 1
}

# registry_put TAR REPO:TAG [skopeo dest options]
registry_put() {
	local tar=$1 ref=$2
	shift 2
	skopeo copy -q --dest-tls-verify=false "$@" "docker-archive:$tar" "docker://$REG/$ref" >&2
}

# proxy_start [proxy.py options]: tests/sh/registry/proxy.py in front of
# the registry (bearer tokens, slow blobs); sets PROXY (127.0.0.1:PORT) and
# PROXY_LOG. Stopped with the registry.
proxy_start() {
	local i pf
	pf=$(mktemp "$REG_DIR/proxy.XXXXXX")
	PROXY_LOG=$pf.log
	: >"$PROXY_LOG"
	python3 "$SRCDIR/tests/sh/registry/proxy.py" "$REG" "$PROXY_LOG" "$@" >"$pf" &
	PROXY_PIDS="${PROXY_PIDS:-} $!"
	trap 'registry_stop; proxy_stop' EXIT
	for i in $(seq 50); do
		[ -s "$pf" ] && break
		sleep 0.1
	done
	PROXY=127.0.0.1:$(cat "$pf")
}

proxy_stop() {
	local p
	for p in ${PROXY_PIDS:-}; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	PROXY_PIDS=
}

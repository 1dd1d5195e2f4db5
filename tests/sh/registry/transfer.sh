#!/usr/bin/env bash
# transfer: an OCI layout to and from a registry, for any artifact (here a
# build-cache-like index of two manifests with opaque blobs), nothing
# through the store.
. "$SRCDIR/tests/lib.sh"
. "$SRCDIR/tests/sh/image/helpers.bash"
. "$SRCDIR/tests/lib/registry.sh"
need python3 skopeo curl jq
export CONTAINERS_REGISTRIES_CONF=$T/none.conf REGISTRY_AUTH_FILE= DOCKER_CONFIG=$T/docker XDG_RUNTIME_DIR=
registry_start || { not_ok "registry starts"; done_testing; exit; }

top=$(python3 "$SRCDIR/tests/sh/registry/mklayout.py" "$T/lay")
out=$(rt transfer "oci:$T/lay" "docker://$REG/cache/app:main" 2>/dev/null)
is "$?" 0 "layout -> registry: exit 0"
like "$out" "^Digest: $top$" "prints the index digest"
raw=$(curl -s -H 'Accept: application/vnd.oci.image.index.v1+json' "http://$REG/v2/cache/app/manifests/main")
is "sha256:$(printf %s "$raw" | sha256sum | cut -c1-64)" "$top" "the registry serves the index byte for byte"
check "nothing went through the store" [ ! -e "$STORE/refs" ]

out=$(rt transfer "docker://$REG/cache/app:main" "oci:$T/back" 2>/dev/null)
is "$?" 0 "registry -> layout: exit 0"
is "$(jq -r '.manifests[0].digest' "$T/back/index.json")" "$top" "index.json names the index"
is "$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"]' "$T/back/index.json")" main \
	"with the tag as ref.name"
is "$(cd "$T/back/blobs/sha256" && ls | sort | tr '\n' ' ')" "$(cd "$T/lay/blobs/sha256" && ls | sort | tr '\n' ' ')" \
	"every blob copied back"
diff -r "$T/lay/blobs" "$T/back/blobs" >/dev/null && ok "blobs identical" || not_ok "blobs identical"

out=$(rt transfer "oci:$T/nope" "docker://$REG/cache/app:x" 2>&1)
like "$out" "index.json: want an index.json naming one manifest" "a missing layout: clear error"
out=$(rt transfer "$T/lay" "$REG/cache/app:x" 2>&1)
like "$out" "^usage: df2make-runtime transfer" "without oci:/docker:// prefixes: usage"

done_testing

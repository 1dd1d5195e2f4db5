#!/usr/bin/env bash
# push: an archive (loaded into the store under the destination name) or
# a store image to a registry: blobs the registry has are skipped (HEAD),
# blobs of another repository of the same registry are mounted, big blobs
# go in several PATCH chunks; the digest is the one skopeo reports.
. "$SRCDIR/tests/lib.sh"
. "$SRCDIR/tests/sh/image/helpers.bash"
. "$SRCDIR/tests/lib/registry.sh"
need python3 skopeo curl jq
export CONTAINERS_REGISTRIES_CONF=$T/none.conf REGISTRY_AUTH_FILE= DOCKER_CONFIG=$T/docker XDG_RUNTIME_DIR=

mk_rootfs "$T/root"
# 20 MiB of noise: more than one 8 MiB PATCH
head -c $((20 << 20)) /dev/urandom >"$T/root/noise"
tar_dir "$T/root" "$T/rootfs.tar"
mk_docker_archive "$T/busy.tar" "busy:1" "$T/rootfs.tar"
registry_start || { not_ok "registry starts"; done_testing; exit; }
skodigest() { skopeo inspect --tls-verify=false "docker://$REG/$1" | jq -r .Digest; }

# 8 MiB chunks (the default is 64 MiB): the 20 MiB layer goes in three PATCHes
out=$(DF2MAKE_PUSH_CHUNK=$((8 << 20)) rt push "$T/busy.tar" "$REG/x/busy:1" 2>"$T/err")
is "$?" 0 "push an archive: exit 0"
d=$(sed -n 's/^Digest: //p' <<<"$out")
is "$(skodigest x/busy:1)" "$d" "the digest push prints is skopeo's"
is "$d" "$(jq -r .manifest <(ref_json "$REG/x/busy:1"))" "and the store's manifest digest"
# one line when a blob starts and one when it is done (stderr not a tty)
m=$(cat "$STORE/blobs/sha256/${d#sha256:}")
lines() { # DIGEST SIZE
	printf '%s: pushing %s bytes\n%s: %s bytes pushed in T\n' "${1:7:12}" "$2" "${1:7:12}" "$2"
}
is "$(sed 's/ in [0-9.]*s$/ in T/' "$T/err")" \
	"$(lines "$(jq -r '.layers[0].digest' <<<"$m")" "$(jq -r '.layers[0].size' <<<"$m")")
$(lines "$(jq -r .config.digest <<<"$m")" "$(jq -r .config.size <<<"$m")")" \
	"layer and config uploaded: a start and a done line each"
rm -rf "$T/pulled"
STORE=$T/pulled rt pull "$REG/x/busy:1" >/dev/null 2>&1
is "$(jq -c '[.config, .layers[].diff_id]' <(STORE=$T/pulled ref_json "$REG/x/busy:1"))" \
	"$(jq -c '[.config, .layers[].diff_id]' <(ref_json "$REG/x/busy:1"))" "pulled back: same config and diff_ids"
cmp -s "$T/rootfs.tar" "$T/pulled/blobs/sha256/$(jq -r '.layers[0].digest' <(STORE=$T/pulled ref_json "$REG/x/busy:1") | cut -c8-)" &&
	ok "the 20 MiB layer (three PATCHes of at most 8 MiB) arrived intact" || not_ok "the 20 MiB layer (three PATCHes of at most 8 MiB) arrived intact"

out=$(rt push "$REG/x/busy:1" 2>&1)
is "$(grep -c 'already exists' <<<"$out")" 2 "push again: every blob skipped (HEAD)"

out=$(rt push "$REG/x/busy:1" "$REG/y/busy:2" 2>&1)
is "$?" 0 "push a store image under another repository"
is "$(grep -c ': mounted from x/busy$' <<<"$out")" 2 "blobs mounted from the other repository"
is "$(skodigest y/busy:2)" "$d" "same digest under the new name"

# the record of where blobs were seen: a layout (not named after any
# repository) pushed with a store that pulled the image mounts its blobs
skopeo copy -q "docker-archive:$T/busy.tar" "oci:$T/layout:1"
rm -rf "$T/s2"
out=$(STORE=$T/s2 rt transfer "oci:$T/layout" "docker://$REG/z/busy:1" 2>&1)
is "$(grep -c ': pushing ' <<<"$out")" 2 "a layout, no record: every blob uploaded"
STORE=$T/s2 rt pull "$REG/x/busy:1" >/dev/null 2>&1
out=$(STORE=$T/s2 rt transfer "oci:$T/layout" "docker://$REG/w/busy:1" 2>&1)
is "$?" 0 "a layout, after a pull recorded its blobs: exit 0"
is "$(grep -cE ': mounted from (x|z)/busy$' <<<"$out")" 2 \
	"a layout, after a pull recorded its blobs: both mounted from a repository that has them"
is "$(skodigest w/busy:1)" "$(skodigest z/busy:1)" "the mounted copy has the same digest"

out=$(rt push "$T/nope.tar" "$REG/x/busy:1" 2>&1)
like "$out" "^df2make-runtime: $T/nope.tar: invalid reference format" "a missing source file is taken as a store name: refused"
out=$(rt push a b c 2>&1)
is "$?" 2 "three operands: exit 2"
like "$out" "^usage: df2make-runtime push" "three operands: usage"
out=$(rt push "$T/busy.tar" 2>&1)
like "$out" "^usage: df2make-runtime push" "an archive without REF: usage"
out=$(rt push "$REG/not/there:1" 2>&1)
is "$?" 1 "a name the store lacks: exit 1"
like "$out" "not/there" "a name the store lacks: named"

done_testing

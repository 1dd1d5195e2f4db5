#!/usr/bin/env bash
# progress of pulls and pushes: on a terminal one row per layer redrawn in
# place (the screen a pty leaves is checked, after its redraws); not on a
# terminal one line when a blob starts and one when it is done, also
# under a build step's key.
. "$SRCDIR/tests/lib.sh"
. "$SRCDIR/tests/sh/image/helpers.bash"
. "$SRCDIR/tests/lib/registry.sh"
need python3 skopeo jq
export CONTAINERS_REGISTRIES_CONF=$T/none.conf REGISTRY_AUTH_FILE= DOCKER_CONFIG=$T/docker XDG_RUNTIME_DIR=

mk_rootfs "$T/root"
tar_dir "$T/root" "$T/rootfs.tar"
mkdir -p "$T/l2/srv" "$T/l3/srv"
head -c 3000000 /dev/urandom >"$T/l2/srv/a" && head -c 2500000 /dev/urandom >"$T/l3/srv/b"
tar_dir "$T/l2" "$T/l2.tar" && tar_dir "$T/l3" "$T/l3.tar"
gzip -n -c "$T/rootfs.tar" >"$T/rootfs.tar.gz"
mk_docker_archive "$T/img.tar" "img:1" "$T/rootfs.tar.gz" "$T/l2.tar" "$T/l3.tar"
registry_start || { not_ok "registry starts"; done_testing; exit; }
registry_put "$T/img.tar" library/img:1
m=$(skopeo inspect --tls-verify=false --raw "docker://$REG/library/img:1")
# the lines of each layer, sorted (workers finish in any order)
want() { # VERB PAST: "ID: VERB SIZE bytes" and "ID: SIZE bytes PAST in T"
	jq -r '.layers[] | "\(.digest[7:19]) \(.size)"' <<<"$m" | while read -r id size; do
		[ -n "$1" ] && echo "$id: $1 $size bytes"
		echo "$id: $size bytes $2 in T"
	done | sort
}
mask() { sed -E 's/ in [0-9]+\.[0-9]s$/ in T/' | sort; }
RTB=$DF2MAKE_RUNTIME_BIN

# not a terminal: a start and a done line per layer
err=$(rt pull "$REG/library/img:1" 2>&1 >/dev/null)
is "$?" 0 "pull, stderr not a tty: exit 0"
is "$(mask <<<"$err")" "$(want pulling pulled)" "pull, stderr not a tty: a start and a done line per layer"

# a terminal: the screen holds one final row per layer
rm -rf "$STORE"
screen=$(python3 "$SRCDIR/tests/sh/registry/term.py" "$RTB" --store "$STORE" pull "$REG/library/img:1")
is "$?" 0 "pull on a tty: exit 0"
is "$(grep -v -e '^Loaded image' -e '^Digest' -e '^REDRAWS' <<<"$screen" | mask)" "$(want "" pulled)" \
	"pull on a tty: the final screen has one row per layer, with size and time"
n=$(sed -n 's/^REDRAWS //p' <<<"$screen")
check "pull on a tty: the rows were redrawn in place (cursor up, $n times)" [ "$n" -ge 5 ]
check "pull on a tty: no start lines" [ "$(grep -c pulling <<<"$screen")" = 0 ]
like "$screen" "Loaded image: $REG/library/img:1" "pull on a tty: the result after the rows"

# under a build step's key (the pull target of a build.mk)
rm -rf "$STORE"
key=0123456789abcdef0123456789abcdef
err=$("$RTB" --store "$STORE" --state "$STATE" resolve "$key" \
	'{"title":"[internal] pull","image":"'"$REG/library/img:1"'","always":false}' 2>&1 >/dev/null)
is "$?" 0 "build pull step: exit 0"
is "$(grep -v -e 'internal' -e 'DONE' <<<"$err" | mask)" "$(want pulling pulled | sed "s/^/#${key:0:8} /")" \
	"build pull step: the layer lines under the step's key"

# push: the same two forms
err=$(rt push "$REG/library/img:1" "$REG/other/img:1" 2>&1 >/dev/null)
is "$(grep -c ": mounted from library/img$" <<<"$err")/$(grep -vc mounted <<<"$err")" 4/0 \
	"push to another repository: the 3 layers and the config mounted, nothing sent"
screen=$(STORE=$T/s3 python3 "$SRCDIR/tests/sh/registry/term.py" "$RTB" --store "$T/s3" \
	transfer "oci:$(skopeo copy -q "docker-archive:$T/img.tar" "oci:$T/lay:1" && echo "$T/lay")" \
	"docker://$REG/third/img:1")
is "$?" 0 "push on a tty: exit 0"
lm=$(jq -r '.manifests[0].digest' "$T/lay/index.json")
lm=$(cat "$T/lay/blobs/sha256/${lm#sha256:}")
is "$(grep ' bytes pushed in ' <<<"$screen" | mask)" \
	"$(jq -r '.layers[], .config | "\(.digest[7:19]): \(.size) bytes pushed in T"' <<<"$lm" | sort)" \
	"push on a tty: one final row per blob"

done_testing

#!/usr/bin/env bash
# FROM an image the store lacks: build.mk pulls it (one make target per
# image, while make remakes build.mk), then builds; --pull re-resolves a
# tag at every make run and rebuilds only when it moved.
. "$SRCDIR/tests/lib.sh"
. "$SRCDIR/tests/sh/image/helpers.bash"
. "$SRCDIR/tests/lib/registry.sh"
need make python3 skopeo curl jq
[ "$(id -u)" = 0 ] || skip_all "needs root (overlay mounts)"
export CONTAINERS_REGISTRIES_CONF=$T/none.conf REGISTRY_AUTH_FILE= DOCKER_CONFIG=$T/docker
export DF2MAKE_STORE=$STORE

mk_rootfs "$T/root"
tar_dir "$T/root" "$T/rootfs.tar"
mk_docker_archive "$T/busy.tar" "busy:1" "$T/rootfs.tar"
echo v2 >"$T/root/version"
tar_dir "$T/root" "$T/rootfs2.tar"
mk_docker_archive "$T/busy2.tar" "busy:2" "$T/rootfs2.tar"
registry_start || { not_ok "registry starts"; done_testing; exit; }
registry_put "$T/busy.tar" library/busy:1
registry_put "$T/busy.tar" library/other:1
mdigest() { echo "sha256:$(skopeo inspect --tls-verify=false --raw "docker://$REG/library/$1" | sha256sum | cut -c1-64)"; }

mkdir -p "$T/ctx"
cd "$T" || exit 1
printf 'FROM %s/library/other:1 AS o\nRUN echo other > /o\nFROM %s/library/busy:1\nCOPY --from=o /o /o\nRUN cat /version 2>/dev/null; echo hi > /x\n' \
	"$REG" "$REG" >ctx/Dockerfile
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -j2 -f "${MKF:-build.mk}" DF2MAKE_RUNTIME="$DF2MAKE_RUNTIME_BIN" "$@"; }

"$DF2MAKE" ctx >build.mk 2>err
is "$?" 0 "compile with images missing from the store: exit 0"
like "$(cat err)" "warning: image $REG/library/busy:1 is not in the store .*: build.mk pulls it" "it says build.mk pulls"
check "one pull target per image" [ "$(grep -c '^$(STATE)/[0-9a-f]*\.pull:' build.mk)" = 2 ]
"$DF2MAKE" --plan ctx 2>/dev/null >plan.yaml
like "$(cat plan.yaml)" "image: '$REG/library/busy:1'" "plan names the image"
like "$(cat plan.yaml)" "pull: '?[0-9a-f]{32}'?$" "plan names its pull step"

mk >out 2>&1
is "$?" 0 "make pulls and builds"
like "$(cat out)" "\[internal\] pull $REG/library/busy:1" "the pull step's progress line"
like "$(cat out)" "regenerating" "build.mk regenerated after the pulls"
check "image.tar written" [ -s image.tar ]
is "$(jq -r .manifest <(ref_json "$REG/library/busy:1"))" "$(mdigest busy:1)" "store has the registry's manifest"
pull_file=$(grep -l "$REG/library/busy:1" .df2make/*.pull)
is "$(sed -n 3p "$pull_file")" "$(mdigest busy:1)" "STATE/KEY.pull records the resolved digest"
check "regenerated build.mk has no pull target" [ "$(grep -c '\.pull:' build.mk)" = 0 ]
like "$(cat .df2make/*/upper/x 2>/dev/null)" "^hi$" "the RUN step ran on the pulled base"
check "the other stage's pull ran too" [ -n "$(ref_json "$REG/library/other:1")" ]

mk >out2 2>&1
unlike() { printf '%s' "$1" | grep -qE -- "$2" && { not_ok "$3"; echo "#   got: $1" | head -5; } || ok "$3"; }
unlike "$(cat out2)" "pull|regenerating|RUN" "second make: nothing pulled or run"

# the tag moves: without --pull nothing happens; with --pull it is seen
registry_put "$T/busy2.tar" library/busy:1
mk >out3 2>&1
unlike "$(cat out3)" "pull|RUN" "tag moved, no --pull: the store's image stays"
"$DF2MAKE" --pull ctx >build.mk 2>/dev/null
check "--pull: pull targets even for stored images" [ "$(grep -c '^$(STATE)/[0-9a-f]*\.pull:' build.mk)" = 2 ]
like "$(grep -c 'df2make-pull-force' build.mk)" "^[3-9]" "--pull: the pull targets are forced"
mk >out4 2>&1
is "$?" 0 "--pull: make exits 0"
is "$(jq -r .manifest <(ref_json "$REG/library/busy:1"))" "$(mdigest busy:1)" "--pull: the moved tag is pulled"
like "$(cat out4)" "RUN cat /version" "--pull: the steps above the moved base run again"
like "$(cat out4)" "^#[0-9]+ [0-9.]+ v2$" "--pull: the RUN saw the new base (its output)"
mk >out5 2>&1
like "$(cat out5)" "\[internal\] pull $REG/library/busy:1" "--pull: every make run resolves the tag"
unlike "$(cat out5)" "regenerating|RUN" "--pull, tag unchanged: build.mk not regenerated, nothing run"

# the built image.tar pushed: the registry serves the manifest of its OCI layout
out=$("$DF2MAKE_RUNTIME_BIN" push image.tar "$REG/library/built:1" 2>/dev/null)
is "$?" 0 "push the built image.tar"
want=$(tar -xOf image.tar index.json | jq -r '.manifests[0].digest')
is "$(skopeo inspect --tls-verify=false "docker://$REG/library/built:1" | jq -r .Digest)" "$want" \
	"skopeo reports the digest of image.tar's manifest"

# df2make --push -t ... -t ...: a push target per tag after the image
"$DF2MAKE" --push -t "$REG/library/pushed:1" -t "$REG/library/pushed:2" -o pushed.tar ctx >push.mk 2>/dev/null
check "--push: one push target per tag, the second after the first" \
	[ "$(grep -c '^$(STATE)/[0-9a-f]*\.push: $(OUTPUT)$' push.mk)" = 1 ] &&
	[ "$(grep -c '^$(STATE)/[0-9a-f]*\.push: $(OUTPUT) $(STATE)/[0-9a-f]*\.push$' push.mk)" = 1 ]
MKF=push.mk mk >out7 2>&1
is "$?" 0 "--push: make builds and pushes"
# the push's lines are progress lines of its step ("#KEY8 ..."), none bare
is "$(grep -cE '^([0-9a-f]{12}: (pushed|already exists|mounted)|Pushed |Digest: )' out7):$(
	grep -cE '^#[0-9a-f]+ Pushed '"$REG"'/library/pushed:[12]$' out7)" "0:2" \
	"--push: its lines are the push steps' progress lines"
want=$(tar -xOf pushed.tar index.json | jq -r '.manifests[0].digest')
is "$(skopeo inspect --tls-verify=false "docker://$REG/library/pushed:1" | jq -r .Digest)" "$want" "--push: first tag in the registry"
is "$(skopeo inspect --tls-verify=false "docker://$REG/library/pushed:2" | jq -r .Digest)" "$want" "--push: second tag in the registry"
MKF=push.mk mk >out8 2>&1
unlike "$(cat out8)" "pushing" "--push: a second make pushes nothing"
out=$("$DF2MAKE" --push -o type=local,dest=x ctx 2>&1)
like "$out" "push needs -t NAME:TAG and an image output" "--push without a tag: error"

# -o type=image,name=...,push=true (buildx): the same build.mk as --push -t ... -t ...
"$DF2MAKE" -o "type=image,name=$REG/library/pushed:1,$REG/library/pushed:2,push=true,dest=pushed.tar" \
	ctx >img.mk 2>/dev/null
is "$?" 0 "-o type=image,name=A,B,push=true: compiles"
nocomment() { grep -v '^# Arguments:' "$1"; }
cmp -s <(nocomment push.mk) <(nocomment img.mk) && ok "-o type=image,name=A,B,push=true: build.mk as --push -t A -t B (but its Arguments line)" ||
	not_ok "-o type=image,name=A,B,push=true: build.mk as --push -t A -t B (but its Arguments line)"
"$DF2MAKE" -o "type=registry,name=$REG/library/pushed:1,name=$REG/library/pushed:2,dest=pushed.tar" \
	ctx >reg.mk 2>/dev/null
cmp -s <(nocomment push.mk) <(nocomment reg.mk) && ok "-o type=registry,name=A,name=B: the same build.mk" ||
	not_ok "-o type=registry,name=A,name=B: the same build.mk"
"$DF2MAKE" -o "type=image,\"name=$REG/library/oimg:1,$REG/library/oimg:2\",push=true" ctx >oimg.mk 2>/dev/null
MKF=oimg.mk mk >out10 2>&1
is "$?" 0 "-o type=image,\"name=A,B\",push=true: make builds and pushes"
want=$(tar -xOf image.tar index.json | jq -r '.manifests[0].digest')
is "$(skopeo inspect --tls-verify=false "docker://$REG/library/oimg:1" | jq -r .Digest)/$(skopeo inspect --tls-verify=false "docker://$REG/library/oimg:2" | jq -r .Digest)" \
	"$want/$want" "-o type=image,push=true: both names in the registry, image.tar's digest"
"$DF2MAKE" -o "type=image,name=$REG/library/np:1" ctx >np.mk 2>/dev/null
check "-o type=image without push=true: no push target" [ "$(grep -c '\.push:' np.mk)" = 0 ]
out=$("$DF2MAKE" -o type=image,push=true ctx 2>&1)
is "$?/$out" "1/df2make: -o type=image: name= is required" "-o type=image without name=: error"
out=$("$DF2MAKE" -o type=tar,dest=x.tar,name=a ctx 2>&1)
is "$?/$out" "1/df2make: -o: name= and push= apply to type=image or type=registry only" \
	"name= with type=tar: error"

# --platform a,b --push: the index (the tag names it) and each platform's
# manifest, the digests skopeo reports being the archive's
printf 'FROM scratch\nCOPY Dockerfile /f\n' >ctx/Dockerfile.mp
"$DF2MAKE" -f ctx/Dockerfile.mp --platform linux/amd64,linux/arm64 --push -t "$REG/library/mp:1" \
	-o mp.tar ctx >mp.mk 2>/dev/null
MKF=mp.mk mk >out11 2>&1
is "$?" 0 "--platform a,b --push: make builds and pushes"
top=$(tar -xOf mp.tar index.json | jq -r '.manifests[0].digest')
raw=$(skopeo inspect --tls-verify=false --raw "docker://$REG/library/mp:1")
is "sha256:$(printf %s "$raw" | sha256sum | cut -c1-64)" "$top" \
	"--platform a,b --push: the tag names the archive's index (skopeo inspect --raw)"
is "$(jq -c '[.manifests[] | [.platform.architecture, .digest]]' <<<"$raw")" \
	"$(tar -xOf mp.tar "blobs/sha256/${top#sha256:}" | jq -c '[.manifests[] | [.platform.architecture, .digest]]')" \
	"--platform a,b --push: the index lists each platform's manifest"
for d in $(jq -r '.manifests[].digest' <<<"$raw"); do
	is "sha256:$(skopeo inspect --tls-verify=false --raw "docker://$REG/library/mp@$d" | sha256sum | cut -c1-64)" "$d" \
		"--platform a,b --push: manifest $d is in the registry"
done
check "--platform a,b --push: the push file records the index" grep -qx "$top" .df2make/*.push

# platforms: an index of an amd64 and an arm64 image (each saying which
# it is in /arch); FROM --platform pulls its own, a --platform list one each
regtool() { python3 "$SRCDIR/tests/sh/registry/regtool.py" "$REG" "$@"; }
for a in amd64 arm64; do
	mkdir -p "$T/arch-$a" && echo "$a" >"$T/arch-$a/arch"
	tar_dir "$T/arch-$a" "$T/arch-$a.tar"
	regtool image library/multi "$a" "$a" "$T/arch-$a.tar" application/vnd.oci.image.layer.v1.tar \
		"sha256:$(sha "$T/arch-$a.tar")" >/dev/null
done
regtool index library/multi 1 amd64 arm64 >/dev/null
printf 'FROM --platform=linux/arm64 %s/library/multi:1 AS arm\nFROM scratch\nCOPY --from=arm /arch /arm-arch\n' \
	"$REG" >ctx/Dockerfile.fp
"$DF2MAKE" -f ctx/Dockerfile.fp -o type=local,dest=fp ctx >fp.mk 2>/dev/null
like "$(grep -o '"image":"[^"]*","platform":"[^"]*"' fp.mk)" "library/multi:1\",\"platform\":\"linux/arm64\"" \
	"FROM --platform=linux/arm64: the pull asks for linux/arm64"
MKF=fp.mk mk >out12 2>&1
is "$?/$(cat fp/arm-arch 2>/dev/null)" "0/arm64" "FROM --platform=linux/arm64: that stage has the arm64 image"
printf 'FROM %s/library/multi:1\nCOPY Dockerfile /f\n' "$REG" >ctx/Dockerfile.pl
"$DF2MAKE" -f ctx/Dockerfile.pl --platform linux/amd64,linux/arm64 -o pl.tar ctx >pl.mk 2>/dev/null
is "$(grep -o '"platform":"[^"]*"' pl.mk | sort | tr '\n' ' ')" '"platform":"linux/amd64" "platform":"linux/arm64" ' \
	"--platform a,b: one pull per platform"
MKF=pl.mk mk >out13 2>&1
is "$?" 0 "--platform a,b: make pulls both and builds"
top=$(tar -xOf pl.tar index.json | jq -r '.manifests[0].digest')
for d in $(tar -xOf pl.tar "blobs/sha256/${top#sha256:}" | jq -r '.manifests[] | "\(.platform.architecture)=\(.digest)"'); do
	a=${d%%=*} m=${d#*=}
	is "$(tar -xOf pl.tar "blobs/sha256/${m#sha256:}" | jq -r '.layers[0].digest')" "sha256:$(sha "$T/arch-$a.tar")" \
		"--platform a,b: the $a image is built on the $a base"
done

# a pulled layer's diff_id is checked when the FROM step unpacks it: an
# image whose config names other content than its layer pulls (its blob
# is what the registry says), then fails the build at its FROM, located
gzip -n -c "$T/rootfs.tar" >"$T/rootfs.tar.gz"
wrong=sha256:$(printf y | sha256sum | cut -c1-64)
python3 "$SRCDIR/tests/sh/registry/regtool.py" "$REG" image library/badid 1 amd64 "$T/rootfs.tar.gz" \
	application/vnd.oci.image.layer.v1.tar+gzip "$wrong" >/dev/null
printf 'FROM %s/library/badid:1\nRUN echo never > /n\n' "$REG" >ctx/Dockerfile.badid
"$DF2MAKE" -f ctx/Dockerfile.badid -o badid.tar ctx >badid.mk 2>/dev/null
MKF=badid.mk mk >out10 2>&1
check "a layer that is not its diff_id fails make" [ $? -ne 0 ]
like "$(cat out10)" "^df2make-runtime: Dockerfile.badid:1: FROM $REG/library/badid:1: unpack layer $wrong: layer sha256:$(sha "$T/rootfs.tar.gz") does not match diff_id $wrong: its content is sha256:$(sha "$T/rootfs.tar")$" \
	"the FROM step names the image, the layer, the config's and the actual diff_id"
check "no image written, no unpacked layer of the wrong diff_id" [ ! -e badid.tar -a ! -e "$STORE/layers/${wrong#sha256:}" ]

# a correct image pulled (diff_id checked at unpack) builds the same bytes
# as the same image copied by skopeo and loaded (checked at load)
printf 'FROM %s/library/busy:1\nRUN echo same > /s\n' "$REG" >ctx/Dockerfile.same
skopeo copy -q --src-tls-verify=false "docker://$REG/library/busy:1" "oci:$T/busy-layout:1" >/dev/null
for how in pulled loaded; do
	rm -rf "$STORE" .df2make
	[ $how = loaded ] && "$DF2MAKE_RUNTIME_BIN" --quiet --store "$STORE" load -t "$REG/library/busy:1" -i "$T/busy-layout" >/dev/null
	"$DF2MAKE" -f ctx/Dockerfile.same -o "same-$how.tar" ctx >same.mk 2>/dev/null
	MKF=same.mk mk >/dev/null 2>&1 || not_ok "build FROM the $how image"
	[ $how = loaded ] && is "$(jq -r .source <(ref_json "$REG/library/busy:1"))" load \
		"the second build's base was loaded, not pulled"
done
check "FROM a pulled image: image.tar byte-identical to FROM the loaded one" cmp -s same-pulled.tar same-loaded.tar

# a pull that fails stops make with the registry's message
printf 'FROM %s/library/nope:1\n' "$REG" >ctx/Dockerfile.nope
"$DF2MAKE" -f ctx/Dockerfile.nope -o nope.tar ctx >nope.mk 2>/dev/null
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -f nope.mk DF2MAKE_RUNTIME="$DF2MAKE_RUNTIME_BIN" >out6 2>&1
check "a failed pull fails make" [ $? -ne 0 ]
like "$(cat out6)" "^df2make-runtime: Dockerfile.nope:1: pull $REG/library/nope:1: pull from $REG: library/nope:1: GET manifest: HTTP 404: MANIFEST_UNKNOWN" \
	"the failed pull says where and why"
check "no image written" [ ! -e nope.tar ]
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -f nope.mk DF2MAKE_RUNTIME="$DF2MAKE_RUNTIME_BIN" clean >out9 2>&1
is "$?" 0 "make clean with a missing image: exit 0"
# (the runtime's path is left out: a checkout's path may say "pull")
unlike "$(sed "s#$DF2MAKE_RUNTIME_BIN##g" out9)" "pull" "make clean does not pull first"

done_testing

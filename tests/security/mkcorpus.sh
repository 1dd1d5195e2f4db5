#!/usr/bin/env bash
# Regenerates the seed corpora of the loader and config fuzz targets:
#   bash tests/security/mkcorpus.sh [SRCDIR]
# tests/fuzz/corpus/load: small docker-archive and OCI archives, valid and
# hostile (escaping names, broken JSON, truncation). tests/fuzz/corpus/config:
# "ref JSON \0 config JSON" pairs. Past crashes are added by hand next to
# them (never overwritten here: seeds are named seed-*).
set -eu
src=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
mk="python3 $src/tests/sh/security/mktar.py"
L=$src/tests/fuzz/corpus/load C=$src/tests/fuzz/corpus/config
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
mkdir -p "$L" "$C" "$w/r/etc" "$w/r/bin"
echo 'root:x:0:0::/root:/bin/sh' >"$w/r/etc/passwd"
ln -s ../etc/passwd "$w/r/bin/link"
tar -C "$w/r" --owner=0 --group=0 --mtime=@0 -cf "$w/l1.tar" .
$mk image "$L/seed-docker.tar" small:latest "$w/l1.tar"
gzip -9n <"$L/seed-docker.tar" >"$L/seed-docker.tar.gz"
$mk oci "$L/seed-oci.tar" docker.io/library/small:latest "$w/l1.tar"
$mk oci-nested "$L/seed-oci-nested.tar" small:1 "$w/l1.tar"
gzip -9n <"$w/l1.tar" >"$w/l1.tar.gz"
$mk image "$L/seed-docker-gzlayer.tar" small:gz "$w/l1.tar.gz"
for k in dotdot absolute symlink-file hardlink-abs whiteout devices; do
	$mk tar "$k" "$w/$k.tar" /tmp/fuzz
	$mk image "$L/seed-hostile-$k.tar" "hostile:$k" "$w/l1.tar" "$w/$k.tar"
done
# The archive's own members, hostile: names that climb out, a manifest
# naming a layer outside, a member that is a symlink to a host file.
(cd "$w" && mkdir -p x && cp "$w/l1.tar" x/layer.tar &&
	printf '[{"Config":"c.json","RepoTags":["e:1"],"Layers":["../../etc/passwd","/etc/shadow","x/layer.tar"]}]' >x/manifest.json &&
	printf '{"rootfs":{"type":"layers","diff_ids":[]}}' >x/c.json &&
	ln -s /etc/passwd x/link.json &&
	tar -C x -cf "$L/seed-escape-manifest.tar" manifest.json c.json layer.tar link.json)
printf '[{"Config":"link.json","RepoTags":["e:2"],"Layers":[]}]' >"$w/x/manifest.json"
tar -C "$w/x" -cf "$L/seed-symlink-config.tar" manifest.json link.json
tar -C "$w/x" --transform 's,^,../../,' -cf "$L/seed-dotdot-members.tar" manifest.json c.json
head -c 3000 "$L/seed-docker.tar" >"$L/seed-truncated.tar"
printf 'not a tar at all' >"$L/seed-garbage"
: >"$L/seed-empty"
printf '[{"Config":"c.json","RepoTags":["e:3"],"Layers":["layer.tar"]}' >"$w/x/manifest.json"
tar -C "$w/x" -cf "$L/seed-broken-json.tar" manifest.json c.json layer.tar

p() { printf '%s\0%s' "$2" "$3" >"$C/seed-$1"; }
p valid '{"name":"docker.io/library/fuzz:latest","manifest":"sha256:'"$(printf '%064d' 0)"'","layers":[]}' \
	'{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin","A=b"],"WorkingDir":"/w","User":"app","Shell":["/bin/bash","-c"],"OnBuild":["RUN x"]},"history":[{"created_by":"x"}],"author":"me"}'
p env-types '{"name":"docker.io/library/fuzz:latest","manifest":"sha256:0","layers":[{"digest":1}]}' \
	'{"config":{"Env":[1,null,"=x","PATH",{"a":1}],"WorkingDir":7,"User":[],"Shell":["x",2]}}'
p not-objects '[]' '"config"'
p shell-empty '{"name":"docker.io/library/fuzz:latest","manifest":"m","layers":[]}' '{"config":{"Shell":[],"Env":"A=b"},"history":{}}'
p deep '{"name":"x","manifest":"m","layers":[[[[[[[[[]]]]]]]]]}' '{"config":{"Env":[["PATH=/bin"]]},"history":[[{"created_by":[]}]]}'
p huge-num '{"name":"docker.io/library/fuzz:latest","manifest":"m","layers":[{"digest":"sha256:x","size":1e400}]}' '{"config":null}'
p no-nul '{"name":"docker.io/library/fuzz:latest"}' ''
p broken '{"name":' '{"config":{"Env":["A'
p unicode '{"name":"docker.io/library/fuzz:latest","manifest":"\u0000","layers":[]}' '{"config":{"Env":["\u00e9=\u0000x"],"User":"\ud800"}}'
p layers-bad '{"name":"docker.io/library/fuzz:latest","manifest":"sha256:1","layers":[{"digest":"sha256:../../x","diff_id":"../../etc"}]}' '{}'
p path-default '{"name":"docker.io/library/fuzz:latest","manifest":"m","layers":[]}' '{"config":{"Env":["PATH"]}}'

#!/usr/bin/env bash
# Hostile base image configs read by the compiler: 500,000 LABELs (a 7 MB
# config). The cache key sorts an object's fields; an insertion sort made
# that quadratic (a million labels: 208 s of compile). Now it compiles in
# seconds, every label in the image's config. And layer lists that repeat
# a digest (one layer directory in the store): next to itself the repeat
# is dropped from the overlay (the same files), apart it is refused by
# name (before: overlayfs's "Too many levels of symbolic links"). A
# history of more non-empty entries than layers is normalized as
# BuildKit's exporter does (the oldest extra ones marked empty).
. "$SRCDIR/tests/sh/security/common.bash"
need python3 timeout
MKTAR="python3 $SRCDIR/tests/sh/security/mktar.py"
mkrootfs "$T/r" && tar -C "$T/r" -cf "$T/a.tar" .
python3 -c 'import json; print(json.dumps({"config": {"Env": ["PATH=/bin"], "Cmd": ["sh"],
    "Labels": {"l%d" % i: "v" for i in range(500000)}}, "history": []}))' >"$T/labels.json"
$MKTAR image "$T/labels.tar" labels:1 --config "$T/labels.json" "$T/a.tar"
"$RT" --store "$ST" load -i "$T/labels.tar" >/dev/null
is "$?" 0 "an image of 500,000 labels loads"
D=$T/l
dockerfile "$D" 'FROM labels:1
LABEL mine=yes
RUN true'
timeout 60 "$DF2MAKE" --store "$ST" --state "$D/state" -o "$D/image.tar" "$D/ctx" >"$D/build.mk" 2>"$D/compile.err"
is "$?" 0 "it compiles within 60 s (before: the key's sort was quadratic: over 60 s here, 208 s for a million)"
pack=$(grep -o ' pack [0-9a-f]\{32\} .*' "$D/build.mk")
# a spec too long for a command line is a define its recipe names
var=$(grep -o 'DF2MAKE_SPEC_[0-9][0-9]*' <<<"$pack" | head -n 1)
[ -z "$var" ] || pack=$(awk -v v="define $var" '$0 == v { getline; print; exit }' "$D/build.mk")
check "the pack spec holds the base's labels" grep -q '"l499999":"v"' <<<"$pack"
check "and the Dockerfile's" grep -q '"mine":"yes"' <<<"$pack"

# repeat OUT NAME ORDER: an image of the busybox layer (a) and a one-file
# layer (b) in ORDER ("aab", "aba").
mkdir -p "$T/b" && echo b >"$T/b/b.txt" && tar -C "$T/b" -cf "$T/b.tar" .
echo '{"config": {"Env": ["PATH=/bin"]}, "history": []}' >"$T/env.json"
repeat() {
	local l=() c
	for ((c = 0; c < ${#3}; c++)); do l+=("$T/${3:c:1}.tar"); done
	$MKTAR image "$1" "$2" --config "$T/env.json" "${l[@]}"
	"$RT" --store "$ST" load -i "$1" >/dev/null
}
repeat "$T/aab.tar" aab:1 aab
D=$T/aab
dockerfile "$D" 'FROM aab:1
RUN cat /b.txt >/c.txt'
build "$D"
is "$rc" 0 "a base listing its first layer twice in a row: the RUN runs (before: overlay ELOOP)"
unpack_image "$D"
is "$(jq -r '.[0].Layers | length' "$D/img/manifest.json")" 4 "the image keeps the three base layers and adds one"
is "$(cat "$(last_layer "$D")/c.txt")" b "the RUN saw the layers' files"
repeat "$T/aba.tar" aba:1 aba
D=$T/aba
dockerfile "$D" 'FROM aba:1
RUN true'
build "$D"
is "$rc" 2 "a base listing a layer twice, apart: make fails"
log_has "$D" "RUN step: .*layer $ST/layers/[0-9a-f]{64} is twice in the image, with other layers between \\(overlayfs cannot stack one directory twice\\)" \
	"naming the layer and why"

# a history of 5 non-empty entries over 1 layer
python3 -c 'import json; print(json.dumps({"config": {"Env": ["PATH=/bin"]},
    "history": [{"created_by": "h%d" % i} for i in range(5)]}))' >"$T/hist.json"
$MKTAR image "$T/hist.tar" hist:1 --config "$T/hist.json" "$T/a.tar"
"$RT" --store "$ST" load -i "$T/hist.tar" >/dev/null
D=$T/hist
dockerfile "$D" 'FROM hist:1
RUN echo x >/x'
build "$D"
is "$rc" 0 "a base whose history has more non-empty entries than layers: built"
unpack_image "$D"
is "$(jq -c '[(.rootfs.diff_ids | length), [.history[] | select(.empty_layer != true) | .created_by]]' "$D/config.json")" \
	'[2,["h4","RUN /bin/sh -c echo x >/x # buildkit"]]' "two layers, two non-empty history entries: h0-h3 marked empty"
done_testing

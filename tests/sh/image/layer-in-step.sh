#!/usr/bin/env bash
# A step of the image's chain makes its layer in its own process (the
# step's spec carries the layer parameters): a build runs no `layer` op,
# and what make and pack decide stays right: `make -q`, a step made again,
# layers lost after their steps (a kill between the two), a change of the
# compression (pack makes the layers again, not the steps), a build of
# another --target first; the image equals a cold build's byte for byte.
. "$SRCDIR/tests/sh/security/common.bash"
need jq
base_image || { not_ok "base image import"; done_testing; exit 1; }

# The runtime, logging each op it is asked for ("run", "layer", ...).
cat >"$T/rt-log" <<EOF
#!/bin/sh
# --state DIR --store DIR OP ...
echo "\$5" >>"$T/ops"
exec "$RT" "\$@"
EOF
chmod +x "$T/rt-log"

# mk D [ARGS...]: make with the logging runtime; $ops: the ops it ran,
# sorted and counted ("2 layer 3 run").
mk() {
	local d=$1
	shift
	: >"$T/ops"
	make -f "$d/build.mk" -j2 DF2MAKE_RUNTIME="$T/rt-log" "$@" >"$d/log" 2>&1
	rc=$?
	ops=$(sort "$T/ops" | uniq -c | awk '{print $1 " " $2}' | paste -sd' ')
}

D=$T/d
dockerfile "$D" 'FROM busybox AS tools
RUN echo tool >/tool
FROM tools
COPY a.txt /a.txt
RUN cat /a.txt /tool >/both
WORKDIR /w
RUN echo last >/w/last'
echo one >"$D/ctx/a.txt"
compile "$D" --compress none
is "$rc" 0 "compile"
# steps_with_layer D: recipes of steps whose spec carries the parameters
steps_with_layer() {
	grep -E ' (run|copy|workdir) [0-9a-f]+ ' "$1/build.mk" |
		grep -c '"layer":{"epoch":null,"compress":"none","level":null}'
}
is "$(steps_with_layer "$D")" 5 "the five steps of the image carry the layer parameters"
is "$(grep -c '\.layer:' "$D/build.mk")" 0 "no layer target: pack needs the steps' stamps"

mk "$D"
is "$rc:$ops" "0:1 base 1 copy 1 pack 3 run 1 sum 1 workdir" "cold build: no layer op"
check "every step's layer was written" eval '[ "$(ls "$D"/state/*.layer | wc -l)" = 5 ]'
ref=$(sha256sum <"$D/image.tar")
is "$(jq -c .params "$D"/state/*.layer | sort -u)" '{"epoch":null,"compress":"none","level":null}' \
	"each layer records the parameters it was made with"

make -q -f "$D/build.mk"
is "$?" 0 "make -q: up to date after the build"
mk "$D"
is "$rc:$ops" "0:" "no-op build: no runtime at all"

# Layers lost after their steps (a kill between a step's stamp and its
# layer, a step made by a build.mk in which it was not the image's): pack
# makes them, no step runs again, the image is the same.
rm -f "$D"/state/*.layer
mk "$D"
is "$rc:$ops" "0:" "the layers are not needed while the image is current"
rm -f "$D/image.tar"
make -q -f "$D/build.mk"
is "$?" 1 "make -q: out of date without the image"
mk "$D"
is "$rc:$ops" "0:1 pack" "lost layers: made by pack, no step again"
is "$(sha256sum <"$D/image.tar")" "$ref" "the same image as the steps' own layers"
check "and the layers are there again" eval '[ "$(ls "$D"/state/*.layer | wc -l)" = 5 ]'

# A context change makes the COPY and what follows again: each step makes
# its own layer again (the old one went when its step started).
echo two >"$D/ctx/a.txt"
make -q -f "$D/build.mk"
is "$?" 1 "make -q: out of date after a context change"
mk "$D"
is "$rc:$ops" "0:1 copy 1 pack 2 run 1 workdir" "incremental: the steps again, no layer op"
inc=$(sha256sum <"$D/image.tar")
rm -rf "$D/state" "$D/image.tar"
mk "$D"
is "$(sha256sum <"$D/image.tar")" "$inc" "the incremental image equals a cold build's"
unpack_image "$D"
is "$(cat "$(last_layer "$D")/w/last" "$D"/layers/*/both 2>/dev/null)" "last
two
tool" "the layers hold the steps' files"

# A step made again by a process that does not make its layer (a by-hand
# run, a build of another target) takes its old layer with it.
key=$(jq -r '.layers[0]' <<<"$(grep -o "pack [0-9a-f]* '.*'" "$D/build.mk" |
	sed "s/^pack [0-9a-f]* '//; s/'\$//")")
check "the first step's layer is there" [ -e "$D/state/$key.layer" ]
spec=$(grep -o "run $key '.*'" "$D/build.mk" | sed "s/^run $key '//; s/'\$//" |
	jq -c 'del(.layer)')
"$RT" -q --state "$D/state" --store "$ST" run "$key" "$spec" >/dev/null 2>&1
is "$?" 0 "the step run by hand without its layer"
check "its old layer is gone" refute test -e "$D/state/$key.layer"
mk "$D"
is "$rc:$(grep -c '^layer$' "$T/ops")" "0:0" "the next build: the steps above again, no layer op"
check "and pack made that step's layer" [ -e "$D/state/$key.layer" ]
is "$(sha256sum <"$D/image.tar")" "$inc" "the image is a cold build's"

# --compress gzip: the layers again, not the steps.
compile "$D" --compress gzip
mk "$D"
is "$rc:$ops" "0:1 pack" "compression changed: pack again (it makes the layers), no step"
is "$(jq -r .mediaType "$D"/state/*.layer | sort -u)" "application/vnd.oci.image.layer.v1.tar+gzip" \
	"the layers are gzip ones now"
gz=$(sha256sum <"$D/image.tar")
rm -rf "$D/state" "$D/image.tar"
mk "$D"
is "$rc:$ops" "0:1 base 1 copy 1 pack 3 run 1 sum 1 workdir" "cold gzip build: no layer op"
is "$(sha256sum <"$D/image.tar")" "$gz" "the same gzip image"
mk "$D"
is "$rc:$ops" "0:" "then a no-op"

# --target tools first (its step has no layer there), then the image.
rm -rf "$D/state" "$D/image.tar"
compile "$D" --compress none --target tools
is "$(steps_with_layer "$D")" 1 "--target tools: its one step carries its layer"
mk "$D"
is "$rc" 0 "--target tools build"
compile "$D" --compress none
mk "$D"
is "$rc:$ops" "0:1 copy 1 pack 2 run 1 sum 1 workdir" "then the image: the tools step is not made again"
rm -rf "$D/state" "$D/image.tar"
mk "$D"
is "$(sha256sum <"$D/image.tar")" "$inc" "and the image equals a cold build's"
done_testing

#!/usr/bin/env bash
# --cache-to type=local / --cache-from type=local (issue #14 item 4): a
# build exports its step cache; a second "machine" (another context path,
# an empty state dir, its own store) builds the same Dockerfile from it,
# runs 0 RUN steps and gets the same image digest. mode=min holds only the
# image's steps, mode=max every stage's. The RUNs write 16 random bytes
# into the image: a RUN that ran again would change the digest.
. "$SRCDIR/tests/sh/cache/common.bash"
export SOURCE_DATE_EPOCH=1700000000
newmachine A
build "$A" "$T/a/ctx" --cache-to "type=local,dest=$T/cache-max,mode=max"
is "$rc" 0 "machine A builds and exports (mode=max)"
is "$(ran "$A")" 3 "machine A ran its 3 RUN steps"
ref=$(digest "$A")
like "$(img_file "$A" app/stamp)" '^ ([0-9a-f]{2} ){15}[0-9a-f]{2}$' \
	"  a RUN's output is 16 random bytes (a rerun would change the image)"
out=$(make -f "$A/build.mk" 2>&1)
like "$out" "Nothing to be done|is up to date" "a second make on A (with --cache-to) does nothing"
# A step built without a content key (state of an older df2make) is left
# out of an export with a warning, the others are exported.
compile "$A" "$T/a/ctx" --cache-to "type=local,dest=$T/cache-partial,mode=max"
spec=$(grep -o "cache-export [0-9a-f]* '.*'" "$A/build.mk" | sed "s/^[^']*'//; s/'\$//")
last=$(jq -r '.steps[-1]' <<<"$spec")
mv "$A/state/$last.ck" "$T/saved.ck"
make -f "$A/build.mk" >"$A/log" 2>&1
is "$?" 0 "export with a step lacking its content key: make succeeds"
like "$(cat "$A/log")" "warning: cache export: step ${last:0:8}: no content key .*: not exported" \
	"  with a warning naming the step"
is "$(jq '.records | length' "$(layout_cfg "$T/cache-partial")")" 5 \
	"  and the 5 other steps exported"
mv "$T/saved.ck" "$A/state/$last.ck"
compile "$A" "$T/a/ctx" --cache-to "type=local,dest=$T/cache-min"
make -f "$A/build.mk" >"$A/log" 2>&1
is "$?" 0 "machine A exports again (mode=min, the default), nothing rebuilt"
is "$(ran "$A")" 0 "  no RUN ran for the second export"

# The layout: index.json -> manifest -> config (+ layer blobs), each blob
# hashing to its name.
L=$T/cache-max
is "$(cat "$L/oci-layout")" '{"imageLayoutVersion":"1.0.0"}' "oci-layout"
man=$(jq -r '.manifests[0].digest' "$L/index.json")
is "$(jq -r '.manifests[0].mediaType' "$L/index.json")" application/vnd.oci.image.manifest.v1+json \
	"index.json names an image manifest"
cfg=$(jq -r .config.digest "$L/blobs/sha256/${man#sha256:}")
is "$(jq -r .config.mediaType "$L/blobs/sha256/${man#sha256:}")" \
	application/vnd.df2make.cache.config.v1+json \
	"the manifest's config is the cache config"
bad=0
for b in "$L"/blobs/sha256/*; do
	[ "$(sha256sum <"$b" | cut -c1-64)" = "$(basename "$b")" ] || bad=$((bad + 1))
done
is "$bad" 0 "every blob of the layout hashes to its name"
nmax=$(jq '.records | length' "$L/blobs/sha256/${cfg#sha256:}")
M=$T/cache-min
nmin=$(jq '.records | length' "$(layout_cfg "$M")")
is "$nmax" 6 "mode=max: a record per filesystem step of both stages (6)"
is "$nmin" 4 "mode=min: a record per step of the image's chain (4)"
is "$(jq -r '[.records[] | select(.layer == null)] | length' "$L/blobs/sha256/${cfg#sha256:}")" 2 \
	"RUN true and WORKDIR of an existing dir: records without a layer"
is "$(jq -r '.layers | length' "$L/blobs/sha256/${man#sha256:}")" 4 \
	"the manifest lists the other 4 steps' layer blobs"

# Machine B: the context elsewhere, empty state, its own store.
B=$T/B
machine "$B"
mkctx "$T/b/elsewhere/ctx2"
build "$B" "$T/b/elsewhere/ctx2" --cache-from "type=local,src=$T/cache-max"
is "$rc" 0 "machine B builds from the mode=max cache"
is "$(ran "$B")" 0 "machine B ran 0 RUN steps"
is "$(grep -c ' CACHED$' "$B/log")" 6 "  6 steps restored (CACHED)"
is "$(digest "$B")" "$ref" "machine B's image = machine A's (digest)"
out=$(make -f "$B/build.mk" 2>&1)
like "$out" "Nothing to be done|is up to date" "a second make on B does nothing"
# The restored steps' layers and blobs are the state's: gc keeps them and
# fsck finds them whole; the image can be packed again from them.
"$RT" --store "$B/store" --state "$B/state" gc >"$B/gc.log" 2>&1
"$RT" --store "$B/store" --state "$B/state" fsck >"$B/fsck.log" 2>&1
is "$?" 0 "fsck of B's store and state after gc: clean"
sed 's/^/#   /' "$B/fsck.log" | tail -3
rm -f "$B/image.tar"
make -f "$B/build.mk" >"$B/log" 2>&1
is "$?:$(ran "$B"):$(digest "$B")" "0:0:$ref" \
	"after gc, make packs A's image again from the restored layers"

# Machine C: mode=min: the build stage's RUN runs, the image's do not.
newmachine C
build "$C" "$T/c/ctx" --cache-from "type=local,src=$T/cache-min"
is "$rc" 0 "machine C builds from the mode=min cache"
is "$(ran "$C")" 1 "machine C ran 1 RUN step (the build stage's)"
is "$(digest "$C")" "$ref" "machine C's image = machine A's"

# Several sources: the first that holds a step gives it (a missing one is
# a warning); mode=min's cache lacks the build stage, mode=max's has it.
newmachine I
build "$I" "$T/i/ctx" --cache-from "type=local,src=$T/nowhere" \
	--cache-from "type=local,src=$T/cache-min" --cache-from "type=local,src=$T/cache-max"
is "$rc" 0 "machine I builds from three sources (one missing)"
is "$(ran "$I"):$(digest "$I")" "0:$ref" \
	"  0 RUN steps (the build stage's from the max cache), A's image"
like "$(cat "$I/log")" "warning: step [0-9a-f]{8}: --cache-from ignored: .*nowhere/index.json" \
	"  the missing source is a warning"

# A cache directory whose name make and the shell would read otherwise.
W="$T/odd dir \$x #1 \"q\" 's' \\ é"
compile "$A" "$T/a/ctx" --cache-to "type=local,dest=$W,mode=max"
make -f "$A/build.mk" >"$A/log" 2>&1
check "export into '$(basename "$W")'" test -s "$W/index.json"
newmachine J
build "$J" "$T/j/ctx" --cache-from "type=local,src=$W"
is "$rc:$(ran "$J"):$(digest "$J")" "0:0:$ref" "  import from it: 0 RUN steps, A's image"

# Two makes at once on one fresh state dir, both restoring from the cache:
# the step locks let one restore each step and the other take it.
newmachine K
compile "$K" "$T/k/ctx" --cache-from "type=local,src=$T/cache-max"
two_makes "$K"
is "$rc1:$rc2" "0:0" "two concurrent makes from the cache both succeed"
is "$ran1:$ran2:$(digest "$K")" "0:0:$ref" "  neither ran a RUN; A's image"

# Other content, same Dockerfile: nothing is restored that read it.
newmachine E
echo beta >"$T/e/ctx/src/a.txt"
build "$E" "$T/e/ctx" --cache-from "type=local,src=$T/cache-max"
is "$rc" 0 "machine E (other content in src/) builds"
is "$(ran "$E")" 3 "machine E ran its 3 RUN steps: a context file differs"
is "$(img_file "$E" app/built)" beta "  and its image has the new content"

# A truly empty store (no base image at all): FROM scratch, busybox copied in.
mkdir -p "$T/s/ctx"
cp "$BUSYBOX" "$T/s/ctx/busybox"
printf '%s\n' 'FROM scratch' 'COPY busybox /bin/busybox' \
	'RUN ["/bin/busybox", "sh", "-c", "/bin/busybox od -An -N16 -tx1 /dev/urandom >/stamp"]' \
	>"$T/s/ctx/Dockerfile"
S1=$T/S1 S2=$T/S2
mkdir -p "$S1" "$S2"
build "$S1" "$T/s/ctx" --cache-to "type=local,dest=$T/cache-scratch"
is "$rc" 0 "scratch: machine S1 (empty store) builds and exports"
build "$S2" "$T/s/ctx" --cache-from "type=local,src=$T/cache-scratch"
is "$rc" 0 "scratch: machine S2 (empty store, empty state) builds from it"
is "$(ran "$S2"):$(digest "$S2")" "0:$(digest "$S1")" "  0 RUN steps, S1's image"
is "$(ls "$S2/store/blobs/sha256" | wc -l)" 2 "  S2's store holds only the restored layers' blobs"

# gzip layers: the blobs' diff_ids are checked by decompressing them.
rm -rf "$A/state"
build "$A" "$T/a/ctx" --compress gzip --cache-to "type=local,dest=$T/cache-gz,mode=max"
is "$rc" 0 "machine A builds with gzip layers and exports"
refgz=$(digest "$A")
diff_ids() {
	tar -xOf "$1/image.tar" "$(tar -xOf "$1/image.tar" manifest.json | jq -r '.[0].Config')" |
		jq -c .rootfs.diff_ids
}
gzdiffs=$(diff_ids "$A")
newmachine G
build "$G" "$T/g/ctx" --compress gzip --cache-from "type=local,src=$T/cache-gz"
is "$(ran "$G"):$(digest "$G")" "0:$refgz" "machine G (gzip too): 0 RUN steps, A's gzip image"
# Each gzip blob is decompressed once, by the unpack that checks its
# diff_id on the way: the bytes the runtime reads from the store's blob
# (strace -y names the file of each read) are under twice its size. Made
# up to the last step: the pack reads the blobs again, as it must.
if command -v strace >/dev/null; then
	newmachine H
	compile "$H" "$T/h/ctx" --compress gzip --cache-from "type=local,src=$T/cache-gz"
	last=$(grep -o '^$(STATE)/[0-9a-f]*\.done:' "$H/build.mk" | tail -1 | cut -c10-41)
	mkdir -p "$T/st"
	# (LeakSanitizer cannot run under ptrace: off in a sanitizer build)
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 make -f "$H/build.mk" \
		DF2MAKE_RUNTIME="strace -ff -y -qq -e trace=read -e signal=none -o $T/st/t $RT" \
		"$H/state/$last.done" >"$H/log" 2>&1
	is "$?:$(ran "$H")" "0:0" "machine H (under strace): 0 RUN steps"
	blobre='s|^read\([0-9]+<'"$H"'/store/blobs/sha256/([0-9a-f]{64})>.* = ([0-9]+)$|\1 \2|p'
	reads=$(cat "$T/st"/t.* | sed -nE "$blobre" |
		awk '{ n[$1] += $2 } END { for (b in n) print b, n[b] }')
	over=$(for b in $(jq -r '[.records[].layer | select(.) | .digest[7:]] | unique[]' \
		"$(layout_cfg "$T/cache-gz")"); do
		n=$(awk -v b="$b" '$1 == b { print $2 }' <<<"$reads")
		sz=$(stat -c %s "$H/store/blobs/sha256/$b")
		[ "${n:-0}" -gt 0 ] && [ "$n" -lt $((2 * sz)) ] || echo "$b: ${n:-0} bytes read of $sz"
	done)
	is "$over" "" "  each cached blob read once (not once to check, once to unpack)"
else
	skip "gzip blobs decompressed once" "strace not installed"
fi
# Another compression than the cache's: the layers are made again from
# the restored (unpacked) layers, and give the image of a clean build.
rm -rf "$G/state" "$G/image.tar"
build "$G" "$T/g/ctx" --compress none --cache-from "type=local,src=$T/cache-gz"
is "$(ran "$G")" 0 "machine G (plain layers) from the gzip cache: 0 RUN steps"
is "$(diff_ids "$G")" "$gzdiffs" \
	"  its layers are the gzip layers uncompressed, byte for byte (diff_ids)"
done_testing

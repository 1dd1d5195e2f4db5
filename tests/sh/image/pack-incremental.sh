#!/usr/bin/env bash
# An incremental build rewrites only the end of image.tar (runtime/packinc.c):
# the same file (inode) afterwards, holding the same bytes as a whole pack;
# a kill -9 of make between writing the new end and collapsing the old one
# leaves the old image, and the next make finishes the new one; a failed
# collapse or a hard-linked output falls back to a whole rewrite.
. "$SRCDIR/tests/sh/security/common.bash"
need setsid strace sha256sum cmp
base_image || { not_ok "base image import"; done_testing; exit 1; }

D=$T/b
dockerfile "$D" 'FROM busybox
COPY big /big
COPY src/ /app/
CMD ["cat", "/app/a"]'
# a 4 MB bottom layer: the part an incremental build keeps
head -c 4000000 /dev/zero | tr '\0' x >"$D/ctx/big"
mkdir -p "$D/ctx/src"
echo one >"$D/ctx/src/a"
compile "$D" --compress none
is "$rc" 0 "compile"
M=(make -f "$D/build.mk")
"${M[@]}" >"$D/log" 2>&1
is "$?" 0 "cold build"
IMG=$D/image.tar

# full_pack: the image tar a whole rewrite of the same state gives
full_pack() {
	cp "$IMG" "$T/inc.tar"
	rm -f "$IMG"
	"${M[@]}" >>"$D/log" 2>&1 && cmp -s "$IMG" "$T/inc.tar"
}
check "a whole pack is still deterministic" full_pack
is "$(head -1 "$D/state/tar-index")" "df2make-tar-index 1" "pack records the tar's layout"

# 1. one source edited: the tar is rewritten in place, byte-identical
ino=$(stat -c %i "$IMG")
echo two >"$D/ctx/src/a"
"${M[@]}" >"$D/log" 2>&1
is "$?" 0 "incremental build"
is "$(stat -c %i "$IMG")" "$ino" "the image tar was rewritten in place (same inode)"
is "$(tar -xOf "$IMG" manifest.json | jq -r '.[0].Layers | length')" 3 "three layers"
cfg=$(tar -xOf "$IMG" manifest.json | jq -r '.[0].Config')
layer=$(tar -xOf "$IMG" manifest.json | jq -r '.[0].Layers[2]')
is "$(tar -xOf "$IMG" "$layer" | tar -xO app/a)" two "the new layer holds the edit"
check "the in-place tar equals a whole pack byte for byte" full_pack
"${M[@]}" -q
is "$?" 0 "the next make has nothing to do (the .pack stamp is back, older than the tar)"

# 2. kill -9 of make (its whole group) while the new end is written but
# the old one not yet collapsed: the file still holds the old image.
old_manifest=$(tar -xOf "$IMG" manifest.json)
old_size=$(stat -c %s "$IMG")
W=$T/rt-kill
cat >"$W" <<EOF
#!/bin/sh
case " \$* " in
*" pack "*)
	strace -f -qq -o /dev/null -e trace=fallocate -e inject=fallocate:error=EIO:signal=KILL \\
		"$DF2MAKE_RUNTIME_BIN" "\$@"
	kill -9 0 ;;
esac
exec "$DF2MAKE_RUNTIME_BIN" "\$@"
EOF
chmod +x "$W"
echo three >"$D/ctx/src/a"
setsid "${M[@]}" DF2MAKE_RUNTIME="$W" >"$D/log.kill" 2>&1 &
wait $! 2>/dev/null
check "killed after writing the new end (the file grew)" [ "$(stat -c %s "$IMG")" -gt "$old_size" ]
is "$(tar -xOf "$IMG" manifest.json)" "$old_manifest" "after the kill: the old image's manifest"
rm -rf "$T/x" && mkdir "$T/x" && tar -C "$T/x" -xf "$IMG"
bad=0
for b in "$T"/x/blobs/sha256/*; do
	[ "$(sha256sum <"$b" | cut -d' ' -f1)" = "$(basename "$b")" ] || bad=$((bad + 1))
done
is "$bad" 0 "after the kill: every blob of the tar matches its digest"
is "$(tar -xOf "$IMG" "$(jq -r '.[0].Layers[2]' <<<"$old_manifest")" | tar -xO app/a)" two \
	"after the kill: the old layer"
if command -v skopeo >/dev/null; then
	is "$(skopeo inspect --raw "docker-archive:$IMG" | jq -r .config.digest)" \
		"$(jq -r '.[0].Config' <<<"$old_manifest" | sed 's,blobs/sha256/,sha256:,')" \
		"after the kill: skopeo reads the old image"
fi
"${M[@]}" >"$D/log" 2>&1
is "$?" 0 "the next make packs again"
is "$(tar -xOf "$IMG" "$(tar -xOf "$IMG" manifest.json | jq -r '.[0].Layers[2]')" | tar -xO app/a)" \
	three "and the image holds the new layer"
check "that image equals a whole pack" full_pack
is "$(ls -A "$D" | grep '^\.image')" "" "no temp beside the output"

# 3. a filesystem without COLLAPSE_RANGE (here: the call fails): the old
# file is restored and the whole tar written instead.
# (LeakSanitizer cannot run under ptrace: no leak check in a sanitizer build)
F=$T/rt-nocollapse
printf '#!/bin/sh\nASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 exec strace -f -qq -o /dev/null -e trace=fallocate -e inject=fallocate:error=EOPNOTSUPP "%s" "$@"\n' \
	"$DF2MAKE_RUNTIME_BIN" >"$F"
chmod +x "$F"
ino=$(stat -c %i "$IMG")
echo four >"$D/ctx/src/a"
"${M[@]}" DF2MAKE_RUNTIME="$F" >"$D/log" 2>&1
is "$?" 0 "no COLLAPSE_RANGE: the build succeeds"
check "no COLLAPSE_RANGE: a new file (whole rewrite)" [ "$(stat -c %i "$IMG")" != "$ino" ]
check "no COLLAPSE_RANGE: the same bytes as a whole pack" full_pack

# 4. a hard link to the output (a kept copy) is never written through
ln -f "$IMG" "$T/kept.tar"
cp "$IMG" "$T/kept.copy"
echo five >"$D/ctx/src/a"
"${M[@]}" >"$D/log" 2>&1
is "$?" 0 "hard-linked output: the build succeeds"
check "hard-linked output: the other link keeps the old image" cmp -s "$T/kept.tar" "$T/kept.copy"
is "$(tar -xOf "$IMG" "$(tar -xOf "$IMG" manifest.json | jq -r '.[0].Layers[2]')" | tar -xO app/a)" \
	five "hard-linked output: the new image at the output"

# 5. an output changed by someone else (same size, new mtime): rewritten whole
ino=$(stat -c %i "$IMG")
printf 'X' | dd of="$IMG" bs=1 seek=100 conv=notrunc status=none
echo six >"$D/ctx/src/a"
"${M[@]}" >"$D/log" 2>&1
is "$?" 0 "output changed behind pack's back: the build succeeds"
check "output changed behind pack's back: written whole" [ "$(stat -c %i "$IMG")" != "$ino" ]
check "output changed behind pack's back: the same bytes as a whole pack" full_pack

# 6. a kill -9 of make's group as pack names the tar's record, after the image's
# rename: the new image stands and nothing is left in the state dir (the
# record is written as an unnamed inode; a named temp there stayed, as
# the resumed make has no pack to run that would sweep it)
K=$T/rt-killrecord
cat >"$K" <<EOF
#!/bin/sh
case " \$* " in
*" pack "*)
	ASAN_OPTIONS=\${ASAN_OPTIONS:+\$ASAN_OPTIONS:}detect_leaks=0 strace -f -qq -o "$T/record.trace" \\
		-P "$D/state/tar-index" -e trace=rename,linkat -e inject=rename,linkat:signal=KILL \\
		"$DF2MAKE_RUNTIME_BIN" "\$@"
	kill -9 0 ;;
esac
exec "$DF2MAKE_RUNTIME_BIN" "\$@"
EOF
chmod +x "$K"
rm -f "$IMG"
echo seven >"$D/ctx/src/a"
setsid "${M[@]}" DF2MAKE_RUNTIME="$K" >"$D/log.kill" 2>&1 &
wait $! 2>/dev/null
check "pack was killed naming the record" grep -q 'killed by SIGKILL' "$T/record.trace"
is "$(tar -xOf "$IMG" "$(tar -xOf "$IMG" manifest.json | jq -r '.[0].Layers[2]')" | tar -xO app/a)" \
	seven "killed naming the record: the new image is whole"
is "$(ls -A "$D/state" | grep -c tmp)" 0 "killed naming the record: no temp left in the state"
check "killed naming the record: no record" [ ! -e "$D/state/tar-index" ]
"${M[@]}" >"$D/log" 2>&1
is "$?:$(ls -A "$D/state" | grep -c tmp)" "0:0" "killed naming the record: the next make is clean"
done_testing

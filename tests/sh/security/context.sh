#!/usr/bin/env bash
# Context escape: COPY/ADD sources that try to read outside the build
# context or past .dockerignore. BuildKit is the reference: a source is
# cleaned as path.Join("/", src) (so `..` and a leading `/` stay inside),
# a top-level symlink is followed only within the context, symlinks inside
# a copied directory are copied as symlinks, ignored files are never sent.
. "$SRCDIR/tests/sh/security/common.bash"
base_image || { not_ok "base image import"; done_testing; exit 1; }
SECRET=TOPSECRET-$$-host

# attack NAME DOCKERFILE-BODY: a context $T/NAME/ctx with the standard
# fixtures, then the build. Outside the context (in $T/NAME): x, secret.
attack() {
	D=$T/$1
	dockerfile "$D" "FROM busybox
$2"
	echo "$SECRET" >"$D/x"
	echo "$SECRET" >"$D/secret"
	mkdir -p "$D/ctx/sub"
	echo inside >"$D/ctx/sub/file"
}
# run: build, then unpack the image when there is one.
run() {
	rm -rf "$D/layers" "$D/image.tar"
	build "$D"
	[ ! -f "$D/image.tar" ] || unpack_image "$D"
}
# not_leaked: the outside secret's bytes are nowhere in the image (or the
# config, or the build log).
not_leaked() { ! grep -rqa "$SECRET" "$D/layers" "$D/config.json" 2>/dev/null; }
# failed: the build (compile or make) failed.
failed() { [ "$rc" -ne 0 ]; }
# top_file PATH: a file's content in the image's top layer.
top_file() { cat "$(last_layer "$D")$1" 2>&1; }

attack dotdot 'COPY ../x /x'
run
check "COPY ../x (no x in the context): fails" failed
log_has "$D" 'source "x": not found' "  as 'source \"x\": not found': .. was stripped"
check "  the outside file is not in any layer" not_leaked

attack dotdot2 'COPY ../x sub/../../x /got/'
echo "ctx-x" >"$D/ctx/x"
run
is "$rc" 0 "COPY ../x with an x in the context: succeeds"
is "$(top_file /got/x)" "ctx-x" "  and reads the context's x (BuildKit strips ..)"
check "  the outside file is not in any layer" not_leaked

attack absolute 'COPY /etc/passwd /p'
run
check "COPY /etc/passwd (none in the context): fails, host file not read" failed
mkdir -p "$D/ctx/etc" && echo ctx-passwd >"$D/ctx/etc/passwd"
run
is "$(top_file /p)" "ctx-passwd" "COPY /etc/passwd reads CONTEXT/etc/passwd"

attack addabs 'ADD ../x /etc/../../x /a/'
run
check "ADD ../x and /etc/../../x: fail" failed
check "  the outside file is not in any layer" not_leaked

attack toplink 'COPY link /l'
ln -s "$D/secret" "$D/ctx/link"
run
check "COPY of a top-level symlink to an absolute outside path: fails" failed
log_has "$D" 'outside the build context|not found' "  with a clear message"
check "  the outside file is not in any layer" not_leaked

attack rellink 'COPY rel /r'
ln -s ../secret "$D/ctx/rel"
run
check "COPY of a top-level symlink ../secret: fails" failed
check "  the outside file is not in any layer" not_leaked

attack throughlink 'COPY out/secret /s'
ln -s .. "$D/ctx/out"
run
check "COPY out/secret where out -> ..: fails" failed
check "  the outside file is not in any layer" not_leaked

attack globlink 'COPY ou*/secret /s/'
ln -s "$D" "$D/ctx/out"
run
check "COPY ou*/secret (glob through an outside symlink): nothing leaked" not_leaked

attack inlink 'COPY inl /i'
ln -s sub/file "$D/ctx/inl"
run
is "$rc" 0 "COPY of a top-level symlink staying inside: succeeds"
is "$(top_file /i)" "inside" "  and copies its target's content"

attack deeplink 'COPY sub /sub'
ln -s "$D/secret" "$D/ctx/sub/evil"
ln -s ../../secret "$D/ctx/sub/evil2"
run
is "$rc" 0 "COPY of a directory holding outside symlinks: succeeds"
is "$(readlink "$(last_layer "$D")/sub/evil") $(readlink "$(last_layer "$D")/sub/evil2")" \
	"$D/secret ../../secret" "  the symlinks are copied as symlinks"
check "  their targets' content is not in any layer" not_leaked

attack hardlink 'COPY --chmod=777 hl /hl'
ln "$D/secret" "$D/ctx/hl"
chmod 600 "$D/secret"
run
is "$rc" 0 "COPY of a file hardlinked to an outside file: succeeds (it is in the context)"
is "$(stat -c %a "$(last_layer "$D")/hl")" 777 "  copied as a plain file with --chmod"
is "$(stat -c %a "$D/secret") $(cat "$D/secret")" "600 $SECRET" "  the outside inode is untouched"

# .dockerignore: an ignored file is never sent, whatever the spelling.
for src in secret ./secret /secret sub/../secret 'secre[t]' 'secre?' secret/; do
	attack ignore 'COPY '"$src"' /s'
	cp "$D/secret" "$D/ctx/secret"
	printf 'secret\n' >"$D/ctx/.dockerignore"
	run
	check "ignored 'secret' copied as '$src': not in the image" not_leaked
done
attack ignoredir 'COPY . /c'
cp "$D/secret" "$D/ctx/secret"
mkdir -p "$D/ctx/keys" && cp "$D/secret" "$D/ctx/keys/id"
printf 'secret\nkeys\n!keys/pub\n' >"$D/ctx/.dockerignore"
run
is "$rc" 0 "COPY . with ignored files: succeeds"
check "  no ignored file in the image" not_leaked
check "  the non-ignored files are there" [ "$(top_file /c/sub/file)" = inside ]

attack ignorealias 'COPY alias /a'
cp "$D/secret" "$D/ctx/secret"
ln -s secret "$D/ctx/alias"
printf 'secret\n' >"$D/ctx/.dockerignore"
run
check "COPY of a symlink to an ignored file: fails (the target is not sent)" failed
check "  the ignored file is not in the image" not_leaked

attack ignorealiasdir 'COPY adir /a'
mkdir -p "$D/ctx/private"
cp "$D/secret" "$D/ctx/private/key"
ln -s private "$D/ctx/adir"
printf 'private\n' >"$D/ctx/.dockerignore"
run
check "COPY of a symlink to an ignored directory: its files not in the image" not_leaked

attack ignoreglob 'COPY * /all/'
cp "$D/secret" "$D/ctx/secret"
printf '**/secret\n' >"$D/ctx/.dockerignore"
run
is "$rc" 0 "COPY * with an ignored file: succeeds"
check "  the ignored file is not in the image" not_leaked
done_testing

#!/usr/bin/env bash
# Cache keys are machine-independent (issue #14 item 4): the same
# Dockerfile and context built from two directories (other context path,
# state dir, store, secret file path, ssh socket, proxy build args, file
# owners, mtimes and inodes, host name) give the same step keys (--plan), the same content
# keys (STATE/KEY.ck, what --cache-from looks up) and the same image.
. "$SRCDIR/tests/sh/cache/common.bash"
need unshare hostname
export SOURCE_DATE_EPOCH=1700000000
mkctx() {
	mkdir -p "$1/src/sub"
	echo alpha >"$1/src/a.txt"
	echo beta >"$1/src/sub/b.txt"
	echo 'ignored*' >"$1/.dockerignore"
	echo no >"$1/ignored.txt"
	cat >"$1/Dockerfile" <<'DF'
FROM busybox AS b
COPY src /src
ADD src/a.txt /a
RUN --mount=type=bind,source=src,target=/m --mount=type=cache,target=/c \
    --mount=type=secret,id=s --mount=type=tmpfs,target=/t \
    cat /m/a.txt /run/secrets/s >/from-mounts
FROM busybox
COPY --from=b /src /s2
COPY --from=b /from-mounts /
RUN --mount=type=bind,from=b,source=/src,target=/x cp /x/a.txt /copied
DF
}
A=$T/A B=$T/other/place/B
machine "$A"
machine "$B"
mkctx "$T/a/ctx"
mkctx "$B/deep/ctx-b"
echo s3cret >"$T/secret-a"
echo s3cret >"$B/secret.b"
# B's copy: other owners, mtimes (and, being another copy, inodes). The
# mtimes are after SOURCE_DATE_EPOCH: COPY keeps a file's mtime, as
# BuildKit does, so an older one would be in the image (not in a key).
chown -R 1234:1234 "$B/deep/ctx-b"
find "$B/deep/ctx-b" -exec touch -h -d @1750000000 {} +

keys() { grep -E '^  - key: ' "$1" | sed 's/.*key: //; s/'"'"'//g'; }
SSH_AUTH_SOCK=/a/sock "$DF2MAKE" --plan --store "$A/store" --state "$A/state" \
	--secret "id=s,src=$T/secret-a" "$T/a/ctx" >"$A/plan" 2>/dev/null
# B is behind a proxy (BuildKit keeps ProxyEnv out of its keys too).
PX=(--build-arg HTTP_PROXY=http://127.0.0.1:9 --build-arg no_proxy=example.test)
SSH_AUTH_SOCK=/b/other "$DF2MAKE" --plan --store "$B/store" --state "$B/state" "${PX[@]}" \
	--secret "id=s,src=$B/secret.b" "$B/deep/ctx-b" >"$B/plan" 2>/dev/null
check "plans made" test -s "$A/plan" -a -s "$B/plan"
is "$(keys "$B/plan")" "$(keys "$A/plan")" "the plans' step keys are equal"
is "$(keys "$A/plan" | wc -l)" 8 "  (all 8 steps, FROM busybox twice)"

build "$A" "$T/a/ctx" --secret "id=s,src=$T/secret-a"
is "$rc" 0 "A builds"
compile "$B" "$B/deep/ctx-b" --secret "id=s,src=$B/secret.b" "${PX[@]}"
check "B's RUN specs carry the proxy" grep -q 'HTTP_PROXY=http://127.0.0.1:9' "$B/build.mk"
unshare -u sh -c 'hostname elsewhere.example && make -f "$1" >"$2" 2>&1' _ "$B/build.mk" "$B/log"
is "$?" 0 "B builds (under another host name)"
cks() { (cd "$1/state" && for f in *.ck; do printf '%s %s\n' "$f" "$(cat "$f")"; done); }
is "$(cks "$B")" "$(cks "$A")" "the content keys (STATE/KEY.ck) are equal"
is "$(cks "$A" | wc -l)" 7 "  (a .ck per step: 7, the FROMs being one)"
is "$(digest "$B")" "$(digest "$A")" "the image digests are equal"
is "$(img_file "$B" from-mounts)" "alpha
s3cret" "  (the RUN saw the bind mount and the secret)"

# Content is what counts: one changed byte changes the COPY's content key
# (not its step key) and those of the steps above it, not those below.
echo alphA >"$B/deep/ctx-b/src/a.txt"
make -f "$B/build.mk" >"$B/log" 2>&1
is "$?" 0 "B rebuilds after a change of src/a.txt"
changed=$(diff <(cks "$A") <(cks "$B") | grep -c '^>')
is "$changed" 6 "the content keys of the 6 steps at or above COPY src changed"
same=$(comm -12 <(cks "$A") <(cks "$B") | wc -l)
is "$same" 1 "FROM busybox keeps its"
"$DF2MAKE" --plan --store "$B/store" --state "$B/state" --secret "id=s,src=$B/secret.b" \
	"${PX[@]}" "$B/deep/ctx-b" 2>/dev/null >"$B/plan2"
is "$(keys "$B/plan2")" "$(keys "$A/plan")" "the step keys did not change (content is not in them)"
done_testing

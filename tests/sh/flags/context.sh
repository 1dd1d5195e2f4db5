#!/usr/bin/env bash
# --build-context NAME=docker-image://REF (BuildKit's named contexts): a
# stage named NAME is the image REF and its instructions do not run; a
# FROM or COPY --from naming NAME (as an image reference: "alpine" is
# docker.io/library/alpine:latest) takes REF. URLs are refused by name (a
# directory: ctxdir.sh, an OCI layout: ctxlayout.sh).
. "$SRCDIR/tests/lib.sh"
need make python3
export DF2MAKE_STORE=$T/store
mkdir -p "$T/ctx" "$T/out" "$T/root/bin" "$T/root2/etc"
echo one >"$T/root/bin/tool"
echo two >"$T/root2/etc/marker"
tar -C "$T/root" -cf "$T/one.tar" .
tar -C "$T/root2" -cf "$T/two.tar" .
"$DF2MAKE_RUNTIME_BIN" import "$T/one.tar" example/one:1 >/dev/null 2>&1 &&
	"$DF2MAKE_RUNTIME_BIN" import "$T/two.tar" example/two:2 >/dev/null 2>&1 ||
	skip_all "df2make-runtime import failed"
cat >"$T/ctx/Dockerfile" <<'DF'
FROM nosuch.example/never:1 AS base
RUN never-run-marker

FROM alpine AS tools

FROM base
COPY --from=tools /etc/marker /marker
COPY --from=registry.example/x:1 /bin/tool /tool2
DF
cd "$T/out" || exit 1
"$DF2MAKE" --build-context base=docker-image://example/one:1 --build-context alpine=docker-image://example/two:2 \
	--build-context registry.example/x:1=docker-image://example/one:1 "$T/ctx" >build.mk 2>"$T/err"
is "$?:$(cat "$T/err")" "0:" "compiles: every image comes from a named context (no lookup of the others)"
like "$(grep ' base [0-9a-f]' build.mk | head -1)" '"title":"\[base 1/1\] FROM docker.io/example/one:1"' \
	"the stage named base is the image example/one:1"
check "... and its RUN is not in build.mk" bash -c "! grep -q never-run-marker build.mk"
like "$(grep -c '"image":"docker.io/example/two:2"' build.mk)" "^[1-9]" "FROM alpine (stage tools) is example/two:2"
check "no image of the Dockerfile's own names is used" bash -c "! grep -qE '\"image\":\"[^\"]*(nosuch|alpine|registry.example)' build.mk"
if [ "$(id -u)" = 0 ]; then
	make -f build.mk DF2MAKE_RUNTIME="$DF2MAKE_RUNTIME_BIN" >"$T/make.log" 2>&1
	is "$?" 0 "make builds it"
	got=$(python3 - image.tar <<'PY'
import json, sys, tarfile
t = tarfile.open(sys.argv[1]); m = json.load(t.extractfile("manifest.json"))[0]
for l in m["Layers"]:
    lt = tarfile.open(fileobj=t.extractfile(l))
    for e in lt.getmembers():
        if e.isfile():
            print(e.name.lstrip("./"), lt.extractfile(e).read().decode().strip())
PY
)
	is "$(printf '%s\n' "$got" | LC_ALL=C sort | paste -sd' ')" "bin/tool one marker two tool2 one" \
		"the image: example/one's file, the marker from example/two, the tool again"
else
	skip "make builds it" "needs root"
fi
bad() {
	"$DF2MAKE" --build-context "$1" "$T/ctx" >/dev/null 2>"$T/err"
	is "$?:$(cat "$T/err")" "1:df2make: $2" "$3"
}
bad "x=https://example.com/x.tar" "--build-context x=https://example.com/x.tar: only a directory, docker-image://REF or oci-layout://DIR is supported yet (not a URL)" \
	"a URL is refused by name"
bad "x=git@example.com:a/b.git" "--build-context x=git@example.com:a/b.git: only a directory, docker-image://REF or oci-layout://DIR is supported yet (not a URL)" \
	"a git@ URL likewise"
bad "noequals" "--build-context: want NAME=DIR or NAME=docker-image://REF, not 'noequals'" "no NAME=SOURCE"
bad "Bad Name=docker-image://x" \
	"--build-context: invalid context name Bad Name: invalid reference format: repository name (Bad Name) must be lowercase" \
	"an invalid name"
done_testing

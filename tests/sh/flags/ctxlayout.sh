#!/usr/bin/env bash
# --build-context NAME=oci-layout://DIR[:TAG][@sha256:HEX] (buildx's rules:
# the manifest whose ref.name annotation is TAG, default latest, else the
# only one): build.mk loads the layout's image into the store (a make
# target, under a name made of its digest) and it replaces NAME in FROM
# and COPY --from. A layout of several images, a missing or unresolvable
# one are errors naming the flag.
. "$SRCDIR/tests/lib.sh"
. "$SRCDIR/tests/lib/images.sh"
need make python3
export DF2MAKE_STORE=$T/store
mkdir -p "$T/ctx" "$T/out" "$T/fake" "$T/two"
D1=sha256:$(printf 'one' | sha256sum | cut -d' ' -f1)
D2=sha256:$(printf 'two' | sha256sum | cut -d' ' -f1)
m() { printf '{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":1%s}' "$1" "${2:+,\"annotations\":{\"org.opencontainers.image.ref.name\":\"$2\"}}"; }
printf '{"schemaVersion":2,"manifests":[%s]}' "$(m "$D1" v1)" >"$T/fake/index.json"
printf '{"schemaVersion":2,"manifests":[%s,%s]}' "$(m "$D1" v1)" "$(m "$D2" latest)" >"$T/two/index.json"
printf 'FROM scratch\nCOPY --from=lay /f /g\n' >"$T/ctx/Dockerfile"
cd "$T/out" || exit 1
name() { "$DF2MAKE" --build-context "lay=$1" "$T/ctx" 2>"$T/err" | grep -o '"image":"oci-layout[^"]*"' | sort -u; }
is "$(name "oci-layout://../fake")" "\"image\":\"oci-layout.df2make.invalid/image:sha256-${D1#sha256:}\"" \
	"a relative layout of one image: its manifest, tag latest not there"
is "$(name "oci-layout://$T/fake:v1")" "\"image\":\"oci-layout.df2make.invalid/image:sha256-${D1#sha256:}\"" \
	"... by its tag"
like "$("$DF2MAKE" --build-context "lay=oci-layout://$T/fake" "$T/ctx" 2>/dev/null | grep -A2 'load oci-layout')" \
	"\"layout\":\"$T/fake\"" "build.mk loads it with a resolve step naming the layout"
like "$("$DF2MAKE" --build-context "lay=oci-layout://$T/fake" "$T/ctx" 2>/dev/null | grep '^\$(MK):')" \
	" $T/fake/index.json " "build.mk is remade when the layout's index changes"
bad() {
	"$DF2MAKE" --build-context "$1" "$T/ctx" >"$T/o" 2>"$T/err"
	is "$?:$(wc -c <"$T/o"):$(cat "$T/err")" "1:0:df2make: $2" "$3"
}
bad "lay=oci-layout://$T/two" \
	"--build-context lay=oci-layout://$T/two: the layout holds 2 images; df2make loads a layout of one image only" \
	"a layout of two images: refused (not picked yet)"
bad "lay=oci-layout://$T/nope" \
	"--build-context lay=oci-layout://$T/nope: invalid store at $T/nope: unable to open $T/nope/index.json: No such file or directory" \
	"no layout there"
printf '{"schemaVersion":2,"manifests":[]}' >"$T/fake2.json"
mkdir -p "$T/empty" && cp "$T/fake2.json" "$T/empty/index.json"
bad "lay=oci-layout://$T/empty" \
	"--build-context lay=oci-layout://$T/empty: oci-layout reference \"oci-layout://$T/empty\" could not be resolved: failed to resolve digest" \
	"an empty layout: buildx's message"

if [ "$(id -u)" != 0 ]; then
	skip "builds" "needs root (overlay mounts)"
	done_testing
	exit
fi
images_df2make busybox >"$T/load.log" 2>&1 || { skip "builds" "no busybox base image"; done_testing; exit; }
mkdir -p "$T/img"
echo from-layout >"$T/img/f"
printf 'FROM busybox\nENV FOO=bar\nCOPY f /f\n' >"$T/img/Dockerfile"
"$DF2MAKE" --state "$T/s1" -t example/lay:v1 -o "type=oci,dest=$T/layout/" "$T/img" >img.mk 2>/dev/null &&
	make -f img.mk DF2MAKE_RUNTIME="$DF2MAKE_RUNTIME_BIN" >"$T/make.log" 2>&1
is "$?" 0 "an OCI layout made (df2make -o type=oci,dest=DIR/)"
printf 'FROM lay\nRUN echo "$FOO" >/foo\nCOPY --from=lay /f /g\n' >"$T/ctx/Dockerfile"
"$DF2MAKE" --state "$T/s2" --build-context "lay=oci-layout://$T/layout:v1" "$T/ctx" >build.mk 2>"$T/err"
is "$?:$(grep -c 'error' "$T/err")" "0:0" "FROM and COPY --from the layout compile (the image is loaded by make)"
make -f build.mk DF2MAKE_RUNTIME="$DF2MAKE_RUNTIME_BIN" >"$T/make.log" 2>&1
is "$?" 0 "make loads the layout's image, regenerates build.mk and builds"
got=$(python3 - image.tar <<'PY'
import json, sys, tarfile
t = tarfile.open(sys.argv[1]); m = json.load(t.extractfile("manifest.json"))[0]
c = json.load(t.extractfile(m["Config"]))["config"]
out = [e for e in c["Env"] if e.startswith("FOO=")]
for l in m["Layers"]:
    lt = tarfile.open(fileobj=t.extractfile(l))
    for e in lt.getmembers():
        if e.name.lstrip("./") in ("f", "g", "foo"):
            out.append(e.name.lstrip("./") + "=" + lt.extractfile(e).read().decode().strip())
print(" ".join(sorted(out)))
PY
)
is "$got" "FOO=bar f=from-layout foo=bar g=from-layout" \
	"the image: the layout's config (ENV) and files, the RUN saw its ENV"
make -f build.mk DF2MAKE_RUNTIME="$DF2MAKE_RUNTIME_BIN" >"$T/make.log" 2>&1
check "a second make does nothing" grep -q "Nothing to be done" "$T/make.log"
done_testing

#!/usr/bin/env bash
# Base images from the store at compile time: config inherited, manifest
# digest in the FROM key, the ref file a prerequisite of the base step and
# of build.mk; OnBuild of an image config fired; a missing image fails
# the build (not the compile) until it is loaded.
. "$SRCDIR/tests/lib.sh"
need make python3
STUB="$SRCDIR/tests/stub-runtime"
export STUB_LOG="$T/log" DF2MAKE_RUNTIME=
mkdir -p "$T/ctx" "$T/out" "$T/store"
cd "$T/out" || exit 1

# fake_image NAME MANIFEST-SEED CONFIG-JSON: what `df2make-runtime load` leaves.
fake_image() {
	python3 - "$T/store" "$@" <<'PY'
import hashlib, json, os, sys
store, name, seed, cfg = sys.argv[1:]
d = hashlib.sha256(cfg.encode()).hexdigest()
os.makedirs(store + "/blobs/sha256", exist_ok=True)
os.makedirs(store + "/refs", exist_ok=True)
open(store + "/blobs/sha256/" + d, "w").write(cfg)
ref = {"name": name, "manifest": "sha256:" + hashlib.sha256(seed.encode()).hexdigest(),
       "config": "sha256:" + d, "layers": []}
h = hashlib.sha256(name.encode()).hexdigest()
open(store + "/refs/" + h + ".json", "w").write(json.dumps(ref))
print(store + "/refs/" + h + ".json")
PY
}
CFG='{"architecture":"amd64","os":"linux","config":{"Env":["HOME=/root"],"WorkingDir":"/w","User":"u","Cmd":["sh"],"OnBuild":["RUN echo from-image-onbuild"]},"history":[{"created_by":"base layer"}]}'
ref=$(fake_image docker.io/library/busybox:latest one "$CFG")
cat >"$T/ctx/Dockerfile" <<'DF'
FROM busybox
RUN step
ENTRYPOINT ["/e"]
DF
"$DF2MAKE" --store "$T/store" "$T/ctx" >build.mk 2>"$T/err"
is "$?" 0 "compiles against the store"
is "$(cat "$T/err")" "" "no warning when the image is there"
like "$(grep -A1 '^# .*FROM docker.io/library/busybox:latest$' build.mk | tail -1)" "done: $ref$" \
	"the base step depends on the store's ref file"
like "$(grep '^\$(MK):' build.mk)" " $ref$" "build.mk depends on the ref file"
spec=$(grep ' run ' build.mk | grep -o "'{.*}'")
like "$spec" '"env":\["HOME=/root","PATH=/usr/local/sbin:' "Env inherited, PATH default added"
like "$spec" '"user":"u"' "User inherited"
like "$spec" '"workdir":"/w"' "WorkingDir inherited"
check "the image's OnBuild trigger fires" grep -q 'RUN echo from-image-onbuild' build.mk
pack=$(grep ' pack ' build.mk)
check "ENTRYPOINT drops the CMD inherited from the image" bash -c "! grep -q '\"Cmd\"' <<<'$pack'"
like "$pack" '"history":\[\{"created_by":"base layer"\}' "the base image's history comes first"
k1=$(grep -o 'base [0-9a-f]\{32\}' build.mk)

make -f build.mk DF2MAKE_RUNTIME="$STUB" >/dev/null 2>&1
is "$?" 0 "builds"
n=$(wc -l <"$STUB_LOG")
sleep 1.1
fake_image docker.io/library/busybox:latest two "$CFG" >/dev/null
make -f build.mk DF2MAKE_RUNTIME="$STUB" >"$T/make.out" 2>&1
like "$(cat "$T/make.out")" "regenerating" "a reloaded image regenerates build.mk"
k2=$(grep -o 'base [0-9a-f]\{32\}' build.mk)
check "the FROM key follows the manifest digest" test "$k1" != "$k2"
is "$(tail -n +$((n + 1)) "$STUB_LOG" | cut -d' ' -f1 | tr '\n' ' ')" "base run run pack " \
	"everything above the new image reruns"

cat >"$T/ctx/Dockerfile" <<'DF'
FROM alpine:3.19
RUN step
DF
"$DF2MAKE" --store "$T/store" "$T/ctx" >build.mk 2>"$T/err"
is "$?" 0 "a missing image does not fail the compile"
like "$(cat "$T/err")" "warning: image docker.io/library/alpine:3.19 is not in the store" "it warns"
make -f build.mk DF2MAKE_RUNTIME="$STUB" >"$T/make.out" 2>&1
check "the build fails" test $? -ne 0
like "$(cat "$T/make.out")" "df2make-runtime load -i" "naming df2make-runtime load -i"
sleep 1.1
fake_image docker.io/library/alpine:3.19 a "$CFG" >/dev/null
make -f build.mk DF2MAKE_RUNTIME="$STUB" >"$T/make.out" 2>&1
is "$?" 0 "once loaded, the next make regenerates build.mk and builds"
done_testing

#!/usr/bin/env bash
# The docker build flags' effects on a real build (busybox base): --label in
# the image config, --add-host in /etc/hosts and --shm-size on /dev/shm of
# a RUN, --network none, --iidfile and --metadata-file against the image
# written, --no-cache and --no-cache-filter rerunning steps.
. "$SRCDIR/tests/lib.sh"
. "$SRCDIR/tests/lib/ctxbuild.sh"
ctxbuild_busybox
cat >"$T/ctx/Dockerfile" <<'DF'
FROM busybox AS base
LABEL a=1 b=2
RUN cat /etc/hosts >/hosts; grep ' /dev/shm ' /proc/mounts | cut -d' ' -f4 >/shm; \
    ls /sys/class/net | tr '\n' ' ' >/net; cat /proc/sys/kernel/random/uuid >/base-run

FROM base AS final
RUN cat /proc/sys/kernel/random/uuid >/final-run
DF
# build ARGS...: ctxbuild with the test's state dir
build() { ctxbuild --state "$T/state" "$@"; }
# img WHAT: read from image.tar: config (JSON), cfgdigest, mdigest, msize, or a file's text
img() {
	python3 - image.tar "$1" <<'PY'
import hashlib, json, sys, tarfile
t = tarfile.open(sys.argv[1]); what = sys.argv[2]
m = json.load(t.extractfile("manifest.json"))[0]
idx = json.load(t.extractfile("index.json"))["manifests"][0]
if what == "config":
    print(json.dumps(json.load(t.extractfile(m["Config"]))["config"].get("Labels"), sort_keys=True))
elif what == "cfgdigest":
    print("sha256:" + hashlib.sha256(t.extractfile(m["Config"]).read()).hexdigest())
elif what == "mdigest":
    print(idx["digest"])
elif what == "msize":
    print(idx["size"], idx["mediaType"])
else:
    for l in reversed(m["Layers"]):
        lt = tarfile.open(fileobj=t.extractfile(l))
        try:
            print(lt.extractfile(what).read().decode(), end=""); break
        except KeyError:
            pass
PY
}

build -t flags:1 --label b=3 --label c= --add-host db:10.1.2.3 --add-host v6=[::1] \
	--shm-size 128m --iidfile id.txt --metadata-file meta.json
is "$rc" 0 "build with --label, --add-host, --shm-size, --iidfile, --metadata-file"
is "$(img config)" '{"a": "1", "b": "3", "c": ""}' "--label: set over the Dockerfile's LABELs"
is "$(img hosts)" "$(printf '127.0.0.1\tlocalhost buildkitsandbox\n::1\tlocalhost ip6-localhost ip6-loopback\n10.1.2.3\tdb\n::1\tv6')" \
	"--add-host: BuildKit's /etc/hosts with the extra lines"
like "$(img shm)" "(^|,)size=131072k(,|$)" "--shm-size 128m: /dev/shm is 131072k (BuildKit's test)"
is "$(img net)" "lo tap0 " "the default network: lo and slirp4netns's tap0"
is "$(cat id.txt)" "$(img cfgdigest)" "--iidfile: the config digest (docker's image id), no newline"
expect=$(python3 - "$(img cfgdigest)" "$(img mdigest)" $(img msize) <<'PY'
import json, sys
c, m, size, mt = sys.argv[1:]
print(json.dumps({"containerimage.config.digest": c,
    "containerimage.descriptor": {"digest": m, "mediaType": mt, "size": int(size)},
    "containerimage.digest": m, "image.name": "docker.io/library/flags:1"}, indent=2, sort_keys=True))
PY
)
is "$(cat meta.json)" "$expect" "--metadata-file: buildx's keys, indented and sorted as buildx writes them"
rm id.txt
ctxbuild_make
is "$(cat id.txt)" "$(img cfgdigest)" "a removed iidfile is written again by make"
check "... without packing again" bash -c "! grep -q 'exporting to image' '$T/make.log'"

b0=$(img base-run) f0=$(img final-run)
build --network none
is "$rc" 0 "build with --network none"
is "$(img net)" "lo " "--network none: only the loopback interface"
b1=$(img base-run) f1=$(img final-run)
check "... the RUNs ran again (their spec changed)" test "$b1" != "$b0"
build --network none
is "$(img base-run)$(img final-run)" "$b1$f1" "compiled again, same flags: every step comes from the state"
build --network none --no-cache-filter final
b2=$(img base-run) f2=$(img final-run)
is "$b2" "$b1" "--no-cache-filter final: the base stage's RUN is reused"
check "... the final stage's RUN runs again" test "$f2" != "$f1"
build --network none --no-cache
b3=$(img base-run) f3=$(img final-run)
check "--no-cache: the base stage's RUN runs again" test "$b3" != "$b1"
check "... and the final stage's" test "$f3" != "$f2"
ctxbuild_make
like "$(cat "$T/make.log")" "Nothing to be done|is up to date" "... a second make of that build.mk does nothing"
build --network host --allow network.host
is "$rc" 0 "build with --network host --allow network.host"
is "$(img net)" "$(ls /sys/class/net | tr '\n' ' ')" "--network host: the RUN sees the host's interfaces"
done_testing

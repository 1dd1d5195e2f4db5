#!/usr/bin/env bash
# --squash (podman: the layers above the base as one) and --squash-all
# (every layer as one): the layer count, the history, and the filesystem
# the layers stack up to, compared with the same build unsquashed (files
# replaced, deleted with rm, a directory deleted and made again, a hard
# link); docker loads and runs the squashed image when a daemon is there.
. "$SRCDIR/tests/lib.sh"
. "$SRCDIR/tests/lib/ctxbuild.sh"
ctxbuild_busybox
cat >"$T/ctx/Dockerfile" <<'DF'
FROM busybox
RUN mkdir -p /d/sub && echo 1 >/d/a && echo 2 >/d/sub/b && echo k >/keep && rm /bin/ls && rm -rf /sbin
RUN rm -rf /d/sub && echo 3 >/d/c && echo again >/d/a && mkdir /sbin && echo new >/sbin/x
RUN ln /keep /keep2
CMD ["cat", "/keep2", "/d/a", "/sbin/x"]
DF
# build OUT ARGS...: ctxbuild into the image OUT, with the test's state dir
build() { ctxbuild --state "$T/state" -o "$@"; }
# info TAR: "LAYERS EMPTY-FLAGS-OF-HISTORY" then the stacked filesystem, one entry a line
info() {
	python3 - "$1" <<'PY'
import hashlib, json, sys, tarfile
t = tarfile.open(sys.argv[1])
m = json.load(t.extractfile("manifest.json"))[0]
cfg = json.load(t.extractfile(m["Config"]))
print(len(m["Layers"]), "".join("e" if h.get("empty_layer") else "L" for h in cfg["history"]))
fs = {}
def norm(n):
    while n.startswith("./"):
        n = n[2:]
    return n.strip("/")
for l in m["Layers"]:
    lt = tarfile.open(fileobj=t.extractfile(l))
    mem = lt.getmembers()
    for e in mem:  # the layer's markers hide what the layers below put there
        n = norm(e.name)
        d, _, b = n.rpartition("/")
        if b == ".wh..wh..opq":
            for k in [k for k in fs if k.startswith(d + "/")]: del fs[k]
        elif b.startswith(".wh."):
            x = (d + "/" if d else "") + b[4:]
            for k in [k for k in fs if k == x or k.startswith(x + "/")]: del fs[k]
    for e in mem:
        n = norm(e.name)
        if n.rpartition("/")[2].startswith(".wh.") or not n:
            continue
        data = hashlib.sha256(lt.extractfile(e).read()).hexdigest()[:16] if e.isfile() else ""
        if e.islnk():
            data = fs.get(norm(e.linkname), ("", "?"))[1]
        fs[n] = ("f" if e.isfile() or e.islnk() else "d" if e.isdir() else "l:" + e.linkname, data, oct(e.mode))
for n in sorted(fs):
    print(n, *fs[n])
PY
}
build plain.tar
is "$rc" 0 "the build without squashing"
build squash.tar --squash
is "$rc" 0 "--squash"
build all.tar --squash-all
is "$rc" 0 "--squash-all"
plain=$(info plain.tar) squash=$(info squash.tar) all=$(info all.tar)
is "$(printf '%s\n' "$plain" | head -1)" "4 LLLLe" "without: the base layer and three RUN layers"
is "$(printf '%s\n' "$squash" | head -1)" "2 LeeLe" "--squash: the base layer and one, the last RUN's history entry has it"
is "$(printf '%s\n' "$all" | head -1)" "1 eeeLe" "--squash-all: one layer"
is "$(printf '%s\n' "$squash" | tail -n +2)" "$(printf '%s\n' "$plain" | tail -n +2)" \
	"--squash: the same filesystem as the layers unsquashed"
is "$(printf '%s\n' "$all" | tail -n +2)" "$(printf '%s\n' "$plain" | tail -n +2)" \
	"--squash-all: the same filesystem"
check "... which has no bin/ls, no d/sub, a new sbin with only x" bash -c \
	"! printf '%s\n' \"\$1\" | grep -qE '^(bin/ls|d/sub|sbin/[^x]) '" _ "$plain"
tar -xOf all.tar manifest.json | grep -q '"Layers":\["blobs/sha256/[0-9a-f]*"\]'
is "$?" 0 "--squash-all: manifest.json names one layer"
if [ -f "$SRCDIR/tests/lib/dockerd.sh" ] && . "$SRCDIR/tests/lib/dockerd.sh" && dockerd_up 2>/dev/null; then
	tag=df2make-flags-squash-$$
	for f in squash all; do
		build "$f.tar" "--$( [ $f = all ] && echo squash-all || echo squash)" -t "$tag:$f"
		"$DOCKER" load -i "$f.tar" >/dev/null 2>&1
		is "$(docker_run_until "k again new" "$f.tar" "$tag:$f")" "k again new" \
			"docker runs the --$f image"
		"$DOCKER" rmi -f "$tag:$f" >/dev/null 2>&1
	done
else
	skip "docker runs the squashed images" "no docker daemon"
fi
done_testing

#!/usr/bin/env bash
# A base image of 500 layers (busybox and 499 one-file layers) and a RUN
# on it: overlayfs stacks at most 500 lower directories, and the runtime
# put its empty bottom lower under every chain (501: "too many lower
# directories"). It is used now only below a chain of fewer than two, so
# the RUN builds; the image has the 500 layers and the RUN's. A second
# RUN (501 layers below it) fails naming overlayfs's limit.
. "$SRCDIR/tests/sh/security/common.bash"
need python3 timeout
# 500 lowers do not fit in a page of mount options: the fd API's lowerdir+
v=$(uname -r | cut -d. -f1,2)
[ "$(printf '%s\n6.8\n' "$v" | sort -V | head -n 1)" = 6.8 ] || skip_all "Linux $v: lowerdir+ needs 6.8"
MKTAR="python3 $SRCDIR/tests/sh/security/mktar.py"
base_image || { not_ok "base image import"; done_testing; exit 1; }
tar -C "$T/rootfs-busybox" -cf "$T/bb.tar" .
python3 - "$T" <<'PY'
import io, sys, tarfile
for i in range(499):
    with tarfile.open("%s/l%d.tar" % (sys.argv[1], i), "w") as t:
        ti = tarfile.TarInfo("f%d" % i)
        d = b"%d\n" % i
        ti.size = len(d)
        t.addfile(ti, io.BytesIO(d))
PY
echo '{"config": {"Env": ["PATH=/bin"]}, "history": []}' >"$T/env.json"
$MKTAR image "$T/deep.img" deep:1 --config "$T/env.json" "$T/bb.tar" $(printf "$T/l%d.tar " $(seq 0 498))
"$RT" --store "$ST" load -i "$T/deep.img" >/dev/null
is "$?" 0 "a 500-layer image loads"
D=$T/one
dockerfile "$D" 'FROM deep:1
RUN cat /f0 /f498 >/seen'
compile "$D"
timeout 300 make -f "$D/build.mk" >"$D/log" 2>&1
is "$?" 0 "a RUN on its 500 layers builds (before: overlay: too many lower directories, limit is 500)"
unpack_image "$D"
is "$(jq -r '.[0].Layers | length' "$D/img/manifest.json")" 501 "the image has the 500 layers and the RUN's"
is "$(cat "$(last_layer "$D")/seen" | tr '\n' ' ')" "0 498 " "the RUN saw the bottom and the top layer's files"
D=$T/two
dockerfile "$D" 'FROM deep:1
RUN echo a >/a
RUN echo b >/b'
compile "$D"
timeout 300 make -f "$D/build.mk" >"$D/log" 2>&1
is "$?" 2 "a RUN on 501 layers: make fails"
like "$(grep '^df2make-runtime: ' "$D/log")" \
	"^df2make-runtime: Dockerfile:3: RUN step: mount rootfs: mount overlay of 501 lower directories on .*: lowerdir\\+ \\[overlay: too many lower directories, limit is 500\\]: Invalid argument\$" \
	"naming overlayfs's limit"
done_testing

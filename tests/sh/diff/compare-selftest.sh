#!/usr/bin/env bash
# tests/diff/compare.py on synthetic `docker save` archives: it must see
# the differences that matter (content, mode, owner, type, hardlinks,
# config) and ignore the ones that do not (mtimes, layer split, whiteouts
# that cancel out, null vs empty lists). No docker needed.
. "$SRCDIR/tests/lib.sh"
need python3
cmp=$SRCDIR/tests/diff/compare.py
cd "$T" || exit 1
# mk.py OUT.tar CONFIG_JSON LAYER_SPEC...: a layer spec is a ';' list of
#   f:path:content[:mode[:uid[:mtime]]]  d:path[:mode]  l:path:target
#   h:path:target (hardlink)  w:path (whiteout .wh.)  o:dir (opaque)
cat >mk.py <<'PY'
import io, json, sys, tarfile, hashlib
out, cfg, specs = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3:]
layers = []
for spec in specs:
    buf = io.BytesIO()
    t = tarfile.open(fileobj=buf, mode="w")
    for item in filter(None, spec.split(";")):
        p = item.split(":")
        k = p[0]
        if k == "f":
            data = p[2].encode()
            i = tarfile.TarInfo(p[1]); i.size = len(data)
            i.mode = int(p[3], 8) if len(p) > 3 else 0o644
            i.uid = int(p[4]) if len(p) > 4 else 0
            i.mtime = int(p[5]) if len(p) > 5 else 1
            t.addfile(i, io.BytesIO(data))
            continue
        i = tarfile.TarInfo(p[1] if k != "w" and k != "o" else "")
        if k == "d":
            i.type = tarfile.DIRTYPE; i.mode = int(p[2], 8) if len(p) > 2 else 0o755
        elif k == "l":
            i.type = tarfile.SYMTYPE; i.linkname = p[2]
        elif k == "h":
            i.type = tarfile.LNKTYPE; i.linkname = p[2]
        elif k == "w":
            d, _, b = p[1].rpartition("/")
            i.name = (d + "/" if d else "") + ".wh." + b
        elif k == "o":
            i.name = p[1] + "/.wh..wh..opq"
        t.addfile(i)
    t.close()
    layers.append(buf.getvalue())
t = tarfile.open(out, "w")
def add(name, data):
    i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))
names = []
for n, l in enumerate(layers):
    add("l%d/layer.tar" % n, l); names.append("l%d/layer.tar" % n)
hist = cfg.pop("_history", [])  # [[created_by, empty_layer], ...]
add("c.json", json.dumps({"config": cfg, "history": [
    {"created_by": c, "empty_layer": e} for c, e in hist]}).encode())
add("manifest.json", json.dumps([{"Config": "c.json", "Layers": names}]).encode())
t.close()
json.dump([{"Config": cfg, "Architecture": "amd64", "Os": "linux"}], open(out + ".json", "w"))
PY
mk() { python3 mk.py "$@"; }
same() { # DESC A B
	local out
	out=$(python3 "$cmp" "$2" "$2.json" "$3" "$3.json" 2>&1)
	if [ $? -eq 0 ]; then ok "$1"; else not_ok "$1"; printf '%s\n' "$out" | sed 's/^/#   /'; fi
}
differ() { # DESC A B REGEX
	local out
	out=$(python3 "$cmp" "$2" "$2.json" "$3" "$3.json" 2>&1)
	if [ $? -eq 1 ] && printf '%s\n' "$out" | grep -qE -- "$4"; then ok "$1"; else
		not_ok "$1"; printf '%s\n' "$out" | sed 's/^/#   /'; fi
}
E='{"Env":["PATH=/bin"],"Cmd":["sh"]}'
mk base.tar "$E" 'd:etc;f:etc/a:hello;f:etc/b:x;d:d;f:d/1:1;f:d/2:2'
mk base2.tar "$E" 'd:etc;f:etc/a:hello:0644:0:999;f:etc/b:x;d:d;f:d/1:1;f:d/2:2'
same "identical trees compare equal; mtimes are ignored" base.tar base2.tar
out=$(python3 "$cmp" --mtime etc/a base.tar base.tar.json base2.tar base2.tar.json 2>&1)
is "$?:$out" "1:differs: /etc/a: mtime A=1 B=999
note: 6 paths; layers A=1 B=1" "--mtime GLOB: the mtimes of those paths are compared"
out=$(python3 "$cmp" --mtime 'etc/b*' base.tar base.tar.json base2.tar base2.tar.json 2>&1)
is "$?" 0 "--mtime GLOB: other paths' mtimes still ignored"
H='"_history":[["ENV A=1",true],["RUN |1 V=2 /bin/sh -c x # buildkit",false]'
mk h1.tar "{$H,[\"EXPOSE map[80/tcp:{} 53/udp:{}]\",true],[\"ARG G\",true]]}" 'd:etc'
mk h2.tar "{$H,[\"EXPOSE [80/tcp 53/udp 80/tcp]\",true],[\"ARG G=1\",true]]}" 'd:etc'
same "history: EXPOSE as a Go map or a list, ARG with or without a value, compare equal" h1.tar h2.tar
mk h3.tar "{$H,[\"EXPOSE [80/tcp]\",true],[\"ARG G\",true]]}" 'd:etc'
differ "history: another EXPOSE port is reported" h1.tar h3.tar 'history\[2\]'
mk h4.tar "{$H,[\"ONBUILD RUN x\",true],[\"EXPOSE [80/tcp 53/udp]\",true],[\"ARG G\",true]]}" 'd:etc'
differ "history: an extra entry is reported where it starts" h1.tar h4.tar '^history\[2\]: A="EXPOSE 53/udp 80/tcp" B="ONBUILD RUN x"$'
mk h5.tar '{"_history":[["ENV A=1",true],["RUN |2 V=2 V=2 /bin/sh -c x # buildkit",true]]}' 'd:etc'
mk h6.tar '{"_history":[["ENV A=1",true],["RUN |1 V=2 /bin/sh -c x # buildkit",false]]}' 'd:etc'
same "history: empty_layer is not compared, a repeated RUN ARG counts once" h5.tar h6.tar
mk h7.tar '{"_history":[["ENV A=1",true],["RUN |1 V= /bin/sh -c x # buildkit",true]]}' 'd:etc'
differ "history: a RUN ARG's value is compared" h6.tar h7.tar 'history\[1\]'
out=$(python3 "$cmp" --no-run-args h7.tar h7.tar.json h6.tar h6.tar.json 2>&1)
is "$?" 0 "history: --no-run-args leaves RUN's ARG list out"
mk h8.tar '{"_history":[["ENV A=1",true],["COPY --chown=1:2 --chmod=600 --parents a /b # buildkit",false]]}' 'd:etc'
mk h9.tar '{"_history":[["ENV A=1",true],["COPY a /b # buildkit",false]]}' 'd:etc'
same "history: COPY's --chown/--chmod/--parents are not compared" h8.tar h9.tar
mk h10.tar '{"_history":[["ENV A=1",true],["COPY --from=x a /b # buildkit",false]]}' 'd:etc'
differ "history: COPY --from in the text is reported" h9.tar h10.tar 'history\[1\]'
mk ae1.tar '{"Cmd":["x"],"ArgsEscaped":true}' 'd:etc'
mk ae2.tar '{"Cmd":["x"],"ArgsEscaped":false}' 'd:etc'
mk ae3.tar '{"Cmd":["x"]}' 'd:etc'
differ "ArgsEscaped true against false is reported" ae1.tar ae2.tar 'config Config.ArgsEscaped'
same "ArgsEscaped false and unset compare equal" ae2.tar ae3.tar
mk split.tar "$E" 'd:etc;f:etc/a:hello' 'd:etc;f:etc/b:x;d:d;f:d/1:1;f:d/2:2'
same "the same tree split over two layers compares equal" base.tar split.tar
mk content.tar "$E" 'd:etc;f:etc/a:HELLO;f:etc/b:x;d:d;f:d/1:1;f:d/2:2'
differ "content difference is reported" base.tar content.tar 'differs: /etc/a: sha256'
mk mode.tar "$E" 'd:etc;f:etc/a:hello:0755;f:etc/b:x;d:d;f:d/1:1;f:d/2:2'
differ "mode difference is reported" base.tar mode.tar 'differs: /etc/a: mode docker=0644|mode A=0644'
mk uid.tar "$E" 'd:etc;f:etc/a:hello:0644:7;f:etc/b:x;d:d;f:d/1:1;f:d/2:2'
differ "uid difference is reported" base.tar uid.tar 'differs: /etc/a: uid'
mk missing.tar "$E" 'd:etc;f:etc/a:hello;d:d;f:d/1:1;f:d/2:2'
differ "a missing file is reported" base.tar missing.tar 'only in A: /etc/b'
mk wh.tar "$E" 'd:etc;f:etc/a:hello;f:etc/b:x;f:etc/gone:g;d:d;f:d/1:1;f:d/2:2;f:d/3:3' 'w:etc/gone;w:d/3'
same "whiteouts delete lower files" base.tar wh.tar
mk whbad.tar "$E" 'd:etc;f:etc/a:hello;f:etc/b:x;d:d;f:d/1:1;f:d/2:2' 'w:etc/b'
differ "a whiteout that deletes too much is seen" base.tar whbad.tar 'only in A: /etc/b'
mk opq.tar "$E" 'd:etc;f:etc/a:hello;f:etc/b:x;d:d;f:d/old:o;d:d/sub;f:d/sub/s:s' 'd:d;o:d;f:d/1:1;f:d/2:2'
same "an opaque directory hides the lower children, keeps the new ones" base.tar opq.tar
mk swap.tar "$E" 'd:etc;f:etc/a:hello;f:etc/b:x;f:d:file' 'w:d' 'd:d;f:d/1:1;f:d/2:2'
same "file replaced by a directory in a later layer" base.tar swap.tar
mk swap2.tar "$E" 'd:etc;f:etc/a:hello;f:etc/b:x;d:d;f:d/1:1;f:d/2:2' 'f:d:now-a-file'
differ "directory replaced by a file is seen" base.tar swap2.tar 'differs: /d: .*type|only in A: /d/1'
mk hard.tar "$E" 'd:etc;f:etc/a:hello;h:etc/b:etc/a'
mk copy.tar "$E" 'd:etc;f:etc/a:hello;f:etc/b:hello'
differ "hardlinks versus copies are reported" hard.tar copy.tar 'hardlinks'
mk sym.tar "$E" 'd:etc;f:etc/a:hello;l:etc/b:a'
mk sym2.tar "$E" 'd:etc;f:etc/a:hello;l:etc/b:/etc/a'
differ "symlink targets are compared" sym.tar sym2.tar 'target'
mk env.tar '{"Env":["PATH=/usr/bin"],"Cmd":["sh"]}' 'd:etc;f:etc/a:hello;f:etc/b:x;d:d;f:d/1:1;f:d/2:2'
differ "config Env difference is reported" base.tar env.tar 'config Config.Env'
mk null.tar '{"Env":["PATH=/bin"],"Cmd":["sh"],"OnBuild":[],"Labels":{},"Volumes":null}' 'd:etc;f:etc/a:hello;f:etc/b:x;d:d;f:d/1:1;f:d/2:2'
same "empty list/map and null are the same config" base.tar null.tar
mk cmd.tar '{"Env":["PATH=/bin"],"Entrypoint":["sh"]}' 'd:etc;f:etc/a:hello;f:etc/b:x;d:d;f:d/1:1;f:d/2:2'
differ "Cmd/Entrypoint differences are reported" base.tar cmd.tar 'config Config.(Cmd|Entrypoint)'
done_testing

#!/usr/bin/env bash
# --progress=rawjson (one BuildKit SolveStatus object per line), -q
# (docker build -q: only the image id, on stdout), make PROGRESS=...
# overriding the compiled mode, and the option errors.
. "$SRCDIR/tests/sh/e2e/progress.inc"
need python3
echo x >ctx/x.txt
printf 'FROM bb AS a\nRUN echo out; echo err >&2\nFROM scratch\nCOPY x.txt /x.txt\nCOPY --from=a /b* /\n' \
	>ctx/Dockerfile
printf 'FROM bb\nRUN echo doomed; exit 4\n' >ctx/Dockerfile.fail

build js Dockerfile --progress rawjson
is "$rc:$out" "0:" "rawjson: make succeeds, nothing on stdout"
is "$(grep -c '^PROGRESS ?= rawjson$' js.mk)" 1 "build.mk keeps the mode as PROGRESS"
# events: one line per step event, checked by a JSON parser
got=$(python3 - js.err <<'PY'
import base64, json, sys
vs, logs, stats = {}, [], []
for line in open(sys.argv[1]):
    ev = json.loads(line)  # every line is one JSON object
    assert len(ev) == 1, ev
    for v in ev.get("vertexes", []):
        assert "started" in v and v["digest"], v
        vs.setdefault(v["digest"], []).append(v)
    for l in ev.get("logs", []):
        assert l["vertex"] in vs and "timestamp" in l, l
        logs.append("%s %d %r" % (vs[l["vertex"]][0]["name"], l["stream"], base64.b64decode(l["data"])))
    stats += ev.get("statuses", [])
for d, evs in sorted(vs.items(), key=lambda kv: kv[1][0]["index"]):
    done = evs[-1]
    assert len(evs) == 2 and "completed" not in evs[0] and "completed" in done, evs
    print(done["index"], done["name"], "cached" if done.get("cached") else "done")
print("\n".join(logs))
w = [s for s in stats if s["id"] == "writing layers"]
print("writing layers:", w[-1]["current"] == w[-1]["total"] > 0, "completed" in w[-1])
PY
)
is "$got" "1 [a 1/2] FROM docker.io/library/bb:latest@sha256:$(sed -n 's/.*bb:latest@sha256:\([0-9a-f]\{12\}\).*/\1/p' js.err | head -1) done
2 [a 2/2] RUN echo out; echo err >&2 done
3 FROM scratch (empty) done
4 [stage-1 1/2] COPY x.txt /x.txt done
5 [stage-1 2/2] COPY --from=a /b* / done
6 exporting to image (tar js.tar) done
[a 2/2] RUN echo out; echo err >&2 1 b'out\n'
[a 2/2] RUN echo out; echo err >&2 2 b'err\n'
writing layers: True True" "rawjson: a started and a completed vertex per step, logs in base64 with their stream, pack's bytes"

rm -rf .df2make js.tar
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -f js.mk DF2MAKE_RUNTIME="$DF2MAKE_RUNTIME_BIN" \
	PROGRESS=plain >/dev/null 2>plain.err
like "$(sed -n 1p plain.err)" '^#[0-9]+ (\[|FROM scratch)' "make PROGRESS=plain overrides the compiled rawjson"
is "$(grep -c '^{' plain.err)" 0 "  and no JSON"

rm -rf .df2make js.tar
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -f js.mk DF2MAKE_RUNTIME="$DF2MAKE_RUNTIME_BIN" \
	PROGRESS=tty V=1 >/dev/null 2>v1.err
is "$(grep -c $'\e' v1.err):$(grep -cE '^#[0-9]+ (\[|exporting|FROM scratch)' v1.err)" "0:6" \
	"V=1 (make echoes the commands): tty becomes plain"

build fail Dockerfile.fail --progress rawjson
is "$(grep '"error"' fail.err | python3 -c 'import json,sys; v=json.load(sys.stdin)["vertexes"][0]; print(v["index"], v["error"])')" \
	'2 process "/bin/sh -c echo doomed; exit 4" did not complete successfully: exit code: 4' \
	"rawjson: the failing vertex carries BuildKit's error"
is "$(grep -v '^{' fail.err | grep -v '^make' | sed -n 1,4p | norm)" '------
 > [2/2] RUN echo doomed; exit 4:
T doomed
------' "  and the report follows as text, with the output"

rm -rf .df2make
build q Dockerfile -q
id=$(tar -xOf q.tar manifest.json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Config"].split("/")[-1])')
is "$rc:$out" "0:sha256:$id" "-q: make prints only the image id (the config's digest) on stdout"
is "$err" "" "-q: nothing on stderr"
is "$(grep -c '^PROGRESS ?= quiet$' q.mk)" 1 "-q is --progress=quiet in build.mk"

"$DF2MAKE" -q --progress plain ctx >/dev/null 2>opt.err
is "$?:$(cat opt.err)" "1:df2make: progress=plain and quiet cannot be used together" "-q with another mode: buildx's error"
"$DF2MAKE" --progress fancy ctx >/dev/null 2>opt.err
is "$?:$(cat opt.err)" \
	"1:df2make: --progress: unknown mode 'fancy' (want auto, plain, tty, quiet, none or rawjson)" \
	"an unknown mode: refused"
"$DF2MAKE" --progress none ctx >none.mk 2>/dev/null
is "$(grep -c '^PROGRESS ?= none$' none.mk)" 1 "none: accepted (errors only, no image id)"
done_testing

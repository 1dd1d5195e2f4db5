#!/usr/bin/env bash
# --build-context NAME=DIR (BuildKit's local named context): COPY --from=NAME
# and RUN --mount=type=bind,from=NAME read DIR with the main context's
# rules and DIR's own .dockerignore (not <Dockerfile>.dockerignore, as
# BuildKit's dockerui reads it); a stage named NAME is replaced (its broken
# COPY is never looked at). The files DIR gives are make prerequisites: a
# no-op make stays one, an edit reruns exactly the steps reading the file,
# an ignored file reruns nothing. Keys do not hold DIR's path, and keep two
# contexts apart. FROM NAME makes DIR the stage's root filesystem (an empty
# config, as BuildKit). A missing DIR, a file and binds from two contexts
# in one RUN are refused by name.
. "$SRCDIR/tests/lib.sh"
. "$SRCDIR/tests/lib/images.sh"
need make python3
export DF2MAKE_STORE=$T/store
mkdir -p "$T/ctx" "$T/out" "$T/lib/sub" "$T/lib/run" "$T/main"
echo hello >"$T/lib/a.txt"
echo bee >"$T/lib/sub/b.txt"
echo secret >"$T/lib/ign.txt"
printf 'ign.txt\nrun/ign.txt\n' >"$T/lib/.dockerignore"
echo other >"$T/lib/run/other.txt"
echo secret >"$T/lib/run/ign.txt"
cat >"$T/ctx/Dockerfile" <<'DF'
FROM scratch AS lib
COPY no-such-file /

FROM busybox
RUN --mount=type=bind,from=lib,source=run,target=/m cat /m/other.txt >/run-out; ls -a /m >/run-ls
COPY --from=lib a.txt /a.txt
COPY --from=lib sub /sub/
DF
# the main context's ignore file must not apply to the named one
printf 'a.txt\nsub\n' >"$T/ctx/Dockerfile.dockerignore"
cd "$T/out" || exit 1
S=$T/state
compile() { "$DF2MAKE" --state "$S" "$@" >build.mk 2>"$T/compile.log"; }
compile --build-context lib=../lib "$T/ctx"
is "$?:$(grep -c 'error' "$T/compile.log")" "0:0" \
	"compiles (a relative DIR); the stage named lib is not dispatched"
like "$(grep -o '"context":"[^"]*","ignore":"[^"]*","named_context":"lib"' build.mk | sort -u)" \
	"^\"context\":\"$T/lib\",\"ignore\":\"$T/lib/.dockerignore\",\"named_context\":\"lib\"$" \
	"the COPY and sum specs read DIR (made absolute) with DIR/.dockerignore"
like "$(grep -o '"from":{"context":"[^"]*","ignore":"[^"]*","named_context":"lib"}' build.mk)" \
	"\"from\":\\{\"context\":\"$T/lib\"" "the RUN's bind mount reads DIR"
check "no step of the replaced stage (no-such-file) is in build.mk" bash -c "! grep -q no-such-file build.mk"
keys=$(grep -oE '^\$\(STATE\)/[0-9a-f]{32}\.done' build.mk | sort | tr '\n' ' ')
# the same build from another copy of DIR: the same keys (content keys)
cp -a "$T/lib" "$T/lib2"
"$DF2MAKE" --state "$S" --build-context lib="$T/lib2" "$T/ctx" 2>/dev/null |
	grep -oE '^\$\(STATE\)/[0-9a-f]{32}\.done' | sort | tr '\n' ' ' >"$T/keys2"
is "$(cat "$T/keys2")" "$keys" "DIR's path is in no key: another copy gives the same keys"
# two names for one directory: other keys (the name is in the spec)
printf 'FROM scratch\nCOPY --from=lib a.txt /a\nCOPY --from=lib2 a.txt /a\n' >"$T/main/Dockerfile"
n=$("$DF2MAKE" --state "$S" --build-context lib="$T/lib" --build-context lib2="$T/lib" "$T/main" |
	grep -cE '^\$\(STATE\)/[0-9a-f]{32}\.done:')
is "$n" 3 "COPY --from=lib and --from=lib2 of one DIR are two steps (and the base)"

bad() { # WANT WHAT ARGS...
	local want=$1 what=$2
	shift 2
	"$DF2MAKE" --state "$S" "$@" >"$T/o" 2>"$T/err"
	is "$?:$(wc -c <"$T/o"):$(grep -E 'error|^df2make:' "$T/err")" "1:0:$want" "$what"
}
# FROM NAME: the directory is the stage's root filesystem (BuildKit)
mkdir -p "$T/from"
printf 'FROM lib\nCOPY --from=lib a.txt /again\n' >"$T/from/Dockerfile"
"$DF2MAKE" --state "$T/state2" --build-context lib="$T/lib" "$T/from" >"$T/from.mk" 2>"$T/err"
is "$?:$(grep -o '"title":"[^"]*"' "$T/from.mk" | uniq | paste -sd' ')" \
	'0:"title":"FROM scratch" "title":"[1/2] COPY --from=lib / /" "title":"[2/2] COPY --from=lib a.txt /again" "title":"exporting to image"' \
	"FROM NAME of a directory: scratch and a copy of DIR"
printf 'FROM scratch AS lib\nRUN false\nFROM lib\nCOPY --from=lib sub /s2\n' >"$T/main/Dockerfile"
"$DF2MAKE" --state "$T/state2" --build-context lib="$T/lib" "$T/main" 2>"$T/err" >"$T/o"
is "$?:$(grep -o '"title":"[^"]*"' "$T/o" | uniq | head -2 | paste -sd' ')" \
	'0:"title":"FROM scratch" "title":"[lib 1/1] COPY --from=lib / /"' \
	"a stage replaced by a directory, used as a base: the directory, not its RUN"
bad "df2make: --build-context x=$T/nope: failed to get build context x: stat $T/nope: No such file or directory" \
	"a missing DIR" --build-context x="$T/nope" "$T/ctx"
bad "df2make: --build-context x=$T/lib/a.txt: $T/lib/a.txt is not a directory" \
	"a file" --build-context x="$T/lib/a.txt" "$T/ctx"
printf 'FROM busybox\nRUN --mount=from=lib,target=/a --mount=target=/b true\n' >"$T/main/Dockerfile"
bad "$T/main/Dockerfile:2:32: error: a RUN can bind-mount from one build context only (here --build-context lib and the main context)" \
	"binds from two contexts in one RUN: refused" --build-context lib="$T/lib" "$T/main"
printf 'FROM scratch\nCOPY --from=lib ign.txt /\n' >"$T/main/Dockerfile"
bad "$T/main/Dockerfile:2:1: error: build context lib: source \"ign.txt\": not found in the build context" \
	"a file DIR/.dockerignore excludes is not there" --build-context lib="$T/lib" "$T/main"
ln -s /etc/passwd "$T/lib/pw"
printf 'FROM scratch\nCOPY --from=lib pw /\n' >"$T/main/Dockerfile"
bad "$T/main/Dockerfile:2:1: error: build context lib: source \"pw\" points outside the build context" \
	"a symlink leaving DIR: refused as for the context" --build-context lib="$T/lib" "$T/main"
rm "$T/lib/pw"
printf 'FROM busybox\nRUN --mount=type=cache,from=lib,source=sub,target=/c true\n' >"$T/main/Dockerfile"
like "$("$DF2MAKE" --state "$S" --build-context lib="$T/lib" "$T/main" 2>/dev/null | grep -o '"type":"cache"[^}]*}')" \
	"\"from\":\\{\"context\":\"$T/lib\",\"ignore\":\"$T/lib/.dockerignore\",\"named_context\":\"lib\"\\}" \
	"a cache mount's from=NAME seeds from DIR"
printf 'FROM scratch\nCOPY a.txt /\n' >"$T/main/Dockerfile"
echo a >"$T/main/a.txt"
is "$("$DF2MAKE" --state "$S" --build-context scratch="$T/lib" --build-context context="$T/lib" "$T/main" |
	grep -o '"title":"[^"]*"' | uniq | head -2 | paste -sd' ')" \
	'"title":"FROM scratch" "title":"[1/1] COPY a.txt /"' \
	"the names scratch and context are never looked up (BuildKit)"

if [ "$(id -u)" != 0 ]; then
	skip "builds" "needs root (overlay mounts)"
	done_testing
	exit
fi
images_df2make busybox >"$T/load.log" 2>&1 || { skip "builds" "no busybox base image"; done_testing; exit; }
compile --build-context lib=../lib "$T/ctx"
build() { make -f build.mk DF2MAKE_RUNTIME="$DF2MAKE_RUNTIME_BIN" >"$T/make.log" 2>&1; }
build
is "$?" 0 "make builds it"
files() { # [SKIP]: the files of the image's layers after the first SKIP (1)
	python3 - image.tar "${1:-1}" <<'PY'
import json, sys, tarfile
t = tarfile.open(sys.argv[1]); m = json.load(t.extractfile("manifest.json"))[0]
for l in m["Layers"][int(sys.argv[2]):]:
    lt = tarfile.open(fileobj=t.extractfile(l))
    for e in lt.getmembers():
        d = lt.extractfile(e).read().decode().split() if e.isfile() else ["-"]
        print(e.name[2:] if e.name.startswith("./") else e.name, "%d:%d" % (e.uid, e.gid), ",".join(d))
PY
}
is "$(files | LC_ALL=C sort | paste -sd' ')" \
	"a.txt 0:0 hello run-ls 0:0 .,..,other.txt run-out 0:0 other sub 0:0 - sub/b.txt 0:0 bee" \
	"the image: DIR's files (0:0), ign.txt neither copied nor in the bind mount"
build
check "a second make does nothing" grep -q "Nothing to be done" "$T/make.log"
ran() { grep -oE '^#[0-9a-f]+ \[stage-1 [0-9]/4\] [A-Z]+' "$T/make.log" | sed 's/^#[0-9a-f]* //' | sort -u | paste -sd' '; }
echo bee2 >"$T/lib/sub/b.txt"
build
is "$(ran)" "[stage-1 4/4] COPY" "an edit of DIR/sub/b.txt reruns that COPY only"
echo other2 >"$T/lib/run/other.txt"
build
is "$(ran)" "[stage-1 2/4] RUN [stage-1 3/4] COPY [stage-1 4/4] COPY" \
	"an edit of the file the RUN's bind reads reruns the RUN and what follows"
echo changed >"$T/lib/ign.txt"
echo changed >"$T/lib/run/ign.txt"
build
check "an edit of an ignored file reruns nothing" grep -q "Nothing to be done" "$T/make.log"
touch "$T/lib/a.txt"
build
is "$?:$(ran)" "0:" "a touch without a change reruns no step (the sum is the same)"
is "$(files | grep -E '^(run-out|sub/b.txt)' | paste -sd' ')" "run-out 0:0 other2 sub/b.txt 0:0 bee2" "the image has the edits"
make -f "$T/from.mk" DF2MAKE_RUNTIME="$DF2MAKE_RUNTIME_BIN" >"$T/make.log" 2>&1
is "$?" 0 "make builds FROM NAME"
is "$(files 0 | LC_ALL=C sort | paste -sd' ')" \
	".dockerignore 0:0 ign.txt,run/ign.txt a.txt 0:0 hello again 0:0 hello run 0:0 - run/other.txt 0:0 other2 sub 0:0 - sub/b.txt 0:0 bee2" \
	"... its image: DIR's files but the ignored ones (0:0), then the COPY"
is "$(python3 -c 'import json,sys,tarfile; t=tarfile.open("image.tar"); m=json.load(t.extractfile("manifest.json"))[0]; print(json.dumps(json.load(t.extractfile(m["Config"]))["config"], sort_keys=True))')" \
	'{"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], "WorkingDir": "/"}' \
	"... with scratch's config (BuildKit's emptyImage)"
done_testing

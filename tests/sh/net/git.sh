#!/usr/bin/env bash
# ADD of git repositories (git:// from a loopback `git daemon`, and the
# dumb http protocol from the loopback test server): refs resolved to a
# commit at every make run, a moved ref rebuilds, #ref:subdir,
# --keep-git-dir, --checksum, error messages; git runs with none of the
# user's or the repository's configuration (docs/security.md).
. "$SRCDIR/tests/sh/net/lib.bash"
need git
[ -x "$(git --exec-path)/git-daemon" ] || skip_all "git daemon not installed"

export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@t GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@t
S=$T/src
git init -q -b main "$S"
mkdir -p "$S/sub/d"
echo one >"$S/sub/d/f"; printf '#!/bin/sh\n' >"$S/run.sh"; chmod 755 "$S/run.sh"
ln -s /etc/passwd "$S/pw"; ln -s /etc "$S/etclink"
git -C "$S" add -A && git -C "$S" commit -qm one && git -C "$S" tag -a v1 -m v1
mkdir -p "$T/srv"
git clone -q --bare "$S" "$T/srv/repo.git"
push() { git -C "$S" push -q "$T/srv/repo.git" main "$@" && git -C "$T/srv/repo.git" update-server-info; }
git -C "$T/srv/repo.git" update-server-info
c1=$(git -C "$S" rev-parse HEAD)

GP=$(free_port)
git daemon --reuseaddr --listen=127.0.0.1 --port="$GP" --base-path="$T/srv" --export-all \
	--informative-errors "$T/srv" 2>"$T/daemon.log" &
_pids+=($!)
python3 "$NET/serve.py" "$T/srv" "$T/log" >"$T/port" &
_pids+=($!)
for _ in $(seq 50); do [ -s "$T/port" ] && git ls-remote "git://127.0.0.1:$GP/repo.git" >/dev/null 2>&1 && break; sleep 0.1; done
G=git://127.0.0.1:$GP/repo.git
H=http://127.0.0.1:$(cat "$T/port")/repo.git
echo ctx >ctx/c.txt

# a user's git config must not apply (an insteadOf would fetch another repo)
# nor hooks named by it or by git's environment (git -c passes
# GIT_CONFIG_PARAMETERS down)
mkdir -p "$T/home" "$T/hooks"
printf '[url "git://127.0.0.1:1/"]\n\tinsteadOf = git://127.0.0.1:%s/\n[core]\n\thooksPath = %s\n' \
	"$GP" "$T/hooks" >"$T/home/.gitconfig"
for h in post-checkout reference-transaction post-index-change; do
	printf '#!/bin/sh\ntouch %s/hooked-%s\n' "$T" "$h" >"$T/hooks/$h"
	chmod 755 "$T/hooks/$h"
done

t0=$(date +%s)
HOME=$T/home GIT_DIR=$T/nowhere GIT_CONFIG_PARAMETERS="'core.hookspath'='$T/hooks'" build "FROM scratch
ADD $G /r
ADD $H#main:sub /s/
ADD $G#v1 /t
ADD --keep-git-dir=true $G#main /k
COPY c.txt /c
"
is "$?" 0 "git sources build (git:// and dumb http; user's ~/.gitconfig and GIT_DIR ignored)"
is "$(ls "$T" | grep hooked)" "" "no hook ran (user's core.hooksPath, GIT_CONFIG_PARAMETERS)"
mt=$(files r/run.sh | cut -d' ' -f5)
check "files have the checkout's time as mtime (BuildKit's mtime=checkout)" \
	[ "$mt" -ge "$t0" ] && [ "$mt" -le "$(date +%s)" ]
is "$(files r s t | awk '$5 != "-" { $5 = "MTIME" } { print }')" "r d 755 0:0 - 0 -
r/etclink l 777 0:0 MTIME 0 /etc
r/pw l 777 0:0 MTIME 0 /etc/passwd
r/run.sh f 755 0:0 MTIME 10 $(sha256sum "$S/run.sh" | cut -c1-12)
r/sub d 755 0:0 - 0 -
r/sub/d d 755 0:0 - 0 -
r/sub/d/f f 644 0:0 MTIME 4 $(sha256sum "$S/sub/d/f" | cut -c1-12)
s d 755 0:0 - 0 -
s/d d 755 0:0 - 0 -
s/d/f f 644 0:0 MTIME 4 $(sha256sum "$S/sub/d/f" | cut -c1-12)
t d 755 0:0 - 0 -
t/etclink l 777 0:0 MTIME 0 /etc
t/pw l 777 0:0 MTIME 0 /etc/passwd
t/run.sh f 755 0:0 MTIME 10 $(sha256sum "$S/run.sh" | cut -c1-12)
t/sub d 755 0:0 - 0 -
t/sub/d d 755 0:0 - 0 -
t/sub/d/f f 644 0:0 MTIME 4 $(sha256sum "$S/sub/d/f" | cut -c1-12)" \
	"the checkout's files (0644/0755, symlinks kept as links), no .git; #ref:subdir; an annotated tag"
mkdir -p "$T/img" && python3 - "$T/img" <<'PY'
import io, json, sys, tarfile
with tarfile.open("image.tar") as o:
    for l in json.load(o.extractfile("manifest.json"))[0]["Layers"]:
        with tarfile.open(fileobj=io.BytesIO(o.extractfile(l).read())) as t:
            t.extractall(sys.argv[1], filter=lambda m, p: m if m.name.startswith("k") else None)
PY
is "$(git --git-dir="$T/img/k/.git" rev-parse HEAD):$(git --git-dir="$T/img/k/.git" config remote.origin.url)" \
	"$c1:$G" "--keep-git-dir: .git at the commit, origin the URL"
is "$(cat "$T/img/k/sub/d/f")" one "--keep-git-dir: the work tree too"

cp build.mk build.mk.1; cp image.tar image.tar.1
mk
is "$?:$(steps)" "0:" "second make: the refs are resolved again, 0 steps run"
check "build.mk unchanged" cmp -s build.mk build.mk.1
check "image.tar unchanged" cmp -s image.tar image.tar.1

echo two >"$S/sub/d/f"; git -C "$S" commit -qam two; push
c2=$(git -C "$S" rev-parse HEAD)
mk
is "$?:$(steps | sed 's/^\[internal\] fetch [^ ]* /fetch /')" "0:fetch $c2
[1/5] ADD $G /r
fetch $c2
[2/5] ADD $H#main:sub /s/
[3/5] ADD $G#v1 /t
fetch $c2
[4/5] ADD --keep-git-dir=true $G#main /k
[5/5] COPY c.txt /c" "the branch moved: its fetches and every step from the first ADD run again (the tag did not move)"
is "$(files r/sub/d/f s/d/f t/sub/d/f | cut -d' ' -f1,6,7)" "r/sub/d/f 4 $(sha256sum "$S/sub/d/f" | cut -c1-12)
s/d/f 4 $(sha256sum "$S/sub/d/f" | cut -c1-12)
t/sub/d/f 4 $(printf 'one\n' | sha256sum | cut -c1-12)" "the new commit's files; the tag keeps the old ones"

# submodules: fetched (BuildKit's default) unless ?submodules=false; no
# .git left in the submodule's directory
git init -q -b main "$T/lib"
echo libfile >"$T/lib/l.txt"
git -C "$T/lib" add -A && git -C "$T/lib" commit -qm lib
git clone -q --bare "$T/lib" "$T/srv/lib.git"
git clone -q "$T/srv/repo.git" "$T/wsub"
git -C "$T/wsub" submodule -q add "git://127.0.0.1:$GP/lib.git" libdir
git -C "$T/wsub" commit -qm sub
git clone -q --bare "$T/wsub" "$T/srv/withsub.git"
build "FROM scratch
ADD git://127.0.0.1:$GP/withsub.git /w
ADD git://127.0.0.1:$GP/withsub.git?submodules=false /n
"
is "$?:$(files w/libdir n/libdir | cut -d' ' -f1,2,7)" "0:n/libdir d -
w/libdir d -
w/libdir/l.txt f $(sha256sum "$T/lib/l.txt" | cut -c1-12)" \
	"a submodule is fetched, without its .git; ?submodules=false leaves its directory empty"

# GIT_AUTH_TOKEN: an http remote that needs the token gets it as
# "Authorization: basic base64(x-access-token:TOKEN)", as BuildKit sends it
git clone -q --bare "$S" "$T/srv/private.git"
git -C "$T/srv/private.git" update-server-info
mkdir -p "$T/srv/.meta"
printf '{"private.git/": "basic %s"}' "$(printf x-access-token:gtok42 | base64)" >"$T/srv/.meta/_authz.json"
printf 'FROM scratch\nADD %s /p\n' "${H%/repo.git}/private.git" >ctx/Dockerfile
"$DF2MAKE" --secret id=GIT_AUTH_TOKEN,env=GTOK ctx >build.mk 2>/dev/null
GTOK=gtok42 mk
is "$?:$(files p/run.sh | cut -d' ' -f1)" "0:p/run.sh" "GIT_AUTH_TOKEN secret: the private repository is fetched"
is "$(grep -rl gtok42 build.mk .df2make "$T/out" image.tar 2>/dev/null)" "" "the token is in none of build.mk, the state dir, make's output, the image"
rm -rf .df2make/*.fetch .df2make/*.tree
mk
like "$?:$(grep df2make-runtime "$T/out")" \
	"^2:df2make-runtime: Dockerfile:2: ADD step: http://127.0.0.1:[0-9]*/private.git: git ls-remote failed: .*could not read Username .*terminal prompts disabled" \
	"without the token: git's error, and no prompt"

# a full commit id as the ref: used as it is, no ls-remote needed
build "FROM scratch
ADD $G#$c1 /sha
ADD $H#$c1 /shah
"
is "$?:$(files sha/sub/d/f shah/sub/d/f | cut -d' ' -f1,7)" "0:sha/sub/d/f $(printf 'one\n' | sha256sum | cut -c1-12)
shah/sub/d/f $(printf 'one\n' | sha256sum | cut -c1-12)" "#COMMIT: that commit's files (git daemon and dumb http)"
n0=$(wc -l <"$T/log")
mk -q
is "$?" 0 "#COMMIT only: make -q says up to date (a pinned fetch is not forced)"
mk
is "$?:$(steps):$(wc -l <"$T/log")" "0::$n0" "#COMMIT: the next make runs nothing and asks the server nothing"

# --checksum: a commit id (prefix) the ref must resolve to
build "FROM scratch
ADD --checksum=${c2:0:12} $G#main /ok
"
is "$?" 0 "--checksum with the ref's commit"
build "FROM scratch
ADD --checksum=$c1 $G#main /no
"
is "$?:$(grep df2make-runtime "$T/out")" "2:df2make-runtime: Dockerfile:2: ADD step: expected checksum to match $c1, got $c2" \
	"--checksum of another commit: the step fails naming both"

# failures name the URL and git's error
build "FROM scratch
ADD $G#nope /x
"
is "$?:$(grep df2make-runtime "$T/out")" "2:df2make-runtime: Dockerfile:2: ADD step: $G: ref \"nope\" not found in the repository" \
	"unknown ref: the URL and the ref"
dead=$(free_port)
build "FROM scratch
ADD git://127.0.0.1:$dead/repo.git /x
"
like "$?:$(grep df2make-runtime "$T/out")" \
	"^2:df2make-runtime: Dockerfile:2: ADD step: git://127.0.0.1:$dead/repo.git: git ls-remote failed: fatal: unable to connect" \
	"nothing listening: the URL and git's error"
build "FROM scratch
ADD $G#main:etclink /x
"
is "$?:$(grep df2make-runtime "$T/out")" "2:df2make-runtime: Dockerfile:2: ADD step: $G: git subpath \"etclink\" contains non-directory \"etclink\"" \
	"a subdir that is a symlink is refused (never followed out of the checkout)"
build "FROM scratch
ADD $G#--upload-pack=touch\${IFS}$T/pwned /x
"
check "a ref that looks like an option runs nothing" [ ! -e "$T/pwned" ]
build "FROM scratch
ADD $G?branch=main&keep-git-dir=true /q
ADD --keep-git-dir=false $G?keep-git-dir=true /q2
"
like "$?:$(cat "$T/cerr")" "^1:.*Dockerfile:3.*inconsistent keep-git-dir configuration" \
	"--keep-git-dir against the URL's query: BuildKit's error at the line"
done_testing

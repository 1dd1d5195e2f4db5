#!/usr/bin/env bash
# ADD of git repositories over ssh (git@host:repo.git and
# ssh://git@host:PORT/path.git#ref) from a real sshd that the test starts
# in a network namespace of its own (so that git@127.0.0.1: can use port
# 22), a test key held by an ssh-agent the test starts, and
# `df2make --ssh default=SOCKET`: the agent comes only from --ssh (never
# from $SSH_AUTH_SOCK by itself), host keys are recorded in the state dir
# on first contact and must match afterwards, nothing of the user's ssh or
# git set-up is used, and failures name the URL and git's message.
if [ -z "${GITSSH_NETNS:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "skip: needs root (network and mount namespace)"; exit 77; }
	command -v unshare >/dev/null || { echo "skip: unshare not installed"; exit 77; }
	GITSSH_NETNS=1 exec unshare -n -m --propagation private bash "$0" "$@"
fi
. "$SRCDIR/tests/sh/net/lib.bash"
need git ssh ssh-agent ssh-add ssh-keygen ip
[ -x /usr/sbin/sshd ] || skip_all "sshd not installed (openssh-server)"
ip link set lo up || skip_all "cannot bring up lo in the test's network namespace"

export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@t GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@t
# the user's ssh and git set-up stays out of reach: another HOME, and a
# GIT_SSH_COMMAND that would leave a mark if the fetch ever ran it
export HOME=$T/home
mkdir -p "$HOME"
export GIT_SSH_COMMAND="touch $T/user-ssh-ran; false"
unset SSH_AUTH_SOCK SSH_AGENT_PID
S=$T/src
git init -q -b main "$S"
mkdir -p "$S/d"
echo one >"$S/d/f"
printf '#!/bin/sh\n' >"$S/run.sh" && chmod 755 "$S/run.sh"
git -C "$S" add -A && git -C "$S" commit -qm one && git -C "$S" tag v1
echo two >"$S/d/f"
git -C "$S" commit -qam two
c2=$(git -C "$S" rev-parse HEAD)
mkdir -p "$T/srv"
git clone -q --bare "$S" "$T/srv/repo.git"

# the server's user "git" (uid 0, home $T/srv) exists only in this mount
# namespace: a copy of /etc/passwd is bound over the real one
cp /etc/passwd "$T/passwd"
echo "git:x:0:0:git:$T/srv:/bin/sh" >>"$T/passwd"
mount --bind "$T/passwd" /etc/passwd || skip_all "cannot bind-mount in the mount namespace"
mkdir -p /run/sshd # sshd's privilege separation directory (the package makes it at boot)
for k in host1 host2 user other; do ssh-keygen -q -t ed25519 -N '' -C "$k" -f "$T/$k"; done
cp "$T/user.pub" "$T/authorized_keys"
# the builder's own ~/.ssh, in this mount namespace only: the authorized
# key as a default identity file, a config that would leave a mark. The
# fetch must use neither (nor write a known_hosts there).
rh=$(getent passwd root | cut -d: -f6)
mkdir -p "$T/roothome/.ssh"
cp "$T/user" "$T/roothome/.ssh/id_ed25519"
printf 'Host *\n\tProxyCommand touch %s/user-config-ran\n' "$T" >"$T/roothome/.ssh/config"
mount --bind "$T/roothome" "$rh" || skip_all "cannot bind-mount in the mount namespace"
# sshd_up HOSTKEY: sshd on 127.0.0.1 ports 22 and 2222 (the namespace's own)
sshd_up() {
	/usr/sbin/sshd -D -e -f /dev/null -h "$1" -p 22 -p 2222 -o ListenAddress=127.0.0.1 \
		-o PidFile=none -o UsePAM=no -o StrictModes=no -o PermitRootLogin=prohibit-password \
		-o AuthorizedKeysFile="$T/authorized_keys" 2>>"$T/sshd.log" &
	sshd_pid=$!
	_pids+=($sshd_pid)
	for _ in $(seq 50); do
		grep -q "port 2222" "$T/sshd.log" 2>/dev/null && grep -q "port 22\." "$T/sshd.log" && break
		sleep 0.1
	done
}
sshd_up "$T/host1"
# agent_up NAME KEY: an ssh-agent at $T/NAME.sock holding KEY
agent_up() {
	ssh-agent -D -a "$T/$1.sock" >/dev/null 2>&1 &
	_pids+=($!)
	for _ in $(seq 50); do [ -S "$T/$1.sock" ] && break; sleep 0.1; done
	SSH_AUTH_SOCK=$T/$1.sock ssh-add -q "$2"
}
agent_up agent "$T/user"
agent_up wrong "$T/other"
SOCK=$T/agent.sock

# sbuild DOCKERFILE [DF2MAKE-FLAGS...]: compile with --ssh default=$SOCK, make
sbuild() {
	printf '%s' "$1" >ctx/Dockerfile && shift
	"$DF2MAKE" --ssh "default=$SOCK" "$@" ctx >build.mk 2>"$T/cerr" && mk
}
R=git@127.0.0.1:repo.git
U=ssh://git@127.0.0.1:2222$T/srv/repo.git

sbuild "FROM scratch
ADD $R /a
ADD $U#v1 /b
ADD --keep-git-dir=true $R#main /k
"
is "$?" 0 "git@host:repo.git and ssh://git@host:PORT/path.git#ref build with --ssh default=SOCKET"
sha() { sha256sum "$1" | cut -c1-12; }
is "$(files a b | cut -d' ' -f1-4,6,7)" "a d 755 0:0 0 -
a/d d 755 0:0 0 -
a/d/f f 644 0:0 4 $(printf 'two\n' | sha256sum | cut -c1-12)
a/run.sh f 755 0:0 10 $(sha "$S/run.sh")
b d 755 0:0 0 -
b/d d 755 0:0 0 -
b/d/f f 644 0:0 4 $(printf 'one\n' | sha256sum | cut -c1-12)
b/run.sh f 755 0:0 10 $(sha "$S/run.sh")" \
	"the repository's files at the ref (main for git@host:, tag v1 for ssh://), no .git"
mkdir -p "$T/img" && python3 - "$T/img" <<'PY'
import io, json, sys, tarfile
with tarfile.open("image.tar") as o:
    for l in json.load(o.extractfile("manifest.json"))[0]["Layers"]:
        with tarfile.open(fileobj=io.BytesIO(o.extractfile(l).read())) as t:
            t.extractall(sys.argv[1], members=[m for m in t if m.name.startswith("k")])
PY
kg=(git --git-dir="$T/img/k/.git")
is "$("${kg[@]}" rev-parse HEAD):$("${kg[@]}" config remote.origin.url)" "$c2:$R" \
	"--keep-git-dir over ssh: .git at the commit, origin the ssh URL"
fp=$(ssh-keygen -lf "$T/user.pub" | cut -d' ' -f2)
like "$(grep -c "Accepted publickey for git" "$T/sshd.log"):$(grep -c "Accepted publickey for git .*$fp" "$T/sshd.log")" \
	'^([1-9][0-9]*):\1$' "every login was with the agent's key"
check "the user's GIT_SSH_COMMAND and ~/.ssh/config were not used" \
	bash -c '[ ! -e "$1" ] && [ ! -e "$2" ]' _ "$T/user-ssh-ran" "$T/user-config-ran"
is "$(cut -d' ' -f2- .df2make/ssh_known_hosts | sort -u)" "$(cut -d' ' -f1,2 "$T/host1.pub")" \
	"the host key met is recorded in the state dir's ssh_known_hosts"
is "$(ls -A "$T/roothome/.ssh")" "config
id_ed25519" "no known_hosts written in the builder's ~/.ssh"
is "$(grep -rl "$SOCK" build.mk .df2make | grep -v '^build.mk$')" "" \
	"the agent's path is only in build.mk (the --ssh grant), not in the state dir"

# no-op: the refs are resolved again (ls-remote over ssh), nothing runs
n0=$(grep -c "Accepted publickey" "$T/sshd.log")
cp image.tar image.tar.1
mk
is "$?:$(steps)" "0:" "second make: 0 steps run"
check "image.tar unchanged" cmp -s image.tar image.tar.1
is "$(($(grep -c "Accepted publickey" "$T/sshd.log") - n0))" 3 \
	"... after one ssh login per git source (its ref resolved again, as BuildKit does)"

# failures name the URL and git's message
sbuild "FROM scratch
ADD $R#nope /x
"
is "$?:$(grep df2make-runtime "$T/out")" "2:df2make-runtime: Dockerfile:2: ADD step: $R: ref \"nope\" not found in the repository" \
	"a wrong ref: the URL and the ref"
printf 'FROM scratch\nADD %s /x\n' "$R" >ctx/Dockerfile
"$DF2MAKE" --ssh "default=$T/wrong.sock" ctx >build.mk 2>"$T/cerr" && mk
like "$?:$(grep df2make-runtime "$T/out")" \
	"^2:df2make-runtime: Dockerfile:2: ADD step: $R: git ls-remote failed: git@127.0.0.1: Permission denied \(publickey[^)]*\)\.; fatal: Could not read from remote repository\." \
	"a key the server refuses: the URL and ssh's message (~/.ssh/id_ed25519 is not tried)"
mk DF2MAKE_SSH_default=
is "$?:$(grep df2make-runtime "$T/out")" "2:df2make-runtime: Dockerfile:2: ADD step: $R: no ssh agent socket: \$DF2MAKE_SSH_default is empty (df2make --ssh default=SOCKET, or \$SSH_AUTH_SOCK when make runs)" \
	"make run with an empty agent variable: a clear error"

# without --ssh: BuildKit's error, even with an agent in $SSH_AUTH_SOCK
printf 'FROM scratch\nADD %s#main /x\n' "$U" >ctx/Dockerfile
rm -f build.mk
SSH_AUTH_SOCK=$SOCK "$DF2MAKE" ctx >build.mk 2>"$T/cerr"
like "$?:$(head -1 "$T/cerr")" '^1:[^ ]*Dockerfile:2:1: error: no SSH key "default" forwarded from the client \(an ssh remote needs df2make --ssh default\[=SOCKET\]\)$' \
	"no --ssh: the compile fails at the ADD with BuildKit's message (\$SSH_AUTH_SOCK is not taken)"
printf 'FROM scratch\nADD git://127.0.0.1:1/r.git /x\n' >ctx/Dockerfile
"$DF2MAKE" ctx >/dev/null 2>"$T/cerr"
is "$?" 0 "a git:// remote needs no --ssh"

# the server's host key changes: the recorded one no longer matches
kill "$sshd_pid"; wait "$sshd_pid" 2>/dev/null
: >"$T/sshd.log"
sshd_up "$T/host2"
sbuild "FROM scratch
ADD $R /a
"
like "$?:$(grep df2make-runtime "$T/out")" \
	"^2:df2make-runtime: Dockerfile:2: ADD step: $R: git ls-remote failed: .*Host key verification failed" \
	"another host key than the recorded one: the fetch fails naming the URL"
is "$(grep -c "Accepted publickey" "$T/sshd.log")" 0 "... before logging in"
rm .df2make/ssh_known_hosts
mk
is "$?:$(files a/d/f | cut -d' ' -f1)" "0:a/d/f" "with the record removed, the new key is accepted"
done_testing

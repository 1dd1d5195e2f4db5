#!/usr/bin/env bash
# Entitlements (issue 13 item 2): what reaches the host is granted on
# df2make's command line, never taken by a Dockerfile. RUN --network=host
# needs --allow network.host, RUN --security=insecure --allow
# security.insecure (refused at compile time, at the flag, BuildKit's
# words); an ssh mount gets an agent only for an id given with --ssh, and
# build.mk never holds the $SSH_AUTH_SOCK df2make saw: the socket is the
# one of the make that runs. The runtime refuses a spec that asks for
# host network / insecure without saying it was granted.
. "$SRCDIR/tests/sh/security/common.bash"
need python3
PROBE=$BUILDDIR/tests/probe/probe
[ -x "$PROBE" ] || skip_all "tests/probe/probe not built"
mkdir -p "$T/extra/bin"
cp "$PROBE" "$T/extra/bin/probe"
base_image busybox "$T/extra" || { not_ok "base image import"; done_testing; exit 1; }

# nothing_written DIR: an empty build.mk and no state dir.
nothing_written() { [ ! -s "$1/build.mk" ] && [ ! -e "$1/state" ]; }
# not_done KEY: KEY is a step key without a stamp in $D/state.
not_done() { [ -n "$1" ] && [ ! -e "$D/state/$1.done" ]; }
# differ A B: two non-empty, different strings.
differ() { [ -n "$1" ] && [ -n "$2" ] && [ "$1" != "$2" ]; }

# refused DIR DESC WANT-STDERR [DF2MAKE-ARGS...]: the compile fails with
# exactly that message (exit 1), writes nothing and makes no state dir.
refused() {
	local d=$1 desc=$2 want=$3
	shift 3
	compile "$d" "$@"
	is "$rc" 1 "$desc: exit status 1"
	is "$(cat "$d/compile.err")" "$want" "$desc: the message"
	check "$desc: nothing written" nothing_written "$d"
}

# ---- refusals at compile time ----
D=$T/net
dockerfile "$D" 'FROM busybox
RUN echo fine
RUN   --network=host wget -qO- http://127.0.0.1:1/'
refused "$D" "RUN --network=host without --allow" \
	"$D/ctx/Dockerfile:3:7: error: network.host is not allowed: RUN --network=host needs df2make --allow network.host
RUN   --network=host wget -qO- http://127.0.0.1:1/
      ^"
refused "$D" "RUN --network=host with only --allow security.insecure" \
	"$D/ctx/Dockerfile:3:7: error: network.host is not allowed: RUN --network=host needs df2make --allow network.host
RUN   --network=host wget -qO- http://127.0.0.1:1/
      ^" --allow security.insecure

D=$T/insecure
dockerfile "$D" 'FROM busybox
RUN --network=none \
    --security=insecure mount -t tmpfs x /mnt'
refused "$D" "RUN --security=insecure without --allow" \
	"$D/ctx/Dockerfile:3:5: error: security.insecure is not allowed: RUN --security=insecure needs df2make --allow security.insecure
    --security=insecure mount -t tmpfs x /mnt
    ^" --allow network.host

D=$T/onbuild
dockerfile "$D" 'FROM busybox AS base
ONBUILD RUN --network=host true
FROM base
RUN true'
refused "$D" "an ONBUILD trigger with --network=host, run by a later FROM" \
	"$D/ctx/Dockerfile:2:9: error: network.host is not allowed: RUN --network=host needs df2make --allow network.host
ONBUILD RUN --network=host true
        ^"

D=$T/sshreq
dockerfile "$D" 'FROM busybox
RUN --mount=type=ssh,id=deploy,required=true true'
refused "$D" "a required ssh mount whose id was not granted" \
	"$D/ctx/Dockerfile:2:5: error: no SSH key \"deploy\" forwarded from the client (df2make --ssh deploy[=SOCKET] grants it)
RUN --mount=type=ssh,id=deploy,required=true true
    ^" --ssh default

# Options: an unknown entitlement, and --ssh values df2make cannot honour.
D=$T/opts
dockerfile "$D" 'FROM busybox
RUN true'
refused "$D" "--allow with an unknown entitlement" \
	'df2make: --allow: unknown entitlement "network.hots" (want network.host, security.insecure or device[=NAME])' \
	--allow network.hots
refused "$D" "--allow device with an unknown key" \
	'df2make: --allow: unknown device config key "size"' --allow device=gpu,size=1
refused "$D" "--ssh with key files" \
	'df2make: --ssh k: only a single socket is allowed (df2make does not load key files)' \
	--ssh k=/a,/b
refused "$D" "--ssh with a path make cannot hold" \
	'df2make: --ssh k: a socket path cannot contain a newline or end in a backslash' \
	--ssh 'k=/a\'
refused "$D" "--ssh twice for one id" 'df2make: --ssh: duplicate agent ID "default"' \
	--ssh default --ssh default=/x
compile "$D" --allow network.host --allow security.insecure --allow device \
	--allow device=vendor.com/gpu=all,alias=gpu
is "$rc" 0 "every entitlement BuildKit has is accepted (device too)"

# A stage the target does not need is not checked (BuildKit checks what it builds).
D=$T/unused
dockerfile "$D" 'FROM busybox AS unused
RUN --network=host --security=insecure true
FROM busybox
RUN true'
compile "$D"
is "$rc" 0 "an unused stage asking for entitlements compiles"

# ---- grants work ----
# A listener on the host's loopback; RUN --network=host reaches it.
python3 - "$T/port" <<'PY' &
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(5)
s.settimeout(120)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
__import__("os").rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    c, _ = s.accept()
    c.recv(4096)
    c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 15\r\n\r\nhost-loopback-1")
    c.close()
PY
LISTENER=$!
for _ in $(seq 50); do [ -s "$T/port" ] && break; sleep 0.1; done
PORT=$(cat "$T/port")
D=$T/nethost
dockerfile "$D" "FROM busybox
RUN --network=host echo \"seen: \$(wget -qO- http://127.0.0.1:$PORT/)\"
RUN --security=insecure mkdir -p /mnt && mount -t tmpfs dfent-$$ /mnt && echo insecure-mounted"
build "$D" --allow network.host --allow security.insecure
is "$rc" 0 "granted: the build runs"
log_has "$D" "seen: host-loopback-1" "RUN --network=host reaches the host's 127.0.0.1 listener"
log_has "$D" "insecure-mounted" "RUN --security=insecure may mount"
check "  and the mount never reaches the host" refute grep -q "dfent-$$" /proc/self/mountinfo
kill "$LISTENER" 2>/dev/null
wait "$LISTENER" 2>/dev/null

# build.mk is a user file: a spec edited to drop the grant is refused by
# the runtime, and the step is not done.
sed -i 's/"entitlements":\["network.host"\],//' "$D/build.mk"
key=$(grep '"network":"host"' "$D/build.mk" | grep -o 'run [0-9a-f]\{32\}' | cut -d' ' -f2)
rm -rf "$D/state"
make -f "$D/build.mk" >"$D/log2" 2>&1
check "a spec with network host but no grant: make fails" [ $? -ne 0 ]
like "$(cat "$D/log2")" "RUN step: network host: network\.host is not allowed \(the spec does not grant it; df2make --allow network\.host does\)" \
	"  the runtime names what is missing"
check "  no stamp for that step" not_done "$key"

# ---- ssh ----
. "$SRCDIR/tests/lib/agent.sh"
agent "$T/agent.sock"
SSHDF='FROM busybox
RUN --mount=type=ssh echo "sock=${SSH_AUTH_SOCK:-none}"; ls /run/buildkit 2>&1 | head -1; test -S /run/buildkit/ssh_agent.0 && probe sock /run/buildkit/ssh_agent.0 hello; echo ssh-step-done'
COMPILE_SOCK=$T/compile-time-agent.sock

# Not granted: no socket and no SSH_AUTH_SOCK, though make has one.
D=$T/ssh-none
dockerfile "$D" "$SSHDF"
SSH_AUTH_SOCK=$COMPILE_SOCK compile "$D"
SSH_AUTH_SOCK=$T/agent.sock make -f "$D/build.mk" >"$D/log" 2>&1
is "$?" 0 "ssh not granted: the build runs"
log_has "$D" "sock=none" "  no SSH_AUTH_SOCK in the RUN"
log_has "$D" "ls: /run/buildkit: No such file or directory" "  no agent socket in the RUN"
check "  the agent was not reached" refute grep -q "agent:hello" "$D/log"
none_key=$(grep -o 'run [0-9a-f]\{32\}' "$D/build.mk" | cut -d' ' -f2)

# --ssh default: the $SSH_AUTH_SOCK of the make that runs, not df2make's.
D=$T/ssh-default
dockerfile "$D" "$SSHDF"
SSH_AUTH_SOCK=$COMPILE_SOCK compile "$D" --ssh default
is "$rc" 0 "--ssh default compiles"
check "build.mk does not hold the compile-time \$SSH_AUTH_SOCK" refute grep -qF "$COMPILE_SOCK" "$D/build.mk"
is "$(grep '^DF2MAKE_SSH_default\|^export DF2MAKE_SSH' "$D/build.mk")" 'DF2MAKE_SSH_default ?= $(value SSH_AUTH_SOCK)
export DF2MAKE_SSH_default' "  but a reference to the one make runs with"
SSH_AUTH_SOCK=$T/agent.sock make -f "$D/build.mk" >"$D/log" 2>&1
is "$?" 0 "--ssh default: the build runs"
log_has "$D" "sock=/run/buildkit/ssh_agent.0" "  SSH_AUTH_SOCK set in the RUN"
log_has "$D" "agent:hello" "  the RUN reaches the agent through the relay"
default_key=$(grep -o 'run [0-9a-f]\{32\}' "$D/build.mk" | cut -d' ' -f2)
check "granting ssh changes the step's key (it re-runs)" differ "$none_key" "$default_key"
rm -rf "$D/state"
env -u SSH_AUTH_SOCK make -f "$D/build.mk" >"$D/log" 2>&1
check "--ssh default, make without SSH_AUTH_SOCK: fails" [ $? -ne 0 ]
log_has "$D" 'ssh default: no agent socket: \$DF2MAKE_SSH_default is empty' "  saying the variable is empty"

# --ssh ID=SOCKET: that path (make syntax in it is data), for that id only.
kill "$AGENT" 2>/dev/null
wait "$AGENT" 2>/dev/null
GH_SOCK="$T/a \$(x) #1.sock"
agent "$GH_SOCK"
D=$T/ssh-id
dockerfile "$D" 'FROM busybox
RUN --mount=type=ssh,id=gh,target=/agent probe sock /agent gh-ok
RUN --mount=type=ssh echo "default=${SSH_AUTH_SOCK:-none}"'
compile "$D" --ssh "gh=$GH_SOCK"
env -u SSH_AUTH_SOCK make -f "$D/build.mk" >"$D/log" 2>&1
is "$?" 0 "--ssh gh=SOCKET: the build runs"
log_has "$D" "agent:gh-ok" "  the gh mount reaches that socket"
log_has "$D" "default=none" "  the default id, not granted, gets nothing"
kill "$AGENT" 2>/dev/null
wait "$AGENT" 2>/dev/null

# ---- secrets from the environment: read when make runs, never in build.mk ----
D=$T/secret-env
dockerfile "$D" 'FROM busybox
RUN --mount=type=secret,id=tok,env=TOK,target=/run/secrets/tok echo "len=${#TOK} file=$(cat /run/secrets/tok)"
RUN --mount=type=secret,id=gone echo "gone=$(cat /run/secrets/gone 2>&1 | head -c 40)"'
DF_SECRET_VALUE=compile-time-value-$$ compile "$D" --secret id=tok,env=DF_SECRET_VALUE \
	--secret id=gone,type=env,src=DF_SECRET_UNSET
is "$rc" 0 "--secret id=X,env=VAR compiles"
check "build.mk holds the variable's name, not its value" \
	grep -qF '"src":{"env":"DF_SECRET_VALUE"}' "$D/build.mk"
check "  not the compile-time value" refute grep -qF "compile-time-value-$$" "$D/build.mk"
DF_SECRET_VALUE=make-time-42 env -u DF_SECRET_UNSET make -f "$D/build.mk" >"$D/log" 2>&1
is "$?" 0 "an env secret: the build runs"
log_has "$D" "len=12 file=make-time-42" "  the RUN gets the value make runs with (env= and file)"
log_has "$D" "gone=cat: can't open '/run/secrets/gone'" "  an optional secret whose variable is unset is left out"
check "  the value is in no state file or layer" refute grep -rqaF "make-time-42" "$D/state" "$D/image.tar"
D=$T/secret-id
dockerfile "$D" 'FROM busybox
RUN --mount=type=secret,id=DF_TOKEN true'
DF_TOKEN=v compile "$D" --secret id=DF_TOKEN
check "--secret id=X alone, X set: the variable X (buildx)" grep -qF '"src":{"env":"DF_TOKEN"}' "$D/build.mk"
(cd "$D" && env -u DF_TOKEN "$DF2MAKE" --store "$ST" --secret id=DF_TOKEN ctx >build.mk 2>&1)
check "--secret id=X alone, X unset: the file X" grep -qF "\"src\":\"$D/DF_TOKEN\"" "$D/build.mk"

# ---- the plan shows the grants ----
D=$T/plan
dockerfile "$D" 'FROM busybox
RUN true'
"$DF2MAKE" --plan --store "$ST" --platform linux/amd64 --allow security.insecure \
	--allow network.host --ssh default --ssh "gh=/run/a b.sock" "$D/ctx" >"$D/plan.yaml" 2>&1
is "$(sed -n '/^output:/,/^needs:/p' "$D/plan.yaml")" "output:
  type: tar
  dest: image.tar
entitlements: [network.host, security.insecure]
ssh:
- id: default
  socket: null
  variable: DF2MAKE_SSH_default
- id: gh
  socket: /run/a b.sock
  variable: DF2MAKE_SSH_gh
needs: [stage-0]" "--plan: entitlements and ssh grants"
done_testing

# RUN --mount sources beyond a plain bind: context binds filtered by the
# ignore file, cache mounts seeded from `from`/`source`, ssh mounts through
# a relay socket with the mount's mode and owner.
. "$SRCDIR/tests/sh/sandbox/common.inc"
need python3

upper_list() { (cd "$S/$1/upper" && find . -mindepth 1 | LC_ALL=C sort | tr '\n' ' '); }
lines() { printf '%s\n' "$out" | tr '\n' ' '; }

mkctx() {
	C=$W/ctx
	mkdir -p "$C/a/keep" "$C/b" "$C/node_modules/x"
	echo 1 >"$C/a/f" && echo k >"$C/a/keep/k" && echo 2 >"$C/b/g"
	echo s >"$C/secret.txt" && echo n >"$C/node_modules/x/y"
	chmod 0750 "$C/a"
	printf '# ignore\nsecret.txt\nnode_modules\n!node_modules/none\na\n!a/keep\n' >"$C/.dockerignore"
}

ignored() {
	mkctx
	run_step i1 "{\"parent\":\"base\",\"args\":[\"/bin/sh\",\"-c\",\"cd /m && find . | sort; stat -c %a a\"],\"env\":[\"PATH=/bin\"],
		\"mounts\":[{\"target\":\"/m\",\"from\":{\"context\":\"$C\"}}]}"
	is "$(lines)" ". ./.dockerignore ./a ./a/keep ./a/keep/k ./b ./b/g 750 " \
		"[$MODE] context bind: .dockerignore'd files, dirs and re-included paths as BuildKit sends them"
	is "$(upper_list i1)" "./dev ./proc ./sys " "[$MODE] filtered bind leaves nothing in the upper"
	run_step i2 "{\"parent\":\"base\",\"args\":[\"/bin/sh\",\"-c\",\"cd /m && find . | sort\"],\"env\":[\"PATH=/bin\"],
		\"mounts\":[{\"target\":\"/m\",\"source\":\"a\",\"from\":{\"context\":\"$C\"}}]}"
	is "$(lines)" ". ./keep ./keep/k " "[$MODE] source=a: patterns stay anchored at the context root"
	run_step i3 "{\"parent\":\"base\",\"args\":[\"/bin/sh\",\"-c\",\"echo x > /m/b/new && cat /m/b/new; ls /m\"],\"env\":[\"PATH=/bin\"],
		\"mounts\":[{\"target\":\"/m\",\"rw\":true,\"from\":{\"context\":\"$C\"}}]}"
	is "$(lines):$(ls "$C/b" | tr '\n' ,)" "x a b :g," "[$MODE] rw bind over the filtered view: writable, discarded"
	printf 'b\n' >"$W/other.ignore"
	run_step i4 "{\"parent\":\"base\",\"args\":[\"/bin/sh\",\"-c\",\"ls -A /m\"],\"env\":[\"PATH=/bin\"],
		\"mounts\":[{\"target\":\"/m\",\"from\":{\"context\":\"$C\",\"ignore\":\"$W/other.ignore\"}}]}"
	is "$(lines)" ".dockerignore a node_modules secret.txt " "[$MODE] the spec's ignore file replaces CONTEXT/.dockerignore"
	run_step i5 "{\"parent\":\"base\",\"args\":[\"/bin/sh\",\"-c\",\"ls -A /m\"],\"env\":[\"PATH=/bin\"],
		\"mounts\":[{\"target\":\"/m\",\"from\":{\"context\":\"$C\",\"ignore\":null}}]}"
	is "$(lines)" ".dockerignore a b node_modules secret.txt " "[$MODE] ignore null: the whole context"
	check "[$MODE] scratch (ign-N) removed" test -z "$(ls -d "$S"/i*/ign-* 2>/dev/null)"
}

seeded() {
	mkctx
	run_step c1 "{\"parent\":\"base\",\"args\":[\"/bin/sh\",\"-c\",\"cd /c && find . | sort; stat -c %a .; echo n > /c/n\"],\"env\":[\"PATH=/bin\"],
		\"mounts\":[{\"type\":\"cache\",\"target\":\"/c\",\"id\":\"s\",\"source\":\"a\",\"from\":{\"context\":\"$C\"}}]}"
	is "$(lines)" ". ./keep ./keep/k 750 " "[$MODE] cache seeded from the context (ignore applied, source's mode)"
	echo 9 >"$C/a/keep/k"
	run_step c2 "{\"parent\":\"base\",\"args\":[\"/bin/sh\",\"-c\",\"cat /c/n /c/keep/k\"],\"env\":[\"PATH=/bin\"],
		\"mounts\":[{\"type\":\"cache\",\"target\":\"/c\",\"id\":\"s\",\"source\":\"a\",\"from\":{\"context\":\"$C\"}}]}"
	is "$(lines)" "n k " "[$MODE] seeded once: later steps see the cache, not the source again"
	run_step c3 '{"parent":"base","args":["/bin/sh","-c","ls -A /c | wc -l"],"env":["PATH=/bin"],"mounts":[{"type":"cache","target":"/c","id":"s"}]}'
	is "$out" 0 "[$MODE] same id without from: another cache"
	run_step c4 '{"parent":"base","args":["/bin/sh","-c","mkdir -m 0711 /data; echo D > /data/d"],"env":["PATH=/bin"]}'
	run_step c5 '{"parent":"base","args":["/bin/sh","-c","cat /c/d; stat -c %a /c; echo w > /c/w"],"env":["PATH=/bin"],"mounts":[{"type":"cache","target":"/c","id":"t","source":"/data","from":{"step":"c4"}}]}'
	is "$(lines)" "D 711 " "[$MODE] cache seeded from a step's /data"
	check "[$MODE] ...the step's layer is untouched" test ! -e "$S/c4/upper/data/w"
	is "$(upper_list c5)" "./dev ./proc ./sys " "[$MODE] seeded cache not in the upper"
	check "[$MODE] no half-made cache dirs left" test -z "$(ls -d "$ST"/cache/*.new-* 2>/dev/null)"
	local before
	before=$(ls "$ST/cache" | grep -vc lock)
	run_step c6 '{"loc":"Dockerfile:4","parent":"base","args":["true"],"env":[],"mounts":[{"type":"cache","target":"/c","id":"u","source":"/nope","from":{"step":"c4"}}]}'
	like "$err" "Dockerfile:4: RUN step: .*seed from /nope: source /nope in .*No such file" "[$MODE] missing seed source: an error naming it"
	is "$(ls "$ST/cache" | grep -vc lock)" "$before" "[$MODE] ...and no cache dir made"
}

. "$SRCDIR/tests/lib/agent.sh"

ssh_relay() {
	agent "$W/agent.sock" 2
	export DF2MAKE_SSH_gh=$W/agent.sock DF2MAKE_SSH_default=$W/agent.sock
	run_step s1 "{\"parent\":\"base\",\"args\":[\"/bin/sh\",\"-c\",\"stat -c %a:%u:%g \$SSH_AUTH_SOCK; /bin/probe sock \$SSH_AUTH_SOCK hello\"],\"env\":[\"PATH=/bin\"],
		\"mounts\":[{\"type\":\"ssh\",\"id\":\"gh\",\"agent\":\"DF2MAKE_SSH_gh\",\"mode\":\"0640\"}]}"
	is "$(lines)" "640:0:0 agent:hello " "[$MODE] ssh: a relay socket with the mount's mode reaches the agent"
	is "$(stat -c %a "$W/agent.sock")" 755 "[$MODE] ...the agent's own socket untouched"
	check "[$MODE] relay socket dir removed" test -z "$(ls -d "$S"/s1/ssh-* 2>/dev/null)"
	check "[$MODE] no relay process left" test -z "$(pgrep -f -- "--state $S " 2>/dev/null)"
	if [ "$MODE" = root ]; then
		run_step s2 "{\"parent\":\"base\",\"args\":[\"/bin/sh\",\"-c\",\"stat -c %a:%u:%g \$SSH_AUTH_SOCK; /bin/probe sock \$SSH_AUTH_SOCK app\"],\"env\":[\"PATH=/bin\"],\"user\":\"app\",
			\"mounts\":[{\"type\":\"ssh\",\"agent\":\"DF2MAKE_SSH_default\",\"uid\":1000,\"gid\":1001}]}"
		is "$(lines)" "600:1000:1001 agent:app " "[$MODE] ssh uid/gid: USER app can use it"
	else
		run_step s2 "{\"parent\":\"base\",\"args\":[\"true\"],\"env\":[],\"mounts\":[{\"type\":\"ssh\",\"agent\":\"DF2MAKE_SSH_default\",\"uid\":1000}]}"
		like "$err" "ssh default: chown 1000:0 \\(not mapped" "[$MODE] ssh uid not mapped rootless: a clear error"
	fi
	kill "$AGENT" 2>/dev/null
	wait "$AGENT" 2>/dev/null
	unset DF2MAKE_SSH_gh DF2MAKE_SSH_default
	run_step s3 '{"loc":"Dockerfile:9","parent":"base","args":["true"],"env":[],"mounts":[{"type":"ssh","id":"deploy","required":true}]}'
	is "$err" "df2make-runtime: Dockerfile:9: RUN step: mount 1: ssh deploy: required, but no agent was granted (df2make --ssh deploy[=SOCKET])" "[$MODE] required ssh id without an agent"
	run_step s4 '{"parent":"base","args":["/bin/sh","-c","echo ${SSH_AUTH_SOCK:-none}"],"env":["PATH=/bin"],"mounts":[{"type":"ssh","id":"deploy"}]}'
	is "$out" none "[$MODE] optional ssh id without an agent: no mount"
}

cases() {
	fresh mount-sources
	ignored
	seeded
	ssh_relay
}
both_modes

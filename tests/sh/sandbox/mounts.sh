# RUN --mount: secret, cache, tmpfs, bind (context / step, ro / rw),
# ssh, heredoc files; what must never reach the layer; symlink escapes.
. "$SRCDIR/tests/sh/sandbox/common.inc"
need flock sha256sum python3

upper_list() { (cd "$S/$1/upper" && find . -mindepth 1 | LC_ALL=C sort | tr '\n' ' '); }

secrets() {
	printf 's3cret' >"$W/secret.txt"
	run_step k1 "{\"parent\":\"base\",\"args\":[\"/bin/sh\",\"-c\",\"cat /run/secrets/tok; echo; stat -c %a:%u /run/secrets/tok; echo \$TOK; echo x > /run/secrets/tok || echo ro\"],\"env\":[\"PATH=/bin\"],
		\"mounts\":[{\"type\":\"secret\",\"id\":\"tok\",\"src\":\"$W/secret.txt\"},{\"type\":\"secret\",\"id\":\"e\",\"env\":\"TOK\",\"src\":\"$W/secret.txt\"}]}"
	is "$(echo "$out" | head -3)" "s3cret
400:0
s3cret" "[$MODE] secret file (0400 root) and secret env"
	like "$out" "ro$" "[$MODE] secret file is read-only"
	is "$(upper_list k1)" "./dev ./proc ./sys " "[$MODE] no /run/secrets placeholder in the upper"
	check "[$MODE] secret bytes nowhere in the step dir" test -z "$(grep -rl s3cret "$S/k1" 2>/dev/null)"
	run_step k2 '{"loc":"Dockerfile:3","parent":"base","args":["/bin/true"],"env":[],"mounts":[{"type":"secret","id":"need","required":true}]}'
	like "$err" "Dockerfile:3: RUN step: mount 1: secret need: required but not provided" "[$MODE] required secret missing"
}

caches() {
	local h
	run_step k3 '{"parent":"base","args":["/bin/sh","-c","echo 1 >> /c/n; cat /c/n | wc -l"],"env":["PATH=/bin"],"mounts":[{"type":"cache","target":"/c","id":"cnt"}]}'
	run_step k4 '{"parent":"base","args":["/bin/sh","-c","echo 1 >> /c/n; cat /c/n | wc -l"],"env":["PATH=/bin"],"mounts":[{"type":"cache","target":"/c","id":"cnt"}]}'
	is "$out" 2 "[$MODE] cache persists across steps"
	is "$(upper_list k4)" "./dev ./proc ./sys " "[$MODE] cache contents not in the upper"
	h=$(printf cnt | sha256sum | cut -c1-32)
	check "[$MODE] cache lives in STORE/cache" test -f "$ST/cache/$h/n"
	flock "$ST/cache/$h.lock" sh -c "$WRAP $DF2MAKE_RUNTIME_BIN -q --state $S --store $ST run k5 '{\"parent\":\"base\",\"args\":[\"/bin/sh\",\"-c\",\"ls /c | wc -l\"],\"env\":[\"PATH=/bin\"],\"mounts\":[{\"type\":\"cache\",\"target\":\"/c\",\"id\":\"cnt\",\"sharing\":\"private\"}]}' >$W/priv.out"
	is "$(cat "$W/priv.out")" 0 "[$MODE] sharing=private while held: a fresh instance"
	check "[$MODE] private instance dir" test -d "$ST/cache/$h-1"
	run_step k6 '{"parent":"base","args":["/bin/sh","-c","stat -c %a:%u:%g /c"],"env":["PATH=/bin"],"mounts":[{"type":"cache","target":"/c","id":"own","mode":"0700","uid":0,"gid":0}]}'
	is "$out" "700:0:0" "[$MODE] new cache dir takes mode/uid/gid"
	if [ "$MODE" = root ]; then
		run_step k7 '{"parent":"base","args":["/bin/sh","-c","stat -c %a:%u:%g /c; touch /c/f"],"env":["PATH=/bin"],"user":"app","mounts":[{"type":"cache","target":"/c","id":"app","mode":"0750","uid":1000,"gid":1001}]}'
		is "$out:$rc" "750:1000:1001:0" "[$MODE] cache owned by uid 1000 is writable by USER app"
		# BuildKit keys a cache by id and its source: another owner or
		# mode is another cache (never the old one with the old owner)
		run_step k8 '{"parent":"base","args":["/bin/sh","-c","stat -c %a:%u:%g /c; ls /c | wc -l"],"env":["PATH=/bin"],"mounts":[{"type":"cache","target":"/c","id":"app","mode":"0700","uid":1002,"gid":1002}]}'
		is "$out" "700:1002:1002
0" "[$MODE] same id, other uid/gid/mode: the mount has them (a cache of its own)"
		run_step k9 '{"parent":"base","args":["/bin/sh","-c","stat -c %a:%u:%g /c; ls /c"],"env":["PATH=/bin"],"user":"app","mounts":[{"type":"cache","target":"/c","id":"app","mode":"0750","uid":1000,"gid":1001}]}'
		is "$out" "750:1000:1001
f" "[$MODE] back to the first owner and mode: the first cache, content kept"
	fi
}

tmpfs_bind() {
	mkdir -p "$W/ctx/sub" && echo A >"$W/ctx/a" && echo S >"$W/ctx/sub/s"
	run_step k8 '{"parent":"base","args":["/bin/sh","-c","ls -A /tmp/t | wc -l; echo x > /tmp/t/f; stat -f -c %T /tmp/t"],"env":["PATH=/bin"],"mounts":[{"type":"tmpfs","target":"/tmp/t","size":65536}]}'
	is "$out" "0
tmpfs" "[$MODE] tmpfs starts empty"
	is "$(upper_list k8)" "./dev ./proc ./sys " "[$MODE] tmpfs writes and its mount point not in the upper"
	run_step k9 "{\"parent\":\"base\",\"args\":[\"/bin/sh\",\"-c\",\"cat /x/a; touch /x/b 2>/dev/null || echo ro; cat y/s\"],\"env\":[\"PATH=/bin\"],\"workdir\":\"/w\",
		\"mounts\":[{\"target\":\"/x\",\"from\":{\"context\":\"$W/ctx\"}},{\"target\":\"y\",\"source\":\"sub\",\"from\":{\"context\":\"$W/ctx\"}}]}"
	is "$out" "A
ro
S" "[$MODE] bind from context: read-only; source= subdir; relative target joins WORKDIR"
	run_step k10 "{\"parent\":\"base\",\"args\":[\"/bin/sh\",\"-c\",\"echo B > /x/a; touch /x/new; cat /x/a\"],\"env\":[\"PATH=/bin\"],
		\"mounts\":[{\"target\":\"/x\",\"rw\":true,\"from\":{\"context\":\"$W/ctx\"}}]}"
	is "$out:$(cat "$W/ctx/a"):$(ls "$W/ctx" | tr '\n' ,)" "B:A:a,sub," "[$MODE] bind rw: writable inside, discarded outside"
	is "$(upper_list k10)" "./dev ./proc ./sys " "[$MODE] bind rw: nothing in the upper"
	check "[$MODE] bind rw: discard dir removed" test -z "$(ls -d "$S/k10/"discard-* 2>/dev/null)"
	run_step k11 '{"parent":"base","args":["/bin/sh","-c","mkdir /data; echo D > /data/d"],"env":["PATH=/bin"]}'
	run_step k12 '{"parent":"base","args":["/bin/sh","-c","cat /m/d; ls /m"],"env":["PATH=/bin"],"mounts":[{"target":"/m","source":"/data","from":{"step":"k11"}}]}'
	is "$out" "D
d" "[$MODE] bind from another step's result"
	run_step k13 "{\"parent\":\"base\",\"args\":[\"/bin/probe\",\"see\",\"/m/a\",\"/m/etc/passwd\"],\"env\":[],
		\"mounts\":[{\"target\":\"/m\",\"source\":\"../../../../..\",\"from\":{\"context\":\"$W/ctx\"}}]}"
	is "$out" "see /m/a: yes
see /m/etc/passwd: no" "[$MODE] source=../.. stays inside the context"
}

escapes() {
	mkdir -p "$W/hostdir"
	ln -s "$W/hostdir" "$W/rootfs/evil"
	run_step k14 '{"parent":"base","args":["/bin/sh","-c","echo pwn > /evil/f && echo wrote"],"env":["PATH=/bin"],"mounts":[{"type":"tmpfs","target":"/evil"}]}'
	is "$out" wrote "[$MODE] mount through an absolute symlink works inside the root"
	check "[$MODE] ...and never reaches the host path" test ! -e "$W/hostdir/f"
	is "$(upper_list k14)" "./dev ./proc ./sys " "[$MODE] mount points made behind the symlink removed again"
	rm "$W/rootfs/evil"
}

ssh_heredoc() {
	python3 -c "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" "$W/agent.sock"
	export DF2MAKE_SSH_default=$W/agent.sock # what build.mk exports for --ssh default
	run_step k15 '{"parent":"base","args":["/bin/sh","-c","echo $SSH_AUTH_SOCK; test -S $SSH_AUTH_SOCK && echo socket"],"env":["PATH=/bin"],
		"mounts":[{"type":"ssh","agent":"DF2MAKE_SSH_default"}]}'
	unset DF2MAKE_SSH_default
	is "$out" "/run/buildkit/ssh_agent.0
socket" "[$MODE] ssh agent socket bound, SSH_AUTH_SOCK set"
	is "$(upper_list k15)" "./dev ./proc ./sys " "[$MODE] no /run/buildkit placeholder in the upper"
	# the compiler's argv: the shell runs it (BuildKit prepends SHELL)
	run_step k16 '{"parent":"base","args":["/bin/sh","-c","/dev/pipes/EOF"],"env":["PATH=/bin"],"heredocs":[{"path":"/dev/pipes/EOF","content":"#!/bin/sh\necho from heredoc $0\n","mode":493}]}'
	is "$out" "from heredoc /dev/pipes/EOF" "[$MODE] #! heredoc file executed"
}

cases() {
	fresh mounts
	secrets
	caches
	tmpfs_bind
	escapes
	ssh_heredoc
}
both_modes

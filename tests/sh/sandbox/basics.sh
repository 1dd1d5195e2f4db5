# RUN sandbox basics, checked from inside by the static probe: namespaces,
# hostname, cwd, env, capabilities, no_new_privs, fds, mounts, network,
# host isolation, and what reaches the layer (the upper).
. "$SRCDIR/tests/sh/sandbox/common.inc"

cases() {
	fresh basics
	local spec='{"title":"[1/1] RUN probe","loc":"Dockerfile:2","parent":"base",
		"args":["/bin/probe"],"env":["PATH=/bin","A=1 2"],"workdir":"/w/x"}'
	run_step k1 "$spec"
	is "$rc" 0 "[$MODE] probe runs: $err"
	is "$(field hostname)" buildkitsandbox "[$MODE] hostname"
	is "$(field cwd)" /w/x "[$MODE] cwd = WORKDIR, created"
	is "$(printf '%s\n' "$out" | sed -n 's/^env: //p')" "PATH=/bin
A=1 2
HOME=/root" "[$MODE] env = spec env + HOME from passwd"
	is "$(field CapEff | tr -d '\t')" 00000000a80425fb "[$MODE] effective caps = Docker default"
	is "$(field CapBnd | tr -d '\t')" 00000000a80425fb "[$MODE] bounding set = Docker default"
	is "$(field CapInh | tr -d '\t')$(field CapAmb | tr -d '\t')" 00000000000000000000000000000000 \
		"[$MODE] no inheritable or ambient caps"
	is "$(field NoNewPrivs | tr -d '\t')" 0 "[$MODE] no no_new_privs (BuildKit: setuid files work)"
	is "$(field fds)" "0 1 2" "[$MODE] only fds 0-2 are open"
	is "$(field pid)" 1 "[$MODE] command is pid 1 (as under runc)"
	for ns in mnt pid uts ipc; do
		got=$(printf '%s\n' "$out" | sed -n "s/^ns: //p" | grep "^$ns:")
		host=$($WRAP readlink /proc/self/ns/$ns)
		like "$got" "^$ns:\[[0-9]+\]$" "[$MODE] $ns namespace reported"
		check "[$MODE] own $ns namespace ($got vs $host)" test "$got" != "$host"
	done
	got=$(printf '%s\n' "$out" | sed -n 's/^ns: //p' | grep '^net:')
	check "[$MODE] default network: an own network namespace (netns.c)" \
		test "$got" != "$($WRAP readlink /proc/self/ns/net)"
	is "$(field netifs)" "lo tap0" "[$MODE] default network: lo and slirp4netns's tap0"
	local mounts
	mounts=$(printf '%s\n' "$out" | sed -n 's/^mount: \([^ ]*\) \([^ ]*\) \([^,]*\).*/\1 \2 \3/p')
	for m in "/ overlay rw" "/proc proc rw" "/dev tmpfs rw" "/dev/pts devpts rw" \
		"/dev/shm tmpfs rw" "/dev/mqueue mqueue rw" "/etc/hosts tmpfs ro" \
		"/etc/resolv.conf tmpfs ro" "/proc/sys proc ro"; do
		has_line "$mounts" "$m" "[$MODE] mount: $m"
	done
	has_line "$mounts" "/sys sysfs ro" "[$MODE] /sys read-only"
	if [ "$MODE" = rootless ]; then
		has_line "$mounts" "/dev/null devtmpfs rw" "[$MODE] /dev/null bound from the host"
	else
		# /dev is nodev (a node the command makes there cannot be opened):
		# the allowed nodes are made by mknod on a private tmpfs, each
		# bound in on its own.
		has_line "$mounts" "/dev/null tmpfs rw" "[$MODE] /dev/null made by mknod, bound into /dev"
	fi
	run_step k1p '{"parent":"base","args":["/bin/sh","-c","echo $$ $PPID; cat /proc/1/comm; ls /proc | grep -c \"^[0-9]\""],"env":["PATH=/bin"]}'
	is "$out" "1 0
sh
3" "[$MODE] the shell is pid 1 and /proc/1/comm, no init beside it (sh, ls, grep)"
	run_step k1d '{"parent":"base","args":["/bin/sh","-c","stat -c \"%n %F %t:%T %a\" /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty; head -c 3 /dev/zero | wc -c; echo gone >/dev/null; echo x >/dev/full || echo full"],"env":["PATH=/bin"]}'
	is "$out" "/dev/null character special file 1:3 666
/dev/zero character special file 1:5 666
/dev/full character special file 1:7 666
/dev/random character special file 1:8 666
/dev/urandom character special file 1:9 666
/dev/tty character special file 5:0 666
3
full" "[$MODE] /dev nodes: the host's devices, 0666, usable"
	is "$(ls "$S/k1/upper" | tr '\n' ' ')" "dev proc sys w " "[$MODE] upper: runc mount points + WORKDIR only"
	check "[$MODE] stamp written" test -f "$S/k1.done"
	like "$(cat "$S/k1/chain.json")" '"step":"k1"' "[$MODE] chain.json has the step's layer"

	touch "$T/host-marker"
	run_step k2 "{\"parent\":\"k1\",\"args\":[\"/bin/probe\",\"see\",\"$T/host-marker\",\"/bin/probe\"],\"env\":[],\"workdir\":\"/\"}"
	is "$out" "see $T/host-marker: no
see /bin/probe: yes" "[$MODE] host paths are invisible, rootfs visible"
	run_step k3 '{"parent":"k1","args":["/bin/sh","-c","cat /etc/hosts; echo x > /etc/hosts"],"env":["PATH=/bin"]}'
	like "$out" "127.0.0.1	localhost buildkitsandbox" "[$MODE] generated /etc/hosts"
	like "$err" "Read-only file system" "[$MODE] /etc/hosts is read-only"
	run_step k4 '{"parent":"k1","args":["/bin/probe"],"env":[],"network":"none"}'
	is "$(field netifs)" lo "[$MODE] network none: only lo"
	run_step k4h '{"parent":"k1","args":["/bin/probe"],"env":[],"network":"host","entitlements":["network.host"]}'
	is "$(printf '%s\n' "$out" | sed -n 's/^ns: //p' | grep '^net:')" "$($WRAP readlink /proc/self/ns/net)" \
		"[$MODE] network host (granted by the compiler): the host's network namespace"
	out=$(umask 077 && $WRAP "$DF2MAKE_RUNTIME_BIN" -q --state "$S" --store "$ST" run k4u \
		'{"parent":"k1","args":["/bin/probe"],"env":[]}')
	is "$(field umask)" 0022 "[$MODE] umask 022 whatever the caller's"
	run_step k4b '{"parent":"k1","args":["/bin/probe"],"env":[],"security":"insecure","entitlements":["security.insecure"]}'
	is "$(field CapBnd | tr -d '\t') $(field NoNewPrivs | tr -d '\t')" "$($WRAP sed -n 's/^CapBnd:\t//p' /proc/self/status) 0" \
		"[$MODE] security=insecure keeps the caller's capabilities, no no_new_privs"
	if [ "$MODE" = root ]; then # a user namespace may not mknod at all
		local mk='busybox mknod /n c 1 3 && { (echo x >/n) 2>/dev/null && echo opened || echo refused; }'
		run_step k4n '{"parent":"k1","args":["/bin/sh","-c","'"$mk"'"],"env":["PATH=/bin"]}'
		is "$out" refused "[$MODE] the rootfs is nodev: a node made by mknod does not open"
		run_step k4m '{"parent":"k1","args":["/bin/sh","-c","'"$mk"'"],"env":["PATH=/bin"],"security":"insecure","entitlements":["security.insecure"]}'
		is "$out" opened "[$MODE] security=insecure: devices on the rootfs open"
	fi
	run_step k5 '{"parent":"k1","args":["/bin/sh","-c","echo hi >/new; rm /bin/wc; mkdir -p /etc/d"],"env":["PATH=/bin"]}'
	is "$(cd "$S/k5/upper" && find . | LC_ALL=C sort | tr '\n' ' ')" \
		". ./bin ./bin/wc ./etc ./etc/d ./new " "[$MODE] upper holds exactly the changes (dev/proc/sys/w came from k1)"
	check "[$MODE] deletion is a whiteout" test -c "$S/k5/upper/bin/wc"
	check "[$MODE] no hosts/resolv.conf placeholders" test ! -e "$S/k5/upper/etc/hosts" -a ! -e "$S/k5/upper/etc/resolv.conf"
	# A root with no /etc (FROM scratch + COPY /bin): BuildKit's layer
	# keeps the /etc made for the hosts/resolv.conf mounts, not the files.
	rm -rf "$W/rootfs/etc"
	run_step k6 '{"parent":"base","args":["/bin/sh","-c","echo ran > /ran"],"env":["PATH=/bin"]}'
	is "$rc:$(cd "$S/k6/upper" && find . | LC_ALL=C sort | tr '\n' ' ')" "0:. ./dev ./etc ./proc ./ran ./sys " \
		"[$MODE] root without /etc: /etc stays in the layer, empty"
}
both_modes

#!/usr/bin/env bash
# The default RUN network (issue 13 item 3, runtime/netns.c): an own
# network namespace joined to the outside by slirp4netns. From inside a
# RUN the outside answers, but the host's loopback services and the host's
# own interface address do not; --network=none has only lo; AF_PACKET and
# AF_VSOCK sockets are refused; no slirp4netns process outlives its step;
# a missing slirp4netns is a clear error. As root the steps of one state
# dir share namespaces from a pool (runtime/netpool.c, last section); the
# per-step cases run with the pool off (DF2MAKE_NETPOOL=0).
#
# No traffic goes to this machine's real interfaces: the runtime runs in a
# network namespace made here ("host", H) whose veth leads to a second one
# ("outside", O) that plays the internet, with its own DNS server. The
# "host's" listeners are on H's loopback and on H's veth address; the
# machine's own routing is never touched.
. "$SRCDIR/tests/sh/sandbox/common.inc"
need python3 ip jq make nsenter unshare
real_root || skip_all "needs root of the initial user namespace (veth pairs)"
command -v slirp4netns >/dev/null || skip_all "slirp4netns not installed (Debian package slirp4netns)"

H=host O=outside # labels (log names); the namespaces are held by HPID, OPID
HOST_IP=198.51.100.1 OUT_IP=198.51.100.2 FAR_IP=203.0.113.10 DNS_IP=203.0.113.53
PL=8101 PA=8102 PO=8103 # host loopback, host any address, outside
LPIDS=() HPID= OPID=
cleanup() {
	local s
	for p in "${LPIDS[@]}" $HPID $OPID; do kill "$p" 2>/dev/null; done
	for s in "$T"/pool.*/state "$T/e2e/state"; do # the pool's keepers (a failed run's)
		[ -d "$s" ] && "$DF2MAKE_RUNTIME_BIN" --state "$s" clean 2>/dev/null
	done
}
trap cleanup EXIT

# ns_pid LABEL: the process holding that namespace.
ns_pid() { if [ "$1" = "$H" ]; then echo "$HPID"; else echo "$OPID"; fi; }
# in_ns LABEL CMD...: CMD in that network namespace and a private mount
# namespace of its own (mounts made there never reach the machine's).
in_ns() {
	local pid
	pid=$(ns_pid "$1")
	shift
	nsenter -t "$pid" -n unshare -m "$@"
}
# Two namespaces, each held by a sleeping process (not `ip netns add`:
# its names live in /run/netns, where two first-time users at once can
# hide each other's mounts), and a veth between them (TEST-NET addresses).
mknet() {
	local me i
	me=$(readlink /proc/self/ns/net)
	unshare -n sleep 3600 >/dev/null 2>&1 &
	HPID=$!
	unshare -n sleep 3600 >/dev/null 2>&1 &
	OPID=$!
	for i in $(seq 100); do
		[ "$(readlink /proc/$HPID/ns/net)" != "$me" ] &&
			[ "$(readlink /proc/$OPID/ns/net)" != "$me" ] && break
		sleep 0.02
	done
	HNS=$(readlink /proc/$HPID/ns/net)
	[ "$HNS" != "$me" ] && [ "$(readlink /proc/$OPID/ns/net)" != "$me" ] &&
		ip link add h0 netns "$HPID" type veth peer name o0 netns "$OPID" &&
		in_ns "$H" ip addr add "$HOST_IP/24" dev h0 &&
		in_ns "$O" ip addr add "$OUT_IP/24" dev o0 &&
		in_ns "$O" ip addr add "$FAR_IP/32" dev lo && in_ns "$O" ip addr add "$DNS_IP/32" dev lo &&
		in_ns "$H" ip link set lo up && in_ns "$O" ip link set lo up &&
		in_ns "$H" ip link set h0 up && in_ns "$O" ip link set o0 up &&
		in_ns "$H" ip route add default via "$OUT_IP"
}

# listen NS NAME ADDR PORT...: TCP listeners that greet with "hello from
# NAME" and log "NAME" to $T/conn.NS; "udp:ADDR": a UDP one that logs
# "NAME-udp DATA"; with "dns" as ADDR, a DNS server on PORT that answers
# every A query with $FAR_IP (and other types with none).
cat >"$T/listen.py" <<'PY'
import socket, sys, threading
log, name, far = sys.argv[1], sys.argv[2], sys.argv[3]
def tcp(addr, port):
    s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port)); s.listen(8)
    while True:
        c, _ = s.accept()
        with open(log, "a") as f: f.write(name + "\n")
        c.sendall(b"hello from " + name.encode() + b"\n"); c.close()
def udp(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    while True:
        d, _ = s.recvfrom(512)
        with open(log, "a") as f: f.write("%s-udp %s\n" % (name, d.decode(errors="replace")))
def dns(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", port))
    while True:
        q, a = s.recvfrom(512)
        end = q.index(b"\0", 12) + 5
        a_query = q[end - 4:end - 2] == b"\0\x01"
        ans = b"\xc0\x0c\0\x01\0\x01\0\0\0\x3c\0\x04" + socket.inet_aton(far) if a_query else b""
        s.sendto(q[:2] + b"\x81\x80" + q[4:6] + (b"\0\x01" if a_query else b"\0\0") +
                 b"\0\0\0\0" + q[12:end] + ans, a)
args = sys.argv[4:]
for addr, port in zip(args[::2], args[1::2]):
    if addr == "dns":
        t, a = dns, (int(port),)
    elif addr.startswith("udp:"):
        t, a = udp, (addr[4:], int(port))
    else:
        t, a = tcp, (addr, int(port))
    threading.Thread(target=t, args=a, daemon=True).start()
threading.Event().wait()
PY
listen() {
	local ns=$1 name=$2
	shift 2
	# Not in_ns in the background: $! would be the subshell running it, and
	# killing that leaves the listener behind. nsenter and unshare exec, so
	# this $! is the listener itself.
	nsenter -t "$(ns_pid "$ns")" -n unshare -m \
		python3 "$T/listen.py" "$T/conn.$ns" "$name" "$FAR_IP" "$@" &
	LPIDS+=($!)
}

mknet || skip_all "cannot make test network namespaces"
listen "$H" host-lo 127.0.0.1 $PL ::1 $PL
listen "$H" host-any 0.0.0.0 $PA udp:0.0.0.0 $PA
listen "$O" outside 0.0.0.0 $PO dns 53 udp:0.0.0.0 $PO
for i in $(seq 50); do
	in_ns "$O" python3 -c "import socket; socket.create_connection(('$OUT_IP', $PO))" \
		2>/dev/null && in_ns "$H" python3 -c \
		"import socket; socket.create_connection(('$HOST_IP', $PA)); socket.create_connection(('::1', $PL))" \
		2>/dev/null && break
	sleep 0.1
done
rm -f "$T/conn.$H" "$T/conn.$O"

# The "host's" resolv.conf as H sees it (a bind in in_ns's private mount
# namespace; slirp4netns reads it to forward DNS).
printf 'search example.test\noptions ndots:2\nnameserver %s\n' "$DNS_IP" >"$T/resolv.conf"
# in_host CMD...: CMD in H, with that resolv.conf, as $WRAP says.
in_host() {
	in_ns "$H" sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' \
		"$T/resolv.conf" $WRAP "$@"
}
# net_step KEY NETWORK SCRIPT [FIELDS]: runs SCRIPT in a RUN in H (network
# host with its grant, as df2make --allow network.host writes it; FIELDS:
# more of the spec, ',"k":v'); sets out, err, rc.
net_step() {
	local f=$W/out.$BASHPID g=$W/err.$BASHPID grant=${4:-} # BASHPID: steps at once
	[ "$2" = host ] && grant=',"entitlements":["network.host"]'
	in_host "$DF2MAKE_RUNTIME_BIN" -q --state "$S" --store "$ST" run "$1" \
		"{\"parent\":\"base\",\"network\":\"$2\"$grant,\"args\":[\"/bin/sh\",\"-c\",\"$3\"],\"env\":[\"PATH=/bin\"]}" \
		>"$f" 2>"$g"
	rc=$?
	out=$(cat "$f") err=$(cat "$g")
	rm -f "$f" "$g"
}
# helpers_in_host: slirp4netns processes in H (the runtime's children).
helpers_in_host() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/ns/net" 2>/dev/null)" = "$HNS" ] &&
			[ "$(cat "$p/comm" 2>/dev/null)" = slirp4netns ] && echo "${p#/proc/}"
	done
}

cases() {
	fresh network
	ln -s busybox "$W/rootfs/bin/nslookup"

	net_step h1 host "probe connect 127.0.0.1 $PL; probe connect $HOST_IP $PA"
	is "$out" "connect 127.0.0.1 $PL: ok hello from host-lo
connect $HOST_IP $PA: ok hello from host-any" \
		"[$MODE] --network=host (the entitlement) reaches the host's listeners: they work"
	rm -f "$T/conn.$H"
	net_step h2 host "probe udp $HOST_IP $PA u-host"
	for _ in $(seq 20); do
		[ -s "$T/conn.$H" ] && break
		sleep 0.1
	done
	is "$(cat "$T/conn.$H" 2>/dev/null)" "host-any-udp u-host" "[$MODE] --network=host: the host's UDP listener works"
	rm -f "$T/conn.$H" "$T/conn.$O"

	net_step d1 default "probe connect $OUT_IP $PO; probe connect $FAR_IP $PO"
	is "$out" "connect $OUT_IP $PO: ok hello from outside
connect $FAR_IP $PO: ok hello from outside" \
		"[$MODE] default network: the outside answers, on-link and routed ($err)"
	net_step d2 default "cat /etc/resolv.conf; nslookup far.example.test | grep -A1 '^Name:'"
	is "$out" "search example.test
options ndots:2
nameserver 10.0.2.3
Name:	far.example.test
Address: $FAR_IP" "[$MODE] resolv.conf: the host's search and options, slirp4netns's DNS forwarder, which resolves"

	net_step d3 default "probe connect 127.0.0.1 $PL; probe connect ::1 $PL; probe connect 10.0.2.2 $PL; probe connect 10.0.2.2 $PA; probe connect $HOST_IP $PA; probe connect 10.0.2.3 $PA"
	is "$out" "connect 127.0.0.1 $PL: Connection refused
connect ::1 $PL: Connection refused
connect 10.0.2.2 $PL: Network is unreachable
connect 10.0.2.2 $PA: Network is unreachable
connect $HOST_IP $PA: No route to host
connect 10.0.2.3 $PA: Network is unreachable" \
		"[$MODE] default network: the host's loopback, its gateway alias and its own address are out of reach"
	rm -f "$T/conn.$O"
	net_step d4 default "for a in $HOST_IP 198.51.100.255 255.255.255.255 224.0.0.251 10.0.2.2 10.0.2.255; do probe udp \$a $PA u-\$a; done; probe udp $OUT_IP $PO u-out; sleep 1"
	is "$out" "udp $HOST_IP $PA: No route to host
udp 198.51.100.255 $PA: sent
udp 255.255.255.255 $PA: sent
udp 224.0.0.251 $PA: sent
udp 10.0.2.2 $PA: sent
udp 10.0.2.255 $PA: sent
udp $OUT_IP $PO: sent" "[$MODE] UDP to the host's address, broadcasts, multicast, the gateway, and outside"
	for _ in $(seq 20); do
		grep -q u-out "$T/conn.$O" 2>/dev/null && break
		sleep 0.1
	done
	is "$(cat "$T/conn.$O" 2>/dev/null)" "outside-udp u-out" "[$MODE] the outside's UDP listener got its datagram"
	is "$(cat "$T/conn.$H" 2>/dev/null)" "" "[$MODE] no connection or datagram reached a host listener"
	rm -f "$T/conn.$O"

	net_step n1 none "probe | grep ^netifs; probe connect $OUT_IP $PO"
	is "$out" "netifs: lo
connect $OUT_IP $PO: Network is unreachable" "[$MODE] --network=none: lo only, nothing outside"

	for n in default none; do
		net_step s-$n $n "probe sockets"
		is "$out" "socket-packet: Operation not permitted
socket-vsock: Operation not permitted
socketpair-packet: Operation not permitted
socketpair-vsock: Operation not permitted
socket-inet: allowed
socketpair-unix: allowed" "[$MODE] network $n: AF_PACKET and AF_VSOCK sockets refused (seccomp)"
	done

	# A helper is there while a step runs, and gone when the runtime returns.
	net_step l0 default "true" # warm: the check below is about one step
	# The step lasts 5 s and the helper is looked for up to 10 s: a loaded
	# machine may take seconds to set the step up.
	(net_step l1 default "sleep 5") &
	local bg=$! seen=
	for _ in $(seq 200); do
		seen=$(helpers_in_host)
		[ -n "$seen" ] && break
		sleep 0.05
	done
	wait "$bg"
	check "[$MODE] a slirp4netns runs beside the step" test -n "$seen"
	is "$(helpers_in_host)" "" "[$MODE] no slirp4netns left once the step is over"
	# kill -9 of the runtime (make interrupted): the exit fd closes with it.
	(exec nsenter -t "$HPID" -n unshare -m $WRAP "$DF2MAKE_RUNTIME_BIN" -q --state "$S" --store "$ST" run l2 \
		'{"parent":"base","args":["/bin/probe","sleep","30"],"env":[]}' >/dev/null 2>&1) &
	bg=$! seen=
	for _ in $(seq 200); do
		seen=$(helpers_in_host)
		[ -n "$seen" ] && break
		sleep 0.05
	done
	kill -9 "$bg" # the subshell, nsenter, unshare and $WRAP all exec: this is the runtime
	wait "$bg" 2>/dev/null
	for _ in $(seq 40); do
		[ -z "$(helpers_in_host)" ] && break
		sleep 0.05
	done
	check "[$MODE] runtime killed mid-step: its slirp4netns was there ($seen) and is gone" \
		test -n "$seen" -a -z "$(helpers_in_host)"

	mkdir -p "$W/nopath"
	local f=$W/np.err
	in_ns "$H" $WRAP env PATH="$W/nopath" "$DF2MAKE_RUNTIME_BIN" -q --state "$S" \
		--store "$ST" run m1 '{"parent":"base","args":["/bin/probe","exit","0"],"env":["PATH=/bin"]}' 2>"$f"
	rc=$?
	is "$rc:$(cat "$f")" "1:df2make-runtime: RUN step: network: slirp4netns not found in PATH: install the Debian package slirp4netns, or use RUN --network=none" \
		"[$MODE] no slirp4netns: the RUN fails naming the package"
	check "[$MODE] ... and is not marked done" test ! -e "$S/m1.done"
	in_ns "$H" $WRAP env PATH="$W/nopath" "$DF2MAKE_RUNTIME_BIN" -q --state "$S" \
		--store "$ST" run m2 '{"parent":"base","network":"none","args":["/bin/probe","exit","0"],"env":["PATH=/bin"]}' 2>"$f"
	is "$?:$(cat "$f")" "0:" "[$MODE] --network=none needs no slirp4netns"
	mkdir -p "$W/fake"
	printf '#!/bin/sh\necho "WARNING: x" >&2\necho "open(\\"/dev/net/tun\\"): Permission denied" >&2\necho "child failed(1)" >&2\nexit 1\n' \
		>"$W/fake/slirp4netns"
	chmod 755 "$W/fake/slirp4netns"
	in_ns "$H" $WRAP env PATH="$W/fake" "$DF2MAKE_RUNTIME_BIN" -q --state "$S" \
		--store "$ST" run m3 '{"parent":"base","args":["/bin/probe","exit","0"],"env":["PATH=/bin"]}' 2>"$f"
	is "$?:$(cat "$f")" '1:df2make-runtime: RUN step: network: slirp4netns failed: open("/dev/net/tun"): Permission denied; child failed(1)' \
		"[$MODE] slirp4netns failing: the RUN fails with its words"
}

# The whole pipeline: df2make's spec for a plain RUN, RUN --network=none
# and RUN --network=host (granted with --allow), built by make in H; what
# each RUN saw is in the image.
e2e() {
	local d=$T/e2e l
	rm -rf "$d"
	mkdir -p "$d/ctx" "$d/img" "$d/fs"
	mkroot "$d/rootfs"
	tar -C "$d/rootfs" -cf "$d/rootfs.tar" . &&
		"$DF2MAKE_RUNTIME_BIN" --store "$d/store" import "$d/rootfs.tar" netbase >/dev/null
	printf 'FROM netbase\nRUN probe connect %s %s >/out.default; true\nRUN --network=none probe connect %s %s >/out.none; true\nRUN --network=host probe connect 127.0.0.1 %s >/out.host; true\n' \
		"$OUT_IP" "$PO" "$OUT_IP" "$PO" "$PL" >"$d/ctx/Dockerfile"
	"$DF2MAKE" --allow network.host --store "$d/store" --state "$d/state" -o "$d/image.tar" \
		"$d/ctx" >"$d/build.mk" &&
		WRAP= in_host make -f "$d/build.mk" >"$d/log" 2>&1
	rc=$?
	is "$rc" 0 "[e2e] df2make + make in the test network: built"
	[ "$rc" = 0 ] || tail -20 "$d/log" | sed 's/^/#   /'
	tar -C "$d/img" -xf "$d/image.tar" 2>/dev/null
	for l in $(jq -r '.[0].Layers[]' "$d/img/manifest.json" 2>/dev/null); do
		tar -C "$d/fs" -xf "$d/img/$l"
	done
	is "$(cat "$d/fs/out.default" "$d/fs/out.none" "$d/fs/out.host" 2>&1)" "connect $OUT_IP $PO: ok hello from outside
connect $OUT_IP $PO: Network is unreachable
connect 127.0.0.1 $PL: ok hello from host-lo" \
		"[e2e] RUN reaches the outside; --network=none nothing; --network=host (--allow) the host"
	rm -f "$T/conn.$H"
}

# unpriv: uid 65534, so the runtime makes the user namespace itself and
# slirp4netns must join it (--userns-path). This machine's /dev/net/tun is
# 0600, so a 0666 node of the same device is bound over it, in in_ns's
# private mount namespace only (Debian's is 0666 anyway).
unpriv_setup() {
	command -v setpriv >/dev/null && setpriv --reuid=65534 --regid=65534 --clear-groups \
		unshare -U true 2>/dev/null || return 1
	# the user runs this build's runtime: not from a private checkout
	setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$DF2MAKE_RUNTIME_BIN" ||
		return 1
	mkdir -p "$T/tundir" && chmod 700 "$T/tundir" && mknod -m 666 "$T/tundir/tun" c 10 200 ||
		return 1
	printf '#!/bin/sh\nmount --bind "%s" /dev/net/tun &&\n\texec setpriv --reuid=65534 --regid=65534 --clear-groups "$@"\n' \
		"$T/tundir/tun" >"$T/unpriv.sh"
	chmod 755 "$T/unpriv.sh"
	chmod o+x "$T" # the state dir below it is the user's
	fresh() {
		W=$T/$MODE.$1
		S=$W/state ST=$W/store
		rm -rf "$W"
		mkdir -p "$S/base" "$ST"
		mkroot "$W/rootfs"
		printf '[{"dir":"%s"}]\n' "$W/rootfs" >"$S/base/chain.json"
		chown -R 65534:65534 "$W"
	}
}

# gone_within SECONDS: until no slirp4netns is left in H, at most that
# long (by the clock: one helpers_in_host may take a while); sets gone.
gone_within() {
	local end=$((SECONDS + $1))
	while :; do
		gone=$(helpers_in_host) # (its status is its last test's: not looked at)
		if [ -z "$gone" ] || [ "$SECONDS" -ge "$end" ]; then break; fi
		sleep 0.1
	done
}

# pool: root's default-network steps of one state dir take turns in
# namespaces that keepers hold between them (runtime/netpool.c).
pool() {
	local ns1 ns3 ns4 ns5 ns6 gone i bg h2 h3
	MODE=pool WRAP=
	fresh one
	chown -R 0:0 "$W" # not unpriv_setup's user: clean wants the state its caller's
	export DF2MAKE_NETPOOL=60
	net_step p1 default "readlink /proc/self/ns/net; probe connect $OUT_IP $PO"
	ns1=${out%%$'\n'*}
	local far="probe connect $FAR_IP $PO" hostaddr="probe connect $HOST_IP $PA"
	net_step p2 default "readlink /proc/self/ns/net; $far; $hostaddr; probe connect 10.0.2.2 $PL"
	is "$out" "$ns1
connect $FAR_IP $PO: ok hello from outside
connect $HOST_IP $PA: No route to host
connect 10.0.2.2 $PL: Network is unreachable" \
		"[pool] the next step joins the same namespace: the outside answers, the host does not ($err)"
	h2=$(helpers_in_host)
	check "[pool] ... whose slirp4netns stays between the steps" test -n "$h2"
	# the host got an address since: not that keeper, one that blocks it
	in_ns "$H" ip addr add 198.51.100.7/32 dev h0
	net_step p3 default "readlink /proc/self/ns/net; probe connect 198.51.100.7 $PA"
	in_ns "$H" ip addr del 198.51.100.7/32 dev h0
	ns3=${out%%$'\n'*} h3=$(helpers_in_host)
	is "${out#*$'\n'}" "connect 198.51.100.7 $PA: No route to host" \
		"[pool] a host address added between steps is out of reach too ($err)"
	# (not the namespaces' inode numbers: the first one's is free for reuse)
	check "[pool] ... by a new keeper's namespace (slirp4netns $h2 then $h3)" \
		test -n "$h3" -a "$h3" != "$h2"
	DF2MAKE_TIMING=1 net_step p4 default "readlink /proc/self/ns/net" \
		',"security":"insecure","entitlements":["security.insecure"]'
	ns4=${out%%$'\n'*}
	check "[pool] security=insecure (CAP_NET_ADMIN) never gets a pooled namespace ($ns4)" \
		test -n "$ns4" -a "$ns4" != "$ns3"
	like "$err" "^timing: .*netwait" "[pool] ... but a stack of its own"
	# two steps at once: two namespaces
	(net_step p5 default "readlink /proc/self/ns/net | tee /p5ns; sleep 3" &&
		echo "$out" >"$W/p5") &
	bg=$!
	for i in $(seq 200); do # until p5's command runs (its upper is ours to see)
		[ -s "$S/p5/upper/p5ns" ] && break
		sleep 0.05
	done
	net_step p6 default "readlink /proc/self/ns/net"
	ns6=$out
	wait "$bg"
	ns5=$(cat "$W/p5")
	check "[pool] concurrent steps get namespaces of their own ($ns5, $ns6)" \
		test -n "$ns5" -a -n "$ns6" -a "$ns5" != "$ns6"
	check "[pool] two keepers are up" test -n "$(helpers_in_host | sed -n 2p)"
	in_ns "$H" "$DF2MAKE_RUNTIME_BIN" --state "$S" clean
	gone_within 10 # well within their 60 idle seconds
	is "$gone" "" "[pool] df2make-runtime clean stops the keepers and their slirp4netns"
	fresh two
	chown -R 0:0 "$W"
	export DF2MAKE_NETPOOL=1
	DF2MAKE_TIMING=1 net_step p7 default "probe connect $OUT_IP $PO"
	is "$out" "connect $OUT_IP $PO: ok hello from outside" "[pool] DF2MAKE_NETPOOL=1: it works"
	like "$err" "^timing: .*\(net [0-9.]+/[0-9.]+\) cleanup" \
		"[pool] ... in a pooled namespace: no wait for a stack (no netwait)"
	gone_within 10
	[ -z "$gone" ] || ps -o pid,ppid,etime,stat,args -p "$(echo $gone | tr ' ' ,)" | sed 's/^/# /'
	is "$gone" "" "[pool] an idle keeper goes after DF2MAKE_NETPOOL seconds, its slirp4netns too"
	fresh three
	export DF2MAKE_NETPOOL=60
	net_step p8 default "probe connect $OUT_IP $PO"
	is "$out" "connect $OUT_IP $PO: ok hello from outside" "[pool] one more keeper ($err)"
	rm -rf "$S" # make clean
	gone_within 10
	is "$gone" "" "[pool] the state dir removed: its keeper goes within a second or so"
	export DF2MAKE_NETPOOL=0
}

ip link show tap0 >/dev/null 2>&1 && tap_before=yes || tap_before=no
export DF2MAKE_NETPOOL=0 # the per-step network; the pool has its own section
MODE=root WRAP= cases
if unshare -r true 2>/dev/null; then
	MODE=rootless WRAP="unshare -r" cases
else
	skip "rootless mode" "no user namespaces"
fi
if unpriv_setup; then
	MODE=unpriv WRAP="$T/unpriv.sh" cases
	if setpriv --reuid=65534 --regid=65534 --clear-groups test -w /dev/net/tun; then
		skip "[unpriv] no access to /dev/net/tun" "it is open to everyone here"
	else
		MODE=unpriv WRAP="setpriv --reuid=65534 --regid=65534 --clear-groups" \
			net_step t2 default true # W, S, ST: cases' last fresh, the user's
		is "$rc:$err" "1:df2make-runtime: RUN step: network: open /dev/net/tun (RUN --network=none needs none): Permission denied" \
			"[unpriv] /dev/net/tun closed to the user: a clear error"
	fi
else
	skip "unprivileged mode" "uid 65534 cannot make user namespaces (or no setpriv/mknod)"
fi
unset DF2MAKE_NETPOOL # make's steps: the pool as a user gets it
e2e
in_ns "$H" "$DF2MAKE_RUNTIME_BIN" --state "$T/e2e/state" clean # its keepers
pool
ip link show tap0 >/dev/null 2>&1 && tap_after=yes || tap_after=no
is "$tap_before $tap_after" "no no" "no tap0 (persistent in the steps' namespaces) reaches the initial namespace"
done_testing

#!/usr/bin/env bash
# Host devices from a RUN (issue 13 item 4). Docker's default device rules
# let a container mknod anything but read or write only null, zero, full,
# random, urandom, tty, console and the ptys. Here every filesystem of the
# sandbox is nodev except the allowed /dev nodes (bind mounts of their
# own), so a node made by the RUN, one made by an earlier RUN, one shipped
# in a base image layer or an ADDed archive, or one in a cache or tmpfs
# mount can be created but not opened. Docker's open fails with EPERM
# (device cgroup), ours with EACCES ("Permission denied").
# The devices are ones this host can open itself: loop0, zram0, hwrng.
. "$SRCDIR/tests/sh/security/common.bash"

# The host's devices, "name type major minor", those root here can open.
devs=()
for spec in "loop0 b /sys/block/loop0/dev" "zram0 b /sys/block/zram0/dev" \
	"hwrng c /sys/class/misc/hwrng/dev"; do
	set -- $spec
	if [ -r "$3" ] && [ -e "/dev/$1" ] && (exec 3<"/dev/$1") 2>/dev/null; then
		devs+=("$1 $2 $(tr ':' ' ' <"$3")")
	else
		skip "host device $1" "this host has no $1 it can open"
	fi
done
[ ${#devs[@]} -gt 0 ] || { skip "device nodes from a RUN" "no host device to try"; done_testing; exit; }

# The base image and the ADDed archive ship each device as a node.
mkdir -p "$T/extra/img" "$T/addsrc"
for d in "${devs[@]}"; do
	set -- $d
	mknod -m 600 "$T/extra/img/$1" "$2" "$3" "$4"
	mknod -m 600 "$T/addsrc/$1" "$2" "$3" "$4"
done
base_image busybox "$T/extra" || { not_ok "base image import"; done_testing; exit 1; }

D=$T/b
dockerfile "$D" "FROM busybox
ADD devs.tar /added/
RUN mkdir /prev$(for d in "${devs[@]}"; do set -- $d; printf ' && mknod /prev/%s %s %s %s' "$1" "$2" "$3" "$4"; done)
COPY try.sh /
RUN --mount=type=cache,target=/c,id=devices --mount=type=tmpfs,target=/t sh /try.sh"
tar -C "$T/addsrc" -cf "$D/ctx/devs.tar" .
{
	# try LABEL PATH r|w|rw: "open LABEL: ok" or the error's last words.
	echo 'try() {
	case $3 in r) r=$( (exec 3<"$2") 2>&1 ) ;; w) r=$( (exec 3>"$2") 2>&1 ) ;;
	*) r=$( (exec 3<>"$2") 2>&1 ) ;; esac
	if [ -n "$r" ]; then r=${r##*: }; else r=ok; fi
	echo "open $1: $r"
}
mk() { mknod "$2" $3 $4 $5 && echo "mknod $1: ok" || echo "mknod $1: failed"; try "$1" "$2" r; try "$1 (w)" "$2" w; }'
	for d in "${devs[@]}"; do
		set -- $d
		for where in /root /tmp /dev /c /t; do
			echo "mk '$1 made in $where' $where/mk-$1 $2 $3 $4"
		done
		echo "try '$1 from the base image' /img/$1 r"
		echo "try '$1 from an ADDed archive' /added/$1 r"
		echo "try '$1 made by an earlier RUN' /prev/$1 r"
	done
	echo 'try null /dev/null w; try zero /dev/zero r; try full /dev/full w
try random /dev/random r; try urandom /dev/urandom r; try ptmx /dev/ptmx rw
try tty /dev/tty rw; echo "full write: $( (echo x >/dev/full) 2>&1 | sed "s/.*: //")"
echo "zero bytes: $(head -c 5 /dev/zero | wc -c)"
ls -ln /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty | awk "{print \"node \" \$NF \": \" \$1, \$3\":\"\$4, \$5 \$6}"
echo try-done'
} >"$D/ctx/try.sh"
build "$D"
is "$rc" 0 "the build runs"
L=$(sed -E 's/^#[0-9a-f]+ ([0-9]+\.[0-9]+ )?//' "$D/log")
val() { printf '%s\n' "$L" | awk -v k="$1: " 'index($0, k) == 1 { print substr($0, length(k) + 1); exit }'; }
like "$L" "try-done" "the probe script ran to its end"

for d in "${devs[@]}"; do
	set -- $d
	for where in /root /tmp /dev /c /t; do
		is "$(val "mknod $1 made in $where")" ok "mknod of $1 in $where succeeds (as in Docker)"
		is "$(val "open $1 made in $where")" "Permission denied" "$1 made in $where cannot be read"
		is "$(val "open $1 made in $where (w)")" "Permission denied" "$1 made in $where cannot be written"
	done
	for src in "from the base image" "from an ADDed archive" "made by an earlier RUN"; do
		is "$(val "open $1 $src")" "Permission denied" "$1 $src cannot be opened"
	done
done
for a in null zero full random urandom ptmx; do
	is "$(val "open $a")" ok "/dev/$a can be opened"
done
# No controlling terminal in a RUN: the tty device is allowed, the open
# fails for that reason only (Docker's build gives the same).
is "$(val "open tty")" "No such device or address" "/dev/tty is allowed (ENXIO: no controlling tty)"
is "$(val "full write")" "No space left on device" "/dev/full is the real device"
is "$(val "zero bytes")" 5 "/dev/zero reads zeros"
is "$(val "node /dev/null")" "crw-rw-rw- 0:0 1,3" "/dev/null as runc makes it (mode, owner, numbers)"
is "$(val "node /dev/tty")" "crw-rw-rw- 0:0 5,0" "/dev/tty as runc makes it"
# The nodes stay in the image (Docker keeps them too): only opening fails.
unpack_image "$D"
prev=$(find "$D/layers" -path '*/prev/*' -type b -o -path '*/prev/*' -type c | head -1)
check "the earlier RUN's nodes are in its layer ($prev)" [ -n "$prev" ]
check "no mount left under the state dir" no_state_mounts "$D/state"
done_testing

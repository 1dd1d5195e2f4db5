# The unprivileged test user shared by the rootless tests (sourced after
# tests/lib.sh). rootless_user makes it when missing (kept between runs:
# adding users is not cheap to undo), with a subordinate id range for
# newuidmap/newgidmap, and sets RLUSER, RLUID, RLGID. It calls skip_all with
# the reason when the machine cannot: not root of the initial user
# namespace, no user namespaces, no useradd or uidmap.
# rootless_can_run FILE...: skip_all unless the user may run each FILE (a
# checkout in a private directory such as /root does not let it).
# rootless_start: a static BUSYBOX (skip_all without), the user, and the
# binaries it must run: what a test building as the user needs first.
# rootless_workdir NAME: W, a fresh directory of the user's (root's temp
# dir is 0700), removed at exit. as_user CMD...: CMD as the user in $W/ctx,
# with a store of the user's own in $W.
RLUSER=df2mkrl

rootless_user() {
	need setpriv useradd usermod
	[ "$(id -u)" = 0 ] && awk '$3 != 4294967295 {exit 1}' /proc/self/uid_map ||
		skip_all "needs root of the initial user namespace (to make a test user)"
	unshare -r true 2>/dev/null || skip_all "no user namespaces"
	id "$RLUSER" >/dev/null 2>&1 || useradd -M -d /nonexistent -s /usr/sbin/nologin "$RLUSER" ||
		skip_all "useradd $RLUSER failed"
	RLUID=$(id -u "$RLUSER") RLGID=$(id -g "$RLUSER")
	local f
	for f in subuid subgid; do
		grep -q "^$RLUSER:" /etc/$f 2>/dev/null ||
			usermod --add-"${f}s" 2000000-2065535 "$RLUSER" ||
			skip_all "usermod --add-${f}s failed"
	done
	command -v newuidmap >/dev/null && command -v newgidmap >/dev/null ||
		skip_all "newuidmap/newgidmap (package uidmap) not installed"
}

rootless_can_run() {
	local b
	for b in "$@"; do
		setpriv --reuid="$RLUID" --regid="$RLGID" --clear-groups test -x "$b" ||
			skip_all "$b cannot be run by $RLUSER (a directory above it is private)"
	done
}

rootless_workdir() {
	W=$(mktemp -d "/var/tmp/$1.XXXXXX")
	trap 'rm -rf "$W"' EXIT
	chown "$RLUSER:" "$W"
}

as_user() {
	(cd "$W/ctx" && setpriv --reuid="$RLUID" --regid="$RLGID" --clear-groups \
		env HOME="$W" DF2MAKE_STORE="$W/store" "$@")
}

rootless_start() {
	BUSYBOX=$(command -v busybox || echo /bin/busybox)
	[ -x "$BUSYBOX" ] && file -L "$BUSYBOX" 2>/dev/null | grep -q 'statically linked' ||
		skip_all "static busybox (busybox-static) not installed"
	rootless_user
	rootless_can_run "$DF2MAKE" "$DF2MAKE_RUNTIME_BIN"
}

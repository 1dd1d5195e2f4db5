# Rootless builds, end to end (df2make, make, df2make-runtime) as a real
# unprivileged user made for the test: the overlay work dirs that the
# kernel leaves mode 0 never stop the next run or `make clean`.
# The user's RUN steps use --network=none: /dev/net/tun is 0600 root here,
# so the default network (slirp4netns) cannot start for them.
. "$SRCDIR/tests/lib.sh"
need make setpriv useradd
BUSYBOX=$(command -v busybox || echo /bin/busybox)
[ -x "$BUSYBOX" ] && file -L "$BUSYBOX" 2>/dev/null | grep -q 'statically linked' ||
	skip_all "static busybox (busybox-static) not installed"
[ "$(id -u)" = 0 ] && awk '$3 != 4294967295 {exit 1}' /proc/self/uid_map ||
	skip_all "needs root of the initial user namespace (to make a test user)"
unshare -r true 2>/dev/null || skip_all "no user namespaces"

# The test user (kept between runs: adding users is not cheap to undo).
RLUSER=df2mkrl
id "$RLUSER" >/dev/null 2>&1 || useradd -M -d /nonexistent -s /usr/sbin/nologin "$RLUSER" ||
	skip_all "useradd $RLUSER failed"
RLUID=$(id -u "$RLUSER") RLGID=$(id -g "$RLUSER")

# Root's temp dir is 0700: the user's files live in their own dir.
W=$(mktemp -d /var/tmp/df2make-rootless.XXXXXX)
trap 'rm -rf "$W"' EXIT
chown "$RLUSER:" "$W"

# as_user CMD...: runs CMD as the test user in $W/ctx.
as_user() {
	(cd "$W/ctx" && setpriv --reuid="$RLUID" --regid="$RLGID" --clear-groups \
		env HOME="$W" DF2MAKE_STORE="$W/store" "$@")
}

# build: compiles $W/ctx/Dockerfile and makes it as the user; sets rc, log.
build() {
	as_user "$DF2MAKE" . >"$W/build.mk" 2>"$W/compile.log" &&
		cp "$W/build.mk" "$W/ctx/build.mk" &&
		as_user make -f build.mk DF2MAKE_RUNTIME="$DF2MAKE_RUNTIME_BIN" >"$W/make.log" 2>&1
	rc=$?
	log=$(cat "$W/compile.log" "$W/make.log")
}

# closed_dirs: directories of the state the user may not enter.
closed_dirs() { find "$W/ctx/.df2make" -type d ! -perm -u=rx 2>/dev/null; }

ctx() {
	rm -rf "$W/ctx"
	mkdir -p "$W/ctx"
	cp "$BUSYBOX" "$W/ctx/busybox"
	cat >"$W/ctx/Dockerfile"
	chown -R "$RLUSER:" "$W/ctx"
}

# 1. A failing RUN leaves no mode-0 overlay dirs; make clean removes all.
ctx <<'EOF'
FROM scratch
COPY busybox /bin/busybox
RUN --network=none ["/bin/busybox", "sh", "-c", "exit 3"]
EOF
build
like "$log" "exit status 3" "the failing RUN fails as the user"
is "$(closed_dirs)" "" "no directory of the state is closed to its owner after the failure"
out=$(as_user make -f build.mk clean 2>&1)
is "$?" 0 "make clean succeeds after a failed rootless RUN"
printf '%s\n' "$out" | sed 's/^/#   /' | head -5
check "make clean removed the state dir" test ! -e "$W/ctx/.df2make"

# 2. Mode-0 work dirs left by a killed run do not stop the step's rerun.
ctx <<'EOF'
FROM scratch
COPY busybox /bin/busybox
RUN --network=none ["/bin/busybox", "touch", "/made"]
EOF
build
is "$rc" 0 "a rootless RUN builds"
key=$(grep -o ' run [0-9a-f]\{32\}' "$W/build.mk" | head -1 | cut -c6-)
S=$W/ctx/.df2make
for d in "$S/$key/work/work/incompat/volatile" "$S/$key/discard-0/work/work/incompat/volatile"; do
	as_user mkdir -p "$d"
	as_user chmod 0 "$d" "${d%/volatile}" "${d%/incompat/volatile}"
done
rm -f "$S/$key.done"
build
is "$rc" 0 "the step reruns over mode-0 work dirs left by a killed run"
printf '%s\n' "$log" | grep -i error | sed 's/^/#   /' | head -5
is "$(closed_dirs)" "" "the rerun removed them"
done_testing

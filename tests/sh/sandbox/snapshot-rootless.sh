# The snapshot mount tests (tests/unit/test_snapshot) again in the two
# rootless situations: already uid 0 in a user namespace (`unshare -r`,
# userxattr and redirect_dir=nofollow), and an unprivileged uid that makes
# its own user namespace (snapshot_private_ns mapping it to 0).
. "$SRCDIR/tests/lib.sh"
need unshare setpriv
bin=$BUILDDIR/tests/unit/test_snapshot
[ -x "$bin" ] || skip_all "test_snapshot not built"
unshare -r true 2>/dev/null || skip_all "no user namespaces"

out=$(cd / && unshare -r "$bin" 2>&1); rc=$?
is "$rc" 0 "test_snapshot passes under unshare -r"
like "$out" "private namespace \(userns: 1\)" "it ran the mount tests in a user namespace"
is "$(printf '%s\n' "$out" | grep -c '^not ok')" 0 "no failures under unshare -r"

# uid 65534 must exist: root of the initial user namespace only.
if [ "$(id -u)" = 0 ] && awk '$3 != 4294967295 {exit 1}' /proc/self/uid_map &&
	setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$bin"; then
	out=$(cd / && TMPDIR=/tmp setpriv --reuid=65534 --regid=65534 --clear-groups "$bin" 2>&1); rc=$?
	is "$rc" 0 "test_snapshot passes as uid 65534"
	like "$out" "ok [0-9]+ - 80-layer chain mounts" "an unprivileged user mounted a long chain"
else
	skip "as uid 65534" "not root of the initial user namespace, or the binary is in a private directory"
fi
done_testing

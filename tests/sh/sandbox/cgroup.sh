# /sys/fs/cgroup in RUN (runtime/mounts_cgroup.c): the cgroup filesystem
# BuildKit asks runc for, read-only, as root and rootless; on this host's
# own layout (v1 or v2), then on a cgroup v2 layout made in a private mount
# namespace (root only), whatever the host has.
. "$SRCDIR/tests/sh/sandbox/common.inc"

# the step: its mounts and cgroups, then a child cgroup made in the first
# hierarchy mounted for it and at the top of /sys/fs/cgroup
STEP='cat /proc/self/mountinfo; echo; cat /proc/self/cgroup;'
STEP="$STEP while read -r a b c d mp rest; do case \$mp in /sys/fs/cgroup/*)"
STEP="$STEP mkdir \$mp/x 2>&1; break;; esac; done < /proc/self/mountinfo;"
STEP="$STEP mkdir /sys/fs/cgroup/x2 2>&1; true"
CG='{"parent":"base","args":["/bin/sh","-c","'$STEP'"],"env":["PATH=/bin"]}'
# mounts NAME: "MOUNTPOINT OPTS TYPE" of what $out shows at /sys/fs/cgroup*
mounts() { printf '%s\n' "$out" | awk '$5 ~ "^/sys/fs/cgroup" {print $5, $6, $(NF-2)}'; }

cases() {
	fresh cgroup
	run_step k1 "$CG"
	is "$rc" 0 "[$MODE] the step runs: $err"
	top=$(mounts | awk '$1 == "/sys/fs/cgroup"') nmounts=$(mounts | grep -c .)
	if [ "$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]; then
		like "$top" "^/sys/fs/cgroup ro,nosuid,nodev,noexec[^ ]* cgroup2$" \
			"[$MODE] v2 host: a read-only cgroup2 at /sys/fs/cgroup"
	else
		like "$top" "^/sys/fs/cgroup rw,nosuid,nodev,noexec[^ ]* tmpfs$" \
			"[$MODE] v1 host: a tmpfs at /sys/fs/cgroup (as runc's)"
		# a bind for each hierarchy where the step's cgroup is not the root
		own=$(printf '%s\n' "$out" | grep -E '^[0-9]+:[^:]+:/.+' | wc -l)
		is "$(mounts | awk '$1 != "/sys/fs/cgroup"' | wc -l)" "$own" \
			"[$MODE] v1 host: one bind per hierarchy where the step has a cgroup below the root"
		is "$(mounts | awk '$1 != "/sys/fs/cgroup" && $2 !~ /^ro,nosuid,nodev,noexec/' | wc -l)" 0 \
			"[$MODE] v1 host: each hierarchy read-only, nosuid, nodev, noexec"
		like "$out" "can.t create directory ./sys/fs/cgroup/[a-z]*/x.: Read-only file system" \
			"[$MODE] v1 host: a hierarchy cannot be written"
	fi
	# security=insecure: BuildKit's spec makes the cgroup filesystem
	# writable (oci.WithWriteableCgroupfs); only the options are checked
	run_step k3 '{"parent":"base","args":["/bin/cat","/proc/self/mountinfo"],"env":[],
		"security":"insecure","entitlements":["security.insecure"]}'
	# (no write here: it would make a cgroup on the host)
	is "$rc" 0 "[$MODE] insecure: the step runs: $err"
	is "$(mounts | awk '$3 ~ /^cgroup/ && $2 ~ /^ro/' | wc -l) $(mounts | grep -c .)" \
		"0 $nmounts" "[$MODE] insecure: the same mounts as the step before, none read-only"
	v2_layout
}

# The same step where /sys/fs/cgroup is cgroup2 (a private mount namespace
# of the test), the runtime in a cgroup of its own: the step gets its own
# cgroup namespace, so its cgroup is /. Then in the root cgroup: no mount
# (it would show the host's whole tree).
v2_layout() {
	local sh cg
	if ! real_root || ! grep -qw cgroup2 /proc/filesystems; then
		skip "[$MODE] cgroup v2 layout" "needs root and cgroup2"
		return
	fi
	for cg in own root; do
		sh="mount --make-rprivate / && umount -R /sys/fs/cgroup 2>/dev/null;"
		sh="$sh mount -t cgroup2 none /sys/fs/cgroup || exit 9;"
		[ $cg = root ] || sh="$sh mkdir /sys/fs/cgroup/df2make-test.\$\$ &&
			echo \$\$ > /sys/fs/cgroup/df2make-test.\$\$/cgroup.procs || exit 9;"
		sh="$sh exec $WRAP \"\$@\""
		out=$(unshare -m sh -c "$sh" sh "$DF2MAKE_RUNTIME_BIN" -q --state "$S" --store "$ST" \
			run "k2$cg" "$CG" 2>&1)
		rc=$?
		# the test's cgroup, empty now: from the host's view of the hierarchy
		find /sys/fs/cgroup/ -maxdepth 2 -name 'df2make-test.*' -type d -exec rmdir {} + 2>/dev/null
		is "$rc" 0 "[$MODE] v2 layout, $cg cgroup: the step runs"
		if [ $cg = root ]; then
			is "$(mounts)" "" "[$MODE] v2 layout, root cgroup: nothing at /sys/fs/cgroup"
			continue
		fi
		is "$(mounts)" "/sys/fs/cgroup ro,nosuid,nodev,noexec,relatime cgroup2" \
			"[$MODE] v2 layout: one read-only cgroup2 mount"
		has_line "$out" "0::/" "[$MODE] v2 layout: a cgroup namespace rooted at the step's cgroup"
		like "$out" "can.t create directory ./sys/fs/cgroup/x2.: Read-only file system" \
			"[$MODE] v2 layout: read-only"
	done
}
both_modes

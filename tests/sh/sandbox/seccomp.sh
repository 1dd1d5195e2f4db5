# The RUN command's seccomp filter (Docker's default profile, reduced to
# what it refuses): new namespaces, keyrings and the mount API refused with
# EPERM, threads still work (clone3 -> ENOSYS -> clone), and none of it
# under --security=insecure.
. "$SRCDIR/tests/sh/sandbox/common.inc"

cases() {
	fresh seccomp
	run_step k1 '{"parent":"base","args":["/bin/probe"],"env":[]}'
	is "$(field Seccomp)" 2 "[$MODE] the command runs under a seccomp filter"
	run_step k2 '{"parent":"base","args":["/bin/sh","-c","probe deny; probe thread"],"env":["PATH=/bin"]}'
	is "$out" "unshare-user: Operation not permitted
keyctl: Operation not permitted
fsopen: Operation not permitted
getpid: allowed
thread: ok" "[$MODE] namespaces, keyrings, mount API refused; threads and ordinary calls work"
	run_step k3 '{"parent":"base","security":"insecure","entitlements":["security.insecure"],"args":["/bin/sh","-c","probe | grep ^Seccomp:; probe deny | head -2"],"env":["PATH=/bin"]}'
	is "$out" "Seccomp:	0
unshare-user: allowed
keyctl: allowed" "[$MODE] --security=insecure: no filter"
}
both_modes

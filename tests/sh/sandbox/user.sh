# USER in RUN: names and ids resolved in the rootfs, supplementary groups,
# HOME, WORKDIR created owned by the user; rootless without subordinate ids maps only root.
. "$SRCDIR/tests/sh/sandbox/common.inc"

ids() { echo "$(field uid) $(field gid) [$(field groups)] $(printf '%s\n' "$out" | sed -n 's/^env: HOME=//p')"; }

cases() {
	fresh user
	if [ "$MODE" = rootless ]; then
		run_step k1 '{"loc":"Dockerfile:4","parent":"base","args":["/bin/probe"],"env":[],"user":"app"}'
		is "$err" "df2make-runtime: Dockerfile:4: RUN step: USER app: uid 1000 gid 1001: not mapped in this rootless sandbox (without ranges for the user in /etc/subuid and /etc/subgid only root is; see docs/sandbox.md): Invalid argument" \
			"[$MODE] a non-root USER is a clear error"
		return
	fi
	run_step k1 '{"parent":"base","args":["/bin/probe"],"env":[],"user":"app","workdir":"/srv/app"}'
	is "$rc" 0 "[$MODE] USER app runs: $err"
	is "$(ids)" "1000 1001 [10 50] /home/app" "[$MODE] USER app: uid, passwd gid, member groups, HOME"
	is "$(stat -c %u:%g "$S/k1/upper/srv/app") $(stat -c %u:%g "$S/k1/upper/srv")" "1000:1001 1000:1001" \
		"[$MODE] WORKDIR created owned by the user"
	is "$(field CapEff | tr -d '\t') $(field CapBnd | tr -d '\t')" "0000000000000000 00000000a80425fb" \
		"[$MODE] non-root: no effective caps, Docker bounding set"
	run_step k2 '{"parent":"base","args":["/bin/probe"],"env":["HOME=/custom"],"user":"1000:50"}'
	is "$(ids)" "1000 50 [] /custom" "[$MODE] uid:gid numbers, explicit group: no supplementary groups; HOME kept"
	run_step k3 '{"parent":"base","args":["/bin/probe"],"env":[],"user":"4242"}'
	is "$(ids)" "4242 0 [] /" "[$MODE] unknown numeric uid: gid 0, HOME /"
	run_step k4 '{"parent":"base","args":["/bin/probe"],"env":[],"user":"app:staff"}'
	is "$(ids)" "1000 50 [] /home/app" "[$MODE] user:group names"
	run_step k5 '{"loc":"Dockerfile:5","parent":"base","args":["/bin/probe"],"env":[],"user":"ghost"}'
	is "$err" "df2make-runtime: Dockerfile:5: RUN step: USER ghost: unable to find user ghost: no matching entries in passwd file" \
		"[$MODE] unknown user name is an error"
	check "[$MODE] no stamp for the unknown user" test ! -e "$S/k5.done"
	run_step k6 '{"parent":"base","args":["/bin/sh","-c","touch /home/app/f; touch /rootonly 2>&1 || echo denied"],"env":["PATH=/bin"],"user":"app"}'
	like "$out" "denied" "[$MODE] non-root user cannot write to /"
	is "$(stat -c %u:%g "$S/k6/upper/home/app/f")" 1000:1001 "[$MODE] files created as the user keep its ids"
}
both_modes

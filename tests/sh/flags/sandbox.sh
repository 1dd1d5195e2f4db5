#!/usr/bin/env bash
# The RUN spec fields --add-host and --shm-size put there, as the runtime
# takes them (root and rootless): extra /etc/hosts lines after BuildKit's
# defaults, a line holding a newline dropped (an edited build.mk cannot
# add lines), /dev/shm's size, the default without the field.
. "$SRCDIR/tests/sh/sandbox/common.inc"

cases() {
	fresh flags
	local hosts='"extra_hosts":["10.0.0.7\tdb","::1\tv6","1.2.3.4\tevil\n5.6.7.8\tinjected"]'
	run_step h1 '{"parent":"base","args":["/bin/cat","/etc/hosts"],"env":["PATH=/bin"],'"$hosts"'}'
	is "$rc:$out" "0:$(printf '127.0.0.1\tlocalhost buildkitsandbox\n::1\tlocalhost ip6-localhost ip6-loopback\n10.0.0.7\tdb\n::1\tv6')" \
		"[$MODE] extra_hosts: lines after the defaults; one with a newline dropped"
	run_step s1 '{"parent":"base","args":["/bin/sh","-c","grep \" /dev/shm \" /proc/mounts"],"env":["PATH=/bin"],"shm_size":134217728}'
	like "$rc:$out" "^0:.* /dev/shm tmpfs .*size=131072k" "[$MODE] shm_size 128m: /dev/shm is 131072k"
	run_step s2 '{"parent":"base","args":["/bin/sh","-c","grep \" /dev/shm \" /proc/mounts"],"env":["PATH=/bin"]}'
	like "$rc:$out" "^0:.* /dev/shm tmpfs .*size=65536k" "[$MODE] without it: 64m, BuildKit's default"
}
both_modes

#!/usr/bin/env bash
# The sandbox attacks of sandbox.sh, stubs and base-files.sh, run by an
# unprivileged user (rootless: the runtime's own user namespace with the
# user's subordinate ids), where the mounts, masks and lookups are made by
# other code paths than root's: the same capabilities, seccomp, masked
# and read-only /proc and /sys, no namespace or mount; a setuid file of
# the image's root gives a USER at most the namespace's root; only the user's
# own ids are mapped; the state is the user's alone; a base image whose
# /etc/passwd is a FIFO fails the RUN instead of hanging it.
. "$SRCDIR/tests/lib.sh"
need make timeout
. "$SRCDIR/tests/lib/rootless.sh"
rootless_start
rootless_workdir df2make-rlsec
# build: $W/ctx/Dockerfile (stdin) compiled and made as the user, within
# 120 s; sets rc and log.
build() {
	rm -rf "$W/ctx"
	mkdir -p "$W/ctx"
	cp "$BUSYBOX" "$W/ctx/busybox"
	cat >"$W/ctx/Dockerfile"
	chown -R "$RLUSER:" "$W/ctx"
	as_user "$DF2MAKE" . >"$W/ctx/build.mk" 2>"$W/compile.log" &&
		as_user timeout 120 make -f build.mk DF2MAKE_RUNTIME="$DF2MAKE_RUNTIME_BIN" \
			>"$W/make.log" 2>&1
	rc=$?
	log=$(cat "$W/compile.log" "$W/make.log")
}
refute() { ! "$@"; }
# val KEY: the RUN's "KEY: value" line.
val() { printf '%s\n' "$log" | sed -n "s|^#[0-9]* [0-9.]* $1: ||p" | head -n 1; }

build <<'EOF2'
FROM scratch
COPY busybox /bin/busybox
RUN --network=none ["/bin/busybox", "--install", "-s", "/bin"]
RUN --network=none mkdir /s && cp /bin/busybox /s/id && chmod 4755 /s/id && mkdir /w && chmod 777 /w
USER 1000
RUN --network=none for k in CapEff CapPrm CapBnd CapInh CapAmb NoNewPrivs Seccomp; do \
	echo "$k: $(grep "^$k:" /proc/self/status | cut -f2)"; done; \
	echo "fds: $(ls /proc/self/fd | tr '\n' ' ')"; \
	echo "suid: $(/s/id -u) $(/s/id -g)"; \
	for f in keys timer_list; do echo "masked $f: $(wc -c </proc/$f 2>&1)"; done; \
	echo "masked acpi firmware: $(ls -A /proc/acpi | wc -l) $(ls -A /sys/firmware | wc -l)"; \
	for d in /proc/bus /proc/fs /proc/irq /proc/sys /sys; do \
	echo "ro $d: $(grep " $d " /proc/self/mountinfo | awk '{print $6}' | cut -d, -f1 | tail -n 1)"; done; \
	echo "uid_map: $(cat /proc/self/uid_map | awk '{print $1,$3}' | tr '\n' ' ')"; \
	echo "exe: $(readlink /proc/1/exe) $(for e in /proc/[0-9]*/exe; do readlink $e; done | grep -vc '^/bin/')"; \
	echo "unshare: $(unshare -U true 2>/dev/null && echo U; unshare -m true 2>/dev/null && echo m)."; \
	echo "devs: $(ls /dev | tr '\n' ' ')"
EOF2
is "$rc" 0 "the probe builds as $RLUSER"
printf '%s\n' "$log" | grep -i error | sed 's/^/#   /' | head -5
is "$(val CapEff) $(val CapPrm) $(val CapBnd) $(val CapInh) $(val CapAmb)" \
	"0000000000000000 0000000000000000 00000000a80425fb 0000000000000000 0000000000000000" \
	"USER 1000: no capability, Docker's bounding set"
is "$(val NoNewPrivs) $(val Seccomp)" "0 2" "a seccomp filter; no no_new_privs (as BuildKit's RUN, and root's)"
like "$(val fds)" "^0 1 2 3 $" "fds 0 1 2 (3: ls's own)"
# (no no_new_privs: a setuid file may make the USER the namespace's root,
# which is the user, mapped to nothing else)
like "$(val suid)" "^(0|1000) 0$" "a setuid-root file of the image: at most the namespace's root"
is "$(val 'masked keys') $(val 'masked timer_list')" "0 0" "/proc/keys, /proc/timer_list masked"
is "$(val 'masked acpi firmware')" "0 0" "/proc/acpi, /sys/firmware empty"
for d in /proc/bus /proc/fs /proc/irq /proc/sys /sys; do
	is "$(val "ro $d")" ro "$d read-only"
done
like "$(val uid_map)" "^0 1 1 65536 $" \
	"only the user and its subordinate range are mapped (0 -> the user, 1.. -> 65536 ids)"
is "$(val exe)" "/bin/busybox 0" "pid 1 is the command (sh); no /proc/N/exe is the runtime (CVE-2019-5736)"
is "$(val unshare)" "." "no user or mount namespace"
is "$(val devs)" "fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero " \
	"only the allowed /dev nodes"
is "$(stat -c %a "$W/ctx/.df2make")" 700 "the state dir is the user's alone (the uppers hold the setuid file)"
suid=$(find "$W/ctx/.df2make" -path '*/s/id' -perm -4000 | head -n 1)
check "the setuid file is in an upper" test -n "$suid"
check "the setuid file in an upper is closed to other users" \
	refute setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$suid"

# context, destination and mount escapes, as the user: a host directory
# the user may write (theirs), which nothing may reach
mkdir -p "$W/host" && chown "$RLUSER:" "$W/host"
build <<EOF2
FROM scratch
COPY busybox /bin/busybox
RUN --network=none ["/bin/busybox", "--install", "-s", "/bin"]
RUN --network=none ln -s $W/host /out && ln -s ../../../../../../../$W/host /rel && mkdir /c && ln -s $W/host /c/x
COPY Dockerfile /out/df
COPY Dockerfile /rel/df2
RUN --network=none --mount=type=cache,target=/c/x/cache echo x >/c/x/cache/f
RUN --network=none --mount=type=bind,source=../../..,target=/b ls /b >/ls
EOF2
is "$rc" 0 "COPY through links to a host directory, a cache mount through one, a bind of ../..: built"
is "$(ls -A "$W/host")" "" "nothing written in the host directory"

# a base image (imported by the user) whose /etc/passwd is a FIFO
mkdir -p "$W/rootfs/bin" "$W/rootfs/etc"
cp "$BUSYBOX" "$W/rootfs/bin/busybox" && ln -s busybox "$W/rootfs/bin/sh"
mkfifo "$W/rootfs/etc/passwd"
tar -C "$W/rootfs" -cf "$W/fifo.tar" . && chown -R "$RLUSER:" "$W/fifo.tar"
mkdir -p "$W/ctx" && chown "$RLUSER:" "$W/ctx"
as_user "$DF2MAKE_RUNTIME_BIN" --store "$W/store" import "$W/fifo.tar" pwfifo >/dev/null 2>&1
is "$(stat -c '%a %U' "$W/store")" "700 $RLUSER" "the user's store is theirs alone (its layers keep setuid bits)"
build <<'EOF2'
FROM pwfifo
RUN --network=none true
EOF2
is "$rc" 2 "passwd a FIFO: the RUN fails (before: hung)"
like "$log" "RUN step: USER root: /etc/passwd in the image is a FIFO, not a regular file" "the error names it"
done_testing

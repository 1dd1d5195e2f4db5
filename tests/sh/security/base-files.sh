#!/usr/bin/env bash
# Hostile base images whose files the runtime reads or mounts over from
# outside the sandbox, as root: /etc/passwd and /etc/group (USER, COPY
# --chown, WORKDIR) that are a FIFO, a link to a device node shipped in the
# layer, or huge; /etc/hosts, /etc, /dev, /proc that are FIFOs, files or
# links to host paths. Nothing may hang, open a device, read more than a
# bound, or write outside the rootfs.
. "$SRCDIR/tests/sh/security/common.bash"
need timeout
mkcanary

# evil NAME SETUP: a busybox image NAME whose rootfs SETUP (shell, run in
# the rootfs) changed.
evil() {
	base_image "$1" >/dev/null || return 1
	local r=$T/rootfs-$1
	(cd "$r" && eval "$2") && tar -C "$r" -cf "$r.tar" . &&
		"$RT" --store "$ST" import "$r.tar" "$1" >/dev/null
}

# try NAME BODY: builds FROM NAME + BODY within 60 s; rc, log in $T/NAME.
try() {
	D=$T/$1
	dockerfile "$D" "FROM $1
$2"
	compile "$D"
	[ "$rc" -eq 0 ] || { cp "$D/compile.err" "$D/log"; return; }
	timeout 60 make -f "$D/build.mk" >"$D/log" 2>&1
	rc=$?
}

# last_err NAME: the runtime's error line of the build.
last_err() { grep '^df2make-runtime: ' "$T/$1/log" | tail -n 1; }

evil pwfifo 'rm etc/passwd && mkfifo etc/passwd'
try pwfifo 'RUN id'
is "$rc" 2 "passwd a FIFO, RUN as root: make fails (before: hung until killed)"
is "$(last_err pwfifo)" \
	"df2make-runtime: Dockerfile:2: RUN step: USER root: /etc/passwd in the image is a FIFO, not a regular file" \
	"the error names the file and its kind"
dockerfile "$T/pwfifo2" 'FROM pwfifo
COPY --chown=foo Dockerfile /f'
D=$T/pwfifo2 && compile "$D" && timeout 60 make -f "$D/build.mk" >"$D/log" 2>&1
is "$?:$(last_err pwfifo2)" \
	"2:df2make-runtime: Dockerfile:2: COPY step: --chown=foo: /etc/passwd in the image is a FIFO, not a regular file" \
	"COPY --chown with the FIFO fails at once"

# a device node in the layer (1,5 is /dev/zero's numbers; a disk's would
# be read the same way) and passwd a link to it
evil pwdev 'mkdir -p dev && mknod dev/zero c 1 5 && rm etc/passwd && ln -s /dev/zero etc/passwd'
try pwdev 'COPY --chown=foo Dockerfile /f'
is "$rc:$(last_err pwdev)" \
	"2:df2make-runtime: Dockerfile:2: COPY step: --chown=foo: /etc/passwd in the image is a character device, not a regular file" \
	"COPY --chown: passwd a link to a device node is not opened (before: the runtime read GBs of the device and made the file 0:0)"
try pwdev 'USER foo
WORKDIR /w'
like "$rc:$(last_err pwdev)" \
	"^2:.*WORKDIR.*/etc/passwd in the image is a character device, not a regular file$" \
	"WORKDIR under USER: the same"

evil grfifo 'rm etc/group && mkfifo etc/group'
try grfifo 'RUN id'
like "$rc:$(last_err grfifo)" "^2:.*RUN step: USER root: /etc/group in the image is a FIFO, not a regular file$" \
	"group a FIFO: RUN fails at once (before: hung)"

# 65 MiB of passwd, sparse, without a newline: not read into memory
evil pwhuge 'truncate -s 65M etc/passwd'
try pwhuge 'COPY --chown=foo Dockerfile /f'
like "$rc:$(last_err pwhuge)" "^2:.*--chown=foo: /etc/passwd in the image is larger than 64 MiB$" \
	"a 65 MiB passwd is refused (before: read whole, the file made 0:0)"
evil pwbig "{ printf 'root:x:0:0::/root:/bin/sh\n'; head -c 1000000 /dev/zero | tr '\\\\0' x; printf '\nfoo:x:1234:4321::/:/bin/sh\n'; } >etc/passwd"
try pwbig 'COPY --chown=foo Dockerfile /f'
unpack_image "$T/pwbig"
is "$rc:$(tar -C "$(last_layer "$T/pwbig")" -cf - f | tar -tvf - | awk '{print $2}')" "0:1234/4321" \
	"a 1 MB line before the entry: still found"

# files mounted over or next to, outside the sandbox
evil hosts "rm etc/hosts 2>/dev/null; mkfifo etc/hosts && ln -sf $CANARY etc/resolv.conf"
try hosts 'RUN head -n 1 /etc/hosts && { echo pwned >/etc/resolv.conf; true; }'
is "$rc" 0 "/etc/hosts a FIFO, resolv.conf a link to a host file: the stubs are mounted"
check "the host file behind resolv.conf is intact" canary_intact
mkdir -p "$T/hostdir"
evil links "mv etc etc.real && ln -s $T/hostdir etc && rm -rf dev proc && ln -s $T/hostdir dev && ln -s $T/hostdir proc"
try links 'RUN echo x >/etc/pwned; touch /dev/pwned /proc/pwned; true'
is "$rc" 0 "/etc, /dev, /proc links to a host directory: the RUN runs"
is "$(ls -A "$T/hostdir")" "" "nothing written in the host directory"
evil devfile 'rm -rf dev && echo x >dev'
try devfile 'RUN true'
like "$rc:$(last_err devfile)" "^2:.*RUN step: tmpfs on /dev: " "/dev a file: the RUN fails, no hang"

# /bin/sh a link to /proc/self/exe: in the sandbox that is the shell's own
# exec, never the runtime (CVE-2019-5736's shape)
sum_before=$(sha256sum <"$RT")
evil selfexe 'rm bin/sh && ln -s /proc/self/exe bin/sh'
try selfexe 'RUN echo hi'
like "$rc:$(last_err selfexe)" "^2:.*exec /bin/sh: " "/bin/sh -> /proc/self/exe: the RUN fails to exec"
is "$(sha256sum <"$RT")" "$sum_before" "the runtime binary is unchanged"
done_testing

# tests/lib/dockerd.sh: a private docker daemon (BuildKit reference) and a
# private podman storage for tests, examples and benchmarks.
#
#   . "$SRCDIR/tests/lib/dockerd.sh"
#   dockerd_up || skip_all "no docker daemon: $DOCKERD_ERROR"
#   $DOCKER build --network=none -t x .       # DOCKER_HOST, DOCKER_BUILDKIT set
#
#   podman_up || skip_all "podman: $PODMAN_ERROR"
#   $PODMAN build --isolation=chroot ...      # private root/runroot
#
# dockerd_up starts at most one daemon per DF2MAKE_DOCKER_DIR (default
# /tmp/df2make-dockerd) and reuses it when it already answers, so every test
# file can call it; concurrent callers serialise on a lock file. The daemon
# is detached (setsid) and keeps running after the test; dockerd_down stops
# it (by its pid file, never by name).
#
# Paths (all under $DF2MAKE_DOCKER_DIR): docker.sock, data/ (--data-root),
# exec/ (--exec-root), dockerd.pid, dockerd.log, lock. The daemon runs with
# --iptables=false --ip-masq=false --bridge=none: builds and containers must
# use --network=none (there is no internet here anyway).
#
# The client is /usr/bin/docker (Debian's docker.io, matching the 20.10
# daemon); another `docker` earlier in PATH may be a different version.
#
# Exports after success: DOCKER, DOCKER_HOST, DOCKER_BUILDKIT=1.
# On failure: returns 1 and sets DOCKERD_ERROR (also printed on stderr).

DF2MAKE_DOCKER_DIR=${DF2MAKE_DOCKER_DIR:-/tmp/df2make-dockerd}

_dockerd_fail() {
	DOCKERD_ERROR=$*
	echo "dockerd.sh: $*" >&2
	return 1
}

_dockerd_client() {
	if [ -x /usr/bin/docker ]; then
		DOCKER=/usr/bin/docker
	elif command -v docker >/dev/null 2>&1; then
		DOCKER=$(command -v docker)
	else
		DOCKER=
	fi
}

# dockerd_install: apt-get install docker.io when it is missing and we are root.
dockerd_install() {
	_dockerd_client
	if [ -n "$DOCKER" ] && command -v dockerd >/dev/null 2>&1; then
		return 0
	fi
	[ "$(id -u)" = 0 ] || _dockerd_fail "docker.io is not installed and we are not root (apt-get install docker.io)" || return 1
	command -v apt-get >/dev/null 2>&1 || _dockerd_fail "docker.io missing and no apt-get" || return 1
	echo "dockerd.sh: installing docker.io with apt-get" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io >&2 ||
		{ apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io >&2; } ||
		_dockerd_fail "apt-get install docker.io failed" || return 1
	_dockerd_client
	[ -n "$DOCKER" ] && command -v dockerd >/dev/null 2>&1 || _dockerd_fail "docker.io installed but docker/dockerd not found"
}

_dockerd_answers() {
	timeout 20 "$DOCKER" info >/dev/null 2>&1
}

dockerd_up() {
	DOCKERD_ERROR=
	local dir=$DF2MAKE_DOCKER_DIR sock pid i
	sock=$dir/docker.sock
	dockerd_install || return 1
	export DOCKER DOCKER_HOST="unix://$sock" DOCKER_BUILDKIT=1
	# Fast path: already running.
	if [ -S "$sock" ] && _dockerd_answers; then
		return 0
	fi
	[ "$(id -u)" = 0 ] || _dockerd_fail "starting dockerd needs root" || return 1
	mkdir -p "$dir" || _dockerd_fail "cannot create $dir" || return 1
	(
		# One starter at a time; the others wait here and then reuse it.
		command -v flock >/dev/null 2>&1 && flock -w 120 9
		if [ -S "$sock" ] && _dockerd_answers; then
			exit 0
		fi
		pid=
		[ -f "$dir/dockerd.pid" ] && pid=$(cat "$dir/dockerd.pid" 2>/dev/null)
		if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
			grep -q dockerd "/proc/$pid/cmdline" 2>/dev/null; then
			: # starting or wedged: wait for it below
		else
			rm -f "$dir/dockerd.pid" "$sock"
			mkdir -p "$dir/data" "$dir/exec"
			# Detached: own session, no inherited stdio or lock fd, so a
			# test's captured output and the runner's timeout leave it alone.
			setsid dockerd \
				-H "unix://$sock" \
				--data-root "$dir/data" \
				--exec-root "$dir/exec" \
				--pidfile "$dir/dockerd.pid" \
				--iptables=false --ip-masq=false --bridge=none \
				--storage-driver=overlay2 \
				</dev/null >>"$dir/dockerd.log" 2>&1 9>&- &
		fi
		for i in $(seq 1 120); do
			if [ -S "$sock" ] && _dockerd_answers; then
				exit 0
			fi
			sleep 0.5
		done
		exit 1
	) 9>"$dir/lock"
	if [ $? -ne 0 ]; then
		_dockerd_fail "dockerd did not answer within 60 s on $sock; last log lines: $(tail -n 5 "$dir/dockerd.log" 2>/dev/null | tr '\n' ' ' | cut -c1-600)"
		return 1
	fi
	return 0
}

# dockerd_down: stop the daemon started by dockerd_up (by pid file).
dockerd_down() {
	local dir=$DF2MAKE_DOCKER_DIR pid i
	pid=$(cat "$dir/dockerd.pid" 2>/dev/null) || return 0
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null || return 0
	for i in $(seq 1 60); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.5
	done
	kill -9 "$pid" 2>/dev/null
	return 0
}

# docker_build ARGS...: `docker build --network=none` with the private daemon,
# quiet progress (plain progress goes to stderr).
docker_build() {
	"$DOCKER" build --network=none --progress=plain "$@"
}

# docker_run_until EXPECTED TAR IMAGE [CMD...]: `docker run --rm
# --network=none IMAGE CMD` (output lines joined by spaces), up to three
# times until it prints EXPECTED, loading TAR again before a retry (unless
# TAR is -); prints the last output. The shared daemon's overlay2 here now
# and then loses a file of a container it just made ("exec: sh: not
# found"); a wrong image prints the wrong thing three times.
docker_run_until() {
	local want=$1 tar=$2 out try
	shift 2
	for try in 1 2 3; do
		if [ "$try" != 1 ]; then
			sleep 2
			[ "$tar" = - ] || "$DOCKER" load -i "$tar" >/dev/null 2>&1
		fi
		out=$("$DOCKER" run --rm --network=none "$@" 2>&1 | paste -sd' ')
		[ "$out" = "$want" ] && break
	done
	printf '%s\n' "$out"
}

# ---------------------------------------------------------------- podman
# podman_up: a private podman storage under $DF2MAKE_DOCKER_DIR/podman
# (graphroot, runroot, overlay driver), so tests do not touch the host's
# /var/lib/containers. Exports PODMAN (the command line to use, with
# --root/--runroot) and CONTAINERS_STORAGE_CONF. Builds: use
# `$PODMAN build --isolation=chroot` (the variant that works on this machine;
# chroot isolation refuses --network=none, and there is no network anyway).
# PODMAN is unquoted-word-split by design: `$PODMAN images`.
podman_up() {
	PODMAN_ERROR=
	local dir=$DF2MAKE_DOCKER_DIR/podman
	if ! command -v podman >/dev/null 2>&1; then
		if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q podman >&2 || true
		fi
		command -v podman >/dev/null 2>&1 || { PODMAN_ERROR="podman is not installed"; echo "dockerd.sh: $PODMAN_ERROR" >&2; return 1; }
	fi
	mkdir -p "$dir/root" "$dir/run"
	cat >"$dir/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$dir/root"
runroot = "$dir/run"
EOF
	export CONTAINERS_STORAGE_CONF="$dir/storage.conf"
	PODMAN="podman --root $dir/root --runroot $dir/run --storage-driver overlay --cgroup-manager cgroupfs --events-backend file"
	export PODMAN
	if ! timeout 60 $PODMAN info >/dev/null 2>"$dir/info.err"; then
		PODMAN_ERROR="podman info failed: $(head -c 400 "$dir/info.err")"
		echo "dockerd.sh: $PODMAN_ERROR" >&2
		return 1
	fi
	return 0
}

# tests/lib/images.sh: the base images for tests, examples and benchmarks,
# made offline and cached under ${DF2MAKE_CACHE:-/var/cache/df2make-test}.
#
#   . "$SRCDIR/tests/lib/images.sh"
#   images_rootfs busybox            # -> prints CACHE/busybox.rootfs.tar (built if missing)
#   images_docker busybox golang     # docker import (tags busybox:latest ...), needs dockerd_up
#   images_podman busybox            # into $PODMAN's storage, needs podman_up
#   images_df2make busybox           # into the df2make store ($DF2MAKE_RUNTIME_BIN)
#
# Images: busybox (from busybox-static), golang (mmdebstrap minbase +
# golang-go), gcc (mmdebstrap minbase + gcc libc6-dev). Each has a rootfs tar
# CACHE/NAME.rootfs.tar and a list of config changes CACHE/NAME.changes (one
# Dockerfile instruction a line, as `docker import --change` takes them):
# `docker import` alone gives an image with an empty config (no Env, no Cmd),
# so the changes give all three builders the same base config.
#
# Same base on every side: images_docker imports the rootfs with the changes,
# then saves the image to CACHE/NAME.docker.tar (docker-archive). podman and
# df2make load that archive when it exists (identical layer and config, hence
# identical image ID); without docker they import the rootfs with the same
# changes (podman import --change; df2make-runtime import, plus the changes
# when the runtime accepts them).
#
# Building a rootfs takes a lock, so parallel tests build each image once.

DF2MAKE_CACHE=${DF2MAKE_CACHE:-/var/cache/df2make-test}
IMAGES_ALL="busybox golang gcc"
_images_epoch=1700000000 # fixed mtimes: the busybox tar is reproducible

_images_err() { echo "images.sh: $*" >&2; return 1; }

_images_apt() { # install Debian packages when missing and root
	local missing=() p
	for p in "$@"; do
		dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" = 0 ] || _images_err "missing packages (not root): ${missing[*]}" || return 1
	echo "images.sh: apt-get install ${missing[*]}" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2 ||
		{ apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2; }
}

_images_changes() { # NAME: the config changes, one a line
	local path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
	case $1 in
	busybox)
		echo "ENV PATH=$path"
		echo 'CMD ["sh"]'
		;;
	golang)
		echo "ENV PATH=/go/bin:$path"
		echo "ENV GOPATH=/go"
		echo "WORKDIR /go"
		echo 'CMD ["bash"]'
		;;
	gcc)
		echo "ENV PATH=$path"
		echo 'CMD ["bash"]'
		;;
	*) return 1 ;;
	esac
}

_images_build_busybox() { # OUT.tar
	local out=$1 root
	_images_apt busybox-static || return 1
	[ -x /bin/busybox ] || _images_err "/bin/busybox missing" || return 1
	root=$(mktemp -d "${TMPDIR:-/tmp}/df2make-busybox.XXXXXX") || return 1
	mkdir -p "$root"/bin "$root"/etc "$root"/root "$root"/home "$root"/tmp \
		"$root"/var/tmp "$root"/usr/bin "$root"/usr/sbin "$root"/sbin \
		"$root"/dev "$root"/proc "$root"/sys
	cp /bin/busybox "$root/bin/busybox"
	chmod 0755 "$root/bin/busybox"
	# Symlinks for every applet (busybox --install -s, but into one dir and
	# relative, so they resolve inside the image, not on the host).
	local a
	for a in $(/bin/busybox --list); do
		[ "$a" = busybox ] && continue
		ln -s busybox "$root/bin/$a"
	done
	chmod 1777 "$root/tmp" "$root/var/tmp"
	chmod 0700 "$root/root"
	cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
EOF
	cat >"$root/etc/group" <<'EOF'
root:x:0:
daemon:x:1:
nogroup:x:65534:
nobody:x:65534:
EOF
	chmod 0644 "$root/etc/passwd" "$root/etc/group"
	find "$root" -exec touch -h -d "@$_images_epoch" {} +
	tar --sort=name --numeric-owner --owner=0 --group=0 --mtime="@$_images_epoch" \
		-C "$root" -cf "$out" . || { rm -rf "$root"; return 1; }
	rm -rf "$root"
}

_images_build_debian() { # OUT.tar PACKAGES(comma list)
	local out=$1 pkgs=$2 sources=/etc/apt/sources.list.d/debian.sources
	_images_apt mmdebstrap || return 1
	[ -f "$sources" ] || sources=/etc/apt/sources.list
	# minbase + the packages; no device nodes (docker images have an empty
	# /dev); no docs/man/locales to keep it small.
	mmdebstrap --variant=minbase --include="$pkgs" --format=tar \
		--skip=output/dev \
		--dpkgopt='path-exclude=/usr/share/man/*' \
		--dpkgopt='path-exclude=/usr/share/doc/*' \
		--dpkgopt='path-include=/usr/share/doc/*/copyright' \
		--dpkgopt='path-exclude=/usr/share/locale/*' \
		bookworm "$out" - <"$sources" >&2
}

# images_rootfs NAME: print the rootfs tar path, building it (once) if missing.
images_rootfs() {
	local name=$1 tar tmp rc
	_images_changes "$name" >/dev/null || _images_err "unknown image '$name' (have: $IMAGES_ALL)" || return 1
	mkdir -p "$DF2MAKE_CACHE" || return 1
	tar=$DF2MAKE_CACHE/$name.rootfs.tar
	if [ ! -s "$tar" ]; then
		(
			command -v flock >/dev/null 2>&1 && flock -w 900 8
			[ -s "$tar" ] && exit 0
			tmp=$tar.tmp.$$
			echo "images.sh: building $tar" >&2
			case $name in
			busybox) _images_build_busybox "$tmp" ;;
			golang) _images_build_debian "$tmp" golang-go,ca-certificates ;;
			gcc) _images_build_debian "$tmp" gcc,libc6-dev ;;
			esac
			rc=$?
			if [ $rc -eq 0 ] && [ -s "$tmp" ]; then mv -f "$tmp" "$tar"; else rm -f "$tmp"; exit 1; fi
		) 8>"$DF2MAKE_CACHE/$name.lock" || _images_err "cannot build the $name rootfs" || return 1
	fi
	_images_changes "$name" >"$DF2MAKE_CACHE/$name.changes.tmp.$$" &&
		mv -f "$DF2MAKE_CACHE/$name.changes.tmp.$$" "$DF2MAKE_CACHE/$name.changes"
	echo "$tar"
}

# images_changes_args NAME PREFIX: print one "--change" / "INSTR" pair per line
_images_change_argv() { # NAME -> fills array _chg
	local l
	_chg=()
	while IFS= read -r l; do
		[ -n "$l" ] && _chg+=(--change "$l")
	done < <(_images_changes "$1")
}

# images_docker NAME...: import into the private dockerd as NAME:latest
# (skipped when the tag exists with the same rootfs), then save it to
# CACHE/NAME.docker.tar. Needs DOCKER/DOCKER_HOST (dockerd_up).
images_docker() {
	local name tar id stamp want
	: "${DOCKER:?call dockerd_up first}"
	for name in "$@"; do
		tar=$(images_rootfs "$name") || return 1
		want="$(stat -c %s-%Y "$tar") $(_images_changes "$name" | md5sum | cut -c1-32)"
		stamp=$DF2MAKE_CACHE/$name.docker.stamp
		id=$("$DOCKER" image inspect -f '{{.Id}}' "$name:latest" 2>/dev/null)
		if [ -n "$id" ] && [ -s "$DF2MAKE_CACHE/$name.docker.tar" ] &&
			[ "$(cat "$stamp" 2>/dev/null)" = "$want $id" ]; then
			continue
		fi
		_images_change_argv "$name"
		id=$("$DOCKER" import "${_chg[@]}" -m "df2make test base $name" "$tar" "$name:latest") ||
			_images_err "docker import $name failed" || return 1
		"$DOCKER" save -o "$DF2MAKE_CACHE/$name.docker.tar.tmp" "$name:latest" &&
			chmod 0644 "$DF2MAKE_CACHE/$name.docker.tar.tmp" && mv -f "$DF2MAKE_CACHE/$name.docker.tar.tmp" "$DF2MAKE_CACHE/$name.docker.tar" ||
			_images_err "docker save $name failed" || return 1
		id=$("$DOCKER" image inspect -f '{{.Id}}' "$name:latest")
		echo "$want $id" >"$stamp"
	done
}

# images_podman NAME...: into podman ($PODMAN from podman_up, else `podman`),
# from the docker archive when there is one (same image ID as docker's).
images_podman() {
	local name tar p=${PODMAN:-podman}
	for name in "$@"; do
		if [ -s "$DF2MAKE_CACHE/$name.docker.tar" ]; then
			$p load -q -i "$DF2MAKE_CACHE/$name.docker.tar" >/dev/null ||
				_images_err "podman load $name failed" || return 1
			# docker save wrote RepoTags "NAME:latest", which podman loads as
			# localhost/NAME:latest; FROM NAME must find docker.io/library/NAME.
			$p tag "localhost/$name:latest" "docker.io/library/$name:latest" ||
				_images_err "podman tag $name failed" || return 1
		else
			tar=$(images_rootfs "$name") || return 1
			_images_change_argv "$name"
			$p import -q "${_chg[@]}" "$tar" "docker.io/library/$name:latest" >/dev/null ||
				_images_err "podman import $name failed" || return 1
		fi
	done
}

# images_df2make NAME...: into the df2make store (DF2MAKE_STORE or the
# runtime's default). Loads CACHE/NAME.docker.tar when present (same base as
# docker), else imports the rootfs tar.
images_df2make() {
	local name tar rt=${DF2MAKE_RUNTIME_BIN:-df2make-runtime}
	for name in "$@"; do
		if [ -s "$DF2MAKE_CACHE/$name.docker.tar" ]; then
			"$rt" load -i "$DF2MAKE_CACHE/$name.docker.tar" >&2 ||
				_images_err "df2make-runtime load -i $DF2MAKE_CACHE/$name.docker.tar failed" || return 1
		else
			tar=$(images_rootfs "$name") || return 1
			"$rt" import "$tar" "$name" >&2 ||
				_images_err "df2make-runtime import $tar $name failed" || return 1
		fi
	done
}

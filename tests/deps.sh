#!/usr/bin/env bash
# Installs what building and testing df2make needs on Debian 12. As root it
# runs apt-get; otherwise it names the packages and fails.
# --build-only: what building df2make and the demo's base images need,
# and what running its RUN steps needs.
set -eu
# The static archives df2make and df2make-runtime link (configure: --enable-static-libs);
# libc6-dev's libc.a links df2make fully static (-static-pie).
static=(libzstd-dev liblz4-dev libacl1-dev nettle-dev libbz2-dev liblzma-dev libc6-dev)
build=(autoconf automake make gcc pkg-config libarchive-dev libpcre2-dev libjansson-dev
      libyaml-dev libssl-dev zlib1g-dev libcurl4-openssl-dev "${static[@]}" mmdebstrap busybox-static
      libisal-dev # ISA-L inflate: an unpack decompresses gzip layers with it (runtime/diffid.c)
      slirp4netns # the default RUN network (runtime/netns.c): the demo's RUNs need it
      uidmap) # newuidmap/newgidmap: rootless builds with subordinate ids (runtime/idmap.c)
pkgs=("${build[@]}" git clang clang-format libclang-rt-14-dev python3 jq
      docker.io podman buildah skopeo umoci golang-go fuse-overlayfs attr libcap2-bin iproute2
      docker-registry apache2-utils openssl curl
      openssh-server # sshd for ADD git@host:repo.git (tests/sh/net/git-ssh.sh)
      zsh # the zsh completion test (tests/sh/flags/completion.sh)
      time # the peak RSS of make over a decompression bomb (tests/sh/faults/bombs.sh)
      strace) # fault injection at a syscall (tests/sh/image/pack-incremental.sh)
[ "${1:-}" = "--build-only" ] && pkgs=("${build[@]}")
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "df2make: missing Debian packages: ${missing[*]}" >&2
	echo "install them with: sudo apt-get install ${missing[*]}" >&2
	exit 1
fi
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

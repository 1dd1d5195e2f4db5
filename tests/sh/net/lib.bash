# Shared set-up for the ADD-from-the-network tests (sourced; no .sh
# suffix): full builds with df2make + make, the image read back with
# imgls.py. Only loopback servers the test starts are contacted.
. "$SRCDIR/tests/lib.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root (overlay mounts)"
need make python3
NET=$SRCDIR/tests/sh/net
export DF2MAKE_STORE=$T/store
# Mtimes later than SOURCE_DATE_EPOCH are clamped in layers: 2033 keeps
# the servers' 2020 dates visible.
export SOURCE_DATE_EPOCH=2000000000
mkdir -p "$T/ctx"
cd "$T" || exit 1
_pids=()
trap 'for p in "${_pids[@]}"; do kill "$p" 2>/dev/null; done' EXIT

# mk [ARGS]: make on build.mk; output in $T/out.
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -f build.mk DF2MAKE_RUNTIME="$DF2MAKE_RUNTIME_BIN" "$@" >"$T/out" 2>&1; }
# build DOCKERFILE-TEXT: compiles ctx and makes; exit status of make.
build() { printf '%s' "$1" >ctx/Dockerfile && "$DF2MAKE" ctx >build.mk 2>"$T/cerr" && mk; }
# files PREFIX...: the image's entries under PREFIX (imgls.py).
files() { python3 "$NET/imgls.py" image.tar "$@"; }
# steps: the step titles make ran (progress lines that open a step).
steps() { grep -E '^#[0-9]+ \[' "$T/out" | grep -v 'exporting' | sed 's/^#[0-9]* //'; }
# free_port: a free TCP port on 127.0.0.1.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Shared set-up for the COPY/ADD/sum/workdir runtime tests (sourced; not a
# test itself: no .sh suffix). Builds a base rootfs by hand, a state dir
# whose step "base" is that rootfs, and a build context.
. "$SRCDIR/tests/lib.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root (overlay mounts)"
need jq
RT=$DF2MAKE_RUNTIME_BIN
S=$T/state ST=$T/store C=$T/ctx R=$T/rootfs
mkdir -p "$S/base" "$ST" "$C" "$R/etc"
printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001:app:/home/app:/bin/sh\n' >"$R/etc/passwd"
printf 'root:x:0:\nappgrp:x:1001:\nother:x:2000:\n' >"$R/etc/group"
echo "[{\"dir\": \"$R\"}]" >"$S/base/chain.json"
_key=0

# newkey: sets K to a fresh 32-hex-digit step key (no subshell: it counts).
newkey() { _key=$((_key + 1)); K=$(printf '%032x' "$_key"); }
# spec FIELDS: a copy spec with defaults, FIELDS (a JSON object) merged over.
spec() {
	jq -cn --arg ctx "$C" --argjson f "$1" '{op:"copy", title:"COPY", loc:"Dockerfile:7",
		parent:"base", srcs:[], dest:"/", workdir:"/", context:$ctx, ignore:null,
		chown:null, chmod:null, link:false, parents:false, excludes:[], heredocs:[]} + $f'
}
# step OP KEY SPEC: runs one op; its stderr goes to $T/err.
step() { "$RT" --quiet --state "$S" --store "$ST" "$1" "$2" "$3" 2>"$T/err"; }
# copy FIELDS [OP]: a copy (or add) over "base" with a new key K.
copy() { newkey; step "${2:-copy}" "$K" "$(spec "$1" | jq -c --arg op "${2:-copy}" ".op = \$op")"; }
# up PATH: PATH inside step K's upper directory.
up() { echo "$S/$K/upper$1"; }
# meta PATH: "type mode uid:gid" of PATH in K's upper.
meta() { stat -c '%F %a %u:%g' "$(up "$1")" 2>&1; }
# tree DIR: one line per entry: path, type, mode, owner (and link target).
tree() { (cd "$1" && find . -mindepth 1 -printf '%P %y %m %U:%G %l\n' | LC_ALL=C sort); }
# view KEY CMD: runs CMD (bash) in the step's merged rootfs, in a private
# mount namespace.
view() {
	local dirs
	dirs=$(jq -r '[.[].dir] | reverse | join(":")' "$S/$1/chain.json")
	mkdir -p "$T/view"
	unshare -m bash -c 'if [[ $1 == *:* ]]; then mount -t overlay -o "lowerdir=$1" overlay "$2"
		else mount --bind "$1" "$2"; fi && cd "$2" && eval "$3"' _ "$dirs" "$T/view" "$2"
}
# errmsg: the runtime's last error message.
errmsg() { cat "$T/err"; }

# Rootless builds, end to end (df2make, make, df2make-runtime) as a real
# unprivileged user made for the test, with subordinate ids: the overlay
# work dirs that the kernel leaves mode 0 never stop the next run or
# `make clean`; USER, COPY --chown and chown work, and the layers are the
# ones a root build of the same Dockerfile gives, byte for byte.
# The user's RUN steps use --network=none: /dev/net/tun is 0600 root here,
# so the default network (slirp4netns) cannot start for them.
. "$SRCDIR/tests/lib.sh"
need make python3 getfattr setfattr
. "$SRCDIR/tests/lib/rootless.sh"
rootless_start

rootless_workdir df2make-rootless

# build: compiles $W/ctx/Dockerfile and makes it as the user; sets rc, log.
build() {
	as_user "$DF2MAKE" . >"$W/build.mk" 2>"$W/compile.log" &&
		cp "$W/build.mk" "$W/ctx/build.mk" &&
		as_user make -f build.mk DF2MAKE_RUNTIME="$DF2MAKE_RUNTIME_BIN" >"$W/make.log" 2>&1
	rc=$?
	log=$(cat "$W/compile.log" "$W/make.log")
}

# closed_dirs: directories of the state the user may not enter.
closed_dirs() { find "$W/ctx/.df2make" -type d ! -perm -u=rx 2>/dev/null; }

ctx() {
	rm -rf "$W/ctx"
	mkdir -p "$W/ctx"
	cp "$BUSYBOX" "$W/ctx/busybox"
	cat >"$W/ctx/Dockerfile"
	chown -R "$RLUSER:" "$W/ctx"
}

# 1. A failing RUN leaves no mode-0 overlay dirs; make clean removes all.
ctx <<'EOF'
FROM scratch
COPY busybox /bin/busybox
RUN --network=none ["/bin/busybox", "sh", "-c", "exit 3"]
EOF
build
like "$log" "exit status 3" "the failing RUN fails as the user"
is "$(closed_dirs)" "" "no directory of the state is closed to its owner after the failure"
out=$(as_user make -f build.mk clean 2>&1)
is "$?" 0 "make clean succeeds after a failed rootless RUN"
printf '%s\n' "$out" | sed 's/^/#   /' | head -5
check "make clean removed the state dir" test ! -e "$W/ctx/.df2make"

# 2. Mode-0 work dirs left by a killed run do not stop the step's rerun.
ctx <<'EOF'
FROM scratch
COPY busybox /bin/busybox
RUN --network=none ["/bin/busybox", "touch", "/made"]
EOF
build
is "$rc" 0 "a rootless RUN builds"
key=$(grep -o ' run [0-9a-f]\{32\}' "$W/build.mk" | head -1 | cut -c6-)
S=$W/ctx/.df2make
for d in "$S/$key/work/work/incompat/volatile" "$S/$key/discard-0/work/work/incompat/volatile"; do
	as_user mkdir -p "$d"
	as_user chmod 0 "$d" "${d%/volatile}" "${d%/incompat/volatile}"
done
rm -f "$S/$key.done"
build
is "$rc" 0 "the step reruns over mode-0 work dirs left by a killed run"
printf '%s\n' "$log" | grep -i error | sed 's/^/#   /' | head -5
is "$(closed_dirs)" "" "the rerun removed them"

# 3. Other owners: USER 1000, COPY --chown, RUN chown; the image's layers
# are a root build's.
ctx <<'EOF'
FROM scratch
COPY busybox /bin/busybox
RUN --network=none ["/bin/busybox", "--install", "-s", "/bin"]
RUN --network=none mkdir -p /home/u && chown 1000:1000 /home/u && touch /rootfile
COPY --chown=1000:1000 Dockerfile /home/u/df
USER 1000
RUN --network=none id -u >/home/u/id && id -g >>/home/u/id && touch /home/u/mine
EOF
build
is "$rc" 0 "USER 1000, COPY --chown and RUN chown build rootless"
printf '%s\n' "$log" | grep -iE 'error|fail' | sed 's/^/#   /' | head -5
# owners IMAGE.tar: "uid:gid path" of every member of every layer.
owners() {
	python3 - "$1" <<'PY'
import json, sys, tarfile
t = tarfile.open(sys.argv[1])
m = json.load(t.extractfile("manifest.json"))
for l in m[0]["Layers"]:
    for e in tarfile.open(fileobj=t.extractfile(l)):
        print("%d:%d %s" % (e.uid, e.gid, e.name))
PY
}
# file_in IMAGE.tar PATH: PATH's bytes in the topmost layer holding it.
file_in() {
	python3 - "$1" "$2" <<'PY'
import json, sys, tarfile
t = tarfile.open(sys.argv[1])
for l in reversed(json.load(t.extractfile("manifest.json"))[0]["Layers"]):
    lt = tarfile.open(fileobj=t.extractfile(l))
    if sys.argv[2] in lt.getnames():
        sys.stdout.write(lt.extractfile(sys.argv[2]).read().decode())
        break
PY
}
# layers IMAGE.tar: the layer blobs' names (their digests), in order.
layers() {
	python3 -c 'import json, sys, tarfile
print(*json.load(tarfile.open(sys.argv[1]).extractfile("manifest.json"))[0]["Layers"])' "$1"
}
got=$(owners "$W/ctx/image.tar" |
	grep -E ' (home/u/df|home/u/mine|home/u|rootfile|bin/busybox|bin/sh)$' | sort -u -k2)
is "$got" "0:0 bin/busybox
0:0 bin/sh
1000:1000 home/u
1000:1000 home/u/df
1000:0 home/u/mine
0:0 rootfile" "the layers record the owners inside the build, not the host's subordinate ids"
is "$(file_in "$W/ctx/image.tar" home/u/id)" "1000
0" "USER 1000 runs as uid 1000, gid 0 (runc's rule for a uid not in /etc/passwd)"
# The same Dockerfile built by root, with its own state and store.
R=$T/rootbuild
mkdir -p "$R"
cp -a "$W/ctx/Dockerfile" "$W/ctx/busybox" "$R/"
(cd "$R" && DF2MAKE_STORE=$T/rootstore "$DF2MAKE" . >build.mk 2>compile.log &&
	DF2MAKE_STORE=$T/rootstore make -f build.mk DF2MAKE_RUNTIME="$DF2MAKE_RUNTIME_BIN" \
		>make.log 2>&1)
is "$?" 0 "the root build of the same Dockerfile builds"
is "$(layers "$W/ctx/image.tar")" "$(layers "$R/image.tar")" \
	"rootless and root builds give the same layer digests"
out=$(as_user make -f build.mk clean 2>&1)
is "$?" 0 "make clean removes a state holding files of subordinate ids"
printf '%s\n' "$out" | sed 's/^/#   /' | tail -3
check "the state dir is gone" test ! -e "$W/ctx/.df2make"

# 4. A base layer with device nodes (dev/console, as a debian image has)
# unpacks rootless: each node is an empty file with a user.df2make.dev
# record, and the layers written from it hold the real node again.
ctx <<'EOF'
FROM devbase:1
RUN --network=none ["/bin/busybox", "touch", "/x"]
COPY --from=devbase:1 /dev /devcopy
EOF
mkdir -p "$T/devroot/dev" "$T/devroot/bin"
cp "$BUSYBOX" "$T/devroot/bin/busybox"
mknod -m 620 "$T/devroot/dev/console" c 5 1
mknod -m 660 "$T/devroot/dev/sda" b 8 0
# A forged record on a plain file must not become a device.
echo x >"$T/devroot/forged"
setfattr -n user.df2make.dev -v "c 1 3" "$T/devroot/forged"
tar --numeric-owner --xattrs --xattrs-include='user.*' -C "$T/devroot" -cf "$W/rootfs.tar" .
chmod 644 "$W/rootfs.tar"
out=$(as_user "$DF2MAKE_RUNTIME_BIN" import "$W/rootfs.tar" devbase:1 2>&1)
is "$?" 0 "a rootfs with device nodes imports rootless"
build
is "$rc" 0 "FROM it, RUN and COPY --from of a dir of device nodes build rootless"
printf '%s\n' "$log" | grep -iE "error|can't" | sed 's/^/#   /' | head -5
con=$(find "$W/store/layers" -path '*/dev/console' | head -1)
is "$(stat -c '%F %a' "$con") $(getfattr --only-values -n user.df2make.dev "$con" 2>/dev/null)" \
	"regular empty file 620 c 5 1" "the unpacked node is an empty file recording c 5 1"
forged=$(find "$W/store/layers" -name forged | head -1)
is "$(getfattr -d -m - "$forged" 2>/dev/null | grep -c df2make)" 0 \
	"a layer's own user.df2make.dev record is dropped on unpack"
# devices IMAGE.tar: "layer-index path type major minor mode" of each node.
devices() {
	python3 - "$1" <<'PY'
import json, sys, tarfile
t = tarfile.open(sys.argv[1])
for i, l in enumerate(json.load(t.extractfile("manifest.json"))[0]["Layers"]):
    for e in tarfile.open(fileobj=t.extractfile(l)):
        if e.ischr() or e.isblk():
            print(i, e.name, "c" if e.ischr() else "b", e.devmajor, e.devminor,
                  oct(e.mode), sorted(k for k in e.pax_headers if "xattr" in k))
PY
}
is "$(devices "$W/ctx/image.tar" | sort)" "0 ./dev/console c 5 1 0o620 []
0 ./dev/sda b 8 0 0o660 []
2 devcopy/console c 5 1 0o620 []
2 devcopy/sda b 8 0 0o660 []" "the image holds the real nodes, and no trace of the record"
R=$T/devbuild
mkdir -p "$R"
cp -a "$W/ctx/Dockerfile" "$R/"
(cd "$R" && export DF2MAKE_STORE=$T/rootstore &&
	"$DF2MAKE_RUNTIME_BIN" import "$W/rootfs.tar" devbase:1 >/dev/null &&
	"$DF2MAKE" . >build.mk 2>compile.log &&
	make -f build.mk DF2MAKE_RUNTIME="$DF2MAKE_RUNTIME_BIN" >make.log 2>&1)
is "$?" 0 "the root build of it builds"
is "$(layers "$W/ctx/image.tar")" "$(layers "$R/image.tar")" \
	"rootless and root builds over device nodes give the same layer digests"
out=$(as_user "$DF2MAKE_RUNTIME_BIN" --state "$W/ctx/.df2make" fsck 2>&1)
rc=$?
like "$rc:$out" "^0:fsck: [0-9]+ checked, 0 problems, 0 repaired$" \
	"fsck takes the stored nodes for the blob's devices"
setfattr -n user.df2make.dev -v "c 5 2" "$con"
out=$(as_user "$DF2MAKE_RUNTIME_BIN" fsck 2>&1)
like "$out" "dev/console: type differs" "fsck sees a record that is not the blob's node"
setfattr -n user.df2make.dev -v "c 5 1" "$con"
# COPY of one device node is refused as a root build refuses it.
printf 'FROM devbase:1\nCOPY --from=devbase:1 /dev/console /c\n' >"$W/ctx/Dockerfile"
build
like "$log" 'source "dev/console" is not a regular file, directory or FIFO' \
	"COPY of a stored device node fails as a root build's does"

# 5. Without subordinate ids: the single-id map, and a clear error for
# what cannot work (a USER other than root).
NOSUB=df2mkrl0
id "$NOSUB" >/dev/null 2>&1 || useradd --system -M -d /nonexistent -s /usr/sbin/nologin "$NOSUB"
if grep -q "^$NOSUB:" /etc/subuid /etc/subgid 2>/dev/null; then
	skip "no subordinate ids" "$NOSUB has a range"
else
	RLUSER=$NOSUB RLUID=$(id -u "$NOSUB") RLGID=$(id -g "$NOSUB")
	rm -rf "$W/store"
	chown "$RLUSER:" "$W"
	ctx <<'EOF'
FROM scratch
COPY busybox /bin/busybox
USER 1000
RUN --network=none ["/bin/busybox", "true"]
EOF
	build
	why="not mapped in this rootless sandbox \(without ranges for the user in /etc/subuid"
	like "$log" "USER 1000: uid 1000 gid 0: $why and /etc/subgid only root is" \
		"without subordinate ids, USER 1000 fails saying why"
fi

# 6. A real Debian base (tests/lib/images.sh's golang rootfs, when cached:
# not built here), with files of group shadow (42): same owners inside,
# same layers as root.
GOROOTFS=${DF2MAKE_CACHE:-/var/cache/df2make-test}/golang.rootfs.tar
if [ ! -r "$GOROOTFS" ]; then
	skip "a Debian base" "$GOROOTFS not cached (tests/lib/images.sh makes it)"
else
	RLUSER=df2mkrl RLUID=$(id -u df2mkrl) RLGID=$(id -g df2mkrl)
	chown "$RLUSER:" "$W"
	rm -rf "$W/store" "$T/rootstore"
	ctx <<'EOF'
FROM debian-go:1
RUN --network=none stat -c '%u:%g %n' /etc/shadow /usr/bin/chage >/owners && touch /etc/shadow
EOF
	as_user "$DF2MAKE_RUNTIME_BIN" import "$GOROOTFS" debian-go:1 >/dev/null 2>&1
	build
	is "$rc" 0 "FROM a Debian rootfs, RUN builds rootless"
	is "$(file_in "$W/ctx/image.tar" owners)" "0:42 /etc/shadow
0:42 /usr/bin/chage" "the base's owners are the image's inside the rootless RUN"
	R=$T/debbuild
	mkdir -p "$R"
	cp "$W/ctx/Dockerfile" "$R/"
	(cd "$R" && export DF2MAKE_STORE=$T/rootstore &&
		"$DF2MAKE_RUNTIME_BIN" import "$GOROOTFS" debian-go:1 >/dev/null &&
		"$DF2MAKE" . >build.mk 2>compile.log &&
		make -f build.mk DF2MAKE_RUNTIME="$DF2MAKE_RUNTIME_BIN" >make.log 2>&1)
	is "$?" 0 "the root build over the Debian rootfs builds"
	is "$(layers "$W/ctx/image.tar")" "$(layers "$R/image.tar")" \
		"rootless and root builds over a Debian base give the same layer digests"
fi

# 7. On disk, uid N of the namespace is subordinate id START+N-1; gc (in
# the namespace) removes such files, which the user alone could not.
RLUSER=df2mkrl RLUID=$(id -u df2mkrl) RLGID=$(id -g df2mkrl)
chown "$RLUSER:" "$W"
rm -rf "$W/store" "$T/gcroot"
mkdir -p "$T/gcroot/home/u" "$W/ctx"
echo x >"$T/gcroot/home/u/f"
chown -R 1000:1000 "$T/gcroot/home/u"
chmod 700 "$T/gcroot/home/u"
tar --numeric-owner -C "$T/gcroot" -cf "$W/owned.tar" .
chmod 644 "$W/owned.tar"
as_user "$DF2MAKE_RUNTIME_BIN" import "$W/owned.tar" owned:1 >/dev/null 2>&1
as_user "$DF2MAKE_RUNTIME_BIN" --state "$W/gcstate" base k0 '{"image":"owned:1"}' >/dev/null 2>&1
start=$(awk -F: -v u="$RLUSER" '$1 == u {print $2; exit}' /etc/subuid)
f=$(find "$W/store/layers" -path '*/home/u/f' | head -1)
is "$(stat -c %u "$f" 2>/dev/null)" "$((start + 999))" \
	"uid 1000 of a layer is subuid start+999 on disk"
rm -rf "$W/gcstate"
rm -f "$W"/store/refs/*.json
out=$(as_user "$DF2MAKE_RUNTIME_BIN" gc 2>&1)
like "$out" "removed [0-9]+ blobs .*, 1 unpacked layers" "gc removes the unpacked layer: $out"
is "$(ls "$W/store/layers" | grep -cv '\.ok$')" 0 "nothing of it is left"
done_testing

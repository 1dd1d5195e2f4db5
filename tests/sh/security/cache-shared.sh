#!/usr/bin/env bash
# A cache mount shared by two concurrent builds (one store, two state
# dirs), one planting symlinks in the cache while the other runs: to a host
# directory, to /etc, a relative climb, to the other build's state dir and
# to the store. The other build mounts a tmpfs and a second cache through
# those links, writes through them and reads through them. Expected (as
# BuildKit, whose targets are resolved in the container's root): every
# link resolves in the reader's rootfs; nothing outside the cache dir is
# read or written on the host. Then sharing=shared runs the two at once
# and sharing=private gives the second writer a fresh instance.
. "$SRCDIR/tests/sh/security/common.bash"
need timeout
base_image || { not_ok "base image import"; done_testing; exit 1; }
mkcanary
mkdir -p "$T/hostdir" && echo keep >"$T/hostdir/keep"

# wait_cache FILE: waits (30 s at most) until a cache dir of the store holds FILE.
wait_cache() {
	for _ in $(seq 300); do
		[ -n "$(find "$ST/cache" -maxdepth 2 -name "$1" 2>/dev/null)" ] && return 0
		sleep 0.1
	done
	return 1
}

dockerfile "$T/a" "FROM busybox
RUN --mount=type=cache,id=x,target=/c,sharing=shared \\
    ln -s $T/hostdir /c/host && ln -s /etc /c/etc && \\
    ln -s ../../../../../../../..$T/hostdir /c/up && ln -s $T/b/state /c/state && \\
    ln -s $ST /c/store && touch /c/ready && i=0 && \\
    while [ ! -e /c/done ] && [ \$i -lt 300 ]; do sleep 0.1; i=\$((i + 1)); done; \\
    [ -e /c/done ] && echo a-saw-done"
dockerfile "$T/b" "FROM busybox
RUN --mount=type=cache,id=x,target=/c,sharing=shared \\
    --mount=type=tmpfs,target=/c/host/t --mount=type=cache,id=y,target=/c/up/cy \\
    echo b >/c/host/t/pwned-tmpfs; echo b >/c/up/cy/pwned-cache; \\
    echo b >/c/host/pwned-write; echo b >/c/up/pwned-rel; \\
    cat /c/etc/passwd >/passwd-seen; ls -A /c/state >/state-seen 2>&1; \\
    ls -A /c/store >/store-seen 2>&1; touch /c/done; echo b-ok"
compile "$T/a" && compile "$T/b"
timeout 120 make -f "$T/a/build.mk" >"$T/a/log" 2>&1 &
a=$!
if wait_cache ready; then
	timeout 120 make -f "$T/b/build.mk" >"$T/b/log" 2>&1
	rb=$?
else
	rb=wait
fi
wait $a
is "$? $rb" "0 0" "both builds succeed"
log_has "$T/a" a-saw-done "sharing=shared: the two RUNs ran at once (the first saw the second's mark)"
log_has "$T/b" b-ok "the second build's RUN ran through the planted links"
check "the host dir behind the links is untouched, the canary intact" \
	[ "$(ls -A "$T/hostdir")" = keep ] && canary_intact
is "$(find "$T" -name 'pwned-*' -not -path "$T/a/*" -not -path "$T/b/*" | sed "s|^$ST/cache/[0-9a-f]*/|CACHE/|")" \
	"CACHE/pwned-cache" "no pwned file on the host but the one in cache y (mounted through /c/up)"
check "no mount left on the host" no_state_mounts "$T/"
x=$(dirname "$(find "$ST/cache" -maxdepth 2 -name ready)")
is "$(cd "$x" && find . | sort | tr '\n' ' ')" ". ./done ./etc ./host ./ready ./state ./store ./up " \
	"the shared cache holds the links and the marks only"
unpack_image "$T/b"
L=$(last_layer "$T/b")
is "$(cat "$L/passwd-seen")" "$(cat "$T/rootfs-busybox/etc/passwd")" \
	"/c/etc/passwd read in the sandbox is the image's, not the host's"
like "$(cat "$L/state-seen")" "No such file or directory" "the other build's state dir is not reachable"
like "$(cat "$L/store-seen")" "No such file or directory" "the store is not reachable"
check "the write through the absolute link landed in the rootfs" [ -f "$L$T/hostdir/pwned-write" ]

# sharing=private: the second writer gets a fresh instance while the
# first holds the cache; a later user gets the first free one (the first).
dockerfile "$T/p1" "FROM busybox
RUN --mount=type=cache,id=p,target=/c,sharing=private touch /c/mark-p1 && sleep 3"
dockerfile "$T/p2" "FROM busybox
RUN --mount=type=cache,id=p,target=/c,sharing=private ls -A /c >/seen; touch /c/mark-p2"
compile "$T/p1" && compile "$T/p2"
timeout 120 make -f "$T/p1/build.mk" >"$T/p1/log" 2>&1 &
a=$!
wait_cache mark-p1 && timeout 120 make -f "$T/p2/build.mk" >"$T/p2/log" 2>&1
rb=$?
wait $a
is "$? $rb" "0 0" "two private users at once both succeed"
unpack_image "$T/p2"
is "$(cat "$(last_layer "$T/p2")/seen")" "" "the second private user saw a fresh, empty instance"
is "$(find "$ST/cache" -maxdepth 2 -name 'mark-p*' | wc -l)" 2 "two instances, one mark each"
done_testing

#!/usr/bin/env bash
# RUN --mount attacks (CVE-2024-23651/23652 class): cache, bind, tmpfs and
# secret targets that are symlinks in the image pointing at host-like
# absolute paths, `..` in targets, sources and cache ids, and concurrent
# builds sharing a cache id with sharing=locked. Expected: every target is
# resolved inside the rootfs (as BuildKit's RootPath), nothing is created,
# written or removed on the host, and locked users of a cache take turns.
. "$SRCDIR/tests/sh/security/common.bash"
base_image || { not_ok "base image import"; done_testing; exit 1; }

mkcanary
mkdir -p "$T/hostdir" && echo keep >"$T/hostdir/keep"
# host_clean: nothing appeared on the host next to the canary or in hostdir.
host_clean() {
	canary_intact && [ "$(ls -A "$T/hostdir")" = keep ] && [ ! -e "$T/c" ] && [ ! -e "$T/x" ]
}

D=$T/links
dockerfile "$D" "FROM busybox
RUN ln -s $T/hostdir /cachelink && ln -s $T/hostdir /bindlink && ln -s $T/hostdir /tmpfslink && \\
    mkdir -p /run && ln -s $T/hostdir /run/secrets && ln -s ../../../../../../$T/hostdir /rellink
RUN --mount=type=cache,target=/cachelink touch /cachelink/pwned-cache && echo cache-ok
RUN --mount=type=bind,target=/bindlink,rw touch /bindlink/pwned-bind && echo bind-ok
RUN --mount=type=tmpfs,target=/tmpfslink touch /tmpfslink/pwned-tmpfs && echo tmpfs-ok
RUN --mount=type=cache,target=/rellink/sub touch /rellink/sub/pwned-rel && echo rel-ok
RUN --mount=type=cache,target=/../../../../$T/c touch $T/c/pwned-dotdot && echo dotdot-ok
RUN --mount=type=cache,id=../../../../../$T/x,target=/idc touch /idc/pwned-id && echo id-ok
RUN --mount=type=bind,source=../..,target=/up ls /up >/up-list 2>&1; echo bindsrc-ok
RUN --mount=type=bind,source=/etc,target=/etcb ls /etcb >/etcb-list 2>&1; echo bindabs-ok
RUN --mount=type=secret,id=s,required=false cat /run/secrets/s 2>/dev/null; echo secret-ok
RUN ls /rellink/ /cachelink/ >/dev/null; echo done-all"
echo "ctx-file" >"$D/ctx/inctx"
mkdir -p "$D/ctx/etc" && echo x >"$D/ctx/etc/ctxonly"
build "$D" --secret "id=s,src=$CANARY"
is "$rc" 0 "mount attack build runs"
for m in cache bind tmpfs rel dotdot id bindsrc bindabs secret; do
	like "$(cat "$D/log")" "$m-ok" "RUN --mount $m step ran"
done
check "the host dir behind the symlinks is untouched, no file created" host_clean
unpack_image "$D"
check "bind source=../.. lists the context, not its parent" \
	grep -qx inctx "$(find "$D/layers" -name up-list | head -1)"
is "$(cat "$(find "$D/layers" -name etcb-list | head -1)")" ctxonly \
	"bind source=/etc is the context's etc/, not the host's"
check "no pwned file in the host's filesystem" [ -z "$(find "$T" -name 'pwned-*' -not -path "$D/*" -not -path "$ST/*")" ]
check "no mount left on the host" refute grep -qF " $T/" /proc/self/mountinfo

# Concurrent builds sharing cache id "shared" with sharing=locked: each
# appends start/end around a sleep; the log must never interleave.
for i in 1 2; do
	dockerfile "$T/lk$i" "FROM busybox
RUN --mount=type=cache,id=shared,target=/c,sharing=locked \\
    echo start-$i >>/c/log && sleep 1 && echo end-$i >>/c/log"
	compile "$T/lk$i"
done
make -f "$T/lk1/build.mk" >"$T/lk1/log" 2>&1 &
a=$!
sleep 0.2
make -f "$T/lk2/build.mk" >"$T/lk2/log" 2>&1
rb=$?
wait $a
is "$? $rb" "0 0" "two builds with a locked cache mount both succeed"
dockerfile "$T/lk3" 'FROM busybox
RUN --mount=type=cache,id=shared,target=/c,sharing=locked tr "\n" " " </c/log >/seen'
build "$T/lk3"
unpack_image "$T/lk3"
seen=$(cat "$(last_layer "$T/lk3")/seen" 2>&1)
like "$seen" "^start-([12]) end-\\1 start-([12]) end-\\2 $" "locked users took turns: $seen"
done_testing

#!/usr/bin/env bash
# The pack writes the image's record (STATE/KEY.image.json, read by
# --iidfile and --metadata-file) before the image: killed at the record's
# rename, it leaves no new image, so the next make packs again, sweeps the
# record's temp and writes both; never an image whose record is missing
# with its temp left in the state dir (as cache/kill.sh once caught at a
# random kill point). The kill: strace's syscall fault injection (SIGKILL
# at the pack's rename of the record).
. "$SRCDIR/tests/sh/security/common.bash"
need strace
base_image || { not_ok "base image import"; done_testing; exit 1; }

D=$T/b
dockerfile "$D" 'FROM busybox
RUN echo hi >/x'
build "$D" --iidfile "$T/iid"
is "$rc" 0 "first build"
cp "$D/image.tar" "$T/ref.tar"
rm -f "$D/image.tar" "$T/iid"

# wrap.sh: the runtime, its pack under strace; with KILL_AT=N, SIGKILL at
# the pack's N-th rename, then to the whole make (its process group), as a
# kill -9 of make -j would: make cannot delete the half-made target then
# (LeakSanitizer cannot run under ptrace)
cat >"$T/wrap.sh" <<WRAP
#!/bin/sh
case " \$* " in *" pack "*)
	export ASAN_OPTIONS=\${ASAN_OPTIONS:+\$ASAN_OPTIONS:}detect_leaks=0
	strace -f -qq -o "$T/st.log" -e trace=rename,renameat,renameat2 \
		\${KILL_AT:+-e inject=rename,renameat,renameat2:signal=KILL:when=\$KILL_AT} "$RT" "\$@"
	rc=\$?
	[ -z "\${KILL_AT:-}" ] || kill -9 0
	exit \$rc ;;
esac
exec "$RT" "\$@"
WRAP
chmod +x "$T/wrap.sh"
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -f "$D/build.mk" "$@" >"$D/log" 2>&1; }

# which of the pack's renames is the record's
mk DF2MAKE_RUNTIME="$T/wrap.sh"
is "$?" 0 "a traced pack"
at=$(grep -n 'rename.*\.image\.json"' "$T/st.log" | head -1 | cut -d: -f1)
like "$at" '^[0-9]+$' "the record's rename is the pack's rename number $at"
rm -f "$D/image.tar" "$T/iid" "$D/state"/*.image.json

KILL_AT=$at setsid env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -f "$D/build.mk" \
	DF2MAKE_RUNTIME="$T/wrap.sh" >"$D/log" 2>&1
is "$?" 137 "killed at the record's rename, make with it"
mk
is "$?" 0 "the next make"
is "$(find "$D/state" -maxdepth 1 -name '*.tmp-*')" "" "  no temp left in the state dir"
check "  the record is there" test -s "$(ls "$D/state"/*.image.json)"
check "  the image is the first build's" cmp -s "$D/image.tar" "$T/ref.tar"
iid=$(jq -r '."containerimage.config.digest"' "$D/state"/*.image.json)
is "$(cat "$T/iid" 2>/dev/null)" "$iid" \
	"  --iidfile written from it"
done_testing

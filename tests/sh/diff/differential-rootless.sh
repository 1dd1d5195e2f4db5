#!/usr/bin/env bash
# The differential suite again, the df2make side built rootless: every case
# of tests/diff/cases compiled and made by an unprivileged user (subordinate
# ids through newuidmap, its own store and state), compared with BuildKit's
# image as in differential.sh. An unprivileged build must give the image a
# root build gives. The user's RUN steps use --network=none, as the docker
# side's do (and /dev/net/tun may be closed to users, as it is on the CI
# machine). DIFF_CASES="a b": only those cases.
. "$SRCDIR/tests/lib.sh"
. "$SRCDIR/tests/lib/dockerd.sh"
. "$SRCDIR/tests/lib/images.sh"
. "$SRCDIR/tests/lib/rootless.sh"
. "$SRCDIR/tests/lib/diffcases.sh"
need python3 make
[ -x "${DF2MAKE:-}" ] || skip_all "DF2MAKE not built"
[ -x "${DF2MAKE_RUNTIME_BIN:-}" ] || skip_all "DF2MAKE_RUNTIME_BIN not built"
rootless_user
rootless_can_run "$DF2MAKE" "$DF2MAKE_RUNTIME_BIN"
dockerd_up || skip_all "differential suite needs a docker daemon (BuildKit reference): $DOCKERD_ERROR"
if ! images_docker busybox >"$T/images.log" 2>&1; then
	not_ok "busybox base image imported into docker"
	sed 's/^/#   /' "$T/images.log" | tail -20
	done_testing
	exit 1
fi

# Root's temp dirs are private: the user's store and work live in their own.
rootless_workdir df2make-diff-rootless
export DIFF_USER=$RLUSER DIFF_WORK=$W/work DF2MAKE_STORE=$W/store
export DIFF_DF2MAKE_ARGS=--network=none
mkdir -p "$DIFF_WORK" && chown "$RLUSER:" "$DIFF_WORK"
if (cd "$W" && setpriv --reuid="$RLUID" --regid="$RLGID" --clear-groups \
	env HOME="$W" DF2MAKE_STORE="$DF2MAKE_STORE" bash -c \
	". '$SRCDIR/tests/lib/images.sh' && images_df2make busybox") >"$T/load.log" 2>&1; then
	ok "busybox loaded into the user's df2make store"
else
	not_ok "busybox loaded into the user's df2make store"
	sed 's/^/#   /' "$T/load.log" | tail -20
fi
diff_cases " (rootless)"
done_testing

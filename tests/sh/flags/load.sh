#!/usr/bin/env bash
# df2make --load: after the image is written, make loads it with docker
# (the test's private daemon); docker then sees the config and the id
# --iidfile wrote. Without docker or podman on PATH: a clear error.
. "$SRCDIR/tests/lib.sh"
. "$SRCDIR/tests/lib/dockerd.sh"
. "$SRCDIR/tests/lib/images.sh"
need make
[ "$(id -u)" = 0 ] || skip_all "needs root (overlay mounts)"
dockerd_up || skip_all "no docker daemon: $DOCKERD_ERROR"
export DF2MAKE_STORE=$T/store
images_df2make busybox >"$T/load.log" 2>&1 || skip_all "no busybox base image: $(tail -1 "$T/load.log")"
mkdir -p "$T/ctx" "$T/out"
tag=df2make-flags-load-$$
printf 'FROM busybox\nRUN echo loaded >/l\nCMD ["cat", "/l"]\n' >"$T/ctx/Dockerfile"
cd "$T/out" || exit 1
"$DF2MAKE" -t "$tag:1" --label org.example.k=v --load --iidfile id.txt "$T/ctx" >build.mk 2>"$T/err"
is "$?" 0 "df2make --load -t $tag:1 --label ... --iidfile"
PATH=$(dirname "$DOCKER"):$PATH make -f build.mk DF2MAKE_RUNTIME="$DF2MAKE_RUNTIME_BIN" >"$T/make.log" 2>&1
is "$?" 0 "make builds and loads"
sed 's/^/#   /' "$T/make.log" | tail -5
like "$(cat "$T/make.log")" "Loaded image: $tag:1" "docker load ran"
is "$("$DOCKER" image inspect --format '{{.Id}}' "$tag:1" 2>&1)" "$(cat id.txt)" \
	"docker's image id is the one --iidfile wrote"
is "$("$DOCKER" image inspect --format '{{json .Config.Labels}}' "$tag:1" 2>&1)" '{"org.example.k":"v"}' \
	"docker sees the --label"
is "$(docker_run_until loaded image.tar "$tag:1")" loaded "the loaded image runs"
"$DOCKER" rmi -f "$tag:1" >/dev/null 2>&1
make -f build.mk DF2MAKE_RUNTIME="$DF2MAKE_RUNTIME_BIN" >"$T/make.log" 2>&1
like "$(cat "$T/make.log")" "Nothing to be done|is up to date" "a second make does not load again"
rm -f "$T/out/.df2make/"*.load
make -f build.mk DF2MAKE_RUNTIME="$DF2MAKE_RUNTIME_BIN" PATH=/nonexistent >"$T/make.log" 2>&1
is "$?" 2 "no docker or podman on PATH: make fails"
like "$(cat "$T/make.log")" "^df2make --load: neither docker nor podman is installed; the image is in image.tar$" \
	"... saying so and where the image is"
done_testing

#!/usr/bin/env bash
# A multi-stage image built with `df2make --load -t A -t B` as a user of
# `docker build --load` would: make loads it into docker with both tags,
# `docker run --network=none` prints what the Dockerfile says, and the
# config docker sees (Cmd, Entrypoint, Env, WorkingDir, User, Labels,
# ExposedPorts, Healthcheck, Volumes, StopSignal) is the one `docker build`
# of the same Dockerfile gives. Then the same build.mk with podman as the
# only client on PATH loads it into podman.
. "$SRCDIR/tests/lib.sh"
. "$SRCDIR/tests/lib/dockerd.sh"
. "$SRCDIR/tests/lib/images.sh"
need make jq
[ "$(id -u)" = 0 ] || skip_all "needs root (overlay mounts)"
dockerd_up || skip_all "no docker daemon: $DOCKERD_ERROR"
images_docker busybox >"$T/img.log" 2>&1 || skip_all "no busybox base image: $(tail -1 "$T/img.log")"
export DF2MAKE_STORE=$T/store
images_df2make busybox >"$T/img.log" 2>&1 || skip_all "no busybox base image: $(tail -1 "$T/img.log")"
unset SOURCE_DATE_EPOCH
tag=df2make-e2e-load-$$
mkdir -p "$T/ctx" "$T/out"
cat >"$T/ctx/Dockerfile" <<'DF'
FROM busybox AS build
WORKDIR /src
RUN echo 'hello from the build stage' >msg
FROM busybox
LABEL org.example.a=1 org.example.b="two words"
ENV APP_HOME=/app GREETING="hi there"
WORKDIR $APP_HOME
COPY --from=build /src/msg ./msg
RUN echo 'app:x:1234:1234::/app:/bin/sh' >>/etc/passwd && chown 1234 /app
USER app:1234
EXPOSE 8080/tcp 53/udp 9000
VOLUME /data
STOPSIGNAL SIGINT
HEALTHCHECK --interval=31s --timeout=4s --start-period=2s --retries=5 CMD cat /app/msg || exit 1
ENTRYPOINT ["cat"]
CMD ["/app/msg"]
DF
cd "$T/out" || exit 1
"$DF2MAKE" -t "$tag:1" -t "$tag:two" --load --iidfile id.txt "$T/ctx" >build.mk 2>"$T/err"
is "$?" 0 "df2make --load -t $tag:1 -t $tag:two"
PATH=$(dirname "$DOCKER"):$PATH make -f build.mk -j4 DF2MAKE_RUNTIME="$DF2MAKE_RUNTIME_BIN" >"$T/make.log" 2>&1
is "$?" 0 "make -j4 builds and loads"
sed 's/^/#   /' "$T/make.log" | tail -4
is "$(grep '^Loaded image' "$T/make.log" | sort)" "Loaded image: $tag:1
Loaded image: $tag:two" "docker load names both tags"
id=$(cat id.txt)
is "$("$DOCKER" image inspect --format '{{.Id}}' "$tag:1" 2>&1) $("$DOCKER" image inspect --format '{{.Id}}' "$tag:two" 2>&1)" \
	"$id $id" "both tags are the image --iidfile names"
is "$(docker_run_until "hello from the build stage" image.tar "$tag:two")" "hello from the build stage" \
	"docker run --network=none prints the file the build stage made"

# docker build of the same Dockerfile: the same config
conf() {
	"$DOCKER" image inspect "$1" | jq -S '.[0] | .Config | {Cmd, Entrypoint, Env, WorkingDir, User,
		Labels, ExposedPorts, Healthcheck, Volumes, StopSignal, OnBuild}'
}
docker_build -t "$tag-ref" "$T/ctx" >"$T/docker.log" 2>&1
is "$?" 0 "docker build of the same Dockerfile"
want=$(conf "$tag-ref")
got=$(conf "$tag:1")
is "$got" "$want" "docker inspect: the config equals docker build's"
like "$got" '"Interval": 31000000000' "  (the healthcheck is there to compare)"
is "$("$DOCKER" image inspect --format '{{.Os}}/{{.Architecture}} {{len .RootFS.Layers}}' "$tag:1")" \
	"$("$DOCKER" image inspect --format '{{.Os}}/{{.Architecture}} {{len .RootFS.Layers}}' "$tag-ref")" \
	"docker inspect: the platform and the number of layers equal docker build's"
# HEALTHCHECK's and EXPOSE's history lines follow current BuildKit, not
# 20.10's Go map and pointer (docs/differential.md): left out here
hist() { "$DOCKER" history --format '{{.CreatedBy}}' "$1" | grep -vE '^(HEALTHCHECK|EXPOSE) ' | head -12; }
is "$(hist "$tag:1")" "$(hist "$tag-ref")" "docker history: the steps' lines equal docker build's"
# (docker_run_until retries the shared daemon's occasional lost file)
uid='uid=1234(app) gid=1234 groups=1234'
is "$(docker_run_until "$uid" image.tar --entrypoint id "$tag:1")" \
	"$(docker_run_until "$uid" - --entrypoint id "$tag-ref")" "docker run: the USER is docker build's (id)"

# a second make loads nothing; a new image (an edit) is loaded again
make -f build.mk DF2MAKE_RUNTIME="$DF2MAKE_RUNTIME_BIN" >"$T/make2.log" 2>&1
is "$?:$(grep -c '^Loaded image' "$T/make2.log")" "0:0" "a second make loads nothing"
sed -i 's/two words/three words/' "$T/ctx/Dockerfile"
PATH=$(dirname "$DOCKER"):$PATH make -f build.mk DF2MAKE_RUNTIME="$DF2MAKE_RUNTIME_BIN" >"$T/make3.log" 2>&1
is "$?:$(grep -c '^Loaded image' "$T/make3.log")" "0:2" "an edited Dockerfile: build.mk remade, the new image loaded"
is "$("$DOCKER" image inspect --format '{{index .Config.Labels "org.example.b"}} {{.Id}}' "$tag:two")" \
	"three words $(cat id.txt)" "  docker's tag now names the new image"
"$DOCKER" rmi -f "$tag:1" "$tag:two" "$tag-ref" >/dev/null 2>&1

# podman: the only client on PATH
if podman_up 2>/dev/null; then
	mkdir -p "$T/pbin"
	printf '#!/bin/sh\nexec %s %s "$@"\n' "$(command -v podman)" "${PODMAN#podman }" >"$T/pbin/podman"
	chmod +x "$T/pbin/podman"
	rm -f .df2make/*.load
	PATH=$T/pbin "$(command -v make)" -f build.mk DF2MAKE_RUNTIME="$DF2MAKE_RUNTIME_BIN" >"$T/pmake.log" 2>&1
	is "$?" 0 "podman as the only client: make loads with podman load"
	sed 's/^/#   /' "$T/pmake.log" | tail -3
	pid=$($PODMAN image inspect --format '{{.Id}}' "docker.io/library/$tag:two" 2>&1)
	is "sha256:$pid" "$(cat id.txt)" "  podman has the image under the tag, with the same id"
	is "$($PODMAN image inspect "docker.io/library/$tag:1" | jq -c '.[0].Config | [.User, .WorkingDir, .Entrypoint, .Cmd]')" \
		'["app:1234","/app",["cat"],["/app/msg"]]' "  and its config"
	$PODMAN rmi -f "docker.io/library/$tag:1" "docker.io/library/$tag:two" >/dev/null 2>&1
else
	skip "podman as the only client: make loads with podman load" "podman: $PODMAN_ERROR"
fi
done_testing

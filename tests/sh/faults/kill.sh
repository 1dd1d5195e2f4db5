#!/usr/bin/env bash
# kill -9 during a build, at >= 20 points: of the whole make (its process
# group) or of the runtime alone. The next `make` completes, the image
# equals an uninterrupted build's byte for byte, and nothing is left
# behind: no mount under the state dir, no temp file in it or beside the
# output, no process of the killed build.
. "$SRCDIR/tests/sh/security/common.bash"
need setsid pgrep
base_image || { not_ok "base image import"; done_testing; exit 1; }
POINTS=${KILL_POINTS:-22}

D=$T/b
# The background sleep of a RUN, named by this test's pid: the check that no
# killed sandbox's process survives must not see another test's (two runs
# of this test at once each saw the other's "sleep 7.77").
MARK=7.$$
dockerfile "$D" 'FROM busybox AS build
COPY src/ /src/
RUN for i in 1 2 3 4 5; do echo $i >>/src/log; sleep 0.1; done
RUN (sleep '"$MARK"' &) ; cp -r /src /out && echo made >/out/made
FROM busybox
WORKDIR /app
COPY --from=build /out /app/out
RUN echo final >/app/f; sleep 0.2
ADD src/t.tar /app/x/'
mkdir -p "$D/ctx/src/sub" "$T/tarsrc"
for i in $(seq 1 50); do echo "file $i" >"$D/ctx/src/sub/f$i"; done
echo hello >"$T/tarsrc/in-tar"
tar -C "$T/tarsrc" -cf "$D/ctx/src/t.tar" .
compile "$D"
is "$rc" 0 "compile"

start=$(date +%s%N)
make -f "$D/build.mk" >"$D/log" 2>&1
is "$?" 0 "uninterrupted build"
total=$((($(date +%s%N) - start) / 1000000))
ref=$(sha256sum <"$D/image.tar")
rm -rf "$D/state" "$D/image.tar"
make -f "$D/build.mk" >"$D/log" 2>&1
is "$(sha256sum <"$D/image.tar")" "$ref" "the build is reproducible (${total}ms)"

# leftovers: temp names and scratch dirs in the state dir, or beside the
# output (pack's temp names).
leftovers() {
	find "$D/state" -maxdepth 2 \( -name '*.tmp*' -o -name '.tmp-*' -o -name mnt \
		-o -name from -o -name 'discard-*' \) 2>/dev/null
	find "$D" -maxdepth 1 -name '.image.tar*' 2>/dev/null
}

bad=0
for i in $(seq 1 "$POINTS"); do
	rm -rf "$D/state" "$D/image.tar"
	# Points spread over the whole build, a little past it at the end.
	delay=$((total * i / (POINTS - 2)))
	setsid make -f "$D/build.mk" -j2 >"$D/log.kill" 2>&1 &
	pg=$!
	sleep "$((delay / 1000)).$(printf %03d $((delay % 1000)))"
	if [ $((i % 3)) -eq 0 ]; then
		what="runtime"
		for p in $(pgrep -g "$pg" -x df2make-runtime); do kill -9 "$p"; done
		wait $pg
	else
		what="make group"
		kill -9 -- "-$pg" 2>/dev/null
		wait $pg 2>/dev/null
	fi
	sleep 0.1
	make -f "$D/build.mk" -j2 >"$D/log.resume" 2>&1
	rc=$?
	got=$(sha256sum <"$D/image.tar" 2>/dev/null)
	left=$(leftovers)
	if [ "$rc" -eq 0 ] && [ "$got" = "$ref" ] && no_state_mounts "$D/state" && [ -z "$left" ]; then
		ok "kill -9 of the $what at ${delay}ms: resumed, same image, clean state"
	else
		not_ok "kill -9 of the $what at ${delay}ms: resumed, same image, clean state"
		echo "# rc=$rc same=$([ "$got" = "$ref" ] && echo yes || echo no) left: $left"
		sed 's/^/#   /' "$D/log.resume" | grep -v "^#   '" | tail -5
		bad=$((bad + 1))
	fi
done
is "$bad" 0 "every kill point recovered"

# A kill -9 exactly while pack writes the image (its temp is beside the
# output): the next make removes that temp. Before, nothing did: a kill
# point that fell into pack left ".image.tar.tmp.PID" for good (one of the
# ways this test failed under load, when pack takes longer).
P=$T/p
dockerfile "$P" 'FROM busybox
RUN head -c 30000000 /dev/urandom >/big'
compile "$P" --compress none
make -f "$P/build.mk" >"$P/log" 2>&1
is "$?" 0 "pack kill: reference build"
pref=$(sha256sum <"$P/image.tar")
rm -f "$P/image.tar"
setsid make -f "$P/build.mk" >"$P/log.kill" 2>&1 &
pg=$!
for _ in $(seq 1 3000); do
	compgen -G "$P/.image.tar.tmp*" >/dev/null && break
	sleep 0.01
done
kill -9 -- "-$pg" 2>/dev/null
wait $pg 2>/dev/null
check "pack kill: killed while the image temp existed" eval "compgen -G \"$P/.image.tar.tmp*\" >/dev/null"
make -f "$P/build.mk" >"$P/log" 2>&1
is "$?:$(sha256sum <"$P/image.tar")" "0:$pref" "pack kill: the next make packs the same image"
is "$(ls -A "$P" | grep '^\.image')" "" "pack kill: and no temp is left beside it"
# The killed builds' background processes died with their sandboxes.
check "no process of a killed sandbox survives" [ -z "$(pgrep -xf "sleep ${MARK//./\\.}")" ]
check "no overlay of the state dir in the host mount table" no_state_mounts "$D/state"
done_testing

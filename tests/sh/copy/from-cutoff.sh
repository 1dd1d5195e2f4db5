#!/usr/bin/env bash
# A stage that runs again with the same result stops the rebuild at the
# COPY --from that reads it (BuildKit shows that COPY CACHED): the runtime's
# digest of the copied sources (KEY.fsum) is all that changes hands, so the
# final stage, its layers and the image are left as they were. A changed
# result is copied in the same make.
. "$SRCDIR/tests/sh/security/common.bash"
need sha256sum
base_image || { not_ok "base image import"; done_testing; exit 1; }

D=$T/b
dockerfile "$D" 'FROM busybox AS a
COPY in.txt /in.txt
RUN head -c 3 /in.txt >/out

FROM busybox
COPY --from=a /out /out
CMD ["cat", "/out"]'
echo "one: first" >"$D/ctx/in.txt"
build "$D" --progress plain
is "$rc" 0 "cold build"
log_has "$D" "COPY --from=a /out /out" "the COPY --from ran"
sum0=$(sha256sum <"$D/image.tar")

# the stage's input changes, its result (the first 3 bytes) does not
sleep 1.1
echo "one: second" >"$D/ctx/in.txt"
make -f "$D/build.mk" -j2 PROGRESS=plain >"$D/log" 2>&1
is "$?" 0 "incremental build"
log_has "$D" "RUN head -c 3" "the stage ran again"
check "the COPY --from did not run" refute grep -q "COPY --from=a" "$D/log"
check "nor the pack" refute grep -q "exporting to image" "$D/log"
is "$(sha256sum <"$D/image.tar")" "$sum0" "the image is the same bytes"
make -f "$D/build.mk" -j2 >"$D/log" 2>&1
like "$(cat "$D/log")" "Nothing to be done" "the next make has nothing to do"

# now the result changes: copied in the same make
sleep 1.1
echo "two: third" >"$D/ctx/in.txt"
make -f "$D/build.mk" -j2 PROGRESS=plain >"$D/log" 2>&1
is "$?" 0 "build with a changed result"
log_has "$D" "COPY --from=a /out /out" "the COPY --from ran"
unpack_image "$D"
is "$(cat "$(last_layer "$D")/out")" "two" "the image has the new result"
make -f "$D/build.mk" -j2 >"$D/log" 2>&1
like "$(cat "$D/log")" "Nothing to be done" "and the next make has nothing to do"
make -q -f "$D/build.mk" >/dev/null 2>&1
is "$?" 0 "make -q says up to date"
done_testing

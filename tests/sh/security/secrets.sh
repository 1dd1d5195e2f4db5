#!/usr/bin/env bash
# Secrets (`df2make --secret id=s,src=FILE`, RUN --mount=type=secret): the
# RUN sees the secret, and its bytes never appear in a layer, build.mk, the
# plan, the image config/history, the image tar, or the state directory
# after the step. Neither does an env= secret.
. "$SRCDIR/tests/sh/security/common.bash"
base_image || { not_ok "base image import"; done_testing; exit 1; }
VALUE=S3CR3T-$$-$RANDOM-value
printf '%s' "$VALUE" >"$T/secret.txt"
chmod 600 "$T/secret.txt"
want=$(printf '%s' "$VALUE" | sha256sum | cut -c1-64)

D=$T/b
dockerfile "$D" "FROM busybox
ARG NOTSECRET=1
RUN --mount=type=secret,id=s test \"\$(sha256sum </run/secrets/s | cut -c1-64)\" = $want && echo SEEN-FILE
RUN --mount=type=secret,id=s,target=/etc/app.key cp /etc/app.key /dev/null && echo SEEN-TARGET
RUN --mount=type=secret,id=s,env=TOKEN test \"\$(printf %s \"\$TOKEN\" | sha256sum | cut -c1-64)\" = $want && echo SEEN-ENV
RUN --mount=type=secret,id=s,env=TOKEN if [ -e /run/secrets/s ]; then echo ENV-HAS-FILE; else echo ENV-ONLY; fi
RUN --mount=type=secret,id=s,env=TOKEN,target=/both test \"\$(cat /both)\" = \"\$TOKEN\" && echo ENV-AND-FILE
RUN ls -la /run /run/secrets /etc >/listing 2>&1; echo listed
CMD [\"sh\"]"
build "$D" --secret "id=s,src=$T/secret.txt"
is "$rc" 0 "build with a secret succeeds"
L=$(cat "$D/log")
like "$L" "SEEN-FILE" "the RUN reads the secret at /run/secrets/s"
like "$L" "SEEN-TARGET" "and at a custom target"
like "$L" "SEEN-ENV" "and as an env= variable"
like "$L" "ENV-ONLY" "env= without target= sets only the variable: no /run/secrets file (BuildKit)"
like "$L" "ENV-AND-FILE" "env= with target= gives both"
"$DF2MAKE" --plan --store "$ST" --state "$D/state" --secret "id=s,src=$T/secret.txt" "$D/ctx" \
	>"$D/plan.yaml" 2>&1
"$DF2MAKE" --graph --store "$ST" --state "$D/state" --secret "id=s,src=$T/secret.txt" "$D/ctx" \
	>"$D/graph.dot" 2>&1
[ ! -f "$D/image.tar" ] || unpack_image "$D"

# nowhere FILE...: the secret's bytes (or its base64) are in none of them.
b64=$(printf '%s' "$VALUE" | base64 | tr -d '=')
nowhere() { ! grep -rqaF -e "$VALUE" -e "$b64" "$@" 2>/dev/null; }
check "not in build.mk" nowhere "$D/build.mk"
check "not in the plan" nowhere "$D/plan.yaml"
check "not in the graph" nowhere "$D/graph.dot"
check "not in the image tar" nowhere "$D/image.tar"
check "not in any layer (unpacked)" nowhere "$D/layers"
check "not in the image config or history" nowhere "$D/config.json"
check "not in the state dir" nowhere "$D/state"
check "not in the build log" nowhere "$D/log"
check "no /run/secrets/s file in any layer" [ -z "$(find "$D/layers" -path '*/run/secrets/s')" ]
check "no /etc/app.key file in any layer" [ -z "$(find "$D/layers" -name app.key)" ]
check "no mount left under the state dir" no_state_mounts "$D/state"
check "the secret file itself is unchanged" [ "$(cat "$T/secret.txt")" = "$VALUE" ] &&
	[ "$(stat -c %a "$T/secret.txt")" = 600 ]

# A required secret that is not given fails clearly (BuildKit: "secret s:
# not found"), and does not make an empty file appear.
D=$T/missing
dockerfile "$D" 'FROM busybox
RUN --mount=type=secret,id=nope,required=true cat /run/secrets/nope'
build "$D"
check "a missing required secret fails" [ "$rc" -ne 0 ]
like "$(cat "$D/log")" "nope" "  naming the secret"
done_testing

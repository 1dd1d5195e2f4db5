#!/usr/bin/env bash
# The image history's created_by texts, as current BuildKit's dockerfile2llb
# writes them: RUN's "|N K=V" (every ARG in scope, those inherited from the
# parent stage too, the value the RUN sees, "K=" without one), COPY's
# flags (no --from), EXPOSE's list, SHELL and HEALTHCHECK as Go prints
# them (CMD's words as %q: \x01, \u00a0), no entry for ONBUILD (its
# trigger gets one where it fires, with the ARGs the child inherits);
# ArgsEscaped after a CMD of either form.
# EXPOSE sorts its words before expanding them: "$P" comes first.
. "$SRCDIR/tests/lib.sh"
need python3
mkdir -p "$T/ctx"
cd "$T" || exit 1
cat >ctx/Dockerfile <<'DF'
FROM scratch AS base
ARG A=1
ARG NOVAL
ENV A=env-a
RUN x
COPY --chown=7:8 --chmod=0640 f /f
ONBUILD RUN y

FROM base
ARG P="80 53/udp"
EXPOSE $P 90-91 ${UNSET}
RUN z
COPY --from=base --chown=$A /f /g
SHELL ["/bin/sh", "-ec"]
HEALTHCHECK --interval=90s --timeout=1500ms --start-period=1h --start-interval=1500us --retries=3 CMD true
HEALTHCHECK NONE
ENTRYPOINT ["/e"]
CMD ["c\u0001", "\u00a0\u00e9\t"]
DF
: >ctx/f
hist() { # build.mk: the pack spec's history texts and ArgsEscaped, one a line
	grep "^	.* pack [0-9a-f]* '" "$1" | sed "s/^[^']*'//; s/'\$//" | python3 -c '
import json, sys
spec = json.loads(sys.stdin.read())
for h in spec["history"]:
    print(h["created_by"])
print("ArgsEscaped=%s" % spec["config"].get("ArgsEscaped"))'
}
"$DF2MAKE" --store "$T/s" ctx >build.mk 2>err
is "$?" 0 "the Dockerfile compiles"
is "$(hist build.mk)" 'ARG A=1
ARG NOVAL
ENV A=env-a
RUN |2 A=env-a NOVAL= /bin/sh -c x # buildkit
COPY --chown=7:8 --chmod=0640 f /f # buildkit
RUN |2 A=env-a NOVAL= /bin/sh -c y # buildkit
ARG P=80 53/udp
EXPOSE [80/tcp 53/udp 90/tcp 91/tcp]
RUN |3 A=env-a NOVAL= P=80 53/udp /bin/sh -c z # buildkit
COPY --chown=env-a /f /g # buildkit
SHELL [/bin/sh -ec]
HEALTHCHECK {Test:[CMD-SHELL true] Interval:1m30s Timeout:1.5s StartPeriod:1h0m0s StartInterval:1.5ms Retries:3}
HEALTHCHECK {Test:[NONE] Interval:0s Timeout:0s StartPeriod:0s StartInterval:0s Retries:0}
ENTRYPOINT ["/e"]
CMD ["c\x01" "\u00a0é\t"]
ArgsEscaped=True' "history texts and ArgsEscaped as BuildKit writes them"
# Heredocs: named after the other sources whatever their place (current
# BuildKit's dispatchCopy writes SourcePaths, then SourceContents), by
# their delimiter without its quotes; RUN's <<- body as written (tabs
# kept), a #! body run by the shell (dispatchRun). CMD's %q escapes what Go's IsPrint
# rejects: an unassigned U+0378, a format character U+110BD.
mkdir -p "$T/ctx2"
printf '%s\n' 'FROM scratch' 'COPY <<a.txt f <<"b.txt" /d/' A a.txt B b.txt \
	'ADD <<-c f /e/' '	C' c 'RUN cat <<-X >/x' '	x' '	X' 'RUN <<EOF' '#!/bin/sh' 'EOF' \
	"CMD [\"$(printf '\315\270\360\221\202\275\303\251')\"]" >ctx2/Dockerfile
: >ctx2/f
"$DF2MAKE" --store "$T/s" ctx2 >build2.mk 2>err
is "$?" 0 "the Dockerfile with heredocs compiles"
is "$(hist build2.mk)" "COPY f <<a.txt <<b.txt /d/ # buildkit
ADD f <<c /e/ # buildkit
RUN /bin/sh -c cat <<-X >/x
$(printf '\t')x
X # buildkit
RUN /bin/sh -c /dev/pipes/EOF # buildkit
CMD [\"\\u0378\\U000110bd$(printf '\303\251')\"]
ArgsEscaped=True" "heredoc names after the sources; CMD quoted with Go's IsPrint"
done_testing

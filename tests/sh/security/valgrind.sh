#!/usr/bin/env bash
# valgrind on the compiler: no invalid read/write, no use of uninitialised
# memory, no leak (definite or indirect), for build.mk, --plan and --graph
# over Dockerfiles that use most of the language, and for an error path.
# Also one `load` and one runtime step, which exit through the same error
# paths users hit. The compiler is df2make-dyn: df2make is linked fully
# static, where valgrind cannot replace malloc and would see no leak at all.
. "$SRCDIR/tests/sh/security/common.bash"
need valgrind
base_image || { not_ok "base image import"; done_testing; exit 1; }
VG="valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect"
VG="$VG --errors-for-leak-kinds=definite,indirect --track-origins=yes"
DF2MAKE=${DF2MAKE_DYN:?}
# An ASan build's binaries cannot run under valgrind (two allocators).
ldd "$DF2MAKE" 2>/dev/null | grep -q libasan && skip_all "sanitizer build: valgrind cannot run ASan binaries"

# vg NAME CMD...: runs CMD under valgrind; a failure shows the first report.
vg() {
	local name=$1
	shift
	$VG "$@" >"$T/vg.out" 2>"$T/vg.err"
	local r=$?
	if [ "$r" -ne 99 ] && ! grep -q '^==[0-9]*==' "$T/vg.err"; then
		ok "valgrind clean: $name (exit $r)"
	else
		not_ok "valgrind clean: $name"
		grep '^==' "$T/vg.err" | head -25 | sed 's/^/#   /'
	fi
}

D=$T/full
dockerfile "$D" '# syntax=docker/dockerfile:1
# escape=\
ARG BASE=busybox
FROM ${BASE} AS build
ARG V=1 \
    W
ENV A=a B="b c" PATH=/x:$PATH
WORKDIR /src/${V}
COPY --chmod=755 --chown=1:1 f* ./
COPY <<EOF /etc/conf
hello ${A}
EOF
RUN --mount=type=cache,target=/cache,id=c1,sharing=locked \
    --mount=type=tmpfs,target=/t --mount=type=secret,id=s,required=false \
    echo "${A:-x} ${B:+y} ${V#1}" >/out
RUN <<EOT sh
echo heredoc
EOT
SHELL ["/bin/sh", "-eu", "-c"]
USER 1000:1000
FROM scratch AS empty
FROM busybox
COPY --from=build /out /out
COPY --from=build --parents /src/./1 /p/
ADD --chown=0:0 t.tar /t/
LABEL a=b "c d"=e
EXPOSE 80/tcp 53/udp
VOLUME ["/v"]
HEALTHCHECK --interval=5s CMD true
ONBUILD RUN echo later
STOPSIGNAL SIGTERM
ENTRYPOINT ["/bin/sh"]
CMD ["-c", "echo hi"]'
echo a >"$D/ctx/f1"
echo b >"$D/ctx/f2"
printf 'f2\n!f1\n**/*.tmp\n' >"$D/ctx/.dockerignore"
tar -C "$D/ctx" -cf "$D/ctx/t.tar" f1
echo secret >"$T/s"
args=(--store "$ST" --state "$D/state" -t x/y:z --build-arg V=2 --secret "id=s,src=$T/s")
vg "build.mk, full Dockerfile" "$DF2MAKE" "${args[@]}" "$D/ctx"
vg "--plan" "$DF2MAKE" --plan "${args[@]}" "$D/ctx"
vg "--graph" "$DF2MAKE" --graph "${args[@]}" "$D/ctx"
vg "--target build" "$DF2MAKE" --target build "${args[@]}" "$D/ctx"
vg "--dump-ast" "$DF2MAKE" --dump-ast "$D/ctx/Dockerfile"
for f in "$SRCDIR"/examples/hello-go/Dockerfile*; do
	vg "examples/hello-go/$(basename "$f")" "$DF2MAKE" --store "$ST" -f "$f" "$SRCDIR/examples/hello-go"
done

E=$T/err
dockerfile "$E" 'FROM busybox
RUN --mount=type=bogus true
COPY missing /x'
vg "an error path (bad mount type)" "$DF2MAKE" --store "$ST" "$E/ctx"
dockerfile "$E" 'FROM busybox AS a
FROM a AS b
FROM b AS a'
vg "an error path (duplicate stage)" "$DF2MAKE" --store "$ST" "$E/ctx"
vg "an error path (no such target)" "$DF2MAKE" --store "$ST" --target nope "$D/ctx"
vg "an error path (missing image)" "$DF2MAKE" --store "$T/nostore" "$D/ctx"
dockerfile "$E" 'FROM busybox
RUN true'
vg "a base image missing from the store" "$DF2MAKE" --store "$T/nostore" "$E/ctx"

# The runtime: import, load, images, a bad spec (exit paths).
vg "runtime import" "$RT" --store "$ST" import "$T/rootfs-busybox.tar" vg:1
vg "runtime load" "$RT" --store "$ST" load -i "$SRCDIR/tests/fuzz/corpus/load/seed-oci.tar"
vg "runtime load of a hostile archive" "$RT" --store "$ST" load -i \
	"$SRCDIR/tests/fuzz/corpus/load/seed-dotdot-members.tar"
vg "runtime images" "$RT" --store "$ST" images
vg "runtime bad spec" "$RT" --state "$T/st" --store "$ST" run k '{"args":'
# The base, layer and pack ops of a real build under valgrind (run, copy,
# add, sum and workdir use openat2, which valgrind does not know: ENOSYS).
# The image's steps make their layers themselves; the layer code runs
# under valgrind when pack makes them again (the layers removed).
cat >"$T/vgrt" <<EOF
#!/bin/sh
case "\$5" in
base|layer|pack) exec $VG --log-file=$T/vgrt.%p "$RT" "\$@" ;;
*) exec "$RT" "\$@" ;;
esac
EOF
chmod +x "$T/vgrt"
B=$T/rtb
dockerfile "$B" 'FROM busybox
COPY f /f
RUN echo x >/x'
echo f >"$B/ctx/f"
compile "$B"
make -f "$B/build.mk" DF2MAKE_RUNTIME="$T/vgrt" >"$B/log" 2>&1
is "$?" 0 "a build with base/layer/pack under valgrind succeeds"
rm -f "$B"/state/*.layer "$B/image.tar"
make -f "$B/build.mk" DF2MAKE_RUNTIME="$T/vgrt" >>"$B/log" 2>&1
is "$?:$(ls "$B"/state/*.layer | wc -l)" "0:2" "  pack made the two layers again under valgrind"
n=$(ls "$T"/vgrt.* 2>/dev/null | wc -l)
check "  valgrind ran for base and pack, twice ($n runs)" [ "$n" -ge 3 ]
check "  and valgrind reported nothing" [ -z "$(cat "$T"/vgrt.* 2>/dev/null)" ]
cat "$T"/vgrt.* 2>/dev/null | head -20 | sed 's/^/#   /'
done_testing

#!/usr/bin/env bash
# The outputs a buildx user asks for, through an incremental rebuild and a
# no-op: -o type=local,dest=DIR, type=oci,dest=X.tar, type=docker,dest=D.tar,
# --iidfile and --metadata-file, each from its own build.mk in one
# directory. After an edit every file describes the new image (skopeo and
# umoci read the OCI archive; the id file, the metadata and the archive
# agree); after a no-op they are left as they were, byte for byte.
. "$SRCDIR/tests/lib.sh"
. "$SRCDIR/tests/lib/ctxbuild.sh"
need jq skopeo umoci
ctxbuild_busybox
unset SOURCE_DATE_EPOCH
mkdir -p "$T/ctx/src"
echo one >"$T/ctx/src/a.txt"
echo extra >"$T/ctx/extra.txt"
cat >"$T/ctx/Dockerfile" <<'DF'
FROM busybox AS build
COPY src/ /src/
RUN cat /src/* >/out.txt && echo built >>/out.txt
FROM busybox
COPY --from=build /out.txt /app/out.txt
COPY extra.txt /app/
CMD ["cat", "/app/out.txt"]
DF
mk() { # NAME ARGS...: df2make ARGS into NAME.mk (state NAME.state)
	local n=$1
	shift
	"$DF2MAKE" --state "$T/out/$n.state" "$@" "$T/ctx" >"$n.mk" 2>"$T/$n.err" ||
		{ not_ok "compile $n: $(cat "$T/$n.err")"; return 1; }
}
mkall() { # make every build.mk; the logs in T/NAME.log; "name:status ..."
	local n out=""
	for n in local oci docker; do
		make -f "$n.mk" -j4 DF2MAKE_RUNTIME="$DF2MAKE_RUNTIME_BIN" >"$T/$n.log" 2>&1
		out="$out$n:$? "
	done
	echo "$out"
}
mk local -o type=local,dest=rootfs
mk oci -o type=oci,dest=x.tar -t e2e/out:1 --iidfile oci.id --metadata-file oci.json
mk docker -o type=docker,dest=d.tar -t e2e/out:1 --iidfile docker.id --metadata-file docker.json
is "$(mkall)" "local:0 oci:0 docker:0 " "the three builds"

# check_all WANT: every output holds WANT in /app/out.txt and agrees
check_all() {
	local want=$1 man cfg dg
	is "$(cat rootfs/app/out.txt)" "$want" "  type=local: the file in DIR"
	man=$(skopeo inspect --raw oci-archive:x.tar)
	dg=sha256:$(printf '%s' "$man" | sha256sum | cut -c1-64)
	cfg=$(jq -r .config.digest <<<"$man")
	is "$(jq -r '."containerimage.digest"' oci.json) $(jq -r '."containerimage.config.digest"' oci.json)" \
		"$dg $cfg" "  type=oci: the metadata names skopeo's manifest and config digests"
	is "$(cat oci.id)" "$cfg" "  type=oci: --iidfile is the config digest"
	rm -rf "$T/layout" "$T/bundle"
	mkdir -p "$T/layout"
	tar -xf x.tar -C "$T/layout"
	umoci unpack --image "$T/layout:1" "$T/bundle" >"$T/umoci.log" 2>&1
	is "$?:$(cat "$T/bundle/rootfs/app/out.txt" 2>&1)" "0:$want" "  type=oci: umoci unpacks it (tag 1), the file is there"
	is "$(tar -xOf d.tar manifest.json | jq -r '.[0].Config' | sed 's|blobs/sha256/|sha256:|')" \
		"$(cat docker.id)" "  type=docker: manifest.json's config is --iidfile's id"
	is "$(cat docker.id)" "$(cat oci.id)" "  the docker and oci outputs are one image"
	is "$(jq -r '."image.name"' docker.json)" "docker.io/e2e/out:1" "  the metadata names the tag"
}
check_all "one
built"
stamp() { stat -c '%n %Y.%y %s' rootfs/app/out.txt x.tar oci.id oci.json d.tar docker.id docker.json | sha256sum; }
sums() { sha256sum rootfs/app/out.txt x.tar oci.id oci.json d.tar docker.id docker.json; }
s0=$(stamp)
h0=$(sums)

# no-op: nothing to do, every output left as it was
sleep 1.1
is "$(mkall)" "local:0 oci:0 docker:0 " "a no-op make of each"
is "$(grep -hc 'Nothing to be done' "$T/local.log" "$T/oci.log" "$T/docker.log" | paste -sd' ')" "1 1 1" \
	"  make has nothing to do"
is "$(stamp)" "$s0" "  every output file is untouched (mtime, size)"

# incremental: an edit of the build stage's source
echo two >"$T/ctx/src/a.txt"
is "$(mkall)" "local:0 oci:0 docker:0 " "the builds after an edit"
is "$(grep -h '^#[0-9]* \[' "$T/oci.log" | sed 's/^#[0-9]* //' | sort | paste -sd'|')" \
	"[build 2/3] COPY src/ /src/|[build 3/3] RUN cat /src/* >/out.txt && echo built >>/out.txt|[stage-1 2/3] COPY --from=build /out.txt /app/out.txt|[stage-1 3/3] COPY extra.txt /app/" \
	"  the edited COPY and every step after it run"
check_all "two
built"
check "  every file changed but extra's" [ "$(sums | sha256sum)" != "$(printf '%s\n' "$h0" | sha256sum)" ]
is "$(cat rootfs/app/extra.txt)" extra "  type=local: the unchanged file is still there"

# type=local into a directory that holds more (BuildKit's local exporter
# merges: the image's files replace those of the same name, the rest
# stays); dest=. (docker build -o .) into the current directory.
echo mine >rootfs/mine.txt
mkdir -p rootfs/app/own
ln -s /nonexistent rootfs/etc-link
sed -i 's|^COPY extra.txt /app/$|COPY extra.txt /app/extra2.txt|' "$T/ctx/Dockerfile"
make -f local.mk DF2MAKE_RUNTIME="$DF2MAKE_RUNTIME_BIN" >"$T/local.log" 2>&1
is "$?:$(cat rootfs/mine.txt rootfs/app/extra2.txt rootfs/app/extra.txt):$(readlink rootfs/etc-link)" \
	"0:mine
extra
extra:/nonexistent" "type=local into a DEST with the user's files: the new file written, the user's and the old ones kept (BuildKit merges)"
check "  the user's directory inside it too" test -d rootfs/app/own
mkdir -p "$T/here" && echo keep >"$T/here/keep.txt"
"$DF2MAKE" --state "$T/here.state" -o type=local,dest=. "$T/ctx" >"$T/here.mk" 2>"$T/here.err"
(cd "$T/here" && make -f "$T/here.mk" DF2MAKE_RUNTIME="$DF2MAKE_RUNTIME_BIN" >"$T/here.log" 2>&1)
is "$?:$(cat "$T/here/keep.txt" "$T/here/app/out.txt"):$(ls -A "$T/here" | grep -c "\.tmp-")" "0:keep
two
built:0" "-o type=local,dest=. writes into the current directory, keeps its files, leaves no temp"
(cd "$T/here" && make -f "$T/here.mk" DF2MAKE_RUNTIME="$DF2MAKE_RUNTIME_BIN" >"$T/here.log" 2>&1)
is "$?:$(grep -c 'Nothing to be done' "$T/here.log")" "0:1" "  a second make there has nothing to do"
sed -i 's|^COPY extra.txt /app/extra2.txt$|COPY extra.txt /app/|' "$T/ctx/Dockerfile"
mkall >/dev/null

# buildx's --load is the shorthand of -o type=docker (no dest): the same
# build.mk, its remake command included
"$DF2MAKE" -o type=docker -t e2e/out:1 "$T/ctx" 2>/dev/null | grep -v '^# Arguments:' >"$T/o-docker.mk"
"$DF2MAKE" --load -t e2e/out:1 "$T/ctx" 2>/dev/null | grep -v '^# Arguments:' >"$T/load.mk"
is "$(diff "$T/o-docker.mk" "$T/load.mk" && grep -c 'docker load' "$T/load.mk")" 1 \
	"-o type=docker without dest= is --load (buildx): the same build.mk"

# an edit that gives the same content: the image and every output stay
h1=$(sums)
touch "$T/ctx/src/a.txt"
is "$(mkall)" "local:0 oci:0 docker:0 " "the builds after touching a source"
is "$(sums)" "$h1" "  the outputs' bytes are unchanged"
done_testing

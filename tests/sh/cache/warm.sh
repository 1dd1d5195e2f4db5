#!/usr/bin/env bash
# Issue #15 item 6: every build input that changes the image reaches the
# step or layer keys. For each input (SOURCE_DATE_EPOCH, a build arg, the
# platform, a label, --target, --compress): build with one value, change
# it, rebuild warm on the same state; the image digest equals that of a
# clean build with the new value, and differs from the first one.
. "$SRCDIR/tests/sh/cache/common.bash"
M=$T/m
machine "$M"
C=$T/ctx
mkdir -p "$C"
echo data >"$C/f"
cat >"$C/Dockerfile" <<'DF'
FROM busybox AS one
ARG V=1
RUN echo "v=$V" >/v && touch /t
COPY f /f
LABEL l=1
FROM one AS two
RUN echo two >/two
DF

# case NAME ARGS-A ARGS-B: warm A then B, against clean B.
case_() {
	local name=$1 a=$2 b=$3 da dw dc
	rm -rf "$M/state" "$M/image.tar"
	eval "build \"\$M\" \"\$C\" $a"
	da=$(digest "$M")
	if [ "$rc" != 0 ] || [ -z "$da" ]; then
		not_ok "$name: first build"
		sed 's/^/#   /' "$M/log" | tail -5
		return
	fi
	eval "build \"\$M\" \"\$C\" $b"
	dw=$(digest "$M")
	rm -rf "$M/state" "$M/image.tar"
	eval "build \"\$M\" \"\$C\" $b"
	dc=$(digest "$M")
	check "$name: the change changes the image" test "$da" != "$dw"
	is "$dw" "$dc" "$name: warm rebuild = clean build"
}
E='--build-arg SOURCE_DATE_EPOCH=1700000000'
case_ epoch "$E" '--build-arg SOURCE_DATE_EPOCH=1600000000'
SOURCE_DATE_EPOCH=1700000000
export SOURCE_DATE_EPOCH
case_ 'epoch from the environment' '' '--build-arg SOURCE_DATE_EPOCH=1690000000'
case_ 'build arg' "$E" "$E --build-arg V=2"
case_ platform "$E --platform linux/amd64" "$E --platform linux/arm64"
case_ target "$E --target two" "$E --target one"
case_ compress "$E --compress none" "$E --compress gzip"

# A label edited in the Dockerfile: make regenerates build.mk itself.
rm -rf "$M/state" "$M/image.tar"
build "$M" "$C" $E
da=$(digest "$M")
sed -i 's/LABEL l=1/LABEL l=2/' "$C/Dockerfile"
make -f "$M/build.mk" >"$M/log" 2>&1
dw=$(digest "$M")
rm -rf "$M/state" "$M/image.tar"
build "$M" "$C" $E
check "label: the change changes the image" test "$da" != "$dw"
is "$dw" "$(digest "$M")" "label: warm rebuild (make regenerates build.mk) = clean build"
done_testing

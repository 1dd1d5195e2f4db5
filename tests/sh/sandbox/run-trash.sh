#!/usr/bin/env bash
# A RUN run again (its parent changed) hands its last directory to
# STATE/.trash, where a child process deletes it while the command runs
# (runtime/trash.c): the new layer holds only the new run's files, the
# last run's symlinks to host paths go without their targets, the
# image equals a fresh state dir's byte for byte, nothing is left in the
# trash when make returns, a killed run's trash entry is swept by the next
# step, one that a live process still holds is left alone, and without a
# trash directory the old one is removed in place.
. "$SRCDIR/tests/sh/security/common.bash"
need cmp flock pkill
base_image || { not_ok "base image import"; done_testing; exit 1; }

D=$T/b
# the last run's links to host paths are deleted, never followed
mkcanary
mkdir -p "$T/hostdir" && echo keep >"$T/hostdir/keep"
dockerfile "$D" 'FROM busybox
COPY v /v
RUN mkdir -p /cache && for i in $(seq 1 40); do echo $i >/cache/$(cat /v)-$i; done && \
	ln -s '"$T/hostdir"' /cache/dirlink && ln -s '"$CANARY"' /cache/filelink'
echo one >"$D/ctx/v"
compile "$D"
is "$rc" 0 "compile"
make -f "$D/build.mk" >"$D/log" 2>&1
is "$?" 0 "first build"
key=$(grep -o ' run [0-9a-f]\{32\}' "$D/build.mk" | tail -1 | cut -d' ' -f3)
check "the RUN wrote its files" [ -f "$D/state/$key/upper/cache/one-40" ]

trash_list() { ls -A "$D/state/.trash" 2>/dev/null; }

# 1. the parent changed: the RUN runs again under the same key
echo two >"$D/ctx/v"
DF2MAKE_TIMING=1 make -f "$D/build.mk" >"$D/log" 2>&1
is "$?" 0 "run again: build"
is "$(ls "$D/state/$key/upper/cache" | grep -v link | sort -V | head -2 | tr '\n' ' ')" "two-1 two-2 " \
	"run again: the upper holds the new run's files"
is "$(ls "$D/state/$key/upper/cache" | grep -c one)" 0 "run again: none of the last run's"
check "run again: the trash directory was used" [ -d "$D/state/.trash" ]
is "$(trash_list)" "" "run again: the last run's directory is gone when make returns"
like "$(grep '^timing:' "$D/log")" "prepare [0-9.]+/[0-9.]+ sandbox .* trash [0-9.]+/" \
	"run again: the deletion is waited for after the command (DF2MAKE_TIMING)"
check "run again: the image equals a fresh build's" same_as_fresh "$D"
check "run again: the host files the last run linked to are intact" \
	bash -c '[ "$(cat "$1/hostdir/keep")" = keep ]' _ "$T"
check "run again: ... and the canary" canary_intact
unpack_image "$D"
is "$(ls "$(last_layer "$D")/cache" | grep -c '^two-')" 40 "run again: the layer has the 40 new files"

# 2. a killed run's entry (no lock) goes at the next step
E=$D/state/.trash/$key.tmp-a1b2c3
mkdir -p "$E/upper/deep/er"
echo x >"$E/upper/deep/er/f"
chmod 000 "$E/upper/deep" # as overlayfs leaves its work dirs
echo three >"$D/ctx/v"
make -f "$D/build.mk" >"$D/log" 2>&1
is "$?" 0 "killed run's leftover: build"
is "$(trash_list)" "" "killed run's leftover: swept by the next step"

# 3. an entry some live process holds locked stays
H=$D/state/.trash/$key.tmp-d4e5f6
mkdir -p "$H/upper"
echo y >"$H/upper/f"
# -o: the lock stays with flock itself, not with the sleep it starts
flock -o "$H" sleep 60 &
holder=$!
ino=$(stat -c %i "$H")
for _ in $(seq 1 100); do
	grep -q ":$ino " /proc/locks && break
	sleep 0.1
done
check "held entry: the holder has its lock" grep -q ":$ino " /proc/locks
echo four >"$D/ctx/v"
make -f "$D/build.mk" >"$D/log" 2>&1
is "$?" 0 "held entry: build"
is "$(trash_list)" "$(basename "$H")" "held entry: left alone while its holder lives"
pkill -P "$holder" sleep
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
echo five >"$D/ctx/v"
make -f "$D/build.mk" >"$D/log" 2>&1
is "$?" 0 "held entry released: build"
is "$(trash_list)" "" "held entry released: swept by the next step"
check "the image equals a fresh build's" same_as_fresh "$D"

# 4. no trash to move into (a file in its place): removed in place, as before
rm -rf "$D/state/.trash" && echo not-a-dir >"$D/state/.trash"
echo six >"$D/ctx/v"
make -f "$D/build.mk" >"$D/log" 2>&1
is "$?" 0 "no trash directory: build"
is "$(ls "$D/state/$key/upper/cache" | grep -c -e one -e two -e three -e four -e five)" 0 \
	"no trash directory: the last run's files are gone all the same"
is "$(cat "$D/state/.trash")" not-a-dir "no trash directory: the file is left alone"
rm -f "$D/state/.trash"
check "no trash directory: the image equals a fresh build's" same_as_fresh "$D"

done_testing

#!/usr/bin/env bash
# COPY of a context directory run again (runtime/copyidx.c): the files that
# did not change stay as they are in the step's upper dir (same inode), and
# the image equals the one a fresh state dir builds, byte for byte, after an
# edit, an edit that keeps size and mtime, a removed file, a removed empty
# directory, an added file, and a parent step that ran again.
. "$SRCDIR/tests/sh/security/common.bash"
need cmp
base_image || { not_ok "base image import"; done_testing; exit 1; }

D=$T/b
dockerfile "$D" 'FROM busybox
COPY a.txt /a.txt
COPY src/ /app/
RUN find /app | sort >/list'
S=$D/ctx/src
mkdir -p "$S/d1" "$S/d2" "$S/empty"
for i in $(seq 1 20); do echo "one $i" >"$S/d1/f$i"; echo "two $i" >"$S/d2/f$i"; done
ln -s d1/f1 "$S/link"
echo a >"$D/ctx/a.txt"
# every source older than the build, as an edited tree's untouched files are
touch -d '2024-01-02 03:04:05' "$S"/d1/* "$S"/d2/* "$S"/d1 "$S"/d2 "$S/empty" "$D/ctx/a.txt"
# files changed within a second before a copy began are copied again
# next time (their ctime may not have ticked since): let a second pass
sleep 1.2
compile "$D"
is "$rc" 0 "compile"
make -f "$D/build.mk" >"$D/log" 2>&1
is "$?" 0 "first build"
key=$(grep -o 'copy [0-9a-f]\{32\}' "$D/build.mk" | tail -1 | cut -d' ' -f2)
U=$D/state/$key/upper/app
check "the COPY step wrote its index" [ -s "$D/state/$key/copy.idx" ]

list() { tar -xOf "$D/image.tar" "$(tar -xOf "$D/image.tar" manifest.json | jq -r '.[0].Layers[3]')" | tar -xO list; }

# 1. one file edited
ino=$(stat -c "%i %z" "$U/d1/f3")
echo edited >"$S/d2/f5"
make -f "$D/build.mk" >"$D/log" 2>&1
is "$?" 0 "edit: build"
is "$(stat -c "%i %z" "$U/d1/f3")" "$ino" "edit: an unchanged file stays as it was in the upper dir"
is "$(cat "$U/d2/f5")" edited "edit: the edited file is copied"
check "edit: the image equals a fresh build's" same_as_fresh "$D"

# 2. an edit that restores size and mtime (only ctime tells), along with
# an ordinary edit (make reruns the COPY for that one: it goes by mtimes)
cp -p "$S/d1/f7" "$T/f7"
printf 'ONE 7\n' >"$S/d1/f7"
touch -r "$T/f7" "$S/d1/f7"
echo edited again >"$S/d2/f5"
make -f "$D/build.mk" >"$D/log" 2>&1
is "$(cat "$U/d1/f7")" "ONE 7" "same size and mtime: the new content is copied"
check "same size and mtime: the image equals a fresh build's" same_as_fresh "$D"

# 3. a file removed: the old upper would keep it; the step starts over
rm "$S/d2/f9"
make -f "$D/build.mk" >"$D/log" 2>&1
is "$?" 0 "removed file: build"
check "removed file: gone from the upper dir" [ ! -e "$U/d2/f9" ]
like "$(list)" "/app/d2/f8" "removed file: the others are there"
check "removed file: the image equals a fresh build's" same_as_fresh "$D"

# 4. an empty directory removed
rmdir "$S/empty"
make -f "$D/build.mk" >"$D/log" 2>&1
check "removed empty dir: gone from the upper dir" [ ! -e "$U/empty" ]
check "removed empty dir: the image equals a fresh build's" same_as_fresh "$D"

# 5. a file added
echo new >"$S/d1/new"
ino=$(stat -c "%i %z" "$U/d1/f3")
make -f "$D/build.mk" >"$D/log" 2>&1
is "$(cat "$U/d1/new")" new "added file: copied"
is "$(stat -c "%i %z" "$U/d1/f3")" "$ino" "added file: the others stay as they were"
check "added file: the image equals a fresh build's" same_as_fresh "$D"

# 6. the parent step ran again: the upper dir was made over another parent
echo b >"$D/ctx/a.txt"
ino=$(stat -c "%i %z" "$U/d1/f3")
make -f "$D/build.mk" >"$D/log" 2>&1
is "$?" 0 "parent ran again: build"
check "parent ran again: the copy starts from an empty upper dir" [ "$(stat -c "%i %z" "$U/d1/f3")" != "$ino" ]
check "parent ran again: the image equals a fresh build's" same_as_fresh "$D"

# 7. a torn index is not trusted
key_idx=$D/state/$key/copy.idx
head -c 200 "$key_idx" >"$T/torn" && cp "$T/torn" "$key_idx"
echo again >"$S/d2/f5"
ino=$(stat -c "%i %z" "$U/d1/f3")
make -f "$D/build.mk" >"$D/log" 2>&1
check "torn index: the copy starts over" [ "$(stat -c "%i %z" "$U/d1/f3")" != "$ino" ]
check "torn index: the image equals a fresh build's" same_as_fresh "$D"
done_testing

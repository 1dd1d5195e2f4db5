# The fsum op: the digest of what a COPY --from takes from its stage
# (runtime/fsum.c). BuildKit's content key: names, types, modes, owners,
# sizes, link targets, xattrs and bytes, never mtimes; only the sources
# count; KEY.fsum is rewritten only when the digest changes, KEY.fchk at
# every run; an unreadable source never fails the op (the COPY reports it).
. "$SRCDIR/tests/sh/copy/lib.bash"
need getfattr setfattr
F=$T/fromroot
mkdir -p "$F/out/sub" "$S/fromstep" "$F/other"
echo bin >"$F/out/app"
echo s >"$F/out/sub/s"
ln -s app "$F/out/link"
echo o >"$F/other/o"
echo "[{\"dir\": \"$F\"}]" >"$S/fromstep/chain.json"
newkey
SPEC=$(spec '{"srcs":["/out"],"dest":"/o/","from":{"step":"fromstep"},"context":null,"excludes":["sub/skip*"]}')
fsum() { step fsum "$K" "$SPEC"; }
sumf=$S/$K.fsum chk=$S/$K.fchk
mt() { stat -c %Y.%y "$1"; }

fsum
is "$?:$(head -1 "$sumf")" "0:df2make-fsum 1" "fsum writes KEY.fsum"
is "$(cat "$chk")" "$(cat "$sumf")" "and KEY.fchk, the same digest"
is "$(stat -c %y "$sumf")" "$(stat -c %y "$chk")" "a new digest is not older than the check (make -q)"
first=$(cat "$sumf") t0=$(mt "$sumf")

# same: runs again with nothing changed, or only times changed
sleep 1.1
touch "$F/out/app" "$F/out/sub" && touch -h "$F/out/link"
fsum
is "$?:$(cat "$sumf"):$(mt "$sumf")" "0:$first:$t0" "only mtimes changed: KEY.fsum untouched"
check "  KEY.fchk rewritten" test "$chk" -nt "$sumf"
echo changed >"$F/other/o"
fsum
is "$(cat "$sumf")" "$first" "a file outside the sources does not count"
echo skip >"$F/out/sub/skip-me"
fsum
is "$(cat "$sumf")" "$first" "an --exclude'd file does not count"
# a pattern from the stage's root, as the copy matches it too
K0=$K SPEC0=$SPEC
newkey
SPEC=$(spec '{"srcs":["/out"],"dest":"/o/","from":{"step":"fromstep"},"context":null,
	"excludes":["out/rootskip"]}')
fsum
a=$(cat "$S/$K.fsum")
echo x >"$F/out/rootskip"
fsum
is "$(cat "$S/$K.fsum")" "$a" "an --exclude'd file named from the stage's root does not count"
rm "$F/out/rootskip"
K=$K0 SPEC=$SPEC0

# changed: each of what the copy keeps
changes() { # DESC CMD...: CMD changes the digest
	local before
	before=$(cat "$sumf")
	"${@:2}"
	fsum
	check "$1 changes the digest" test "$(cat "$sumf")" != "$before"
}
changes "a file's bytes (same size)" sh -c "echo BIN >'$F/out/app'"
changes "a file's mode" chmod 700 "$F/out/app"
changes "a file's owner" chown 7:8 "$F/out/sub/s"
changes "a directory's owner" chown 9:9 "$F/out/sub"
changes "a symlink's target" ln -sfn sub "$F/out/link"
changes "a new file" sh -c "echo n >'$F/out/new'"
changes "a user xattr" setfattr -n user.k -v v1 "$F/out/app"
changes "its value" setfattr -n user.k -v v2 "$F/out/app"
before=$(cat "$sumf")
rm "$F/out/new"
fsum
check "a removed file changes the digest" test "$(cat "$sumf")" != "$before"

# a source named through an absolute link of the stage: resolved inside
# the stage's root, links below it too (never through the host's /)
mkdir -p "$F/real"
ln -s x "$F/real/l"
ln -s /real "$F/abs"
newkey
SPEC=$(spec '{"srcs":["/abs"],"dest":"/a/","from":{"step":"fromstep"},"context":null}')
sumf=$S/$K.fsum
fsum
a=$(cat "$sumf")
fsum
is "$a" "df2make-fsum 1
$(tail -1 "$sumf")" "a link below an absolute link is read in the stage"
is "$(cat "$sumf")" "$a" "  the same digest twice"
ln -sfn y "$F/real/l"
fsum
check "  its target counts" test "$(cat "$sumf")" != "$a"

# a source the copy cannot read: the op succeeds with a digest no run repeats
newkey
SPEC=$(spec '{"srcs":["/nosuch"],"dest":"/n","from":{"step":"fromstep"},"context":null}')
sumf=$S/$K.fsum
fsum
a=$(cat "$sumf")
fsum
is "$?" 0 "a missing source does not fail the op (the COPY says what is wrong)"
like "$a" "unreadable" "  its digest says so"
check "  and is new at every run, so the COPY runs" test "$(cat "$sumf")" != "$a"

# a stage restored from a registry cache, its layers not fetched (lazy):
# its content key stands for its content, nothing is fetched or mounted
mkdir -p "$S/lazystep"
echo '[{"lazy": "reg.example/c:1", "dir": "/nonexistent/layer"}]' >"$S/lazystep/chain.json"
printf '%064d\n' 7 >"$S/lazystep.ck"
newkey
step fsum "$K" "$(spec '{"srcs":["/out"],"dest":"/o","from":{"step":"lazystep"},"context":null}')"
is "$?:$(cat "$S/$K.fsum")" "0:df2make-fsum 1
restored $(printf '%064d' 7)" "a lazily restored stage: the digest is its content key"

newkey
step fsum "$K" "$(spec '{"srcs":["a"],"dest":"/a"}')"
like "$?:$(errmsg)" "^1:.*COPY step: fsum: the spec has no \"from\" step" "a spec without --from is refused"
check "the stage's root is not left mounted" sh -c "! grep -qF ' $S/' /proc/self/mountinfo"
done_testing

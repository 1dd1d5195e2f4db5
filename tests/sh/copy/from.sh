# COPY --from: a step's read-only view as the source; owners and hardlinks
# kept, no .dockerignore, --chown still wins.
. "$SRCDIR/tests/sh/copy/lib.bash"
F=$T/fromroot
mkdir -p "$F/out/sub" "$S/fromstep" "$F/etc"
echo bin >"$F/out/app"; chown 1234:5678 "$F/out/app"; chmod 4750 "$F/out/app"
ln "$F/out/app" "$F/out/app2"
echo s >"$F/out/sub/s"; chown 42:43 "$F/out/sub" "$F/out/sub/s"
ln -s app "$F/out/applink"
echo "[{\"dir\": \"$F\"}]" >"$S/fromstep/chain.json"
echo 'out' >"$C/.dockerignore"

copy '{"srcs":["out"],"dest":"/o/","from":{"step":"fromstep"},"context":null,"ignore":"'"$C"'/.dockerignore"}'
is "$?:$(tree "$(up /o)")" "0:app f 4750 1234:5678 
app2 f 4750 1234:5678 
applink l 777 0:0 app
sub d 755 42:43 
sub/s f 644 42:43 " "--from keeps owners, modes and symlinks; .dockerignore does not apply"
is "$(stat -c %i "$(up /o/app)")" "$(stat -c %i "$(up /o/app2)")" "--from keeps hardlinks"
copy '{"srcs":["/out/app"],"dest":"/b","from":{"step":"fromstep"},"context":null,"chown":"app"}'
is "$(meta /b)" "regular file 4750 1000:1001" "--from with --chown: the user of the destination rootfs, set-id bits kept"
copy '{"srcs":["out/*"],"dest":"/w/","from":{"step":"fromstep"},"context":null}'
is "$(ls "$(up /w)" | tr '\n' ' ')" "app app2 applink s " "--from with a wildcard"
copy '{"srcs":["nosuch"],"dest":"/n","from":{"step":"fromstep"},"context":null}'
like "$?:$(errmsg)" '^1:.*"nosuch": not found' "--from with a missing path fails"
copy '{"srcs":["out/applink"],"dest":"/al","from":{"step":"fromstep"},"context":null}'
is "$(stat -c %F "$(up /al)"):$(cat "$(up /al)")" "regular file:bin" "--from follows a symlink named as the source"
# A --from source resolves inside the stage's rootfs, as in a chroot:
# absolute targets and ".." stop at its root (BuildKit), never the host.
echo "stage-passwd" >"$F/etc/passwd"
ln -s /etc/passwd "$F/pw"; ln -s ../../../../../etc/passwd "$F/uppw"; ln -s /out "$F/absout"
ln -s "$T/hostonly" "$F/host"; echo HOSTONLY >"$T/hostonly"
copy '{"srcs":["pw"],"dest":"/pw","from":{"step":"fromstep"},"context":null}'
is "$?:$(stat -c %F "$(up /pw)"):$(cat "$(up /pw)")" "0:regular file:stage-passwd" \
	"--from a link to /etc/passwd copies the stage's file, under the link's name"
copy '{"srcs":["uppw"],"dest":"/up","from":{"step":"fromstep"},"context":null}'
is "$?:$(cat "$(up /up)")" "0:stage-passwd" "--from a ../ link stops at the stage's root"
copy '{"srcs":["absout/sub"],"dest":"/as/","from":{"step":"fromstep"},"context":null}'
is "$?:$(cat "$(up /as/s)")" "0:s" "--from through an absolute directory link inside the stage"
copy '{"srcs":["absout/a*"],"dest":"/ag/","from":{"step":"fromstep"},"context":null}'
is "$?:$(ls "$(up /ag)" | tr '\n' ' ')" "0:app app2 applink " "--from wildcard below an absolute link"
copy '{"srcs":["host"],"dest":"/h","from":{"step":"fromstep"},"context":null}'
like "$?:$(errmsg)" '^1:.*"host": not found' "--from a link to a host-only path: not found in the stage"
check "  and the host file is not read" test ! -e "$(up /h)"
done_testing

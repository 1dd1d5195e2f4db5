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
done_testing

# WORKDIR: mkdir -p inside the rootfs, owned by USER, existing dirs kept.
. "$SRCDIR/tests/sh/copy/lib.bash"
mkdir -p "$R/exists" "$T/host"; chmod 0700 "$R/exists"; chown 5:5 "$R/exists"
ln -s "$T/host" "$R/tohost"
wd() { newkey; step workdir "$K" "{\"parent\":\"base\",\"loc\":\"Dockerfile:4\",\"path\":\"$1\",\"user\":\"$2\"}"; }

wd /a/b ""
is "$?:$(meta /a)|$(meta /a/b)" "0:directory 755 0:0|directory 755 0:0" "WORKDIR creates its parents 0755 as root"
check "WORKDIR writes its stamp" test -f "$S/$K.done"
is "$(jq -r '.[-1].step' "$S/$K/chain.json")" "$K" "WORKDIR commits its layer"
wd /home/app/src app
is "$(meta /home)|$(meta /home/app/src)" "directory 755 1000:1001|directory 755 1000:1001" \
	"WORKDIR after USER creates directories owned by that user"
wd /n 1234
is "$(meta /n)" "directory 755 1234:1234" "a numeric USER owns the directory"
wd /exists/sub app
is "$(stat -c '%a %u:%g' "$R/exists"):$(meta /exists/sub)" "700 5:5:directory 755 1000:1001" \
	"an existing directory is left as it is"
wd /tohost/x ""
check "WORKDIR through a symlink to a host path stays in the rootfs" test -d "$(up "$T/host/x")"
check "... and creates nothing on the host" test ! -e "$T/host/x"
wd /exists ""
is "$?:$(jq length "$S/$K/chain.json")" "0:1" "WORKDIR of an existing dir adds no layer"
wd /q nosuch
is "$?:$(meta /q)" "0:directory 755 0:0" \
	"a USER missing from /etc/passwd makes the directory as 0:0 (BuildKit's readUser)"
wd /q2 app:nosuchgroup
is "$?:$(meta /q2)" "0:directory 755 1000:1001" "... and a missing group keeps the user's gid"
done_testing

mkdir -p t
echo x > t/suid; chmod 4755 t/suid
echo x > t/sgid; chmod 2711 t/sgid
mkdir t/stickydir; chmod 1777 t/stickydir
echo x > t/sticky-file; chmod 1644 t/sticky-file
# a 0000 file: an unprivileged client cannot read its own (docker as that
# user fails as df2make does), so not in the rootless run (DIFF_USER)
[ -n "${DIFF_USER:-}" ] || { echo x > t/m0000; chmod 0000 t/m0000; }
echo x > t/m0777; chmod 0777 t/m0777
: > t/empty
truncate -s 30M t/sparse
echo x > "t/with space"
printf 'x' > "$(printf 't/new\nline')"
echo x > t/unicode-é日本
echo x > "$(printf 't/bad-\377\376')"
n=$(printf 'n%.0s' $(seq 250)); echo x > "t/$n"
p=t/deep; for i in $(seq 60); do p=$p/dddddddddd; done; mkdir -p "$p"; echo x > "$p/f"
echo x > t/old; touch -d '1960-01-01' t/old
echo x > t/future; touch -d '2100-01-01' t/future
echo x > t/xattr; setfattr -n user.foo -v bar t/xattr 2>/dev/null || true
cp /bin/busybox t/capbin; setcap cap_net_raw+ep t/capbin 2>/dev/null || true
mkdir t/d0700; chmod 0700 t/d0700; echo x > t/d0700/in

mkdir -p t/dir/sub
echo one > t/dir/one; echo two > t/dir/sub/two
ln -s one t/dir/soft
chmod 0750 t/dir/sub; chmod 4755 t/dir/one
tar --numeric-owner --owner=7 --group=8 -C t -cJf x.tar.xz dir
tar --numeric-owner --owner=9 --group=10 -C t -cjf b.tar.bz2 dir
echo not a tar > p && xz -c p > plain.xz && rm p
rm -rf t

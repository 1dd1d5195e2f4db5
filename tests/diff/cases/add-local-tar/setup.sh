mkdir -p t/dir/sub
echo one > t/dir/one; echo two > t/dir/sub/two
ln t/dir/one t/dir/hard
ln -s one t/dir/soft
chmod 0750 t/dir/sub; chmod 0600 t/dir/sub/two
tar --numeric-owner --owner=1001 --group=1002 -C t -cf plain.tar dir
tar --numeric-owner --owner=0 --group=0 -C t -czf gz.tar.gz dir
tar --numeric-owner --owner=33 --group=33 -C t -cf - dir | gzip -9 > gzipped.tgz
rm -rf t

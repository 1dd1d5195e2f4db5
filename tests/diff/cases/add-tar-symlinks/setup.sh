# archives reached through symlinks: made here, git keeps no tars
mkdir -p t/d && echo hi > t/d/f && tar -C t --owner=0 --group=0 -czf real.tar.gz d && ln -s real.tar.gz link.tar.gz
mkdir -p sub && tar -C t --owner=0 --group=0 -czf sub/inner.tar.gz d && ln -s ../real.tar.gz sub/up.tar.gz
tar -C t --owner=0 --group=0 -czf a.tgz d && ln -s a.tgz b.tgz && rm -rf t

mkdir -p t/d && echo in-tar > t/d/f && tar --numeric-owner -C t -cf www/t.tar d && tar --numeric-owner -C t -czf www/t.tgz d && rm -rf t

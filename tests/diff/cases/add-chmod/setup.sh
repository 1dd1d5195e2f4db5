mkdir -p t/s && echo f > t/s/f && chmod 0604 t/s/f && tar --numeric-owner --owner=3 --group=4 -C t -cf a.tar s && rm -rf t

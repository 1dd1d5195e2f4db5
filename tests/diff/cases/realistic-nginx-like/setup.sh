mkdir -p c/snippets && echo 'events {}' > c/nginx.conf && echo 'x' > c/snippets/s.conf && echo 'types {}' > c/mime.types
tar --numeric-owner --owner=0 --group=0 -C c -czf conf.tar.gz . && rm -rf c
chmod 0755 docker-entrypoint.sh 10-listen.sh; chmod 0775 20-envsubst.sh

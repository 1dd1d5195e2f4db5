mkdir -p src/x && echo a > src/x/a && chmod 0700 src/x && echo b > src/b
tar -C src --owner=3 --group=4 --numeric-owner -cf one.tar x b
gzip -c one.tar > one.tar.gz
cp one.tar t1.tar; mkdir -p src2 && echo c > src2/c && tar -C src2 -cf t2.tar c
cp one.tar hidden-tar
echo "not a tar" > notar
mkdir dir && cp one.tar dir/inner.tar

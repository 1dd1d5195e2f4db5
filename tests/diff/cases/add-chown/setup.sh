mkdir -p t; echo x > t/x
tar --numeric-owner --owner=5 --group=6 -C t -cf a.tar x
rm -rf t
echo plain > plain

# the archives ADD extracts (git stores no tars): gzip, xz, bzip2, with
# modes, a symlink and a nested directory
mkdir -p t/jdk-21.0.2/bin t/jdk-21.0.2/lib t/tools/bin t/plugins/p1
printf '#!/bin/sh\necho "openjdk version \\"21.0.2\\""\n' > t/jdk-21.0.2/bin/java
chmod 755 t/jdk-21.0.2/bin/java
echo modules > t/jdk-21.0.2/lib/modules
ln -s ../lib/modules t/jdk-21.0.2/bin/modules-link
echo tool > t/tools/bin/jcmd && chmod 750 t/tools/bin/jcmd
echo plugin > t/plugins/p1/plugin.jar && chmod 600 t/plugins/p1/plugin.jar
tar -C t --owner=0 --group=0 -czf jdk.tar.gz jdk-21.0.2
tar -C t --owner=1000 --group=1000 -cJf tools.tar.xz tools
tar -C t/plugins --owner=0 --group=0 -cjf plugins.tar.bz2 p1
rm -rf t

# Writes the Dockerfile and its 2,500 source files: the RUN's spec (its
# environment), the COPY's and its sum's (the sources) and the image's
# (labels, history) are over 100 KB, more than build.mk puts on a command
# line: it hands them to the runtime as files (docs/makefile.md, "Big
# specs"). Heredocs (tests/sh/backend/bigspec.sh) need a newer BuildKit.
mkdir -p src
awk 'BEGIN {
	pad = "abcdefghijklmnopqrstuvwxyz0123456789-abcdefghijklmnopqrstuvwxyz"
	print "FROM busybox"
	for (i = 0; i < 1500; i++) printf "LABEL org.example.label-%04d=\"%s\"\n", i, pad
	for (i = 0; i < 1500; i++) printf "ENV E_%04d=%s\\$x\n", i, pad
	print "RUN mkdir /big && env | grep ^E_ | sort >/big/env.txt"
	printf "COPY"
	for (i = 0; i < 2500; i++) printf " \\\nsrc/file-with-a-longer-name-%04d.txt", i
	print " /big/src/"
}' >Dockerfile
i=0
while [ $i -lt 2500 ]; do
	printf '%04d\n' $i >"src/$(printf 'file-with-a-longer-name-%04d.txt' $i)"
	i=$((i + 1))
done

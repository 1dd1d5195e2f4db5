# Writes the Dockerfile and its 2,500 source files: the RUN's spec (its
# environment), the COPY's and its sum's (the sources) and the image's
# (labels, env) are over 100 KB, more than build.mk puts on a command
# line: it hands them to the runtime as files (docs/makefile.md, "Big
# specs"). The 1,500 labels and variables are set by one LABEL and one
# ENV (docker 20.10 takes minutes over 3,000 instructions); `sh setup.sh
# lines` writes an instruction each (tests/sh/backend/bigspec.sh).
# Heredocs (bigspec.sh too) need a newer BuildKit.
mkdir -p src
awk -v lines="${1:-}" 'BEGIN {
	pad = "abcdefghijklmnopqrstuvwxyz0123456789-abcdefghijklmnopqrstuvwxyz"
	print "FROM busybox"
	sep = lines ? "\nLABEL" : " \\\n"
	printf "LABEL"
	for (i = 0; i < 1500; i++) printf "%s org.example.label-%04d=\"%s\"", i ? sep : "", i, pad
	print ""
	sep = lines ? "\nENV" : " \\\n"
	printf "ENV"
	for (i = 0; i < 1500; i++) printf "%s E_%04d=%s\\$x", i ? sep : "", i, pad
	print ""
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

# Writes the Dockerfile: a LABEL and an ENV of 1,500 pairs each and a RUN
# that lists its environment make the RUN's spec (its env) and the
# image's (labels, env) over 100 KB, more than build.mk puts on a command
# line: it hands them to the runtime as files (docs/makefile.md, "Big
# specs"). `sh setup.sh lines` (tests/sh/backend/bigspec.sh) writes an
# instruction per pair instead, and a COPY of 2,500 sources: docker 20.10
# had not finished that COPY after 5 minutes, and failed one of 300
# sources of 200-byte names (lchown: no such file); heredocs need a newer
# BuildKit than 20.10's.
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
	if (!lines)
		exit
	printf "COPY"
	for (i = 0; i < 2500; i++) printf " \\\nsrc/file-with-a-longer-name-%04d.txt", i
	print " /big/src/"
}' >Dockerfile
[ "${1:-}" = lines ] || exit 0
mkdir -p src
i=0
while [ $i -lt 2500 ]; do
	printf '%04d\n' $i >"src/$(printf 'file-with-a-longer-name-%04d.txt' $i)"
	i=$((i + 1))
done

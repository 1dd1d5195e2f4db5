# tests/lib/buildout.sh: what a build left in its directory DIR (DIR/log,
# the make's output, and DIR/image.tar, a docker archive), for the tests
# that build one Dockerfile on several "machines" (tests/sh/cache/*.sh,
# tests/sh/e2e/two-machines.sh). Sourced; needs awk, tar, jq.

# ran DIR: how many RUN steps the last make of DIR ran (progress lines with
# a RUN title, "#N [stage 2/3] RUN ...", whose step did not end "#N CACHED":
# restored from a cache or taken from a concurrent make).
ran() {
	awk '$2 ~ /^\[/ && $0 ~ /\] RUN / { run[$1] = 1 } $2 == "CACHED" { delete run[$1] }
		END { n = 0; for (k in run) n++; print n }' "$1/log"
}

# img_file DIR PATH: PATH's content in DIR/image.tar (the last layer holding it).
img_file() {
	local l out=""
	for l in $(tar -xOf "$1/image.tar" manifest.json | jq -r '.[0].Layers[]'); do
		tar -xOf "$1/image.tar" "$l" | tar -t 2>/dev/null | grep -qx "$2" &&
			out=$(tar -xOf "$1/image.tar" "$l" | tar -xO "$2" 2>/dev/null)
	done
	printf '%s\n' "$out"
}

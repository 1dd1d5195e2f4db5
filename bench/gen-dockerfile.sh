#!/bin/sh
# Writes a Dockerfile of about N lines (default 10000) to stdout: stages of
# 100 lines mixing ARG, ENV, RUN, WORKDIR, COPY from the context and
# COPY --from the previous stage. Context files: src/a.txt, src/b/c.txt.
# With "env" as second argument: FROM scratch and N - 1 lines ENV Ki=vi.
n=${1:-10000}
if [ "${2:-}" = env ]; then
	awk -v n="$n" 'BEGIN { print "FROM scratch"; for (i = 1; i < n; i++) print "ENV K" i "=v" i }'
	exit 0
fi
stages=$(((n + 99) / 100))
printf 'ARG BASE=scratch\n'
s=0
while [ "$s" -lt "$stages" ]; do
	printf 'FROM ${BASE} AS s%d\n' "$s"
	printf 'ARG V%d=%d\n' "$s" "$s"
	printf 'WORKDIR /w%d\n' "$s"
	printf 'COPY src/ /src/\n'
	[ "$s" -gt 0 ] && printf 'COPY --from=s%d /out /prev\n' $((s - 1))
	i=0
	while [ "$i" -lt 23 ]; do
		printf 'ENV E%d_%d=value-$V%d\n' "$s" "$i" "$s"
		printf 'RUN echo step %d %d > /out\n' "$s" "$i"
		printf 'LABEL l%d="x y"\n' "$i"
		printf 'RUN --mount=type=cache,target=/cache true %d\n' "$i"
		i=$((i + 1))
	done
	printf 'CMD ["/out"]\n\n'
	s=$((s + 1))
done

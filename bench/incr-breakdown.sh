#!/usr/bin/env bash
# Where the incremental build of demo-single (examples/hello-go/Dockerfile:
# COPY app.go, RUN go build, CMD over the golang base) spends its time:
# N times, app.go gets a new comment and `make -j` runs again. Every
# runtime process make starts is timed (wall, user+sys CPU, to the
# millisecond, by bash's `time` in a wrapper put in front of
# DF2MAKE_RUNTIME; the whole make -j's CPU the same way), the RUN's phases come from
# DF2MAKE_TIMING=1, and the floor is `go build` alone in the same rootfs
# (an overlay of the unpacked golang layer, chroot, empty go cache, as the
# RUN sees it), timed the same way. Prints medians (ms) and the 1-min load
# average.
#
# Usage: bench/incr-breakdown.sh [N] (default 5), root, with a build:
#   DF2MAKE=build/compiler/df2make DF2MAKE_RUNTIME_BIN=build/runtime/df2make-runtime
# The golang image comes from tests/lib/images.sh (DF2MAKE_CACHE); the
# scratch directory (state, store, output) is under ${TMPDIR:-/tmp};
# BENCH_STORE=DIR uses (and fills) that store instead of a new one (1.2 GB
# fewer written per run, e.g. when comparing two builds run after run).
set -eu
N=${1:-5}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
DF2MAKE=${DF2MAKE:-$top/build/compiler/df2make}
RT=${DF2MAKE_RUNTIME_BIN:-$top/build/runtime/df2make-runtime}
[ "$(id -u)" = 0 ] || { echo "incr-breakdown.sh: needs root (overlay, chroot)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "incr-breakdown.sh: needs /usr/bin/time" >&2; exit 2; }
. "$top/tests/lib/images.sh"
W=$(mktemp -d "${TMPDIR:-/tmp}/incr-breakdown.XXXXXX")
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/ctx"
ST=${BENCH_STORE:-$W/store}
cp "$top/examples/hello-go/app.go" "$top/examples/hello-go/Dockerfile" "$W/ctx/"
images_rootfs golang >/dev/null
if [ -s "$DF2MAKE_CACHE/golang.docker.tar" ]; then
	"$RT" --store "$ST" load -i "$DF2MAKE_CACHE/golang.docker.tar" >/dev/null
else
	"$RT" --store "$ST" import "$DF2MAKE_CACHE/golang.rootfs.tar" golang >/dev/null
fi
"$DF2MAKE" --store "$ST" --state "$W/state" -o "$W/image.tar" "$W/ctx" >"$W/build.mk"
make -f "$W/build.mk" -j DF2MAKE_PROGRESS=none DF2MAKE_RUNTIME="$RT" >"$W/log" 2>&1 ||
	{ tail -5 "$W/log" >&2; exit 1; }
# the wrapper: "OP WALL USER SYS" (seconds, 3 decimals) per runtime call;
# the op is the 5th argument (--state S --store S OP KEY SPEC)
printf '%s\n' '#!/usr/bin/env bash' 'TIMEFORMAT="$5 %3R %3U %3S"' 'exec 3>&2' \
	"{ time '$RT' \"\$@\" 2>&3 3>&-; } 2>>'$W/t'" >"$W/timed"
chmod +x "$W/timed"

# One incremental build: OP WALL USER SYS lines in $W/ops, the RUN's
# timing line in $W/timing, the whole build's wall ms on stdout.
incr() {
	printf '\n// edit %s\n' "$(date +%s%N)" >>"$W/ctx/app.go"
	: >"$W/t"
	local TIMEFORMAT="%3R %3U %3S"
	{ time DF2MAKE_TIMING=1 make -f "$W/build.mk" -j DF2MAKE_PROGRESS=plain \
		DF2MAKE_RUNTIME="$W/timed" >"$W/log" 2>&1; } 2>"$W/whole"
	awk '{ printf "%s %.1f %.1f\n", $1, $2 * 1000, ($3 + $4) * 1000 }' "$W/t" >>"$W/ops"
	grep '^timing:' "$W/log" >>"$W/timing" || true
	awk '{ printf "%.0f %.0f\n", $1 * 1000, ($2 + $3) * 1000 }' "$W/whole"
}

# go build alone in the golang rootfs, as the RUN runs it: CPU and wall ms
gofloor() {
	local L f=$W/floor
	L=$(jq -r '.[0].dir' "$W/state"/*/chain.json | head -1)
	rm -rf "$f" && mkdir -p "$f/u" "$f/w" "$f/m"
	unshare -m sh -c "mount -t overlay overlay -o lowerdir=$L,upperdir=$f/u,workdir=$f/w $f/m &&
		mkdir -p $f/m/go $f/m/dev && cp $W/ctx/app.go $f/m/go/ &&
		mount -t proc proc $f/m/proc && mount --rbind /dev $f/m/dev &&
		/usr/bin/time -f '%e %U %S' -o $f/t chroot $f/m /usr/bin/env -i PATH=/usr/bin:/bin \
			HOME=/root GOPATH=/go sh -c 'cd /go && go build -o app app.go'" >/dev/null 2>&1
	awk '{ printf "gobuild %.0f %.0f\n", $1 * 1000, ($2 + $3) * 1000 }' "$f/t"
}

med() { sort -n | awk '{ v[n++] = $1 } END { if (!n) { print "-"; exit } print (n % 2) ? v[int(n/2)] : (v[n/2-1] + v[n/2]) / 2 }'; }
: >"$W/ops" && : >"$W/timing" && : >"$W/total" && : >"$W/go"
for i in $(seq 1 "$N"); do
	incr >>"$W/total"
	gofloor >>"$W/go"
done
printf '%-22s %8s %8s\n' "incremental build" "wall ms" "CPU ms"
printf '%-22s %8s %8s\n' "make -j, whole" "$(awk '{ print $1 }' "$W/total" | med)" \
	"$(awk '{ print $2 }' "$W/total" | med)"
for op in sum copy layer run pack; do
	# two layer ops (COPY's, RUN's): each is its own line
	awk -v o="$op" '$1 == o' "$W/ops" >"$W/op" || true
	[ -s "$W/op" ] || continue
	printf '%-22s %8s %8s\n' "  $op (each)" "$(awk '{ print $2 }' "$W/op" | med)" \
		"$(awk '{ print $3 }' "$W/op" | med)"
done
for ph in prepare sandbox setup net netwait cleanup commit trash; do
	printf '%-22s %8s %8s\n' "    run: $ph" \
		"$(grep -o "[( ]$ph [0-9.]*/[0-9.]*" "$W/timing" | awk '{ split($2, a, "/"); print a[1] }' | med)" \
		"$(grep -o "[( ]$ph [0-9.]*/[0-9.]*" "$W/timing" | awk '{ split($2, a, "/"); print a[2] }' | med)"
done
printf '%-22s %8s %8s\n' "go build alone" "$(awk '{ print $2 }' "$W/go" | med)" \
	"$(awk '{ print $3 }' "$W/go" | med)"
echo "runs: $N; 1-min load average at the end: $(cut -d' ' -f1 /proc/loadavg)"

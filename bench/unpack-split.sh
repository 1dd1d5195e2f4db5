#!/usr/bin/env bash
# bench/unpack-split.sh: where the CPU time of a layer unpack goes, to
# judge whether inflating in a reader thread (while the main thread writes
# the files) could save wall time on 2 cores: at best it takes the
# inflate and the diff_id's SHA-256 off the writing thread's path, so the
# wall time falls from (inflate + hash + rest) to max(inflate + hash, rest).
#
#   bench/unpack-split.sh LAYER.tar.gz [RUNS]
#
# The layer is loaded as a one-layer image into a private store, then the
# FROM step (`df2make-runtime base`, which unpacks it and checks its
# diff_id on the way) runs RUNS times (default 3) on an emptied layers
# directory under `perf stat` (task-clock, user, sys), and once under
# `perf record`, whose samples are split into inflate (ISA-L or zlib),
# SHA-256 (libcrypto), the kernel (file creation and writes) and the rest
# (libarchive's tar parsing and disk writer, libc). Prints one line per
# figure, the 1-minute load average beside them.
# Environment: DF2MAKE_RUNTIME_BIN (else BUILDDIR/runtime/df2make-runtime).
set -eu
LAYER=$(realpath "$1")
RUNS=${2:-3}
SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
RT=${DF2MAKE_RUNTIME_BIN:-${BUILDDIR:-$SRCDIR/build}/runtime/df2make-runtime}
T=$(mktemp -d /tmp/unpack-split.XXXXXX)
trap 'rm -rf "$T"' EXIT
. "$SRCDIR/tests/sh/image/helpers.bash"
load() { cut -d' ' -f1 /proc/loadavg; }

mk_docker_archive "$T/img.tar" "unpack-split:1" "$LAYER"
"$RT" --quiet --store "$T/s" load -i "$T/img.tar" >/dev/null
base() { rm -rf "$T/s/layers" "$T/st" && "$RT" --quiet --store "$T/s" --state "$T/st" \
	base k '{"image": "unpack-split:1"}'; }

for i in $(seq "$RUNS"); do
	rm -rf "$T/s/layers" "$T/st"
	perf stat -x, -e task-clock,user_time,system_time -o "$T/stat" \
		"$RT" --quiet --store "$T/s" --state "$T/st" base k '{"image": "unpack-split:1"}'
	awk -F, -v l="$(load)" -v i="$i" '$3 == "task-clock" { tc = $1 }
		$3 ~ /user_time/ { u = $1 / 1e6 } $3 ~ /system_time/ { s = $1 / 1e6 }
		END { printf "run %d: task-clock %.0f ms, user %.0f ms, sys %.0f ms (load %s)\n",
			i, tc, u, s, l }' "$T/stat"
done

rm -rf "$T/s/layers" "$T/st"
perf record -q -o "$T/perf.data" -F 999 -- \
	"$RT" --quiet --store "$T/s" --state "$T/st" base k '{"image": "unpack-split:1"}' 2>/dev/null
perf report -i "$T/perf.data" --stdio --sort dso,sym 2>/dev/null | awk -v l="$(load)" '
	/^ *[0-9.]+%/ {
		p = $1; sub("%", "", p)
		if ($0 ~ /isal_|inflate|igzip|decode_huffman|crc32/) c = "inflate"
		else if ($0 ~ /sha256|SHA256|libcrypto/) c = "sha256"
		else if ($0 ~ /\[k\]/) c = "kernel"
		else c = "rest"
		cat[c] += p
	}
	END { printf "samples: inflate %.1f%%, sha256 %.1f%%, kernel %.1f%%, rest %.1f%% (load %s)\n",
		cat["inflate"], cat["sha256"], cat["kernel"], cat["rest"], l }'
perf report -i "$T/perf.data" --stdio --sort pid 2>/dev/null |
	awk -v l="$(load)" '/^ *[0-9.]+%/ { printf "%sthread %s %s", sep, $2, $1; sep = ", " }
		END { printf " of the samples (load %s)\n", l }'

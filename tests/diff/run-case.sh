#!/usr/bin/env bash
# run-case.sh [--mode df2make|docker] [--keep] CASE_DIR
#
# Builds the case with docker/BuildKit (the reference, side A) and with the
# side under test (B), then compares the two images with compare.py (file
# tree + config). Modes:
#   df2make (default): B = `df2make ... > build.mk; make -f build.mk`, the
#                      image tar loaded with `docker load`.
#   docker:            B = `docker build --no-cache` again: validates the
#                      harness (must always compare equal).
#
# A case directory holds a Dockerfile and its context files, plus optional:
#   args         extra build arguments, one per line (--build-arg K=V,
#                --target STAGE, -f Dockerfile.other, --secret
#                id=x,src=@CTX@/file: @CTX@ is the copied context); '#' lines
#                ignored
#   args.VARIANT the arguments of a variant of the case, run with
#                --variant VARIANT instead of args (one Dockerfile, several
#                builds: tests/lib/diffcases.sh runs every variant); its
#                first '#' line is the variant's description
#   setup.sh     run (sh, cwd = the copied context) before building, for what
#                git cannot store: modes, hardlinks, empty dirs, tars, fifos
#   expect-fail  both builds must fail (its text says why)
#   expect-fail-df2make  current BuildKit (v0.13 and later) rejects the build but
#                the local Docker 20.10 BuildKit accepts it: df2make must
#                fail; docker's result is only reported (skipped in docker mode)
#   ignore       globs of paths (no leading /) left out of the comparison,
#                one a line, each with a reason in a '#' line above it
#   ignore-rootless  the same, only when the df2make side builds rootless
#                (DIFF_USER): what an unprivileged build cannot make
#   www/         served by a loopback HTTP server (tests/sh/net/serve.py,
#                www/.meta/NAME gives a file's headers, status, redirect)
#                for ADD of URLs; both builds get --build-arg
#                HTTP=127.0.0.1:PORT (dockerd runs on this host: it reaches it)
#   compare-mtime  globs of paths whose mtimes are compared too, one a line
#   base.Dockerfile  built first by docker (context: the case) as the image
#                df2make-diff-base/NAME, which is saved and loaded into the
#                df2make store too: both sides start FROM the same image
#                with a config of the case's choosing (ONBUILD, USER, ...)
#   history-no-run-args  the history's RUN "|N K=V" lists are not compared
#                (compare.py --no-run-args); the file says why
#   README       what the case is about (first line is the TAP description)
# The context is a copy of the case directory (meta files included: both
# sides see the same context).
#
# Environment: DOCKER/DOCKER_HOST (else dockerd_up is called), DF2MAKE,
# DF2MAKE_RUNTIME_BIN, DF2MAKE_STORE (the store with the base images),
# DIFF_WORK (work dir; default a temp dir), DIFF_USER (df2make mode: compile
# and make as this unprivileged user, rootless, with DF2MAKE_STORE its own
# store; the work dir must be one it may enter), DIFF_DF2MAKE_ARGS (extra
# df2make arguments, split on blanks). Exit: 0 same, 1 different or
# failed, 77 cannot run here.
set -u
here=$(cd "$(dirname "$0")" && pwd)
mode=df2make keep=0 variant=
while [ $# -gt 1 ]; do
	case $1 in
	--mode) mode=$2; shift 2 ;;
	--keep) keep=1; shift ;;
	--variant) variant=$2; shift 2 ;;
	*) break ;;
	esac
done
[ $# -eq 1 ] || {
	echo "usage: $0 [--mode df2make|docker] [--keep] [--variant V] CASE_DIR" >&2
	exit 2
}
case_dir=$(cd "$1" && pwd) || exit 2
name=$(basename "$case_dir")
argsfile=$case_dir/args
if [ -n "$variant" ]; then
	argsfile=$case_dir/args.$variant
	[ -f "$argsfile" ] || { echo "no $argsfile" >&2; exit 2; }
	name=$name-$variant
fi

if [ -z "${DOCKER_HOST:-}" ] || [ -z "${DOCKER:-}" ]; then
	. "$here/../lib/dockerd.sh"
	dockerd_up || exit 77
fi

work=${DIFF_WORK:-$(mktemp -d "${TMPDIR:-/tmp}/df2make-diff.XXXXXX")}/$name
rm -rf "$work"
mkdir -p "$work"
ctx=$work/ctx
cp -a "$case_dir" "$ctx"
if [ -f "$ctx/setup.sh" ]; then
	(cd "$ctx" && sh ./setup.sh) >"$work/setup.log" 2>&1 ||
		{ echo "setup.sh failed:"; sed 's/^/  /' "$work/setup.log"; exit 1; }
fi
args=()
srv_pid=
if [ -d "$ctx/www" ]; then
	python3 "$here/../sh/net/serve.py" "$ctx/www" "$work/http.log" >"$work/http.port" \
		2>"$work/http.err" &
	srv_pid=$!
	for _ in $(seq 50); do [ -s "$work/http.port" ] && break; sleep 0.1; done
	[ -s "$work/http.port" ] || { echo "the HTTP server did not start"; kill "$srv_pid"; exit 1; }
	args+=(--build-arg "HTTP=127.0.0.1:$(cat "$work/http.port")")
fi
if [ -f "$argsfile" ]; then
	while IFS= read -r l; do
		case $l in '' | '#'*) continue ;; esac
		args+=("${l//@CTX@/$ctx}")
	done <"$argsfile"
fi
# -f from args, else CTX/Dockerfile
dockerfile=Dockerfile
rest=()
i=0
while [ $i -lt ${#args[@]} ]; do
	if [ "${args[$i]}" = -f ]; then
		dockerfile=${args[$((i + 1))]}
		i=$((i + 2))
	else
		rest+=("${args[$i]}")
		i=$((i + 1))
	fi
done
args=("${rest[@]+"${rest[@]}"}")
expect_fail=0
[ -f "$case_dir/expect-fail" ] && expect_fail=1
if [ -f "$case_dir/expect-fail-df2make" ]; then
	[ "$mode" = docker ] && { echo "expect-fail-df2make: no docker-vs-docker comparison"; exit 77; }
	expect_fail=2
fi
tag=df2make-diff/$(echo "$name" | tr 'A-Z_' 'a-z-')
# per run: suites of other worktrees on the same daemon build the same
# cases, and one's cleanup would remove the other's image before its save
ta=$tag:docker-$$ tb=$tag:$mode-$$
[ "$mode" = docker ] && tb=$tag:again-$$

cleanup() {
	[ -z "$srv_pid" ] || kill "$srv_pid" 2>/dev/null
	[ -z "${btag:-}" ] || [ "$keep" = 1 ] || "$DOCKER" rmi -f "$btag" >/dev/null 2>&1
	[ "$keep" = 1 ] && return
	"$DOCKER" rmi -f "$ta" "$tb" >/dev/null 2>&1
	[ -n "${DIFF_WORK:-}" ] && rm -rf "$work"
}
trap cleanup EXIT

build_docker() { # TAG LOG [extra]
	local t=$1 log=$2
	shift 2
	"$DOCKER" build --network=none --progress=plain "$@" -f "$ctx/$dockerfile" -t "$t" \
		"${args[@]+"${args[@]}"}" "$ctx" >"$log" 2>&1
}

# as_builder CMD...: CMD as the df2make side's user (DIFF_USER, rootless:
# the user owns the context and work dir, as a user owns what they build).
as_builder() {
	if [ -n "${DIFF_USER:-}" ]; then
		(cd "$work" && setpriv --reuid="$DIFF_USER" --regid="$(id -g "$DIFF_USER")" \
			--clear-groups env HOME="$work" DF2MAKE_STORE="$DF2MAKE_STORE" "$@")
	else
		"$@"
	fi
}

# give_to_user DIR: DIR's tree to DIFF_USER, modes kept (chown clears the
# set-id bits, which the context's files must keep: COPY copies them).
give_to_user() {
	python3 - "$1" "$(id -u "$DIFF_USER")" "$(id -g "$DIFF_USER")" <<'PY'
import os, stat, sys
u, g = int(sys.argv[2]), int(sys.argv[3])
def give(p):
    st = os.lstat(p)
    os.lchown(p, u, g)
    if not stat.S_ISLNK(st.st_mode):
        os.chmod(p, stat.S_IMODE(st.st_mode))
give(sys.argv[1])
for d, dirs, files in os.walk(sys.argv[1]):
    for n in dirs + files:
        give(os.path.join(d, n))
PY
}

build_df2make() { # TAG LOG
	local t=$1 log=$2 rc extra=()
	: "${DF2MAKE:?DF2MAKE is not set}"
	read -r -a extra <<<"${DIFF_DF2MAKE_ARGS:-}"
	[ -z "${DIFF_USER:-}" ] || give_to_user "$work" || { echo "chown to $DIFF_USER failed"; return 1; }
	{
		echo "+ df2make -f $ctx/$dockerfile -t $t ${extra[*]+"${extra[*]}"}" \
			"${args[*]+"${args[*]}"} -o $work/image.tar --state $work/state $ctx" \
			"${DIFF_USER:+(as $DIFF_USER)}"
		as_builder "$DF2MAKE" -f "$ctx/$dockerfile" -t "$t" "${extra[@]+"${extra[@]}"}" \
			"${args[@]+"${args[@]}"}" -o "$work/image.tar" --state "$work/state" "$ctx" \
			>"$work/build.mk"
		rc=$?
		[ $rc -eq 0 ] || { echo "df2make exited $rc"; return 1; }
		echo "+ make -f $work/build.mk"
		if [ -n "${DF2MAKE_RUNTIME_BIN:-}" ]; then
			as_builder make -f "$work/build.mk" DF2MAKE_RUNTIME="$DF2MAKE_RUNTIME_BIN" ||
				{ echo "make failed"; return 1; }
		else
			as_builder make -f "$work/build.mk" || { echo "make failed"; return 1; }
		fi
		[ -s "$work/image.tar" ] || { echo "no $work/image.tar after make"; return 1; }
		echo "+ docker load -i $work/image.tar"
		retry3 "$DOCKER" load -i "$work/image.tar" || { echo "docker load failed"; return 1; }
		"$DOCKER" image inspect "$t" >/dev/null 2>&1 || { echo "docker load did not create $t"; return 1; }
	} >"$log" 2>&1
}

# retry3 CMD...: CMD, and twice more if it fails. Only for the docker
# daemon's own steps (the reference build, load, save): dockerd's overlay2
# on this kind of machine now and then loses a file it just wrote ("open
# .../merged/x: no such file or directory", "stat /bin/sh"), which says
# nothing about the case. A deterministic failure fails three times.
retry3() {
	"$@" && return 0
	sleep 1
	"$@" && return 0
	sleep 2
	"$@"
}

show() { # LOG: indented tail
	tail -n "${2:-25}" "$1" | sed 's/^/  | /'
}

# base.Dockerfile: the same base image for both sides (docker's image,
# saved and loaded into the df2make store as the user who builds)
btag=
if [ -f "$ctx/base.Dockerfile" ]; then
	btag=df2make-diff-base/$(echo "$name" | tr 'A-Z_' 'a-z-')
	"$DOCKER" rmi -f "$btag" >/dev/null 2>&1
	if ! retry3 "$DOCKER" build --network=none -f "$ctx/base.Dockerfile" -t "$btag" "$ctx" \
		>"$work/base.log" 2>&1; then
		echo "base.Dockerfile: docker build failed"
		show "$work/base.log"
		exit 1
	fi
	if [ "$mode" = df2make ] && ! {
		retry3 "$DOCKER" save -o "$work/base.tar" "$btag" &&
			{ [ -z "${DIFF_USER:-}" ] || give_to_user "$work"; } &&
			as_builder "${DF2MAKE_RUNTIME_BIN:-df2make-runtime}" load -i "$work/base.tar" \
				>>"$work/base.log" 2>&1
	}; then
		echo "base.Dockerfile: the base image could not be loaded into the df2make store"
		show "$work/base.log"
		exit 1
	fi
fi

if [ $expect_fail = 2 ]; then
	build_df2make "$tb" "$work/b.log"
	rb=$?
	build_docker "$ta" "$work/a.log"
	ra=$?
	if [ $rb -eq 0 ]; then
		echo "$mode succeeded; current BuildKit rejects this: $(head -c 300 "$case_dir/expect-fail-df2make")"
		exit 1
	fi
	echo "$mode failed as current BuildKit does (local docker: $([ $ra -eq 0 ] && echo accepts it || echo fails too))"
	echo "  $mode: $(grep -m1 -iE 'error|failed' "$work/b.log" | cut -c1-200)"
	exit 0
fi
# a case that expects docker to build retries its daemon's flakes
if [ $expect_fail = 0 ]; then
	retry3 build_docker "$ta" "$work/a.log"
else
	build_docker "$ta" "$work/a.log"
fi
ra=$?
if [ "$mode" = docker ]; then
	retry3 build_docker "$tb" "$work/b.log" --no-cache
else
	build_df2make "$tb" "$work/b.log"
fi
rb=$?

if [ $expect_fail = 1 ]; then
	if [ $ra -eq 0 ]; then
		echo "case error: docker build succeeded but the case expects failure"
		exit 1
	fi
	if [ $rb -eq 0 ]; then
		echo "docker failed as expected, $mode succeeded:"
		echo "  docker:"; show "$work/a.log" 8
		exit 1
	fi
	echo "both failed as expected"
	echo "  docker: $(grep -m1 -iE 'error|failed' "$work/a.log" | cut -c1-200)"
	echo "  $mode: $(grep -m1 -iE 'error|failed' "$work/b.log" | cut -c1-200)"
	exit 0
fi
if [ $ra -ne 0 ]; then
	echo "case error: docker build failed:"
	show "$work/a.log"
	exit 1
fi
if [ $rb -ne 0 ]; then
	echo "$mode build failed:"
	show "$work/b.log"
	exit 1
fi
save() { # TAG OUT: docker save; Docker 20.10 cannot save an image with no
	# layers ("empty export"), so write an empty-layer archive for it.
	local n
	n=$("$DOCKER" image inspect -f '{{len .RootFS.Layers}}' "$1") || return 1
	if [ "$n" = 0 ]; then
		python3 -c 'import io,json,sys,tarfile
t=tarfile.open(sys.argv[1],"w")
for n,d in (("manifest.json",[{"Config":"c.json","Layers":[]}]),("c.json",{})):
    b=json.dumps(d).encode(); i=tarfile.TarInfo(n); i.size=len(b); t.addfile(i,io.BytesIO(b))
t.close()' "$2"
	else
		"$DOCKER" save -o "$2" "$1"
	fi
}
save_inspect() { # TAG SIDE
	save "$1" "$work/$2.save.tar" && "$DOCKER" image inspect "$1" >"$work/$2.inspect.json"
}
retry3 save_inspect "$ta" a && retry3 save_inspect "$tb" b ||
	{ echo "docker save/inspect failed"; exit 1; }
ign=()
[ -f "$case_dir/history-no-run-args" ] && ign+=(--no-run-args)
if [ -f "$case_dir/compare-mtime" ]; then
	while IFS= read -r l; do
		case $l in '' | '#'*) continue ;; esac
		ign+=(--mtime "$l")
	done <"$case_dir/compare-mtime"
fi
ignore_files=("$case_dir/ignore")
[ -n "${DIFF_USER:-}" ] && ignore_files+=("$case_dir/ignore-rootless")
for f in "${ignore_files[@]}"; do
	[ -f "$f" ] || continue
	while IFS= read -r l; do
		case $l in '' | '#'*) continue ;; esac
		ign+=(--ignore "$l")
	done <"$f"
done
python3 "$here/compare.py" "${ign[@]+"${ign[@]}"}" --label-a docker --label-b "$mode" \
	"$work/a.save.tar" "$work/a.inspect.json" "$work/b.save.tar" "$work/b.inspect.json" >"$work/compare.out" 2>&1
rc=$?
head -n 60 "$work/compare.out"
[ $rc -eq 0 ] && exit 0
exit 1

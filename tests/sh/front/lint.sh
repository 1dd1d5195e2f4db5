#!/usr/bin/env bash
# Golden cases of the build checks, tests/cases/lint/*.case, written from
# BuildKit's frontend/dockerfile/dockerfile_check_test.go (same inputs,
# same rule names and messages). One case per file:
#   %%ARGS words...          more df2make options (shell-quoted, @TMP@ allowed);
#                            --store TMP/store --platform linux/amd64 come first
#   %%IMAGE NAME OS/ARCH [K=V ...]  a base image in the store with that config
#   %%FILE path              a file of the case (the context is ctx/); lines follow
#   %%CHECK N                `df2make --check` exits N and prints what follows
#   %%CHECKERR               its standard error (default: nothing)
#   %%BUILD                  a compile's standard error (the warnings of the
#                            stages it builds; default: not compared); the
#                            compile must succeed and its build.mk must not
#                            change when every check is skipped
# The temp dir is written @TMP@.
. "$SRCDIR/tests/lib.sh"
: "${DF2MAKE:?}"
need python3
export SOURCE_DATE_EPOCH= DF2MAKE_RUNTIME=df2make-runtime

# fake_image STORE NAME OS/ARCH ENV...: what `df2make-runtime load` leaves.
fake_image() {
	python3 - "$@" <<'PY'
import hashlib, json, os, sys
store, name, plat, env = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
osn, arch = plat.split("/")[:2]
cfg = json.dumps({"architecture": arch, "os": osn, "config": {"Env": env}})
d = hashlib.sha256(cfg.encode()).hexdigest()
os.makedirs(store + "/blobs/sha256", exist_ok=True)
os.makedirs(store + "/refs", exist_ok=True)
open(store + "/blobs/sha256/" + d, "w").write(cfg)
ref = {"name": name, "manifest": "sha256:" + hashlib.sha256(name.encode()).hexdigest(),
       "config": "sha256:" + d, "layers": []}
h = hashlib.sha256(name.encode()).hexdigest()
open(store + "/refs/" + h + ".json", "w").write(json.dumps(ref))
PY
}

# compare NAME WANT GOT: exact bytes, @TMP@ for the case's directory.
compare() {
	sed -i -e "s|$dir|@TMP@|g" "$3"
	if cmp -s "$2" "$3"; then ok "$1"; else
		not_ok "$1"
		diff "$2" "$3" | head -30 | sed 's/^/#   /'
	fi
}

# The compile with the check directive replaced by "skip=all" must write
# the same build.mk: warnings only go to standard error.
same_makefile() { # name
	local df="$dir/ctx/Dockerfile" v
	for v in warn skip; do
		mkdir -p "$dir/$v"
		{ [ $v = skip ] && echo "# check=skip=all" || echo "# no check directive"
			grep -v '^# *check=' "$df"; } >"$dir/$v/Dockerfile"
		(cd "$dir" && "$DF2MAKE" "${base[@]}" "${extra[@]}" -f "$dir/$v/Dockerfile" \
			"$dir/ctx" >"$dir/$v.mk" 2>"$dir/$v.err")
		sed -i -e "s|$dir/$v/Dockerfile|DOCKERFILE|g" "$dir/$v.mk"
	done
	check "$1: the compile warns" test -s "$dir/warn.err"
	check "$1: build.mk is the same with every check skipped" cmp -s "$dir/warn.mk" "$dir/skip.mk"
	is "$(cat "$dir/skip.err")" "" "$1: skip=all silences the compile"
}

run_case() { # file
	local f=$1 name dir file="" line rc args="" want_rc=0 build=0 extra
	name=$(basename "$f" .case)
	dir="$T/$name"
	mkdir -p "$dir/ctx"
	: >"$dir/want.check"
	: >"$dir/want.checkerr"
	while IFS= read -r line || [ -n "$line" ]; do
		case "$line" in
		%%ARGS*) args=${line#%%ARGS} ;;
		%%IMAGE\ *) eval "fake_image \"$dir/store\" ${line#%%IMAGE }" ;;
		%%FILE\ *) file="$dir/${line#%%FILE }"; mkdir -p "$(dirname "$file")"; : >"$file" ;;
		%%CHECK\ *) want_rc=${line#%%CHECK }; file="$dir/want.check" ;;
		%%CHECKERR) file="$dir/want.checkerr" ;;
		%%BUILD) build=1; file="$dir/want.build"; : >"$file" ;;
		*) [ -n "$file" ] && printf '%s\n' "$line" >>"$file" ;;
		esac
	done <"$f"
	args=${args//@TMP@/$dir}
	eval "extra=($args)"
	base=(--store "$dir/store" --platform linux/amd64)
	(cd "$dir" && "$DF2MAKE" --check "${base[@]}" "${extra[@]}" "$dir/ctx" \
		>"$dir/check" 2>"$dir/checkerr")
	rc=$?
	is "$rc" "$want_rc" "$name: --check exits $want_rc"
	compare "$name: --check output" "$dir/want.check" "$dir/check"
	compare "$name: --check standard error" "$dir/want.checkerr" "$dir/checkerr"
	[ "$build" = 1 ] || return 0
	(cd "$dir" && "$DF2MAKE" "${base[@]}" "${extra[@]}" "$dir/ctx" >"$dir/build.mk" \
		2>"$dir/build.err")
	is "$?" 0 "$name: the compile succeeds"
	compare "$name: the compile's warnings" "$dir/want.build" "$dir/build.err"
	same_makefile "$name"
}

for f in "$SRCDIR"/tests/cases/lint/*.case; do
	[ -e "$f" ] || skip_all "no cases"
	run_case "$f"
done

# A compile under error=true fails as BuildKit's build does: the warnings,
# the error, exit 1, and build.mk (a regular file) taken back to nothing.
mkdir -p "$T/err/ctx" && cd "$T/err" || exit 1
printf '# check=error=true\nFROM scratch AS Base\n' >ctx/Dockerfile
"$DF2MAKE" --store "$T/err/store" ctx >build.mk 2>err
is "$?" 1 "error=true: the compile fails"
is "$(wc -c <build.mk)" 0 "error=true: build.mk is left empty"
want="ctx/Dockerfile:2:1: warning: StageNameCasing: Stage name 'Base' should be lowercase"
is "$(sed "s|$T/err/||" err)" "$want
ctx/Dockerfile:2:1: error: lint violation found for rules: StageNameCasing" \
	"error=true: the warning, then the error"

# --check builds nothing: no state directory, nothing but the report.
"$DF2MAKE" --check --store "$T/err/store" ctx >out 2>err
is "$?" 1 "--check with error=true exits 1"
is "$(ls -A "$T/err" | tr '\n' ' ')" "build.mk ctx err out " "--check leaves no state behind"
done_testing

# Shared TAP helpers for tests/sh/*.sh. Source it first:
#   . "$SRCDIR/tests/lib.sh"
# TEST_TMPDIR is a fresh directory per test file (kept when it fails).
set -u
# A Dockerfile naming an image the store lacks makes build.mk pull it: in
# tests, only loopback registries may be contacted (runtime/http.c).
export DF2MAKE_LOOPBACK_ONLY=1
_tap_n=0
_tap_failed=0
T=${TEST_TMPDIR:-$(mktemp -d)}
ok() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $*"; }
not_ok() { _tap_n=$((_tap_n + 1)); _tap_failed=$((_tap_failed + 1)); echo "not ok $_tap_n - $*"; }
skip() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $1 # SKIP ${2:-}"; }
# skip_all REASON: the whole file cannot run here.
skip_all() { echo "skip: $*"; exit 77; }
# check DESC CMD...: passes when CMD exits 0.
check() { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
# is GOT WANT DESC: string equality, with a diff on failure.
is() {
	if [ "$1" == "$2" ]; then ok "$3"; else
		not_ok "$3"
		diff <(printf '%s\n' "$2") <(printf '%s\n' "$1") | sed 's/^/#   /' | head -40
	fi
}
# like GOT REGEX DESC
like() { if printf '%s' "$1" | grep -qE -- "$2"; then ok "$3"; else not_ok "$3"; echo "#   got: $1" | head -20; fi; }
# done_testing: exit status reflects failures.
done_testing() { echo "1..$_tap_n"; [ "$_tap_failed" -eq 0 ]; }
# need CMD...: skip the whole file when a tool is missing.
need() { for c in "$@"; do command -v "$c" >/dev/null 2>&1 || skip_all "$c not installed"; done; }
# mkspec OP BUILD.MK: the JSON spec build.mk's last `OP KEY SPEC` recipe
# passes, whether inline (a quoted word) or, over 64 KiB, as a variable
# DF2MAKE_SPEC_N its recipe writes to a file (docs/makefile.md, "Big specs").
mkspec() {
	local w n
	w=$(grep -E "^	.* $1 [0-9a-f]{32} " "$2" | tail -1 | sed -E "s/.* $1 [0-9a-f]{32} //")
	case $w in
	\'*) printf '%s\n' "$w" | sed -e "s/^'//" -e "s/'\$//" -e "s/'\\\\''/'/g" -e 's/\$\$/$/g' ;;
	*)
		n=$(printf '%s\n' "$w" | sed -n 's/^$(call DF2MAKE_SPEC_FILE,[0-9a-f]*\.spec,\(DF2MAKE_SPEC_[0-9]*\)).*/\1/p')
		[ -n "$n" ] && sed -n "/^define $n\$/{n;p;q}" "$2" | sed 's/\$\$/$/g'
		;;
	esac
}

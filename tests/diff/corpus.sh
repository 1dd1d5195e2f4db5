#!/usr/bin/env bash
# corpus.sh ROOT: compiles every Dockerfile found under ROOT/REPO/ (a tree
# per project, e.g. `git archive` of public repositories) with df2make
# --plan, the context being the Dockerfile's directory and, when a source
# is missing there, the project's root (where most projects' CI builds
# from). Prints one line per file, "accepted|rejected<TAB>REPO/PATH<TAB>the
# first error line", then the counts. The corpus itself is not part of
# this repository (its files are other projects' text): the results are
# reported in docs/differential.md. Environment: DF2MAKE (default: df2make
# on the PATH), DF2MAKE_STORE (default: an empty temp store, so every FROM
# is a pull target and nothing is fetched at compile time).
set -u
[ $# -eq 1 ] || { echo "usage: $0 ROOT" >&2; exit 2; }
root=$(cd "$1" && pwd) || exit 2
df2make=${DF2MAKE:-df2make}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/df2make-corpus.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export DF2MAKE_STORE=${DF2MAKE_STORE:-$tmp/store}
acc=0 rej=0
compile() { # FILE CONTEXT: the first error line, empty when accepted
	"$df2make" -f "$1" --plan "$2" 2>&1 >/dev/null | grep -m1 ': error: '
}
while IFS= read -r -d '' f; do
	rel=${f#"$root"/}
	repo=${rel%%/*}
	err=$(compile "$f" "$(dirname "$f")")
	case $err in *"not found in the build context"*)
		err=$(compile "$f" "$root/$repo") ;;
	esac
	if [ -z "$err" ]; then
		acc=$((acc + 1))
		printf 'accepted\t%s\t\n' "$rel"
	else
		rej=$((rej + 1))
		printf 'rejected\t%s\t%s\n' "$rel" "${err#"$root"/}"
	fi
done < <(find "$root" -type f \( -name 'Dockerfile*' -o -name '*.Dockerfile' \
	-o -name 'Containerfile*' \) ! -name '*.dockerignore' ! -name '*.template' \
	! -name '*.md' ! -name '*.go' ! -name '*.sh' ! -name '*.txt' -size +0 -print0 | sort -z)
echo "total $((acc + rej)): $acc accepted, $rej rejected"

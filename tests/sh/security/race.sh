#!/usr/bin/env bash
# The context changed between the sum (which hashed it) and the COPY: a
# wrapper around the runtime swaps files for symlinks to a host file just
# before the copy op starts. The copy resolves every source inside the
# context at copy time (openat2 RESOLVE_BENEATH): a top-level source that
# became a link out is refused, a file inside a copied directory that
# became one is copied as a link; the host file is never read.
. "$SRCDIR/tests/sh/security/common.bash"
base_image || { not_ok "base image import"; done_testing; exit 1; }
mkcanary
echo "host secret" >"$CANARY.secret"

# race DIR WHAT...: builds DIR, with each context path WHAT replaced by a
# link to the host secret right before the copy op runs.
race() {
	local d=$1 w
	shift
	printf '#!/bin/sh\n[ "$5" != copy ] || { cd %q && rm -f' "$d/ctx" >"$T/wrap"
	for w in "$@"; do printf ' %q' "$w" >>"$T/wrap"; done
	printf ' && for f in' >>"$T/wrap"
	for w in "$@"; do printf ' %q' "$w" >>"$T/wrap"; done
	printf '; do ln -s %q "$f"; done; }\nexec %q "$@"\n' "$CANARY.secret" "$RT" >>"$T/wrap"
	chmod +x "$T/wrap"
	compile "$d"
	make -f "$d/build.mk" DF2MAKE_RUNTIME="$T/wrap" >"$d/log" 2>&1
	rc=$?
}

D=$T/top
dockerfile "$D" 'FROM busybox
COPY f /f'
echo good >"$D/ctx/f"
race "$D" f
is "$rc" 2 "a top-level source swapped for a link out after the sum: make fails"
log_has "$D" 'Dockerfile:2: COPY step: source "f" points outside the build context' \
	"refused as pointing outside the context"
check "no stamp for the COPY" [ "$(ls "$D"/state/*.done | wc -l)" -eq 1 ]

D=$T/deep
dockerfile "$D" 'FROM busybox
COPY d /d'
mkdir -p "$D/ctx/d" && echo good >"$D/ctx/d/g"
race "$D" d/g
is "$rc" 0 "a file in a copied directory swapped for a link out: the copy succeeds"
unpack_image "$D"
L=$(last_layer "$D")
is "$(readlink "$L/d/g")" "$CANARY.secret" "it is copied as the link"
check "the host file's content is not in the layer" refute grep -rq "host secret" "$T/$(basename "$D")/img"
done_testing

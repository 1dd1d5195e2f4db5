#!/usr/bin/env bash
# The compiler uses libcrypto for SHA256_* only, which needs no set-up (lib/hash.c):
# it never reads openssl.cnf, so a system or OPENSSL_CONF configuration
# cannot change or break its cache keys. The configuration below asks for
# FIPS-only algorithms, which no provider loaded here offers: a compiler
# that loads it cannot fetch SHA-256 and fails.
. "$SRCDIR/tests/lib.sh"
mkdir -p "$T/ctx"
printf 'FROM scratch\nENV A=b\nRUN x\n' >"$T/ctx/Dockerfile"
cat >"$T/fips.cnf" <<'CNF'
openssl_conf = openssl_init
[openssl_init]
alg_section = evp_properties
[evp_properties]
default_properties = "fips=yes"
CNF
cd "$T" || exit 1

"$DF2MAKE" --store "$T/s" ctx >plain.mk 2>"$T/err"
is "$?:$(cat "$T/err")" "0:" "the compile without OPENSSL_CONF"
OPENSSL_CONF="$T/fips.cnf" "$DF2MAKE" --store "$T/s" ctx >conf.mk 2>"$T/err"
is "$?:$(cat "$T/err")" "0:" "a configuration that hides SHA-256 is not read"
check "... and build.mk is byte for byte the same" cmp -s plain.mk conf.mk
like "$(grep -c '\.done:' conf.mk)" "^[1-9]" "... with its steps keyed"
OPENSSL_CONF="$T/fips.cnf" "$DF2MAKE" --plan --store "$T/s" ctx >conf.plan 2>"$T/err"
"$DF2MAKE" --plan --store "$T/s" ctx >plain.plan 2>>"$T/err"
check "--plan's keys do not change either" cmp -s plain.plan conf.plan
done_testing

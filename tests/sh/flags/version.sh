#!/usr/bin/env bash
# df2make --version: the programs' version and the versions of the
# libraries they link, checked against what each library itself reports
# when asked through its own API (python ctypes on the shared libraries
# of the same Debian packages the static ones come from).
. "$SRCDIR/tests/lib.sh"
need python3
out=$("$DF2MAKE" --version 2>&1)
is "$?" 0 "--version exits 0"
ver=$(sed -n 's/^AC_INIT(\[df2make\], \[\([^]]*\)\].*/\1/p' "$SRCDIR/configure.ac")
is "$(printf '%s\n' "$out" | sed -n 1p)" "df2make $ver" "first line: df2make and configure.ac's version"
like "$out" "
df2make-runtime $ver
" "the runtime's version follows"
want=$(python3 - <<'PY'
import ctypes, ctypes.util
def lib(*names):
    for n in names:
        try:
            return ctypes.CDLL(n)
        except OSError:
            pass
    return None
def call(l, fn, *args):
    f = getattr(l, fn); f.restype = ctypes.c_char_p
    return f(*args).decode()
y = lib("libyaml-0.so.2"); p = lib("libpcre2-8.so.0"); j = lib("libjansson.so.4")
a = lib("libarchive.so.13"); c = lib("libcrypto.so.3"); z = lib("libz.so.1")
buf = ctypes.create_string_buffer(64)
p.pcre2_config_8(11, buf)  # PCRE2_CONFIG_VERSION
pcre = "pcre2 " + buf.value.decode()
print("df2make libs: libyaml %s | %s | jansson %s" % (call(y, "yaml_get_version_string"), pcre,
      call(j, "jansson_version_str")))
print("runtime libs: %s | %s | jansson %s | %s | zlib %s" % (call(a, "archive_version_string"),
      pcre, call(j, "jansson_version_str"), call(c, "OpenSSL_version", 0), call(z, "zlibVersion")))
cu = lib("libcurl.so.4", "libcurl-gnutls.so.4")
print("curl: " + (call(cu, "curl_version").split()[0].split("/")[1] if cu else "none"))
PY
)
got_cc=$(printf '%s\n' "$out" | sed -n '2,4p' | sed 's/^  //' | paste -sd'|' | sed 's/|/ | /g')
is "df2make libs: $got_cc" "$(printf '%s\n' "$want" | sed -n 1p)" "df2make's libyaml, pcre2 and jansson as the libraries report them"
got_rt=$(printf '%s\n' "$out" | sed -n '/^df2make-runtime/,$p' | sed -n '2,6p' | sed 's/^  //' | paste -sd'|' | sed 's/|/ | /g')
is "runtime libs: $got_rt" "$(printf '%s\n' "$want" | sed -n 2p)" "the runtime's libarchive, pcre2, jansson, OpenSSL and zlib likewise"
curl=$(printf '%s\n' "$want" | sed -n 's/^curl: //p')
if [ "$curl" = none ]; then
	like "$out" "  libcurl: not loadable" "no libcurl: said so"
else
	like "$out" "
  libcurl $curl$" "libcurl as the loaded library reports it"
fi
out=$(DF2MAKE_RUNTIME=/nonexistent/rt "$DF2MAKE" --version 2>&1)
like "$out" "
df2make-runtime: not found \(/nonexistent/rt\)$" "a runtime that is not there: said so"
done_testing

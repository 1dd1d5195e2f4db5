/* rtversion: df2make-runtime --version: its version and those of the
 * libraries it runs with, read from them (libcurl only when it loads: it
 * is dlopen()ed at the first registry request, runtime/http.c; OpenSSL's
 * from the shared library when there is one, see version_openssl). */
#include <archive.h>
#include <curl/curl.h>
#include <dlfcn.h>
#include <jansson.h>
#include <openssl/opensslv.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "util.h"
#include "rtversion.h"

/* libcurl's version from the library http.c would load, or why not. */
static void version_curl(void)
{
	static const char *libs[] = {"libcurl.so.4", "libcurl-gnutls.so.4", "libcurl.so"};
	curl_version_info_data *(*info)(CURLversion) = NULL;
	void *lib = NULL, *p;

	for (size_t i = 0; i < LEN(libs) && !lib; i++)
		lib = dlopen(libs[i], RTLD_NOW | RTLD_LOCAL);
	p = lib ? dlsym(lib, "curl_version_info") : NULL;
	memcpy(&info, &p, sizeof(p));
	if (info)
		printf("  libcurl %s\n", info(CURLVERSION_NOW)->version);
	else
		printf("  libcurl: not loadable (%s)\n", lib ? "no curl_version_info" : dlerror());
	if (lib)
		dlclose(lib);
}

/* OpenSSL_version() lives in an object that references libcrypto's error
 * and init code, which reference everything else: linked statically it
 * brought the whole library (17,000 of the runtime's 17,600 relocations,
 * applied by the loader at every start) for this one line. A shared
 * libcrypto is asked; a static one is the header's own version. */
static void version_openssl(void)
{
	const char *(*ver)(int) = NULL;
	void *p = dlsym(RTLD_DEFAULT, "OpenSSL_version");

	memcpy(&ver, &p, sizeof(p));
	printf("  %s\n", ver ? ver(0) : OPENSSL_VERSION_TEXT);
}

void rtversion_print(void)
{
	char pcre[64] = "";

	printf("df2make-runtime %s\n", PACKAGE_VERSION);
	printf("  %s\n", archive_version_string());
	if (pcre2_config(PCRE2_CONFIG_VERSION, pcre) > 0)
		printf("  pcre2 %s\n", pcre);
	printf("  jansson %s\n", jansson_version_str());
	version_openssl();
	printf("  zlib %s\n", zlibVersion());
	version_curl();
}

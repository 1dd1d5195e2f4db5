/* Unit tests of cache keys (compiler/key.c): what changes a key and what
 * must not. */
#include <string.h>

#include "graph.h"
#include "key.h"
#include "tap.h"

static void k(const char *parent, const char *json, char out[33])
{
	json_t *spec = json_loads(json, 0, NULL);

	key_compute(parent, spec, NULL, out);
	json_decref(spec);
}

int main(void)
{
	char a[33], b[33];

	k(NULL, "{\"args\":[\"make\"],\"title\":\"[a 2/3] RUN make\",\"loc\":\"Dockerfile:2\"}", a);
	TAP_OK(strlen(a) == 32 && strspn(a, "0123456789abcdef") == 32, "32 lowercase hex digits");
	k(NULL, "{\"loc\":\"Dockerfile:9\",\"title\":\"[b 5/9] RUN make\",\"args\":[\"make\"]}", b);
	TAP_STREQ(b, a, "title, loc and field order do not change the key");
	k(NULL, "{\"args\":[\"make\",\"all\"]}", b);
	TAP_OK(strcmp(a, b) != 0, "the expanded instruction does");
	k("0123456789abcdef0123456789abcdef", "{\"args\":[\"make\"]}", b);
	TAP_OK(strcmp(a, b) != 0, "the parent key does (keys are chained)");
	k(NULL, "{\"args\":[\"make\"]}", b);
	TAP_STREQ(b, a, "the same spec gives the same key");

	key_set_paths("/home/me/ctx", "/home/me/ctx/.dockerignore");
	k(NULL,
	  "{\"context\":\"/home/me/ctx\",\"ignore\":\"/home/me/ctx/"
	  ".dockerignore\",\"srcs\":[\"a\"]}",
	  a);
	key_set_paths("/tmp/other", "/tmp/other/.dockerignore");
	k(NULL,
	  "{\"context\":\"/tmp/other\",\"ignore\":\"/tmp/other/.dockerignore\",\"srcs\":[\"a\"]}",
	  b);
	TAP_STREQ(b, a, "moving the context keeps the key (content is in the sum step)");
	k(NULL,
	  "{\"mounts\":[{\"type\":\"secret\",\"target\":\"/run/secrets/t\",\"src\":\"/a/t\"}]}", a);
	k(NULL,
	  "{\"mounts\":[{\"type\":\"secret\",\"target\":\"/run/secrets/t\",\"src\":\"/b/t\"}]}", b);
	TAP_STREQ(b, a, "a secret's source file is not in the key");
	json_t *spec = json_loads(
	    "{\"mounts\":[{\"type\":\"secret\",\"target\":\"/t\",\"src\":\"/a\"}]}", 0, NULL);
	char *before = json_dumps(spec, JSON_COMPACT), *after;
	key_compute(NULL, spec, NULL, a);
	after = json_dumps(spec, JSON_COMPACT);
	TAP_STREQ(after, before, "keying leaves the spec as it was");
	free(before), free(after);
	json_decref(spec);
	return tap_done();
}

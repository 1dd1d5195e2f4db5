/* test_idmap: the parsers behind the rootless id map (runtime/idmap.c):
 * /etc/subuid ranges by name or uid, passwd names, and uid_map lookups. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "fsutil.h"
#include "idmap.h"
#include "tap.h"
#include "util.h"

static char *put(const char *dir, const char *name, const char *text)
{
	char *p = path_join(dir, name);
	struct error e;

	if (write_atomic(p, text, strlen(text), 0644, &e) < 0)
		fprintf(stderr, "%s\n", e.msg);
	return p;
}

/* "START COUNT" of the range found, or "none". */
static char *range(const char *file, const char *name, unsigned long id)
{
	struct idmap_range r;

	if (!idmap_lookup(file, name, id, &r))
		return xstrdup("none");
	return xasprintf("%lu %lu", r.start, r.count);
}

static void subid_cases(const char *dir)
{
	char *f = put(dir, "subuid",
		      "# comment\n"
		      "alice:100000:65536\n"
		      "broken line\n"
		      "empty:300000:0\n"
		      "1005:200000:1000\n"
		      "alice:900000:65536\n");
	char *s;

	TAP_STREQ(s = range(f, "alice", 1000), "100000 65536", "by name: the first range");
	free(s);
	TAP_STREQ(s = range(f, "bob", 1005), "200000 1000", "by uid when the name has none");
	free(s);
	TAP_STREQ(s = range(f, NULL, 1005), "200000 1000", "by uid with no name");
	free(s);
	TAP_STREQ(s = range(f, "empty", 7), "none", "a range of 0 ids is no range");
	free(s);
	TAP_STREQ(s = range(f, "carol", 1006), "none", "no range: the single-id fallback");
	free(s);
	TAP_STREQ(s = range("/nonexistent/subuid", "alice", 1), "none", "no file: no range");
	free(s);
	free(f);
}

static void passwd_cases(const char *dir)
{
	char *f = put(dir, "passwd",
		      "root:x:0:0:root:/root:/bin/sh\n"
		      "alice:x:1000:1000::/home/alice:/bin/sh\n"
		      "bob:x:1005:1005::/:/bin/sh\n");
	char *n;

	TAP_STREQ(n = idmap_user_name(f, 1005), "bob", "passwd name of uid 1005");
	free(n);
	TAP_OK(idmap_user_name(f, 4242) == NULL, "an unknown uid has no name");
	free(f);
}

static void map_cases(const char *dir)
{
	char *f = put(dir, "uid_map",
		      "         0       1000          1\n"
		      "         1     100000      65536\n");

	TAP_OK(idmap_is_mapped(f, 0), "0 is mapped (the user)");
	TAP_OK(idmap_is_mapped(f, 1000), "1000 is mapped (a subordinate id)");
	TAP_OK(idmap_is_mapped(f, 65536), "65536 is the last mapped id");
	TAP_OK(!idmap_is_mapped(f, 65537), "65537 is not mapped");
	free(f);
	f = put(dir, "single", "0 1000 1\n");
	TAP_OK(!idmap_is_mapped(f, 1000), "a single-id map has only 0");
	free(f);
}

int main(void)
{
	char tmpl[] = "/tmp/test_idmap.XXXXXX";
	char *dir = mkdtemp(tmpl);
	struct error e;

	if (!dir)
		return 1;
	subid_cases(dir);
	passwd_cases(dir);
	map_cases(dir);
	remove_tree(dir, &e);
	return tap_done();
}

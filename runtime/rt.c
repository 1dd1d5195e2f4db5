#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "fsutil.h"
#include "rt.h"
#include "util.h"

void rt_progress(const struct rt *rt, json_t *spec, const char *fmt, ...)
{
	const char *title = json_string_value(json_object_get(spec, "title"));
	va_list ap;

	if (rt->quiet)
		return;
	fprintf(stderr, "%s", title ? title : "");
	if (*fmt) {
		fputs(title ? " " : "", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
	}
	fputc('\n', stderr);
}

char *rt_path(const struct rt *rt, const char *key, const char *suffix)
{
	return xasprintf("%s/%s%s", rt->state, key, suffix ? suffix : "");
}

int rt_stamp(const struct rt *rt, const char *key, struct error *e)
{
	char *p = rt_path(rt, key, ".done");
	char *body = xasprintf("df2make-stamp 1\n%s\n", key);
	int r = write_atomic(p, body, strlen(body), 0644, e);

	free(p);
	free(body);
	return r;
}

int rt_reset_step(const struct rt *rt, const char *key, struct error *e)
{
	char *dir = rt_path(rt, key, NULL);
	char *done = rt_path(rt, key, ".done");
	int r = 0;

	/* The stamp goes first: a step interrupted from here on is not done. */
	if (unlink(done) < 0 && errno != ENOENT)
		r = error_set(e, errno, "remove %s", done);
	if (r == 0 && remove_tree(dir, e) < 0)
		r = -1;
	if (r == 0 && mkdir_p(dir, 0755, e) < 0)
		r = -1;
	free(dir);
	free(done);
	return r;
}

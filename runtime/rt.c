#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "fsutil.h"
#include "ignore.h"
#include "netpool.h"
#include "progress.h"
#include "rt.h"
#include "trash.h"
#include "util.h"

void rt_progress(const struct rt *rt, const char *key, json_t *spec, const char *fmt, ...)
{
	const char *title = json_string_value(json_object_get(spec, "title"));
	char more[512], *text;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(more, sizeof(more), fmt, ap);
	va_end(ap);
	text = xasprintf("%s%s%s", title ? title : "", title && *title && *more ? " " : "", more);
	progress_step(rt, key, spec, text);
	free(text);
}

/* Paths of this process, kept for the life of the process. */
static char *own_state, *own_output;

void rt_init(const struct rt *rt)
{
	const char *out = getenv("DF2MAKE_OUTPUT");

	own_state = rt->state ? xstrdup(rt->state) : NULL;
	/* The runtime runs in make's directory, as -o's relative path does. */
	own_output = out && *out ? path_abs(out) : NULL;
}

void rt_exclude_own(struct ignore *ig, const char *context)
{
	if (!ig || !context)
		return;
	if (own_state)
		ignore_exclude_path(ig, context, own_state);
	if (own_output)
		ignore_exclude_path(ig, context, own_output);
}

char *rt_path(const struct rt *rt, const char *key, const char *suffix)
{
	return xasprintf("%s/%s%s", rt->state, key, suffix ? suffix : "");
}

int rt_stamp(const struct rt *rt, const char *key, struct error *e)
{
	char *p = rt_path(rt, key, ".done");
	char *body = xasprintf("df2make-stamp 1\n%s\n", key);
	/* No fsync (docs/internals.md, "Durability"): make reads only the
	 * stamp's time, no program its bytes, and pack's sync pass makes it
	 * durable with the image; a stamp a crash left empty is still a stamp
	 * of a step whose chain.json every reader checks. */
	int r = write_checked(p, body, strlen(body), 0644, e);

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

int rt_reset_step_async(const struct rt *rt, const char *key, struct trash *t, struct error *e)
{
	cleanup_free char *dir = rt_path(rt, key, NULL);
	cleanup_free char *done = rt_path(rt, key, ".done");

	*t = (struct trash){.fd = -1};
	/* The stamp goes first: a step interrupted from here on is not done. */
	if (unlink(done) < 0 && errno != ENOENT)
		return error_set(e, errno, "remove %s", done);
	/* no trash (a read-only .trash, say): removed here, as rt_reset_step does */
	if (trash_move(rt, dir, t, e) < 0 && remove_tree(dir, e) < 0)
		return -1;
	return mkdir(dir, 0755) < 0 ? error_set(e, errno, "mkdir %s", dir) : 0;
}

int rt_damaged(const struct rt *rt, const char *key, struct error *e)
{
	size_t n = strlen(e->msg);

	snprintf(e->msg + n, sizeof(e->msg) - n,
		 "; the state of step %.8s is damaged: run `df2make-runtime --state %s fsck "
		 "--repair`, then make again",
		 key, rt->state);
	return -1;
}

int rt_torn(const struct rt *rt, const char *key, struct error *e)
{
	cleanup_free char *done = rt_path(rt, key, ".done");
	size_t n = strlen(e->msg);

	if (unlink(done) < 0)
		return rt_damaged(rt, key, e);
	snprintf(e->msg + n, sizeof(e->msg) - n,
		 "; step %.8s is torn (a crash of the machine before its image was written?): "
		 "its stamp is removed, run make again to redo it",
		 key);
	return -1;
}

int cmd_clean(const struct rt *rt, int argc, char **argv)
{
	struct error e = {0};
	struct stat st;

	(void)argv;
	if (argc != 0 || !rt->state) {
		fprintf(stderr, "usage: df2make-runtime --state DIR clean\n");
		return 2;
	}
	if (lstat(rt->state, &st) < 0 && errno == ENOENT)
		return 0;
	/* Only the caller's own directory, never "/" or a symlink to one: the
	 * same reach as the rm -rf it backs up. */
	if (strcmp(rt->state, "/") == 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid()) {
		fprintf(stderr, "df2make-runtime: clean: %s is not a state directory of yours\n",
			rt->state);
		return 1;
	}
	netpool_stop(rt->state); /* its keepers hold nothing in it: no wait */
	if (remove_tree(rt->state, &e) < 0) {
		fprintf(stderr, "df2make-runtime: clean: %s\n", e.msg);
		return 1;
	}
	return 0;
}

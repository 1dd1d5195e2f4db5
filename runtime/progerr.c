/* progerr: the report of a failed step, as docker build prints it after
 * the progress: the step's last output lines, the Dockerfile excerpt with
 * the failing lines marked ">>>" (BuildKit's errdefs Source.Print), and
 * the ERROR line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "fsutil.h"
#include "progress.h"
#include "progress_int.h"
#include "rt.h"
#include "util.h"

/* Go's %q of s (strconv.Quote for ASCII; other bytes pass as they are). */
static void quote(struct buf *b, const char *s)
{
	static const char esc[] = "\a\b\f\n\r\t\v", name[] = "abfnrtv";

	buf_addc(b, '"');
	for (; *s; s++) {
		const char *e = *s ? strchr(esc, *s) : NULL;
		if (*s == '"' || *s == '\\')
			buf_printf(b, "\\%c", *s);
		else if (e)
			buf_printf(b, "\\%c", name[e - esc]);
		else if ((unsigned char)*s < 0x20 || *s == 0x7f)
			buf_printf(b, "\\x%02x", (unsigned char)*s);
		else
			buf_addc(b, *s);
	}
	buf_addc(b, '"');
}

char *progress_process_error(json_t *args, int status)
{
	struct buf cmd = {0}, b = {0};
	size_t i;
	json_t *a;

	json_array_foreach(args, i, a)
	{
		if (i)
			buf_addc(&cmd, ' ');
		buf_adds(&cmd, json_string_value(a) ? json_string_value(a) : "");
	}
	buf_adds(&b, "process ");
	quote(&b, cmd.s ? cmd.s : "");
	buf_printf(&b, " did not complete successfully: exit code: %d", status);
	buf_free(&cmd);
	return buf_steal(&b);
}

/* The Dockerfile of the build ($DF2MAKE_DOCKERFILE, exported by build.mk)
 * when its base name is the one loc names; malloc'd, NUL-terminated. */
static char *read_dockerfile(const char *file)
{
	const char *path = getenv("DF2MAKE_DOCKERFILE"), *base;
	struct error e = {0};
	char *data = NULL;

	if (!path || !*path)
		return NULL;
	base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	/* no excerpt rather than a wrong one */
	if (strcmp(base, file) != 0 || read_file(path, &data, NULL, &e) < 0)
		return NULL;
	return data;
}

/* Splits data at every newline like Go's strings.Split (a last empty
 * line after a final newline included); the pointers point into data. */
static char **split_lines(char *data, int *n)
{
	int cap = 64;
	char **v = xmalloc(sizeof(*v) * (size_t)cap), *p = data, *nl;

	*n = 0;
	for (;;) {
		if (*n == cap)
			v = xreallocarray(v, (size_t)(cap *= 2), sizeof(*v));
		v[(*n)++] = p;
		if (!(nl = strchr(p, '\n')))
			break;
		*nl = '\0';
		p = nl + 1;
	}
	return v;
}

/* BuildKit's Source.Print for the lines line0..line1 of file. */
static void excerpt(struct buf *b, const char *file, char **lines, int n, int line0, int line1)
{
	int start = line0, end = line1 > n ? n : line1, pad = line0 == line1 ? 4 : 2, p = 0;

	/* its padding loop, as written: up to pad lines around, fewer at the ends */
	while (p < pad) {
		if (start > 1) {
			start--;
			p++;
		}
		if (end != n) {
			end++;
			p++;
		}
		p++;
	}
	buf_printf(b, "%s:%d\n--------------------\n", file, line0);
	for (int i = start; i <= end; i++)
		buf_printf(b, " %3d | %s %s\n", i, i >= line0 && i <= line1 ? ">>>" : "   ",
			   lines[i - 1]);
	buf_adds(b, "--------------------\n");
}

/* The excerpt of the failing step, when its Dockerfile can be read. */
static void add_excerpt(struct buf *b)
{
	const struct progress_step *c = &progress_cur;
	char file[256], *colon, *data, **lines;
	int n;

	snprintf(file, sizeof(file), "%.*s", (int)sizeof(file) - 1, c->loc);
	colon = strrchr(file, ':');
	if (!colon || c->line0 < 1 || c->line1 < c->line0)
		return;
	*colon = '\0';
	if (!(data = read_dockerfile(file)))
		return;
	lines = split_lines(data, &n);
	if (c->line0 <= n)
		excerpt(b, file, lines, n, c->line0, c->line1);
	free(lines);
	free(data);
}

void progress_report(const struct rt *rt, const char *msg)
{
	const struct progress_step *c = &progress_cur;
	size_t first = c->nlogs > PROGRESS_LOGS ? c->nlogs - PROGRESS_LOGS : 0;
	struct buf b = {0};

	if (rt->quiet)
		return;
	buf_printf(&b, "------\n > %s:\n", c->title);
	for (size_t i = first; i < c->nlogs; i++)
		buf_printf(&b, "%s\n", c->logs[i % PROGRESS_LOGS]);
	buf_adds(&b, "------\n");
	add_excerpt(&b);
	buf_printf(&b, "ERROR: %s\n", msg);
	if (progress_mode() == PROGRESS_TTY)
		progtty_print(b.s, b.len, 1);
	else
		(void)write_all(2, b.s, b.len);
	buf_free(&b);
}

/* Golden front-end cases (jq tests/jq.test style), one TAP line each.
 * Every file $SRCDIR/tests/cases/front/NAME.test holds cases:
 *
 *   ### what the case checks [crlf] [noeol] [bom]
 *   <Dockerfile lines>
 *   --- dump          BuildKit's syntax-tree dump follows
 *   --- typed         dump_instrs() of the typed instructions follows
 *   --- stderr        dockerfile_parse() must fail, printing exactly this
 *   %%FAIL            dockerfile_parse_err() fails with this one line:
 *   FILE:LINE:COL: error: MESSAGE
 *
 * Text before the first "###" is a comment. Trailing blank lines of the
 * expected part are ignored. The Dockerfile is named "Dockerfile". */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "dump.h"
#include "diag.h"
#include "instr.h"
#include "tap.h"
#include "util.h"

enum mode { M_DUMP, M_TYPED, M_STDERR, M_FAIL };

struct tcase {
	char *name;
	struct buf text;
	struct buf want;
	enum mode mode;
};

/* Applies the [crlf] [noeol] [bom] options of the header to the text. */
static void apply_options(struct tcase *t)
{
	struct buf b = {0};
	size_t i;

	buf_adds(&b, "");
	if (strstr(t->name, "[bom]"))
		buf_adds(&b, "\xEF\xBB\xBF");
	for (i = 0; i < t->text.len; i++) {
		if (t->text.s[i] == '\n' && strstr(t->name, "[crlf]"))
			buf_addc(&b, '\r');
		buf_addc(&b, t->text.s[i]);
	}
	if (strstr(t->name, "[noeol]") && b.len && b.s[b.len - 1] == '\n')
		b.s[--b.len] = '\0';
	buf_free(&t->text);
	t->text = b;
}

/* Runs dockerfile_parse in a child and returns its stderr; *status its exit. */
static char *child_stderr(const struct tcase *t, int *status)
{
	int fds[2];
	pid_t pid;
	struct buf out = {0};
	char chunk[4096];
	ssize_t n;

	buf_adds(&out, "");
	if (pipe(fds))
		return buf_steal(&out);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 2);
		close(fds[0]);
		struct diags dg = {0};
		struct dockerfile *df = dockerfile_parse("Dockerfile", t->text.s, t->text.len, &dg);

		/* as df2make's main() does: print what was collected, exit 1 */
		diag_show_all(&dg, stderr);
		diag_free(&dg);
		dockerfile_free(df);
		_exit(df ? 0 : 1);
	}
	close(fds[1]);
	while ((n = read(fds[0], chunk, sizeof(chunk))) > 0)
		buf_addn(&out, chunk, (size_t)n);
	close(fds[0]);
	waitpid(pid, status, 0);
	return buf_steal(&out);
}

/* Produces the text to compare with the expected part. */
static char *run_case(const struct tcase *t)
{
	struct buf got = {0};
	struct df_error err;
	struct dockerfile *df;
	int status = 0;
	char *s;

	buf_adds(&got, "");
	switch (t->mode) {
	case M_DUMP:
		if (dump_text(&got, "Dockerfile", t->text.s, t->text.len, &err))
			buf_printf(&got, "%s:%d:%d: error: %s\n", err.loc.file, err.loc.line,
				   err.loc.col, err.msg);
		break;
	case M_TYPED:
	case M_FAIL:
		df = dockerfile_parse_err("Dockerfile", t->text.s, t->text.len, &err);
		if (df)
			dump_instrs(&got, df);
		else
			buf_printf(&got, "%s:%d:%d: error: %s\n", err.loc.file, err.loc.line,
				   err.loc.col, err.msg);
		dockerfile_free(df);
		break;
	case M_STDERR:
		s = child_stderr(t, &status);
		buf_adds(&got, s);
		free(s);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 1)
			buf_printf(&got, "(exit status %d)\n", status);
		break;
	}
	return buf_steal(&got);
}

/* Finishes a case: trims the expected part, runs and reports it. */
static void finish(struct tcase *t, const char *file)
{
	char *got;

	while (t->want.len >= 2 && t->want.s[t->want.len - 1] == '\n' &&
	       t->want.s[t->want.len - 2] == '\n')
		t->want.s[--t->want.len] = '\0';
	if (t->want.len == 1 && t->want.s[0] == '\n')
		t->want.s[--t->want.len] = '\0';
	apply_options(t);
	got = run_case(t);
	TAP_STREQ(got, t->want.s, "%s: %s", file, t->name);
	free(got);
	free(t->name);
	buf_free(&t->text);
	buf_free(&t->want);
	memset(t, 0, sizeof(*t));
}

/* Reads one .test file and runs its cases; returns the number of cases.
 * The file is read whole first: a child that exits through exit() would
 * otherwise move the shared file offset under our stdio buffer. */
static int run_file(const char *path, const char *file)
{
	FILE *f = fopen(path, "r");
	char *text = NULL, *line, *next;
	size_t cap = 0;
	struct tcase t = {0};
	int in_case = 0, in_want = 0, count = 0;

	if (!f || getdelim(&text, &cap, '\0', f) < 0) {
		if (f)
			fclose(f);
		free(text);
		return 0;
	}
	fclose(f);
	for (line = text; *line; line = next) {
		char saved;
		next = line + strcspn(line, "\n");
		if (*next)
			next++;
		saved = *next;
		*next = '\0';
		if (!strncmp(line, "### ", 4)) {
			if (in_case)
				finish(&t, file);
			t.name = xstrndup(line + 4, strcspn(line + 4, "\n"));
			buf_adds(&t.text, "");
			buf_adds(&t.want, "");
			in_case = 1;
			in_want = 0;
			count++;
		} else if (in_case && !in_want &&
			   (!strcmp(line, "--- dump\n") || !strcmp(line, "--- typed\n") ||
			    !strcmp(line, "--- stderr\n") || !strcmp(line, "%%FAIL\n"))) {
			t.mode = line[4] == 'd'	  ? M_DUMP
				 : line[4] == 't' ? M_TYPED
				 : line[4] == 's' ? M_STDERR
						  : M_FAIL;
			in_want = 1;
		} else if (in_case) {
			buf_adds(in_want ? &t.want : &t.text, line);
		}
		*next = saved;
	}
	if (in_case)
		finish(&t, file);
	free(text);
	return count;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
	const char *src = getenv("SRCDIR");
	char *dir, **names = NULL;
	size_t n = 0, i;
	int cases = 0;
	DIR *d;
	struct dirent *e;

	if (!src) {
		printf("1..0 # SKIP SRCDIR not set\n");
		return 0;
	}
	dir = xasprintf("%s/tests/cases/front", src);
	d = opendir(dir);
	while (d && (e = readdir(d))) {
		if (!endswith(e->d_name, ".test"))
			continue;
		names = xreallocarray(names, n + 1, sizeof(*names));
		names[n++] = xstrdup(e->d_name);
	}
	if (d)
		closedir(d);
	qsort(names, n, sizeof(*names), cmp_name);
	for (i = 0; i < n; i++) {
		char *path = xasprintf("%s/%s", dir, names[i]);
		cases += run_file(path, names[i]);
		free(path);
		free(names[i]);
	}
	(void)TAP_OK(cases >= 80, "at least 80 golden cases (found %d)", cases);
	free(names);
	free(dir);
	return tap_done();
}

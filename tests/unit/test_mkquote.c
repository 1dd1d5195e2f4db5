/* Unit tests of make and shell escaping (lib/mkquote.c). Besides fixed
 * cases, a corpus of every byte 1..255 in file names and in text is run
 * through GNU make itself: a name is read back exactly as a target and as a
 * prerequisite (make's $@ and $< written with $(file)), make stats the right
 * file (`make -q` up to date, a newer file rebuilds, a deleted one runs its
 * empty rule), shell words reach printf intact, values and comments keep
 * their bytes. Names mk_name_ok() refuses are checked against the list of
 * what make cannot read, measured once with GNU make 4.3. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "mkquote.h"
#include "tap.h"
#include "util.h"

static char *q(void (*fn)(struct buf *, const char *), const char *s)
{
	struct buf b = {0};

	fn(&b, s);
	return buf_steal(&b);
}

/* s with newlines shown as \n, for a one-line TAP description. */
static const char *show(const char *s)
{
	static char out[256];
	size_t o = 0;

	for (; *s && o + 3 < sizeof(out); s++) {
		if (*s == '\n')
			out[o++] = '\\', out[o++] = 'n';
		else
			out[o++] = *s;
	}
	out[o] = '\0';
	return out;
}

#define CHECK(fn, in, want)                                                                        \
	do {                                                                                       \
		char *got_ = q(fn, in);                                                            \
		TAP_STREQ(got_, want, #fn "(%s)", show(in));                                       \
		free(got_);                                                                        \
	} while (0)

static void fixed_cases(void)
{
	CHECK(mk_name, "/a/b.txt", "/a/b.txt");
	CHECK(mk_name, "/a b/c", "/a\\ b/c");
	CHECK(mk_name, "/x#y", "/x\\#y");
	CHECK(mk_name, "/c:d", "/c\\:d");
	CHECK(mk_name, "/d$v", "/d$$v");
	CHECK(mk_name, "/s*t?[1]", "/s\\*t\\?\\[1]");
	CHECK(mk_name, "/é/ü", "/é/ü");
	CHECK(mk_name, "/q'u\"o", "/q'u\"o");
	CHECK(mk_shell, "plain", "'plain'");
	CHECK(mk_shell, "it's", "'it'\\''s'");
	CHECK(mk_shell, "$HOME #x", "'$$HOME #x'");
	CHECK(mk_shell, "{\"a\":\"b c\"}", "'{\"a\":\"b c\"}'");
	CHECK(mk_shell, "a\nb", "'a'\"$$DF2MAKE_NL\"'b'");
	CHECK(mk_shell, "0123456789abcdef\n\n0123456789'0123456789$",
	      "'0123456789abcdef'\"$$DF2MAKE_NL\"''\"$$DF2MAKE_NL\"'0123456789'\\''0123456789$$'");
	CHECK(mk_shell_var, "/a#b/$c", "'/a\\#b/$$c'");
	CHECK(mk_shell_var, "/a\\#b", "'/a\\\\\\#b'");
	CHECK(mk_value, "a#b$c", "a\\#b$$c");
	CHECK(mk_value, " lead", "$() lead");
	CHECK(mk_value, "end\\", "end\\$()");
	CHECK(mk_comment, "line1\nline2", "line1\\nline2");
	CHECK(mk_comment, "ends\\", "ends\\\\");
	CHECK(mk_comment, "two\\\\", "two\\\\");
	CHECK(mk_comment, "three\\\\\\", "three\\\\\\\\");
	CHECK(mk_comment, "a\\\nb\n\n\\", "a\\\\nb\\n\\n\\\\");
	CHECK(mk_comment, "mid\\dle", "mid\\dle");
	TAP_OK(mk_name_ok("/a b/#c:d"), "space, # and : can be named");
	TAP_OK(!mk_name_ok("/a;b") && !mk_name_ok("/a\nb") && !mk_name_ok("/x!=id"),
	       "; newline = are refused");
	TAP_OK(!mk_name_ok("/p%q") && !mk_name_ok("/p|q"), "%% and | are refused");
	TAP_OK(!mk_name_ok("/a\\") && !mk_name_ok("/a\\ b") && mk_name_ok("/a\\b"),
	       "a backslash only before an ordinary byte");
	TAP_OK(!mk_name_ok("/a\\b*") && !mk_name_ok("/lib(m)") && mk_name_ok("/lib(m"),
	       "no backslash with glob characters; no archive member");
	TAP_OK(!mk_wildcard_ok("/a b") && mk_wildcard_ok("/a#b"), "wildcard: no blanks");
	char p1[] = "/ctx/a;b/c", p2[] = "/x;y", p3[] = "r;el";
	TAP_OK(mk_name_ancestor(p1) && strcmp(p1, "/ctx") == 0, "ancestor of /ctx/a;b/c");
	TAP_OK(mk_name_ancestor(p2) && strcmp(p2, "/") == 0, "ancestor of /x;y is /");
	TAP_OK(!mk_name_ancestor(p3), "a relative name may have none");
}

/* ---- the corpus ---- */

#define SHAPES 4
#define NMAX (255 * SHAPES + 32)

struct corpus {
	char *dir;	  /* holds every file; its own name is hostile too */
	char *base[NMAX]; /* file names */
	char *text[NMAX]; /* the same bytes as text (shell, values) */
	int ok[NMAX];	  /* mk_name_ok(dir/base) */
	size_t n;
};

static const char *const extra[] = {
    "x!=id>pwned", "y:=$(shell touch p)",
    "a;b",	   "end\\",
    "a\\b",	   "a\\\\b",
    "sp ace",	   "lib(mem)",
    "a(b",	   "c)",
    "\\#",	   "$(D)",
    "$$",	   "a*b\\c",
    "-rf",	   ".PHONY",
    "~root",	   "tab\tx",
    "a b\\",	   "'\"`",
    "\xff\xfe",	   "#",
    "=",	   "%",
    "\\",	   "x\\ \\:y",
    "q?[x]*",
};

static void corpus_add(struct corpus *c, const char *base)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->base[i], base) == 0)
			return; /* "xy" is both x+y and "x"+y+"" */
	char *full = xasprintf("%s/%s", c->dir, base);

	c->base[c->n] = xstrdup(base);
	c->text[c->n] = xstrdup(base);
	c->ok[c->n] = mk_name_ok(full);
	c->n++;
	free(full);
}

static void corpus_make(struct corpus *c)
{
	for (int b = 1; b < 256; b++) {
		char s[4][4] = {{'x', (char)b, 'y'}, {(char)b, 'y'}, {'x', (char)b}, {(char)b}};
		if (b == '/')
			continue;
		for (int k = 0; k < SHAPES; k++)
			if (!(b == '.' && k == 3))
				corpus_add(c, s[k]);
	}
	for (size_t i = 0; i < LEN(extra); i++)
		corpus_add(c, extra[i]);
}

/* What mk_name_ok must refuse, by the byte at the end of a name (make
 * strips it or reads it as syntax) and by any byte anywhere. */
static int expect_refused(const char *base)
{
	size_t n = strlen(base);
	unsigned char last = (unsigned char)base[n - 1];

	if (strpbrk(base, "\n\t;=|%"))
		return 1;
	if (strchr(" \v\f\r)&\\", last) || last == 0x85 || last == 0xa0)
		return 1;
	if (strpbrk(base, "*?[") && strchr(base, '\\'))
		return 1;
	for (const char *p = base; (p = strchr(p, '\\')) != NULL; p++)
		if (strchr(" #:*?[\\", p[1]))
			return 1;
	return 0;
}

static void check_refusals(struct corpus *c)
{
	size_t bad = 0, refused = 0;

	for (size_t i = 0; i < c->n; i++) {
		/* "\\\\b": a run of backslashes before an ordinary byte is fine */
		int want = strcmp(c->base[i], "a\\\\b") == 0 ? 0 : expect_refused(c->base[i]);
		refused += !c->ok[i];
		if (want == !c->ok[i])
			continue;
		if (bad++ < 5)
			printf("#   mk_name_ok(%s) = %d\n", c->base[i], c->ok[i]);
	}
	TAP_OK(bad == 0, "mk_name_ok refuses exactly the measured set (%zu of %zu names)", refused,
	       c->n);
}

static void write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(s, f) == EOF || fclose(f) != 0)
		fatal("cannot write %s: %s", path, strerror(errno));
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	struct buf b = {0};
	int ch;

	if (!f)
		return NULL;
	while ((ch = getc(f)) != EOF)
		buf_addc(&b, (char)ch);
	fclose(f);
	return b.s ? buf_steal(&b) : xstrdup("");
}

static int run(const char *dir, const char *args)
{
	char *cmd = xasprintf("make -r -s -C '%s' %s >'%s/make.log' 2>&1", dir, args, dir);
	int r = system(cmd);

	free(cmd);
	return r == -1 ? -1 : WEXITSTATUS(r);
}

/* The name as a rule line has it: "$(D)/" then the escaped base name, the
 * way build.mk writes context paths after `CONTEXT :=`. */
static void rule_name(struct buf *b, const char *base)
{
	buf_adds(b, "$(D)/");
	mk_name(b, base);
}

/* One target per name (tI: NAME, with $< and $@ written to o/I and e/I),
 * and, like the .d files, one rule with all names joined. */
static void write_rules_mk(struct corpus *c, const char *path)
{
	struct buf b = {0};

	buf_adds(&b, ".SUFFIXES:\n.PHONY: all\nD := ");
	mk_name(&b, c->dir);
	buf_adds(&b, "\nall: joined\n");
	for (size_t i = 0; i < c->n; i++) {
		if (!c->ok[i])
			continue;
		buf_printf(&b, "all: t%zu\nt%zu: ", i, i);
		rule_name(&b, c->base[i]);
		buf_printf(&b, "\n\t$(file >o/%zu,$<)$(file >t%zu)\n", i, i);
		rule_name(&b, c->base[i]);
		buf_printf(&b, ":\n\t$(file >e/%zu,$@)\n", i);
	}
	buf_adds(&b, "joined:");
	for (size_t i = 0; i < c->n; i++)
		if (c->ok[i]) {
			buf_adds(&b, " \\\n  ");
			rule_name(&b, c->base[i]);
		}
	buf_adds(&b, "\n\t$(file >joined)\n");
	write_file(path, b.s);
	buf_free(&b);
}

static char *path_of(struct corpus *c, size_t i)
{
	return xasprintf("%s/%s", c->dir, c->base[i]);
}

/* What make calls a missing file: with `*?[` in it, glob found nothing and
 * make keeps the backslashes (the same in the rule and the prerequisite,
 * so the empty rule still matches). */
static char *missing_name(const char *dir, const char *base)
{
	struct buf b = {0};

	buf_printf(&b, "%s/", dir);
	for (const char *p = base; *p; p++) {
		if (strchr("*?[", *p))
			buf_addc(&b, '\\');
		buf_addc(&b, *p);
	}
	buf_addc(&b, '\n');
	return buf_steal(&b);
}

/* Counts the names whose file OUT/I does not hold exactly the name (o:
 * the files exist; e: they were deleted). */
static size_t mismatches(struct corpus *c, const char *top, const char *out)
{
	size_t bad = 0;

	for (size_t i = 0; i < c->n; i++) {
		if (!c->ok[i])
			continue;
		char *f = xasprintf("%s/%s/%zu", top, out, i), *got = read_file(f);
		char *want = *out == 'e' ? missing_name(c->dir, c->base[i])
					 : xasprintf("%s/%s\n", c->dir, c->base[i]);
		if (!got || strcmp(got, want) != 0) {
			if (bad++ < 5)
				printf("#   %s: got [%s] want [%s]\n", out, got ? got : "(none)",
				       want);
		}
		free(f);
		free(got);
		free(want);
	}
	return bad;
}

static void files_do(struct corpus *c, int what)
{
	for (size_t i = 0; i < c->n; i++) {
		char *p = path_of(c, i);
		struct timespec ts[2] = {{time(NULL) + 100, 0}, {time(NULL) + 100, 0}};
		int fd;
		if (!c->ok[i])
			;
		else if (what == 0 && (fd = open(p, O_CREAT | O_WRONLY, 0644)) >= 0)
			close(fd);
		else if (what == 1)
			utimensat(AT_FDCWD, p, ts, 0);
		else if (what == 2)
			unlink(p);
		free(p);
	}
}

static void corpus_names(struct corpus *c, const char *top)
{
	char *mk = xasprintf("%s/names.mk", top);
	char *cmd = xasprintf("rm -rf '%s/o' '%s/e' && mkdir '%s/o' '%s/e'", top, top, top, top);

	write_rules_mk(c, mk);
	files_do(c, 0);
	TAP_OK(system(cmd) == 0 && run(top, "-f names.mk") == 0, "make reads every name");
	TAP_OK(mismatches(c, top, "o") == 0, "each prerequisite ($<) is the exact name");
	TAP_OK(run(top, "-q -f names.mk") == 0, "make -q: up to date (it stats the right files)");
	files_do(c, 1);
	TAP_OK(system(cmd) == 0 && run(top, "-f names.mk") == 0 && mismatches(c, top, "o") == 0,
	       "a newer file remakes its target");
	files_do(c, 2);
	TAP_OK(system(cmd) == 0 && run(top, "-f names.mk") == 0,
	       "deleted files: their empty rules run, no 'No rule to make target'");
	TAP_OK(mismatches(c, top, "e") == 0,
	       "each target ($@) is the exact name (glob: as make keeps it)");
	free(mk);
	free(cmd);
}

/* Shell words, `:=` values, shell words kept in variables and comments:
 * every text without a newline, read back through make (and sh). */
static void write_text_mk(struct corpus *c, const char *path)
{
	struct buf b = {0}, rec = {0};

	buf_adds(&b, ".SUFFIXES:\nall:\n");
	mk_nl_define(&b);
	for (size_t i = 0; i < c->n; i++) {
		const char *t = c->text[i];
		if (strchr(t, '\n')) {
			/* only shell words can hold a newline */
			buf_printf(&rec, "\t@printf %%s ");
			mk_shell(&rec, t);
			buf_printf(&rec, " >s/%zu\n", i);
			continue;
		}
		buf_printf(&b, "V%zu := ", i);
		mk_value(&b, t);
		buf_printf(&b, "\nW%zu := ", i);
		mk_shell_var(&b, t);
		buf_adds(&b, "\n# ");
		mk_comment(&b, t);
		buf_printf(&b, "\nC%zu := ok\n", i);
		buf_printf(&rec, "\t$(file >v/%zu,$(V%zu))$(file >c/%zu,$(C%zu))\n", i, i, i, i);
		buf_printf(&rec, "\t@printf %%s ");
		mk_shell(&rec, t);
		buf_printf(&rec, " >s/%zu && printf %%s $(W%zu) >w/%zu\n", i, i, i);
	}
	/* one long word of every byte, for the 8-bytes-at-once path */
	char all[256];
	for (int i = 0; i < 255; i++)
		all[i] = (char)(i + 1);
	all[255] = '\0';
	buf_adds(&rec, "\t@printf %s ");
	mk_shell(&rec, all);
	buf_adds(&rec, " >s/all\n");
	buf_adds(&b, "all:\n");
	buf_addn(&b, rec.s, rec.len);
	write_file(path, b.s);
	buf_free(&b);
	buf_free(&rec);
}

/* Counts texts whose OUT/I is not TEXT followed by SUFFIX (or "ok"). */
static size_t text_mismatches(struct corpus *c, const char *top, const char *out,
			      const char *suffix)
{
	size_t bad = 0;

	for (size_t i = 0; i < c->n; i++) {
		if (strchr(c->text[i], '\n') && strcmp(out, "s") != 0)
			continue;
		char *f = xasprintf("%s/%s/%zu", top, out, i), *got = read_file(f);
		char *want =
		    strcmp(out, "c") == 0 ? xstrdup("ok\n") : xasprintf("%s%s", c->text[i], suffix);
		if ((!got || strcmp(got, want) != 0) && bad++ < 5)
			printf("#   %s/%zu: got [%s] want [%s]\n", out, i, got ? got : "(none)",
			       want);
		free(f);
		free(got);
		free(want);
	}
	return bad;
}

static void corpus_text(struct corpus *c, const char *top)
{
	char *mk = xasprintf("%s/text.mk", top);
	char *cmd = xasprintf("cd '%s' && mkdir -p v c s w", top);

	write_text_mk(c, mk);
	TAP_OK(system(cmd) == 0 && run(top, "-f text.mk") == 0, "make runs the text corpus");
	TAP_OK(text_mismatches(c, top, "v", "\n") == 0, "mk_value: every value read back");
	TAP_OK(text_mismatches(c, top, "c", "") == 0, "mk_comment: no comment swallows a line");
	TAP_OK(text_mismatches(c, top, "s", "") == 0,
	       "mk_shell: every word (newlines too) reaches printf");
	TAP_OK(text_mismatches(c, top, "w", "") == 0, "mk_shell_var: same through a variable");
	char *f = xasprintf("%s/s/all", top), *got = read_file(f);
	size_t n = 0;
	while (got && n < 255 && (unsigned char)got[n] == n + 1)
		n++;
	TAP_OK(got && n == 255 && got[255] == '\0', "mk_shell: a word of all 255 bytes, exact");
	free(f);
	free(got);
	free(mk);
	free(cmd);
}

static void corpus_run(void)
{
	const char *tmp = getenv("TEST_TMPDIR");
	char *top = xasprintf("%s/mkq.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	struct corpus c = {0};

	if (system("make --version >/dev/null 2>&1") != 0 || !mkdtemp(top)) {
		printf("ok %d - # SKIP GNU make or a temp dir missing\n", ++tap_n);
		free(top);
		return;
	}
	c.dir = xasprintf("%s/d ir#:$x'\"", top);
	if (mkdir(c.dir, 0755) != 0)
		fatal("mkdir %s: %s", c.dir, strerror(errno));
	corpus_make(&c);
	check_refusals(&c);
	corpus_names(&c, top);
	corpus_text(&c, top);
	for (size_t i = 0; i < c.n; i++) {
		free(c.base[i]);
		free(c.text[i]);
	}
	free(c.dir);
	free(top);
}

int main(void)
{
	fixed_cases();
	corpus_run();
	return tap_done();
}

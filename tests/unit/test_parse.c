/* The reader against BuildKit's own parser test vectors
 * ($CONFORMANCE/buildkit/parser): every testfiles/NAME/Dockerfile must dump
 * to NAME/result byte for byte, every testfiles-negative one must fail, and
 * testfile-line must give BuildKit's line ranges. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dump.h"
#include "instr.h"
#include "parse.h"
#include "tap.h"
#include "util.h"

/* Reads a file into b; 0 on success. */
static int slurp(const char *path, struct buf *b)
{
	FILE *f = fopen(path, "rb");
	char chunk[4096];
	size_t n;

	buf_reset(b);
	buf_adds(b, "");
	if (!f)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_addn(b, chunk, n);
	fclose(f);
	return 0;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted subdirectory names of dir. */
static size_t list_dirs(const char *dir, char ***out)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;
	size_t n = 0;

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		v = xreallocarray(v, n + 1, sizeof(*v));
		v[n++] = xstrdup(e->d_name);
	}
	if (d)
		closedir(d);
	/* qsort's array must not be NULL, even with no element. */
	if (n)
		qsort(v, n, sizeof(*v), cmp_name);
	*out = v;
	return n;
}

static void positive(const char *base)
{
	char *dir = xasprintf("%s/testfiles", base), **names;
	size_t n = list_dirs(dir, &names), i;
	struct buf text = {0}, want = {0}, got = {0};
	struct df_error err;

	for (i = 0; i < n; i++) {
		char *df = xasprintf("%s/%s/Dockerfile", dir, names[i]);
		char *res = xasprintf("%s/%s/result", dir, names[i]);
		buf_reset(&got);
		buf_adds(&got, "");
		if (slurp(df, &text) || slurp(res, &want)) {
			(void)TAP_OK(0, "testfiles/%s: readable", names[i]);
		} else if (dump_text(&got, df, text.s, text.len, &err)) {
			(void)TAP_OK(0, "testfiles/%s: parses (%s)", names[i], err.msg);
		} else {
			TAP_STREQ(got.s, want.s, "testfiles/%s: dump equals result", names[i]);
		}
		free(df);
		free(res);
		free(names[i]);
	}
	(void)TAP_OK(n >= 30, "found %zu parser test files", n);
	free(names);
	free(dir);
	buf_free(&text);
	buf_free(&want);
	buf_free(&got);
}

static void negative(const char *base)
{
	char *dir = xasprintf("%s/testfiles-negative", base), **names;
	size_t n = list_dirs(dir, &names), i;
	struct buf text = {0};
	struct df_error err;

	for (i = 0; i < n; i++) {
		char *df = xasprintf("%s/%s/Dockerfile", dir, names[i]);
		struct dockerfile *d = NULL;
		if (!slurp(df, &text))
			d = dockerfile_parse_err(df, text.s, text.len, &err);
		(void)TAP_OK(!d && err.msg[0], "testfiles-negative/%s rejected: %s", names[i],
			     err.msg);
		dockerfile_free(d);
		free(df);
		free(names[i]);
	}
	(void)TAP_OK(n >= 4, "found %zu negative test files", n);
	free(names);
	free(dir);
	buf_free(&text);
}

static void lines(const char *base)
{
	static const int want[][2] = {{5, 5}, {11, 12}, {17, 31}};
	char *df = xasprintf("%s/testfile-line/Dockerfile", base);
	struct buf text = {0};
	struct df_error err;
	struct ptree *t = NULL;
	size_t i;

	if (!slurp(df, &text))
		t = parse_tree(df, text.s, text.len, '\\', &err);
	(void)TAP_OK(t && t->nnodes == 3, "testfile-line: three instructions");
	for (i = 0; t && i < 3 && i < t->nnodes; i++)
		(void)TAP_OK(t->nodes[i].start_line == want[i][0] &&
				 t->nodes[i].end_line == want[i][1],
			     "testfile-line: instruction %zu spans %d-%d (got %d-%d)", i + 1,
			     want[i][0], want[i][1], t->nodes[i].start_line, t->nodes[i].end_line);
	parse_free(t);
	free(df);
	buf_free(&text);
}

/* A toy expander: $D -> /x, $M -> the mode in ctx, $BAD -> an error. */
static char *expander(void *ctx, const char *value, char *msg, size_t msglen)
{
	if (!strcmp(value, "$BAD")) {
		snprintf(msg, msglen, "BAD: is not allowed to be unset");
		return NULL;
	}
	if (!strcmp(value, "$D"))
		return xstrdup("/x");
	if (!strcmp(value, "$M"))
		return xstrdup(ctx);
	return xstrdup(value);
}

static void api(void)
{
	struct mount m;
	char msg[256];
	struct loc at = {"Dockerfile", 7, 1, 7};
	struct instr *in;
	struct arena a = {0};
	struct diags dg = {0};

	(void)TAP_OK(
	    !mount_parse("type=cache,target=$D,mode=$M", expander, "0700", &m, msg, sizeof(msg)) &&
		m.type == MOUNT_CACHE && !strcmp(m.target, "/x") && m.mode == 0700 && !m.deferred,
	    "mount_parse expands values with the expander");
	mount_clear(&m);
	(void)TAP_OK(
	    !mount_parse("type=cache,target=$D,mode=$M", NULL, NULL, &m, msg, sizeof(msg)) &&
		m.deferred && !strcmp(m.target, "$D"),
	    "mount_parse without an expander defers values with '$'");
	mount_clear(&m);
	(void)TAP_OK(mount_parse("type=cache,target=$D,mode=$M", expander, "abc", &m, msg,
				 sizeof(msg)) == -1,
		     "mount_parse validates expanded values");
	TAP_STREQ(msg, "invalid value abc for mode",
		  "mount_parse: message for a bad expanded mode");
	(void)TAP_OK(mount_parse("target=$BAD", expander, NULL, &m, msg, sizeof(msg)) == -1,
		     "mount_parse fails when expansion fails");
	TAP_STREQ(msg, "BAD: is not allowed to be unset", "mount_parse passes expansion errors on");
	in = instr_parse_trigger("COPY --from=b /a /c", &at, '\\', &a, &dg);
	(void)TAP_OK(in && in->kind == I_COPY && !strcmp(in->from, "b") && in->nargs == 2 &&
			 in->loc.line == 7 && dg.n == 0,
		     "instr_parse_trigger types a trigger located at the FROM");
	instr_clear(in);
	in = instr_parse_trigger("COPY --chwon=1 a b", &at, '\\', &a, &dg);
	(void)TAP_OK(!in && dg.n == 1 && dg.v[0].sev == DIAG_ERROR && dg.v[0].line == 7 &&
			 !strcmp(dg.v[0].msg, "unknown flag: --chwon (did you mean chown?)"),
		     "a bad trigger: NULL and one error located at the FROM");
	diag_free(&dg);
	arena_free(&a);
	TAP_STREQ(instr_name(I_HEALTHCHECK), "HEALTHCHECK", "instr_name");
}

/* A word that ends an instruction's text is the end of that text, not a
 * copy (session 9, mem3), and the text stays whole: ENV's key=value word
 * is split into a copy of the key, not by writing a NUL into the text
 * (which had cut ENV's text to "ENV AAAA"). */
static void shared_words(void)
{
	const char *text = "FROM scratch\nENV AAAA=bbbbbbbb\nRUN echo hello world\n"
			   "VOLUME /volume/one\n";
	struct df_error err;
	struct dockerfile *df = dockerfile_parse_err("Dockerfile", text, strlen(text), &err);
	const struct instr *env = df ? df->instrs[1] : NULL, *run = df ? df->instrs[2] : NULL;
	const struct instr *vol = df ? df->instrs[3] : NULL;

	(void)TAP_OK(env && !strcmp(env->original, "ENV AAAA=bbbbbbbb") && env->nkvs == 1 &&
			 !strcmp(env->kvs[0].key, "AAAA") &&
			 env->kvs[0].value == env->original + strlen("ENV AAAA="),
		     "ENV: the text stays whole, the value is its end");
	(void)TAP_OK(run && run->nargs == 1 && run->args[0] == run->original + strlen("RUN "),
		     "RUN: the command is the end of the text");
	(void)TAP_OK(vol && !strcmp(vol->original, "VOLUME /volume/one") &&
			 !strcmp(vol->args[0], "/volume/one"),
		     "VOLUME: the path and the text");
	dockerfile_free(df);
}

int main(void)
{
	const char *conf = getenv("CONFORMANCE");
	char *base;

	api();
	shared_words();
	if (!conf) {
		(void)TAP_OK(1, "# SKIP CONFORMANCE not set");
		return tap_done();
	}
	base = xasprintf("%s/buildkit/parser", conf);
	positive(base);
	negative(base);
	lines(base);
	free(base);
	return tap_done();
}

/* lint: BuildKit's build checks (see lint.h). The rule table and the
 * places that run each rule follow frontend/dockerfile/linter/ruleset.go,
 * instructions/parse.go and dockerfile2llb/{convert,validations}.go. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "buf.h"
#include "cli.h"
#include "context.h"
#include "diag.h"
#include "error.h"
#include "expand.h"
#include "graph.h"
#include "ignore.h"
#include "input.h"
#include "instr.h"
#include "lint.h"
#include "parse.h"
#include "ref.h"
#include "store.h"
#include "util.h"

enum lint_rule {
	R_STAGE_NAME_CASING,
	R_FROM_AS_CASING,
	R_NO_EMPTY_CONTINUATION,
	R_CONSISTENT_CASING,
	R_DUPLICATE_STAGE,
	R_RESERVED_STAGE,
	R_JSON_ARGS,
	R_MAINTAINER,
	R_UNDEFINED_ARG_IN_FROM,
	R_WORKDIR_RELATIVE,
	R_UNDEFINED_VAR,
	R_MULTIPLE_INSTR,
	R_LEGACY_KV,
	R_INVALID_BASE_PLATFORM,
	R_REDUNDANT_TARGET_PLATFORM,
	R_SECRETS,
	R_INVALID_DEFAULT_ARG,
	R_PLATFORM_CONST,
	R_COPY_IGNORED,
	R_DEFINITION_DESCRIPTION,
	R_EXPOSE_PROTO_CASING,
	R_EXPOSE_INVALID_FORMAT,
	R_COUNT
};

/* One rule: ruleset.go's Name, URL and Format (as a printf format whose
 * arguments are already quoted where Go uses %q), and Experimental. */
struct rule {
	const char *name, *url, *fmt;
	int experimental;
};

#define URL(x) "https://docs.docker.com/go/dockerfile/rule/" x "/"
static const struct rule rules[R_COUNT] = {
    [R_STAGE_NAME_CASING] = {"StageNameCasing", URL("stage-name-casing"),
			     "Stage name '%s' should be lowercase"},
    [R_FROM_AS_CASING] = {"FromAsCasing", URL("from-as-casing"),
			  "'%s' and '%s' keywords' casing do not match"},
    [R_NO_EMPTY_CONTINUATION] = {"NoEmptyContinuation", URL("no-empty-continuation"),
				 "Empty continuation line"},
    [R_CONSISTENT_CASING] = {"ConsistentInstructionCasing", URL("consistent-instruction-casing"),
			     "Command '%s' should match the case of the command majority (%s)"},
    [R_DUPLICATE_STAGE] = {"DuplicateStageName", URL("duplicate-stage-name"),
			   "Duplicate stage name %s, stage names should be unique"},
    [R_RESERVED_STAGE] = {"ReservedStageName", URL("reserved-stage-name"),
			  "Stage name should not use the same name as reserved stage %s"},
    [R_JSON_ARGS] = {"JSONArgsRecommended", URL("json-args-recommended"),
		     "JSON arguments recommended for %s to prevent unintended behavior related to "
		     "OS signals"},
    [R_MAINTAINER] = {"MaintainerDeprecated", URL("maintainer-deprecated"),
		      "Maintainer instruction is deprecated in favor of using label"},
    [R_UNDEFINED_ARG_IN_FROM] = {"UndefinedArgInFrom", URL("undefined-arg-in-from"),
				 "FROM argument '%s' is not declared%s"},
    [R_WORKDIR_RELATIVE] = {"WorkdirRelativePath", URL("workdir-relative-path"),
			    "Relative workdir %s can have unexpected results if the base image "
			    "changes"},
    [R_UNDEFINED_VAR] = {"UndefinedVar", URL("undefined-var"),
			 "Usage of undefined variable '$%s'%s"},
    [R_MULTIPLE_INSTR] = {"MultipleInstructionsDisallowed", URL("multiple-instructions-disallowed"),
			  "Multiple %s instructions should not be used in the same stage because "
			  "only the last one will be used"},
    [R_LEGACY_KV] = {"LegacyKeyValueFormat", URL("legacy-key-value-format"),
		     "\"%s key=value\" should be used instead of legacy \"%s key value\" format"},
    [R_INVALID_BASE_PLATFORM] = {"InvalidBaseImagePlatform", NULL,
				 "Base image %s was pulled with platform %s, expected %s for "
				 "current build"},
    [R_REDUNDANT_TARGET_PLATFORM] = {"RedundantTargetPlatform", URL("redundant-target-platform"),
				     "Setting platform to predefined %s in FROM is redundant as "
				     "this is the default behavior"},
    [R_SECRETS] = {"SecretsUsedInArgOrEnv", URL("secrets-used-in-arg-or-env"),
		   "Do not use ARG or ENV instructions for sensitive data (%s %s)"},
    [R_INVALID_DEFAULT_ARG] = {"InvalidDefaultArgInFrom", URL("invalid-default-arg-in-from"),
			       "Default value for ARG %s results in empty or invalid base image "
			       "name"},
    [R_PLATFORM_CONST] = {"FromPlatformFlagConstDisallowed",
			  URL("from-platform-flag-const-disallowed"),
			  "FROM --platform flag should not use constant value %s"},
    [R_COPY_IGNORED] = {"CopyIgnoredFile", URL("copy-ignored-file"),
			"Attempting to %s file %s that is excluded by .dockerignore"},
    [R_DEFINITION_DESCRIPTION] = {"InvalidDefinitionDescription",
				  URL("invalid-definition-description"),
				  "Comment for %s should follow the format: `# %s <description>`",
				  1},
    [R_EXPOSE_PROTO_CASING] = {"ExposeProtoCasing", URL("expose-proto-casing"),
			       "Defined protocol '%s' in EXPOSE instruction should be lowercase"},
    [R_EXPOSE_INVALID_FORMAT] = {"ExposeInvalidFormat", URL("expose-invalid-format"),
				 "EXPOSE instruction should not define an IP address or host-port "
				 "mapping, found '%s'"},
};

/* linter.Config: what the directive (and an instruction's comments) say. */
struct lcfg {
	unsigned char skip_all, exp_all, error;
	unsigned char skip[R_COUNT], exp[R_COUNT];
};

/* A stage as dispatch leaves it: BuildKit's dispatchState fields the
 * rules read. */
struct lstage {
	const struct instr *from;
	size_t first, end;	 /* its instructions: df->instrs[first..end) */
	char *image;		 /* FROM image expanded with the global ARGs */
	char *platform;		 /* FROM --platform expanded, or NULL */
	int base;		 /* index of the base stage, or -1 */
	struct vars env;	 /* the state's env: base env, ENV, ARG values */
	struct strlist declared; /* ARG names (d.buildArgs) */
	int env_known;		 /* 0: base image not in the store */
	int shell_set, workdir_set;
};

/* Variables an expansion looked up, found or not (ProcessWordWithMatches). */
struct lookups {
	const struct vars *vars;
	struct strlist matched, unmatched;
};

struct lint {
	const struct dockerfile *df;
	const struct cli *cli;
	const unsigned char *reach;
	struct diags *out;
	struct lcfg global, cur;
	unsigned char called[R_COUNT];
	char *text; /* the Dockerfile again, for the comments */
	size_t len;
	size_t *lines; /* offset of each line (1-based index) */
	size_t nlines;
	int dir_end;		       /* last line of the leading directives */
	struct vars globals, defaults; /* meta ARGs with and without build-args */
	struct strlist meta_keys;      /* every meta ARG name */
	struct lstage *st;
	size_t nst;
	struct ignore *ignore;
	int ignore_has_neg, ignore_root; /* '!' patterns; an ignore-all pattern */
	char *os, *arch, *variant;	 /* target platform */
};

static const char default_path[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/* ---- reporting ---- */

static int rule_by_name(const char *name)
{
	for (int i = 0; i < R_COUNT; i++)
		if (!strcmp(rules[i].name, name))
			return i;
	return -1;
}

/* linter.Run: experimental rules only when enabled, others unless skipped. */
static int rule_on(const struct lcfg *c, enum lint_rule r)
{
	if (rules[r].experimental)
		return c->exp_all || c->exp[r];
	return !(c->skip_all || c->skip[r]);
}

/* Records one finding of rule r at loc, the message made from the rule's
 * format and the arguments (one call per place a rule fires). */
static void lint_report(struct lint *l, enum lint_rule r, const struct loc *loc, ...)
{
	struct diag d = {0};
	va_list ap;

	if (!rule_on(&l->cur, r))
		return;
	va_start(ap, loc);
	d.msg = xvasprintf(rules[r].fmt, ap);
	va_end(ap);
	d.file = loc->file;
	d.line = loc->line;
	d.col = loc->col;
	d.sev = DIAG_WARNING;
	d.rule = rules[r].name;
	d.url = rules[r].url;
	diag_add(l->out, &d);
	l->called[r] = 1;
}

/* Go's %q of s, malloc'd. */
static char *quote(const char *s)
{
	struct buf b = {0};

	parse_quote(&b, s, strlen(s));
	return buf_steal(&b);
}

/* ---- the check directive and comments ---- */

/* strconv.ParseBool of s[0..n): 1, 0, or -1 when none of Go's spellings. */
static int go_bool_n(const char *s, size_t n)
{
	static const char *const t[] = {"1", "t", "T", "TRUE", "true", "True"};
	static const char *const f[] = {"0", "f", "F", "FALSE", "false", "False"};

	for (size_t i = 0; i < LEN(t); i++) {
		if (strlen(t[i]) == n && !strncmp(s, t[i], n))
			return 1;
		if (strlen(f[i]) == n && !strncmp(s, f[i], n))
			return 0;
	}
	return -1;
}

/* Sets flags for a comma-separated rule list ("all" sets *all). */
static void cfg_list(char *v, unsigned char *set, unsigned char *all)
{
	size_t start, len = parse_trim_space(v, strlen(v), &start);

	v[start + len] = '\0';
	v += start;
	if (!strcmp(v, "all")) {
		*all = 1;
		return;
	}
	for (char *p = strtok(v, ","); p; p = strtok(NULL, ",")) {
		size_t s, n = parse_trim_space(p, strlen(p), &s);
		p[s + n] = '\0';
		int r = rule_by_name(p + s);
		if (r >= 0)
			set[r] = 1;
	}
}

/* One "key=value" option of the check directive into n; 0, or -1 with
 * BuildKit's message. part is modified. */
static int cfg_option(struct lcfg *n, char *part, char *err, size_t errlen)
{
	char *eq = strchr(part, '='), *v;
	size_t s, len, vs, vl;
	int b;

	if (!eq) {
		snprintf(err, errlen, "invalid check option \"%s\"", part);
		return -1;
	}
	*eq = '\0';
	len = parse_trim_space(part, strlen(part), &s);
	part[s + len] = '\0';
	if (!strcmp(part + s, "skip") || !strcmp(part + s, "experimental")) {
		int skip = !strcmp(part + s, "skip");
		cfg_list(eq + 1, skip ? n->skip : n->exp, skip ? &n->skip_all : &n->exp_all);
		return 0;
	}
	if (strcmp(part + s, "error")) {
		snprintf(err, errlen, "invalid check option \"%s\"", part + s);
		return -1;
	}
	v = eq + 1;
	vl = parse_trim_space(v, strlen(v), &vs);
	if ((b = go_bool_n(v + vs, vl)) < 0) {
		snprintf(err, errlen,
			 "failed to parse check option \"%s=%s\": strconv.ParseBool: parsing "
			 "\"%.*s\": invalid syntax",
			 part, v, (int)vl, v + vs);
		return -1;
	}
	n->error = b > 0;
	return 0;
}

/* linter.ParseLintOptions merged into c; -1 with its message in err when
 * it does not parse (instr.c already rejected a bad directive; a bad
 * comment is ignored; a bad BUILDKIT_DOCKERFILE_CHECK is an error). */
static int cfg_parse(struct lcfg *c, const char *opts, char *err, size_t errlen)
{
	char *copy = xstrdup(opts), *p = copy;
	struct lcfg n = *c;
	int parts = 0, ok = 1;

	while (ok && *p && parts++ < 3) {
		char *part = p;
		p += parts < 3 ? strcspn(p, ";") : strlen(p);
		if (*p)
			*p++ = '\0';
		ok = cfg_option(&n, part, err, errlen) == 0;
	}
	free(copy);
	if (ok)
		*c = n;
	return ok ? 0 : -1;
}

/* A comment line's text (after '#', trimmed) or NULL if line is no comment. */
static char *comment_at(const struct lint *l, size_t line)
{
	const char *s = l->text + l->lines[line], *e = l->text + l->len;
	const char *nl = memchr(s, '\n', (size_t)(e - s));
	size_t n = nl ? (size_t)(nl - s) : (size_t)(e - s), st, len;

	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	if (!n || *s != '#')
		return NULL;
	len = parse_trim_space(s + 1, n - 1, &st);
	return xstrndup(s + 1 + st, len);
}

/* The comments right before instruction i (BuildKit's PrevComment: a bare
 * "#" starts the list again; blank lines do not). */
static void comments_of(const struct lint *l, size_t i, struct strlist *out)
{
	const struct instr *in = &l->df->instrs[i];
	size_t from = i ? (size_t)l->df->instrs[i - 1].loc.end_line + 1 : (size_t)l->dir_end + 1;

	if (!l->text || in->loc.file != l->df->path)
		return;
	for (size_t ln = from; ln < (size_t)in->loc.line && ln <= l->nlines; ln++) {
		char *c = comment_at(l, ln);
		if (c && !*c) {
			for (size_t k = 0; k < out->n; k++)
				free(out->v[k]);
			out->n = 0;
			free(c);
		} else if (c)
			strlist_take(out, c);
	}
}

/* A "check=..." comment (DirectiveParser with no comment prefix); the
 * value up to its first blank, or NULL. */
static char *check_comment(const char *c)
{
	const char *p = c, *v;
	size_t n;

	while (isspace((unsigned char)*p))
		p++;
	if (strncasecmp(p, "check", 5))
		return NULL;
	for (p += 5; *p == ' ' || *p == '\t'; p++)
		;
	if (*p++ != '=')
		return NULL;
	while (*p == ' ' || *p == '\t')
		p++;
	v = p;
	n = strcspn(v, " \t");
	return n ? xstrndup(v, n) : NULL;
}

/* Makes the config of instruction i current: the directive's merged with
 * the first check comment before it (WithMergedConfigFromComments). */
static void lint_enter(struct lint *l, size_t i, struct strlist *comments)
{
	l->cur = l->global;
	comments_of(l, i, comments);
	for (size_t k = 0; k < comments->n; k++) {
		char *v = check_comment(comments->v[k]);
		if (!v)
			continue;
		char msg[256];
		cfg_parse(&l->cur, v, msg, sizeof(msg));
		free(v);
		break;
	}
}

/* ---- small helpers ---- */

static int is_lower(const char *s)
{
	for (; *s; s++)
		if (isupper((unsigned char)*s))
			return 0;
	return 1;
}

static int is_upper(const char *s)
{
	for (; *s; s++)
		if (islower((unsigned char)*s))
			return 0;
	return 1;
}

/* The words of an instruction's source line (the keyword as written). */
static size_t orig_words(const struct instr *in, char **w, size_t max)
{
	const char *p = in->original ? in->original : "";
	size_t n = 0;

	while (*p && n < max) {
		while (isspace((unsigned char)*p))
			p++;
		size_t len = strcspn(p, " \t\r\n");
		if (!len)
			break;
		w[n++] = xstrndup(p, len);
		p += len;
	}
	return n;
}

static void words_free(char **w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(w[i]);
}

/* The keyword as written ("From"), malloc'd. */
static char *orig_keyword(const struct instr *in)
{
	char *w[1];

	return orig_words(in, w, 1) ? w[0] : xstrdup(instr_name(in->kind));
}

/* Levenshtein distance, for suggest.Search. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), *row = xcalloc(lb + 1, sizeof(*row)), r;

	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	r = row[lb];
	free(row);
	return r;
}

/* suggest.Search (case-sensitive): the closest option under distance 3,
 * NULL when none or when val itself is an option. */
static const char *suggest(const char *val, char *const *opts, size_t n)
{
	const char *match = NULL;
	size_t min = 3;

	for (size_t i = 0; i < n; i++) {
		if (!strcmp(val, opts[i]))
			return NULL;
		size_t d = distance(val, opts[i]);
		if (d < min) {
			match = opts[i];
			min = d;
		}
	}
	return match;
}

static int has_str(const struct strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], s))
			return 1;
	return 0;
}

/* ---- expansion with the variables it looked up ---- */

static const char *lookup_rec(void *ctx, const char *name)
{
	struct lookups *lk = ctx;
	const struct var *v = args_find(lk->vars, name);

	if (v && v->value) {
		if (!has_str(&lk->matched, name))
			strlist_add(&lk->matched, name);
		return v->value;
	}
	if (!has_str(&lk->unmatched, name))
		strlist_add(&lk->unmatched, name);
	return NULL;
}

static void lookups_free(struct lookups *lk)
{
	strlist_free(&lk->matched);
	strlist_free(&lk->unmatched);
}

/* Expands word against vars; NULL on an expansion error. */
static char *expand_rec(const char *word, char escape, struct lookups *lk)
{
	struct expand_env env = {lookup_rec, lk};
	struct expand_error err;

	return expand_word(word, escape, &env, &err);
}

/* reportUnmatchedVariables: UndefinedVar for each name looked up and not
 * found, unless an ARG declared it (even without a value). */
static void report_unmatched(struct lint *l, struct lstage *s, const struct instr *in,
			     const struct lookups *lk)
{
	char **keys;

	if (!s->env_known || !lk->unmatched.n)
		return;
	keys = xcalloc(s->env.n + 1, sizeof(*keys));
	for (size_t i = 0; i < s->env.n; i++)
		keys[i] = s->env.v[i].name;
	for (size_t i = 0; i < lk->unmatched.n; i++) {
		const char *name = lk->unmatched.v[i];
		if (has_str(&s->declared, name) || !strcmp(name, "BUILDKIT_SBOM_SCAN_CONTEXT") ||
		    !strcmp(name, "BUILDKIT_SBOM_SCAN_STAGE"))
			continue;
		const char *m = suggest(name, keys, s->env.n);
		char *sfx = m ? xasprintf(" (did you mean $%s?)", m) : xstrdup("");
		lint_report(l, R_UNDEFINED_VAR, &in->loc, name, sfx);
		free(sfx);
	}
	free(keys);
}

/* Expands one word of a dispatched instruction, reporting what is
 * undefined; the result is malloc'd ("" on an expansion error). */
static char *lint_word(struct lint *l, struct lstage *s, const struct instr *in, const char *w)
{
	struct lookups lk = {.vars = &s->env};
	char *r = expand_rec(w ? w : "", l->df->escape, &lk);

	report_unmatched(l, s, in, &lk);
	lookups_free(&lk);
	return r ? r : xstrdup("");
}

/* ---- checks of the whole file (instructions.Parse, validate*) ---- */

/* InvalidDefinitionDescription: the comment right above an ARG or a named
 * FROM must start with the name it describes. */
static void check_description(struct lint *l, const struct instr *in, const char *what,
			      char *const *keys, size_t n, const struct strlist *comments)
{
	const char *last;
	size_t w;

	if (!comments->n || !n)
		return;
	last = comments->v[comments->n - 1];
	w = strcspn(last, " ");
	for (size_t i = 0; i < n; i++)
		if (strlen(keys[i]) == w && !strncmp(last, keys[i], w))
			return;
	lint_report(l, R_DEFINITION_DESCRIPTION, &in->loc, what, n > 1 ? "<arg_key>" : keys[0]);
}

/* StageNameCasing and FromAsCasing, on the words as written. */
static void check_from_words(struct lint *l, const struct instr *in)
{
	char *w[16];
	size_t n = orig_words(in, w, LEN(w)), a = 1;
	const char *kw = n ? w[0] : "FROM";

	while (a < n && !strncmp(w[a], "--", 2))
		a++;
	if (a <= n && n - a == 3) {
		if (!is_lower(w[a + 2]))
			lint_report(l, R_STAGE_NAME_CASING, &in->loc, w[a + 2]);
		/* a keyword in mixed case is ConsistentInstructionCasing's */
		if ((is_lower(kw) && !is_lower(w[a + 1])) ||
		    (!is_lower(kw) && is_upper(kw) && !is_upper(w[a + 1])))
			lint_report(l, R_FROM_AS_CASING, &in->loc, w[a + 1], kw);
	}
	words_free(w, n);
}

/* The checks instructions.Parse runs on each instruction as it types it. */
static void check_parsed(struct lint *l, size_t i, const struct strlist *comments)
{
	const struct instr *in = &l->df->instrs[i];
	char **keys;

	switch (in->kind) {
	case I_MAINTAINER:
		lint_report(l, R_MAINTAINER, &in->loc);
		break;
	case I_FROM:
		check_from_words(l, in);
		if (in->stage_name)
			check_description(l, in, "FROM", &in->stage_name, 1, comments);
		break;
	case I_ARG:
		keys = xcalloc(in->nkvs + 1, sizeof(*keys));
		for (size_t k = 0; k < in->nkvs; k++)
			keys[k] = in->kvs[k].key;
		check_description(l, in, "ARG", keys, in->nkvs, comments);
		free(keys);
		break;
	default:
		break;
	}
}

/* ReservedStageName and DuplicateStageName (validateStageNames). */
static void check_stage_names(struct lint *l)
{
	for (size_t i = 0; i < l->nst; i++) {
		const struct instr *in = l->st[i].from;
		char *q;

		if (!in->stage_name)
			continue;
		q = quote(in->stage_name);
		if (!strcmp(in->stage_name, "context") || !strcmp(in->stage_name, "scratch"))
			lint_report(l, R_RESERVED_STAGE, &in->loc, q);
		for (size_t j = 0; j < i; j++)
			if (l->st[j].from->stage_name &&
			    !strcmp(l->st[j].from->stage_name, in->stage_name)) {
				lint_report(l, R_DUPLICATE_STAGE, &in->loc, q);
				break;
			}
		free(q);
	}
}

/* ConsistentInstructionCasing (validateCommandCasing): the instructions
 * of the stages against the majority case; a tie is upper case. */
static void check_casing(struct lint *l)
{
	int lower = 0, upper = 0, maj_lower;
	size_t first = l->nst ? (size_t)(l->st[0].from - l->df->instrs) : l->df->ninstrs;

	for (size_t i = first; i < l->df->ninstrs; i++) {
		char *kw = orig_keyword(&l->df->instrs[i]);
		if (is_lower(kw))
			lower++;
		else if (is_upper(kw))
			upper++;
		free(kw);
	}
	maj_lower = lower > upper;
	for (size_t i = first; i < l->df->ninstrs; i++) {
		const struct instr *in = &l->df->instrs[i];
		char *kw = orig_keyword(in);
		if (maj_lower && !is_lower(kw))
			lint_report(l, R_CONSISTENT_CASING, &in->loc, kw, "lowercase");
		else if (!maj_lower && !is_upper(kw))
			lint_report(l, R_CONSISTENT_CASING, &in->loc, kw, "uppercase");
		free(kw);
	}
}

/* InvalidDefaultArgInFrom: each base name expanded with the ARG defaults
 * alone must be an image reference (validateBaseImagesWithDefaultArgs). */
static void check_default_args(struct lint *l)
{
	for (size_t i = 0; i < l->nst; i++) {
		const struct instr *in = l->st[i].from;
		struct lookups lk = {.vars = &l->defaults};
		struct error e = {0};
		char *r = expand_rec(in->image, l->df->escape, &lk), *n = NULL;

		lookups_free(&lk);
		if (!r)
			return; /* the build fails on it anyway */
		if (!*r || !(n = ref_normalize(r, &e)))
			lint_report(l, R_INVALID_DEFAULT_ARG, &in->loc, in->image);
		free(n);
		free(r);
	}
}

/* ---- FROM, with the global ARGs (buildDispatchStates) ---- */

/* UndefinedArgInFrom for the names an expansion of FROM did not find. */
static void report_from_args(struct lint *l, const struct instr *in, const struct lookups *lk)
{
	size_t n = l->meta_keys.n + l->globals.n;
	char **keys = xcalloc(n + 1, sizeof(*keys));

	for (size_t i = 0; i < l->meta_keys.n; i++)
		keys[i] = l->meta_keys.v[i];
	for (size_t i = 0; i < l->globals.n; i++)
		keys[l->meta_keys.n + i] = l->globals.v[i].name;
	for (size_t i = 0; i < lk->unmatched.n; i++) {
		const char *name = lk->unmatched.v[i], *m;
		int known = 0;
		for (size_t k = 0; k < n && !known; k++)
			known = !strcmp(keys[k], name);
		if (known)
			continue;
		m = suggest(name, keys, n);
		char *sfx = m ? xasprintf(" (did you mean %s?)", m) : xstrdup("");
		lint_report(l, R_UNDEFINED_ARG_IN_FROM, &in->loc, name, sfx);
		free(sfx);
	}
	free(keys);
}

/* Splits a platform string as platforms.Parse does for the OS and
 * architecture (one word: an OS with the host's architecture, or an
 * architecture on linux). */
static void platform_split(const char *p, const char *host_arch, char **os, char **arch)
{
	const char *slash = strchr(p, '/');
	static const char *const oses[] = {"linux", "windows", "darwin", "freebsd"};

	if (slash) {
		*os = xstrndup(p, (size_t)(slash - p));
		*arch = xstrndup(slash + 1, strcspn(slash + 1, "/"));
		return;
	}
	for (size_t i = 0; i < LEN(oses); i++)
		if (!strcasecmp(p, oses[i])) {
			*os = xstrdup(oses[i]);
			*arch = xstrdup(host_arch);
			return;
		}
	*os = xstrdup("linux");
	*arch = xstrdup(p);
}

/* RedundantTargetPlatform and FromPlatformFlagConstDisallowed. */
static void check_platform(struct lint *l, const struct instr *in, const struct lookups *lk,
			   const char *result)
{
	if (lk->matched.n == 1 && !lk->unmatched.n && !strcmp(lk->matched.v[0], "TARGETPLATFORM")) {
		const struct var *tp = args_find(&l->globals, "TARGETPLATFORM");
		if (tp && tp->value && !strcmp(tp->value, result))
			lint_report(l, R_REDUNDANT_TARGET_PLATFORM, &in->loc, in->platform);
	}
	if (lk->matched.n || lk->unmatched.n || !*result)
		return;
	char *os, *arch, *q;
	const char *name = in->stage_name ? in->stage_name : "";
	platform_split(result, l->arch, &os, &arch);
	if (!strstr(name, os) && !strstr(name, arch)) {
		q = quote(result);
		lint_report(l, R_PLATFORM_CONST, &in->loc, q);
		free(q);
	}
	free(os);
	free(arch);
}

/* Expands the stage's FROM image and --platform with the global ARGs. */
static void lint_from(struct lint *l, struct lstage *s)
{
	const struct instr *in = s->from;
	struct lookups lk = {.vars = &l->globals};

	s->image = expand_rec(in->image, l->df->escape, &lk);
	report_from_args(l, in, &lk);
	lookups_free(&lk);
	if (!in->platform)
		return;
	struct lookups pk = {.vars = &l->globals};
	s->platform = expand_rec(in->platform, l->df->escape, &pk);
	report_from_args(l, in, &pk);
	if (s->platform)
		check_platform(l, in, &pk, s->platform);
	lookups_free(&pk);
}

/* ---- dispatch: the stages the build runs ---- */

/* InvalidBaseImagePlatform: the image's OS/architecture against the
 * stage's --platform, else the target platform (validateBaseImagePlatform). */
static void check_base_platform(struct lint *l, const struct lstage *s, json_t *config)
{
	const char *os = json_string_value(json_object_get(config, "os"));
	const char *arch = json_string_value(json_object_get(config, "architecture"));
	char *wos = NULL, *warch = NULL, *got, *want, *qg, *qw;

	if (s->platform)
		platform_split(s->platform, l->arch, &wos, &warch);
	else {
		wos = xstrdup(l->os);
		warch = xstrdup(l->arch);
	}
	if (os && arch && (strcmp(os, wos) || strcmp(arch, warch))) {
		got = xasprintf("%s/%s", os, arch);
		/* platforms.Normalize drops arm64's v8 */
		int var = !s->platform && *l->variant &&
			  !(strcmp(warch, "arm64") == 0 && strcmp(l->variant, "v8") == 0);
		want = var ? xasprintf("%s/%s/%s", wos, warch, l->variant)
			   : xasprintf("%s/%s", wos, warch);
		qg = quote(got);
		qw = quote(want);
		l->cur = l->global;
		lint_report(l, R_INVALID_BASE_PLATFORM, &s->from->loc, s->image, qg, qw);
		free(qg);
		free(qw);
		free(got);
		free(want);
	}
	free(wos);
	free(warch);
}

/* The base image's config from the store: its Env and Shell, and its
 * platform. Unknown images leave env_known 0. */
static void stage_image(struct lint *l, struct lstage *s)
{
	struct store_image img = {0};
	struct error e = {0};
	char *name = ref_normalize(s->image, &e);
	json_t *cfg, *v;
	size_t i;

	if (!name || store_lookup(l->cli->store, name, &img, &e) < 0) {
		free(name);
		return;
	}
	s->env_known = 1;
	cfg = json_object_get(img.config, "config");
	json_array_foreach(json_object_get(cfg, "Env"), i, v)
	{
		const char *kv = json_string_value(v), *eq = kv ? strchr(kv, '=') : NULL;
		char *k = eq ? xstrndup(kv, (size_t)(eq - kv)) : NULL;
		if (k)
			args_set(&s->env, k, eq + 1);
		free(k);
	}
	s->shell_set = json_array_size(json_object_get(cfg, "Shell")) > 0;
	check_base_platform(l, s, img.config);
	store_image_free(&img);
	free(name);
}

/* The state a stage starts from: its base stage's, scratch, or an image. */
static void stage_init(struct lint *l, struct lstage *s, size_t idx)
{
	s->base = -1;
	for (size_t j = 0; s->image && j < idx; j++)
		if (l->st[j].from->stage_name && !strcasecmp(l->st[j].from->stage_name, s->image))
			s->base = (int)j;
	if (s->base >= 0) {
		struct lstage *b = &l->st[s->base];
		args_copy(&s->env, &b->env);
		for (size_t i = 0; i < b->declared.n; i++)
			strlist_add(&s->declared, b->declared.v[i]);
		s->env_known = b->env_known;
		s->shell_set = b->shell_set;
		s->workdir_set = b->workdir_set;
		return;
	}
	if (s->image && !strcasecmp(s->image, "scratch"))
		s->env_known = 1;
	else if (s->image)
		stage_image(l, s);
	if (!args_find(&s->env, "PATH")) /* BuildKit always sets one */
		args_set(&s->env, "PATH", default_path);
}

/* SecretsUsedInArgOrEnv: a '_'-separated part of the name is a secret
 * word and none is an allowed one (validations.go's two regexps). */
static int secret_name(const char *key)
{
	static const char *const deny[] = {"apikey", "auth",	 "credential", "credentials",
					   "key",    "password", "pword",      "passwd",
					   "secret", "token"};
	static const char *const allow[] = {"public", "file", "version"};
	int hit = 0;

	for (const char *p = key;; p++) {
		size_t n = strcspn(p, "_");
		for (size_t i = 0; i < LEN(deny); i++)
			hit |= strlen(deny[i]) == n && !strncasecmp(p, deny[i], n);
		for (size_t i = 0; i < LEN(allow); i++)
			if (strlen(allow[i]) == n && !strncasecmp(p, allow[i], n))
				return 0;
		p += n;
		if (!*p)
			break;
	}
	return hit;
}

static void check_secret(struct lint *l, const struct instr *in, const char *what, const char *k)
{
	if (secret_name(k)) {
		char *q = quote(k);
		lint_report(l, R_SECRETS, &in->loc, what, q);
		free(q);
	}
}

/* LegacyKeyValueFormat, named as the instruction is written. */
static void check_legacy(struct lint *l, const struct instr *in)
{
	if (in->legacy_kv) {
		char *kw = orig_keyword(in);
		lint_report(l, R_LEGACY_KV, &in->loc, kw, kw);
		free(kw);
	}
}

/* ENV and LABEL: every key and value expanded with the env before it. */
static void disp_kvs(struct lint *l, struct lstage *s, const struct instr *in)
{
	size_t n = in->nkvs;
	char **k = xcalloc(n + 1, sizeof(*k)), **v = xcalloc(n + 1, sizeof(*v));

	check_legacy(l, in);
	for (size_t i = 0; i < n; i++) {
		k[i] = lint_word(l, s, in, in->kvs[i].key);
		v[i] = lint_word(l, s, in, in->kvs[i].has_value ? in->kvs[i].value : "");
	}
	for (size_t i = 0; i < n; i++) {
		if (in->kind == I_ENV) {
			check_secret(l, in, "ENV", k[i]);
			args_set(&s->env, k[i], v[i]);
		}
		free(k[i]);
		free(v[i]);
	}
	free(k);
	free(v);
}

/* ARG: the value is the build-arg, else the expanded default, else the
 * global one; a value enters the env, every name is declared. */
static void disp_arg(struct lint *l, struct lstage *s, const struct instr *in)
{
	for (size_t i = 0; i < in->nkvs; i++) {
		const struct kv *kv = &in->kvs[i];
		const char *ba = cli_build_arg(l->cli, kv->key);
		const struct var *g = args_find(&l->globals, kv->key);
		char *v = NULL;

		check_secret(l, in, "ARG", kv->key);
		if (ba)
			v = xstrdup(ba);
		else if (kv->has_value)
			v = lint_word(l, s, in, kv->value);
		else if (g && g->value)
			v = xstrdup(g->value);
		if (v && strcmp(kv->key, "BUILDKIT_SBOM_SCAN_CONTEXT") &&
		    strcmp(kv->key, "BUILDKIT_SBOM_SCAN_STAGE"))
			args_set(&s->env, kv->key, v);
		free(v);
		if (!has_str(&s->declared, kv->key))
			strlist_add(&s->declared, kv->key);
	}
}

/* Expands each word and frees the results (only the findings count). */
static void disp_words(struct lint *l, struct lstage *s, const struct instr *in, char *const *w,
		       size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(lint_word(l, s, in, w[i]));
}

/* ExposeProtoCasing and ExposeInvalidFormat on one expanded port word. */
static void check_port(struct lint *l, const struct instr *in, const char *raw)
{
	const char *last = strrchr(raw, ':'), *c = last ? last + 1 : raw;
	const char *slash = strchr(c, '/');

	if (slash && !is_lower(slash + 1))
		lint_report(l, R_EXPOSE_PROTO_CASING, &in->loc, raw);
	if (last)
		lint_report(l, R_EXPOSE_INVALID_FORMAT, &in->loc, raw);
}

static void disp_expose(struct lint *l, struct lstage *s, const struct instr *in)
{
	char **vec = NULL;
	size_t n = 0;

	args_to_vec(&s->env, &vec, &n);
	vec = xreallocarray(vec, n + 1, sizeof(*vec));
	vec[n] = NULL;
	struct expand_env env = expand_env_kv(vec);
	for (size_t i = 0; i < in->nargs; i++) {
		struct expand_error err;
		char **w = expand_words(in->args[i], l->df->escape, &env, &err);
		for (size_t k = 0; w && w[k]; k++)
			check_port(l, in, w[k]);
		if (w)
			expand_free_words(w);
	}
	for (size_t i = 0; i < n; i++)
		free(vec[i]);
	free(vec);
}

/* CopyIgnoredFile for one expanded context source (validateCopySourcePath). */
static void check_ignored(struct lint *l, const struct instr *in, const char *src)
{
	char *clean, *q;

	if (!l->ignore || l->ignore_has_neg || in->from || !strncmp(src, "http://", 7) ||
	    !strncmp(src, "https://", 8))
		return;
	clean = ctx_clean_source(src);
	if (!strcmp(clean, ".") ? l->ignore_root : ignore_excluded(l->ignore, clean)) {
		/* Go's filepath.Clean keeps a leading '/', ctx_clean_source drops it */
		q = quote(!strcmp(clean, ".") && src[0] == '/' ? "/" : clean);
		lint_report(l, R_COPY_IGNORED, &in->loc, in->kind == I_ADD ? "Add" : "Copy", q);
		free(q);
	}
	free(clean);
}

/* COPY and ADD: the flags, sources, destination and heredoc bodies that
 * BuildKit expands; sources from the context against the ignore file. */
static void disp_copy(struct lint *l, struct lstage *s, const struct instr *in)
{
	const char *flags[] = {in->chown, in->chmod, in->kind == I_ADD ? in->checksum : NULL};

	for (size_t i = 0; i < LEN(flags); i++)
		if (flags[i])
			free(lint_word(l, s, in, flags[i]));
	for (size_t i = 0; i < in->nargs; i++) {
		char *w = lint_word(l, s, in, in->args[i]);
		if (i + 1 < in->nargs)
			check_ignored(l, in, w);
		free(w);
	}
	for (size_t i = 0; i < in->nheredocs; i++)
		if (in->heredocs[i].expand && in->heredocs[i].content)
			free(lint_word(l, s, in, in->heredocs[i].content));
}

/* RUN: the --mount option values (setMountState expands each). */
static void disp_run(struct lint *l, struct lstage *s, const struct instr *in)
{
	for (size_t i = 0; i < in->nmounts; i++) {
		const char *spec = in->mounts[i].spec;
		if (!spec || !strchr(spec, '$'))
			continue;
		char *copy = xstrdup(spec), *save = NULL;
		for (char *f = strtok_r(copy, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
			char *eq = strchr(f, '=');
			if (eq)
				free(lint_word(l, s, in, eq + 1));
		}
		free(copy);
	}
}

/* MultipleInstructionsDisallowed reports the earlier one, which is lost. */
static void check_once(struct lint *l, const struct instr **prev, const struct instr *in)
{
	if (*prev) {
		char *kw = orig_keyword(in);
		lint_report(l, R_MULTIPLE_INSTR, &(*prev)->loc, kw);
		free(kw);
	}
	*prev = in;
}

/* CMD and ENTRYPOINT in shell form with no SHELL set. */
static void check_json(struct lint *l, const struct lstage *s, const struct instr *in)
{
	if (!in->json && !s->shell_set) {
		char *kw = orig_keyword(in);
		lint_report(l, R_JSON_ARGS, &in->loc, kw);
		free(kw);
	}
}

static void disp_workdir(struct lint *l, struct lstage *s, const struct instr *in)
{
	char *p = lint_word(l, s, in, in->nargs ? in->args[0] : "");

	if (!s->workdir_set && p[0] != '/') {
		char *q = quote(p);
		lint_report(l, R_WORKDIR_RELATIVE, &in->loc, q);
		free(q);
	}
	s->workdir_set = 1;
	free(p);
}

/* One instruction of a dispatched stage (convert.go's dispatch). */
static void disp_instr(struct lint *l, struct lstage *s, const struct instr *in,
		       const struct instr **once)
{
	switch (in->kind) {
	case I_ENV:
	case I_LABEL:
		disp_kvs(l, s, in);
		break;
	case I_ARG:
		disp_arg(l, s, in);
		break;
	case I_WORKDIR:
		disp_workdir(l, s, in);
		break;
	case I_CMD:
	case I_ENTRYPOINT:
		check_once(l, &once[in->kind == I_CMD], in);
		check_json(l, s, in);
		break;
	case I_HEALTHCHECK:
		check_once(l, &once[2], in);
		break;
	case I_SHELL:
		s->shell_set = 1;
		break;
	case I_EXPOSE:
		disp_expose(l, s, in);
		break;
	case I_COPY:
	case I_ADD:
		disp_copy(l, s, in);
		break;
	case I_RUN:
		disp_run(l, s, in);
		break;
	case I_USER:
	case I_VOLUME:
	case I_STOPSIGNAL:
		disp_words(l, s, in, in->args, in->nargs);
		break;
	default:
		break;
	}
}

/* Dispatches a stage: each instruction with its own check comments. */
static void lint_stage(struct lint *l, size_t idx)
{
	struct lstage *s = &l->st[idx];
	const struct instr *once[3] = {NULL, NULL, NULL};

	stage_init(l, s, idx);
	for (size_t i = s->first; i < s->end; i++) {
		struct strlist c = {0};
		lint_enter(l, i, &c);
		disp_instr(l, s, &l->df->instrs[i], once);
		strlist_free(&c);
	}
}

/* ---- set-up ---- */

/* The Dockerfile's lines, for the comments above instructions, and the
 * last line of the leading directives (they are no comments). */
static void lint_text(struct lint *l)
{
	struct error e = {0};
	size_t cap = 64;

	if (input_read(l->df->path, INPUT_MAX, &l->text, &l->len, &e) < 0) {
		l->text = NULL;
		return;
	}
	l->lines = xcalloc(cap, sizeof(*l->lines));
	l->nlines = 1; /* lines[1] is the first line */
	for (size_t off = 0; off < l->len || off == 0;) {
		const char *nl = memchr(l->text + off, '\n', l->len - off);
		if (l->nlines + 1 >= cap)
			l->lines = xreallocarray(l->lines, cap *= 2, sizeof(*l->lines));
		l->lines[l->nlines++] = off;
		if (!nl)
			break;
		off = (size_t)(nl - l->text) + 1;
	}
	l->nlines--;
	for (size_t ln = 1; ln <= l->nlines; ln++) {
		char *c = comment_at(l, ln), *p = c;
		size_t n =
		    p ? strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") : 0;
		int dir = n && (!strncasecmp(p, "syntax", n) || !strncasecmp(p, "escape", n) ||
				!strncasecmp(p, "check", n));
		for (p += n; dir && (*p == ' ' || *p == '\t'); p++)
			;
		dir = dir && *p == '=';
		free(c);
		if (!dir)
			break;
		l->dir_end = (int)ln;
	}
}

/* The ignore file as BuildKit's matcher sees it: no check without
 * patterns or with '!' exceptions; "." only when everything is ignored. */
static void lint_ignore(struct lint *l)
{
	struct error e = {0};
	char *used = NULL, *text = NULL;
	size_t len = 0;

	l->ignore = ignore_load(l->cli->context, l->cli->dockerfile, &used, &e);
	if (l->ignore && !ignore_count(l->ignore)) {
		ignore_free(l->ignore);
		l->ignore = NULL;
	}
	if (l->ignore && used && input_read(used, INPUT_MAX, &text, &len, &e) == 0) {
		for (char *ln = strtok(text, "\r\n"); ln; ln = strtok(NULL, "\r\n")) {
			size_t st, n = parse_trim_space(ln, strlen(ln), &st);
			ln[st + n] = '\0';
			ln += st;
			l->ignore_has_neg |= ln[0] == '!';
			l->ignore_root |=
			    !strcmp(ln, "*") || !strcmp(ln, "**") || !strcmp(ln, "**/*");
		}
	}
	free(text);
	free(used);
}

/* The global ARGs twice: with the build-args, and with defaults only. */
static void lint_globals(struct lint *l, size_t first_from)
{
	struct cli nob = *l->cli;
	const char *target = l->cli->target ? l->cli->target : "";

	memset(&nob.build_args, 0, sizeof(nob.build_args));
	args_predefined(&l->globals, l->cli->platform, target);
	args_predefined(&l->defaults, l->cli->platform, target);
	for (size_t i = 0; i < first_from; i++) {
		const struct instr *in = &l->df->instrs[i];
		if (in->kind != I_ARG)
			continue;
		args_global(&l->globals, in, l->cli, l->df->escape);
		args_global(&l->defaults, in, &nob, l->df->escape);
		for (size_t k = 0; k < in->nkvs; k++)
			if (!has_str(&l->meta_keys, in->kvs[k].key))
				strlist_add(&l->meta_keys, in->kvs[k].key);
	}
}

/* The stages: each FROM and the instructions up to the next one. */
static size_t lint_stages(struct lint *l)
{
	size_t first = l->df->ninstrs;

	for (size_t i = 0; i < l->df->ninstrs; i++) {
		if (l->df->instrs[i].kind != I_FROM)
			continue;
		if (first == l->df->ninstrs)
			first = i;
		if (l->nst)
			l->st[l->nst - 1].end = i;
		l->st = xreallocarray(l->st, l->nst + 1, sizeof(*l->st));
		l->st[l->nst++] = (struct lstage){.from = &l->df->instrs[i], .first = i + 1};
	}
	if (l->nst)
		l->st[l->nst - 1].end = l->df->ninstrs;
	return first;
}

static void lint_free(struct lint *l)
{
	for (size_t i = 0; i < l->nst; i++) {
		free(l->st[i].image);
		free(l->st[i].platform);
		args_free(&l->st[i].env);
		strlist_free(&l->st[i].declared);
	}
	free(l->st);
	free(l->text);
	free(l->lines);
	args_free(&l->globals);
	args_free(&l->defaults);
	strlist_free(&l->meta_keys);
	ignore_free(l->ignore);
	free(l->os);
	free(l->arch);
	free(l->variant);
}

/* The file's configuration: the check directive, replaced (not merged)
 * by the build-arg BUILDKIT_DOCKERFILE_CHECK when given (dockerui). */
static void lint_config(struct lint *l)
{
	const char *arg = cli_build_arg(l->cli, "BUILDKIT_DOCKERFILE_CHECK");
	char msg[256];

	if (arg && cfg_parse(&l->global, arg, msg, sizeof(msg)) < 0)
		fatal("failed to parse build-arg:BUILDKIT_DOCKERFILE_CHECK: %s", msg);
	else if (!arg && l->df->check)
		cfg_parse(&l->global, l->df->check, msg, sizeof(msg));
}

/* The stage a --from or FROM names: an index, or a name in any case. */
static int stage_ref(const struct lint *l, const char *name, size_t before)
{
	char *end;
	long i = strtol(name, &end, 10);

	if (*name && !*end)
		return i >= 0 && (size_t)i < l->nst ? (int)i : -1;
	for (size_t j = 0; j < before && j < l->nst; j++)
		if (l->st[j].from->stage_name && !strcasecmp(l->st[j].from->stage_name, name))
			return (int)j;
	return -1;
}

/* Marks stage i and the stages it needs: its base, COPY/ADD --from and
 * RUN --mount from= (BuildKit's reachable stages). */
static void mark_needed(const struct lint *l, unsigned char *r, size_t i)
{
	const struct lstage *s = &l->st[i];
	int j;

	if (r[i])
		return;
	r[i] = 1;
	if (s->image && (j = stage_ref(l, s->image, i)) >= 0 && !isdigit((unsigned char)*s->image))
		mark_needed(l, r, (size_t)j);
	for (size_t k = s->first; k < s->end; k++) {
		const struct instr *in = &l->df->instrs[k];
		if (in->from && (j = stage_ref(l, in->from, l->nst)) >= 0)
			mark_needed(l, r, (size_t)j);
		for (size_t m = 0; m < in->nmounts; m++)
			if (in->mounts[m].from &&
			    (j = stage_ref(l, in->mounts[m].from, l->nst)) >= 0)
				mark_needed(l, r, (size_t)j);
	}
}

/* --check --target T lints T and what it needs, as BuildKit does with a
 * target (without one, every stage). */
static unsigned char *check_target(const struct lint *l)
{
	const char *want = l->cli->target;
	unsigned char *r;
	char **names;
	int t;

	if ((t = stage_ref(l, want, l->nst)) < 0) {
		names = xcalloc(l->nst + 1, sizeof(*names));
		size_t n = 0;
		for (size_t i = 0; i < l->nst; i++)
			if (l->st[i].from->stage_name)
				names[n++] = l->st[i].from->stage_name;
		const char *m = suggest(want, names, n);
		char *sfx = m ? xasprintf(" (did you mean %s?)", m) : xstrdup("");
		free(names);
		/* sfx is still in use: fatal's message is made before exit */
		fatal("target stage \"%s\" could not be found%s", want, sfx);
	}
	r = xcalloc(l->nst + 1, 1);
	mark_needed(l, r, (size_t)t);
	return r;
}

/* The checks of every stage: instructions.Parse's, toDispatchState's
 * validations, and those of each FROM with the global ARGs. */
static void lint_file(struct lint *l)
{
	const struct dockerfile *df = l->df;

	for (size_t i = 0; i < df->ninstrs; i++) {
		struct strlist cm = {0};
		lint_enter(l, i, &cm);
		check_parsed(l, i, &cm);
		strlist_free(&cm);
	}
	l->cur = l->global;
	/* a compile shows the reader's own warning for these (instr.c) */
	for (size_t i = 0; !l->reach && i < df->nempty_cont; i++) {
		struct loc at = {df->path, df->empty_cont[i], 1, df->empty_cont[i]};
		lint_report(l, R_NO_EMPTY_CONTINUATION, &at);
	}
	check_stage_names(l);
	check_casing(l);
	check_default_args(l);
	for (size_t i = 0; i < l->nst; i++) {
		struct strlist cm = {0};
		lint_enter(l, (size_t)(l->st[i].from - df->instrs), &cm);
		lint_from(l, &l->st[i]);
		strlist_free(&cm);
	}
}

int lint_run(const struct dockerfile *df, const struct cli *c, const unsigned char *reach,
	     struct diags *out)
{
	struct lint l = {.df = df, .cli = c, .reach = reach, .out = out};
	int fired = 0;

	lint_config(&l);
	lint_text(&l);
	lint_globals(&l, lint_stages(&l));
	args_platform(c->platform, &l.os, &l.arch, &l.variant);
	lint_ignore(&l);
	lint_file(&l);
	unsigned char *own = !reach && c->target ? check_target(&l) : NULL;
	for (size_t i = 0; i < l.nst; i++)
		if (own ? own[i] : !reach || reach[i])
			lint_stage(&l, i);
	free(own);
	diag_sort(out);
	for (int r = 0; r < R_COUNT; r++)
		fired |= l.called[r];
	lint_free(&l);
	return l.global.error && fired;
}

/* BuildKit's "lint violation found for rules: A, B" at the first finding. */
static void lint_violation(const struct diags *d)
{
	struct buf b = {0};
	const char *seen[R_COUNT];
	size_t n = 0;

	for (size_t i = 0; i < d->n; i++) {
		size_t k = 0;
		while (k < n && strcmp(seen[k], d->v[i].rule))
			k++;
		if (k == n && n < R_COUNT) {
			buf_printf(&b, "%s%s", n ? ", " : "", d->v[i].rule);
			seen[n++] = d->v[i].rule;
		}
	}
	if (d->n)
		fprintf(stderr, "%s:%d:%d: error: lint violation found for rules: %s\n",
			d->v[0].file, d->v[0].line, d->v[0].col, b.s);
	buf_free(&b);
}

int lint_check(const struct dockerfile *df, const struct cli *c)
{
	struct diags d = {0};
	int err = lint_run(df, c, NULL, &d);

	diag_print(&d, stdout, 1);
	if (!d.n)
		printf("Check complete, no warnings found.\n");
	else if (d.n == 1)
		printf("Check complete, 1 warning has been found!\n");
	else
		printf("Check complete, %zu warnings have been found!\n", d.n);
	if (fflush(stdout) != 0 || ferror(stdout))
		fatal("write error on standard output");
	if (err)
		lint_violation(&d);
	diag_free(&d);
	return err;
}

/* reach[i]: the i-th FROM's stage is built. The graph's stages are the
 * FROMs in order; should they not be, every stage counts as built. */
static unsigned char *lint_reach(const struct dockerfile *df, const struct graph *g)
{
	unsigned char *reach = xcalloc(df->ninstrs + 1, 1);
	size_t n = 0;
	int same = g != NULL;

	for (size_t i = 0; i < df->ninstrs; i++) {
		if (df->instrs[i].kind != I_FROM)
			continue;
		same = same && n < g->nstages && g->stages[n].from == &df->instrs[i];
		reach[n] = same && (g->stages[n].flags & FLAG_REACH);
		n++;
	}
	if (!same || n != g->nstages)
		memset(reach, 1, n);
	return reach;
}

void lint_build(const struct dockerfile *df, const struct cli *c, const struct graph *g)
{
	struct diags d = {0};
	unsigned char *reach = lint_reach(df, g);
	int err = lint_run(df, c, reach, &d);

	diag_print(&d, stderr, 0);
	free(reach);
	if (err) {
		lint_violation(&d);
		diag_free(&d);
		exit(1);
	}
	diag_free(&d);
}

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
#include "platform.h"
#include "instr.h"
#include "lint.h"
#include "parse.h"
#include "ref.h"
#include "store.h"
#include "util.h"

#include "lint_int.h"
#include "suggest.h"

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

const char lint_default_path[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

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
void lint_report(struct lint *l, enum lint_rule r, const struct loc *loc, ...)
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
char *lint_quote(const char *s)
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
	const struct instr *in = l->df->instrs[i];
	size_t from = i ? (size_t)l->df->instrs[i - 1]->loc.end_line + 1 : (size_t)l->dir_end + 1;

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
void lint_enter(struct lint *l, size_t i, struct strlist *comments)
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

int lint_is_lower(const char *s)
{
	for (; *s; s++)
		if (isupper((unsigned char)*s))
			return 0;
	return 1;
}

int lint_is_upper(const char *s)
{
	for (; *s; s++)
		if (islower((unsigned char)*s))
			return 0;
	return 1;
}

/* The words of an instruction's source line (the keyword as written). */
size_t lint_orig_words(const struct instr *in, char **w, size_t max)
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

void lint_words_free(char **w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(w[i]);
}

/* The keyword as written ("From"), malloc'd. */
char *lint_orig_keyword(const struct instr *in)
{
	char *w[1];

	return lint_orig_words(in, w, 1) ? w[0] : xstrdup(instr_name(in->kind));
}

/* suggest.Search (case-sensitive): the closest option under distance 3,
 * NULL when none or when val itself is an option. */
const char *lint_suggest(const char *val, char *const *opts, size_t n)
{
	const char *match = NULL;
	size_t min = 3;

	for (size_t i = 0; i < n; i++) {
		if (!strcmp(val, opts[i]))
			return NULL;
		size_t d = suggest_distance(val, opts[i], 0);
		if (d < min) {
			match = opts[i];
			min = d;
		}
	}
	return match;
}

int lint_has_str(const struct strlist *l, const char *s)
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
		if (!lint_has_str(&lk->matched, name))
			strlist_add(&lk->matched, name);
		return v->value;
	}
	if (!lint_has_str(&lk->unmatched, name))
		strlist_add(&lk->unmatched, name);
	return NULL;
}

void lint_lookups_free(struct lookups *lk)
{
	strlist_free(&lk->matched);
	strlist_free(&lk->unmatched);
}

/* Expands word against vars; NULL on an expansion error. */
char *lint_expand_rec(const char *word, char escape, struct lookups *lk)
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
		if (lint_has_str(&s->declared, name) ||
		    !strcmp(name, "BUILDKIT_SBOM_SCAN_CONTEXT") ||
		    !strcmp(name, "BUILDKIT_SBOM_SCAN_STAGE"))
			continue;
		const char *m = lint_suggest(name, keys, s->env.n);
		char *sfx = m ? xasprintf(" (did you mean $%s?)", m) : xstrdup("");
		lint_report(l, R_UNDEFINED_VAR, &in->loc, name, sfx);
		free(sfx);
	}
	free(keys);
}

/* Expands one word of a dispatched instruction, reporting what is
 * undefined; the result is malloc'd ("" on an expansion error). */
char *lint_word(struct lint *l, struct lstage *s, const struct instr *in, const char *w)
{
	struct lookups lk = {.vars = &s->env};
	char *r = lint_expand_rec(w ? w : "", l->df->escape, &lk);

	report_unmatched(l, s, in, &lk);
	lint_lookups_free(&lk);
	return r ? r : xstrdup("");
}

/* ---- set-up ---- */

/* The Dockerfile's lines, for the comments above instructions, and the
 * last line of the leading directives (they are no comments). */
static void lint_text(struct lint *l)
{
	struct error e = {0};
	size_t cap = 64;

	/* not read again: a second copy of a big file was the compile's peak */
	l->text = loc_source(l->df->path, &l->len);
	if (!l->text && input_read(l->df->path, INPUT_MAX, &l->own_text, &l->len, &e) < 0)
		return;
	if (!l->text)
		l->text = l->own_text;
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

/* The build's target platform: --platform (the first of a list, which
 * the compile checked), else the host's. */
static void lint_platform(struct lint *l)
{
	struct error e = {0};
	char *first =
	    l->cli->platform ? xstrndup(l->cli->platform, strcspn(l->cli->platform, ",")) : NULL;

	if (!first || platform_parse(first, &l->tplat, &e) < 0)
		platform_host(&l->tplat);
	free(first);
	l->os = xstrdup(l->tplat.os);
	l->arch = xstrdup(l->tplat.arch);
	l->variant = xstrdup(l->tplat.variant);
}

/* The global ARGs twice: with the build-args, and with defaults only;
 * 0, or -1 with a default's expansion error in l->out. A default that
 * expands only with the build-args is no error (BuildKit abandons the
 * one check that reads the defaults, validateBaseImagesWithDefaultArgs). */
static int lint_globals(struct lint *l, size_t first_from)
{
	struct cli nob = *l->cli;
	const char *target = l->cli->target ? l->cli->target : "";
	struct df_error err;

	memset(&nob.build_args, 0, sizeof(nob.build_args));
	args_predefined(&l->globals, &l->tplat, target);
	args_predefined(&l->defaults, &l->tplat, target);
	for (size_t i = 0; i < first_from; i++) {
		const struct instr *in = l->df->instrs[i];
		if (in->kind != I_ARG)
			continue;
		if (args_global(&l->globals, in, l->cli, l->df->escape, &err) < 0)
			return diag_error_value(l->out, &err);
		if (!l->defaults_failed &&
		    args_global(&l->defaults, in, &nob, l->df->escape, &err) < 0)
			l->defaults_failed = 1;
		for (size_t k = 0; k < in->nkvs; k++)
			if (!lint_has_str(&l->meta_keys, in->kvs[k].key))
				strlist_add(&l->meta_keys, in->kvs[k].key);
	}
	return 0;
}

/* The stages: each FROM and the instructions up to the next one. */
static size_t lint_stages(struct lint *l)
{
	size_t first = l->df->ninstrs;

	for (size_t i = 0; i < l->df->ninstrs; i++) {
		if (l->df->instrs[i]->kind != I_FROM)
			continue;
		if (first == l->df->ninstrs)
			first = i;
		if (l->nst)
			l->st[l->nst - 1].end = i;
		l->st = xreallocarray(l->st, l->nst + 1, sizeof(*l->st));
		l->st[l->nst++] = (struct lstage){.from = l->df->instrs[i], .first = i + 1};
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
	free(l->own_text);
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
static int lint_config(struct lint *l)
{
	const char *arg = cli_build_arg(l->cli, "BUILDKIT_DOCKERFILE_CHECK");
	char msg[256];

	if (arg && cfg_parse(&l->global, arg, msg, sizeof(msg)) < 0)
		return diag_error(l->out, NULL,
				  "failed to parse build-arg:BUILDKIT_DOCKERFILE_CHECK: %s", msg);
	if (!arg && l->df->check)
		cfg_parse(&l->global, l->df->check, msg, sizeof(msg));
	return 0;
}

/* The stage a --from or FROM names: an index, or a name in any case. */
static int stage_ref(const struct lint *l, const char *name, size_t before)
{
	char *end;
	long i = strtol(name, &end, 10);

	if (*name && !*end)
		return i >= 0 && (size_t)i < l->nst ? (int)i : -1;
	for (size_t j = before < l->nst ? before : l->nst; j-- > 0;) /* the last of a name */
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
		const struct instr *in = l->df->instrs[k];
		if ((in->kind == I_COPY || in->kind == I_ADD) && in->from &&
		    (j = stage_ref(l, in->from, l->nst)) >= 0)
			mark_needed(l, r, (size_t)j);
		for (size_t m = 0; in->kind == I_RUN && m < in->nmounts; m++)
			if (in->mounts[m].from &&
			    (j = stage_ref(l, in->mounts[m].from, l->nst)) >= 0)
				mark_needed(l, r, (size_t)j);
	}
}

/* --check --target T lints T and what it needs, as BuildKit does with a
 * target (without one, every stage). */
static int check_target(struct lint *l, unsigned char **out)
{
	const char *want = l->cli->target;
	char **names;
	int t;

	if ((t = stage_ref(l, want, l->nst)) < 0) {
		names = xcalloc(l->nst + 1, sizeof(*names));
		size_t n = 0;
		for (size_t i = 0; i < l->nst; i++)
			if (l->st[i].from->stage_name)
				names[n++] = l->st[i].from->stage_name;
		const char *m = lint_suggest(want, names, n);
		char *sfx = m ? xasprintf(" (did you mean %s?)", m) : xstrdup("");
		free(names);
		diag_error(l->out, NULL, "target stage \"%s\" could not be found%s", want, sfx);
		free(sfx);
		return -1;
	}
	*out = xcalloc(l->nst + 1, 1);
	mark_needed(l, *out, (size_t)t);
	return 0;
}

/* The checks of every stage: instructions.Parse's, toDispatchState's
 * validations, and those of each FROM with the global ARGs. */
static void lint_file(struct lint *l)
{
	const struct dockerfile *df = l->df;

	for (size_t i = 0; i < df->ninstrs; i++) {
		struct strlist cm = {0};
		lint_enter(l, i, &cm);
		lint_check_parsed(l, i, &cm);
		strlist_free(&cm);
	}
	l->cur = l->global;
	/* a compile shows the reader's own warning for these (instr.c) */
	for (size_t i = 0; !l->reach && i < df->nempty_cont; i++) {
		struct loc at = {df->path, df->empty_cont[i], 1, df->empty_cont[i]};
		lint_report(l, R_NO_EMPTY_CONTINUATION, &at);
	}
	lint_check_stage_names(l);
	lint_check_casing(l);
	lint_check_default_args(l);
	for (size_t i = 0; i < l->nst; i++) {
		struct strlist cm = {0};
		lint_enter(l, l->st[i].from->pos, &cm);
		lint_from(l, &l->st[i]);
		strlist_free(&cm);
	}
}

int lint_run(const struct dockerfile *df, const struct cli *c, const unsigned char *reach,
	     struct diags *out)
{
	struct lint l = {.df = df, .cli = c, .reach = reach, .out = out};
	unsigned char *own = NULL;
	int fired = 0;

	if (lint_config(&l) < 0)
		return -1;
	lint_text(&l);
	lint_platform(&l);
	if (lint_globals(&l, lint_stages(&l)) < 0) {
		lint_free(&l);
		return -1;
	}
	lint_ignore(&l);
	lint_file(&l);
	if (!reach && c->target && check_target(&l, &own) < 0) {
		lint_free(&l);
		return -1;
	}
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
	if (d->n) {
		struct diags one = {0};
		struct diag rec = {.file = d->v[0].file,
				   .line = d->v[0].line,
				   .col = d->v[0].col,
				   .sev = DIAG_ERROR,
				   .msg = xasprintf("lint violation found for rules: %s", b.s)};
		diag_add(&one, &rec);
		diag_print(&one, stderr, 0); /* one line, no caret: BuildKit's */
		diag_free(&one);
	}
	buf_free(&b);
}

/* On lint_run's -1: its error (the last record) goes to the caller's dg;
 * the findings made before it are dropped, as when it stopped there. */
static int lint_failed(struct diags *d, struct diags *dg)
{
	diag_add(dg, &d->v[--d->n]); /* dg takes the message */
	diag_free(d);
	return -1;
}

int lint_check(const struct dockerfile *df, const struct cli *c, struct diags *dg)
{
	struct diags d = {0};
	int err = lint_run(df, c, NULL, &d);

	if (err < 0)
		return lint_failed(&d, dg);
	diag_print(&d, stdout, 1);
	if (!d.n)
		printf("Check complete, no warnings found.\n");
	else if (d.n == 1)
		printf("Check complete, 1 warning has been found!\n");
	else
		printf("Check complete, %zu warnings have been found!\n", d.n);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		diag_error(&d, NULL, "write error on standard output");
		return lint_failed(&d, dg);
	}
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
		if (df->instrs[i]->kind != I_FROM)
			continue;
		same = same && n < g->nstages && g->stages[n].from == df->instrs[i];
		reach[n] = same && (g->stages[n].flags & FLAG_REACH);
		n++;
	}
	if (!same || n != g->nstages)
		memset(reach, 1, n);
	return reach;
}

int lint_build(const struct dockerfile *df, const struct cli *c, const struct graph *g,
	       struct diags *dg)
{
	struct diags d = {0};
	unsigned char *reach = lint_reach(df, g);
	int err = lint_run(df, c, reach, &d);

	free(reach);
	if (err < 0)
		return lint_failed(&d, dg);
	diag_print(&d, stderr, 0);
	if (err)
		lint_violation(&d);
	diag_free(&d);
	return err;
}

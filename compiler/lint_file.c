/* lint_file: the build checks of the file as a whole (instructions.Parse
 * and the validate* passes: casing, stage names, descriptions, default
 * ARGs) and of FROM with the global ARGs (buildDispatchStates). */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "ref.h"
#include "lint_int.h"

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
	size_t n = lint_orig_words(in, w, LEN(w)), a = 1;
	const char *kw = n ? w[0] : "FROM";

	while (a < n && !strncmp(w[a], "--", 2))
		a++;
	if (a <= n && n - a == 3) {
		if (!lint_is_lower(w[a + 2]))
			lint_report(l, R_STAGE_NAME_CASING, &in->loc, w[a + 2]);
		/* a keyword in mixed case is ConsistentInstructionCasing's */
		if ((lint_is_lower(kw) && !lint_is_lower(w[a + 1])) ||
		    (!lint_is_lower(kw) && lint_is_upper(kw) && !lint_is_upper(w[a + 1])))
			lint_report(l, R_FROM_AS_CASING, &in->loc, w[a + 1], kw);
	}
	lint_words_free(w, n);
}

/* The checks instructions.Parse runs on each instruction as it types it. */
void lint_check_parsed(struct lint *l, size_t i, const struct strlist *comments)
{
	const struct instr *in = l->df->instrs[i];
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
void lint_check_stage_names(struct lint *l)
{
	for (size_t i = 0; i < l->nst; i++) {
		const struct instr *in = l->st[i].from;
		char *q;

		if (!in->stage_name)
			continue;
		q = lint_quote(in->stage_name);
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
void lint_check_casing(struct lint *l)
{
	int lower = 0, upper = 0, maj_lower;
	size_t first = l->nst ? (size_t)l->st[0].from->pos : l->df->ninstrs;

	for (size_t i = first; i < l->df->ninstrs; i++) {
		char *kw = lint_orig_keyword(l->df->instrs[i]);
		if (lint_is_lower(kw))
			lower++;
		else if (lint_is_upper(kw))
			upper++;
		free(kw);
	}
	maj_lower = lower > upper;
	for (size_t i = first; i < l->df->ninstrs; i++) {
		const struct instr *in = l->df->instrs[i];
		char *kw = lint_orig_keyword(in);
		if (maj_lower && !lint_is_lower(kw))
			lint_report(l, R_CONSISTENT_CASING, &in->loc, kw, "lowercase");
		else if (!maj_lower && !lint_is_upper(kw))
			lint_report(l, R_CONSISTENT_CASING, &in->loc, kw, "uppercase");
		free(kw);
	}
}

/* InvalidDefaultArgInFrom: each base name expanded with the ARG defaults
 * alone must be an image reference (validateBaseImagesWithDefaultArgs). */
void lint_check_default_args(struct lint *l)
{
	for (size_t i = 0; i < l->nst && !l->defaults_failed; i++) {
		const struct instr *in = l->st[i].from;
		struct lookups lk = {.vars = &l->defaults};
		struct error e = {0};
		char *r = lint_expand_rec(in->image, l->df->escape, &lk), *n = NULL;

		lint_lookups_free(&lk);
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
		m = lint_suggest(name, keys, n);
		char *sfx = m ? xasprintf(" (did you mean %s?)", m) : xstrdup("");
		lint_report(l, R_UNDEFINED_ARG_IN_FROM, &in->loc, name, sfx);
		free(sfx);
	}
	free(keys);
}

/* Splits a platform string as platforms.Parse does for the OS and
 * architecture (one word: an OS with the host's architecture, or an
 * architecture on linux). */
void lint_platform_split(const char *p, const char *host_arch, char **os, char **arch)
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
	lint_platform_split(result, l->arch, &os, &arch);
	if (!strstr(name, os) && !strstr(name, arch)) {
		q = lint_quote(result);
		lint_report(l, R_PLATFORM_CONST, &in->loc, q);
		free(q);
	}
	free(os);
	free(arch);
}

/* Expands the stage's FROM image and --platform with the global ARGs. */
void lint_from(struct lint *l, struct lstage *s)
{
	const struct instr *in = s->from;
	struct lookups lk = {.vars = &l->globals};

	s->image = lint_expand_rec(in->image, l->df->escape, &lk);
	report_from_args(l, in, &lk);
	lint_lookups_free(&lk);
	if (!in->platform)
		return;
	struct lookups pk = {.vars = &l->globals};
	s->platform = lint_expand_rec(in->platform, l->df->escape, &pk);
	report_from_args(l, in, &pk);
	if (s->platform)
		check_platform(l, in, &pk, s->platform);
	lint_lookups_free(&pk);
}

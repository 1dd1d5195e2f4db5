/* lint_int: what lint.c (configuration, reporting, set-up), lint_file.c
 * (checks of the whole file) and lint_stage.c (checks as dispatch runs)
 * share. Internal to the linter. */
#ifndef DF_LINT_INT_H
#define DF_LINT_INT_H
#include <stddef.h>

#include "args.h"
#include "diag.h"
#include "instr.h"
#include "platform.h"
#include "util.h"

struct ignore;

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
	const char *text; /* the Dockerfile again, for the comments: the text
			   * the reader kept (diag.h), else read into own_text */
	char *own_text;
	size_t len;
	size_t *lines; /* offset of each line (1-based index) */
	size_t nlines;
	int dir_end;		       /* last line of the leading directives */
	struct vars globals, defaults; /* meta ARGs with and without build-args */
	int defaults_failed;	       /* a default does not expand without the
					* build-args: no InvalidDefaultArgInFrom */
	struct strlist meta_keys;      /* every meta ARG name */
	struct lstage *st;
	size_t nst;
	struct ignore *ignore;
	int ignore_has_neg, ignore_root; /* '!' patterns; an ignore-all pattern */
	struct platform tplat;		 /* target platform (the first of a list) */
	char *os, *arch, *variant;	 /* the same, as strings */
};

/* BuildKit's default PATH of a stage whose image sets none. */
extern const char lint_default_path[];
/* Records one finding of rule r at loc, the message made from the rule's
 * format and the arguments (one call per place a rule fires). */
void lint_report(struct lint *l, enum lint_rule r, const struct loc *loc, ...);
/* Go's %q of s, malloc'd. */
char *lint_quote(const char *s);
/* Makes the config of instruction i current: the directive's merged with
 * the first check comment before it (WithMergedConfigFromComments). */
void lint_enter(struct lint *l, size_t i, struct strlist *comments);
/* 1 when s has no ASCII upper-case letter. */
int lint_is_lower(const char *s);
/* 1 when s has no ASCII lower-case letter. */
int lint_is_upper(const char *s);
/* The words of an instruction's source line (the keyword as written). */
size_t lint_orig_words(const struct instr *in, char **w, size_t max);
/* Frees the n words of lint_orig_words. */
void lint_words_free(char **w, size_t n);
/* The keyword as written ("From"), malloc'd. */
char *lint_orig_keyword(const struct instr *in);
/* suggest.Search (case-sensitive): the closest option under distance 3,
 * NULL when none or when val itself is an option. */
const char *lint_suggest(const char *val, char *const *opts, size_t n);
/* 1 when l holds s. */
int lint_has_str(const struct strlist *l, const char *s);
/* Frees the name lists of an expansion. */
void lint_lookups_free(struct lookups *lk);
/* Expands word against vars; NULL on an expansion error. */
char *lint_expand_rec(const char *word, char escape, struct lookups *lk);
/* Expands one word of a dispatched instruction, reporting what is
 * undefined; the result is malloc'd ("" on an expansion error). */
char *lint_word(struct lint *l, struct lstage *s, const struct instr *in, const char *w);
/* The checks instructions.Parse runs on each instruction as it types it. */
void lint_check_parsed(struct lint *l, size_t i, const struct strlist *comments);
/* ReservedStageName and DuplicateStageName (validateStageNames). */
void lint_check_stage_names(struct lint *l);
/* ConsistentInstructionCasing (validateCommandCasing): the instructions
 * of the stages against the majority case; a tie is upper case. */
void lint_check_casing(struct lint *l);
/* InvalidDefaultArgInFrom: each base name expanded with the ARG defaults
 * alone must be an image reference (validateBaseImagesWithDefaultArgs). */
void lint_check_default_args(struct lint *l);
/* Splits a platform string as platforms.Parse does for the OS and
 * architecture (one word: an OS with the host's architecture, or an
 * architecture on linux). */
void lint_platform_split(const char *p, const char *host_arch, char **os, char **arch);
/* Expands the stage's FROM image and --platform with the global ARGs. */
void lint_from(struct lint *l, struct lstage *s);
/* Dispatches a stage: each instruction with its own check comments. */
void lint_stage(struct lint *l, size_t idx);

#endif

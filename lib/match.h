/* match: Go filepath.Match-style globbing (`*`, `?`, `[...]`, `[^...]`,
 * `\` escapes; `*` and `?` never cross '/') plus `**` for any number of
 * directories, compiled once to a pcre2 regex. Used for COPY/ADD sources,
 * --exclude and .dockerignore. */
#ifndef DF_MATCH_H
#define DF_MATCH_H

struct pattern;

/* Compiles a glob; NULL with *errmsg (static string) on a bad pattern. */
struct pattern *pattern_compile(const char *glob, const char **errmsg);
/* 1 if the whole of path matches, 0 if not. */
int pattern_match(const struct pattern *p, const char *path);
/* 1 if some path below dir (dir/...) could match: lets walkers prune. */
int pattern_may_match_below(const struct pattern *p, const char *dir);
/* Frees a compiled pattern. */
void pattern_free(struct pattern *p);
/* 1 if s contains an unescaped glob metacharacter (* ? [). */
int pattern_has_meta(const char *s);

#endif

/* fetch: ADD's URL and git sources at run time. The fetch op (one make
 * target per source, run at every make) asks the server again and writes
 * STATE/KEY.fetch only when what it names changed, so an unchanged URL
 * rebuilds nothing; the add op then takes the content from the store
 * (URL) or STATE/KEY.tree (git). See docs/copy.md. */
#ifndef DF_FETCH_H
#define DF_FETCH_H
#include <jansson.h>

struct error;
struct rt;

/* Git sources (gitsrc.c): resolves the ref, clones when it moved. */
int gitsrc_fetch(const struct rt *rt, const char *key, json_t *spec, struct error *e);
/* The URL to contact for a fetch spec whose masked URL is shown: with
 * the credentials the Dockerfile wrote (spec "auth": its path and the
 * instruction's line), read now; they are kept in memory only. NULL with
 * e set when they cannot be found. malloc'd. */
char *fetch_url(json_t *spec, const char *shown, struct error *e);
/* The "Authorization: ..." header of the spec's "secret" (BuildKit's
 * HTTP_AUTH_* / GIT_AUTH_* build secrets, read now from a file or the
 * environment); *header NULL when there is none. malloc'd. */
int fetch_auth_header(json_t *spec, const char *shown, char **header, struct error *e);
/* The ADD spec's "fetch" entry ent, as a source for the copy engine:
 * *dir (a directory) and *rel (the path in it: the URL's file name, or "."
 * for a git tree). A URL's file is made under STATE/STEP/net-N/ with
 * BuildKit's mode 0600 and Last-Modified mtime. Both malloc'd. */
int fetch_prepare(const struct rt *rt, const char *step, json_t *ent, char **dir, char **rel,
		  struct error *e);

#endif

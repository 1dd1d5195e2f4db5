/* netsrc: ADD's network sources as BuildKit's Dockerfile frontend tells
 * them apart (dockerfile2llb isHTTPSource/isGitSource, dfgitutil
 * ParseGitRef): which sources are URLs or git repositories, the file name
 * a URL gets, and credentials masked out of what is written down. Shared
 * by the compiler (build.mk, plan) and the runtime (fetch, add). */
#ifndef DF_NETSRC_H
#define DF_NETSRC_H

struct error;

enum netsrc_kind { NETSRC_LOCAL, NETSRC_HTTP, NETSRC_GIT };

/* A git source split into its parts (dfgitutil.GitRef). */
struct netsrc_git {
	char *remote;	  /* the repository URL, without fragment and query */
	char *ref;	  /* branch, tag or commit; NULL: the remote's HEAD */
	char *subdir;	  /* directory inside the repository, or NULL */
	char *checksum;	  /* ?checksum= / ?commit=, or NULL */
	int keep_git_dir; /* -1 not said, else 0/1 (?keep-git-dir=) */
	int submodules;	  /* 0 with ?submodules=false, else 1 */
};

/* What src is: a git repository, an http(s) URL, or a local path. */
enum netsrc_kind netsrc_kind(const char *src);
/* src with the user name and password of an http(s)/git URL replaced by
 * BuildKit's mask "xxxxx" (urlutil.RedactCredentials); malloc'd. */
char *netsrc_redact(const char *src);
/* text (a title, a history line) with every URL in it redacted. */
char *netsrc_redact_text(const char *text);
/* 1 when netsrc_redact changes src (the URL carries credentials). */
int netsrc_has_secret(const char *src);
/* The file name ADD gives an http(s) URL: the base name of its decoded
 * path, "__unnamed__" without one (dockerfile2llb), made safe as
 * pathutil.SafeFileName does; malloc'd. */
char *netsrc_filename(const char *url);
/* Parses a git source; errors read like BuildKit's. */
int netsrc_git_parse(const char *src, struct netsrc_git *g, struct error *e);
/* Frees what netsrc_git_parse allocated. */
void netsrc_git_free(struct netsrc_git *g);
/* 1 when a git source is reached over ssh: ssh://... or user@host:path
 * (the remotes BuildKit gives the --ssh agent "default"). */
int netsrc_is_ssh(const char *src);
/* 1 when the URL's host is loopback (tests may reach no other host). */
int netsrc_loopback(const char *url);

#endif

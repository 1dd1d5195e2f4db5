/* copyfs: the tree copy engine behind COPY and ADD (tonistiigi/fsutil
 * copy rules). Sources are read below a source root fd; every destination
 * path is resolved inside the destination root (openat2 RESOLVE_IN_ROOT),
 * so a destination symlink to "/etc" means the rootfs's /etc, never the
 * host's. */
#ifndef DF_COPYFS_H
#define DF_COPYFS_H
#include <stddef.h>
#include <sys/types.h>

struct chmod_spec;
struct pattern;
struct ignore;
struct error;
struct copyfs;

struct copyfs_opts {
	int chown; /* set uid/gid on everything written */
	uid_t uid;
	gid_t gid;
	int keep_owner;			/* --from: keep source uid/gid (else 0:0) */
	const struct chmod_spec *chmod; /* NULL = keep source modes */
	const struct ignore *excludes;	/* --exclude, matched against source-relative
					 * and context-relative paths; or NULL */
	int link;			/* --link: never follow destination symlinks */
	const struct ignore *ig;	/* .dockerignore for context sources, or NULL */
	int in_root;			/* --from: source symlinks resolve inside the source
					 * root as in a chroot (else: never out of it) */
	struct copyidx *idx;		/* records the walk; files unchanged since the last
					 * run are left as they are (copyidx.h), or NULL */
};

/* A copier writing below the directory dstroot (borrowed, must outlive it). */
struct copyfs *copyfs_new(int dstroot, const struct copyfs_opts *o);
/* Frees the copier and its hardlink table. */
void copyfs_free(struct copyfs *c);
/* Copies srcrel below srcroot (a symlink named directly is followed, within
 * srcroot, or inside it with in_root) to dest, an absolute path in the destination root: a
 * directory's contents are merged, a file lands at dest or, when dest is (or ends with
 * '/' as) a directory, at dest/basename. */
int copyfs_source(struct copyfs *c, int srcroot, const char *srcrel, const char *dest,
		  struct error *e);
/* Writes a regular file from memory (a heredoc source) with the same
 * destination rules as a file source named name. */
int copyfs_blob(struct copyfs *c, const char *name, const char *data, size_t len, mode_t mode,
		const char *dest, struct error *e);
/* Copies the directory srcrel's metadata to dest (created if missing, left
 * alone if present): the parents of a --parents source. */
int copyfs_parent_dir(struct copyfs *c, int srcroot, const char *srcrel, const char *dest,
		      struct error *e);
/* --link: the directories on dest's path (not following symlinks) become
 * what copying onto scratch creates, 0755 owned 0:0 or by --chown: the
 * merged layer's entries replace the mode and owner they had below. */
int copyfs_link_dirs(struct copyfs *c, const char *dest, struct error *e);
/* 1 if the source-relative path is left out by --exclude (isdir: a
 * directory that no `!` exception reaches into). */
int copyfs_excluded(const struct copyfs *c, const char *rel, int isdir);

/* Opens path inside root as if root were "/" (RESOLVE_IN_ROOT). */
int root_open(int root, const char *path, int flags);
/* mkdir -p of path inside root; created directories get mode and uid:gid
 * (uid -1 = leave as created). Returns an O_PATH fd of path or -1. */
int root_mkdirs(int root, const char *path, mode_t mode, uid_t uid, gid_t gid, int nofollow,
		struct error *e);
/* Removes name (a whole tree for a directory) below dirfd, never following
 * symlinks. */
int rm_at(int dirfd, const char *name, struct error *e);

#endif

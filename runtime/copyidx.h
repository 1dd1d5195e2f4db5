/* copyidx: what a COPY from the context wrote last time, so that running
 * the same step again (one file of a large context edited) rewrites only
 * the files that changed instead of deleting and recreating all of them.
 *
 * The index lists every source entry the copy walked below its directory
 * sources, with the source's identity (device, inode, size, mtime, ctime,
 * mode, owner). A regular file whose identity is the same as last time,
 * in an upper directory made over the same parent, holds the same bytes
 * and metadata: it is left alone. ctime cannot be set by a user, so an
 * edit that restores size and mtime still differs; a file changed within a
 * second before the last copy began is not trusted (the clock ticks
 * coarser than its changes). An entry of the last copy that this one did
 * not walk (a removed file) means the old upper holds something a fresh
 * copy would not: the caller starts over from an empty upper. */
#ifndef DF_COPYIDX_H
#define DF_COPYIDX_H
#include <sys/stat.h>

struct error;
struct copyidx;

/* An index for this run of the step (start time now). */
struct copyidx *copyidx_new(void);
/* Frees it. */
void copyidx_free(struct copyidx *x);
/* Reads the last run's index from path, valid only for the same parent
 * identity; 0, or -1 when there is none to trust. */
int copyidx_load(struct copyidx *x, const char *path, const char *parent_id);
/* Records the source entry path (context-relative) of this run; returns 1
 * when it is a regular file unchanged since the last run (its copy in the
 * upper directory is still right). */
int copyidx_note(struct copyidx *x, const char *path, const struct stat *st);
/* Records the entry like copyidx_note; returns 1 when it is an entry of
 * any type whose identity is the same as last run's (and not racy). */
int copyidx_same(struct copyidx *x, const char *path, const struct stat *st);
/* 1 when every entry of the last run was walked again. */
int copyidx_complete(const struct copyidx *x);
/* How many files were left alone. */
size_t copyidx_kept(const struct copyidx *x);
/* Writes this run's index to path (temp name + rename). */
int copyidx_save(struct copyidx *x, const char *path, const char *parent_id, struct error *e);
/* The identity of the step stamp `done` (a parent's .done), or NULL. */
char *copyidx_stamp_id(const char *done);

#endif

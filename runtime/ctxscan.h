/* ctxscan: the stat data a large context's sum saw last time
 * (STATE/KEY.scan), so a make with nothing changed costs one stat per
 * entry and a comparison, nothing more.
 *
 * The entries are kept in the order the sum's walk visits them (sorted
 * names, the same order every run), so the next walk compares each entry
 * with the next record: no lookup, no allocation, the file read by mmap in
 * one pass. Any difference (a changed, added, removed or renamed entry, or
 * one whose ctime is within a second before the last walk began: its
 * ctime may not have ticked since) says "not the same", and the caller
 * sums again: then a regular file whose record is the same as its stat
 * data now keeps the digest of its bytes recorded last time, so only the
 * files that changed are read. The file is binary, in the host's byte order
 * (the state directory never leaves the machine); one of another layout
 * reads as "no record", which only costs a full sum. */
#ifndef DF_CTXSCAN_H
#define DF_CTXSCAN_H
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

struct error;
struct ctxscan;
struct ctxscan_w;

/* Maps the last run's records at path; NULL when there are none to trust. */
struct ctxscan *ctxscan_open(const char *path);
/* 1 when (rel, st) is the next record and not racy; advances past it. */
int ctxscan_same(struct ctxscan *r, const char *rel, const struct stat *st);
/* Back to the first record, for ctxscan_digest after a comparison. */
void ctxscan_rewind(struct ctxscan *r);
/* The SHA-256 of the bytes of regular file rel recorded last time, when
 * its record is the same as st now (and not racy); else NULL. Entries
 * asked in walk order cost one pass over the records in all. */
const uint8_t *ctxscan_digest(struct ctxscan *r, const char *rel, const struct stat *st);
/* 1 when every record was matched (nothing was removed). */
int ctxscan_complete(const struct ctxscan *r);
/* Unmaps and frees r (NULL is fine). */
void ctxscan_close(struct ctxscan *r);

/* A writer for this run's records; the walk's start time is now. */
struct ctxscan_w *ctxscan_w_new(void);
/* Appends the entry rel with its stat data (and a regular file's digest). */
void ctxscan_w_add(struct ctxscan_w *w, const char *rel, const struct stat *st,
		   const uint8_t digest[32]);
/* How many entries were added. */
size_t ctxscan_w_count(const struct ctxscan_w *w);
/* Writes the records to path (temp name + rename). */
int ctxscan_w_save(struct ctxscan_w *w, const char *path, struct error *e);
/* Frees w (NULL is fine). */
void ctxscan_w_free(struct ctxscan_w *w);

#endif

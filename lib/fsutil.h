/* fsutil: atomic writes and directory helpers. Every file the tools
 * produce under its real name goes through write_atomic() or a tmp_open()
 * temp: a temp name in the same directory, fsync, rename, so readers never
 * see half a file, after a kill or a crash alike. write_checked() leaves
 * the fsync out for files whose readers check them (docs/internals.md,
 * "Durability"). */
#ifndef DF_FSUTIL_H
#define DF_FSUTIL_H
#include <stddef.h>
#include <sys/types.h>

struct buf;
struct error;

/* Writes all len bytes to fd, retrying short writes and EINTR; 0, or -1
 * with errno set. The project's only write loop. */
int write_all(int fd, const void *data, size_t len);
/* Writes data to path via a locked temp "path.tmp-XXXXXX", fsync and
 * rename(). */
int write_atomic(const char *path, const void *data, size_t len, mode_t mode, struct error *e);
/* write_atomic without the fsync, for a file every reader of which checks
 * its content (an empty or torn one after a crash fails, never passes). */
int write_checked(const char *path, const void *data, size_t len, mode_t mode, struct error *e);
/* A new temp file "BASE.tmp-XXXXXX", flock'ed while the returned fd is
 * open (so tmp_sweep leaves it alone); *tmp gets its path (malloc'd).
 * Returns the fd, or -1 with e set. */
int tmp_open(const char *base, char **tmp, struct error *e);
/* The same for a temp directory; the fd (O_DIRECTORY) holds the lock. */
int tmp_mkdir(const char *base, char **tmp, struct error *e);
/* Removes the temp entries in dir named "PREFIX*.tmp-XXXXXX" whose writer
 * is gone (lock free): what a killed run left. Returns how many. */
int tmp_sweep(const char *dir, const char *prefix);
/* Renames path to a temp name ("PATH.tmp-XXXXXX", swept if we are
 * killed) and removes that: path is there whole or not at all. */
int remove_tree_atomic(const char *path, struct error *e);
/* fsync of a directory (makes a rename in it durable). */
int fsync_dir(const char *path, struct error *e);
/* Like write_atomic, but leaves path untouched (mtime too) when its content
 * already equals data; *changed says which happened. */
int write_if_changed(const char *path, const void *data, size_t len, int *changed, struct error *e);
/* Appends the rest of fd to b, at most max bytes in all: 0, -1 with errno
 * set by a failed read, or -2 when fd has more (callers word the limit). */
int fd_read_all(int fd, struct buf *b, size_t max);
/* Reads a whole file into a NUL-terminated malloc'd buffer. */
int read_file(const char *path, char **data, size_t *len, struct error *e);
/* mkdir -p with the given mode for created directories. */
int mkdir_p(const char *path, mode_t mode, struct error *e);
/* rm -rf that never crosses into other filesystems or follows symlinks. */
int remove_tree(const char *path, struct error *e);
/* Joins two path parts with exactly one '/'; caller frees. */
char *path_join(const char *a, const char *b);
/* Lexically cleans a path like Go's filepath.Clean; caller frees. */
char *path_clean(const char *p);
/* Makes path absolute against the current directory (lexically); caller frees. */
char *path_abs(const char *p);
/* Splits a /proc/self/mountinfo line ("ID PARENT MAJ:MIN ROOT MOUNT OPTS
 * [TAGS...] - TYPE SOURCE SUPER") in place into at most max fields f;
 * *dash is the index of "-", so f[*dash + 1] is the type. The number of
 * fields, or -1 for a line without the separator or the three after it. */
int mountinfo_split(char *line, char **f, size_t max, size_t *dash);
struct sockaddr_un;
/* Fills a with the socket path; 0, or -1 when the path is too long for
 * sun_path (never truncated: a shorter path is another socket). */
int unix_sockaddr(struct sockaddr_un *a, const char *path);

#endif

/* fsutil: atomic writes and directory helpers. Every file the tools
 * produce under its real name goes through write_atomic(): a temp name in
 * the same directory, fsync-free rename, so readers never see half a file. */
#ifndef DF_FSUTIL_H
#define DF_FSUTIL_H
#include <stddef.h>
#include <sys/types.h>

struct error;

/* Writes all len bytes to fd, retrying short writes and EINTR; 0, or -1
 * with errno set. The project's only write loop. */
int write_all(int fd, const void *data, size_t len);
/* Writes data to path via "path.tmp.PID" + rename(). */
int write_atomic(const char *path, const void *data, size_t len, mode_t mode, struct error *e);
/* Like write_atomic, but leaves path untouched (mtime too) when its content
 * already equals data; *changed says which happened. */
int write_if_changed(const char *path, const void *data, size_t len, int *changed, struct error *e);
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

#endif

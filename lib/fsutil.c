#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <dirent.h>
#include <ftw.h>

#include "buf.h"
#include "error.h"
#include "fsutil.h"
#include "util.h"

int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0) /* no progress and no error: do not spin */
				errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A temp entry's lock: flock on its own fd. A killed writer's lock dies
 * with it, so tmp_sweep can take exactly the killed writers' temps. The
 * sweeper may have removed the entry between our create and our flock:
 * then its link count is 0 and the caller makes a new one. */
static int tmp_lock(int fd)
{
	struct stat st;

	if (flock(fd, LOCK_EX | LOCK_NB) < 0 || fstat(fd, &st) < 0)
		return -1;
	return st.st_nlink > 0 ? 0 : -1;
}

int tmp_open(const char *base, char **tmp, struct error *e)
{
	for (int tries = 0; tries < 100; tries++) {
		char *t = xasprintf("%s.tmp-XXXXXX", base);
		int fd = mkostemp(t, O_CLOEXEC);
		if (fd < 0) {
			int r = error_set(e, errno, "create %s", t);
			free(t);
			return r;
		}
		if (tmp_lock(fd) == 0) {
			fchmod(fd, 0644);
			*tmp = t;
			return fd;
		}
		close(fd);
		free(t);
	}
	return error_set(e, EAGAIN, "create %s.tmp-*", base);
}

int tmp_mkdir(const char *base, char **tmp, struct error *e)
{
	for (int tries = 0; tries < 100; tries++) {
		char *t = xasprintf("%s.tmp-XXXXXX", base);
		int fd = -1, r;
		if (!mkdtemp(t)) {
			r = error_set(e, errno, "create %s", t);
			free(t);
			return r;
		}
		fd = open(t, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0 && tmp_lock(fd) == 0) {
			fchmod(fd, 0755);
			*tmp = t;
			return fd;
		}
		/* gone (ENOENT) or locked: a sweeper took it before our lock */
		r = fd < 0 && errno != ENOENT ? error_set(e, errno, "open %s", t) : 0;
		if (fd >= 0)
			close(fd);
		free(t);
		if (r < 0)
			return r;
	}
	return error_set(e, EAGAIN, "create %s.tmp-*", base);
}

/* A locked temp (tmp_open) so that a killed writer's is swept, fsync
 * before rename: after a crash the real name holds either the old bytes or
 * all of the new ones, never a renamed but empty file (ext4's delayed
 * allocation makes that possible without it). */
static int write_renamed(const char *path, const void *data, size_t len, mode_t mode, int sync,
			 struct error *e)
{
	char *tmp = NULL;
	int fd = tmp_open(path, &tmp, e), ret = 0;

	if (fd < 0)
		return -1;
	if (fchmod(fd, mode) < 0 || write_all(fd, data, len) < 0 || (sync && fsync(fd) < 0))
		ret = error_set(e, errno, "write %s", tmp);
	else if (rename(tmp, path) < 0)
		ret = error_set(e, errno, "rename %s to %s", tmp, path);
	if (ret < 0)
		unlink(tmp);
	/* closed after the rename: the lock keeps sweepers off until then */
	if (close(fd) < 0 && ret == 0)
		ret = error_set(e, errno, "close %s", path);
	free(tmp);
	return ret;
}

int write_atomic(const char *path, const void *data, size_t len, mode_t mode, struct error *e)
{
	return write_renamed(path, data, len, mode, 1, e);
}

/* No fsync: the caller's readers check what they read, so a file a crash
 * of the machine left empty under its name is reported, not believed. A
 * kill leaves the old file or the new one as with write_atomic. */
int write_checked(const char *path, const void *data, size_t len, mode_t mode, struct error *e)
{
	return write_renamed(path, data, len, mode, 0, e);
}

/* 1 when name is a temp name tmp_open/tmp_mkdir made with that prefix. */
static int tmp_name(const char *name, const char *prefix)
{
	const char *t = strstr(name, ".tmp-");

	return t && strncmp(name, prefix, strlen(prefix)) == 0 && strlen(t) == 11;
}

/* Removes one temp entry when nobody holds its lock. */
static int tmp_sweep_one(int dfd, const char *dir, const char *name)
{
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	struct error ignored;
	int removed = 0;

	if (fd < 0)
		return 0;
	if (flock(fd, LOCK_EX | LOCK_NB) == 0 && fstat(fd, &st) == 0 && st.st_nlink > 0) {
		if (S_ISDIR(st.st_mode)) {
			char *p = path_join(dir, name);
			removed = remove_tree(p, &ignored) == 0;
			free(p);
		} else {
			removed = unlinkat(dfd, name, 0) == 0;
		}
	}
	close(fd);
	return removed;
}

int tmp_sweep(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (tmp_name(de->d_name, prefix))
			n += tmp_sweep_one(dirfd(d), dir, de->d_name);
	closedir(d);
	return n;
}

int remove_tree_atomic(const char *path, struct error *e)
{
	static unsigned n;
	char *tmp = NULL;
	int r = -1;

	for (int tries = 0; tries < 100 && r < 0; tries++) {
		free(tmp);
		tmp =
		    xasprintf("%s.tmp-%06x", path, (unsigned)(getpid() * 7919u + n++) & 0xffffffu);
		r = rename(path, tmp);
		if (r < 0 && errno != EEXIST && errno != ENOTEMPTY)
			break;
	}
	if (r < 0)
		r = errno == ENOENT ? 0 : error_set(e, errno, "rename %s aside", path);
	else
		r = remove_tree(tmp, e);
	free(tmp);
	return r;
}

int fsync_dir(const char *path, struct error *e)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r = 0;

	if (fd < 0)
		return error_set(e, errno, "open %s", path);
	if (fsync(fd) < 0)
		r = error_set(e, errno, "fsync %s", path);
	close(fd);
	return r;
}

int write_if_changed(const char *path, const void *data, size_t len, int *changed, struct error *e)
{
	char *old = NULL;
	size_t oldlen = 0;
	struct error ignored;

	*changed = 1;
	if (read_file(path, &old, &oldlen, &ignored) == 0) {
		int same = oldlen == len && memcmp(old, data, len) == 0;
		free(old);
		if (same) {
			*changed = 0;
			return 0;
		}
	}
	return write_atomic(path, data, len, 0644, e);
}

int fd_read_all(int fd, struct buf *b, size_t max)
{
	char chunk[65536];
	ssize_t n;

	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if ((size_t)n > max - b->len)
			return -2;
		buf_addn(b, chunk, (size_t)n);
	}
	return 0;
}

int read_file(const char *path, char **data, size_t *len, struct error *e)
{
	struct buf b = {0};
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return error_set(e, errno, "open %s", path);
	if (fd_read_all(fd, &b, SIZE_MAX) < 0) {
		int saved = errno;
		close(fd);
		buf_free(&b);
		return error_set(e, saved, "read %s", path);
	}
	close(fd);
	if (len)
		*len = b.len;
	*data = buf_steal(&b);
	return 0;
}

int mkdir_p(const char *path, mode_t mode, struct error *e)
{
	char *p = xstrdup(path);
	int ret = 0;

	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST) {
			ret = error_set(e, errno, "mkdir %s", p);
			break;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	free(p);
	return ret;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)ftw;
	/* A directory we own but may not read: overlayfs leaves its work
	 * dirs (work/work, work/incompat/volatile) mode 0. Without
	 * CAP_DAC_OVERRIDE (rootless) only opening it up lets us empty it. */
	if (flag == FTW_DNR && st->st_uid == geteuid() && chmod(path, 0700) == 0) {
		struct error ignored;
		return remove_tree(path, &ignored);
	}
	if (flag == FTW_DP)
		return rmdir(path) < 0 && errno != ENOENT ? -1 : 0;
	return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
}

int remove_tree(const char *path, struct error *e)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : error_set(e, errno, "stat %s", path);
	if (!S_ISDIR(st.st_mode))
		return unlink(path) < 0 ? error_set(e, errno, "unlink %s", path) : 0;
	/* FTW_PHYS: never follow a symlink out of the tree; FTW_MOUNT: never
	 * descend into something mounted inside it. */
	if (nftw(path, rm_one, 64, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0)
		return error_set(e, errno, "remove %s", path);
	return 0;
}

char *path_join(const char *a, const char *b)
{
	size_t n = strlen(a);

	while (n > 0 && a[n - 1] == '/')
		n--;
	while (*b == '/')
		b++;
	return xasprintf("%.*s/%s", (int)n, a, b);
}

char *path_clean(const char *p)
{
	struct strlist parts = {0};
	int abs = p[0] == '/';
	struct buf out = {0};
	const char *s = p;

	while (*s) {
		const char *t = strchr(s, '/');
		size_t n = t ? (size_t)(t - s) : strlen(s);
		if (n == 0 || (n == 1 && s[0] == '.')) {
			/* skip */
		} else if (n == 2 && s[0] == '.' && s[1] == '.') {
			if (parts.n > 0 && strcmp(parts.v[parts.n - 1], "..") != 0) {
				free(parts.v[--parts.n]);
				parts.v[parts.n] = NULL;
			} else if (!abs) {
				strlist_add(&parts, "..");
			}
		} else {
			strlist_take(&parts, xstrndup(s, n));
		}
		s += n;
		if (*s == '/')
			s++;
	}
	if (abs)
		buf_addc(&out, '/');
	for (size_t i = 0; i < parts.n; i++) {
		if (i)
			buf_addc(&out, '/');
		buf_adds(&out, parts.v[i]);
	}
	if (out.len == 0)
		buf_addc(&out, '.');
	strlist_free(&parts);
	return buf_steal(&out);
}

char *path_abs(const char *p)
{
	char cwd[4096], *j, *c;

	if (p[0] == '/')
		return path_clean(p);
	if (!getcwd(cwd, sizeof(cwd)))
		fatal("getcwd: %s", strerror(errno));
	j = path_join(cwd, p);
	c = path_clean(j);
	free(j);
	return c;
}

int unix_sockaddr(struct sockaddr_un *a, const char *path)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(a->sun_path))
		return -1;
	strcpy(a->sun_path, path);
	return 0;
}

int mountinfo_split(char *line, char **f, size_t max, size_t *dash)
{
	char *p = line;
	size_t n = 0;

	*dash = 0;
	while (*p && *p != '\n' && n < max) {
		f[n++] = p;
		p += strcspn(p, " \n");
		if (*p)
			*p++ = '\0';
		if (n > 6 && !*dash && strcmp(f[n - 1], "-") == 0)
			*dash = n - 1;
	}
	if (*dash < 6 || *dash + 3 >= n)
		return -1;
	return (int)n;
}

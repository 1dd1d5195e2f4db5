/* packw: writing the output file list. The tar is deterministic: a fixed
 * order (directories, the layer blobs bottom first, then the generated
 * JSON files), mtime = epoch, uid/gid 0, no user/group names, fixed modes;
 * it is written under a temp name beside the destination and renamed, so
 * an interrupted or failed pack never leaves half an image under the real
 * name (and the previous image stays). Layers first means an image whose
 * top layers changed differs from the last one only in the tar's end,
 * which packinc.c rewrites alone. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "fsutil.h"
#include "hash.h"
#include "pack.h"
#include "progress.h"
#include "util.h"

#define PACKW_CHUNK (1024 * 1024)

/* 0: directories (shortest first), 1: copied blobs, 2: generated files. */
static int packw_rank(const struct pack_file *p)
{
	return p->is_dir ? 0 : p->src ? 1 : 2;
}

/* Directories by name, the rest in the order they were added (the index
 * breaks ties: qsort is not stable). */
static int packw_order_cmp(const void *a, const void *b)
{
	const struct pack_file *x = a, *y = b;
	int rx = packw_rank(x), ry = packw_rank(y);

	if (rx != ry)
		return rx - ry;
	if (rx == 0)
		return strcmp(x->name, y->name);
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static struct pack_file *pack_add(struct pack_files *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->v[i].name, name) == 0)
			return NULL;
	if (f->n == f->cap) {
		f->cap = f->cap ? 2 * f->cap : 16;
		f->v = xreallocarray(f->v, f->cap, sizeof(*f->v));
	}
	memset(&f->v[f->n], 0, sizeof(f->v[0]));
	f->v[f->n].name = xstrdup(name);
	f->v[f->n].seq = f->n;
	return &f->v[f->n++];
}

void pack_add_data(struct pack_files *f, const char *name, char *data, size_t len)
{
	struct pack_file *p = pack_add(f, name);

	if (!p) {
		free(data);
		return;
	}
	p->data = data;
	p->len = len;
}

void pack_add_src(struct pack_files *f, const char *name, const char *src, long long size,
		  const char *hex)
{
	struct pack_file *p = pack_add(f, name);

	if (p) {
		p->src = xstrdup(src);
		p->size = size;
		p->hex = xstrdup(hex);
	}
}

void pack_finish_list(struct pack_files *f)
{
	size_t n = f->n;

	for (size_t i = 0; i < n; i++) {
		char *d = xstrdup(f->v[i].name), *slash;
		while ((slash = strrchr(d, '/'))) {
			*slash = '\0';
			struct pack_file *p = pack_add(f, d);
			if (p)
				p->is_dir = 1;
		}
		free(d);
	}
	qsort(f->v, f->n, sizeof(*f->v), packw_order_cmp);
}

void pack_files_free(struct pack_files *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].name);
		free(f->v[i].data);
		free(f->v[i].src);
		free(f->v[i].hex);
	}
	free(f->v);
	memset(f, 0, sizeof(*f));
}

int packw_tmp(const char *dest, int dir, char **tmp, struct error *e)
{
	const char *slash = strrchr(dest, '/');
	char *where = slash ? xstrndup(dest, (size_t)(slash - dest)) : xstrdup(".");
	char *base = xasprintf("%s/.%s", where, slash ? slash + 1 : dest);
	char *prefix = xasprintf(".%s.tmp-", slash ? slash + 1 : dest);
	int fd;

	/* what a killed pack of this output left (its lock died with it) */
	tmp_sweep(where, prefix);
	fd = dir ? tmp_mkdir(base, tmp, e) : tmp_open(base, tmp, e);
	free(prefix);
	free(base);
	free(where);
	return fd;
}

/* Bytes of layers copied so far and in all, for the progress view. */
static long long packw_done, packw_total;

/* Sums the sizes of the blobs written from entry `from` on (progress_bytes'
 * total; an in-place pack writes only the end). */
static void packw_count(const struct pack_files *f, size_t from)
{
	packw_done = packw_total = 0;
	for (size_t i = from; i < f->n; i++)
		packw_total += f->v[i].src ? f->v[i].size : 0;
}

/* Where packw_copy puts the bytes: the tar entry or a file. */
struct packw_out {
	struct archive *a; /* tar, or NULL */
	int fd;		   /* file when a is NULL */
};

static int packw_put(const struct packw_out *o, const struct pack_file *p, const char *buf,
		     size_t n, struct error *e)
{
	if (o->a) {
		if (archive_write_data(o->a, buf, n) < 0)
			return error_set(e, archive_errno(o->a), "write %s: %s", p->name,
					 archive_error_string(o->a));
		return 0;
	}
	for (size_t done = 0; done < n;) {
		ssize_t k = write(o->fd, buf + done, n - done);
		if (k < 0 && errno != EINTR)
			return error_set(e, errno, "write %s", p->name);
		done += k > 0 ? (size_t)k : 0;
	}
	return 0;
}

/* The size and the digest the manifest gives src, checked on the bytes
 * just copied: the image never holds a layer other than the one named. */
static int packw_check(const struct pack_file *p, long long total, struct sha256 *h,
		       struct error *e)
{
	char hex[65];

	sha256_final_hex(h, hex);
	if (total != p->size)
		error_set(e, 0, "layer sha256:%s (%s) is corrupt: %lld bytes, expected %lld",
			  p->hex, p->src, total, p->size);
	else if (p->hex && strcmp(hex, p->hex) != 0)
		error_set(e, 0, "layer sha256:%s (%s) is corrupt: its bytes hash to sha256:%s",
			  p->hex, p->src, hex);
	else
		return 0;
	e->code = PACK_ECORRUPT;
	return -1;
}

/* Copies src's bytes into the output, hashing them on the way (one pass:
 * the bytes written are the bytes checked). */
static int packw_copy(const struct packw_out *o, const struct pack_file *p, char *buf,
		      struct error *e)
{
	int fd = open(p->src, O_RDONLY | O_CLOEXEC);
	long long total = 0;
	struct sha256 h;
	ssize_t n;
	int r = 0;

	if (fd < 0)
		return error_set(e, errno, "open %s", p->src);
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	sha256_init(&h);
	while (r == 0 && total <= p->size && (n = read(fd, buf, PACKW_CHUNK)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = error_set(e, errno, "read %s", p->src);
		else if (total + n > p->size)
			total += n; /* packw_check says it */
		else if ((r = packw_put(o, p, buf, (size_t)n, e)) == 0) {
			sha256_update(&h, buf, (size_t)n);
			total += n;
			packw_done += n;
			progress_bytes("writing layers", packw_done, packw_total);
		}
	}
	close(fd);
	if (r < 0) {
		sha256_final_hex(&h, buf); /* frees the context */
		return r;
	}
	return packw_check(p, total, &h, e);
}

static int packw_entry(struct archive *a, const struct pack_files *f, const struct pack_file *p,
		       char *buf, struct error *e)
{
	struct archive_entry *ent = archive_entry_new();
	int r = 0;

	archive_entry_set_pathname(ent, p->name);
	archive_entry_set_filetype(ent, p->is_dir ? AE_IFDIR : AE_IFREG);
	archive_entry_set_perm(ent, p->is_dir ? 0755 : 0644);
	archive_entry_set_size(ent, p->is_dir ? 0 : p->src ? p->size : (la_int64_t)p->len);
	archive_entry_set_mtime(ent, (time_t)f->epoch, 0);
	archive_entry_set_uid(ent, 0);
	archive_entry_set_gid(ent, 0);
	if (archive_write_header(a, ent) != ARCHIVE_OK)
		r = error_set(e, archive_errno(a), "%s: %s", p->name, archive_error_string(a));
	else if (p->src)
		r = packw_copy(&(struct packw_out){.a = a}, p, buf, e);
	else if (p->data && archive_write_data(a, p->data, p->len) < 0)
		r = error_set(e, archive_errno(a), "%s: %s", p->name, archive_error_string(a));
	archive_entry_free(ent);
	return r;
}

/* Each entry's header and data (padding included) depend on the entry
 * alone, not on where it sits: the entries from `from` on, written here,
 * are the bytes a whole tar has after entry from - 1. f->v[i].end gets
 * the offset after entry i in the whole tar (base: where entry from
 * starts). */
int packw_tar_fd(struct pack_files *f, size_t from, long long base, int fd, struct error *e)
{
	struct archive *a = archive_write_new();
	char *buf = xmalloc(PACKW_CHUNK);
	int r = 0;

	archive_write_set_format_pax_restricted(a);
	archive_write_add_filter_none(a);
	archive_write_set_bytes_per_block(a, 64 * 1024);
	archive_write_set_bytes_in_last_block(a, 1);
	packw_count(f, from);
	if (archive_write_open_fd(a, fd) != ARCHIVE_OK)
		r = error_set(e, archive_errno(a), "%s", archive_error_string(a));
	for (size_t i = from; r == 0 && i < f->n; i++) {
		r = packw_entry(a, f, &f->v[i], buf, e);
		if (r == 0 && archive_write_finish_entry(a) != ARCHIVE_OK)
			r = error_set(e, archive_errno(a), "%s: %s", f->v[i].name,
				      archive_error_string(a));
		/* what the tar format handed on so far, before blocking */
		f->v[i].end = base + archive_filter_bytes(a, 0);
	}
	if (r == 0 && archive_write_close(a) != ARCHIVE_OK)
		r = error_set(e, archive_errno(a), "finish: %s", archive_error_string(a));
	archive_write_free(a);
	free(buf);
	return r;
}

int packw_tar(struct pack_files *f, const char *dest, struct error *e)
{
	char *tmp = NULL;
	int fd = packw_tmp(dest, 0, &tmp, e);
	int r;

	if (fd < 0)
		return -1;
	r = packw_tar_fd(f, 0, 0, fd, e);
	if (r == 0 && rename(tmp, dest) < 0)
		r = error_set(e, errno, "rename %s to %s", tmp, dest);
	if (r < 0)
		unlink(tmp);
	/* closed after the rename: until then the lock keeps sweepers off */
	if (close(fd) < 0 && r == 0)
		r = error_set(e, errno, "close %s", dest);
	free(tmp);
	return r;
}

/* Copies a blob into the output directory, checked like a tar entry. */
static int packw_copy_file(const struct pack_file *p, const char *dst, struct error *e)
{
	int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	char *buf;
	int r;

	if (out < 0)
		return error_set(e, errno, "create %s", dst);
	buf = xmalloc(PACKW_CHUNK);
	r = packw_copy(&(struct packw_out){.fd = out}, p, buf, e);
	free(buf);
	if (close(out) < 0 && r == 0)
		r = error_set(e, errno, "close %s", dst);
	return r;
}

static int packw_dir_entry(const struct pack_file *p, const char *root, struct error *e)
{
	char *path = path_join(root, p->name);
	int r = 0;

	if (p->is_dir)
		r = mkdir(path, 0755) < 0 && errno != EEXIST ? error_set(e, errno, "mkdir %s", path)
							     : 0;
	else if (p->src)
		r = packw_copy_file(p, path, e);
	else /* no fsync: a temp directory until it is the image */
		r = write_checked(path, p->data, p->len, 0644, e);
	free(path);
	return r;
}

/* The old dest moves aside onto an empty locked temp dir (rename replaces
 * an empty directory), so a kill before it is removed leaves a temp that
 * the next pack sweeps. */
int packw_swap_dir(const char *tmp, const char *dest, struct error *e)
{
	struct error ignored;
	int had = access(dest, F_OK) == 0;
	char *old = NULL;
	int fd = had ? packw_tmp(dest, 1, &old, e) : -1;
	int r = had && fd < 0 ? -1 : 0;

	if (r == 0 && had && rename(dest, old) < 0)
		r = error_set(e, errno, "move %s aside", dest);
	else if (r == 0 && rename(tmp, dest) < 0) {
		r = error_set(e, errno, "rename %s to %s", tmp, dest);
		if (had)
			rename(old, dest);
	}
	if (old)
		remove_tree(old, &ignored);
	if (fd >= 0)
		close(fd);
	free(old);
	return r;
}

int packw_dir_via(const char *dest, int (*fill)(const char *tmp, void *arg, struct error *e),
		  void *arg, struct error *e)
{
	char *tmp = NULL;
	struct error ignored;
	int fd = packw_tmp(dest, 1, &tmp, e);
	int r = fd < 0 ? -1 : 0;

	if (r == 0)
		r = fill(tmp, arg, e);
	if (r == 0)
		r = packw_swap_dir(tmp, dest, e);
	if (r < 0 && tmp)
		remove_tree(tmp, &ignored);
	if (fd >= 0)
		close(fd);
	free(tmp);
	return r;
}

/* packw_dir's filler: every entry of the list below tmp. */
static int packw_dir_fill(const char *tmp, void *arg, struct error *e)
{
	const struct pack_files *f = arg;
	int r = 0;

	packw_count(f, 0);
	for (size_t i = 0; r == 0 && i < f->n; i++)
		r = packw_dir_entry(&f->v[i], tmp, e);
	return r;
}

int packw_dir(const struct pack_files *f, const char *dest, struct error *e)
{
	return packw_dir_via(dest, packw_dir_fill, (void *)f, e);
}

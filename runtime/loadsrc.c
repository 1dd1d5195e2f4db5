/* loadsrc: the files of an image archive. A tar is read once, front to
 * back: member order is free in docker-archive and OCI archives (the
 * manifest may come last), so every non-metadata member goes straight to
 * the blob store and is looked up by path afterwards. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blob.h"
#include "error.h"
#include "fsutil.h"
#include "load.h"
#include "util.h"

#define LOAD_CHUNK (256 * 1024)
#define LOAD_META_MAX (16 << 20)
#define LOAD_LINK_DEPTH 16

/* Files that describe an archive rather than hold its content. */
static int load_is_meta(const char *path)
{
	static const char *names[] = {"manifest.json", "index.json", "oci-layout", "repositories"};
	const char *slash = strrchr(path, '/');

	for (size_t i = 0; i < LEN(names); i++)
		if (strcmp(path, names[i]) == 0)
			return 1;
	/* legacy docker-archive: <id>/json and <id>/VERSION per layer */
	return slash && slash == strchr(path, '/') &&
	       (strcmp(slash, "/json") == 0 || strcmp(slash, "/VERSION") == 0);
}

/* Cleans an archive member name; NULL for names that leave the archive. */
static char *load_clean(const char *name)
{
	char *c = path_clean(name[0] == '/' ? name + 1 : name);

	if (strcmp(c, "..") == 0 || startswith(c, "../")) {
		free(c);
		return NULL;
	}
	return c;
}

static struct load_file *load_add(struct load_src *src, char *path)
{
	struct load_file *f;

	if (src->nfiles == src->cap) {
		src->cap = src->cap ? 2 * src->cap : 64;
		src->files = xreallocarray(src->files, src->cap, sizeof(*src->files));
	}
	f = &src->files[src->nfiles++];
	memset(f, 0, sizeof(*f));
	f->path = path;
	return f;
}

static struct load_file *load_find(struct load_src *src, const char *path)
{
	/* Later members win, as when a tar is extracted. */
	for (size_t i = src->nfiles; i-- > 0;)
		if (strcmp(src->files[i].path, path) == 0)
			return &src->files[i];
	return NULL;
}

/* Follows symlinks and hardlinks between members (docker save links
 * identical layers). */
static struct load_file *load_resolve(struct load_src *src, const char *path, struct error *e)
{
	struct load_file *f = load_find(src, path);

	for (int depth = 0; f && f->link; depth++) {
		if (depth == LOAD_LINK_DEPTH) {
			error_set(e, ELOOP, "%s", path);
			return NULL;
		}
		f = load_find(src, f->link);
	}
	if (!f)
		error_set(e, ENOENT, "%s: not in the archive", path);
	return f;
}

static int load_read_meta(struct archive *a, struct load_file *f, struct error *e)
{
	struct {
		char *p;
		size_t n, cap;
	} b = {0};
	char chunk[65536];
	la_ssize_t n;

	while ((n = archive_read_data(a, chunk, sizeof(chunk))) > 0) {
		if (b.n + (size_t)n + 1 > b.cap) {
			b.cap = 2 * (b.n + (size_t)n + 1);
			b.p = xrealloc(b.p, b.cap);
		}
		memcpy(b.p + b.n, chunk, (size_t)n);
		b.n += (size_t)n;
		if (b.n > LOAD_META_MAX) {
			free(b.p);
			return error_set(e, EFBIG, "%s", f->path);
		}
	}
	if (n < 0) {
		free(b.p);
		return error_set(e, 0, "%s: %s", f->path, archive_error_string(a));
	}
	f->data = b.p ? b.p : xstrdup("");
	f->data[b.n] = '\0';
	f->len = b.n;
	return 0;
}

static int load_read_blob(struct load_src *src, struct archive *a, struct load_file *f,
			  struct error *e)
{
	struct blob_writer w;
	const char *want = NULL;
	char *buf;
	la_ssize_t n;

	/* A member named by its digest must hash to that name. */
	if (startswith(f->path, "blobs/sha256/") && blob_is_hex(f->path + 13))
		want = f->path + 13;
	if (blob_open(&w, src->store, e) < 0) {
		blob_abort(&w);
		return -1;
	}
	buf = xmalloc(LOAD_CHUNK);
	while ((n = archive_read_data(a, buf, LOAD_CHUNK)) > 0)
		if (blob_write(&w, buf, (size_t)n, e) < 0)
			break;
	free(buf);
	if (n != 0) {
		if (n < 0)
			error_set(e, 0, "%s", archive_error_string(a));
		blob_abort(&w);
		return error_wrap(e, "%s", f->path);
	}
	f->size = w.size;
	if (blob_commit(&w, want, e) < 0)
		return error_wrap(e, "%s", f->path);
	memcpy(f->hex, w.hex, 65);
	return 0;
}

static int load_member(struct load_src *src, struct archive *a, struct archive_entry *ent,
		       struct error *e)
{
	char *path = load_clean(archive_entry_pathname(ent));
	const char *link = archive_entry_hardlink(ent);
	struct load_file *f;

	if (!path)
		return error_set(e, 0, "member %s leaves the archive", archive_entry_pathname(ent));
	if (!link && archive_entry_filetype(ent) == AE_IFLNK) {
		/* symlink targets are relative to the member's directory */
		char *dir = xstrdup(path), *slash = strrchr(dir, '/');
		const char *t = archive_entry_symlink(ent);
		char *joined;
		*(slash ? slash : dir) = '\0';
		joined = t[0] == '/' ? xstrdup(t) : path_join(dir[0] ? dir : ".", t);
		f = load_add(src, path);
		f->link = load_clean(joined);
		free(joined);
		free(dir);
		return 0;
	}
	f = load_add(src, path);
	if (link) {
		f->link = load_clean(link);
		return 0;
	}
	if (archive_entry_filetype(ent) != AE_IFREG)
		return 0;
	if (load_is_meta(path))
		return load_read_meta(a, f, e);
	return load_read_blob(src, a, f, e);
}

int load_scan_tar(struct load_src *src, const char *path, struct error *e)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ent;
	int r, ret = 0;

	blob_read_filters(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_filename(a, path, LOAD_CHUNK) != ARCHIVE_OK) {
		ret = error_set(e, 0, "open %s: %s", path, archive_error_string(a));
		goto out;
	}
	while ((r = archive_read_next_header(a, &ent)) == ARCHIVE_OK || r == ARCHIVE_WARN)
		if (load_member(src, a, ent, e) < 0) {
			ret = -1;
			goto out;
		}
	if (r != ARCHIVE_EOF)
		ret = error_set(e, 0, "read %s: %s", path, archive_error_string(a));
out:
	archive_read_free(a);
	return ret;
}

/* SRC_DIR/path, for a path the archive names; NULL (e set) when the path
 * would leave the directory (a manifest.json is not trusted to stay in). */
static char *load_dir_path(struct load_src *src, const char *path, struct error *e)
{
	char *c = load_clean(path), *full;

	if (!c) {
		error_set(e, 0, "%s leaves the image directory", path);
		return NULL;
	}
	full = path_join(src->dir, c);
	free(c);
	return full;
}

int load_src_read(struct load_src *src, const char *path, char **data, size_t *len, struct error *e)
{
	struct load_file *f;
	char *full;
	int r;

	if (src->dir) {
		if (!(full = load_dir_path(src, path, e)))
			return -1;
		r = read_file(full, data, len, e);
		free(full);
		return r;
	}
	f = load_resolve(src, path, e);
	if (!f)
		return -1;
	if (f->data) {
		*data = xstrdup(f->data);
		*len = f->len;
		return 0;
	}
	/* A config is stored as a blob: read it back. */
	full = xasprintf("%s/blobs/sha256/%s", src->store, f->hex);
	r = read_file(full, data, len, e);
	free(full);
	return r;
}

/* 1 when the store has the blob (verified when it was stored). */
static int load_stored(struct load_src *src, const char *hex, long long *size)
{
	char *p = xasprintf("%s/blobs/sha256/%s", src->store, hex);
	struct stat st;
	int r = stat(p, &st) == 0 && S_ISREG(st.st_mode);

	if (r)
		*size = st.st_size;
	free(p);
	return r;
}

int load_src_blob(struct load_src *src, const char *path, const char *want_hex, char hex[65],
		  long long *size, struct error *e)
{
	struct load_file *f;
	char *full;
	int r;

	if (src->dir && want_hex && load_stored(src, want_hex, size)) {
		memcpy(hex, want_hex, 65);
		return 0;
	}
	if (src->dir) {
		if (!(full = load_dir_path(src, path, e)))
			return -1;
		r = blob_put_file(src->store, full, want_hex, hex, size, e);
		free(full);
		return r;
	}
	f = load_resolve(src, path, e);
	if (!f)
		return -1;
	if (f->data)
		return error_set(e, 0, "%s: not a blob", path);
	if (want_hex && strcmp(want_hex, f->hex) != 0)
		return error_set(e, 0,
				 "%s: digest mismatch: content is sha256:%s, expected sha256:%s",
				 path, f->hex, want_hex);
	memcpy(hex, f->hex, 65);
	*size = f->size;
	return 0;
}

void load_src_free(struct load_src *src)
{
	for (size_t i = 0; i < src->nfiles; i++) {
		free(src->files[i].path);
		free(src->files[i].link);
		free(src->files[i].data);
	}
	free(src->files);
	free(src->dir);
	memset(src, 0, sizeof(*src));
}

/* fsck: checks what the store and a state directory hold against the
 * digests that name it, and with --repair removes what is damaged so that
 * the next load or make puts it back:
 *
 *   store blobs        content hashes to the name      remove the blob
 *   image refs         readable, every blob present    remove the ref (load again)
 *   unpacked layers    every entry of the layer blob   remove the layer (FROM unpacks
 *                      there: type, size, bytes, link   it again), and the stamps of
 *                      target, whiteouts               the steps stacked on it
 *   steps (--state)    chain.json readable, its dirs   remove KEY.done (make redoes it)
 *                      present, KEY.ck readable
 *   step layers        blob hashes to KEY.layer's      remove KEY.layer and the blob
 *                      digest and size                 (make redoes the layer)
 *
 * Owners and modes of unpacked files are not compared (an unprivileged
 * unpack cannot keep owners). It holds the state lock and the store lock,
 * exclusively with --repair (nothing builds meanwhile), shared without. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "blob.h"
#include "cache.h"
#include "error.h"
#include "fsutil.h"
#include "gc.h"
#include "hash.h"
#include "rt.h"
#include "safeopen.h"
#include "snapshot.h"
#include "store.h"
#include "unpack.h"
#include "util.h"

#define FSCK_CHUNK (256 * 1024)

struct fsck {
	const struct rt *rt;
	int repair;
	size_t checked, problems, repaired;
	struct gc_roots roots;
	json_t *bad_dirs; /* {dir: true} unpacked layers found bad (removed with --repair) */
};

/* Reports a problem; with --repair runs fix (0 = repaired). */
static void fsck_problem(struct fsck *f, int (*fix)(const char *), const char *arg, const char *fmt,
			 ...) __attribute__((format(printf, 4, 5)));

static void fsck_problem(struct fsck *f, int (*fix)(const char *), const char *arg, const char *fmt,
			 ...)
{
	va_list ap;

	f->problems++;
	printf("fsck: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (f->repair && fix && fix(arg) == 0) {
		f->repaired++;
		printf(" (repaired: removed %s)", arg);
	}
	putchar('\n');
}

static int fsck_unlink(const char *path)
{
	return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
}

static int fsck_rmtree(const char *path)
{
	struct error ignored;
	char *ok = xasprintf("%s.ok", path);
	int r = remove_tree_atomic(path, &ignored);

	if (r == 0)
		fsck_unlink(ok);
	free(ok);
	return r;
}

/* ---- store blobs ---- */

static void fsck_blob(struct fsck *f, const char *dir, const char *name)
{
	char *path = path_join(dir, name), hex[65];

	f->checked++;
	if (sha256_file_hex(path, hex) < 0)
		fsck_problem(f, fsck_unlink, path, "blob %s: unreadable: %s", path,
			     strerror(errno));
	else if (strcmp(hex, name) != 0)
		fsck_problem(f, fsck_unlink, path,
			     "blob sha256:%s is corrupt: content is sha256:%s", name, hex);
	free(path);
}

static void fsck_blobs(struct fsck *f)
{
	char *dir = xasprintf("%s/blobs/sha256", f->rt->store);
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d)))
		if (blob_is_hex(de->d_name))
			fsck_blob(f, dir, de->d_name);
	if (d)
		closedir(d);
	if (f->repair)
		tmp_sweep(dir, "");
	free(dir);
}

/* ---- image refs ---- */

static int fsck_has_blob(const struct fsck *f, const char *digest)
{
	char *p;
	int ok;

	if (!digest || !startswith(digest, "sha256:") || !blob_is_hex(digest + 7))
		return 0;
	p = store_blob_path(f->rt->store, digest);
	ok = access(p, F_OK) == 0;
	free(p);
	return ok;
}

/* The first blob of the ref that is missing (removed as corrupt), or NULL. */
static const char *fsck_ref_missing(const struct fsck *f, json_t *ref)
{
	static const char *const keys[] = {"manifest", "config"};
	json_t *l;
	size_t i;

	for (i = 0; i < LEN(keys); i++) {
		const char *d = json_string_value(json_object_get(ref, keys[i]));
		if (!fsck_has_blob(f, d))
			return d ? d : keys[i];
	}
	json_array_foreach(json_object_get(ref, "layers"), i, l)
	{
		const char *d = json_string_value(json_object_get(l, "digest"));
		if (!fsck_has_blob(f, d))
			return d ? d : "a layer";
	}
	return NULL;
}

static void fsck_ref(struct fsck *f, const char *path)
{
	json_t *ref = json_load_file(path, 0, NULL);
	const char *name = json_string_value(json_object_get(ref, "name"));
	const char *missing;

	f->checked++;
	if (!json_is_object(ref) || !name)
		fsck_problem(f, fsck_unlink, path, "image ref %s is unreadable", path);
	else if ((missing = fsck_ref_missing(f, ref)))
		fsck_problem(f, fsck_unlink, path,
			     "image %s: blob %s is missing; load the image again", name, missing);
	json_decref(ref);
}

static void fsck_refs(struct fsck *f)
{
	char *dir = xasprintf("%s/refs", f->rt->store);
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.' || !endswith(de->d_name, ".json"))
			continue;
		char *p = path_join(dir, de->d_name);
		fsck_ref(f, p);
		free(p);
	}
	if (d)
		closedir(d);
	free(dir);
}

/* ---- unpacked layers ---- */

/* sha256 of the open file's bytes. */
static int fsck_fd_hex(int fd, char hex[65])
{
	struct sha256 h;
	char *buf = xmalloc(FSCK_CHUNK);
	ssize_t n;

	sha256_init(&h);
	while ((n = read(fd, buf, FSCK_CHUNK)) > 0)
		sha256_update(&h, buf, (size_t)n);
	free(buf);
	sha256_final_hex(&h, hex);
	return n < 0 ? -1 : 0;
}

/* sha256 of the current entry's data. */
static int fsck_entry_hex(struct archive *a, char hex[65])
{
	struct sha256 h;
	char *buf = xmalloc(FSCK_CHUNK);
	la_ssize_t n;

	sha256_init(&h);
	while ((n = archive_read_data(a, buf, FSCK_CHUNK)) > 0)
		sha256_update(&h, buf, (size_t)n);
	free(buf);
	sha256_final_hex(&h, hex);
	return n < 0 ? -1 : 0;
}

/* A regular file: same size and bytes as the tar entry. */
static const char *fsck_cmp_file(struct archive *a, struct archive_entry *ent, int root,
				 const char *rel)
{
	int fd = safe_open(root, rel, O_RDONLY | O_NOFOLLOW | O_NONBLOCK,
			   SAFE_BENEATH | SAFE_NO_SYMLINKS);
	char want[65], have[65];
	struct stat st;
	const char *why = NULL;

	if (fd < 0)
		return "missing or not a regular file";
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		why = "not a regular file";
	else if (st.st_size != archive_entry_size(ent))
		why = "size differs";
	else if (fsck_entry_hex(a, want) < 0 || fsck_fd_hex(fd, have) < 0)
		why = "unreadable";
	else if (strcmp(want, have) != 0)
		why = "content differs";
	close(fd);
	return why;
}

/* A device node unpacked rootless: an empty file recording the entry's
 * "c|b MAJOR MINOR" (runtime/unpack.h). fd is an O_PATH one, which
 * fgetxattr does not take: its /proc/self/fd name does. */
static int fsck_dev_stub(int fd, const struct stat *st, struct archive_entry *ent, unsigned type)
{
	char want[64], have[64], proc[64];
	ssize_t n;

	if ((type != AE_IFCHR && type != AE_IFBLK) || !S_ISREG(st->st_mode) || st->st_size != 0)
		return 0;
	snprintf(want, sizeof(want), "%c %lu %lu", type == AE_IFBLK ? 'b' : 'c',
		 (unsigned long)archive_entry_rdevmajor(ent),
		 (unsigned long)archive_entry_rdevminor(ent));
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = getxattr(proc, UNPACK_DEV_XATTR, have, sizeof(have) - 1);
	have[n > 0 ? n : 0] = '\0';
	return n > 0 && strcmp(have, want) == 0;
}

/* Anything else: the type (and a symlink's target, a whiteout's 0/0). */
static const char *fsck_cmp_other(struct archive_entry *ent, int root, const char *rel,
				  unsigned type, int whiteout)
{
	int fd = safe_open(root, rel, O_PATH | O_NOFOLLOW, SAFE_BENEATH | SAFE_NO_SYMLINKS);
	char link[4096];
	struct stat st;
	const char *why = NULL;
	ssize_t n;

	if (fd < 0)
		return "missing";
	if (fstat(fd, &st) < 0 ||
	    ((unsigned)(st.st_mode & S_IFMT) != type && !fsck_dev_stub(fd, &st, ent, type)))
		why = "type differs";
	else if (whiteout && st.st_rdev != makedev(0, 0))
		why = "not a whiteout";
	else if (type == AE_IFLNK) {
		n = readlinkat(fd, "", link, sizeof(link) - 1);
		link[n > 0 ? n : 0] = '\0';
		if (n < 0 ||
		    strcmp(link, archive_entry_symlink(ent) ? archive_entry_symlink(ent) : "") != 0)
			why = "link target differs";
	}
	close(fd);
	return why;
}

/* One tar entry against the unpacked tree; NULL when it matches. *rel
 * gets the path checked (malloc'd). */
static const char *fsck_entry(struct archive *a, struct archive_entry *ent, int root, char **rel)
{
	const char *name = archive_entry_pathname(ent);
	char *c, *slash, *base;

	while (*name == '/')
		name++;
	c = path_clean(*name ? name : ".");
	*rel = c;
	slash = strrchr(c, '/');
	base = slash ? slash + 1 : c;
	if (strcmp(c, ".") == 0 || strcmp(base, ".wh..wh..opq") == 0)
		return NULL;
	if (startswith(base, ".wh.")) {
		/* a whiteout: unpacked as a 0/0 character device of that name */
		memmove(base, base + 4, strlen(base + 4) + 1);
		return fsck_cmp_other(ent, root, c, AE_IFCHR, 1);
	}
	if (archive_entry_hardlink(ent))
		return fsck_cmp_other(ent, root, c, AE_IFREG, 0);
	if (archive_entry_filetype(ent) == AE_IFREG)
		return fsck_cmp_file(a, ent, root, c);
	return fsck_cmp_other(ent, root, c, archive_entry_filetype(ent), 0);
}

/* Walks the layer blob; the first mismatch is the answer (NULL: all match). */
static char *fsck_tree(const char *dir, const char *blob)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ent;
	int root = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC), r;
	char *why = NULL;

	blob_read_filters(a);
	archive_read_support_format_tar(a);
	if (root < 0 || archive_read_open_filename(a, blob, FSCK_CHUNK) != ARCHIVE_OK)
		why = xasprintf("cannot open it or its blob %s", blob);
	while (!why &&
	       ((r = archive_read_next_header(a, &ent)) == ARCHIVE_OK || r == ARCHIVE_WARN)) {
		char *rel = NULL;
		const char *w = fsck_entry(a, ent, root, &rel);
		if (w)
			why = xasprintf("%s: %s", rel, w);
		free(rel);
	}
	if (!why && r != ARCHIVE_EOF)
		why = xasprintf("blob %s: %s", blob, archive_error_string(a));
	if (root >= 0)
		close(root);
	archive_read_free(a);
	return why;
}

static void fsck_layer(struct fsck *f, const char *dir, const char *hex)
{
	char *path = path_join(dir, hex), *blob, *why, *ok = xasprintf("%s.ok", path);
	/* the blob the unpack checked, rather than whichever an image names:
	 * a pulled image's config may claim this diff_id for another blob,
	 * which its first unpack refuses (docs/image-format.md) */
	char *checked = unpack_ok_blob(ok);
	const char *bhex =
	    checked ? checked : json_string_value(json_object_get(f->roots.layers, hex));
	struct stat st;

	free(ok);
	if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode) || !bhex ||
	    !json_object_get(f->roots.layers, hex)) {
		/* a stray .ok, or a layer no image names (gc's business) */
		free(checked);
		free(path);
		return;
	}
	f->checked++;
	blob = xasprintf("%s/blobs/sha256/%s", f->rt->store, bhex);
	why = access(blob, F_OK) == 0 ? fsck_tree(path, blob) : NULL;
	if (why) {
		json_object_set_new(f->bad_dirs, path, json_true());
		fsck_problem(f, fsck_rmtree, path,
			     "unpacked layer sha256:%s differs from its blob sha256:%s: %s", hex,
			     bhex, why);
	}
	free(why);
	free(blob);
	free(checked);
	free(path);
}

static void fsck_layers(struct fsck *f)
{
	char *dir = xasprintf("%s/layers", f->rt->store);
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d)))
		if (blob_is_hex(de->d_name))
			fsck_layer(f, dir, de->d_name);
	if (d)
		closedir(d);
	if (f->repair)
		tmp_sweep(dir, "");
	free(dir);
}

/* ---- state ---- */

/* Why KEY's chain cannot be used: unreadable, or a directory in it is
 * gone (or was found bad); NULL when fine. */
static char *fsck_chain_why(struct fsck *f, const char *key)
{
	struct error e = {0};
	json_t *chain = chain_read(f->rt, key, &e), *ent;
	char *why = NULL;
	size_t i;

	if (!chain)
		return xstrdup(e.msg);
	json_array_foreach(chain, i, ent)
	{
		const char *dir = json_string_value(json_object_get(ent, "dir"));
		if (why)
			break;
		/* a lazy layer (docs/cache.md) is unpacked when first needed */
		int lazy = json_is_string(json_object_get(ent, "lazy"));
		if (json_object_get(f->bad_dirs, dir) || (access(dir, F_OK) < 0 && !lazy))
			why = xasprintf("layer directory %s is gone or damaged", dir);
	}
	json_decref(chain);
	return why;
}

/* Why KEY.ck cannot be used (written without an fsync: a crash may leave
 * it empty), NULL when fine or absent: the steps after KEY would have no
 * content key; redoing KEY writes it again. */
static char *fsck_ck_why(struct fsck *f, const char *key)
{
	char *path = rt_path(f->rt, key, ".ck"), ck[65], *why = NULL;

	if (access(path, F_OK) == 0 && cache_read_ck(f->rt, key, ck) < 0)
		why = xasprintf("content key %s is unreadable", path);
	free(path);
	return why;
}

static void fsck_step(struct fsck *f, const char *key)
{
	char *done = rt_path(f->rt, key, ".done");
	char *why = fsck_chain_why(f, key);

	if (!why)
		why = fsck_ck_why(f, key);
	f->checked++;
	if (why)
		fsck_problem(f, fsck_unlink, done, "step %.8s: %s; make must redo it", key, why);
	free(why);
	free(done);
}

/* KEY.layer's blob against its digest and size. */
static void fsck_step_layer(struct fsck *f, const char *key)
{
	char *meta = rt_path(f->rt, key, ".layer"), hex[65];
	json_t *l = json_load_file(meta, 0, NULL);
	const char *path = json_string_value(json_object_get(l, "path"));
	const char *dg = json_string_value(json_object_get(l, "digest"));
	struct stat st;

	f->checked++;
	if (!json_is_object(l))
		fsck_problem(f, fsck_unlink, meta, "step %.8s: %s is unreadable", key, meta);
	else if (json_is_true(json_object_get(l, "empty")))
		;
	else if (!path || !dg || stat(path, &st) < 0 || sha256_file_hex(path, hex) < 0)
		fsck_problem(f, fsck_unlink, meta, "step %.8s: layer blob %s is missing", key,
			     path ? path : "(none)");
	else if (strcmp(dg + 7, hex) != 0 ||
		 st.st_size != json_integer_value(json_object_get(l, "size"))) {
		if (f->repair)
			fsck_unlink(path);
		fsck_problem(f, fsck_unlink, meta,
			     "step %.8s: layer %s is corrupt: content is sha256:%s", key, dg, hex);
	}
	json_decref(l);
	free(meta);
}

static void fsck_state(struct fsck *f)
{
	DIR *d = opendir(f->rt->state);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		char *key = xstrdup(de->d_name), *dot = strrchr(key, '.');
		if (dot && strcmp(dot, ".done") == 0) {
			*dot = '\0';
			fsck_step(f, key);
		} else if (dot && strcmp(dot, ".layer") == 0) {
			*dot = '\0';
			fsck_step_layer(f, key);
		}
		free(key);
	}
	if (d)
		closedir(d);
}

/* ---- the command ---- */

/* The state lock, then the store's (the order builds take them in). */
static int fsck_lock(struct fsck *f, int fds[2], struct error *e)
{
	char *path = f->rt->state ? path_join(f->rt->state, "lock") : NULL;

	fds[0] = fds[1] = -1;
	if (path) {
		fds[0] = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (fds[0] < 0 || flock(fds[0], f->repair ? LOCK_EX : LOCK_SH) < 0)
			error_set(e, errno, "lock %s", path);
		free(path);
		if (e->msg[0])
			return -1;
	}
	fds[1] = store_lock(f->rt->store, f->repair, e);
	return fds[1] == -1 ? -1 : 0;
}

static int fsck_run(struct fsck *f, struct error *e)
{
	struct error ignored;

	(void)e;
	/* an unreadable ref or chain is reported by the checks below */
	gc_roots(f->rt->store, f->rt->state, &f->roots, &ignored);
	fsck_blobs(f);
	fsck_refs(f);
	fsck_layers(f);
	if (f->rt->state)
		fsck_state(f);
	return 0;
}

int cmd_fsck(const struct rt *rt, int argc, char **argv)
{
	struct fsck f = {.rt = rt, .bad_dirs = json_object()};
	struct error e = {0};
	int fds[2], r;

	if (argc > 1 || (argc == 1 && strcmp(argv[0], "--repair") != 0)) {
		json_decref(f.bad_dirs);
		fprintf(stderr,
			"usage: df2make-runtime [--store DIR] [--state DIR] fsck [--repair]\n");
		return 2;
	}
	f.repair = argc == 1;
	r = fsck_lock(&f, fds, &e);
	if (r == 0)
		r = fsck_run(&f, &e);
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	gc_roots_free(&f.roots);
	json_decref(f.bad_dirs);
	if (r < 0) {
		fprintf(stderr, "df2make-runtime: fsck: %s\n", e.msg);
		return 1;
	}
	printf("fsck: %zu checked, %zu problems, %zu repaired\n", f.checked, f.problems,
	       f.repaired);
	return f.problems == f.repaired ? 0 : 1;
}

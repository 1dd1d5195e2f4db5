/* packinc: an incremental build's image tar without rewriting the base.
 *
 * packw.c writes the layer blobs bottom first and the small JSON files
 * last, so when only the top layers (or the config) changed, the new tar
 * equals the old one up to the first changed entry. After each tar it
 * writes, pack leaves a record in the state dir: the tar's inode, size and
 * times, and the end offset of each entry. When the record still
 * describes the file at dest (nobody wrote, moved or linked it since), the
 * next pack keeps that prefix and writes only the rest, in place:
 *
 *   1. the new end goes after the old file's end, at a block boundary:
 *      the file still holds the old image (every reader stops at the old
 *      tar's end-of-archive blocks);
 *   2. fallocate(FALLOC_FL_COLLAPSE_RANGE) removes the old end in one
 *      step: from then on the file holds the new image.
 *
 * So a kill leaves the old image or the new one, and the cost follows the
 * bytes that changed, not the 600 MB base. The tar's bytes are the same as
 * a whole rewrite's (tests/sh/image/pack-incremental.sh compares them).
 *
 * make must not take the file for up to date while it holds the old image
 * with a newer mtime (after step 1): the state's .pack stamps, which the
 * image's rule depends on, are removed before step 1 and put back with
 * their old mtimes after step 2, so a make killed in between packs again.
 * On an error the old file is restored (size and mtime), so make's
 * .DELETE_ON_ERROR keeps it. Filesystems without COLLAPSE_RANGE (tmpfs,
 * btrfs), another block size or no record: the whole tar is written as
 * before. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "fsutil.h"
#include "pack.h"
#include "util.h"

#define PACKINC_MAGIC "df2make-tar-index 1\n"
#define PACKINC_NAME "tar-index"

/* The last tar written: who it is on disk, and where each entry ends. */
struct packinc_rec {
	uintmax_t id[7]; /* dev ino size mtime.s mtime.ns ctime.s ctime.ns */
	size_t n;
	char **names;
	long long *ends;
};

static void packinc_id(const struct stat *st, uintmax_t id[7])
{
	id[0] = st->st_dev, id[1] = st->st_ino, id[2] = (uintmax_t)st->st_size;
	id[3] = (uintmax_t)st->st_mtim.tv_sec, id[4] = (uintmax_t)st->st_mtim.tv_nsec;
	id[5] = (uintmax_t)st->st_ctim.tv_sec, id[6] = (uintmax_t)st->st_ctim.tv_nsec;
}

static void packinc_rec_free(struct packinc_rec *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->names[i]);
	free(r->names);
	free(r->ends);
}

/* Parses "END NAME\n" lines after the two header lines; 0 or -1. */
static int packinc_parse(struct packinc_rec *r, char *text)
{
	char *line = text + strlen(PACKINC_MAGIC), *nl;

	if (!startswith(text, PACKINC_MAGIC) ||
	    sscanf(line, "%ju %ju %ju %ju %ju %ju %ju\n", &r->id[0], &r->id[1], &r->id[2],
		   &r->id[3], &r->id[4], &r->id[5], &r->id[6]) != 7 ||
	    !(line = strchr(line, '\n')))
		return -1;
	for (line++; (nl = strchr(line, '\n')); line = nl + 1) {
		char *sp = strchr(line, ' ');
		if (!sp || sp > nl)
			return -1;
		*nl = '\0';
		r->names = xreallocarray(r->names, r->n + 1, sizeof(*r->names));
		r->ends = xreallocarray(r->ends, r->n + 1, sizeof(*r->ends));
		r->ends[r->n] = strtoll(line, NULL, 10);
		r->names[r->n++] = xstrdup(sp + 1);
	}
	return *line ? -1 : 0;
}

static int packinc_load(const char *idx, struct packinc_rec *r)
{
	struct error ignored;
	cleanup_free char *text = NULL;
	size_t len;

	memset(r, 0, sizeof(*r));
	if (read_file(idx, &text, &len, &ignored) < 0)
		return -1;
	if (packinc_parse(r, text) == 0)
		return 0;
	packinc_rec_free(r);
	memset(r, 0, sizeof(*r));
	return -1;
}

/* The record's file before it has its name: an unnamed O_TMPFILE inode
 * in the state dir where the filesystem has them, else a tmp_open() temp.
 * A kill between the image's rename and the record's then leaves nothing:
 * a named temp would stay until some later pack swept it, and a make
 * resumed after that kill has the image already, so no pack to run. */
static int packinc_tmp(const char *state, const char *idx, char **tmp)
{
	struct error ignored;
	int fd = open(state, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);

	*tmp = NULL;
	return fd >= 0 ? fd : tmp_open(idx, tmp, &ignored);
}

/* Gives the record its name: the temp's rename, or the unnamed inode's
 * link (through /proc: linkat's AT_EMPTY_PATH would need a capability). */
static int packinc_name(int fd, const char *tmp, const char *idx)
{
	char proc[40];

	if (tmp)
		return rename(tmp, idx);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	return linkat(AT_FDCWD, proc, AT_FDCWD, idx, AT_SYMLINK_FOLLOW);
}

/* The record of the tar just written at dest. It is only a hint (a lost
 * or stale one costs a whole rewrite), so it is named without an fsync,
 * which would wait for the whole image's writeback. */
static void packinc_save(const char *state, const char *idx, const struct pack_files *f,
			 const char *dest)
{
	struct stat st;
	uintmax_t id[7];
	cleanup_free char *tmp = NULL;
	cleanup_close int fd = -1;
	FILE *out;
	int ok;

	unlink(idx);
	if (stat(dest, &st) < 0 || (fd = packinc_tmp(state, idx, &tmp)) < 0)
		return;
	packinc_id(&st, id);
	out = fdopen(dup(fd), "w");
	ok = out != NULL;
	if (out) {
		fprintf(out, "%s%ju %ju %ju %ju %ju %ju %ju\n", PACKINC_MAGIC, id[0], id[1], id[2],
			id[3], id[4], id[5], id[6]);
		for (size_t i = 0; i < f->n; i++)
			fprintf(out, "%lld %s\n", f->v[i].end, f->v[i].name);
		ok = !ferror(out);
		ok = fclose(out) == 0 && ok;
	}
	if ((!ok || packinc_name(fd, tmp, idx) < 0) && tmp)
		unlink(tmp);
}

/* ---- the stamps make decides by ---- */

/* A .pack stamp taken away while the output is rewritten in place. */
struct packinc_stamp {
	char *name;
	struct stat st;
};

struct packinc_stamps {
	struct packinc_stamp *v;
	size_t n;
};

/* Removes the state's *.pack stamps, remembering their modes and times. */
static int packinc_stamps_take(const char *state, struct packinc_stamps *s, struct error *e)
{
	DIR *d = opendir(state);
	struct dirent *de;
	int r = 0;

	memset(s, 0, sizeof(*s));
	if (!d)
		return error_set(e, errno, "open %s", state);
	while (r == 0 && (de = readdir(d))) {
		struct stat st;
		if (de->d_name[0] == '.' || !endswith(de->d_name, ".pack") ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) < 0) {
			r = error_set(e, errno, "remove %s/%s", state, de->d_name);
			break;
		}
		s->v = xreallocarray(s->v, s->n + 1, sizeof(*s->v));
		s->v[s->n++] = (struct packinc_stamp){.name = xstrdup(de->d_name), .st = st};
	}
	closedir(d);
	return r;
}

/* Puts the stamps back as they were (mtime too: not newer than the
 * output, or the next make would pack again). */
static void packinc_stamps_give(const char *state, struct packinc_stamps *s)
{
	for (size_t i = 0; i < s->n; i++) {
		cleanup_free char *path = path_join(state, s->v[i].name);
		cleanup_close int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
					    s->v[i].st.st_mode & 07777);
		if (fd >= 0)
			futimens(fd, (struct timespec[2]){s->v[i].st.st_atim, s->v[i].st.st_mtim});
		free(s->v[i].name);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* ---- in place ---- */

/* How many entries the new list shares with the record: same names, and
 * directories or blobs (named by their digest: same name, same bytes). */
static size_t packinc_common(const struct packinc_rec *r, const struct pack_files *f)
{
	size_t k = 0;

	while (k < r->n && k < f->n && strcmp(r->names[k], f->v[k].name) == 0 &&
	       (f->v[k].is_dir || f->v[k].src))
		k++;
	return k;
}

/* Where the in-place rewrite cuts: the old file from `keep` on is
 * replaced; the bytes between keep and the first changed entry (`from`)
 * are rewritten too, so that keep is a block boundary. */
struct packinc_cut {
	size_t first;	 /* index of the first entry written */
	long long from;	 /* its offset */
	long long keep;	 /* from rounded down to the block size */
	long long after; /* old size rounded up: where the new end is put */
	struct stat st;	 /* the old file */
};

/* The old tail's first partial block, then the new entries, after the
 * old end; then the collapse. On failure the file is as it was. */
static int packinc_write(int fd, struct packinc_cut *c, struct pack_files *f, struct error *e)
{
	size_t part = (size_t)(c->from - c->keep);
	cleanup_free char *buf = xmalloc(part ? part : 1);
	int r = 0;

	if (pread(fd, buf, part, c->keep) != (ssize_t)part)
		return error_set(e, errno ? errno : EIO, "read the image's kept end");
	if (pwrite(fd, buf, part, c->after) != (ssize_t)part ||
	    lseek(fd, c->after + (off_t)part, SEEK_SET) < 0)
		r = error_set(e, errno ? errno : EIO, "write");
	if (r == 0)
		r = packw_tar_fd(f, c->first, c->from, fd, e);
	if (r == 0 && fallocate(fd, FALLOC_FL_COLLAPSE_RANGE, c->keep, c->after - c->keep) < 0)
		r = error_set(e, errno, "collapse the image's old end");
	if (r < 0) {
		/* back to the old image, with the mtime make saw */
		if (ftruncate(fd, c->st.st_size) == 0)
			futimens(fd, (struct timespec[2]){c->st.st_atim, c->st.st_mtim});
	}
	return r;
}

/* Whether dest is the recorded tar and how much of it stays; 0 if the
 * in-place path does not apply. */
static int packinc_plan(int fd, const struct packinc_rec *rec, struct pack_files *f,
			struct packinc_cut *c)
{
	struct statfs sfs;
	uintmax_t id[7];
	long long bs;

	if (fstat(fd, &c->st) < 0 || !S_ISREG(c->st.st_mode) || c->st.st_nlink != 1)
		return 0;
	packinc_id(&c->st, id);
	if (memcmp(id, rec->id, sizeof(id)) != 0 || fstatfs(fd, &sfs) < 0 || sfs.f_bsize <= 0)
		return 0;
	c->first = packinc_common(rec, f);
	if (c->first == 0 || c->first == f->n)
		return 0;
	bs = (long long)sfs.f_bsize;
	c->from = rec->ends[c->first - 1];
	c->keep = c->from - c->from % bs;
	c->after = (c->st.st_size + bs - 1) / bs * bs;
	for (size_t i = 0; i < c->first; i++)
		f->v[i].end = rec->ends[i];
	return c->keep > 0 && c->from <= c->st.st_size;
}

/* 1: done in place; 0: not possible here (nothing was changed); -1: error
 * (the old file kept). */
static int packinc_inplace(const char *state, const char *idx, struct pack_files *f,
			   const char *dest, struct error *e)
{
	struct packinc_rec rec;
	struct packinc_cut c;
	struct packinc_stamps s;
	cleanup_close int fd = -1;
	int r;

	if (packinc_load(idx, &rec) < 0)
		return 0;
	fd = open(dest, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	r = fd >= 0 ? packinc_plan(fd, &rec, f, &c) : 0;
	packinc_rec_free(&rec);
	if (r == 0)
		return 0;
	/* the record is stale from the first write on */
	unlink(idx);
	if (packinc_stamps_take(state, &s, e) < 0) {
		packinc_stamps_give(state, &s);
		return -1;
	}
	r = packinc_write(fd, &c, f, e);
	packinc_stamps_give(state, &s);
	/* the file is as it was: no COLLAPSE_RANGE here (tmpfs, btrfs: the
	 * error says which), or a write that failed: write the whole tar */
	if (r < 0 && e->code != PACK_ECORRUPT)
		return 0;
	return r < 0 ? -1 : 1;
}

int packinc_tar(const char *state, struct pack_files *f, const char *dest, struct error *e)
{
	cleanup_free char *idx = path_join(state, PACKINC_NAME);
	int r = packinc_inplace(state, idx, f, dest, e);

	if (r == 0)
		r = packw_tar(f, dest, e) == 0 ? 1 : -1;
	if (r == 1)
		packinc_save(state, idx, f, dest);
	return r < 0 ? -1 : 0;
}

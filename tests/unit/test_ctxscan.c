/* test_ctxscan: the sum's record of a large context's stat data
 * (STATE/KEY.scan): what counts as "the same as last time", and that a
 * damaged or foreign file is never taken as a match. */
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctxscan.h"
#include "error.h"
#include "fsutil.h"
#include "tap.h"
#include "util.h"

static const char *names[] = {"src", "src/a.txt", "src/b.txt", "src/d", "src/d/c.txt"};
#define NNAMES (sizeof(names) / sizeof(names[0]))

/* Stat data for entry i, changed long ago (not racy). */
static struct stat ent(size_t i)
{
	struct stat st;

	memset(&st, 0, sizeof(st));
	st.st_dev = 65024;
	st.st_ino = 1000 + i;
	st.st_size = (off_t)(10 * i);
	st.st_mode = (i == 0 || i == 3 ? S_IFDIR | 0755 : S_IFREG | 0644);
	st.st_mtim.tv_sec = st.st_ctim.tv_sec = 1700000000;
	st.st_mtim.tv_nsec = st.st_ctim.tv_nsec = (long)(123456 * (i + 1));
	return st;
}

static void save(const char *path, size_t n, const struct stat *racy_last)
{
	struct ctxscan_w *w = ctxscan_w_new();
	struct error e;

	for (size_t i = 0; i < n; i++) {
		struct stat st = ent(i);
		uint8_t md[32];
		memset(md, (int)(0xa0 + i), sizeof(md));
		ctxscan_w_add(w, names[i], i + 1 == n && racy_last ? racy_last : &st,
			      S_ISREG(st.st_mode) ? md : NULL);
	}
	if (ctxscan_w_save(w, path, &e) < 0)
		printf("# save: %s\n", e.msg);
	ctxscan_w_free(w);
}

/* How many of the entries (with entry k replaced by *alt, if any) match
 * in a row, and whether the file was then complete (1000 + n). */
static int matched(const char *path, size_t n, size_t k, const struct stat *alt)
{
	struct ctxscan *r = ctxscan_open(path);
	int got = 0;

	if (!r)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct stat st = ent(i);
		if (!ctxscan_same(r, names[i], i == k && alt ? alt : &st))
			break;
		got++;
	}
	if (ctxscan_complete(r))
		got += 1000;
	ctxscan_close(r);
	return got;
}

static void run_changes(const char *path)
{
	struct stat st;

	save(path, NNAMES, NULL);
	TAP_OK(matched(path, NNAMES, 9, NULL) == 1000 + NNAMES, "the same walk matches, complete");
	st = ent(2);
	st.st_ctim.tv_nsec++;
	TAP_OK(matched(path, NNAMES, 2, &st) == 2, "a ctime nanosecond apart differs");
	st = ent(2);
	st.st_mode = S_IFREG | 0755;
	TAP_OK(matched(path, NNAMES, 2, &st) == 2, "a chmod differs");
	st = ent(2);
	st.st_ino++;
	TAP_OK(matched(path, NNAMES, 2, &st) == 2, "a replaced file (new inode) differs");
	TAP_OK(matched(path, NNAMES - 1, 9, NULL) == NNAMES - 1,
	       "a removed last entry: matched so far, not complete");
	save(path, NNAMES - 1, NULL);
	TAP_OK(matched(path, NNAMES, 9, NULL) == 1000 + NNAMES - 1,
	       "an added entry: no record for it");
}

static void run_racy(const char *path)
{
	struct stat st = ent(NNAMES - 1);

	clock_gettime(CLOCK_REALTIME, &st.st_ctim);
	save(path, NNAMES, &st);
	TAP_OK(matched(path, NNAMES, NNAMES - 1, &st) == NNAMES - 1,
	       "an entry changed as the walk began is not trusted");
}

/* The digest of file i as save() records it, or NULL. */
static int digest_is(const uint8_t *d, size_t i)
{
	for (size_t k = 0; d && k < 32; k++)
		if (d[k] != (uint8_t)(0xa0 + i))
			return 0;
	return d != NULL;
}

/* Digests come back for files whose stat data is the same, asked in walk
 * order, skipping records of entries gone or not asked for. */
static void run_digests(const char *path)
{
	struct ctxscan *r;
	struct stat st;

	save(path, NNAMES, NULL);
	r = ctxscan_open(path);
	st = ent(1);
	TAP_OK(digest_is(ctxscan_digest(r, "src/a.txt", &st), 1), "an unchanged file's digest");
	st = ent(2);
	st.st_mtim.tv_sec++;
	TAP_OK(ctxscan_digest(r, "src/b.txt", &st) == NULL, "a changed file has none");
	st = ent(3);
	TAP_OK(ctxscan_digest(r, "src/d", &st) == NULL, "a directory has none");
	st = ent(4);
	TAP_OK(ctxscan_digest(r, "src/c.txt", &st) == NULL, "a new name has none");
	TAP_OK(digest_is(ctxscan_digest(r, "src/d/c.txt", &st), 4),
	       "the next file still has its digest after a name with none");
	ctxscan_rewind(r);
	st = ent(4);
	TAP_OK(digest_is(ctxscan_digest(r, "src/d/c.txt", &st), 4), "records skipped on the way");
	st = ent(1);
	TAP_OK(ctxscan_digest(r, "src/a.txt", &st) == NULL, "out of walk order: none (no search)");
	ctxscan_close(r);
}

/* A file cut short, a file of the old text format, an empty one. */
static void run_damaged(const char *path)
{
	struct error e;
	size_t len;
	char *text = NULL;

	save(path, NNAMES, NULL);
	if (read_file(path, &text, &len, &e) == 0) {
		write_atomic(path, text, len - 8, 0644, &e);
		TAP_OK(matched(path, NNAMES, 9, NULL) == NNAMES - 1, "a cut last record differs");
		write_atomic(path, text, len - 96, 0644, &e);
		TAP_OK(matched(path, NNAMES, 9, NULL) < (int)NNAMES, "a cut record differs");
	}
	free(text);
	write_atomic(path, "df2make-copy-index 1\nsum\n1 2\n", 29, 0644, &e);
	TAP_OK(ctxscan_open(path) == NULL, "the text format of before is no record");
	write_atomic(path, "", 0, 0644, &e);
	TAP_OK(ctxscan_open(path) == NULL, "an empty file is no record");
	unlink(path);
	TAP_OK(ctxscan_open(path) == NULL, "no file, no record");
}

int main(void)
{
	const char *tmp = getenv("TEST_TMPDIR");
	char *root = xasprintf("%s/ctxscan.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	char *path;

	argv0 = "test_ctxscan";
	if (!mkdtemp(root)) {
		(void)TAP_OK(0, "mkdtemp: %s", strerror(errno));
		return tap_done();
	}
	path = path_join(root, "k.scan");
	run_changes(path);
	run_racy(path);
	run_digests(path);
	run_damaged(path);
	unlink(path);
	rmdir(root);
	free(path);
	free(root);
	return tap_done();
}

/* blobloc: STORE/blobloc/HEX, one "HOST/REPO" line per place. Lines are
 * appended with one O_APPEND write each, so concurrent pulls and pushes
 * of a build (make -j) never tear a line. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blob.h"
#include "blobloc.h"
#include "error.h"
#include "fsutil.h"
#include "store.h"
#include "util.h"

/* The record's path, or NULL for a digest that cannot name a file. */
static char *blobloc_path(const char *store, const char *digest)
{
	if (!store || !digest || !startswith(digest, "sha256:") || !blob_is_hex(digest + 7))
		return NULL;
	return xasprintf("%s/blobloc/%s", store, digest + 7);
}

/* The record's text ("" when there is none). */
static char *blobloc_read(const char *path)
{
	struct error e;
	char *data = NULL;
	size_t len;

	if (read_file(path, &data, &len, &e) < 0)
		return xstrdup("");
	return data;
}

/* Whether text has line as a whole line. */
static int blobloc_has(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)); p += n)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return 1;
	return 0;
}

void blobloc_add(const char *store, const char *digest, const char *host, const char *repo)
{
	char *path = blobloc_path(store, digest), *dir, *text, *line;
	int fd;

	if (!path)
		return;
	line = xasprintf("%s/%s", host, repo);
	text = blobloc_read(path);
	if (!blobloc_has(text, line)) {
		struct error e;
		dir = xasprintf("%s/blobloc", store);
		/* the store itself may not exist yet (a transfer's first use) */
		(void)store_private_root(store, &e);
		(void)mkdir(dir, 0700);
		free(dir);
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		free(line);
		line = xasprintf("%s/%s\n", host, repo);
		if (fd >= 0) {
			(void)write_all(fd, line, strlen(line));
			close(fd);
		}
	}
	free(text);
	free(line);
	free(path);
}

char *blobloc_find(const char *store, const char *digest, const char *host, const char *repo)
{
	char *path = blobloc_path(store, digest), *text, *line, *save = NULL, *found = NULL;
	size_t hl = strlen(host);

	if (!path)
		return NULL;
	text = blobloc_read(path);
	for (line = strtok_r(text, "\n", &save); line && !found; line = strtok_r(NULL, "\n", &save))
		if (strncmp(line, host, hl) == 0 && line[hl] == '/' && strcmp(line + hl + 1, repo))
			found = xstrdup(line + hl + 1);
	free(text);
	free(path);
	return found;
}

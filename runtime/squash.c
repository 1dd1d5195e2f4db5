/* squash: podman build's --squash and --squash-all (see squash.h). The
 * layers are merged as a container runtime stacks them: a later entry
 * replaces an earlier one of the same name, a whiteout (.wh.NAME)
 * removes NAME and what is under it, an opaque marker (.wh..wh..opq)
 * what the layers below put in its directory. Two passes: the names'
 * owners from the headers, then the owners' entries with their data. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "rt.h"
#include "sink.h"
#include "squash.h"
#include "util.h"

#define SQ_WH ".wh."
#define SQ_OPQ ".wh..wh..opq"

/* The merge: which layer owns each name; the markers still needed. */
struct sq {
	json_t *owner; /* name -> index of the layer whose entry is kept */
	json_t *wh;    /* names removed from the layers below (markers) */
	json_t *opq;   /* directories hiding the layers below (markers) */
	int markers;   /* --squash: keep markers for the base; --squash-all: none */
};

/* An entry name without "./", leading or trailing '/'. Malloc'd. */
static char *sq_name(const char *p)
{
	size_t n;

	while (p[0] == '.' && p[1] == '/')
		p += 2;
	while (*p == '/')
		p++;
	n = strlen(p);
	while (n && p[n - 1] == '/')
		n--;
	return xstrndup(p, n);
}

/* Removes name and everything under name/ from o. */
static void sq_drop(json_t *o, const char *name, int self)
{
	size_t n = strlen(name);
	const char *k;
	json_t *v;
	void *tmp;

	json_object_foreach_safe(o, tmp, k, v)
	{
		if ((self && strcmp(k, name) == 0) ||
		    (strncmp(k, name, n) == 0 && (n == 0 || k[n] == '/')))
			json_object_del(o, k);
	}
}

static struct archive *sq_open(const char *path, struct error *e)
{
	struct archive *a = archive_read_new();

	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK) {
		error_set(e, 0, "layer %s: %s", path, archive_error_string(a));
		archive_read_free(a);
		return NULL;
	}
	return a;
}

/* The marker an entry name is, if any: *target gets what it hides. */
static int sq_marker(const char *name, char **target)
{
	const char *slash = strrchr(name, '/'), *base = slash ? slash + 1 : name;
	size_t dir = slash ? (size_t)(slash - name) : 0;

	if (strcmp(base, SQ_OPQ) == 0) {
		*target = xstrndup(name, dir);
		return 2;
	}
	if (strncmp(base, SQ_WH, 4) == 0) {
		*target =
		    slash ? xasprintf("%.*s/%s", (int)dir, name, base + 4) : xstrdup(base + 4);
		return 1;
	}
	return 0;
}

/* Applies one layer's markers to what the layers below left, then
 * makes it the owner of its own entries. */
static void sq_layer(struct sq *q, size_t idx, struct strlist *names, struct strlist *kinds)
{
	for (size_t i = 0; i < names->n; i++) {
		const char *t = names->v[i];
		if (kinds->v[i][0] == 'r' || kinds->v[i][0] == 'd')
			continue;
		sq_drop(q->owner, t, kinds->v[i][0] == 'w');
		sq_drop(q->wh, t, 0);
		sq_drop(q->opq, t, 0);
		if (q->markers)
			json_object_set_new(kinds->v[i][0] == 'w' ? q->wh : q->opq, t, json_true());
	}
	for (size_t i = 0; i < names->n; i++) {
		const char *n = names->v[i];
		if (kinds->v[i][0] != 'r' && kinds->v[i][0] != 'd')
			continue;
		json_object_set_new(q->owner, n, json_integer((json_int_t)idx));
		/* deleted, then made again: a directory must still hide the
		 * base's entries below it */
		if (json_object_get(q->wh, n)) {
			json_object_del(q->wh, n);
			if (kinds->v[i][0] == 'd')
				json_object_set_new(q->opq, n, json_true());
		}
	}
}

/* Pass one over a layer: its names and their kinds (r, d, w, o). */
static int sq_scan(struct sq *q, size_t idx, const char *path, struct error *e)
{
	struct archive *a = sq_open(path, e);
	struct archive_entry *ent;
	struct strlist names = {0}, kinds = {0};
	int r;

	if (!a)
		return -1;
	while ((r = archive_read_next_header(a, &ent)) == ARCHIVE_OK) {
		char *name = sq_name(archive_entry_pathname(ent)), *t = NULL;
		int m = sq_marker(name, &t);
		strlist_take(&names, m ? t : xstrdup(name));
		strlist_add(&kinds, m == 1				      ? "w"
				    : m == 2				      ? "o"
				    : archive_entry_filetype(ent) == AE_IFDIR ? "d"
									      : "r");
		free(name);
	}
	if (r != ARCHIVE_EOF)
		error_set(e, 0, "layer %s: %s", path, archive_error_string(a));
	else
		sq_layer(q, idx, &names, &kinds);
	archive_read_free(a);
	strlist_free(&names);
	strlist_free(&kinds);
	return r == ARCHIVE_EOF ? 0 : -1;
}

static int sq_copy_data(struct archive *in, struct archive *out, struct error *e)
{
	char buf[1 << 16];
	la_ssize_t n;

	while ((n = archive_read_data(in, buf, sizeof(buf))) > 0)
		if (archive_write_data(out, buf, (size_t)n) != n)
			return error_set(e, 0, "squash: %s", archive_error_string(out));
	return n < 0 ? error_set(e, 0, "squash: %s", archive_error_string(in)) : 0;
}

/* Pass two over a layer: the entries it owns, data included. */
static int sq_emit(struct sq *q, size_t idx, const char *path, struct archive *out, struct error *e)
{
	struct archive *a = sq_open(path, e);
	struct archive_entry *ent;
	int r = 0, h;

	if (!a)
		return -1;
	while (r == 0 && (h = archive_read_next_header(a, &ent)) == ARCHIVE_OK) {
		char *name = sq_name(archive_entry_pathname(ent)), *t = NULL;
		json_t *o = json_object_get(q->owner, name);
		if (!sq_marker(name, &t) && o && json_integer_value(o) == (json_int_t)idx) {
			const char *hl = archive_entry_hardlink(ent);
			char *link = hl ? sq_name(hl) : NULL;
			archive_entry_set_pathname(ent, *name ? name : ".");
			if (link)
				archive_entry_set_hardlink(ent, link);
			if (archive_write_header(out, ent) != ARCHIVE_OK)
				r = error_set(e, 0, "squash: %s", archive_error_string(out));
			else if (archive_entry_size(ent) > 0 && !link)
				r = sq_copy_data(a, out, e);
			free(link);
		}
		free(t);
		free(name);
	}
	if (r == 0 && h != ARCHIVE_EOF)
		r = error_set(e, 0, "layer %s: %s", path, archive_error_string(a));
	archive_read_free(a);
	return r;
}

/* The markers the base layers still need, as empty files. */
static int sq_markers(struct sq *q, struct archive *out, long long epoch, struct error *e)
{
	json_t *sets[2] = {q->opq, q->wh}, *v;
	const char *k;
	int r = 0;

	for (size_t s = 0; s < 2; s++) {
		json_object_foreach(sets[s], k, v)
		{
			const char *slash = strrchr(k, '/');
			char *name =
			    s == 0  ? xasprintf("%s%s" SQ_OPQ, k, *k ? "/" : "")
			    : slash ? xasprintf("%.*s/" SQ_WH "%s", (int)(slash - k), k, slash + 1)
				    : xasprintf(SQ_WH "%s", k);
			struct archive_entry *m = archive_entry_new();
			archive_entry_set_pathname(m, name);
			archive_entry_set_filetype(m, AE_IFREG);
			archive_entry_set_perm(m, 0644);
			archive_entry_set_mtime(m, epoch, 0);
			if (r == 0 && archive_write_header(out, m) != ARCHIVE_OK)
				r = error_set(e, 0, "squash: %s", archive_error_string(out));
			archive_entry_free(m);
			free(name);
		}
	}
	return r;
}

/* Writes the merged layer of layers[from..) through a sink into path. */
static int sq_write(struct sq *q, json_t *layers, size_t from, const char *path,
		    const char *compress, long long epoch, struct sink *s, struct error *e)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), r;
	struct archive *tar;

	if (fd < 0)
		return error_set(e, errno, "squash: %s", path);
	if (sink_open(s, fd, compress, -1, e) < 0 || !(tar = sink_tar(s, e))) {
		sink_close(s, NULL, e);
		close(fd);
		return -1;
	}
	r = 0;
	for (size_t i = from; r == 0 && i < json_array_size(layers); i++)
		r = sq_emit(q, i,
			    json_string_value(json_object_get(json_array_get(layers, i), "path")),
			    tar, e);
	if (r == 0)
		r = sq_markers(q, tar, epoch, e);
	if (sink_close(s, tar, r < 0 ? NULL : e) < 0)
		r = -1;
	if (close(fd) < 0 && r == 0)
		r = error_set(e, errno, "squash: %s", path);
	return r;
}

int squash_layers(const struct rt *rt, const char *key, json_t *layers, size_t from,
		  const char *compress, long long epoch, struct error *e)
{
	struct sq q = {json_object(), json_object(), json_object(), from > 0};
	size_t n = json_array_size(layers);
	char *path = rt_path(rt, key, ".squash"), *tmp = xasprintf("%s.tmp", path);
	struct sink s;
	int r = 0;

	for (size_t i = from; r == 0 && i < n; i++)
		r = sq_scan(&q, i,
			    json_string_value(json_object_get(json_array_get(layers, i), "path")),
			    e);
	if (r == 0)
		r = sq_write(&q, layers, from, tmp, compress ? compress : "none", epoch, &s, e);
	if (r == 0 && rename(tmp, path) < 0)
		r = error_set(e, errno, "squash: %s", path);
	if (r < 0)
		unlink(tmp);
	while (r == 0 && json_array_size(layers) > from)
		json_array_remove(layers, from);
	if (r == 0)
		json_array_append_new(layers,
				      json_pack("{s:s+, s:I, s:s, s:s+, s:s}", "digest",
						"sha256:", s.blob_hex, "size", (json_int_t)s.size,
						"mediaType", s.media_type, "diff_id",
						"sha256:", s.diff_hex, "path", path));
	json_decref(q.owner);
	json_decref(q.wh);
	json_decref(q.opq);
	free(path);
	free(tmp);
	return r;
}

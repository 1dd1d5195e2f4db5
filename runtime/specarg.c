/* specarg: the spec argument of a step (see specarg.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cleanup.h"
#include "error.h"
#include "fsutil.h"
#include "hash.h"
#include "rt.h"
#include "specarg.h"
#include "util.h"

/* 1 if name is "HASH.spec", HASH being 32 lowercase hex digits. */
static int specarg_hash(const char *name)
{
	if (strlen(name) != 37 || strcmp(name + 32, ".spec") != 0)
		return 0;
	return strspn(name, "0123456789abcdef") == 32;
}

/* Reads the regular file fd (at most SPECARG_MAX bytes) into b. */
static int specarg_read(int fd, struct buf *b, struct error *e)
{
	struct stat st;
	int r;

	if (fstat(fd, &st) < 0)
		return error_set(e, errno, "fstat");
	if (!S_ISREG(st.st_mode))
		return error_set(e, 0, "not a regular file");
	r = fd_read_all(fd, b, SPECARG_MAX);
	if (r == -2)
		return error_set(e, 0, "longer than %u bytes", SPECARG_MAX);
	return r < 0 ? error_set(e, errno, "read") : 0;
}

/* The JSON of file name (HASH.spec) in the state directory, checked
 * against HASH, into b. */
static int specarg_file(const struct rt *rt, const char *name, struct buf *b, struct error *e)
{
	cleanup_free char *path = path_join(rt->state, name);
	/* the state directory is ours: no link is followed out of it */
	cleanup_close int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	char hex[65];

	if (fd < 0)
		return error_set(e, errno,
				 "open (build.mk's recipe writes it as it starts, with GNU make's "
				 "$(file), make 4.0 or later)");
	if (specarg_read(fd, b, e) < 0)
		return -1;
	/* $(file >...) ends the text with a newline, which the JSON has not */
	if (b->len && b->s[b->len - 1] == '\n')
		b->s[--b->len] = '\0';
	sha256_hex(b->s ? b->s : "", b->len, hex);
	if (memcmp(hex, name, 32) != 0)
		return error_set(e, 0,
				 "its content is not the spec it is named by (cut short or "
				 "rewritten by a concurrent make?): run make again");
	return 0;
}

/* The spec file that arg ("@DIR/HASH.spec") names, DIR being the state
 * directory: 0 with its name in *name, or -1 with the error in e. */
static int specarg_name(const struct rt *rt, const char *arg, const char **name, struct error *e)
{
	const char *slash = strrchr(arg, '/');
	cleanup_free char *dir = xstrndup(arg, slash ? (size_t)(slash - arg) : 0);
	cleanup_free char *abs = path_abs(*dir ? dir : slash ? "/" : ".");

	*name = slash ? slash + 1 : arg;
	if (!specarg_hash(*name))
		return error_set(e, 0, "not a name build.mk writes (HASH.spec)");
	if (strcmp(abs, rt->state) != 0)
		return error_set(e, 0, "not in the state directory %s", rt->state);
	return 0;
}

json_t *specarg_load(const struct rt *rt, const char *arg, struct error *e)
{
	json_error_t jerr;
	json_t *spec;
	struct buf b = {0};
	const char *name;

	if (arg[0] != '@') {
		if (!(spec = json_loads(arg, 0, &jerr)))
			error_set(e, 0, "bad spec: %s (column %d)", jerr.text, jerr.column);
		return spec;
	}
	if (specarg_name(rt, arg + 1, &name, e) < 0 || specarg_file(rt, name, &b, e) < 0) {
		buf_free(&b);
		error_wrap(e, "spec file %s", arg + 1);
		return NULL;
	}
	spec = json_loadb(b.s, b.len, 0, &jerr);
	buf_free(&b);
	if (!spec)
		error_set(e, 0, "spec file %s: bad spec: %s (column %d)", arg + 1, jerr.text,
			  jerr.column);
	return spec;
}

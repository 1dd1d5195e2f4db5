/* user: USER and --chown resolution against a rootfs's /etc/passwd and
 * /etc/group. The files are opened with openat2(RESOLVE_IN_ROOT) so that a
 * symlink such as etc/passwd -> /etc/shadow resolves inside the rootfs, as
 * it would in a chroot, and never reads the host's files. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "input.h"
#include "safeopen.h"
#include "user.h"
#include "util.h"

/* One passwd or group line split on ':' (fields point into line). */
struct entry {
	char *line;
	char *f[7];
	int nf;
};

/* The most of a passwd or group file read: far above a real one, and bounded
 * memory for an image's file that is huge or has no newline. */
#define USER_FILE_MAX ((off_t)64 << 20)

/* Opens ROOT/path for reading with every path component resolved as if ROOT
 * were "/": ".." and absolute symlinks cannot leave the rootfs. The image
 * chooses what the path is: it is first opened O_PATH (which opens no
 * device and waits for no FIFO writer) and read only if it is a regular
 * file of at most USER_FILE_MAX bytes; a link to /dev/sda or a FIFO in a
 * base image must not make the runtime, as root outside the sandbox, read a
 * host device or hang. */
static FILE *open_in_root(const char *root, const char *path, struct error *e)
{
	cleanup_close int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cleanup_close int pfd = -1;
	char proc[64];
	struct stat st;
	int fd;
	FILE *f;

	if (rootfd < 0) {
		error_set(e, errno, "open rootfs %s", root);
		return NULL;
	}
	pfd = safe_open(rootfd, path, O_PATH, SAFE_IN_ROOT);
	if (pfd < 0 || fstat(pfd, &st) < 0) {
		error_set(e, errno, "open %s in %s", path, root);
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > USER_FILE_MAX) {
		if (!S_ISREG(st.st_mode))
			error_set(e, 0, "%s in the image is %s, not a regular file", path,
				  input_kind(st.st_mode));
		else
			error_set(e, 0, "%s in the image is larger than %lld MiB", path,
				  (long long)(USER_FILE_MAX >> 20));
		return NULL;
	}
	/* the inode just checked, not the path again (no race with a rename) */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd);
	fd = open(proc, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		/* never ENOENT, which the caller takes for "no such file" */
		error_set(e, 0, "reopen %s in %s through %s: %s", path, root, proc,
			  strerror(errno));
		return NULL;
	}
	f = fdopen(fd, "r");
	if (!f) {
		error_set(e, errno, "fdopen %s", path);
		close(fd);
	}
	return f;
}

/* Splits a line into at most 7 ':' fields (missing fields are ""). */
static void entry_split(struct entry *en)
{
	char *s = en->line;

	en->line[strcspn(en->line, "\n")] = '\0';
	for (en->nf = 0; en->nf < 7; en->nf++) {
		en->f[en->nf] = s;
		if (!s)
			continue;
		s = strchr(s, ':');
		if (s)
			*s++ = '\0';
	}
	for (int i = 0; i < 7; i++)
		if (!en->f[i])
			en->f[i] = "";
}

/* Parses a decimal id; -1 when s is not one (runc: numbers only). */
static long parse_id(const char *s)
{
	char *end;
	long v;

	if (!*s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end || errno || v > (long)UINT_MAX - 1)
		return -1;
	return v;
}

typedef int (*entry_fn)(struct entry *en, void *arg);

/* Calls fn on each non-empty line of ROOT/path until it returns non-zero.
 * A missing file has no entries (*missing = 1). */
static int scan_file(const char *root, const char *path, entry_fn fn, void *arg, int *missing,
		     struct error *e)
{
	struct entry en = {0};
	size_t cap = 0;
	ssize_t n;
	off_t total = 0;
	FILE *f = open_in_root(root, path, e);

	*missing = 0;
	if (!f) {
		if (e->code != ENOENT)
			return -1;
		*missing = 1;
		return 0;
	}
	/* the file may have grown since the size check: stop at the cap */
	while ((n = getline(&en.line, &cap, f)) > 0 && (total += n) <= USER_FILE_MAX) {
		if (en.line[0] == '\n' || en.line[0] == '#')
			continue;
		entry_split(&en);
		if (fn(&en, arg))
			break;
	}
	free(en.line);
	fclose(f);
	return 0;
}

/* What a passwd lookup looks for and finds. */
struct pw_query {
	const char *name; /* match by name, or */
	long uid;	  /* by uid when name is NULL */
	int found;
	char *pw_name;
	long pw_uid, pw_gid;
	char *home;
};

static int pw_match(struct entry *en, void *arg)
{
	struct pw_query *q = arg;
	long uid = parse_id(en->f[2]);

	if (q->name ? strcmp(en->f[0], q->name) != 0 : uid != q->uid)
		return 0;
	q->found = 1;
	q->pw_name = xstrdup(en->f[0]);
	q->pw_uid = uid < 0 ? 0 : uid;
	q->pw_gid = parse_id(en->f[3]) < 0 ? 0 : parse_id(en->f[3]);
	q->home = xstrdup(*en->f[5] ? en->f[5] : "/");
	return 1; /* first match wins */
}

/* A group lookup: by name or gid, or collecting the groups listing member. */
struct gr_query {
	const char *name;
	long gid;
	const char *member;
	int found;
	long gr_gid;
	gid_t *groups;
	size_t ngroups;
};

static int gr_has_member(const char *list, const char *member)
{
	size_t n = strlen(member);

	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ",");
		if (len == n && strncmp(p, member, n) == 0)
			return 1;
		p += len + (p[len] == ',');
	}
	return 0;
}

static int gr_match(struct entry *en, void *arg)
{
	struct gr_query *q = arg;
	long gid = parse_id(en->f[2]);

	if (q->member) {
		if (gid >= 0 && gr_has_member(en->f[3], q->member)) {
			q->groups = xreallocarray(q->groups, q->ngroups + 1, sizeof(gid_t));
			q->groups[q->ngroups++] = (gid_t)gid;
		}
		return 0;
	}
	if (q->name ? strcmp(en->f[0], q->name) != 0 : gid != q->gid)
		return 0;
	q->found = 1;
	q->gr_gid = gid < 0 ? 0 : gid;
	return 1;
}

/* Splits "user[:group]"; *group is NULL without a ':'. Caller frees *user. */
static void split_spec(const char *spec, char **user, const char **group)
{
	const char *colon = strchr(spec, ':');

	*user = colon ? xstrndup(spec, (size_t)(colon - spec)) : xstrdup(spec);
	*group = colon ? colon + 1 : NULL;
}

/* Looks up passwd by name (or by uid when numeric). */
static int lookup_pw(const char *root, const char *user, struct pw_query *q, int *missing,
		     struct error *e)
{
	long id = parse_id(user);

	memset(q, 0, sizeof(*q));
	q->name = id >= 0 ? NULL : user;
	q->uid = id;
	return scan_file(root, "/etc/passwd", pw_match, q, missing, e);
}

/* Resolves an explicit group (name or number) to *gid. With chown (COPY
 * --chown, WORKDIR: BuildKit's readUser) a name missing from /etc/group
 * leaves *gid as the user part set it; for RUN (runc) it is an error. */
static int resolve_group(const char *root, const char *group, int chown, gid_t *gid,
			 struct error *e)
{
	struct gr_query q = {0};
	int missing;

	q.gid = parse_id(group);
	q.name = q.gid >= 0 ? NULL : group;
	if (scan_file(root, "/etc/group", gr_match, &q, &missing, e) < 0)
		return -1;
	if (q.found)
		*gid = (gid_t)q.gr_gid;
	else if (q.gid >= 0)
		*gid = (gid_t)q.gid;
	else if (!chown)
		return error_set(e, 0, "unable to find group %s%s", group,
				 missing ? ": no /etc/group file" : "");
	return 0;
}

/* The supplementary groups whose member list names user. */
static int member_groups(const char *root, const char *user, struct user_ids *out, struct error *e)
{
	struct gr_query q = {0};
	int missing;

	q.member = user;
	if (scan_file(root, "/etc/group", gr_match, &q, &missing, e) < 0)
		return -1;
	out->groups = q.groups;
	out->ngroups = q.ngroups;
	return 0;
}

static void pw_free(struct pw_query *q)
{
	free(q->pw_name);
	free(q->home);
}

/* Fills uid/gid/home from the user part. chown selects BuildKit's
 * readUser rules (COPY --chown, WORKDIR): a numeric user gives gid = uid,
 * and a name missing from /etc/passwd (or no passwd file) gives 0:0, not an
 * error. Otherwise runc's: gid from passwd, an unknown name is an error. */
static int resolve_user_part(const char *root, const char *user, int chown, struct user_ids *out,
			     struct pw_query *q, struct error *e)
{
	int missing;

	if (lookup_pw(root, user, q, &missing, e) < 0)
		return -1;
	if (q->found) {
		out->uid = (uid_t)q->pw_uid;
		out->gid = chown && q->uid >= 0 ? (gid_t)q->uid : (gid_t)q->pw_gid;
		out->home = xstrdup(q->home);
		return 0;
	}
	if (q->uid < 0 && chown) {
		out->uid = 0;
		out->gid = 0;
		out->home = xstrdup("/");
		return 0;
	}
	if (q->uid < 0)
		return error_set(e, 0, "unable to find user %s: %s", user,
				 missing ? "no /etc/passwd file"
					 : "no matching entries in passwd file");
	out->uid = (uid_t)q->uid;
	out->gid = chown ? (gid_t)q->uid : 0;
	out->home = xstrdup("/");
	return 0;
}

/* user_resolve and user_resolve_exec: exec picks runc's rules over
 * BuildKit's COPY --chown ones (see each below). */
static int user_resolve_as(const char *root, const char *spec, int exec, struct user_ids *out,
			   struct error *e)
{
	struct pw_query q = {0};
	const char *group;
	char *user;
	int r;

	memset(out, 0, sizeof(*out));
	split_spec(spec, &user, &group);
	r = resolve_user_part(root, *user ? user : "0", !exec, out, &q, e);
	if (r == 0 && group && *group)
		r = resolve_group(root, group, !exec, &out->gid, e);
	else if (r == 0 && group && !exec)
		out->gid = 0; /* "user:": BuildKit's WithUser keeps an empty group
			       * name, which UserOpt.marshal sends as gid 0 */
	else if (r == 0 && exec && q.found)
		r = member_groups(root, q.pw_name, out, e);
	pw_free(&q);
	free(user);
	if (r < 0)
		user_ids_free(out);
	return r;
}

int user_resolve(const char *root, const char *spec, struct user_ids *out, struct error *e)
{
	/* BuildKit (COPY --chown): a numeric user is taken as is with gid = uid;
	 * a name takes uid and gid from passwd, 0:0 when missing; "user:" (an
	 * empty group) has gid 0. No supplementary groups. */
	return user_resolve_as(root, spec, 0, out, e);
}

int user_resolve_exec(const char *root, const char *spec, struct user_ids *out, struct error *e)
{
	/* runc's GetExecUser: an unknown numeric uid keeps gid 0; a user found
	 * in passwd gets its gid, HOME, and (without an explicit group) the
	 * groups that list it as a member. */
	return user_resolve_as(root, spec, 1, out, e);
}

void user_ids_free(struct user_ids *ids)
{
	free(ids->groups);
	free(ids->home);
	ids->groups = NULL;
	ids->home = NULL;
	ids->ngroups = 0;
}

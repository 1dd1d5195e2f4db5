/* mounts_cgroup: the cgroup filesystem at /sys/fs/cgroup of a RUN, as
 * BuildKit's spec asks runc for (executor/oci/spec_linux.go withCGroup:
 * type cgroup, read-only, nosuid, noexec, nodev). What runc makes of it:
 * on a cgroup v2 host a cgroup2 mount in a new cgroup namespace (the
 * step's own cgroup is its root); on a v1 host a tmpfs (mode 755) with
 * one read-only bind per hierarchy of the step's own cgroup, named as on
 * the host, and the host's symlinks between them ("cpu" ->
 * "cpu,cpuacct"). Tools read their limits there (JVMs, nproc, make -j
 * helpers); without it a RUN saw the empty directory sysfs has. Where the
 * step's cgroup is a hierarchy's root (a runtime in the root cgroup,
 * with no leaf of its own there) nothing is bound: that would show the
 * host's every cgroup, their processes and statistics, where runc shows
 * only the container's own; the directory stays empty (v1), or sysfs's
 * (v2). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "fsutil.h"
#include "mounts.h"
#include "safeopen.h"
#include "util.h"

#define CG_ROOT "/sys/fs/cgroup"
#define CG_ATTRS (MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)

/* Whether word is one of the comma-separated words of list. */
static int in_list(const char *list, const char *word, size_t n)
{
	for (const char *p = list; *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] != '\0'))
		if (strcspn(p, ",") == n && strncmp(p, word, n) == 0)
			return 1;
	return 0;
}

/* Our path in the v1 hierarchy whose super options are opts (a line
 * "N:cpu,cpuacct:/path" of /proc/self/cgroup, its text cg, sharing a
 * controller with it), or the v2 path ("0::/path") for opts NULL; NULL
 * when none. */
static char *own_path(const char *cg, const char *opts)
{
	for (const char *line = cg; line && *line; line += strcspn(line, "\n") + 1) {
		size_t len = strcspn(line, "\n");
		const char *list = memchr(line, ':', len), *path;
		if (!list || !(path = memchr(list + 1, ':', len - (size_t)(list + 1 - line))))
			continue;
		size_t nlist = (size_t)(path - list - 1), npath = len - (size_t)(path + 1 - line);
		int hit = !opts && nlist == 0;
		for (const char *w = list + 1; opts && !hit && w < path; w += strcspn(w, ",:") + 1)
			hit = in_list(opts, w, strcspn(w, ",:"));
		if (hit)
			return xstrndup(path + 1, npath);
		if (!line[len])
			break;
	}
	return NULL;
}

/* One v1 hierarchy mounted directly under /sys/fs/cgroup on the host. */
struct hier {
	char name[256];	 /* "memory", "systemd", "cpu,cpuacct" */
	char src[8192];	 /* the host directory of our own cgroup in it */
	char opts[1024]; /* super options: "rw,cpu,cpuacct" */
	char root[4096]; /* the mount's root in the hierarchy */
};

/* Fills h from a mountinfo line of a v1 cgroup mount at /sys/fs/cgroup/X
 * (fields: ID PARENT MAJ:MIN ROOT MOUNT OPTS [TAGS...] - TYPE SRC SUPER);
 * -1 for any other line. *v2 is set for a cgroup2 at /sys/fs/cgroup. */
static int parse_line(char *line, struct hier *h, int *v2)
{
	char *f[40];
	size_t dash;

	if (!strstr(line, " - cgroup") || mountinfo_split(line, f, LEN(f), &dash) < 0)
		return -1;
	if (strcmp(f[dash + 1], "cgroup2") == 0 && strcmp(f[4], CG_ROOT) == 0)
		*v2 = 1;
	if (strcmp(f[dash + 1], "cgroup") != 0 || !startswith(f[4], CG_ROOT "/") ||
	    strchr(f[4] + sizeof(CG_ROOT), '/') || strlen(f[4]) >= sizeof(h->name) ||
	    strlen(f[3]) >= sizeof(h->root) || strlen(f[dash + 3]) >= sizeof(h->opts))
		return -1;
	strcpy(h->name, f[4] + sizeof(CG_ROOT));
	strcpy(h->root, f[3]);
	strcpy(h->opts, f[dash + 3]);
	return 0;
}

/* The host's v1 hierarchies (with our cgroup in each); *v2 when the
 * host has the unified hierarchy at /sys/fs/cgroup instead. */
static struct hier *host_hiers(size_t *n, int *v2)
{
	cleanup_fclose FILE *f = fopen("/proc/self/mountinfo", "re");
	cleanup_free char *cg = NULL;
	struct hier *l = NULL, h;
	char line[8192];
	struct error ignored;

	*n = 0;
	*v2 = 0;
	if (read_file("/proc/self/cgroup", &cg, NULL, &ignored) < 0)
		return NULL; /* no cgroups: nothing to show */
	while (f && fgets(line, sizeof(line), f)) {
		cleanup_free char *path = NULL;
		if (parse_line(line, &h, v2) < 0 || !(path = own_path(cg, h.opts)))
			continue;
		size_t rl = strcmp(h.root, "/") == 0 ? 0 : strlen(h.root);
		if (rl && (strncmp(path, h.root, rl) != 0 || (path[rl] && path[rl] != '/')))
			continue; /* our cgroup is not below this mount's root */
		/* our cgroup the hierarchy's root: no bind (it would show every
		 * cgroup of the host, where runc shows the container's own) */
		if (strcmp(path + rl, "") == 0 || strcmp(path + rl, "/") == 0)
			h.src[0] = '\0';
		else
			snprintf(h.src, sizeof(h.src), CG_ROOT "/%s%s", h.name, path + rl);
		l = xreallocarray(l, *n + 1, sizeof(*l));
		l[(*n)++] = h;
	}
	return l;
}

/* Binds host directory src read-only (rw for insecure) at dfd/name (at
 * dfd itself for name ""). */
static int bind_at(const char *src, int dfd, const char *name, int insecure, struct error *e)
{
	struct mount_attr a = {.attr_set = CG_ATTRS | (insecure ? 0 : MOUNT_ATTR_RDONLY)};
	cleanup_close int mfd = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);

	if (mfd < 0)
		return error_set(e, errno, "bind %s", src);
	if (mount_setattr(mfd, "", AT_EMPTY_PATH, &a, sizeof(a)) < 0)
		return error_set(e, errno, "read-only %s", src);
	if (move_mount(mfd, "", dfd, name,
		       MOVE_MOUNT_F_EMPTY_PATH | (*name ? 0 : MOVE_MOUNT_T_EMPTY_PATH)) < 0)
		return error_set(e, errno, "mount %s at " CG_ROOT "/%s", src, name);
	return 0;
}

/* Attaches the detached mfd on tfd; mfd stays its root, for *at calls
 * (tfd is the directory under it). */
static int attach(int mfd, int tfd, struct error *e)
{
	if (move_mount(mfd, "", tfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return error_set(e, errno, "mount at " CG_ROOT);
	return 0;
}

/* The host's symlinks beside the hierarchies ("cpu" -> "cpu,cpuacct"),
 * made in dfd. */
static int copy_links(int dfd, struct error *e)
{
	DIR *d = opendir(CG_ROOT);
	struct dirent *de;
	char target[256];
	int r = 0;

	while (d && r == 0 && (de = readdir(d))) {
		ssize_t n;
		if (de->d_type != DT_LNK ||
		    (n = readlinkat(dirfd(d), de->d_name, target, sizeof(target) - 1)) < 0)
			continue;
		target[n] = '\0';
		if (symlinkat(target, dfd, de->d_name) < 0 && errno != EEXIST)
			r = error_set(e, errno, "symlink " CG_ROOT "/%s", de->d_name);
	}
	if (d)
		closedir(d);
	return r;
}

/* v1: a tmpfs with one bind per hierarchy of the step's cgroups. */
static int mount_v1(int tfd, struct hier *l, size_t n, int insecure, struct error *e)
{
	cleanup_close int mfd = mounts_fs_new("tmpfs", "mode=755", CG_ATTRS, e);

	if (mfd < 0 || attach(mfd, tfd, e) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (mkdirat(mfd, l[i].name, 0755) < 0 && errno != EEXIST)
			return error_set(e, errno, "mkdir " CG_ROOT "/%s", l[i].name);
		if (l[i].src[0] && bind_at(l[i].src, mfd, l[i].name, insecure, e) < 0)
			return -1;
	}
	return copy_links(mfd, e);
}

/* v2: a cgroup namespace rooted at the step's cgroup (entered before the
 * mounts), and a cgroup2 mount of it; where the kernel refuses the mount
 * (no delegation to our user namespace), a bind of our cgroup's
 * directory, which shows the same files. */
static int mount_v2(int tfd, int insecure, struct error *e)
{
	unsigned attrs = CG_ATTRS | (insecure ? 0 : MOUNT_ATTR_RDONLY);
	cleanup_free char *cg = NULL, *path = NULL, *src = NULL;
	cleanup_close int mfd = -1;
	struct error ignored;

	if (read_file("/proc/self/cgroup", &cg, NULL, &ignored) == 0)
		path = own_path(cg, NULL);
	if (!path || strcmp(path, "/") == 0)
		return 0; /* the host's whole tree: none, as on v1 */
	if (unshare(CLONE_NEWCGROUP) < 0)
		return error_set(e, errno, "cgroup namespace");
	mfd = mounts_fs_new("cgroup2", NULL, attrs, e);
	if (mfd >= 0)
		return attach(mfd, tfd, e);
	src = xasprintf(CG_ROOT "%s", path);
	return bind_at(src, tfd, "", insecure, e);
}

int mounts_cgroup(int rootfd, int insecure, struct error *e)
{
	size_t n;
	int v2;
	cleanup_free struct hier *l = host_hiers(&n, &v2);
	cleanup_close int tfd = safe_open(rootfd, CG_ROOT, O_PATH | O_DIRECTORY, SAFE_IN_ROOT);

	if (tfd < 0) /* a sysfs without the directory: nothing to mount on */
		return errno == ENOENT ? 0 : error_set(e, errno, "open " CG_ROOT);
	if (n > 0)
		return mount_v1(tfd, l, n, insecure, e);
	if (v2)
		return mount_v2(tfd, insecure, e);
	return 0; /* no cgroup filesystem on the host: none in the RUN */
}

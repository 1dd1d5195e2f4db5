/* idmap: the rootless runtime's user namespace with the full subordinate
 * id map (see idmap.h). A process cannot map a range of ids it does not
 * own into its own namespace; the setuid helpers newuidmap/newgidmap,
 * which check /etc/subuid and /etc/subgid, may. They must run outside the
 * new namespace, so a child forked before the unshare runs them on the
 * parent once it has unshared. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "idmap.h"
#include "util.h"

int idmap_lookup(const char *file, const char *name, unsigned long id, struct idmap_range *out)
{
	cleanup_fclose FILE *f = fopen(file, "re");
	char line[512], who[256], idstr[32];
	unsigned long start, count;

	if (!f)
		return 0;
	snprintf(idstr, sizeof(idstr), "%lu", id);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%255[^:]:%lu:%lu", who, &start, &count) != 3 || count == 0)
			continue;
		if ((name && strcmp(who, name) == 0) || strcmp(who, idstr) == 0) {
			*out = (struct idmap_range){start, count};
			return 1;
		}
	}
	return 0;
}

char *idmap_user_name(const char *passwd_file, uid_t uid)
{
	cleanup_fclose FILE *f = fopen(passwd_file, "re");
	char line[1024], name[256];
	unsigned long id;

	/* Not getpwuid: the runtime is linked statically, where glibc's NSS
	 * modules cannot be loaded; the subid files name local users. */
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%255[^:]:%*[^:]:%lu:", name, &id) == 2 &&
		    id == (unsigned long)uid)
			return xstrdup(name);
	return NULL;
}

int idmap_is_mapped(const char *map_file, unsigned long id)
{
	cleanup_fclose FILE *f = fopen(map_file, "re");
	unsigned long inner, outer, count;

	while (f && fscanf(f, "%lu %lu %lu", &inner, &outer, &count) == 3)
		if (id >= inner && id - inner < count)
			return 1;
	return 0;
}

/* Runs HELPER PID 0 ID 1 1 START COUNT; its exit status (127: not run). */
static int run_helper(const char *helper, pid_t pid, unsigned long id, const struct idmap_range *r)
{
	char a[5][32];
	pid_t c;
	int st = 0;

	snprintf(a[0], sizeof(a[0]), "%d", (int)pid);
	snprintf(a[1], sizeof(a[1]), "%lu", id);
	snprintf(a[2], sizeof(a[2]), "%lu", r->start);
	snprintf(a[3], sizeof(a[3]), "%lu", r->count);
	c = fork();
	if (c == 0) {
		execlp(helper, helper, a[0], "0", a[1], "1", "1", a[2], a[3], (char *)NULL);
		_exit(127);
	}
	if (c < 0 || waitpid(c, &st, 0) < 0)
		return 127;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* The child: waits for the parent's unshare (one byte; EOF = it failed),
 * then maps its ids. Exit 0 when both maps are written. */
static void helper_main(int rfd, pid_t parent, const struct idmap_range ids[2])
{
	char go;
	int st;

	if (read(rfd, &go, 1) != 1)
		_exit(1);
	st = run_helper("newuidmap", parent, (unsigned long)geteuid(), &ids[0]);
	if (st == 0)
		st = run_helper("newgidmap", parent, (unsigned long)getegid(), &ids[1]);
	_exit(st);
}

/* Unshares and has the child map us; 0 or -1 with e set. */
static int map_self(const struct idmap_range ids[2], const char *name, struct error *e)
{
	int p[2], st = 0, r = 0;
	pid_t self = getpid(), c;

	if (pipe2(p, O_CLOEXEC) < 0)
		return error_set(e, errno, "pipe");
	fflush(NULL);
	c = fork();
	if (c == 0) {
		close(p[1]);
		helper_main(p[0], self, ids);
	}
	close(p[0]);
	if (c < 0)
		r = error_set(e, errno, "fork");
	else if (unshare(CLONE_NEWUSER) < 0)
		r = error_set(e, errno, "unshare user namespace");
	else if (write(p[1], "g", 1) != 1)
		r = error_set(e, errno, "wake the id map helper");
	close(p[1]);
	if (c > 0 && (waitpid(c, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) && r == 0)
		r = error_set(e, 0,
			      "newuidmap/newgidmap failed%s for %s's ranges in /etc/subuid and "
			      "/etc/subgid (package uidmap)",
			      WIFEXITED(st) && WEXITSTATUS(st) == 127 ? " (not installed?)" : "",
			      name);
	return r;
}

int idmap_enter(struct error *e)
{
	struct idmap_range ids[2];
	cleanup_free char *name = NULL;
	uid_t uid = geteuid();

	if (uid == 0)
		return 0;
	name = idmap_user_name("/etc/passwd", uid);
	if (!idmap_lookup("/etc/subuid", name, uid, &ids[0]) ||
	    !idmap_lookup("/etc/subgid", name, uid, &ids[1]))
		return 0; /* the single-id fallback (docs/sandbox.md) */
	if (map_self(ids, name ? name : "this user", e) < 0)
		return error_wrap(e, "rootless: map subordinate ids");
	return 1;
}

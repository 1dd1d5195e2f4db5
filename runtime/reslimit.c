/* reslimit: cgroups and rlimits for a RUN (see reslimit.h). */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "fsutil.h"
#include "reslimit.h"
#include "ulimit.h"
#include "util.h"

/* A spec limit value: -1 (unlimited) or more. */
static rlim_t limit_value(long long v)
{
	return v == -1 ? RLIM_INFINITY : (rlim_t)v;
}

static int plan_ulimits(struct reslimit *l, json_t *a, struct error *e)
{
	size_t i;
	json_t *u;

	json_array_foreach(a, i, u)
	{
		const char *name = json_string_value(json_object_get(u, "name"));
		json_t *soft = json_object_get(u, "soft"), *hard = json_object_get(u, "hard");
		struct reslimit_ulimit *x = &l->ulimits[l->nulimits];
		if (l->nulimits == LEN(l->ulimits))
			return error_set(e, 0, "spec: more than %zu ulimits", LEN(l->ulimits));
		x->resource = name ? ulimit_resource(name) : -1;
		if (x->resource < 0 || !json_is_integer(soft) || !json_is_integer(hard) ||
		    ulimit_check(json_integer_value(soft), json_integer_value(hard)) < 0)
			return error_set(e, 0, "spec: bad ulimit %zu", i);
		x->soft = limit_value(json_integer_value(soft));
		x->hard = limit_value(json_integer_value(hard));
		l->nulimits++;
	}
	return 0;
}

int reslimit_plan(struct reslimit *l, json_t *spec, struct error *e)
{
	json_t *o = json_object_get(spec, "limits"), *pids = json_object_get(o, "pids");
	json_t *mem = json_object_get(o, "memory");

	memset(l, 0, sizeof(*l));
	l->pids = RESLIMIT_DEFAULT_PIDS;
	if (!o)
		return 0;
	if (!json_is_object(o) || (pids && !json_is_integer(pids)) ||
	    (mem && (!json_is_integer(mem) || json_integer_value(mem) < 0)))
		return error_set(e, 0, "spec: bad limits");
	if (pids) /* docker: 0 or -1 means no limit */
		l->pids = json_integer_value(pids) > 0 ? json_integer_value(pids) : 0;
	l->memory = mem ? json_integer_value(mem) : 0;
	return plan_ulimits(l, json_object_get(o, "ulimits"), e);
}

/* Whether the list opts (separated by a char of sep) hold the word w. */
static int has_word(const char *opts, const char *w, const char *sep)
{
	size_t n = strlen(w);

	for (const char *p = opts; (p = strstr(p, w)); p += n)
		if ((p == opts || strchr(sep, p[-1])) && (!p[n] || strchr(sep, p[n])))
			return 1;
	return 0;
}

/* The runtime's own cgroup path for controller ctl (NULL: the v2
 * hierarchy) from /proc/self/cgroup. */
static int own_path(const char *ctl, char *out, size_t size)
{
	cleanup_fclose FILE *f = fopen("/proc/self/cgroup", "re");
	char line[4096];

	while (f && fgets(line, sizeof(line), f)) {
		char *list = strchr(line, ':'), *path = list ? strchr(list + 1, ':') : NULL;
		if (!path)
			continue;
		*path++ = '\0';
		path[strcspn(path, "\n")] = '\0';
		list++;
		if (ctl ? has_word(list, ctl, ",") : !*list) {
			snprintf(out, size, "%s", path);
			return 0;
		}
	}
	return -1;
}

/* The hierarchy's mount point and root, from a mountinfo line: "ID
 * PARENT MAJ:MIN ROOT MOUNT OPTS [TAGS...] - TYPE SOURCE SUPER". Split
 * in place (sscanf cost 3,000 instructions a line, ~20 % of a RUN's
 * parent process on a host with two dozen mounts); the other types'
 * lines are skipped unsplit. */
static int mount_of(char *line, const char *ctl, char *mnt, char *root)
{
	char *f[40];
	size_t dash;

	if (!strstr(line, " - cgroup") || mountinfo_split(line, f, LEN(f), &dash) < 0)
		return -1;
	if (strlen(f[3]) >= 4096 || strlen(f[4]) >= 4096)
		return -1;
	if (ctl ? strcmp(f[dash + 1], "cgroup") != 0 || !has_word(f[dash + 3], ctl, ",")
		: strcmp(f[dash + 1], "cgroup2") != 0)
		return -1;
	strcpy(root, f[3]);
	strcpy(mnt, f[4]);
	return 0;
}

/* The directory of the runtime's cgroup for ctl (NULL: v2). */
static int own_dir(const char *ctl, char *out, size_t size)
{
	cleanup_fclose FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[8192], mnt[4096], root[4096], path[4096];

	if (own_path(ctl, path, sizeof(path)) < 0)
		return -1;
	while (f && fgets(line, sizeof(line), f)) {
		if (mount_of(line, ctl, mnt, root) < 0)
			continue;
		size_t rl = strcmp(root, "/") == 0 ? 0 : strlen(root);
		if (rl && strncmp(path, root, rl) != 0)
			continue; /* our cgroup is not below this mount's root */
		int n = snprintf(out, size, "%s%s", mnt, path + rl);
		return n > 0 && (size_t)n < size ? 0 : -1;
	}
	return -1;
}

/* Writes text to dir/file. */
static int put(const char *dir, const char *file, const char *text)
{
	char p[4200];
	cleanup_close int fd = -1;

	snprintf(p, sizeof(p), "%s/%s", dir, file);
	fd = open(p, O_WRONLY | O_CLOEXEC);
	return fd < 0 ? -1 : write_all(fd, text, strlen(text));
}

/* The number after "key " in dir/file (pids.events "max 3"), or 0. */
static long long counter(const char *dir, const char *file, const char *key)
{
	char p[4200], *text = NULL, *at;
	struct error ignored;
	long long n = 0;

	snprintf(p, sizeof(p), "%s/%s", dir, file);
	if (read_file(p, &text, NULL, &ignored) < 0)
		return 0;
	at = strstr(text, key);
	if (at && (at == text || at[-1] == '\n'))
		n = atoll(at + strlen(key));
	free(text);
	return n;
}

/* Leaves of runtimes that were killed (SIGKILL leaves no time to remove
 * them): "df2make-KEY-PID" whose PID is gone. A live runtime's leaf is
 * never touched, even before its sandbox enters it. */
static void remove_stale(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char p[4400];

	while (d && (de = readdir(d))) {
		const char *dash = strrchr(de->d_name, '-');
		long pid = dash ? atol(dash + 1) : 0;
		if (!startswith(de->d_name, "df2make-") || pid <= 0 || kill((pid_t)pid, 0) == 0 ||
		    errno != ESRCH)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		(void)rmdir(p);
	}
	if (d)
		closedir(d);
}

/* A leaf cgroup for ctl: in the v2 hierarchy when the runtime's cgroup
 * delegates ctl (lists it in cgroup.subtree_control), else in ctl's v1
 * hierarchy; "" when neither can be made (no cgroup, not writable). */
static void leaf_for(const char *ctl, const char *name, char *out, size_t size)
{
	char dir[4096], sub[4200], *ctls = NULL;
	struct error ignored;

	if (own_dir(NULL, dir, sizeof(dir)) == 0) {
		snprintf(sub, sizeof(sub), "%s/cgroup.subtree_control", dir);
		if (read_file(sub, &ctls, NULL, &ignored) < 0 || !has_word(ctls, ctl, " \n"))
			dir[0] = '\0';
		free(ctls);
	} else
		dir[0] = '\0';
	if (!dir[0] && own_dir(ctl, dir, sizeof(dir)) < 0)
		dir[0] = '\0';
	if (dir[0])
		remove_stale(dir);
	snprintf(out, size, "%s/%s", dir, name);
	if (!dir[0] || (mkdir(out, 0755) < 0 && errno != EEXIST))
		out[0] = '\0';
}

/* Removes a leaf once the processes that were in it are gone: the pid
 * namespace's end kills them, but their exit takes a moment. */
static void remove_leaf(const char *dir)
{
	struct timespec ms = {0, 10 * 1000 * 1000};

	for (int i = 0; dir[0] && i < 300; i++) {
		if (rmdir(dir) == 0 || errno != EBUSY)
			return;
		nanosleep(&ms, NULL);
	}
}

void reslimit_cgroup_create(struct reslimit_cgroup *cg, const struct reslimit *l, const char *name)
{
	char v[32], swapfile[4200];

	cg->pids[0] = cg->memory[0] = '\0';
	cg->selffd[0] = cg->selffd[1] = -1;
	cg->byself[0] = cg->byself[1] = 0;
	if (l->pids) {
		leaf_for("pids", name, cg->pids, sizeof(cg->pids));
		snprintf(v, sizeof(v), "%lld", l->pids);
		if (cg->pids[0] && put(cg->pids, "pids.max", v) < 0) {
			remove_leaf(cg->pids);
			cg->pids[0] = '\0';
		}
	}
	if (!l->memory)
		return;
	leaf_for("memory", name, cg->memory, sizeof(cg->memory));
	snprintf(v, sizeof(v), "%lld", l->memory);
	snprintf(swapfile, sizeof(swapfile), "%s/memory.max", cg->memory);
	if (cg->memory[0] && access(swapfile, F_OK) == 0) { /* v2; no swap on top */
		if (put(cg->memory, "memory.max", v) < 0)
			cg->memory[0] = '\0';
		(void)put(cg->memory, "memory.swap.max", "0");
	} else if (cg->memory[0]) { /* v1: memsw (memory + swap) no more than memory */
		if (put(cg->memory, "memory.limit_in_bytes", v) < 0)
			cg->memory[0] = '\0';
		(void)put(cg->memory, "memory.memsw.limit_in_bytes", v);
	}
}

/* Writing a pid to cgroup.procs takes the cgroups' threadgroup lock for
 * writing (percpu_down_write), which waits for an RCU grace period
 * whenever no other attach ran during the last one: 0 to 15 ms of a
 * step's wall time on this machine (docs/benchmarks.md, "session 9"). A
 * thread that moves itself alone ("0" into a v1 leaf's "tasks" file)
 * takes no such lock; sandbox init is single-threaded, so it moves itself
 * whole. The fd is opened here, by the parent: v1 checks the opener's
 * credentials. v2 has no "tasks" file: its leaves stay the parent's. */
void reslimit_cgroup_open_self(struct reslimit_cgroup *cg)
{
	const char *dirs[] = {cg->pids, cg->memory};
	char p[4200];

	for (size_t i = 0; i < LEN(dirs); i++) {
		cg->selffd[i] = -1;
		if (!dirs[i][0] || (i == 1 && strcmp(dirs[0], dirs[1]) == 0))
			continue;
		snprintf(p, sizeof(p), "%s/tasks", dirs[i]);
		cg->selffd[i] = open(p, O_WRONLY | O_CLOEXEC);
		cg->byself[i] = cg->selffd[i] >= 0;
	}
}

int reslimit_cgroup_needs_parent(const struct reslimit_cgroup *cg)
{
	return (cg->pids[0] && !cg->byself[0]) ||
	       (cg->memory[0] && !cg->byself[1] && strcmp(cg->pids, cg->memory) != 0);
}

int reslimit_cgroup_enter(const struct reslimit_cgroup *cg, pid_t pid, struct error *e)
{
	char v[32];
	const char *dirs[] = {cg->pids, cg->memory};

	snprintf(v, sizeof(v), "%d", (int)pid);
	for (size_t i = 0; i < LEN(dirs); i++) {
		if (!dirs[i][0] || cg->byself[i] || (i == 1 && strcmp(dirs[0], dirs[1]) == 0))
			continue;
		if (put(dirs[i], "cgroup.procs", v) < 0)
			return error_set(e, errno, "enter cgroup %s", dirs[i]);
	}
	return 0;
}

int reslimit_cgroup_enter_self(struct reslimit_cgroup *cg, struct error *e)
{
	const char *dirs[] = {cg->pids, cg->memory};
	int r = 0;

	for (size_t i = 0; i < LEN(dirs); i++)
		if (r == 0 && cg->selffd[i] >= 0 && write_all(cg->selffd[i], "0", 1) < 0)
			r = error_set(e, errno, "%s", dirs[i]);
	/* Closed at once: no fd of init's (/proc/1/fd) leads to a host
	 * cgroup file while the command runs. */
	reslimit_cgroup_close_self(cg);
	return r;
}

void reslimit_cgroup_close_self(struct reslimit_cgroup *cg)
{
	for (size_t i = 0; i < LEN(cg->selffd); i++) {
		if (cg->selffd[i] >= 0)
			close(cg->selffd[i]);
		cg->selffd[i] = -1;
	}
}

/* "64m", "1g" when it divides, else bytes (docker's size syntax). */
static void fmt_size(char *out, size_t size, long long n)
{
	static const char units[] = "kmgt";
	int u = -1;

	while (u < 3 && n >= 1024 && n % 1024 == 0) {
		n /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(out, size, "%lld", n);
	else
		snprintf(out, size, "%lld%c", n, units[u]);
}

void reslimit_cgroup_finish(struct reslimit_cgroup *cg, const struct reslimit *l, char *note,
			    size_t size)
{
	char mem[32];
	int v2 = 0;

	note[0] = '\0';
	if (cg->memory[0]) {
		char f[4200];
		snprintf(f, sizeof(f), "%s/memory.events", cg->memory);
		v2 = access(f, F_OK) == 0;
		fmt_size(mem, sizeof(mem), l->memory);
		if (counter(cg->memory, v2 ? "memory.events" : "memory.oom_control", "oom_kill ") >
		    0)
			snprintf(note, size, "out of memory (--memory %s)", mem);
	}
	if (!note[0] && cg->pids[0] && counter(cg->pids, "pids.events", "max ") > 0)
		snprintf(note, size, "pids limit %lld reached (--pids-limit)", l->pids);
	remove_leaf(cg->pids);
	if (strcmp(cg->pids, cg->memory) != 0)
		remove_leaf(cg->memory);
	cg->pids[0] = cg->memory[0] = '\0';
}

static int has_ulimit(const struct reslimit *l, int resource)
{
	for (size_t i = 0; i < l->nulimits; i++)
		if (l->ulimits[i].resource == resource)
			return 1;
	return 0;
}

int reslimit_apply_rlimits(const struct reslimit *l, const struct reslimit_cgroup *cg,
			   struct error *e)
{
	struct rlimit r;

	for (size_t i = 0; i < l->nulimits; i++) {
		r.rlim_cur = l->ulimits[i].soft;
		r.rlim_max = l->ulimits[i].hard;
		if (setrlimit(l->ulimits[i].resource, &r) < 0)
			return error_set(e, errno, "--ulimit %s",
					 ulimit_name(l->ulimits[i].resource));
	}
	/* Fallbacks, best effort: RLIMIT_NPROC counts the user's processes
	 * on the whole host and does not bind root; RLIMIT_DATA bounds each
	 * process's heap, not the step's total. */
	r.rlim_cur = r.rlim_max = (rlim_t)l->pids;
	if (l->pids && !cg->pids[0] && !has_ulimit(l, RLIMIT_NPROC))
		(void)setrlimit(RLIMIT_NPROC, &r);
	r.rlim_cur = r.rlim_max = (rlim_t)l->memory;
	if (l->memory && !cg->memory[0] && !has_ulimit(l, RLIMIT_DATA))
		(void)setrlimit(RLIMIT_DATA, &r);
	return 0;
}

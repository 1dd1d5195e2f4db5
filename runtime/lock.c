/* lock: step locks for concurrent make runs on one state directory.
 *
 * Two makes on the same build both decide that a step is out of date and
 * both run it. Without locks, the second one's rt_reset_step would wipe
 * STATE/KEY/ while the first writes it, or while a later step of the first
 * build has it mounted as an overlay lower. So each step op holds
 * STATE/KEY.lock (flock, exclusive) and then checks whether another build
 * produced the op's output meanwhile: if so, it must not redo the step. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "fsutil.h"
#include "lock.h"
#include "progress.h"
#include "rt.h"
#include "trash.h"
#include "util.h"

/* Held until rt_step_unlock or exit; the kernel drops flocks of a killed
 * process, so a kill -9 never leaves a build locked. */
static int state_fd = -1, step_fd = -1;

int rt_key_valid(const char *key)
{
	size_t n = strspn(key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-");

	/* The key becomes a file name in STATE: no '/', no "..", no dot files. */
	return n > 0 && n <= 128 && key[n] == '\0';
}

/* The file whose presence means the op is done; NULL for pack, whose
 * output path is per build.mk (two builds may pack one key elsewhere). */
const char *rt_op_output(const char *op)
{
	static const char *const done_ops[] = {"add", "base", "copy", "run", "workdir"};

	for (size_t i = 0; i < LEN(done_ops); i++)
		if (strcmp(op, done_ops[i]) == 0)
			return ".done";
	if (strcmp(op, "layer") == 0)
		return ".layer";
	if (strcmp(op, "sum") == 0)
		return ".seen";
	return NULL;
}

/* flock that first tries without blocking, so a waiting build says why. */
static int lock_file(const char *path, int how, struct error *e)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	int r;

	if (fd < 0)
		return error_set(e, errno, "open lock %s", path);
	r = flock(fd, how | LOCK_NB);
	if (r < 0 && errno == EWOULDBLOCK) {
		progress_note("df2make-runtime: waiting for %s (another build holds it)", path);
		while ((r = flock(fd, how)) < 0 && errno == EINTR)
			;
	}
	if (r == 0)
		return fd;
	error_set(e, errno, "lock %s", path);
	close(fd);
	return -1;
}

static double ts_sec(struct timespec t)
{
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Start time (CLOCK_BOOTTIME seconds) and parent of a process, from
 * /proc/PID/stat; name gets its comm. */
static int proc_stat(pid_t pid, char name[32], pid_t *ppid, double *start)
{
	char path[64], buf[1024], *open_p, *close_p;
	unsigned long long ticks = 0;
	FILE *f;
	size_t n;
	int pp = 0;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	open_p = strchr(buf, '(');
	close_p = strrchr(buf, ')');
	if (!open_p || !close_p || close_p < open_p)
		return -1;
	snprintf(name, 32, "%.*s", (int)(close_p - open_p - 1), open_p + 1);
	/* After "(comm) ": state ppid ... field 22 (starttime) is the 20th. */
	if (sscanf(close_p + 2,
		   "%*c %d %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s "
		   "%*s %*s %*s %llu",
		   &pp, &ticks) != 2)
		return -1;
	*ppid = pp;
	*start = (double)ticks / (double)sysconf(_SC_CLK_TCK);
	return 0;
}

/* The make that runs this recipe: its pid, its start in clock ticks since
 * boot (pid + start name a process for good, pid reuse aside) and that
 * start as wall-clock seconds (truncated to a tick). */
struct make_id {
	pid_t pid; /* 0: not run by make */
	double start_ticks, start_wall;
};

/* Only the parent, or the parent of a recipe shell, counts: a make further
 * up (e.g. `make check` running a test script that calls the runtime by
 * hand) says nothing about this step. */
static struct make_id our_make(void)
{
	struct timespec now_real, now_boot;
	struct make_id m = {0};
	char name[32];
	pid_t pid = getppid(), ppid;
	double start;

	if (!getenv("MAKELEVEL"))
		return m;
	for (int depth = 0; depth < 2 && pid > 1; depth++, pid = ppid) {
		if (proc_stat(pid, name, &ppid, &start) < 0)
			return m;
		if (strcmp(name, "make") == 0 || strcmp(name, "gmake") == 0) {
			clock_gettime(CLOCK_REALTIME, &now_real);
			clock_gettime(CLOCK_BOOTTIME, &now_boot);
			m.pid = pid;
			m.start_ticks = start * (double)sysconf(_SC_CLK_TCK);
			m.start_wall = ts_sec(now_real) - (ts_sec(now_boot) - start);
			return m;
		}
		if (strcmp(name, "sh") != 0 && strcmp(name, "bash") != 0 &&
		    strcmp(name, "dash") != 0)
			return m;
	}
	return m;
}

/* 1 when the make (pid, start) still runs. */
static int make_alive(pid_t pid, double start_ticks)
{
	char name[32];
	pid_t ppid;
	double start;

	return pid > 0 && proc_stat(pid, name, &ppid, &start) == 0 &&
	       (long long)(start * (double)sysconf(_SC_CLK_TCK) + 0.5) ==
		   (long long)(start_ticks + 0.5);
}

/* The op's last writer as recorded in the step's lock file (lines "OP PID
 * START-TICKS"); pid 0 when none. */
static void writer_of(int lockfd, const char *op, pid_t *pid, double *ticks)
{
	char buf[512], name[16];
	ssize_t n = pread(lockfd, buf, sizeof(buf) - 1, 0);
	long p;
	double t;

	*pid = 0;
	buf[n > 0 ? n : 0] = '\0';
	for (char *line = buf; line && *line;
	     line = strchr(line, '\n'), line = line ? line + 1 : NULL)
		if (sscanf(line, "%15s %ld %lf", name, &p, &t) == 3 && strcmp(name, op) == 0) {
			*pid = (pid_t)p;
			*ticks = t;
		}
}

/* Did another build write path while we waited, or since our make began?
 * before: its stat before waiting (st_ino 0 when it did not exist).
 * Make's start is known only to a clock tick, and a file written just
 * before it must not count (that would keep a stale step), hence two ticks
 * of margin. Within them the recorded writer decides: a make other than
 * ours that is still running did it meanwhile (two makes started together
 * on a fast step: the other one's stamp lands within those ticks, and
 * redoing the step would wipe a directory that make is using). */
static int done_meanwhile(const char *path, const struct stat *before, const struct make_id *m,
			  int lockfd, const char *op)
{
	double tick = 1.0 / (double)sysconf(_SC_CLK_TCK), mt, wticks;
	struct stat st;
	pid_t wpid;

	if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	/* write_atomic renames a new inode into place: a different inode or
	 * time means someone rewrote it after we looked. */
	if (st.st_ino != before->st_ino || st.st_mtim.tv_sec != before->st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != before->st_mtim.tv_nsec)
		return 1;
	if (!m->pid)
		return 0;
	mt = ts_sec(st.st_mtim);
	if (mt > m->start_wall + 2 * tick)
		return 1;
	writer_of(lockfd, op, &wpid, &wticks);
	return mt >= m->start_wall - tick && wpid && wpid != m->pid && make_alive(wpid, wticks);
}

/* Creates the state dir 0700 when missing: its uppers hold whatever the
 * build's images hold, setuid-root binaries included, which other local
 * users must not reach (CVE-2021-41091). An existing dir is left as the
 * user made it. */
static int make_state_dir(const char *state, struct error *e)
{
	char *parent, *slash;
	int r = 0;

	if (access(state, F_OK) == 0)
		return 0;
	parent = xstrdup(state);
	slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = '\0';
		r = mkdir_p(parent, 0755, e);
	}
	free(parent);
	if (r == 0 && mkdir(state, 0700) < 0 && errno != EEXIST)
		r = error_set(e, errno, "create %s", state);
	return r;
}

static int take_locks(const struct rt *rt, const char *key, struct error *e)
{
	char *state_lock = path_join(rt->state, "lock");
	char *step_lock = rt_path(rt, key, ".lock");
	int r = 0;

	state_fd = lock_file(state_lock, LOCK_SH, e);
	if (state_fd < 0)
		r = -1;
	if (r == 0 && (step_fd = lock_file(step_lock, LOCK_EX, e)) < 0)
		r = -1;
	free(state_lock);
	free(step_lock);
	return r;
}

int rt_step_lock(const struct rt *rt, const char *op, const char *key, int *already_done,
		 struct error *e)
{
	const char *suffix = rt_op_output(op);
	char *out = suffix ? rt_path(rt, key, suffix) : NULL;
	char *prefix = xasprintf("%s.", key), *dir = rt_path(rt, key, NULL);
	struct stat before = {0};
	int r;

	*already_done = 0;
	if (!rt_key_valid(key)) {
		r = error_set(e, 0, "bad step key '%s'", key);
		goto out;
	}
	r = make_state_dir(rt->state, e);
	if (out && lstat(out, &before) < 0)
		memset(&before, 0, sizeof(before));
	if (r == 0)
		r = take_locks(rt, key, e);
	if (r < 0) {
		rt_step_unlock();
		goto out;
	}
	if (out) {
		struct make_id m = our_make();
		*already_done = done_meanwhile(out, &before, &m, step_fd, op);
	}
	/* temps of a killed run of this step: their flock died with it */
	tmp_sweep(rt->state, prefix);
	tmp_sweep(dir, "");
	trash_sweep(rt); /* a killed RUN's old directory (trash.h) */
out:
	free(out);
	free(prefix);
	free(dir);
	return r;
}

void rt_step_record(const char *op)
{
	struct make_id m = our_make();
	char buf[512], name[16], out[600];
	ssize_t n;
	size_t len = 0;

	if (step_fd < 0 || !m.pid)
		return;
	n = pread(step_fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	/* the other ops' lines stay; ours is replaced */
	for (char *line = buf; line && *line;) {
		char *nl = strchr(line, '\n');
		size_t l = nl ? (size_t)(nl - line) : strlen(line);
		if (sscanf(line, "%15s", name) == 1 && strcmp(name, op) != 0 && l < 100)
			len +=
			    (size_t)snprintf(out + len, sizeof(out) - len, "%.*s\n", (int)l, line);
		line = nl ? nl + 1 : NULL;
	}
	len += (size_t)snprintf(out + len, sizeof(out) - len, "%s %ld %.0f\n", op, (long)m.pid,
				m.start_ticks);
	if (pwrite(step_fd, out, len, 0) == (ssize_t)len)
		(void)!ftruncate(step_fd, (off_t)len);
}

void rt_step_unlock(void)
{
	if (step_fd >= 0)
		close(step_fd);
	if (state_fd >= 0)
		close(state_fd);
	step_fd = state_fd = -1;
}

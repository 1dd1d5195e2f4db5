/* sandbox_child: everything that runs inside the new namespaces. Init
 * (pid 1) waits for the parent's go, mounts the overlay rootfs and every
 * planned op, pivots into it, drops capabilities, takes the USER's ids
 * and execs the command itself: the command is pid 1, as under runc
 * (BuildKit). Whatever fails is sent to the parent as one SBM_ERROR
 * record: errno, the step the child was at, and the detail below it. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "idmap.h"
#include "mounts.h"
#include "progress.h"
#include "reslimit.h"
#include "rt.h"
#include "sandbox.h"
#include "sandbox_int.h"
#include "seccomp.h"
#include "snapshot.h"
#include "user.h"

/* The child's state: what it is doing (the step of an error record) and
 * the error. */
struct child {
	struct sandbox *sb;
	const char *root;
	int sock;
	struct user_ids ids;
	char step[sizeof(((struct sandbox_msg *)0)->step)];
	struct error e;
};

unsigned long long sandbox_default_caps(void)
{
	static const int caps[] = {
	    CAP_CHOWN,	 CAP_DAC_OVERRIDE, CAP_FSETID,		 CAP_FOWNER,
	    CAP_MKNOD,	 CAP_NET_RAW,	   CAP_SETGID,		 CAP_SETUID,
	    CAP_SETFCAP, CAP_SETPCAP,	   CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT,
	    CAP_KILL,	 CAP_AUDIT_WRITE};
	unsigned long long m = 0;

	for (size_t i = 0; i < LEN(caps); i++)
		m |= 1ULL << caps[i];
	return m;
}

/* Sends a record with no step (stub, timing, killed) to the parent. */
static void send_msg(int sock, int type, int num, const char *text)
{
	struct sandbox_msg m = {.type = type, .num = num};

	snprintf(m.text, sizeof(m.text), "%s", text);
	(void)!send(sock, &m, sizeof(m), MSG_NOSIGNAL);
}

/* Length of msg without the ": strerror(code)" error_set appended: the
 * parent renders the errno itself, from the record's number. */
static size_t detail_len(const struct error *e)
{
	size_t n = strnlen(e->msg, sizeof(e->msg) - 1), k;
	const char *s;

	if (!e->code)
		return n;
	s = strerror(e->code);
	k = strlen(s);
	if (n >= k + 2 && strcmp(e->msg + n - k, s) == 0 &&
	    memcmp(e->msg + n - k - 2, ": ", 2) == 0)
		return n - k - 2;
	return n;
}

/* The failure as a record: errno, step, detail. */
static void send_error(struct child *c)
{
	struct sandbox_msg m = {.type = SBM_ERROR, .num = c->e.code};

	snprintf(m.step, sizeof(m.step), "%s", c->step);
	snprintf(m.text, sizeof(m.text), "%.*s", (int)detail_len(&c->e), c->e.msg);
	(void)!send(c->sock, &m, sizeof(m), MSG_NOSIGNAL);
}

/* Names what the child does next, for the error record if it fails. */
__attribute__((format(printf, 2, 3))) static void child_step(struct child *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->step, sizeof(c->step), fmt, ap);
	va_end(ap);
}

/* A failed system call that the step names completely: errno, no detail. */
static int sys_fail(struct child *c)
{
	c->e.code = errno;
	c->e.msg[0] = '\0';
	return -1;
}

/* Rootless, only the ids of the namespace's map exist: just 0 without
 * subordinate ids (runtime/idmap.h). */
static int check_mapped(const struct user_ids *ids, struct error *e)
{
	if (idmap_is_mapped("/proc/self/uid_map", ids->uid) &&
	    idmap_is_mapped("/proc/self/gid_map", ids->gid))
		return 0;
	return error_set(e, EINVAL,
			 "uid %u gid %u: not mapped in this rootless sandbox (without ranges "
			 "for the user in /etc/subuid and /etc/subgid only root is; see "
			 "docs/sandbox.md)",
			 (unsigned)ids->uid, (unsigned)ids->gid);
}

/* nodev on the rootfs: a device node in a layer or made by the command
 * (it keeps CAP_MKNOD, as in Docker) can be created but never opened.
 * Docker refuses the open through the device cgroup (EPERM); here it is
 * EACCES. */
static int set_nodev(const char *root, struct error *e)
{
	struct mount_attr a = {.attr_set = MOUNT_ATTR_NODEV};

	if (mount_setattr(AT_FDCWD, root, 0, &a, sizeof(a)) < 0)
		return error_set(e, errno, "nodev");
	return 0;
}

/* Every planned op, in order, against the rootfs (rootfd, mounted at
 * root); then the mount points created for them go to the parent. */
static int mount_ops(struct child *c, int rootfd, const char *root)
{
	struct sandbox *sb = c->sb;

	for (size_t i = 0; i < sb->nops; i++) {
		child_step(c, "%s on %s", sandbox_kind_name(sb->ops[i].kind), sb->ops[i].dest);
		if (mounts_apply(sb, i, rootfd, root, &sb->stubs, &c->e) < 0)
			return -1;
	}
	mounts_apply_end();
	for (size_t i = 0; i < sb->stubs.n; i++)
		send_msg(c->sock, SBM_STUB, 0, sb->stubs.v[i]);
	return 0;
}

/* Network, hostname, and into the rootfs: an fd-based pivot stacks the
 * old root under "." and detaches it, so no host path stays reachable. */
static int enter_root(struct child *c)
{
	struct sandbox *sb = c->sb;

	child_step(c, "network");
	if (netns_child(&sb->net, &c->e) < 0)
		return -1;
	child_step(c, "sethostname");
	if (sethostname(sb->hostname, strlen(sb->hostname)) < 0)
		return sys_fail(c);
	child_step(c, "pivot_root into %s", c->root);
	if (chdir(c->root) < 0 || syscall(SYS_pivot_root, ".", ".") < 0)
		return sys_fail(c);
	child_step(c, "detach old root");
	if (umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
		return sys_fail(c);
	return 0;
}

/* Mounts the rootfs and every op at root; pivots into it. */
static int child_setup(struct child *c)
{
	struct sandbox *sb = c->sb;
	cleanup_close int rootfd = -1;
	cleanup_free char *real = NULL;

	/* First, before anything is forked: a v1 cgroup is entered from
	 * inside, without the lock the parent's write would take. */
	child_step(c, "enter cgroup");
	if (reslimit_cgroup_enter_self(&sb->cg, &c->e) < 0)
		return -1;
	/* a pooled network first: sysfs, mounted below, shows the mounter's */
	child_step(c, "network");
	if (netns_join(&sb->net, &c->e) < 0)
		return -1;
	/* rslave first: nothing we mount may propagate back to the host. */
	child_step(c, "make / rslave");
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return sys_fail(c);
	child_step(c, "mount rootfs");
	if (snapshot_mount_rw(sb->rt, sb->parent, sb->key, c->root, &sb->work, &c->e) < 0 ||
	    (!sb->insecure && set_nodev(c->root, &c->e) < 0))
		return -1;
	sb->userns = snapshot_in_userns();
	child_step(c, "open %s", c->root);
	rootfd = open(c->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return sys_fail(c);
	child_step(c, "USER %s", *sb->user ? sb->user : "root");
	if (user_resolve_exec(c->root, sb->user, &c->ids, &c->e) < 0 ||
	    check_mapped(&c->ids, &c->e) < 0)
		return -1;
	child_step(c, "WORKDIR %s", sb->workdir);
	if (mounts_mkdir_in_root(rootfd, sb->workdir, c->ids.uid, c->ids.gid, &c->e) < 0)
		return -1;
	/* Stubs are recognised by their /proc/self/fd path: the real one. */
	real = realpath(c->root, NULL);
	if (mount_ops(c, rootfd, real ? real : c->root) < 0)
		return -1;
	return enter_root(c);
}

struct capdata {
	struct __user_cap_header_struct hdr;
	struct __user_cap_data_struct data[2];
};

/* Docker's default set. The bounding set loses everything else first,
 * while we still hold CAP_SETPCAP, so that no later exec can regain it. */
static int drop_bounding(struct error *e)
{
	unsigned long long keep = sandbox_default_caps();

	for (int cap = 0; cap <= 63; cap++)
		if (!(keep & (1ULL << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 &&
		    errno != EINVAL)
			return error_set(e, errno, "drop capability %d", cap);
	return 0;
}

/* After setuid: root keeps the set as permitted/effective, other users
 * keep nothing (setuid cleared it); no inheritable, no ambient. */
static int set_caps(int root, struct error *e)
{
	unsigned long long eff = root ? sandbox_default_caps() : 0;
	struct capdata c = {.hdr = {_LINUX_CAPABILITY_VERSION_3, 0}};

	c.data[0].effective = c.data[0].permitted = (unsigned)eff;
	c.data[1].effective = c.data[1].permitted = (unsigned)(eff >> 32);
	if (syscall(SYS_capset, &c.hdr, c.data) < 0)
		return error_set(e, errno, "capset");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return error_set(e, errno, "clear ambient capabilities");
	return 0;
}

/* setgroups is denied in a rootless user namespace (required before an
 * unprivileged gid_map); the supplementary groups then stay unset. */
static int setgroups_allowed(void)
{
	char buf[16] = "";
	cleanup_close int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);

	if (fd >= 0)
		(void)!read(fd, buf, sizeof(buf) - 1);
	return strncmp(buf, "deny", 4) != 0;
}

static int set_ids(const struct user_ids *ids, struct error *e)
{
	if (setgroups_allowed() && setgroups(ids->ngroups, ids->groups) < 0)
		return error_set(e, errno, "setgroups");
	if (setresgid(ids->gid, ids->gid, ids->gid) < 0)
		return error_set(e, errno, "setgid %u", (unsigned)ids->gid);
	if (setresuid(ids->uid, ids->uid, ids->uid) < 0)
		return error_set(e, errno, "setuid %u", (unsigned)ids->uid);
	return 0;
}

/* execvp without its fallback: glibc runs a file the kernel refuses with
 * ENOEXEC through /bin/sh, where runc (BuildKit) fails with "exec format
 * error", the error that says a binary is of another platform. PATH is
 * searched as execvp does (a name with '/' is taken as is); the errno is
 * that of the last candidate, or of the first that was not ENOENT. */
static void exec_path(char *const *argv)
{
	const char *path = getenv("PATH"), *p, *end;
	char buf[PATH_MAX];
	int err = ENOENT;

	if (strchr(argv[0], '/') || !path) {
		execve(argv[0], argv, environ);
		return;
	}
	for (p = path;; p = end + 1) {
		end = strchrnul(p, ':');
		int n = snprintf(buf, sizeof(buf), "%.*s/%s", (int)(end - p), p, argv[0]);
		if (n > 0 && (size_t)n < sizeof(buf)) {
			execve(end == p ? argv[0] : buf, argv, environ);
			if (errno != ENOENT && errno != ENOTDIR && err == ENOENT)
				err = errno;
		}
		if (!*end)
			break;
	}
	errno = err;
}

/* The command's environment: the spec's, plus HOME from passwd (runc). */
static char **make_env(struct sandbox *sb, const struct user_ids *ids)
{
	int home = 0;

	for (size_t i = 0; i < sb->env.n; i++)
		home |= startswith(sb->env.v[i], "HOME=");
	if (!home)
		strlist_take(&sb->env, xasprintf("HOME=%s", ids->home ? ids->home : "/"));
	strlist_take(&sb->env, NULL);
	sb->env.n--;
	return sb->env.v;
}

/* stdin an empty pipe (its write end closed: a read gets end of file),
 * as BuildKit's command has (`test -p /dev/stdin` holds there);
 * stdout/stderr to the relay pipes unless quiet. A new session: the
 * command cannot TIOCSTI into the caller's tty. */
static int command_stdio(struct child *c)
{
	struct sandbox *sb = c->sb;
	int p[2];

	setsid();
	child_step(c, "stdin from an empty pipe");
	if (pipe2(p, O_CLOEXEC) < 0)
		return sys_fail(c);
	close(p[1]);
	if (dup2(p[0], 0) < 0)
		return sys_fail(c);
	child_step(c, "stdout/stderr to the relay");
	if (sb->outfd >= 0 && (dup2(sb->outfd, 1) < 0 || dup2(sb->errfd, 2) < 0))
		return sys_fail(c);
	return 0;
}

/* A change of the effective ids clears the parent-death signal: set it
 * again, so that the runtime's death still kills the command (pid 1: its
 * end is the sandbox's). If the runtime died before, its end of the
 * socket is closed: end here. (Exec of a setuid file clears it again;
 * then only the runtime's SIGINT/SIGTERM handler ends the sandbox.) */
static int rearm_pdeathsig(struct child *c)
{
	struct pollfd p = {.fd = c->sock, .events = POLLIN};

	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		return sys_fail(c);
	if (poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR)))
		_exit(125);
	return 0;
}

/* Limits, capabilities and ids, in the order that keeps the privilege to
 * drop the rest until the end. No no_new_privs: BuildKit's RUN may gain
 * privileges through setuid files and file capabilities (`USER app` then
 * `sudo`, `ping`), within the bounding set dropped here. */
static int command_privileges(struct child *c)
{
	struct sandbox *sb = c->sb;

	/* While we may still raise hard limits (CAP_SYS_RESOURCE). */
	child_step(c, "limits");
	if (reslimit_apply_rlimits(&sb->limits, &sb->cg, &c->e) < 0)
		return -1;
	child_step(c, "capabilities");
	if (!sb->insecure && drop_bounding(&c->e) < 0)
		return -1;
	child_step(c, "USER %s", *sb->user ? sb->user : "root");
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return sys_fail(c);
	if (set_ids(&c->ids, &c->e) < 0 || rearm_pdeathsig(c) < 0)
		return -1;
	child_step(c, "capabilities");
	if (!sb->insecure && set_caps(c->ids.uid == 0, &c->e) < 0)
		return -1;
	return 0;
}

/* Every signal back to its default, none blocked. An ignored one stays ignored across
 * exec, and the runtime inherits them from whoever started make (a
 * background job ignores SIGINT and SIGQUIT; GNU make's children have 32
 * and 33 ignored): BuildKit's command starts with none ignored. The raw
 * call, with an all-zero action (SIG_DFL, no flags, empty mask, in every
 * architecture's layout): glibc refuses its own 32 and 33. */
static void default_signals(void)
{
	unsigned long dfl[8] = {0};
	sigset_t none;

	for (int sig = 1; sig < 65; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)syscall(SYS_rt_sigaction, sig, dfl, NULL, 8);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Init becomes the command. Only returns on error. */
static int exec_command(struct child *c)
{
	extern char **environ;
	struct sandbox *sb = c->sb;

	if (command_stdio(c) < 0)
		return -1;
	/* The filter goes in while we still hold CAP_SYS_ADMIN: without
	 * no_new_privs the kernel takes it only from a caller that has it.
	 * What we do after it (limits, ids, capabilities, chdir, exec) uses
	 * no call it denies; init made every mount before. */
	child_step(c, "seccomp");
	if (!sb->insecure && seccomp_install(&c->e) < 0)
		return -1;
	if (command_privileges(c) < 0)
		return -1;
	/* The caller's umask must not leak into the image (runc uses 022). */
	umask(022);
	child_step(c, "chdir %s", sb->workdir);
	if (chdir(sb->workdir) < 0)
		return sys_fail(c);
	environ = make_env(sb, &c->ids);
	/* Nothing of ours leaks into the command: every fd but 0-2 closes on exec. */
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	default_signals();
	child_step(c, "exec %s", sb->argv.v[0]);
	exec_path(sb->argv.v);
	return sys_fail(c);
}

static long long setup_wall, setup_cpu;

static long long cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void start_setup_timing(void)
{
	setup_wall = progress_now();
	setup_cpu = cpu_now();
}

/* DF2MAKE_TIMING: init's set-up time ("wall/cpu" ms) for the breakdown. */
static void send_setup_timing(int sock)
{
	char t[64];

	if (!getenv("DF2MAKE_TIMING"))
		return;
	snprintf(t, sizeof(t), "%.2f/%.2f", (double)(progress_now() - setup_wall) / 1e6,
		 (double)(cpu_now() - setup_cpu) / 1e6);
	send_msg(sock, SBM_TIMING, 0, t);
}

_Noreturn void sandbox_child_main(struct sandbox *sb, const char *root, int sock)
{
	struct child c = {.sb = sb, .root = root, .sock = sock};
	struct sandbox_msg go;

	/* If the runtime dies, the whole sandbox (pid namespace) goes too. */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (recv(sock, &go, sizeof(go), 0) != (ssize_t)sizeof(go) || go.type != SBM_GO)
		_exit(125);
	start_setup_timing();
	if (child_setup(&c) < 0) {
		send_error(&c);
		_exit(125);
	}
	send_setup_timing(sock);
	/* Meanwhile the parent put us in the step's cgroup and brought the
	 * default network's stack up (release_child): nothing is forked
	 * before, so the command and all it starts are born in the cgroup. */
	if (sandbox_waits_release(sb) &&
	    (recv(sock, &go, sizeof(go), 0) != (ssize_t)sizeof(go) || go.type != SBM_RELEASE))
		_exit(125);
	/* The command is pid 1: when it exits, the kernel kills whatever it
	 * left in the namespace, and the parent's wait returns only once
	 * they are gone. The error record precedes the exec's end of file. */
	exec_command(&c);
	send_error(&c);
	_exit(127);
}

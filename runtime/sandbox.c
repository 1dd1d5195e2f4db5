/* sandbox: plan a RUN step's set-up as a list of ops, then run it.
 *
 * Processes: the runtime (parent) clone()s the sandbox init (pid 1 of a
 * new pid namespace, in new mount/uts/ipc[/net][/user] namespaces). The
 * parent writes the id maps (rootless), then lets init go. Init mounts the
 * overlay rootfs and every op, pivots into it, and forks the command (pid
 * 2), forwarding signals and reaping orphans; the command drops
 * capabilities, takes the USER's ids and execs. Errors on the child side
 * travel to the parent as messages on a SOCK_SEQPACKET socketpair. */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "fsutil.h"
#include "ignore.h"
#include "mounts.h"
#include "progress.h"
#include "rt.h"
#include "sandbox.h"
#include "seccomp.h"
#include "snapshot.h"
#include "user.h"

/* ---- the plan ---- */

struct sandbox_op *sandbox_add(struct sandbox *sb, enum sandbox_kind kind, const char *src,
			       const char *dest, unsigned flags)
{
	struct sandbox_op *op;

	sb->ops = xreallocarray(sb->ops, sb->nops + 1, sizeof(*sb->ops));
	op = &sb->ops[sb->nops++];
	memset(op, 0, sizeof(*op));
	op->kind = kind;
	op->flags = flags;
	op->src = src ? xstrdup(src) : NULL;
	op->dest = xstrdup(dest);
	return op;
}

static void add_file(struct sandbox *sb, const char *dest, char *data, mode_t mode, unsigned flags)
{
	struct sandbox_op *op = sandbox_add(sb, SB_FILE, NULL, dest, SB_RO | flags);

	op->data = data;
	op->len = strlen(data);
	op->mode = mode;
}

/* runc's /proc hardening: kernel knobs read-only, leaky files masked. */
static void plan_proc(struct sandbox *sb)
{
	static const char *ro[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
				   "/proc/sysrq-trigger"};
	static const char *mask[] = {"/proc/acpi", "/proc/asound",	  "/proc/kcore",
				     "/proc/keys", "/proc/latency_stats", "/proc/sched_debug",
				     "/proc/scsi", "/proc/timer_list",	  "/proc/timer_stats"};

	sandbox_add(sb, SB_PROC, NULL, "/proc", SB_KEEPSTUB);
	for (size_t i = 0; i < LEN(ro); i++)
		sandbox_add(sb, SB_RDONLY, NULL, ro[i], 0);
	for (size_t i = 0; i < LEN(mask); i++)
		sandbox_add(sb, SB_MASK, NULL, mask[i], 0);
}

/* A minimal /dev: tmpfs with the host's device nodes (made with mknod as
 * runc does, bound in rootless where mknod is not allowed), devpts, shm,
 * mqueue. */
static void plan_dev(struct sandbox *sb)
{
	static const char *devs[] = {"null", "zero", "full", "random", "urandom", "tty"};
	static const char *links[][2] = {
	    {"/proc/self/fd", "/dev/fd"},	{"/proc/self/fd/0", "/dev/stdin"},
	    {"/proc/self/fd/1", "/dev/stdout"}, {"/proc/self/fd/2", "/dev/stderr"},
	    {"/proc/kcore", "/dev/core"},	{"pts/ptmx", "/dev/ptmx"}};
	char path[32];

	sandbox_add(sb, SB_TMPFS, NULL, "/dev", SB_KEEPSTUB)->data =
	    xstrdup("mode=755,size=65536k");
	for (size_t i = 0; i < LEN(devs); i++) {
		snprintf(path, sizeof(path), "/dev/%s", devs[i]);
		sandbox_add(sb, SB_DEVICE, path, path, 0);
	}
	for (size_t i = 0; i < LEN(links); i++)
		sandbox_add(sb, SB_SYMLINK, links[i][0], links[i][1], 0);
	sandbox_add(sb, SB_DEVPTS, NULL, "/dev/pts", 0);
	sandbox_add(sb, SB_TMPFS, NULL, "/dev/shm", SB_NOSUID)->data =
	    xstrdup("mode=1777,size=65536k");
	sandbox_add(sb, SB_MQUEUE, NULL, "/dev/mqueue", 0);
}

/* /etc/hosts and /etc/resolv.conf: generated, mounted read-only from a
 * private tmpfs so they never reach the layer (BuildKit). An /etc made
 * for them stays, as it does in BuildKit's layers. */
static void plan_etc(struct sandbox *sb)
{
	char *host = NULL;
	struct error ignored;

	add_file(sb, "/etc/hosts",
		 xasprintf("127.0.0.1\tlocalhost %s\n::1\tlocalhost ip6-localhost ip6-loopback\n",
			   sb->hostname),
		 0644, SB_KEEPDIRS);
	if (read_file("/etc/resolv.conf", &host, NULL, &ignored) < 0)
		host = NULL;
	add_file(sb, "/etc/resolv.conf", netns_resolv_conf(&sb->net, host), 0644, SB_KEEPDIRS);
	free(host);
}

static void plan_heredocs(struct sandbox *sb, json_t *heredocs)
{
	size_t i;
	json_t *h;

	json_array_foreach(heredocs, i, h)
	{
		const char *path = json_string_value(json_object_get(h, "path"));
		const char *content = json_string_value(json_object_get(h, "content"));
		json_t *mode = json_object_get(h, "mode");
		if (path && content)
			add_file(sb, path, xstrdup(content),
				 json_is_integer(mode) ? (mode_t)json_integer_value(mode) : 0755,
				 0);
	}
}

static int plan_strings(struct strlist *l, json_t *a, const char *what, struct error *e)
{
	size_t i;
	json_t *v;

	if (a && !json_is_array(a))
		return error_set(e, 0, "spec: %s must be a list", what);
	json_array_foreach(a, i, v)
	{
		if (!json_is_string(v))
			return error_set(e, 0, "spec: %s[%zu] is not a string", what, i);
		strlist_add(l, json_string_value(v));
	}
	return 0;
}

static char *spec_str(json_t *spec, const char *k, const char *def)
{
	const char *v = json_string_value(json_object_get(spec, k));

	return xstrdup(v && *v ? v : def);
}

int sandbox_plan(struct sandbox *sb, const struct rt *rt, const char *key, json_t *spec,
		 struct error *e)
{
	const char *net = json_string_value(json_object_get(spec, "network"));
	const char *sec = json_string_value(json_object_get(spec, "security"));

	memset(sb, 0, sizeof(*sb));
	sb->rt = rt;
	sb->key = key;
	sb->parent = json_string_value(json_object_get(spec, "parent"));
	if (plan_strings(&sb->argv, json_object_get(spec, "args"), "args", e) < 0 ||
	    plan_strings(&sb->env, json_object_get(spec, "env"), "env", e) < 0)
		return -1;
	if (sb->argv.n == 0)
		return error_set(e, 0, "spec: args is empty");
	sb->user = spec_str(spec, "user", "");
	sb->workdir = spec_str(spec, "workdir", "/");
	sb->hostname = spec_str(spec, "hostname", "buildkitsandbox");
	if (netns_plan(&sb->net, net, e) < 0)
		return -1;
	sb->insecure = sec && strcmp(sec, "insecure") == 0;
	plan_proc(sb);
	plan_dev(sb);
	sandbox_add(sb, SB_SYSFS, NULL, "/sys", SB_KEEPSTUB | SB_RO);
	sandbox_add(sb, SB_MASK, NULL, "/sys/firmware", 0);
	plan_etc(sb);
	if (mounts_plan(sb, json_object_get(spec, "mounts"), sb->workdir, e) < 0)
		return -1;
	plan_heredocs(sb, json_object_get(spec, "heredocs"));
	return 0;
}

static const char *kind_name(enum sandbox_kind k)
{
	static const char *names[] = {"proc", "tmpfs", "devpts",  "mqueue", "sysfs",  "bind",
				      "view", "file",  "symlink", "mask",   "rdonly", "device"};
	return names[k];
}

/* What a plain op line does not show: seed, ignore file, ssh relay. */
static void print_extra(const struct sandbox_op *op, FILE *f)
{
	if (op->seed)
		fprintf(f, " seed=%s%s:%s", op->flags & SB_SEEDSTEP ? "step " : "", op->seed,
			op->seed_sub);
	if (op->ignore)
		fprintf(f, " ignore=%s%s", op->ignore, op->ig ? "" : " (empty)");
	if (op->flags & SB_PROXY)
		fprintf(f, " relay=%s (mode %04o, %u:%u)", op->data, (unsigned)op->mode,
			(unsigned)op->uid, (unsigned)op->gid);
}

void sandbox_print(const struct sandbox *sb, FILE *f)
{
	for (size_t i = 0; i < sb->nops; i++) {
		const struct sandbox_op *op = &sb->ops[i];
		fprintf(f, "%s%s%s%s%s", kind_name(op->kind), op->flags & SB_RO ? ",ro" : "",
			op->flags & SB_DISCARD ? ",discard" : "",
			op->flags & SB_KEEPSTUB ? ",keep" : "",
			op->sharing ? (op->sharing == 'p'   ? ",private"
				       : op->sharing == 'l' ? ",locked"
							    : ",shared")
				    : "");
		if (op->src)
			fprintf(f, " %s%s%s", op->src, op->sub ? ":" : "", op->sub ? op->sub : "");
		fprintf(f, " %s", op->dest);
		if (op->kind == SB_FILE) /* never the content: it may be a secret */
			fprintf(f, " (%zu bytes, mode %04o, %u:%u)", op->len, (unsigned)op->mode,
				(unsigned)op->uid, (unsigned)op->gid);
		else if (op->sharing)
			fprintf(f, " (mode %04o, %u:%u)", (unsigned)op->mode, (unsigned)op->uid,
				(unsigned)op->gid);
		else if (op->data && !(op->flags & SB_PROXY))
			fprintf(f, " (%s)", op->data);
		print_extra(op, f);
		fputc('\n', f);
	}
	for (size_t i = 0; i < sb->env.n; i++)
		if (startswith(sb->env.v[i], "SSH_AUTH_SOCK="))
			fprintf(f, "env %s\n", sb->env.v[i]);
}

void sandbox_free(struct sandbox *sb)
{
	for (size_t i = 0; i < sb->nops; i++) {
		struct sandbox_op *op = &sb->ops[i];
		if (op->kind == SB_FILE && op->data)
			memset(op->data, 0, op->len); /* secrets do not linger */
		free(op->src);
		free(op->sub);
		free(op->dest);
		free(op->data);
		free(op->seed);
		free(op->seed_sub);
		free(op->fresh);
		free(op->ignore);
		ignore_free(op->ig);
	}
	free(sb->ops);
	strlist_free(&sb->argv);
	strlist_free(&sb->env);
	strlist_free(&sb->stubs);
	free(sb->user);
	free(sb->workdir);
	free(sb->hostname);
	netns_free(&sb->net);
	memset(sb, 0, sizeof(*sb));
}

/* ---- child side ---- */

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

/* Sends one message ('E'rror, 'S'tub, 'K'illed by signal) to the parent. */
static void send_msg(int sock, char type, const char *text)
{
	char buf[sizeof(((struct error *)0)->msg) + 2];
	int n = snprintf(buf, sizeof(buf), "%c%s", type, text);

	if (n > (int)sizeof(buf) - 1)
		n = (int)sizeof(buf) - 1;
	(void)!send(sock, buf, (size_t)n, MSG_NOSIGNAL);
}

/* Only uid 0 is mapped in a rootless sandbox (no subordinate ids). */
static int check_mapped(const struct user_ids *ids, struct error *e)
{
	FILE *f = fopen("/proc/self/uid_map", "re");
	unsigned long a, b, count = 0;

	if (f && fscanf(f, "%lu %lu %lu", &a, &b, &count) == 3 && count == 1 &&
	    (ids->uid != 0 || ids->gid != 0)) {
		fclose(f);
		return error_set(e, EINVAL,
				 "uid %u gid %u: a rootless sandbox maps only root (run as root "
				 "for other users)",
				 (unsigned)ids->uid, (unsigned)ids->gid);
	}
	if (f)
		fclose(f);
	return 0;
}

/* Mounts the rootfs and every op at root; pivots into it. */
static int child_setup(struct sandbox *sb, const char *root, struct user_ids *ids, int sock,
		       struct error *e)
{
	int rootfd = -1;
	char *real;

	/* rslave first: nothing we mount may propagate back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return error_set(e, errno, "make / rslave");
	if (snapshot_mount_rw(sb->rt, sb->parent, sb->key, root, e) < 0)
		return error_wrap(e, "mount rootfs");
	sb->userns = snapshot_in_userns();
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return error_set(e, errno, "open %s", root);
	if (user_resolve_exec(root, sb->user, ids, e) < 0 || check_mapped(ids, e) < 0)
		return error_wrap(e, "USER %s", *sb->user ? sb->user : "root");
	if (mounts_mkdir_in_root(rootfd, sb->workdir, ids->uid, ids->gid, e) < 0)
		return error_wrap(e, "WORKDIR %s", sb->workdir);
	/* Stubs are recognised by their /proc/self/fd path: the real one. */
	real = realpath(root, NULL);
	for (size_t i = 0; i < sb->nops; i++)
		if (mounts_apply(sb, i, rootfd, real ? real : root, &sb->stubs, e) < 0)
			return error_wrap(e, "%s on %s", kind_name(sb->ops[i].kind),
					  sb->ops[i].dest);
	free(real);
	close(rootfd);
	for (size_t i = 0; i < sb->stubs.n; i++)
		send_msg(sock, 'S', sb->stubs.v[i]);
	if (netns_child(&sb->net, e) < 0)
		return error_wrap(e, "network");
	if (sethostname(sb->hostname, strlen(sb->hostname)) < 0)
		return error_set(e, errno, "sethostname");
	/* fd-based pivot: the old root is stacked under "." and detached, so
	 * no host path stays reachable. */
	if (chdir(root) < 0 || syscall(SYS_pivot_root, ".", ".") < 0)
		return error_set(e, errno, "pivot_root into %s", root);
	if (umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
		return error_set(e, errno, "detach old root");
	return 0;
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
	int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		(void)!read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
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

/* pid 2: becomes the command. Only returns on error. */
static int exec_command(struct sandbox *sb, const struct user_ids *ids, struct error *e)
{
	extern char **environ;
	int fd;

	/* A new session: the command cannot TIOCSTI into the caller's tty. */
	setsid();
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || dup2(fd, 0) < 0)
		return error_set(e, errno, "stdin from /dev/null");
	if (sb->outfd >= 0 && (dup2(sb->outfd, 1) < 0 || dup2(sb->errfd, 2) < 0))
		return error_set(e, errno, "stdout/stderr to the relay");
	if (!sb->insecure && drop_bounding(e) < 0)
		return -1;
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0 || set_ids(ids, e) < 0)
		return -1;
	if (!sb->insecure && set_caps(ids->uid == 0, e) < 0)
		return -1;
	/* no_new_privs: setuid binaries and file caps cannot raise privileges. */
	if (!sb->insecure && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return error_set(e, errno, "no_new_privs");
	/* The caller's umask must not leak into the image (runc uses 022). */
	umask(022);
	if (chdir(sb->workdir) < 0)
		return error_set(e, errno, "chdir %s", sb->workdir);
	/* Last, after our own mount/prctl calls: the command may not make
	 * namespaces, load modules, use keyrings... (Docker's profile). */
	if (!sb->insecure && seccomp_install(e) < 0)
		return -1;
	environ = make_env(sb, ids);
	/* Nothing of ours leaks into the command: every fd but 0-2 closes on exec. */
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	execvp(sb->argv.v[0], sb->argv.v);
	return error_set(e, errno, "exec %s", sb->argv.v[0]);
}

static volatile pid_t forward_to;

static void forward_signal(int sig)
{
	if (forward_to > 0)
		kill(forward_to, sig);
}

/* pid 1: forwards signals, reaps orphans, exits with the command's status. */
static _Noreturn void init_wait(pid_t cmd, int sock)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
	struct sigaction sa = {.sa_handler = forward_signal};
	char num[16];
	int st = 0;
	pid_t w;

	forward_to = cmd;
	for (size_t i = 0; i < LEN(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
	while ((w = waitpid(-1, &st, 0)) != cmd)
		if (w < 0 && errno != EINTR)
			_exit(125);
	if (WIFSIGNALED(st)) {
		snprintf(num, sizeof(num), "%d", WTERMSIG(st));
		send_msg(sock, 'K', num);
		_exit(128 + WTERMSIG(st));
	}
	_exit(WEXITSTATUS(st));
}

struct spawn {
	struct sandbox *sb;
	const struct user_ids *ids;
	int sock;
};

static int command_main(void *arg)
{
	struct spawn *sp = arg;
	struct error e = {0};

	exec_command(sp->sb, sp->ids, &e);
	send_msg(sp->sock, 'E', e.msg);
	_exit(127);
}

/* The command as pid 2. CLONE_VM|CLONE_VFORK (posix_spawn's way): init's
 * large address space is not copied just to be replaced by exec, and
 * init sleeps until the exec, so sharing its memory is safe. */
static pid_t spawn_command(struct sandbox *sb, const struct user_ids *ids, int sock)
{
	static char stack[256 * 1024] __attribute__((aligned(16)));
	struct spawn sp = {sb, ids, sock};

	return clone(command_main, stack + sizeof(stack), CLONE_VM | CLONE_VFORK | SIGCHLD, &sp);
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
	send_msg(sock, 'T', t);
}

static _Noreturn void child_main(struct sandbox *sb, const char *root, int sock)
{
	struct user_ids ids = {0};
	struct error e = {0};
	char go;
	pid_t cmd;

	/* If the runtime dies, the whole sandbox (pid namespace) goes too. */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (recv(sock, &go, 1, 0) != 1)
		_exit(125);
	start_setup_timing();
	if (child_setup(sb, root, &ids, sock, &e) < 0) {
		send_msg(sock, 'E', e.msg);
		_exit(125);
	}
	send_setup_timing(sock);
	cmd = spawn_command(sb, &ids, sock);
	if (cmd < 0) {
		error_set(&e, errno, "fork");
		send_msg(sock, 'E', e.msg);
		_exit(125);
	}
	init_wait(cmd, sock);
}

/* ---- parent side ---- */

struct child_io {
	int sock;			/* the child's message socket */
	struct progress_relay relay[2]; /* its stdout and stderr; in = -1 when inherited */
	int failed, signo;
};

/* One message from the child: a stub, the killing signal, or an error. */
static void handle_msg(struct sandbox *sb, struct child_io *io, char *buf, struct error *e)
{
	if (buf[0] == 'S')
		strlist_add(&sb->stubs, buf + 1);
	else if (buf[0] == 'K')
		io->signo = atoi(buf + 1);
	else if (buf[0] == 'T')
		snprintf(sb->setup_timing, sizeof(sb->setup_timing), "%.60s", buf + 1);
	else if (buf[0] == 'E' && !io->failed) {
		io->failed = 1;
		error_set(e, 0, "%s", buf + 1);
	}
}

/* Reads one message; 0 once every copy of the child's socket is closed. */
static int read_msg(struct sandbox *sb, struct child_io *io, struct error *e)
{
	char buf[sizeof(e->msg) + 2];
	ssize_t n = recv(io->sock, buf, sizeof(buf) - 1, 0);

	if (n < 0 && errno == EINTR)
		return 1;
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	handle_msg(sb, io, buf, e);
	return 1;
}

/* Serves the child's socket and output pipes until all reach end of file
 * (the sandbox's pid 1 holds them to its end). */
static void serve_child(struct sandbox *sb, struct child_io *io, struct error *e)
{
	struct pollfd p[3] = {{.fd = io->sock, .events = POLLIN},
			      {.fd = io->relay[0].in, .events = POLLIN},
			      {.fd = io->relay[1].in, .events = POLLIN}};

	while (p[0].fd >= 0 || p[1].fd >= 0 || p[2].fd >= 0) {
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents && !read_msg(sb, io, e))
			p[0].fd = -1;
		for (int i = 1; i < 3; i++)
			if (p[i].revents && !progress_relay_read(&io->relay[i - 1]))
				p[i].fd = -1;
	}
}

static int clone_flags(const struct sandbox *sb, int rootless)
{
	return CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC |
	       netns_clone_flag(&sb->net) | (rootless ? CLONE_NEWUSER : 0);
}

/* Unless quiet, the command's stdout and stderr go through pipes that the
 * parent relays with a "#KEY8 " prefix; quiet runs inherit them as is. */
static int open_output(struct sandbox *sb, struct child_io *io, struct error *e)
{
	int out[2] = {-1, -1}, err[2] = {-1, -1};

	sb->outfd = sb->errfd = -1;
	if (!sb->rt->quiet && (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)) {
		int saved = errno;
		if (out[0] >= 0) {
			close(out[0]);
			close(out[1]);
		}
		return error_set(e, saved, "output pipes");
	}
	progress_relay_init(&io->relay[0], sb->key, out[0], 1);
	progress_relay_init(&io->relay[1], sb->key, err[0], 2);
	sb->outfd = out[1];
	sb->errfd = err[1];
	return 0;
}

/* The parent's copies: write ends after the clone, read ends at the end. */
static void close_ends(int *a, int *b)
{
	if (*a >= 0)
		close(*a);
	if (*b >= 0)
		close(*b);
	*a = *b = -1;
}

/* Starts the child, maps ids, collects messages, output and exit status. */
static int run_child(struct sandbox *sb, const char *root, int *status, struct error *e)
{
	int sp[2], rootless = geteuid() != 0, st;
	struct child_io io = {0};
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return error_set(e, errno, "socketpair");
	if (open_output(sb, &io, e) < 0) {
		close_ends(&sp[0], &sp[1]);
		return -1;
	}
	fflush(NULL);
	pid =
	    (pid_t)syscall(SYS_clone, clone_flags(sb, rootless) | SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid == 0) {
		close(sp[0]);
		child_main(sb, root, sp[1]);
	}
	close(sp[1]);
	close_ends(&sb->outfd, &sb->errfd);
	io.sock = sp[0];
	if (pid < 0) {
		error_set(e, errno, "clone namespaces");
		io.failed = 1;
	} else if (rootless && snapshot_map_ids(pid, geteuid(), getegid(), e) < 0) {
		kill(pid, SIGKILL);
		io.failed = 1;
		error_wrap(e, "map ids");
	} else if (netns_start(&sb->net, pid, rootless, e) < 0) {
		kill(pid, SIGKILL);
		io.failed = 1;
	} else if (send(sp[0], "G", 1, MSG_NOSIGNAL) != 1) {
		io.failed = 1;
		error_set(e, errno, "start sandbox");
	}
	if (pid > 0)
		serve_child(sb, &io, e);
	close(sp[0]);
	close_ends(&io.relay[0].in, &io.relay[1].in);
	while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	netns_stop(&sb->net); /* the step is over: no stack process outlives it */
	if (io.failed)
		return -1;
	sb->signo = io.signo ? io.signo : WIFSIGNALED(st) ? WTERMSIG(st) : 0;
	*status = io.signo	    ? 128 + io.signo
		  : WIFSIGNALED(st) ? 128 + WTERMSIG(st)
				    : WEXITSTATUS(st);
	return 0;
}

int sandbox_run(struct sandbox *sb, int *status, struct error *e)
{
	struct mounts_locks locks = {0};
	/* One mount point for every step: each sandbox mounts its rootfs there
	 * in its own mount namespace only, so concurrent steps do not meet,
	 * and no directory is made and removed per step. */
	char *root = xasprintf("%s/.root", sb->rt->state);
	int r = -1;

	if (snapshot_mkdir(root, 0755, e) == 0 && netns_prepare(&sb->net, e) == 0 &&
	    mounts_prepare(sb, &locks, e) == 0)
		r = run_child(sb, root, status, e);
	mounts_unlock(sb, &locks);
	free(root);
	return r;
}

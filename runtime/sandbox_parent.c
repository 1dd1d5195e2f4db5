/* sandbox_parent: what the runtime does while the sandbox runs. It takes
 * the mounts' locks and relays (mounts_prepare), clones the child into
 * new namespaces (clone_flags: the one place that chooses them), acts on
 * it from outside (after_clone: id maps), lets it go, then serves its
 * error/stub records and relays its output until everything reaches end
 * of file, and turns its exit into a status. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "reslimit.h"
#include "mounts.h"
#include "progress.h"
#include "rt.h"
#include "sandbox.h"
#include "sandbox_int.h"
#include "snapshot.h"

/* The parent's ends of everything that connects it to the child. */
struct child_io {
	int sock;			/* the child's record socket */
	struct progress_relay relay[2]; /* its stdout and stderr; in = -1 when inherited */
	int failed;
};

/* Closes the parent's ends (cleanup handler of a struct child_io). */
static void child_io_close(struct child_io *io)
{
	cleanup_closep(&io->sock);
	cleanup_closep(&io->relay[0].in);
	cleanup_closep(&io->relay[1].in);
}

/* The child's error record as the runtime's error: "step: detail: strerror". */
static void child_error(struct error *e, const struct sandbox_msg *m)
{
	error_set(e, m->num, "%s%s%s", m->step, *m->step && *m->text ? ": " : "", m->text);
}

/* One record from the child: a stub, timing, or an error (the first one
 * counts: later ones are consequences). */
static void handle_msg(struct sandbox *sb, struct child_io *io, const struct sandbox_msg *m,
		       struct error *e)
{
	if (m->type == SBM_STUB)
		strlist_add(&sb->stubs, m->text);
	else if (m->type == SBM_TIMING)
		snprintf(sb->setup_timing, sizeof(sb->setup_timing), "%.60s", m->text);
	else if (m->type == SBM_ERROR && !io->failed) {
		io->failed = 1;
		child_error(e, m);
	}
}

/* Reads one record; 0 once every copy of the child's socket is closed. */
static int read_msg(struct sandbox *sb, struct child_io *io, struct error *e)
{
	struct sandbox_msg m;
	ssize_t n = recv(io->sock, &m, sizeof(m), 0);

	/* ECONNRESET: the child exited with a record of ours unread (SBM_RELEASE
	 * sent while it failed); the kernel reports that once, before the
	 * records still queued for us: read on. */
	if (n < 0 && (errno == EINTR || errno == ECONNRESET))
		return 1;
	if (n <= 0)
		return 0;
	if (n != (ssize_t)sizeof(m))
		return 1; /* not a whole record: not ours */
	m.step[sizeof(m.step) - 1] = '\0';
	m.text[sizeof(m.text) - 1] = '\0';
	handle_msg(sb, io, &m, e);
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
		/* the tty view's clocks advance while the command runs */
		if (poll(p, 3, progress_tick()) < 0) {
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

/* The namespaces the child gets: the one place that chooses them. */
static int clone_flags(const struct sandbox *sb, int rootless)
{
	return CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC |
	       netns_clone_flag(&sb->net) | (rootless ? CLONE_NEWUSER : 0);
}

/* Runs in the parent right after the clone, while the child waits for
 * SBM_GO: what the child's set-up needs from outside its namespaces (the
 * id maps of a rootless sandbox), then the network stack's start, which
 * joins the child's user namespace and needs its maps. */
static int after_clone(struct sandbox *sb, pid_t pid, int rootless, struct error *e)
{
	if (rootless && snapshot_map_ids(pid, geteuid(), getegid(), e) < 0)
		return error_wrap(e, "map ids");
	return netns_start(&sb->net, pid, rootless, e);
}

/* Unless quiet, the command's stdout and stderr go through pipes that the
 * parent relays with a "#KEY8 " prefix; quiet runs inherit them as is.
 * The read ends go to io, the write ends to sb (for the child). */
static int open_output(struct sandbox *sb, struct child_io *io, struct error *e)
{
	int p[2][2] = {{-1, -1}, {-1, -1}};

	for (int i = 0; i < 2; i++) {
		if (!sb->rt->quiet && pipe2(p[i], O_CLOEXEC) < 0)
			return error_set(e, errno, "output pipes");
		progress_relay_init(&io->relay[i], p[i][0], i + 1);
		*(i == 0 ? &sb->outfd : &sb->errfd) = p[i][1];
	}
	return 0;
}

/* The parent's copies of the pipes' write ends (only the child writes). */
static void close_write_ends(struct sandbox *sb)
{
	cleanup_closep(&sb->outfd);
	cleanup_closep(&sb->errfd);
	sb->outfd = sb->errfd = -1;
}

/* Clones the child, which runs sandbox_child_main on sock[1]. */
static pid_t start_child(struct sandbox *sb, const char *root, int sock[2], int rootless,
			 struct error *e)
{
	pid_t pid;

	fflush(NULL);
	pid =
	    (pid_t)syscall(SYS_clone, clone_flags(sb, rootless) | SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid == 0) {
		close(sock[0]);
		sandbox_child_main(sb, root, sock[1]);
	}
	if (pid < 0)
		error_set(e, errno, "clone namespaces");
	return pid;
}

static int send_go(int sock, struct error *e)
{
	struct sandbox_msg go = {.type = SBM_GO};

	if (send(sock, &go, sizeof(go), MSG_NOSIGNAL) != (ssize_t)sizeof(go))
		return error_set(e, errno, "start sandbox");
	return 0;
}

/* Whether the child exits within a second (not reaped: serve_child still
 * reads its record). A child whose set-up failed is on its way out; one
 * that waits for SBM_RELEASE is not. */
static int child_exiting(pid_t pid)
{
	for (int i = 0; i < 200; i++) {
		siginfo_t si = {0};
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid)
			return 1;
		usleep(5000);
	}
	return 0;
}

int sandbox_waits_release(const struct sandbox *sb)
{
	return sb->net.mode == NETNS_SANDBOX || reslimit_cgroup_needs_parent(&sb->cg);
}

/* After the go, while the child mounts: the child enters the step's
 * cgroup, the network stack comes up, then the child may fork the command
 * (SBM_RELEASE). Both overlap the child's set-up instead of preceding it:
 * the write to cgroup.procs waits for an RCU grace period whenever no
 * other attach ran in the last one (percpu_down_write on the cgroups'
 * threadgroup lock: 0 to 15 ms here, docs/benchmarks.md "session 9"), and
 * slirp4netns takes a few ms to start. A child that failed meanwhile is
 * gone (and its namespace with it, which fails the stack, and the cgroup
 * write): its own error is the one to report, not ours, nor a failed send. */
static int release_child(struct sandbox *sb, pid_t pid, int sock, struct error *e)
{
	struct sandbox_msg go = {.type = SBM_RELEASE};

	if (!sandbox_waits_release(sb))
		return 0;
	if (reslimit_cgroup_enter(&sb->cg, pid, e) < 0 ||
	    (sb->net.mode == NETNS_SANDBOX && netns_wait(&sb->net, e) < 0))
		return child_exiting(pid) ? 0 : -1;
	(void)send(sock, &go, sizeof(go), MSG_NOSIGNAL);
	return 0;
}

/* The command's status (it is the child, pid 1), 128+N when a signal
 * killed it. */
static void child_status(struct sandbox *sb, int st, int *status)
{
	sb->signo = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
	*status = sb->signo ? 128 + sb->signo : WEXITSTATUS(st);
}

static volatile sig_atomic_t running_child;

/* make's Ctrl-C or SIGTERM: the sandbox goes with the runtime. Its pid 1,
 * the command, ignores every signal it has no handler for, and loses the
 * parent-death signal when it is a setuid file: SIGKILL it (BuildKit's
 * cancel does too), then die of the signal as before. */
static void kill_child(int sig)
{
	if (running_child > 0)
		kill(running_child, SIGKILL);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Installs kill_child for the signals that end the runtime by default;
 * one the runtime inherited ignored stays ignored (a background make). */
static void catch_end_signals(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
	struct sigaction sa = {.sa_handler = kill_child}, old;

	for (size_t i = 0; i < LEN(sigs); i++)
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL)
			sigaction(sigs[i], &sa, NULL);
}

/* Starts the child, acts after the clone, collects records, output and
 * exit status. */
static int run_child(struct sandbox *sb, const char *root, int *status, struct error *e)
{
	__attribute__((cleanup(child_io_close))) struct child_io io = {.sock = -1};
	int sp[2], rootless = geteuid() != 0, st = 0;
	pid_t pid;

	io.relay[0].in = io.relay[1].in = sb->outfd = sb->errfd = -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return error_set(e, errno, "socketpair");
	io.sock = sp[0];
	pid = open_output(sb, &io, e) < 0 ? -1 : start_child(sb, root, sp, rootless, e);
	close(sp[1]);
	close_write_ends(sb);
	reslimit_cgroup_close_self(&sb->cg);
	if (pid < 0)
		return -1;
	running_child = pid;
	catch_end_signals();
	io.failed = after_clone(sb, pid, rootless, e) < 0 || send_go(io.sock, e) < 0 ||
		    release_child(sb, pid, io.sock, e) < 0;
	if (io.failed)
		kill(pid, SIGKILL); /* it waits for SBM_GO or SBM_RELEASE: it must not go on */
	serve_child(sb, &io, e);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	running_child = 0;
	if (io.failed)
		return -1;
	child_status(sb, st, status);
	return 0;
}

int sandbox_run(struct sandbox *sb, int *status, struct error *e)
{
	struct mounts_locks locks = {0};
	/* One mount point for every step: each sandbox mounts its rootfs there
	 * in its own mount namespace only, so concurrent steps do not meet,
	 * and no directory is made and removed per step. */
	cleanup_free char *root = xasprintf("%s/.root", sb->rt->state);
	/* The step's cgroup: unique per step and runtime process. */
	cleanup_free char *cgname = xasprintf("df2make-%.16s-%ld", sb->key, (long)getpid());
	int r = -1;

	if (snapshot_mkdir(root, 0755, e) == 0 && netns_prepare(&sb->net, sb->rt->state, e) == 0 &&
	    mounts_prepare(sb, &locks, e) == 0) {
		reslimit_cgroup_create(&sb->cg, &sb->limits, cgname);
		reslimit_cgroup_open_self(&sb->cg);
		/* held until init is reaped: its exit unmounted the overlay */
		snapshot_work_take(sb->rt, &sb->work);
		r = run_child(sb, root, status, e);
		snapshot_work_release(&sb->work);
		reslimit_cgroup_finish(&sb->cg, &sb->limits, sb->limit_note,
				       sizeof(sb->limit_note));
	}
	mounts_unlock(sb, &locks);
	return r;
}

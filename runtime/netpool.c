/* netpool: pooled default-network namespaces (netpool.h). Two sides:
 * the step (netpool_get/put: lock an entry, take the keeper's namespace
 * fd, or start a keeper first) and the keeper (keeper_main: a process of
 * its own session that holds the namespace and its slirp4netns until it
 * has been idle long enough).
 *
 * Why reusing a namespace keeps a step apart from the others: steps never
 * share one at the same time (the entry's lock), nothing a step starts
 * survives it (its pid namespace dies with its command), and without
 * CAP_NET_ADMIN (Docker's default set) a step cannot change the
 * namespace's addresses, routes or the unreachable routes to the host; a
 * security=insecure step, which could, never joins the pool. BuildKit
 * reuses its namespaces between steps the same way (netpool.Pool).
 * --network=none steps have entries of their own (noneN): a namespace
 * with lo up and no stack, whose keeper holds only its fd. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "cleanup.h"
#include "error.h"
#include "fsutil.h"
#include "netns.h"
#include "netpool.h"
#include "progress.h"
#include "util.h"

#define NETPOOL_MAX 16	  /* entries: steps at once (make -j) that can be served */
#define IDLE_DEFAULT_S 10 /* a keeper unused this long exits */
#define ID_MAX 4096	  /* a keeper's identity text, at most */
#define KEEPER_MS 12000	  /* a keeper is up within slirp4netns's own time-out */

void netpool_lease_init(struct netpool_lease *l)
{
	l->held = 0;
	l->lockfd = l->conn = l->nsfd = -1;
}

/* DF2MAKE_NETPOOL: seconds a keeper stays when idle; 0 = no pool. */
static int idle_seconds(void)
{
	const char *v = getenv("DF2MAKE_NETPOOL");
	char *end;
	long s;

	if (!v || !*v)
		return IDLE_DEFAULT_S;
	s = strtol(v, &end, 10);
	return *end || s < 0 ? IDLE_DEFAULT_S : s > 86400 ? 86400 : (int)s;
}

/* Root of the initial user namespace: only then does a namespace made by
 * one runtime process stay joinable by the next (each rootless process has
 * a user namespace of its own, which would own it). */
static int initial_root(void)
{
	cleanup_free char *map = NULL;
	struct error ignored;

	if (geteuid() != 0 || read_file("/proc/self/uid_map", &map, NULL, &ignored) < 0)
		return 0;
	return strstr(map, "4294967295") != NULL;
}

/* What a keeper serves must be what the step would have made itself: the
 * same helper, run from the same network namespace (slirp4netns connects
 * from there), the same host addresses unreachable inside, the same
 * resolv.conf read by its DNS forwarder. Any difference: a new keeper. */
static char *identity(const struct netns *n)
{
	struct buf b = {0};
	struct stat st;
	cleanup_free char *resolv = NULL;
	struct error ignored;
	char a[INET_ADDRSTRLEN];

	if (n->mode == NETNS_NONE) /* lo up, nothing else: nothing can differ */
		return xstrdup("df2make-netpool 1 none\n");
	buf_printf(&b, "df2make-netpool 1\n%s\n%lu\n", n->helper ? n->helper : "",
		   stat("/proc/self/ns/net", &st) == 0 ? (unsigned long)st.st_ino : 0UL);
	for (size_t i = 0; i < n->nhost; i++)
		buf_printf(&b, "%s ", inet_ntop(AF_INET, &n->host[i], a, sizeof(a)) ? a : "?");
	if (read_file("/etc/resolv.conf", &resolv, NULL, &ignored) == 0)
		buf_printf(&b, "\n%.2048s", resolv);
	if (b.len >= ID_MAX)
		b.s[ID_MAX - 1] = '\0';
	return buf_steal(&b);
}

/* STATE/.netpool/I.EXT, noneI.EXT for --network=none (entries apart:
 * a step of one mode would otherwise send the other's keeper away). */
static char *entry_path(const char *state, enum netns_mode mode, int i, const char *ext)
{
	return xasprintf("%s/.netpool/%s%d.%s", state, mode == NETNS_NONE ? "none" : "", i, ext);
}

/* A connection to the keeper at path, or -1. */
static int dial(const char *path)
{
	struct sockaddr_un a;
	int fd;

	if (unix_sockaddr(&a, path) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* The keeper's greeting: its identity into id and the namespace fd
 * (returned), or -1 (no greeting within KEEPER_MS: a stuck keeper). */
static int receive(int conn, char *id, size_t size)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct iovec iov = {.iov_base = id, .iov_len = size - 1};
	struct msghdr m = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u)};
	struct pollfd p = {.fd = conn, .events = POLLIN};
	struct cmsghdr *c;
	ssize_t n;
	int fd;

	if (poll(&p, 1, KEEPER_MS) <= 0 || (n = recvmsg(conn, &m, MSG_CMSG_CLOEXEC)) <= 0)
		return -1;
	id[n] = '\0';
	c = CMSG_FIRSTHDR(&m);
	if (!c || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int)))
		return -1;
	memcpy(&fd, CMSG_DATA(c), sizeof(fd));
	return fd;
}

/* Takes the keeper at sock if it serves want: 1 with l's conn and nsfd
 * set; 0 otherwise (a keeper serving something else is told to go). */
static int try_keeper(const char *sock, const char *want, struct netpool_lease *l)
{
	cleanup_close int conn = dial(sock);
	char id[ID_MAX];
	int fd;

	if (conn < 0)
		return 0;
	fd = receive(conn, id, sizeof(id));
	if (fd >= 0 && strcmp(id, want) == 0) {
		l->conn = steal_fd(&conn);
		l->nsfd = fd;
		return 1;
	}
	if (fd >= 0)
		close(fd);
	(void)send(conn, "q", 1, MSG_NOSIGNAL);
	return 0;
}

/* The keeper's state. */
struct keeper {
	struct netns n; /* its copy of the step's network: the stack it runs */
	const char *sock, *lock, *id;
	int idle_ms, listen, nsfd, pidfd;
	ino_t ino; /* its socket file's: only that one is its to remove */
};

/* A process that only holds a new network namespace until killed:
 * slirp4netns must run in the keeper's namespace (its sockets are the
 * step's way out) and joins the target through a pid, as for a step's. */
static pid_t holder(int *nsfd, struct error *e)
{
	int p[2];
	char c, path[64];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return error_set(e, errno, "pipe");
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		c = unshare(CLONE_NEWNET) == 0 ? '1' : '0';
		(void)write(p[1], &c, 1);
		for (;;)
			pause();
	}
	close(p[1]);
	c = 0;
	if (pid < 0 || read(p[0], &c, 1) != 1 || c != '1') {
		close(p[0]);
		return error_set(e, errno, "new network namespace");
	}
	close(p[0]);
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	*nsfd = open(path, O_RDONLY | O_CLOEXEC);
	return *nsfd < 0 ? error_set(e, errno, "open the new network namespace") : pid;
}

/* Inside the new namespace for a moment: lo up, the host unreachable. */
static int configure_inside(struct keeper *k, struct error *e)
{
	cleanup_close int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int r;

	if (self < 0 || setns(k->nsfd, CLONE_NEWNET) < 0)
		return error_set(e, errno, "enter the new network namespace");
	r = netns_child(&k->n, e);
	if (setns(self, CLONE_NEWNET) < 0)
		_exit(1); /* the keeper's sockets must not be made in there */
	return r;
}

/* The namespace, configured as a step's (netns.c), and the socket. */
static int keeper_setup(struct keeper *k, struct error *e)
{
	struct sockaddr_un a;
	struct stat st;
	pid_t h = holder(&k->nsfd, e);
	int r;

	if (h < 0)
		return -1;
	/* (none: no stack to start or wait for) */
	r = netns_start(&k->n, h, 0, e) < 0 || netns_wait(&k->n, e) < 0 ||
		    configure_inside(k, e) < 0
		? -1
		: 0;
	kill(h, SIGKILL); /* the namespace stays: k->nsfd (and slirp4netns's tap0) */
	while (waitpid(h, NULL, 0) < 0 && errno == EINTR)
		;
	if (r < 0)
		return -1;
	/* slirp4netns's exit ends the keeper; a none keeper has no stack */
	if (k->n.mode == NETNS_SANDBOX)
		k->pidfd = (int)syscall(SYS_pidfd_open, k->n.pid, 0);
	k->listen = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if ((k->n.mode == NETNS_SANDBOX && k->pidfd < 0) || k->listen < 0 ||
	    unix_sockaddr(&a, k->sock) < 0)
		return error_set(e, errno, "keeper socket");
	unlink(k->sock); /* a dead keeper's (the caller holds the entry's lock) */
	if (bind(k->listen, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(k->listen, 4) < 0 ||
	    stat(k->sock, &st) < 0)
		return error_set(e, errno, "bind %s", k->sock);
	k->ino = st.st_ino;
	return 0;
}

/* Hands the namespace to a step, with the identity it checks. */
static int offer(const struct keeper *k, int conn)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u = {0};
	struct iovec iov = {.iov_base = (void *)k->id, .iov_len = strlen(k->id)};
	struct msghdr m = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &k->nsfd, sizeof(int));
	return sendmsg(conn, &m, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

/* Idle: the keeper may go when no step holds (or is taking) its entry.
 * The lock, held until exit, keeps steps off a keeper about to vanish. */
static int may_go(const struct keeper *k)
{
	int fd = open(k->lock, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;

	if (fd < 0)
		return 1; /* the state dir is gone */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		return 0;
	}
	if (stat(k->sock, &st) == 0 && st.st_ino == k->ino)
		unlink(k->sock);
	return 1; /* fd stays open: the lock goes with the process */
}

/* Its socket is no longer at its path (the state dir removed, by make
 * clean's rm -rf say): nobody can reach it any more. */
static int orphaned(const struct keeper *k)
{
	struct stat st;

	return stat(k->sock, &st) < 0 || st.st_ino != k->ino;
}

/* One step at a time: its connection stays open while it runs; "q" from
 * it (another keeper is wanted) or a dead slirp4netns ends the keeper.
 * Idle, it looks every second whether it was orphaned. */
static void keeper_serve(struct keeper *k)
{
	long long idle0 = progress_now();
	int conn = -1;

	for (;;) {
		struct pollfd p[3] = {{.fd = conn < 0 ? k->listen : -1, .events = POLLIN},
				      {.fd = conn, .events = POLLIN},
				      {.fd = k->pidfd, .events = POLLIN}};
		char c = 0;
		int r = poll(p, 3, conn < 0 ? 1000 : -1);

		if (r < 0 && errno != EINTR)
			return;
		if (r == 0 && orphaned(k))
			return;
		if (r == 0 && progress_now() - idle0 >= k->idle_ms * 1000000LL && may_go(k))
			return;
		if (r <= 0)
			continue;
		if (p[2].revents)
			return; /* slirp4netns died: the next step gets a new keeper */
		if (p[1].revents) {
			if (recv(conn, &c, 1, 0) == 1 && c == 'q')
				return;
			close(conn);
			conn = -1;
			idle0 = progress_now();
		} else if (p[0].revents) {
			conn = accept4(k->listen, NULL, NULL, SOCK_CLOEXEC);
			/* netpool_stop's "q" may come before the greeting */
			if (conn >= 0 && recv(conn, &c, 1, MSG_DONTWAIT) == 1 && c == 'q')
				return;
			/* ... or after it, then gone: offer fails, the "q" is still there */
			if (conn >= 0 && offer(k, conn) < 0) {
				if (recv(conn, &c, 1, MSG_DONTWAIT) == 1 && c == 'q')
					return;
				close(conn);
				conn = -1;
			}
		}
	}
}

/* The keeper's command line, over the runtime's (its argv strings, which
 * /proc/PID/cmdline shows): not "df2make-runtime --state DIR run KEY",
 * which scripts and tests look for as a step still running. */
static void set_title(const struct keeper *k)
{
	cleanup_free char *cmdline = NULL;
	struct error ignored;
	size_t len = 0;

	if (read_file("/proc/self/cmdline", &cmdline, &len, &ignored) < 0 || len < 2)
		return;
	memset(program_invocation_name, 0, len);
	snprintf(program_invocation_name, len, "df2make-netpool %s", k->sock);
}

/* The keeper process (a grandchild of the step's runtime, in a session
 * of its own, so neither make nor a terminal's ^C waits for or kills it):
 * reports "ok" or its error on report, then serves until idle. */
static _Noreturn void keeper_main(struct keeper *k, int report)
{
	struct error e = {0};
	sigset_t none;
	int null = open("/dev/null", O_RDWR);

	setsid();
	prctl(PR_SET_NAME, "df2make-netpool"); /* what ps and top show */
	set_title(k);
	if (chdir("/") < 0 || null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
	    dup2(null, 2) < 0 || dup2(report, 3) != 3)
		_exit(1);
	/* nothing of the step's: its locks, make's jobserver and output */
	syscall(SYS_close_range, 4U, ~0U, 0U);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_IGN);
	umask(077);
	if (keeper_setup(k, &e) < 0) {
		(void)write_all(3, e.msg, strlen(e.msg));
		netns_free(&k->n);
		_exit(1);
	}
	(void)write_all(3, "ok", 2);
	close(3);
	keeper_serve(k);
	netns_free(&k->n); /* closes slirp4netns's exit fd, reaps it */
	_exit(0);
}

/* Starts a keeper for the entry whose lock the caller holds: 0 once it
 * serves, -1 if it failed (why is not reported: the step's own stack
 * will fail the same way and say so). */
static int spawn_keeper(struct keeper *k)
{
	int rep[2], st;
	char buf[8] = "";
	struct pollfd p;
	pid_t pid;

	if (pipe2(rep, O_CLOEXEC) < 0)
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(rep[0]);
		if (fork() == 0)
			keeper_main(k, rep[1]);
		_exit(0);
	}
	close(rep[1]);
	while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	p = (struct pollfd){.fd = rep[0], .events = POLLIN};
	if (pid > 0 && poll(&p, 1, KEEPER_MS) > 0 && read(rep[0], buf, sizeof(buf) - 1) < 0)
		buf[0] = '\0';
	close(rep[0]);
	return strcmp(buf, "ok") == 0 ? 0 : -1;
}

/* Entry i for the step, its lock held: 1 leased, 0 not. */
static int lease_entry(const char *state, int i, const struct netns *n, const char *id,
		       struct netpool_lease *l)
{
	cleanup_free char *sock = entry_path(state, n->mode, i, "sock");
	cleanup_free char *lock = entry_path(state, n->mode, i, "lock");
	struct keeper k = {.n = *n, .sock = sock, .lock = lock, .id = id};

	if (try_keeper(sock, id, l))
		return 1;
	k.idle_ms = idle_seconds() * 1000;
	k.nsfd = k.listen = k.pidfd = -1;
	netpool_lease_init(&k.n.lease);
	k.n.started = 0;
	k.n.pid = 0;
	return spawn_keeper(&k) == 0 && try_keeper(sock, id, l);
}

int netpool_get(const char *state, const struct netns *n, struct netpool_lease *l)
{
	cleanup_free char *dir = xasprintf("%s/.netpool", state), *id = NULL;
	cleanup_free char *longest = entry_path(state, n->mode, NETPOOL_MAX - 1, "sock");
	struct sockaddr_un a;

	/* a path too long for a socket: not a keeper started and failing per step */
	if (idle_seconds() == 0 || !initial_root() || unix_sockaddr(&a, longest) < 0)
		return 0;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return 0;
	id = identity(n);
	for (int i = 0; i < NETPOOL_MAX; i++) {
		cleanup_free char *lock = entry_path(state, n->mode, i, "lock");
		int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0)
			return 0;
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			close(fd); /* another step's: try the next entry */
			continue;
		}
		if (lease_entry(state, i, n, id, l)) {
			l->lockfd = fd;
			l->held = 1;
			return 1;
		}
		close(fd);
		return 0;
	}
	return 0;
}

void netpool_put(struct netpool_lease *l)
{
	if (!l->held)
		return; /* also a zeroed struct: its 0s are not our fds */
	cleanup_closep(&l->nsfd);
	cleanup_closep(&l->conn); /* the keeper's cue: the step is over */
	cleanup_closep(&l->lockfd);
	netpool_lease_init(l);
}

void netpool_stop(const char *state)
{
	for (int i = 0; i < 2 * NETPOOL_MAX; i++) {
		cleanup_free char *sock = entry_path(
		    state, i < NETPOOL_MAX ? NETNS_SANDBOX : NETNS_NONE, i % NETPOOL_MAX, "sock");
		cleanup_close int conn = dial(sock);
		if (conn >= 0)
			(void)send(conn, "q", 1, MSG_NOSIGNAL);
	}
}

/* sshproxy: a listening socket per ssh mount and a relay process. Each
 * accepted connection gets a process of its own that copies bytes both
 * ways until either side closes; all of them die with the runtime. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "fsutil.h"
#include "sshproxy.h"

/* Copies what is readable on from to to; 0 at end of file or error. */
static int pump(int from, int to)
{
	char buf[16384];
	ssize_t n = read(from, buf, sizeof(buf));

	if (n < 0 && errno == EINTR)
		return 1;
	if (n <= 0)
		return 0;
	return write_all(to, buf, (size_t)n) == 0;
}

/* One connection. An end of file from one side is passed on as a
 * half-close (the agent protocol has requests answered after the client's
 * shutdown); the relay ends when both directions are done. */
static _Noreturn void relay(int client, const char *agent)
{
	struct sockaddr_un a;
	int up = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), open = 2;
	struct pollfd p[2] = {{.fd = client, .events = POLLIN}, {.fd = up, .events = POLLIN}};

	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (up < 0 || unix_sockaddr(&a, agent) < 0 ||
	    connect(up, (struct sockaddr *)&a, sizeof(a)) < 0)
		_exit(1);
	while (open > 0) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		for (int i = 0; i < 2; i++) {
			int to = i ? client : up;
			if (p[i].revents && !pump(p[i].fd, to)) {
				shutdown(to, SHUT_WR);
				p[i].fd = -1;
				open--;
			}
		}
	}
	_exit(0);
}

static _Noreturn void serve(int lfd, const char *agent)
{
	signal(SIGCHLD, SIG_IGN); /* connection processes reap themselves */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	for (;;) {
		int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			_exit(1);
		}
		pid_t pid = fork();
		if (pid == 0) {
			close(lfd);
			relay(c, agent);
		}
		close(c);
	}
}

/* The socket file takes the mount's owner and mode before anyone can
 * connect: listen() comes after chown/chmod. */
static int listen_on(const char *path, mode_t mode, uid_t uid, gid_t gid, struct error *e)
{
	struct sockaddr_un a;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return error_set(e, errno, "socket");
	if (unix_sockaddr(&a, path) < 0) {
		close(fd);
		return error_set(e, ENAMETOOLONG, "socket path %s", path);
	}
	unlink(path);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		error_set(e, errno, "bind %s", path);
	else if (geteuid() == 0 && chown(path, uid, gid) < 0)
		error_set(e, errno, "chown %u:%u%s", (unsigned)uid, (unsigned)gid,
			  errno == EINVAL ? " (not mapped in this user namespace)" : "");
	else if (chmod(path, mode) < 0 || listen(fd, 16) < 0)
		error_set(e, errno, "listen on %s", path);
	else
		return fd;
	close(fd);
	return -1;
}

int sshproxy_start(const char *agent, const char *path, mode_t mode, uid_t uid, gid_t gid,
		   pid_t *pid, struct error *e)
{
	int lfd;

	/* Rootless, the sandbox maps only the caller, as root (uid 0). */
	if (geteuid() != 0 && (uid != 0 || gid != 0))
		return error_set(e, EINVAL,
				 "uid %u gid %u: a rootless sandbox maps only root (run as root "
				 "for other owners)",
				 (unsigned)uid, (unsigned)gid);
	lfd = listen_on(path, mode, uid, gid, e);
	if (lfd < 0)
		return -1;
	fflush(NULL);
	*pid = fork();
	if (*pid == 0) {
		/* Only the listening socket: the runtime's cache locks must not
		 * outlive it in a relay. */
		if (dup2(lfd, 3) < 0)
			_exit(1);
		close_range(4, ~0U, 0);
		serve(3, agent);
	}
	close(lfd);
	if (*pid < 0)
		return error_set(e, errno, "fork ssh relay");
	return 0;
}

void sshproxy_stop(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

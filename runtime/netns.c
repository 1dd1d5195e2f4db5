/* netns: a RUN step's network namespace and the user-mode stack that
 * joins it to the outside.
 *
 * The stack is slirp4netns (Debian package slirp4netns), as rootless
 * Docker, Podman and BuildKit use it: it opens a tap device in the step's
 * namespace and turns the guest's TCP/UDP into sockets of its own on the
 * host side, so the step reaches what the host reaches, through NAT. Two
 * holes that leaves are closed here:
 * - its gateway 10.0.2.2 would lead to the host's 127.0.0.1:
 *   --disable-host-loopback;
 * - a connection to one of the host's own addresses (192.0.2.2, docker0)
 *   would be made by slirp4netns on the host, so it would land on the
 *   host's listeners: inside the namespace each such address gets an
 *   "unreachable" route, set up before the command runs, which the command
 *   cannot remove (no CAP_NET_ADMIN) nor bypass by writing frames itself
 *   (seccomp refuses AF_PACKET sockets).
 * slirp4netns runs with its own sandbox and seccomp filter (it parses
 * what the step sends), is our child for the step's whole life, and stops
 * when we close its exit fd, or when the runtime dies. Its tap0 is made
 * beforehand by us, persistent, so that its exit does not wait for the
 * device's teardown (make_tap). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "netns.h"
#include "progress.h"
#include "util.h"

#define HELPER "slirp4netns"
#define READY_MS 10000 /* slirp4netns is up in a few ms; this is for a stuck one */
#define STOP_MS 2000   /* after this long, SIGKILL */

int netns_plan(struct netns *n, const char *mode, struct error *e)
{
	memset(n, 0, sizeof(*n));
	netpool_lease_init(&n->lease);
	if (!mode || strcmp(mode, "default") == 0)
		n->mode = NETNS_SANDBOX;
	else if (strcmp(mode, "none") == 0)
		n->mode = NETNS_NONE;
	else if (strcmp(mode, "host") == 0)
		n->mode = NETNS_HOST;
	else
		return error_set(e, 0, "spec: network \"%.64s\": want default, none or host", mode);
	return 0;
}

int netns_clone_flag(const struct netns *n)
{
	return n->mode == NETNS_HOST || n->lease.held ? 0 : CLONE_NEWNET;
}

/* Keeps the host's search domains and options (BuildKit does) but not its
 * nameservers: they may be host addresses (127.0.0.53, a local dnsmasq)
 * that the step cannot reach; slirp4netns's forwarder asks them instead. */
char *netns_resolv_conf(const struct netns *n, const char *host)
{
	char *out, *p;
	const char *line, *end;

	if (n->mode != NETNS_SANDBOX)
		return xstrdup(host ? host : "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
	out = p = xmalloc((host ? strlen(host) : 0) + sizeof("nameserver " NETNS_DNS "\n") + 1);
	for (line = host; line && *line; line = *end ? end + 1 : end) {
		end = strchrnul(line, '\n');
		if (startswith(line, "search") || startswith(line, "domain") ||
		    startswith(line, "options")) {
			memcpy(p, line, (size_t)(end - line));
			p += end - line;
			*p++ = '\n';
		}
	}
	strcpy(p, "nameserver " NETNS_DNS "\n");
	return out;
}

/* The helper's path from PATH, or NULL. */
static char *find_helper(void)
{
	const char *path = getenv("PATH");
	cleanup_free char *dirs = xstrdup(path ? path : "/usr/local/bin:/usr/bin:/bin");
	char *save = NULL, *found = NULL;

	for (char *d = strtok_r(dirs, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
		char *f = xasprintf("%s/%s", d, HELPER); /* strtok_r skips empty ones: no cwd */
		if (access(f, X_OK) == 0)
			found = f;
		else
			free(f);
	}
	return found;
}

/* Every IPv4 address of the host's interfaces but loopback's (127/8 is
 * the namespace's own lo inside). */
static int read_host_addrs(struct netns *n, struct error *e)
{
	struct ifaddrs *ifs, *i;

	if (getifaddrs(&ifs) < 0)
		return error_set(e, errno, "list the host's addresses");
	for (i = ifs; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
			continue;
		struct in_addr a = ((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr;
		if ((ntohl(a.s_addr) >> 24) == 127)
			continue;
		n->host = xreallocarray(n->host, n->nhost + 1, sizeof(*n->host));
		n->host[n->nhost++] = a;
	}
	freeifaddrs(ifs);
	return 0;
}

static long long cpu_ns(void);

int netns_prepare(struct netns *n, const char *state, struct error *e)
{
	long long wall, cpu;

	if (n->mode == NETNS_HOST)
		return 0;
	if (n->mode == NETNS_SANDBOX && !(n->helper = find_helper()))
		return error_set(e, 0,
				 "network: " HELPER
				 " not found in PATH: install the Debian package "
				 "slirp4netns, or use RUN --network=none");
	if (n->mode == NETNS_SANDBOX && read_host_addrs(n, e) < 0)
		return -1;
	wall = progress_now();
	cpu = cpu_ns();
	if (n->poolable && state && netpool_get(state, n, &n->lease) == 1)
		snprintf(n->timing, sizeof(n->timing), "%.2f/%.2f",
			 (double)(progress_now() - wall) / 1e6, (double)(cpu_ns() - cpu) / 1e6);
	return 0;
}

/* fd moved to 10 or above, close-on-exec: the spawn's dup2 to 3 and 4
 * must not overwrite a source. */
static int high_fd(int fd)
{
	int h = fcntl(fd, F_DUPFD_CLOEXEC, 10);

	close(fd);
	return h;
}

/* slirp4netns with fd 3 = ready, 4 = exit, 1 and 2 = the log memfd
 * (all of them at 10 or above before: no dup2 overwrites a source). */
static int spawn_helper(struct netns *n, pid_t child, int userns, int ready, int quit,
			struct error *e)
{
	static const char *opts[] = {
	    "--configure",	"--mtu=65520",	    "--disable-host-loopback",
	    "--enable-sandbox", "--enable-seccomp", "--ready-fd=3",
	    "--exit-fd=4"};
	cleanup_free char *userns_arg = xasprintf("--userns-path=/proc/%d/ns/user", (int)child);
	char pid[16], *argv[LEN(opts) + 5];
	size_t a = 0;
	posix_spawn_file_actions_t fa;
	extern char **environ;
	int r;

	argv[a++] = n->helper;
	for (size_t i = 0; i < LEN(opts); i++)
		argv[a++] = (char *)opts[i];
	if (userns) /* join the step's user namespace too: it owns the netns */
		argv[a++] = userns_arg;
	snprintf(pid, sizeof(pid), "%d", (int)child);
	argv[a++] = pid;
	argv[a++] = "tap0";
	argv[a] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, n->logfd, 1);
	posix_spawn_file_actions_adddup2(&fa, n->logfd, 2);
	posix_spawn_file_actions_adddup2(&fa, ready, 3);
	posix_spawn_file_actions_adddup2(&fa, quit, 4);
	posix_spawn_file_actions_addclosefrom_np(&fa, 5); /* make's jobserver fds too */
	r = posix_spawn(&n->pid, n->helper, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0) {
		n->pid = 0;
		return error_set(e, r, "start %s", n->helper);
	}
	return 0;
}

/* Waits up to ms for the helper to exit; 1 when it did (and is reaped). */
static int reap_within(pid_t pid, int ms)
{
	for (int waited = 0; waited <= ms; waited++) {
		pid_t w = waitpid(pid, NULL, WNOHANG);
		if (w == pid || (w < 0 && errno != EINTR))
			return 1;
		if (w == 0)
			usleep(1000);
	}
	return 0;
}

/* Closes the exit fd: slirp4netns's cue to exit. */
static void stop(struct netns *n)
{
	if (n->started && n->exitfd >= 0)
		close(n->exitfd); /* slirp4netns's cue to exit */
	n->exitfd = -1;
}

/* Reaps the stack, killing it if it does not go within STOP_MS. */
static void reap(struct netns *n)
{
	if (n->pid > 0 && !reap_within(n->pid, STOP_MS)) {
		kill(n->pid, SIGKILL);
		while (waitpid(n->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	n->pid = 0;
}

/* What slirp4netns said, for an error message: its first two lines but
 * the "experimental" warnings (the cause comes first, "child failed"
 * after it). */
static void log_tail(const struct netns *n, char *buf, size_t size)
{
	char raw[2048], *save = NULL;
	ssize_t len = pread(n->logfd, raw, sizeof(raw) - 1, 0);
	size_t used = 0, lines = 0;

	raw[len > 0 ? len : 0] = '\0';
	buf[0] = '\0';
	for (char *l = strtok_r(raw, "\n", &save); l && lines < 2;
	     l = strtok_r(NULL, "\n", &save)) {
		if (startswith(l, "WARNING:"))
			continue;
		used += (size_t)snprintf(buf + used, size - used, "%s%s", lines++ ? "; " : "", l);
		if (used >= size)
			break;
	}
}

/* Waits for slirp4netns's "1" on the ready fd: it has configured tap0. */
static int wait_ready(struct netns *n, int fd, struct error *e)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char c = 0, tail[512];
	int r;

	while ((r = poll(&p, 1, READY_MS)) < 0 && errno == EINTR)
		;
	if (r > 0 && read(fd, &c, 1) == 1 && c == '1')
		return 0;
	stop(n);
	reap(n); /* first, so that its last words are all written */
	log_tail(n, tail, sizeof(tail));
	if (r == 0)
		return error_set(e, 0, "network: %s not ready after %d ms", HELPER, READY_MS);
	return error_set(e, 0, "network: %s failed: %s", HELPER, *tail ? tail : "no message");
}

struct tap_req {
	pid_t child;
	int userns;
	const char *what; /* set on failure, with err */
	int err;
};

static int tap_fail(struct tap_req *q, const char *what)
{
	q->what = what;
	q->err = errno;
	return 1;
}

/* Joins one of the child's namespaces ("user", "net"). */
static int join_ns(pid_t child, const char *ns, int type)
{
	char path[64];
	int fd, r;

	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)child, ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = setns(fd, type);
	close(fd);
	return r;
}

/* In the child's namespaces: tap0 made persistent. Returns (not _exit:
 * ASan cannot see this stack's bounds and warns on noreturn calls). */
static int tap_main(void *arg)
{
	struct tap_req *q = arg;
	struct ifreq ifr = {.ifr_flags = IFF_TAP | IFF_NO_PI};
	cleanup_close int fd = -1;

	if (q->userns && join_ns(q->child, "user", CLONE_NEWUSER) < 0)
		return tap_fail(q, "join the step's user namespace");
	if (join_ns(q->child, "net", CLONE_NEWNET) < 0)
		return tap_fail(q, "join the step's network namespace");
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return tap_fail(q, "open /dev/net/tun (RUN --network=none needs none)");
	strcpy(ifr.ifr_name, "tap0");
	if (ioctl(fd, TUNSETIFF, &ifr) < 0 || ioctl(fd, TUNSETPERSIST, 1) < 0)
		return tap_fail(q, "make tap0");
	return 0;
}

/* tap0, made before slirp4netns attaches to it, and persistent: when
 * slirp4netns exits, the device is not torn down in its exit (~17 ms of
 * RCU waits in the kernel, which the parent would wait for) but with the
 * namespace, in the kernel's own worker. A process of its own, sharing
 * our memory (CLONE_VM|CLONE_VFORK): setns into a user namespace needs a
 * single-threaded caller, and we must stay where we are. */
static int make_tap(pid_t child, int userns, struct error *e)
{
	static char stack[64 * 1024] __attribute__((aligned(16)));
	struct tap_req q = {.child = child, .userns = userns};
	int st = 0;
	pid_t pid = clone(tap_main, stack + sizeof(stack), CLONE_VM | CLONE_VFORK | SIGCHLD, &q);

	if (pid < 0)
		return error_set(e, errno, "network: clone");
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (q.what)
		return error_set(e, q.err, "network: %s", q.what);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return error_set(e, 0, "network: making tap0 failed");
	return 0;
}

static long long cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Starts the stack (netns_start's work); the caller times it. */
static int start(struct netns *n, pid_t child, int userns, struct error *e)
{
	cleanup_close int ready_w = -1, quit_r = -1;
	int ready[2], quit[2];

	n->started = 1;
	n->exitfd = n->readyfd = -1;
	n->logfd = memfd_create(HELPER, MFD_CLOEXEC);
	if (n->logfd >= 0)
		n->logfd = high_fd(n->logfd);
	if (n->logfd < 0 || pipe2(ready, O_CLOEXEC) < 0)
		return error_set(e, errno, "network: pipes for %s", HELPER);
	n->readyfd = ready[0];
	ready_w = high_fd(ready[1]);
	if (pipe2(quit, O_CLOEXEC) < 0)
		return error_set(e, errno, "network: pipes for %s", HELPER);
	n->exitfd = quit[1];
	quit_r = high_fd(quit[0]);
	if (ready_w < 0 || quit_r < 0)
		return error_set(e, errno, "network: pipes for %s", HELPER);
	if (make_tap(child, userns, e) < 0 ||
	    spawn_helper(n, child, userns, ready_w, quit_r, e) < 0)
		return -1;
	/* ours closed: a dead helper reads as end of file */
	return 0;
}

int netns_start(struct netns *n, pid_t child, int userns, struct error *e)
{
	long long wall = progress_now(), cpu = cpu_ns();
	int r;

	if (n->mode != NETNS_SANDBOX || n->lease.held)
		return 0; /* a pooled namespace's stack runs already */
	r = start(n, child, userns, e);
	snprintf(n->timing, sizeof(n->timing), "%.2f/%.2f", (double)(progress_now() - wall) / 1e6,
		 (double)(cpu_ns() - cpu) / 1e6);
	return r;
}

int netns_wait(struct netns *n, struct error *e)
{
	long long wall = progress_now(), cpu = cpu_ns();
	int r;

	if (n->mode != NETNS_SANDBOX || !n->started)
		return 0;
	r = wait_ready(n, n->readyfd, e);
	close(n->readyfd);
	n->readyfd = -1;
	snprintf(n->wait_timing, sizeof(n->wait_timing), "%.2f/%.2f",
		 (double)(progress_now() - wall) / 1e6, (double)(cpu_ns() - cpu) / 1e6);
	return r;
}

/* lo up (a new namespace's lo is down; slirp4netns brings it up too). */
static int lo_up(struct error *e)
{
	struct ifreq ifr = {0};
	cleanup_close int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return error_set(e, errno, "socket");
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return error_set(e, errno, "get lo flags");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		return error_set(e, errno, "bring lo up");
	return 0;
}

struct route_req {
	struct nlmsghdr nh;
	struct rtmsg rt;
	struct rtattr dst;
	struct in_addr addr;
};

/* One "unreachable ADDR/32" route in the main table, and its ack. */
static int add_unreachable(int fd, struct in_addr a, unsigned seq, struct error *e)
{
	struct route_req q = {
	    .nh = {.nlmsg_len = sizeof(q),
		   .nlmsg_type = RTM_NEWROUTE,
		   .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
		   .nlmsg_seq = seq},
	    .rt = {.rtm_family = AF_INET,
		   .rtm_dst_len = 32,
		   .rtm_table = RT_TABLE_MAIN,
		   .rtm_protocol = RTPROT_STATIC,
		   .rtm_scope = RT_SCOPE_UNIVERSE,
		   .rtm_type = RTN_UNREACHABLE},
	    .dst = {.rta_len = RTA_LENGTH(sizeof(a)), .rta_type = RTA_DST},
	    .addr = a};
	struct {
		struct nlmsghdr nh;
		struct nlmsgerr err;
	} ack;
	char txt[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a, txt, sizeof(txt));
	if (send(fd, &q, sizeof(q), 0) < 0 || recv(fd, &ack, sizeof(ack), 0) < (ssize_t)sizeof(ack))
		return error_set(e, errno, "route to %s", txt);
	/* A host address listed twice (two interfaces) is already there. */
	if (ack.nh.nlmsg_type == NLMSG_ERROR && ack.err.error && ack.err.error != -EEXIST)
		return error_set(e, -ack.err.error, "unreachable route to host address %s", txt);
	return 0;
}

/* Inside the namespace, every host address is "unreachable" (netns.c top). */
static int block_host(const struct netns *n, struct error *e)
{
	cleanup_close int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0)
		return error_set(e, errno, "netlink socket");
	for (size_t i = 0; i < n->nhost; i++)
		if (add_unreachable(fd, n->host[i], (unsigned)i + 1, e) < 0)
			return -1;
	return 0;
}

int netns_join(const struct netns *n, struct error *e)
{
	if (n->lease.held && setns(n->lease.nsfd, CLONE_NEWNET) < 0)
		return error_set(e, errno, "join the pooled network namespace");
	return 0;
}

int netns_child(const struct netns *n, struct error *e)
{
	if (n->mode == NETNS_HOST || n->lease.held)
		return 0;
	if (lo_up(e) < 0)
		return -1;
	return n->mode == NETNS_SANDBOX ? block_host(n, e) : 0;
}

void netns_free(struct netns *n)
{
	stop(n);
	reap(n);
	if (n->started && n->logfd >= 0)
		close(n->logfd);
	if (n->started && n->readyfd >= 0)
		close(n->readyfd);
	netpool_put(&n->lease);
	free(n->helper);
	free(n->host);
	memset(n, 0, sizeof(*n));
	netpool_lease_init(&n->lease);
}

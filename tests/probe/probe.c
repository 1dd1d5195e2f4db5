/* probe: a static program run inside test sandboxes (crun's tests/init.c
 * idea). With no arguments it prints facts about its process, one
 * "key: value" per line; with a command it does one thing:
 *   probe see PATH...     "see PATH: yes|no" (lstat)
 *   probe cat PATH        the file's bytes
 *   probe write PATH TEXT create/overwrite a file
 *   probe kill SIG        raise a signal (number) against itself
 *   probe segv            a real fault (a write to a PROT_NONE page): the
 *                         kernel's SIGSEGV kills even a namespace's pid 1
 *   probe exit N          exit with status N
 *   probe sleep SECONDS   sleep
 *   probe sock PATH TEXT  connect to a unix socket, send TEXT, print the reply
 *   probe deny            "NAME: result" of syscalls a seccomp filter refuses
 *   probe thread          start and join a thread ("thread: ok")
 *   probe connect IP PORT  TCP connect (3 s at most): "connect IP PORT: ok REPLY" or why not
 *   probe sockets         "NAME: result" of socket/socketpair with packet and vsock
 *   probe udp IP PORT TEXT  send TEXT in one datagram (broadcast allowed): "udp IP PORT: sent" or
 * why not */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

extern char **environ;

static void ids(void)
{
	gid_t groups[256];
	int n = getgroups(256, groups);

	printf("uid: %u\neuid: %u\ngid: %u\negid: %u\ngroups:", (unsigned)getuid(),
	       (unsigned)geteuid(), (unsigned)getgid(), (unsigned)getegid());
	for (int i = 0; i < n; i++)
		printf(" %u", (unsigned)groups[i]);
	printf("\npid: %d\n", (int)getpid());
}

static void host_cwd(void)
{
	char buf[4096];

	printf("hostname: %s\n", gethostname(buf, sizeof(buf)) == 0 ? buf : "?");
	printf("cwd: %s\n", getcwd(buf, sizeof(buf)) ? buf : "?");
	printf("umask: %04o\n", (unsigned)umask(022));
}

static void env(void)
{
	for (char **e = environ; *e; e++)
		printf("env: %s\n", *e);
}

/* Selected lines of /proc/self/status: capabilities, no_new_privs. */
static void status(void)
{
	static const char *keys[] = {
	    "CapInh:", "CapPrm:", "CapEff:", "CapBnd:", "CapAmb:", "NoNewPrivs:", "Seccomp:"};
	FILE *f = fopen("/proc/self/status", "r");
	char line[512];

	while (f && fgets(line, sizeof(line), f))
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (strncmp(line, keys[i], strlen(keys[i])) == 0)
				fputs(line, stdout);
	if (f)
		fclose(f);
}

/* "mount: POINT FSTYPE OPTIONS" per line of mountinfo. */
static void mounts(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[4096], point[1024], opts[512], fstype[64];

	while (f && fgets(line, sizeof(line), f)) {
		char *dash = strstr(line, " - ");
		if (sscanf(line, "%*s %*s %*s %*s %1023s %511s", point, opts) == 2 && dash &&
		    sscanf(dash + 3, "%63s", fstype) == 1)
			printf("mount: %s %s %s\n", point, fstype, opts);
	}
	if (f)
		fclose(f);
}

static void fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	printf("fds:");
	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.' && atoi(de->d_name) != dirfd(d))
			printf(" %s", de->d_name);
	printf("\n");
	if (d)
		closedir(d);
}

static void namespaces(void)
{
	static const char *ns[] = {"user", "mnt", "pid", "uts", "ipc", "net", "cgroup"};
	char path[64], buf[128];

	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		snprintf(path, sizeof(path), "/proc/self/ns/%s", ns[i]);
		ssize_t n = readlink(path, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		printf("ns: %s\n", n > 0 ? buf : ns[i]);
	}
}

/* Interface names from /proc/net/dev (the third line on). */
static void netifs(void)
{
	FILE *f = fopen("/proc/net/dev", "r");
	char line[512], name[64];
	int n = 0;

	printf("netifs:");
	while (f && fgets(line, sizeof(line), f))
		if (++n > 2 && sscanf(line, " %63[^:]:", name) == 1)
			printf(" %s", name);
	printf("\n");
	if (f)
		fclose(f);
}

static int see(int argc, char **argv)
{
	struct stat st;

	for (int i = 2; i < argc; i++)
		printf("see %s: %s\n", argv[i], lstat(argv[i], &st) == 0 ? "yes" : "no");
	return 0;
}

static int cat(const char *path)
{
	char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0) {
		fprintf(stderr, "probe: %s: %s\n", path, strerror(errno));
		return 1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	close(fd);
	return 0;
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		fprintf(stderr, "probe: write %s: %s\n", path, strerror(errno));
		return 1;
	}
	return 0;
}

static int sock(const char *path, const char *text)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	char buf[4096];
	ssize_t n;

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    write(fd, text, strlen(text)) < 0 || shutdown(fd, SHUT_WR) < 0) {
		fprintf(stderr, "probe: sock %s: %s\n", path, strerror(errno));
		return 1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	close(fd);
	return 0;
}

static void result(const char *name, long r)
{
	printf("%s: %s\n", name, r < 0 ? strerror(errno) : "allowed");
}

static int deny(void)
{
	result("unshare-user", unshare(CLONE_NEWUSER));
	result("keyctl", syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0));
	result("fsopen", syscall(SYS_fsopen, "tmpfs", 0));
	result("getpid", syscall(SYS_getpid));
	return 0;
}

static int sockets(void)
{
	int sv[2];

	result("socket-packet", socket(AF_PACKET, SOCK_RAW, 0));
	result("socket-vsock", socket(AF_VSOCK, SOCK_STREAM, 0));
	result("socketpair-packet", socketpair(AF_PACKET, SOCK_RAW, 0, sv));
	result("socketpair-vsock", socketpair(AF_VSOCK, SOCK_STREAM, 0, sv));
	result("socket-inet", socket(AF_INET, SOCK_STREAM, 0));
	result("socketpair-unix", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	return 0;
}

/* A non-blocking connect given 3 seconds: a dropped SYN reads "timed out". */
static int connect_within(int fd, const struct sockaddr *a, socklen_t len)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	int err = 0;
	socklen_t elen = sizeof(err);

	fcntl(fd, F_SETFL, O_NONBLOCK);
	if (connect(fd, a, len) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return -1;
	if (poll(&p, 1, 3000) != 1) {
		errno = ETIMEDOUT;
		return -1;
	}
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
	errno = err;
	return err ? -1 : 0;
}

static int tcp(const char *ip, const char *port)
{
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons(atoi(port))};
	struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = htons(atoi(port))};
	int v6 = strchr(ip, ':') != NULL, fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
	char buf[256] = "";
	ssize_t n = 0;

	if (v6 ? inet_pton(AF_INET6, ip, &a6.sin6_addr) != 1
	       : inet_pton(AF_INET, ip, &a4.sin_addr) != 1)
		return fprintf(stderr, "probe: bad address %s\n", ip), 2;
	if (fd < 0 || (v6 ? connect_within(fd, (struct sockaddr *)&a6, sizeof(a6))
			  : connect_within(fd, (struct sockaddr *)&a4, sizeof(a4))) < 0) {
		printf("connect %s %s: %s\n", ip, port, strerror(errno));
		return 1;
	}
	fcntl(fd, F_SETFL, 0);
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	printf("connect %s %s: ok %s\n", ip, port, buf);
	close(fd);
	return 0;
}

static int udp(const char *ip, const char *port, const char *text)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(atoi(port))};
	int fd = socket(AF_INET, SOCK_DGRAM, 0), on = 1;

	if (inet_pton(AF_INET, ip, &a.sin_addr) != 1)
		return fprintf(stderr, "probe: bad address %s\n", ip), 2;
	setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &on, sizeof(on));
	if (sendto(fd, text, strlen(text), 0, (struct sockaddr *)&a, sizeof(a)) < 0) {
		printf("udp %s %s: %s\n", ip, port, strerror(errno));
		return 1;
	}
	printf("udp %s %s: sent\n", ip, port);
	return 0;
}

static void *thread_main(void *arg)
{
	return arg;
}

static int thread(void)
{
	pthread_t t;
	int r = pthread_create(&t, NULL, thread_main, NULL);

	printf("thread: %s\n", r ? strerror(r) : "ok");
	if (r == 0)
		pthread_join(t, NULL);
	return r != 0;
}

/* "hog MB": allocates and touches MB mebibytes (a memory hog for the
 * --memory tests); exits 1 when an allocation fails. */
static int hog(long mb)
{
	for (long i = 0; i < mb; i++) {
		char *p = malloc(1 << 20);
		if (!p) {
			printf("hog: malloc failed after %ld MiB\n", i);
			return 1;
		}
		memset(p, 1, 1 << 20);
	}
	printf("hog: %ld MiB\n", mb);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "see") == 0)
		return see(argc, argv);
	if (argc == 2 && strcmp(argv[1], "deny") == 0)
		return deny();
	if (argc == 2 && strcmp(argv[1], "sockets") == 0)
		return sockets();
	if (argc == 5 && strcmp(argv[1], "udp") == 0)
		return udp(argv[2], argv[3], argv[4]);
	if (argc == 4 && strcmp(argv[1], "connect") == 0)
		return tcp(argv[2], argv[3]);
	if (argc == 2 && strcmp(argv[1], "thread") == 0)
		return thread();
	if (argc == 4 && strcmp(argv[1], "sock") == 0)
		return sock(argv[2], argv[3]);
	if (argc == 3 && strcmp(argv[1], "cat") == 0)
		return cat(argv[2]);
	if (argc == 4 && strcmp(argv[1], "write") == 0)
		return write_file(argv[2], argv[3]);
	if (argc == 3 && strcmp(argv[1], "kill") == 0) {
		fflush(stdout);
		signal(atoi(argv[2]), SIG_DFL);
		kill(getpid(), atoi(argv[2]));
		return 99;
	}
	if (argc == 2 && strcmp(argv[1], "segv") == 0) {
		volatile char *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		fflush(stdout);
		if (p != MAP_FAILED)
			*p = 1;
		return 98;
	}
	if (argc == 3 && strcmp(argv[1], "hog") == 0)
		return hog(atol(argv[2]));
	if (argc == 3 && strcmp(argv[1], "exit") == 0)
		return atoi(argv[2]);
	if (argc == 3 && strcmp(argv[1], "sleep") == 0)
		return sleep((unsigned)atoi(argv[2])) ? 1 : 0;
	ids();
	host_cwd();
	env();
	status();
	mounts();
	fds();
	namespaces();
	netifs();
	return 0;
}

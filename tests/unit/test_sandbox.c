/* test_sandbox: the RUN set-up list planned from specs, printed and
 * compared (no namespaces needed). */
#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "error.h"
#include "fsutil.h"
#include "rt.h"
#include "reslimit.h"
#include "sandbox.h"
#include "seccomp.h"
#include "tap.h"
#include "ulimit.h"
#include "util.h"

static const struct rt rt = {.state = "/S", .store = "/ST"};

/* The printed plan without the fixed base lines (proc, dev, sys, etc). */
static char *plan_tail(const char *json, size_t skip, struct error *e)
{
	json_t *spec = json_loads(json, 0, NULL);
	struct sandbox sb;
	char *buf = NULL, *p;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!spec || sandbox_plan(&sb, &rt, "k", spec, e) < 0) {
		fclose(f);
		free(buf);
		if (spec)
			sandbox_free(&sb);
		json_decref(spec);
		return xasprintf("error: %s", spec ? e->msg : "bad json");
	}
	sandbox_print(&sb, f);
	fclose(f);
	p = buf;
	for (size_t i = 0; i < skip && p; i++)
		p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL;
	p = xstrdup(p ? p : "");
	free(buf);
	sandbox_free(&sb);
	json_decref(spec);
	return p;
}

static size_t base_lines(void)
{
	struct error e = {0};
	char *all = plan_tail("{\"args\":[\"true\"]}", 0, &e);
	size_t n = 0;

	for (char *p = all; *p; p++)
		n += *p == '\n';
	free(all);
	return n;
}

static void test_base(void)
{
	struct error e = {0};
	char *all = plan_tail("{\"args\":[\"true\"]}", 0, &e);

	TAP_OK(strncmp(all, "proc,keep /proc\n", 16) == 0, "proc first");
	TAP_OK(strstr(all, "\ntmpfs,keep /dev (mode=755,size=65536k)\n") != NULL, "dev tmpfs");
	TAP_OK(strstr(all, "\ndevice /dev/null /dev/null\n") != NULL, "dev null from the host's");
	TAP_OK(strstr(all, "\ndevice /dev/tty /dev/tty\n") != NULL, "dev tty from the host's");
	TAP_OK(strstr(all, "\nsymlink pts/ptmx /dev/ptmx\n") != NULL, "ptmx link");
	TAP_OK(strstr(all, "\nsysfs,ro,keep /sys\ncgroup /sys/fs/cgroup\n") != NULL,
	       "ro sysfs, then the cgroup filesystem on it");
	TAP_OK(strstr(all, "\nmask /proc/kcore\n") != NULL, "kcore masked");
	TAP_OK((strstr(all, "\nsymlink /proc/kcore /dev/core\n") != NULL) ==
		   (access("/proc/kcore", F_OK) == 0),
	       "/dev/core only where the kernel has /proc/kcore (runc's setupDevSymlinks)");
	TAP_OK(strstr(all, "\nfile,ro /etc/hosts (") != NULL, "hosts file");
	TAP_OK(strstr(all, "\nfile,ro /etc/resolv.conf (") != NULL, "resolv.conf file");
	free(all);
}

/* A listening unix socket at path (the agent the relay would reach). */
static int test_socket(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	unlink(path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 1) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Refusals: no agent unless the spec names a DF2MAKE_SSH_ variable, and
 * a named one must lead to a socket. */
static void test_ssh_refused(size_t skip)
{
	struct error e = {0};
	char *got;

	setenv("SSH_AUTH_SOCK", "/tmp/test_sandbox.sock", 1); /* never looked at */
	got = plan_tail("{\"args\":[\"x\"],\"mounts\":[{\"type\":\"ssh\",\"id\":\"gh\","
			"\"required\":true}]}",
			skip, &e);
	TAP_STREQ(got,
		  "error: mount 1: ssh gh: required, but no agent was granted (df2make --ssh "
		  "gh[=SOCKET])",
		  "ssh: required id not granted");
	free(got);
	got = plan_tail("{\"args\":[\"x\"],\"mounts\":[{\"type\":\"ssh\"}]}", skip, &e);
	TAP_STREQ(got, "", "ssh: not granted: no mount, no SSH_AUTH_SOCK (host's ignored)");
	free(got);
	got = plan_tail("{\"args\":[\"x\"],\"mounts\":[{\"type\":\"ssh\",\"agent\":\"HOME\"}]}",
			skip, &e);
	TAP_STREQ(got, "error: mount 1: ssh default: agent variable HOME is not a DF2MAKE_SSH_ one",
		  "ssh: only DF2MAKE_SSH_ variables");
	free(got);
	unsetenv("DF2MAKE_SSH_x");
	got = plan_tail("{\"args\":[\"x\"],\"mounts\":[{\"type\":\"ssh\",\"id\":\"x\","
			"\"agent\":\"DF2MAKE_SSH_x\"}]}",
			skip, &e);
	TAP_STREQ(got,
		  "error: mount 1: ssh x: no agent socket: $DF2MAKE_SSH_x is empty (df2make --ssh "
		  "x without a path takes the SSH_AUTH_SOCK make runs with)",
		  "ssh: granted but the variable is empty");
	free(got);
	setenv("DF2MAKE_SSH_x", "/", 1);
	got = plan_tail("{\"args\":[\"x\"],\"mounts\":[{\"type\":\"ssh\",\"id\":\"x\","
			"\"agent\":\"DF2MAKE_SSH_x\"}]}",
			skip, &e);
	TAP_STREQ(got,
		  "error: mount 1: ssh x: / is not a socket (df2make relays an agent's socket, it "
		  "does not load key files)",
		  "ssh: granted path is not a socket");
	free(got);
	unsetenv("SSH_AUTH_SOCK");
}

static void test_ssh(size_t skip)
{
	struct error e = {0};
	char *got, sock[] = "/tmp/test_sandbox.agent";
	int fd = test_socket(sock);

	if (!TAP_OK(fd >= 0, "a listening unix socket as the agent"))
		return;
	setenv("DF2MAKE_SSH_gh", sock, 1);
	got = plan_tail("{\"args\":[\"x\"],\"env\":[\"SSH_AUTH_SOCK=/mine\"],\"mounts\":["
			"{\"type\":\"ssh\",\"id\":\"gh\",\"agent\":\"DF2MAKE_SSH_gh\",\"target\":"
			"\"/s\",\"mode\":\"0660\",\"uid\":1000,\"gid\":50}]}",
			skip, &e);
	TAP_STREQ(got,
		  "bind /tmp/test_sandbox.agent /s relay=gh (mode 0660, 1000:50)\n"
		  "env SSH_AUTH_SOCK=/mine\n",
		  "ssh: id, target, mode, uid, gid; SSH_AUTH_SOCK kept when set");
	free(got);
	setenv("DF2MAKE_SSH_default", sock, 1);
	got = plan_tail("{\"args\":[\"x\"],\"mounts\":[{\"type\":\"ssh\",\"agent\":"
			"\"DF2MAKE_SSH_default\"}]}",
			skip, &e);
	TAP_STREQ(got,
		  "bind /tmp/test_sandbox.agent /run/buildkit/ssh_agent.0 relay=default (mode "
		  "0600, 0:0)\n"
		  "env SSH_AUTH_SOCK=/run/buildkit/ssh_agent.0\n",
		  "ssh: relayed agent socket (mode 0600 root) + SSH_AUTH_SOCK");
	free(got);
	close(fd);
	unlink(sock);
	test_ssh_refused(skip);
}

static void test_seed_ignore(size_t skip)
{
	struct error e = {0}, ignored;
	char *got, ig[] = "/tmp/test_sandbox.ignore";

	got = plan_tail("{\"args\":[\"x\"],\"mounts\":[{\"type\":\"cache\",\"target\":\"/c\","
			"\"id\":\"i\",\"from\":{\"step\":\"k1\"},\"source\":\"/src\"},"
			"{\"type\":\"cache\",\"target\":\"/d\",\"id\":\"i\"}]}",
			skip, &e);
	TAP_STREQ(got,
		  /* sha256("i\nstep k1:/src") and sha256("i"), first 32 hex digits */
		  "bind,shared /ST/cache/a7923b8dfcdfa0b0fae44dacad661d77 /c (mode 0755, 0:0) "
		  "seed=step k1:/src\n"
		  "bind,shared /ST/cache/de7d1b721a1e0632b7cf04edf5032c8e /d (mode 0755, 0:0)\n",
		  "cache from a step: seeded, and another directory than the same id unseeded");
	free(got);
	write_atomic(ig, "# c\nsecret\n!keep\n", 18, 0644, &ignored);
	got = plan_tail("{\"args\":[\"x\"],\"mounts\":[{\"target\":\"/a\",\"from\":{\"context\":"
			"\"/ctx\",\"ignore\":\"/tmp/test_sandbox.ignore\"}},{\"target\":\"/b\","
			"\"from\":{\"context\":\"/ctx\",\"ignore\":null}}]}",
			skip, &e);
	TAP_STREQ(got,
		  "bind,ro /ctx:/ /a ignore=/tmp/test_sandbox.ignore\n"
		  "bind,ro /ctx:/ /b\n",
		  "context bind: the spec's ignore file; null = none");
	free(got);
	unlink(ig);
	got = plan_tail("{\"args\":[\"x\"],\"mounts\":[{\"target\":\"/a\",\"from\":{\"context\":"
			"\"/ctx\",\"ignore\":\"/nonexistent/.dockerignore\"}}]}",
			skip, &e);
	TAP_OK(strncmp(got, "error: mount 1: bind mount on /a: ignore file: ", 47) == 0,
	       "a named ignore file that cannot be read: %s", got);
	free(got);
}

static void test_mounts(size_t skip)
{
	struct error e = {0};
	char *got, src[] = "/tmp/test_sandbox.secret";
	struct error ignored;

	got = plan_tail("{\"args\":[\"x\"],\"workdir\":\"/w\",\"mounts\":["
			"{\"type\":\"tmpfs\",\"target\":\"/a/b/c\",\"size\":1024},"
			"{\"target\":\"rel\",\"source\":\"sub\",\"from\":{\"context\":\"/ctx\"}},"
			"{\"target\":\"/v\",\"rw\":true,\"from\":{\"step\":\"abc\"}},"
			"{\"type\":\"cache\",\"target\":\"/root/.cache\",\"sharing\":\"locked\","
			"\"mode\":\"0700\",\"uid\":5,\"gid\":6}]}",
			skip, &e);
	TAP_STREQ(
	    got,
	    "view,discard abc:/ /v\n"
	    "bind,ro /ctx:sub /w/rel\n"
	    /* sha256("/root/.cache\nscratch owner 700 5:6"): the owner is part of the
	     * cache's identity */
	    "bind,locked /ST/cache/bdbdd1ec689e26af8a1c72e38bbaa0e1 /root/.cache (mode 0700, 5:6)\n"
	    "tmpfs /a/b/c (size=1024)\n",
	    "mounts sorted by depth, relative target joined with workdir");
	free(got);
	write_atomic(src, "hunter2", 7, 0600, &ignored);
	got = plan_tail("{\"args\":[\"x\"],\"mounts\":["
			"{\"type\":\"secret\",\"id\":\"tok\",\"src\":\"/tmp/test_sandbox.secret\"},"
			"{\"type\":\"secret\",\"id\":\"e\",\"env\":\"TOK\",\"src\":\"/tmp/"
			"test_sandbox.secret\"},"
			"{\"type\":\"secret\",\"id\":\"gone\",\"src\":\"/nonexistent\"}]}",
			skip, &e);
	TAP_STREQ(got, "file,ro /run/secrets/tok (7 bytes, mode 0400, 0:0)\n",
		  "secret file (content never printed); env-only and missing optional secrets");
	TAP_OK(strstr(got, "hunter2") == NULL, "secret content not in the plan output");
	free(got);
	got = plan_tail("{\"args\":[\"x\"],\"mounts\":[{\"type\":\"secret\",\"id\":\"s\","
			"\"required\":true,\"src\":\"/nonexistent\"}]}",
			skip, &e);
	TAP_OK(strncmp(got, "error: mount 1: secret s: required but not provided", 51) == 0,
	       "required secret missing: %s", got);
	free(got);
	unlink(src);
	setenv("TEST_SANDBOX_TOK", "from-env", 1);
	unsetenv("TEST_SANDBOX_UNSET");
	got = plan_tail(
	    "{\"args\":[\"x\"],\"mounts\":["
	    "{\"type\":\"secret\",\"id\":\"t\",\"src\":{\"env\":\"TEST_SANDBOX_TOK\"}},"
	    "{\"type\":\"secret\",\"id\":\"u\",\"src\":{\"env\":\"TEST_SANDBOX_UNSET\"}}]}",
	    skip, &e);
	TAP_STREQ(got, "file,ro /run/secrets/t (8 bytes, mode 0400, 0:0)\n",
		  "secret from an environment variable; an unset one is a missing secret");
	free(got);
	got = plan_tail("{\"args\":[\"x\"],\"mounts\":[{\"type\":\"secret\",\"id\":\"u\","
			"\"required\":true,\"src\":{\"env\":\"TEST_SANDBOX_UNSET\"}}]}",
			skip, &e);
	TAP_STREQ(got,
		  "error: mount 1: secret u: required but not provided: $TEST_SANDBOX_UNSET is not "
		  "set",
		  "required secret from an unset variable");
	free(got);
	test_ssh(skip);
	test_seed_ignore(skip);
	got = plan_tail("{\"args\":[\"x\"],\"mounts\":[{\"type\":\"tmpfs\",\"target\":\"/\"}]}",
			skip, &e);
	TAP_STREQ(got, "error: mount 1: mount: target cannot be /", "target / refused");
	free(got);
	got = plan_tail("{\"args\":[\"x\"],\"mounts\":[{\"type\":\"nfs\",\"target\":\"/n\"}]}",
			skip, &e);
	TAP_STREQ(got, "error: mount 1: mount on /n: unknown type nfs", "unknown type");
	free(got);
	got = plan_tail("{\"args\":[]}", skip, &e);
	TAP_STREQ(got, "error: spec: args is empty", "empty args");
	free(got);
}

static void test_caps(void)
{
	char hex[32];

	snprintf(hex, sizeof(hex), "%016llx", sandbox_default_caps());
	TAP_STREQ(hex, "00000000a80425fb", "Docker's default capability set");
}

/* Runs the classic BPF program p on d as the kernel would (the few
 * instructions seccomp_build emits); 0xdead for anything else. */
static uint32_t bpf_run(const struct sock_filter *p, size_t n, const struct seccomp_data *d)
{
	uint32_t a = 0;

	for (size_t pc = 0; pc < n; pc++) {
		const struct sock_filter *f = &p[pc];
		switch (f->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (f->k + 4 > sizeof(*d))
				return 0xdead;
			memcpy(&a, (const char *)d + f->k, 4);
			break;
		case BPF_JMP | BPF_JA:
			pc += f->k;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += a == f->k ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			pc += a >= f->k ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JSET | BPF_K:
			pc += (a & f->k) ? f->jt : f->jf;
			break;
		case BPF_RET | BPF_K:
			return f->k;
		default:
			return 0xdead;
		}
	}
	return 0xdead;
}

/* The filter's verdict on syscall nr of arch with its first argument. */
static uint32_t verdict(uint32_t arch, int nr, uint64_t arg0)
{
	struct sock_filter p[SECCOMP_MAX_INSNS];
	struct seccomp_data d = {.nr = nr, .arch = arch, .args = {arg0}};

	return bpf_run(p, seccomp_build(p), &d);
}

/* Every syscall number gets the verdict of the denied list (a search
 * tree since session 8: a wrong branch would let one through). */
static void test_seccomp(void)
{
	const uint32_t eperm = SECCOMP_RET_ERRNO | EPERM, enosys = SECCOMP_RET_ERRNO | ENOSYS;
	const uint32_t native = AUDIT_ARCH_X86_64;
	int wrong = -1, ndenied = 0;

	for (int nr = 0; nr < 1024 && wrong < 0; nr++) {
		uint32_t want = seccomp_denied(nr) ? eperm
				: nr == SYS_clone3 ? enosys
						   : SECCOMP_RET_ALLOW;
		ndenied += seccomp_denied(nr);
		if (verdict(native, nr, 0) != want)
			wrong = nr;
	}
	TAP_OK(wrong < 0 && ndenied > 40,
	       "seccomp: syscalls 0-1023: EPERM exactly for the %d denied "
	       "(first wrong: %d), clone3 ENOSYS, the rest allowed",
	       ndenied, wrong);
	TAP_OK(seccomp_denied(SYS_unshare) && seccomp_denied(SYS_keyctl) &&
		   seccomp_denied(SYS_fsopen) && !seccomp_denied(SYS_getpid),
	       "seccomp: unshare, keyctl, fsopen denied; getpid not");
	TAP_OK(verdict(AUDIT_ARCH_I386, SYS_getpid, 0) == enosys &&
		   verdict(native, 0x40000000 | SYS_getpid, 0) == enosys,
	       "seccomp: i386 and x32 calls ENOSYS");
	TAP_OK(verdict(native, SYS_socket, AF_PACKET) == eperm &&
		   verdict(native, SYS_socketpair, AF_VSOCK) == eperm &&
		   verdict(native, SYS_socket, AF_INET) == SECCOMP_RET_ALLOW,
	       "seccomp: AF_PACKET and AF_VSOCK sockets EPERM, AF_INET allowed");
	TAP_OK(verdict(native, SYS_clone, CLONE_NEWUSER) == eperm &&
		   verdict(native, SYS_clone, CLONE_VM | CLONE_THREAD) == SECCOMP_RET_ALLOW,
	       "seccomp: clone with a namespace flag EPERM, a thread allowed");
}

/* The spec's "limits" as the runtime reads them, in one line. */
static char *limits_of(const char *json)
{
	json_t *spec = json_loads(json, 0, NULL);
	struct reslimit l;
	struct error e = {0};
	char *s;

	if (reslimit_plan(&l, spec, &e) < 0)
		s = xasprintf("error: %s", e.msg);
	else {
		s = xasprintf("pids=%lld memory=%lld", l.pids, l.memory);
		for (size_t i = 0; i < l.nulimits; i++) {
			char *t =
			    xasprintf("%s %s=%lld:%lld", s, ulimit_name(l.ulimits[i].resource),
				      (long long)l.ulimits[i].soft, (long long)l.ulimits[i].hard);
			free(s);
			s = t;
		}
	}
	json_decref(spec);
	return s;
}

static void test_limits(void)
{
	static const char *cases[][2] = {
	    {"{}", "pids=4096 memory=0"},
	    {"{\"limits\":{\"pids\":-1}}", "pids=0 memory=0"},
	    {"{\"limits\":{\"memory\":67108864,\"pids\":50,\"ulimits\":[{\"name\":\"nofile\","
	     "\"soft\":100,\"hard\":200}]}}",
	     "pids=50 memory=67108864 nofile=100:200"},
	    {"{\"limits\":{\"ulimits\":[{\"name\":\"nofile\",\"soft\":3,\"hard\":2}]}}",
	     "error: spec: bad ulimit 0"},
	    {"{\"limits\":{\"ulimits\":[{\"name\":\"bogus\",\"soft\":1,\"hard\":1}]}}",
	     "error: spec: bad ulimit 0"},
	    {"{\"limits\":{\"memory\":\"1g\"}}", "error: spec: bad limits"},
	};
	static const char *args[][2] = {
	    {"nofile=1024:2048", "nofile 1024 2048"},
	    {"core=0", "core 0 0"},
	    {"stack=-1", "stack -1 -1"},
	    {"nproc=10:-1", "nproc 10 -1"},
	    {"nofile", "want NAME=SOFT[:HARD], not 'nofile'"},
	    {"nofile=-1:10", "'nofile=-1:10': soft limit must be less than or equal to hard limit"},
	    {"files=1", "unknown ulimit 'files'"},
	};

	for (size_t i = 0; i < LEN(cases); i++) {
		char *got = limits_of(cases[i][0]);
		TAP_STREQ(got, cases[i][1], "limits %s", cases[i][0]);
		free(got);
	}
	for (size_t i = 0; i < LEN(args); i++) {
		struct ulimit u;
		char err[256], got[300];
		if (ulimit_parse(args[i][0], &u, err, sizeof(err)) == 0)
			snprintf(got, sizeof(got), "%s %lld %lld", u.name, u.soft, u.hard);
		else
			snprintf(got, sizeof(got), "%s", err);
		TAP_STREQ(got, args[i][1], "--ulimit %s", args[i][0]);
	}
}

int main(void)
{
	size_t skip = base_lines();

	test_base();
	test_mounts(skip);
	test_caps();
	test_seccomp();
	test_limits();
	return tap_done();
}

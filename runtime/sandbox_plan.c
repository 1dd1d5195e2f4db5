/* sandbox_plan: a RUN step's set-up as a list of ops, built from the spec
 * in the parent before anything is cloned (bubblewrap's SetupOp list). No
 * system call changes anything here, so the list can be printed and
 * unit-tested without namespaces; sandbox_child.c executes it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cleanup.h"
#include "error.h"
#include "fsutil.h"
#include "ignore.h"
#include "mounts.h"
#include "rt.h"
#include "sandbox.h"
#include "sandbox_int.h"

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
static void plan_dev(struct sandbox *sb, json_t *spec)
{
	json_t *shm = json_object_get(spec, "shm_size");
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
	for (size_t i = 0; i < LEN(links); i++) {
		/* runc makes /dev/core only where the kernel has /proc/kcore */
		if (strcmp(links[i][1], "/dev/core") == 0 && access("/proc/kcore", F_OK) < 0)
			continue;
		sandbox_add(sb, SB_SYMLINK, links[i][0], links[i][1], 0);
	}
	sandbox_add(sb, SB_DEVPTS, NULL, "/dev/pts", 0);
	/* df2make --shm-size: bytes, as BuildKit's TmpfsSize (64m by default) */
	sandbox_add(sb, SB_TMPFS, NULL, "/dev/shm", SB_NOSUID)->data =
	    json_is_integer(shm) && json_integer_value(shm) > 0
		? xasprintf("mode=1777,size=%lldk",
			    (long long)(json_integer_value(shm) + 1023) / 1024)
		: xstrdup("mode=1777,size=65536k");
	sandbox_add(sb, SB_MQUEUE, NULL, "/dev/mqueue", 0);
}

/* /etc/hosts and /etc/resolv.conf: generated, mounted read-only from a
 * private tmpfs so they never reach the layer (BuildKit). An /etc made
 * for them stays, as it does in BuildKit's layers. */
static void plan_etc(struct sandbox *sb, json_t *spec)
{
	cleanup_free char *host = NULL;
	struct error ignored;
	struct buf hosts = {0};
	json_t *extra = json_object_get(spec, "extra_hosts"), *h;
	size_t i;

	buf_printf(&hosts, "127.0.0.1\tlocalhost %s\n::1\tlocalhost ip6-localhost ip6-loopback\n",
		   sb->hostname);
	/* df2make --add-host: "IP\tHOST" lines after the defaults, as BuildKit */
	json_array_foreach(extra, i, h)
	{
		const char *line = json_string_value(h);
		if (line && !strchr(line, '\n'))
			buf_printf(&hosts, "%s\n", line);
	}
	add_file(sb, "/etc/hosts", buf_steal(&hosts), 0644, SB_KEEPDIRS);
	if (read_file("/etc/resolv.conf", &host, NULL, &ignored) < 0)
		host = NULL;
	add_file(sb, "/etc/resolv.conf", netns_resolv_conf(&sb->net, host), 0644, SB_KEEPDIRS);
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
	/* insecure holds CAP_NET_ADMIN: it could change a namespace the next
	 * step would get (netpool.c) */
	sb->net.poolable = !sb->insecure;
	if (reslimit_plan(&sb->limits, spec, e) < 0)
		return -1;
	plan_proc(sb);
	plan_dev(sb, spec);
	sandbox_add(sb, SB_SYSFS, NULL, "/sys", SB_KEEPSTUB | SB_RO);
	sandbox_add(sb, SB_CGROUP, NULL, "/sys/fs/cgroup", 0);
	sandbox_add(sb, SB_MASK, NULL, "/sys/firmware", 0);
	plan_etc(sb, spec);
	if (mounts_plan(sb, json_object_get(spec, "mounts"), sb->workdir, e) < 0)
		return -1;
	plan_heredocs(sb, json_object_get(spec, "heredocs"));
	return 0;
}

const char *sandbox_kind_name(enum sandbox_kind k)
{
	static const char *names[] = {"proc",	"tmpfs",  "devpts", "mqueue",  "sysfs",
				      "bind",	"view",	  "file",   "symlink", "mask",
				      "rdonly", "device", "cgroup"};
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
		fprintf(f, "%s%s%s%s%s", sandbox_kind_name(op->kind),
			op->flags & SB_RO ? ",ro" : "", op->flags & SB_DISCARD ? ",discard" : "",
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

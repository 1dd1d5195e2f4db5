/* run: the RUN step. Plans the sandbox, runs it over the parent's
 * snapshot, removes the mount points it had to create from the upper (so
 * only the command's changes form the layer), then commits and stamps. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <dirent.h>
#include <unistd.h>

#include "cleanup.h"
#include "binfmt.h"
#include "error.h"
#include "fsutil.h"
#include "progress.h"
#include "rt.h"
#include "safeopen.h"
#include "sandbox.h"
#include "snapshot.h"
#include "trash.h"
#include "util.h"

/* "RUN make" from the title "[stage 2/5] RUN make", else the argv. */
static char *run_text(json_t *spec)
{
	const char *title = json_string_value(json_object_get(spec, "title"));
	const char *rb = title && title[0] == '[' ? strstr(title, "] ") : NULL;
	char *s, *t;
	size_t i;
	json_t *a;

	if (title && *title)
		return xstrdup(rb ? rb + 2 : title);
	s = xstrdup("RUN");
	json_array_foreach(json_object_get(spec, "args"), i, a)
	{
		t = xasprintf("%s %s", s, json_string_value(a) ? json_string_value(a) : "?");
		free(s);
		s = t;
	}
	return s;
}

/* The overlay work dirs hold mode-0 directories; open them up so that
 * remove_tree can descend (rootless, we are not root out here). */
static void remove_scratch(const char *dir, const char *name)
{
	cleanup_free char *p = xasprintf("%s/%s", dir, name);
	cleanup_free char *ww = xasprintf("%s/work/work", p), *w2 = xasprintf("%s/work", p);
	struct error ignored;

	chmod(ww, 0700);
	chmod(w2, 0700);
	remove_tree(p, &ignored);
}

/* Per-mount scratch: rw-bind uppers, step views, cache seeds, ignore
 * filters, ssh relay sockets; and the rootfs mount point. */
static int is_scratch(const char *name)
{
	static const char *prefixes[] = {"discard-", "view-", "seed-", "ign-", "ssh-"};

	for (size_t i = 0; i < LEN(prefixes); i++)
		if (startswith(name, prefixes[i]))
			return 1;
	return strcmp(name, "root") == 0;
}

/* Everything in STATE/KEY but the upper and chain.json is scratch. */
static void cleanup_step_dir(const struct rt *rt, const char *key)
{
	cleanup_free char *dir = rt_path(rt, key, NULL);
	cleanup_free char *ww = xasprintf("%s/work/work", dir), *wk = xasprintf("%s/work", dir);
	struct error ignored;
	DIR *d = opendir(dir);
	struct dirent *de;

	chmod(ww, 0700);
	while (d && (de = readdir(d))) {
		if (is_scratch(de->d_name))
			remove_scratch(dir, de->d_name);
	}
	if (d)
		closedir(d);
	remove_tree(wk, &ignored);
}

static int is_opaque(const char *p)
{
	return lgetxattr(p, "trusted.overlay.opaque", NULL, 0) >= 0 ||
	       lgetxattr(p, "user.overlay.opaque", NULL, 0) >= 0;
}

/* The topmost lower entry for rel, 0 if found (whiteouts hide it). */
static int lower_stat(json_t *chain, const char *rel, struct stat *st)
{
	for (size_t i = json_array_size(chain); i-- > 0;) {
		const char *d = json_string_value(json_object_get(json_array_get(chain, i), "dir"));
		/* no symlinked parent: a link in a layer must not reach the host */
		int r = safe_lstat(d ? d : "/nonexistent", rel, st);
		if (r == 0)
			return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0) ? -1 : 0;
	}
	return -1;
}

/* A directory copied up only because a mount point was created in it:
 * empty, not opaque, same owner and mode as below; drop the copy. */
static void drop_copied_up(const char *upper, json_t *chain, const char *rel)
{
	char *r = xstrdup(rel), *slash;
	struct stat up, low;

	while ((slash = strrchr(r, '/')) && slash != r) {
		*slash = '\0';
		char *p = xasprintf("%s%s", upper, r);
		int drop = safe_lstat(upper, r, &up) == 0 && S_ISDIR(up.st_mode) &&
			   dir_is_empty(p) && !is_opaque(p) && lower_stat(chain, r, &low) == 0 &&
			   S_ISDIR(low.st_mode) && low.st_mode == up.st_mode &&
			   low.st_uid == up.st_uid && low.st_gid == up.st_gid;
		if (drop)
			rmdir(p);
		free(p);
		if (!drop)
			break;
	}
	free(r);
}

/* /dev /proc /sys themselves, and the directories above /etc/hosts. */
static int keep_stub(const struct sandbox *sb, const char *path)
{
	size_t n = strlen(path);

	for (size_t i = 0; i < sb->nops; i++) {
		const struct sandbox_op *op = &sb->ops[i];
		if (op->flags & SB_KEEPSTUB && strcmp(op->dest, path) == 0)
			return 1;
		if (op->flags & SB_KEEPDIRS && strncmp(op->dest, path, n) == 0 &&
		    op->dest[n] == '/')
			return 1;
	}
	return 0;
}

/* Mount points the sandbox created leave the upper again, deepest first,
 * when still empty (BuildKit's mount stub cleaner); /dev /proc /sys stay,
 * as runc's do. */
static void remove_stubs(const struct rt *rt, const char *key, const struct sandbox *sb)
{
	char *upper = rt_path(rt, key, "/upper");
	struct error ignored;
	json_t *chain = sb->parent ? chain_read(rt, sb->parent, &ignored) : json_array();
	struct stat st;

	for (size_t i = sb->stubs.n; i-- > 0;) {
		const char *rel = sb->stubs.v[i];
		char *p = xasprintf("%s%s", upper, rel);
		/* safe_lstat: the step may have replaced a parent of the stub
		 * by a symlink to the host ("/x" -> "/root"); lstat would follow
		 * it, and the rmdir/unlink below would hit the host's file. */
		if (!keep_stub(sb, rel) && safe_lstat(upper, rel, &st) == 0) {
			if (S_ISDIR(st.st_mode) && !is_opaque(p))
				rmdir(p);
			else if (S_ISREG(st.st_mode) && st.st_size == 0)
				unlink(p);
		}
		if (chain)
			drop_copied_up(upper, chain, rel);
		free(p);
	}
	json_decref(chain);
	free(upper);
}

static const char *signame(int sig)
{
	const char *s = sigabbrev_np(sig);
	return s ? s : "?";
}

/* The command ran: a non-zero status is the step's failure. */
static int check_status(json_t *spec, const struct sandbox *sb, int status, struct error *e)
{
	const char *loc = json_string_value(json_object_get(spec, "loc"));
	char *what;

	if (status == 0 && !sb->limit_note[0])
		return 0;
	what = run_text(spec);
	/* A limit was hit but the command exited 0 (a fork bomb whose failed
	 * forks nobody checked): the step still fails, stricter than Docker. */
	if (status == 0)
		error_set(e, 0, "%s%s%s: %s", loc ? loc : "", loc ? ": " : "", what,
			  sb->limit_note);
	else if (sb->signo)
		error_set(e, 0, "%s%s%s: exit status %d (killed by signal %d, SIG%s)",
			  loc ? loc : "", loc ? ": " : "", what, status, sb->signo,
			  signame(sb->signo));
	else
		error_set(e, 0, "%s%s%s: exit status %d", loc ? loc : "", loc ? ": " : "", what,
			  status);
	free(what);
	/* The limit that stopped it, when one did: the status alone does not say. */
	if (status && sb->limit_note[0] &&
	    strlen(e->msg) + strlen(sb->limit_note) + 3 < sizeof(e->msg))
		strcat(strcat(e->msg, ": "), sb->limit_note);
	return -1;
}

/* "[stage 2/5] RUN make", or the command when there is no title. */
static void report_start(const struct rt *rt, const char *key, json_t *spec)
{
	const char *title = json_string_value(json_object_get(spec, "title"));
	char *what = title && *title ? NULL : run_text(spec);

	progress_step(rt, key, spec, what ? what : title);
	free(what);
}

/* 1 if the JSON array a holds the string s. */
static int has_string(json_t *a, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(a, i, v)
	{
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return 1;
	}
	return 0;
}

/* What only df2make's --allow grants is refused unless the spec also
 * says it was granted: build.mk is a user file, and the runtime must not
 * be the one widening what a step may do (docs/security.md). */
static int check_grants(json_t *spec, struct error *e)
{
	static const struct {
		const char *field, *value, *grant;
	} need[] = {{"network", "host", "network.host"},
		    {"security", "insecure", "security.insecure"}};
	json_t *granted = json_object_get(spec, "entitlements");

	for (size_t i = 0; i < LEN(need); i++) {
		const char *v = json_string_value(json_object_get(spec, need[i].field));
		if (v && strcmp(v, need[i].value) == 0 && !has_string(granted, need[i].grant))
			return error_set(e, 0,
					 "%s %s: %s is not allowed (the spec does not grant it; "
					 "df2make --allow %s does)",
					 need[i].field, v, need[i].grant, need[i].grant);
	}
	return 0;
}

/* A step of another platform runs its binaries through a binfmt_misc
 * handler when they are foreign. Like BuildKit, nothing is refused before
 * the command runs (an image labelled arm64 may hold host binaries); when
 * its exec fails as a foreign binary's does (ENOEXEC without a handler,
 * ENOENT from a handler whose interpreter is not in the root), the error
 * says which platform and how to enable it, with the exec's own words. */
static void explain_platform(json_t *spec, struct error *e)
{
	const char *p = json_string_value(json_object_get(spec, "platform"));
	struct error b = {0};
	char exec_msg[sizeof(e->msg)];
	int code = e->code;

	if (!p || (code != ENOEXEC && code != ENOENT) || binfmt_check(p, &b) == 0)
		return;
	snprintf(exec_msg, sizeof(exec_msg), "%s", e->msg);
	error_set(e, 0, "%s (%s)", b.msg, exec_msg);
	e->code = code;
}

/* The command failed: the ERROR line, then BuildKit's report (output,
 * Dockerfile excerpt, "ERROR: process ... exit code: N"). */
static void report_failure(const struct rt *rt, const char *key, json_t *spec,
			   const struct sandbox *sb, int status, long long t0)
{
	char *why = status ? progress_process_error(json_object_get(spec, "args"), status)
			   : xstrdup(sb->limit_note);

	progress_step_end(rt, key, t0, why);
	progress_report(rt, why);
	free(why);
}

/* Plans, runs, cleans up and commits; 0, or -1 with e set. */
static int run_step(const struct rt *rt, const char *key, json_t *spec, struct sandbox *sb,
		    struct trash *old, struct progress_timing *t, long long t0, struct error *e)
{
	int status = 0, r;

	report_start(rt, key, spec);
	if (check_grants(spec, e) < 0)
		return -1;
	/* The last run's directory is deleted beside the command, not before
	 * it (trash.h): the command's CPU time hides the deletion's I/O. */
	if (rt_reset_step_async(rt, key, old, e) < 0 || sandbox_plan(sb, rt, key, spec, e) < 0)
		return -1;
	progress_timing_mark(t, "prepare");
	r = sandbox_run(sb, &status, e);
	if (r < 0)
		explain_platform(spec, e);
	progress_timing_mark(t, "sandbox");
	progress_timing_note(t, "setup", sb->setup_timing);
	progress_timing_note(t, "net", sb->net.timing);
	progress_timing_note(t, "netwait", sb->net.wait_timing);
	cleanup_step_dir(rt, key);
	if (r < 0)
		return -1;
	if (check_status(spec, sb, status, e) < 0) {
		report_failure(rt, key, spec, sb, status, t0);
		return -2; /* the command failed: e says how, no "RUN step" context */
	}
	remove_stubs(rt, key, sb);
	progress_timing_mark(t, "cleanup");
	r = chain_commit(rt, key, sb->parent, e);
	if (r == 0)
		r = rt_stamp(rt, key, e);
	progress_timing_mark(t, "commit");
	return r;
}

int op_run(const struct rt *rt, const char *key, json_t *spec, struct error *e)
{
	const char *loc = json_string_value(json_object_get(spec, "loc"));
	long long t0 = progress_now();
	struct sandbox sb = {0};
	struct trash old = {.fd = -1};
	struct progress_timing t;
	int r;

	progress_timing_start(&t);
	r = run_step(rt, key, spec, &sb, &old, &t, t0, e);
	trash_wait(&old);
	progress_timing_mark(&t, "trash");
	/* The set-up's own words on the ERROR line; the RUN context after. */
	progress_step_end(rt, key, t0, r == -1 ? e->msg : NULL);
	if (r == -1)
		error_wrap(e, "%s%sRUN step", loc ? loc : "", loc ? ": " : "");
	sandbox_free(&sb);
	progress_timing_print(&t);
	return r < 0 ? -1 : 0;
}

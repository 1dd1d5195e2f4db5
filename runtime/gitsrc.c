/* gitsrc: ADD's git sources, fetched with the host's git, outside the
 * sandbox, as the builder. git is therefore run so that nothing from the
 * repository or the machine's git set-up can run code or read files
 * (docs/security.md "ADD from the network"): no system or global config,
 * no hooks, no fsmonitor, no credential helpers or prompts, only the
 * http(s), git and ssh transports, and never the `ext::`/file transports
 * a crafted URL or submodule could name. ssh gets no configuration and
 * no key but the agent `--ssh default` grants (ssh remotes only).
 * State of a fetch step KEY:
 *   STATE/KEY.fetch  "df2make-fetch 1\ngit COMMIT\n" (rewritten only when
 *                    the ref moved)
 *   STATE/KEY.tree/  the checkout ADD copies (replaced as a whole)
 *   STATE/ssh_known_hosts  host keys met on first contact (git_ssh) */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "cleanup.h"
#include "error.h"
#include "fetch.h"
#include "fsutil.h"
#include "http.h"
#include "input.h"
#include "netsrc.h"
#include "rt.h"
#include "util.h"

extern char **environ;

#define FETCH_MAGIC "df2make-fetch 1\n"

/* What one git source asks for. */
struct gitsrc {
	const char *shown; /* the masked URL, for messages */
	char *url;	   /* what git contacts */
	const char *ref, *subdir, *checksum;
	int keep, submodules;
	char *auth;	   /* "Authorization: ..." from a GIT_AUTH_* secret, or NULL */
	char *sshcmd;	   /* GIT_SSH_COMMAND */
	const char *agent; /* the --ssh agent's socket (ssh remotes), or NULL */
};

/* Config given to every git command (-c): nothing that can run code,
 * only the network transports, no prompt (the low-speed limit, against a
 * stalled or trickling server, is in git_env). */
static const char *const git_config[] = {
    "core.hooksPath=/dev/null",	   "core.fsmonitor=false",	 "protocol.allow=never",
    "protocol.https.allow=always", "protocol.http.allow=always", "protocol.git.allow=always",
    "protocol.ssh.allow=always",   "credential.helper=",	 "init.defaultBranch=master",
    "advice.detachedHead=false",   "core.symlinks=true",	 "gc.auto=0",
};

/* The environment git runs with: the caller's, minus git's own variables
 * (a make run inside a git checkout may export GIT_DIR) and the caller's
 * ssh agent (only --ssh grants one), plus ours; own gets what is malloc'd. */
static char **git_env(const struct gitsrc *g, struct strlist *own)
{
	static const char *const add[] = {"GIT_CONFIG_NOSYSTEM=1",
					  "GIT_CONFIG_GLOBAL=/dev/null",
					  "GIT_TERMINAL_PROMPT=0",
					  "GIT_ASKPASS=/bin/false",
					  "SSH_ASKPASS=/bin/false",
					  "GIT_PROTOCOL_FROM_USER=0",
					  "LC_ALL=C"};
	size_t n = 0, k = 0;
	char **env;

	while (environ[n])
		n++;
	env = xcalloc(n + LEN(add) + 8, sizeof(*env));
	for (size_t i = 0; i < n; i++)
		if (!startswith(environ[i], "GIT_") && !startswith(environ[i], "SSH_ASKPASS=") &&
		    !startswith(environ[i], "SSH_AUTH_SOCK=") && !startswith(environ[i], "LC_ALL="))
			env[k++] = environ[i];
	for (size_t i = 0; i < LEN(add); i++)
		env[k++] = (char *)add[i];
	strlist_take(own, xasprintf("GIT_SSH_COMMAND=%s", g->sshcmd));
	/* http(s) remotes: the runtime's own limit (git's libcurl) */
	strlist_take(own, xasprintf("GIT_HTTP_LOW_SPEED_LIMIT=%ld", http_low_speed_limit()));
	strlist_take(own, xasprintf("GIT_HTTP_LOW_SPEED_TIME=%ld", http_low_speed_time()));
	if (g->agent)
		strlist_take(own, xasprintf("SSH_AUTH_SOCK=%s", g->agent));
	/* the token as config in the environment, which other users cannot
	 * read (a -c argument they could, in /proc/PID/cmdline) */
	if (g->auth) {
		strlist_add(own, "GIT_CONFIG_COUNT=1");
		strlist_take(own, xasprintf("GIT_CONFIG_KEY_0=http.%s.extraheader", g->url));
		strlist_take(own, xasprintf("GIT_CONFIG_VALUE_0=%s", g->auth));
	}
	for (size_t i = 0; i < own->n; i++)
		env[k++] = own->v[i];
	return env;
}

/* Reads what fd (a memfd) holds. */
static void git_slurp(int fd, struct buf *b)
{
	char tmp[4096];
	ssize_t n;

	lseek(fd, 0, SEEK_SET);
	while ((n = read(fd, tmp, sizeof(tmp))) > 0)
		buf_addn(b, tmp, (size_t)n);
}

/* git's stderr on one line ("; " between its lines; ssh ends its own
 * with "\r\n"), for the message. */
static char *git_errors(struct buf *err)
{
	struct buf b = {0};
	char *save = NULL;

	for (char *l = strtok_r(err->s ? err->s : (char[]){""}, "\r\n", &save); l;
	     l = strtok_r(NULL, "\r\n", &save))
		if (*l && b.len < 1000)
			buf_printf(&b, "%s%s", b.len ? "; " : "", l);
	return b.s ? buf_steal(&b) : xstrdup("(no message)");
}

/* argv: git, the safe config, "-C dir" when dir, then args. */
static void git_argv(const char **argv, size_t cap, const char *dir, const char *const *args)
{
	size_t n = 0;

	argv[n++] = "git";
	for (size_t i = 0; i < LEN(git_config); i++) {
		argv[n++] = "-c";
		argv[n++] = git_config[i];
	}
	if (dir) {
		argv[n++] = "-C";
		argv[n++] = dir;
	}
	for (size_t i = 0; args[i] && n + 1 < cap; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
}

/* Starts git with stdin /dev/null, stdout/stderr to ofd/efd and no other
 * fd (make's jobserver pipes stay ours); its wait status in *st. */
static int git_spawn(const struct gitsrc *g, const char *const *argv, int ofd, int efd, int *st)
{
	posix_spawn_file_actions_t fa;
	struct strlist own = {0};
	char **env = git_env(g, &own);
	pid_t pid;
	int r;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, ofd, 1);
	posix_spawn_file_actions_adddup2(&fa, efd, 2);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	r = posix_spawnp(&pid, "git", &fa, NULL, (char *const *)argv, env);
	posix_spawn_file_actions_destroy(&fa);
	strlist_free(&own);
	free(env);
	while (r == 0 && waitpid(pid, st, 0) < 0 && errno == EINTR)
		;
	return r;
}

/* Runs git (safe options, then args) in dir; out gets its stdout. A
 * failure names the URL, the command and git's messages, URLs masked. */
static int git_run(const struct gitsrc *g, const char *dir, const char *const *args,
		   struct buf *out, struct error *e)
{
	cleanup_close int ofd = memfd_create("git-out", MFD_CLOEXEC);
	cleanup_close int efd = memfd_create("git-err", MFD_CLOEXEC);
	const char *argv[64];
	struct buf err = {0};
	int st = 0, r;

	if (ofd < 0 || efd < 0)
		return error_set(e, errno, "memfd_create");
	git_argv(argv, LEN(argv), dir, args);
	if ((r = git_spawn(g, argv, ofd, efd, &st)) != 0)
		return error_set(e, r, "%s: run git (is git installed?)", g->shown);
	if (out)
		git_slurp(ofd, out);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	git_slurp(efd, &err);
	cleanup_free char *all = git_errors(&err);
	cleanup_free char *msg = netsrc_redact_text(all);
	buf_free(&err);
	return error_set(e, 0, "%s: git %s failed: %s", g->shown, args[0], msg);
}

/* 1 when s is a full commit id (sha1 or sha256). */
static int git_is_commit(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return (n == 40 || n == 64) && strspn(s, "0123456789abcdef") == n;
}

/* Picks the commit of ref in ls-remote's output: refs/heads/REF, then
 * refs/tags/REF (peeled ^{} first), then REF itself (HEAD, refs/...). */
static int git_pick(const char *ls, const char *ref, char commit[65])
{
	static const char *const forms[] = {"refs/heads/%s", "refs/tags/%s^{}", "refs/tags/%s",
					    "%s^{}", "%s"};

	for (size_t f = 0; f < LEN(forms); f++) {
		cleanup_free char *want = xasprintf(forms[f], ref);
		for (const char *l = ls; l && *l;
		     l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
			const char *tab = strchr(l, '\t');
			size_t nl = strcspn(l, "\n");
			if (!tab || tab - l > 64 || (size_t)(tab - l) >= nl)
				continue;
			if (strlen(want) == nl - (size_t)(tab - l) - 1 &&
			    strncmp(tab + 1, want, strlen(want)) == 0) {
				snprintf(commit, 65, "%.*s", (int)(tab - l), l);
				return 0;
			}
		}
	}
	return -1;
}

/* The commit the ref names now (ls-remote: cheap, no objects move). */
static int git_resolve(const struct gitsrc *g, char commit[65], struct error *e)
{
	const char *ref = g->ref ? g->ref : "HEAD";
	struct buf out = {0};
	int r;

	if (git_is_commit(g->ref)) {
		snprintf(commit, 65, "%s", g->ref);
		return 0;
	}
	cleanup_free char *peeled = xasprintf("%s^{}", ref);
	r = git_run(g, NULL, (const char *const[]){"ls-remote", "--", g->url, ref, peeled, NULL},
		    &out, e);
	if (r == 0 && (!out.s || git_pick(out.s, ref, commit) < 0))
		r = error_set(e, 0, "%s: ref \"%s\" not found in the repository", g->shown, ref);
	buf_free(&out);
	return r;
}

/* Subdir must be directories only, no symlink (validateDirsOnly). */
static int git_check_subdir(const struct gitsrc *g, const char *root, struct error *e)
{
	cleanup_free char *p = xstrdup(g->subdir);
	struct stat st;

	for (char *s = p;; s++) {
		char c = *s;
		if (c != '/' && c != '\0')
			continue;
		*s = '\0';
		cleanup_free char *full = xasprintf("%s/%s", root, p);
		if (lstat(full, &st) < 0)
			return error_set(e, errno, "%s: subdir \"%s\"", g->shown, p);
		if (!S_ISDIR(st.st_mode))
			return error_set(e, 0,
					 "%s: git subpath \"%s\" contains non-directory \"%s\"",
					 g->shown, g->subdir, p);
		if (!c)
			return 0;
		*s = '/';
	}
}

/* Removes the ".git" file each submodule's work tree got, listed by
 * `git submodule status --recursive` (" SHA PATH (DESC)" lines). */
static void git_drop_submodule_links(const struct gitsrc *g, const char *co)
{
	struct buf out = {0};
	struct error ignored = {0};
	char *save = NULL;

	if (git_run(g, co, (const char *const[]){"submodule", "status", "--recursive", NULL}, &out,
		    &ignored) == 0 &&
	    out.s)
		for (char *l = strtok_r(out.s, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
			char *p = strchr(l + 1, ' ');
			if (!p)
				continue;
			p[1 + strcspn(p + 1, " ")] = '\0';
			if (!strstr(p + 1, "..")) {
				cleanup_free char *link = xasprintf("%s/%s/.git", co, p + 1);
				unlink(link);
			}
		}
	buf_free(&out);
}

/* Submodules, as BuildKit fetches them unless ?submodules=false; their
 * URLs come from the repository, so only the transports of git_config. */
static int git_submodules(const struct gitsrc *g, const char *co, struct error *e)
{
	cleanup_free char *gm = xasprintf("%s/.gitmodules", co);
	struct stat st;

	if (!g->submodules || lstat(gm, &st) < 0)
		return 0;
	return git_run(g, co,
		       (const char *const[]){"submodule", "update", "--init", "--recursive",
					     "--depth=1", NULL},
		       NULL, e);
}

/* Clones commit into co (shallow when the server allows it). */
static int git_clone(const struct gitsrc *g, const char *co, const char *commit, struct error *e)
{
	const char *want = g->ref && !git_is_commit(g->ref) ? g->ref : commit;

	if (mkdir(co, 0755) < 0)
		return error_set(e, errno, "mkdir %s", co);
	if (git_run(g, co, (const char *const[]){"init", "-q", NULL}, NULL, e) < 0)
		return -1;
	if (git_run(g, co,
		    (const char *const[]){"fetch", "-q", "--depth=1", "--no-tags", "--", g->url,
					  want, NULL},
		    NULL, e) < 0) {
		/* no shallow fetch (the dumb http protocol, a server that
		 * refuses a commit id as "want"): fetch the history */
		const char *all[] = {"fetch", "-q",   "--no-tags",
				     "--",    g->url, git_is_commit(want) ? NULL : want,
				     NULL};
		if (git_run(g, co, all, NULL, e) < 0)
			return -1;
	}
	if (git_run(g, co, (const char *const[]){"checkout", "-q", commit, NULL}, NULL, e) < 0)
		return -1;
	return git_submodules(g, co, e);
}

/* --keep-git-dir: the .git BuildKit leaves (origin = the masked URL, no
 * FETCH_HEAD); otherwise none. */
static int git_finish_dir(const struct gitsrc *g, const char *co, struct error *e)
{
	cleanup_free char *dotgit = xasprintf("%s/.git", co);
	cleanup_free char *fh = xasprintf("%s/.git/FETCH_HEAD", co);

	if (!g->keep || g->subdir) {
		git_drop_submodule_links(g, co);
		return remove_tree(dotgit, e);
	}
	if (git_run(g, co, (const char *const[]){"remote", "add", "origin", g->shown, NULL}, NULL,
		    e) < 0)
		return -1;
	unlink(fh);
	return 0;
}

/* The tree ADD copies: the checkout, or its subdir, under STATE/KEY.tree. */
static int git_install(const struct rt *rt, const char *key, const struct gitsrc *g, const char *co,
		       struct error *e)
{
	cleanup_free char *tree = rt_path(rt, key, ".tree");
	cleanup_free char *old = rt_path(rt, key, ".tree-old");
	cleanup_free char *src = g->subdir ? xasprintf("%s/%s", co, g->subdir) : xstrdup(co);
	struct error ignored = {0};

	if (g->subdir && git_check_subdir(g, co, e) < 0)
		return -1;
	remove_tree(old, &ignored);
	if (rename(tree, old) < 0 && errno != ENOENT)
		return error_set(e, errno, "rename %s", tree);
	if (rename(src, tree) < 0)
		return error_set(e, errno, "rename %s", src);
	remove_tree(old, &ignored);
	return 0;
}

static int git_fetch_tree(const struct rt *rt, const char *key, const struct gitsrc *g,
			  const char *commit, struct error *e)
{
	cleanup_free char *tmp = rt_path(rt, key, ".git-tmp");
	cleanup_free char *co = xasprintf("%s/co", tmp);
	struct error ignored = {0};
	int r;

	remove_tree(tmp, &ignored);
	if (mkdir(tmp, 0700) < 0)
		return error_set(e, errno, "mkdir %s", tmp);
	/* git's files get the standard umask, as BuildKit's checkout */
	mode_t old = umask(022);
	r = git_clone(g, co, commit, e);
	umask(old);
	if (r == 0)
		r = git_finish_dir(g, co, e);
	if (r == 0)
		r = git_install(rt, key, g, co, e);
	remove_tree(tmp, &ignored);
	return r;
}

/* s as one single-quoted word of sh (git runs GIT_SSH_COMMAND with sh). */
static char *git_sh_word(const char *s)
{
	struct buf b = {0};

	buf_addc(&b, '\'');
	for (; *s; s++)
		buf_adds(&b, *s == '\'' ? "'\\''" : (char[]){*s, '\0'});
	buf_addc(&b, '\'');
	return buf_steal(&b);
}

/* The agent of an ssh remote: the socket in the variable build.mk exports
 * for `--ssh default` (spec "agent"); never the caller's $SSH_AUTH_SOCK
 * by itself (BuildKit mounts only the agent the client forwards). */
static int git_agent(json_t *spec, struct gitsrc *g, struct error *e)
{
	const char *var = json_string_value(json_object_get(spec, "agent"));
	const char *sock = var ? getenv(var) : NULL;
	struct stat st;

	if (!var || !startswith(var, "DF2MAKE_SSH_"))
		return error_set(e, 0,
				 "%s: no SSH key \"default\" forwarded from the client (an ssh "
				 "remote needs df2make --ssh default[=SOCKET])",
				 g->shown);
	if (!sock || !*sock)
		return error_set(e, 0,
				 "%s: no ssh agent socket: $%s is empty (df2make --ssh "
				 "default=SOCKET, or $SSH_AUTH_SOCK when make runs)",
				 g->shown, var);
	if (stat(sock, &st) < 0)
		return error_set(e, errno, "%s: ssh agent socket %s", g->shown, sock);
	if (!S_ISSOCK(st.st_mode))
		return error_set(e, 0, "%s: ssh agent %s is not a socket", g->shown, sock);
	g->agent = sock;
	return 0;
}

/* How git runs ssh: no ssh config of the user's or the machine's, no key
 * file (only the agent --ssh granted, for an ssh remote), no prompt. Host
 * keys: BuildKit trusts the key its frontend scanned when the build was
 * defined; here the first contact records it in STATE/ssh_known_hosts and
 * later fetches must meet the same key (the machine's ssh_known_hosts
 * still counts), never the user's ~/.ssh/known_hosts. */
static int git_ssh(const struct rt *rt, json_t *spec, struct gitsrc *g, struct error *e)
{
	cleanup_free char *kh = xasprintf("%s/ssh_known_hosts", rt->state);
	cleanup_free char *word = git_sh_word(kh);

	g->sshcmd = xasprintf("ssh -F /dev/null -o BatchMode=yes -o IdentityFile=none "
			      "-o LogLevel=ERROR -o StrictHostKeyChecking=accept-new "
			      "-o UserKnownHostsFile=%s",
			      word);
	return netsrc_is_ssh(g->shown) ? git_agent(spec, g, e) : 0;
}

/* The commit recorded by the last fetch, if its tree is still there. */
static char *git_recorded(const struct rt *rt, const char *key)
{
	cleanup_free char *path = rt_path(rt, key, ".fetch");
	cleanup_free char *tree = rt_path(rt, key, ".tree");
	cleanup_free char *text = NULL;
	size_t len;
	struct error ignored = {0};
	struct stat st;

	if (stat(tree, &st) < 0 || input_read(path, 4096, &text, &len, &ignored) < 0 ||
	    !startswith(text, FETCH_MAGIC "git "))
		return NULL;
	return xstrndup(text + strlen(FETCH_MAGIC "git "),
			strcspn(text + strlen(FETCH_MAGIC "git "), "\n"));
}

int gitsrc_fetch(const struct rt *rt, const char *key, json_t *spec, struct error *e)
{
	struct gitsrc g = {
	    .shown = json_string_value(json_object_get(spec, "remote")),
	    .ref = json_string_value(json_object_get(spec, "ref")),
	    .subdir = json_string_value(json_object_get(spec, "subdir")),
	    .checksum = json_string_value(json_object_get(spec, "checksum")),
	    .keep = json_is_true(json_object_get(spec, "keep_git_dir")),
	    .submodules = !json_is_false(json_object_get(spec, "submodules")),
	};
	cleanup_free char *rec = NULL, *stamp = NULL, *path = NULL;
	char commit[65];
	int r, changed;

	if (!g.shown)
		return error_set(e, 0, "fetch spec has no \"remote\"");
	if (getenv("DF2MAKE_LOOPBACK_ONLY") && !netsrc_loopback(g.shown))
		return error_set(e, 0,
				 "%s: DF2MAKE_LOOPBACK_ONLY is set: only loopback hosts are "
				 "contacted",
				 g.shown);
	if (!(g.url = fetch_url(spec, g.shown, e)))
		return -1;
	if (fetch_auth_header(spec, g.shown, &g.auth, e) < 0) {
		free(g.url);
		return -1;
	}
	r = git_ssh(rt, spec, &g, e);
	if (r == 0)
		r = git_resolve(&g, commit, e);
	if (r == 0 && g.checksum && !startswith(commit, g.checksum))
		r = error_set(e, 0, "expected checksum to match %s, got %s", g.checksum, commit);
	rec = r == 0 ? git_recorded(rt, key) : NULL;
	if (r == 0 && (!rec || strcmp(rec, commit) != 0)) {
		rt_progress(rt, key, spec, "%s", commit);
		r = git_fetch_tree(rt, key, &g, commit, e);
		stamp = xasprintf(FETCH_MAGIC "git %s\n", commit);
		path = rt_path(rt, key, ".fetch");
		if (r == 0)
			r = write_if_changed(path, stamp, strlen(stamp), &changed, e);
	}
	free(g.url);
	free(g.auth);
	free(g.sshcmd);
	return r;
}

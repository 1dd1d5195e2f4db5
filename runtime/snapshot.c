/* snapshot: layer chains (chain.json) and the overlay mounts built from
 * them. A step's filesystem = overlay(lower = its parent's chain, top
 * first; upper = STATE/KEY/upper). Options follow BuildKit's overlay
 * snapshotter: no redirect_dir (the layer differ cannot express renames of
 * directories as redirects), no index, no metacopy (a metacopy upper would
 * hold files without their data), and userxattr inside a user namespace. */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cleanup.h"
#include "error.h"
#include "fsutil.h"
#include "rt.h"
#include "snapshot.h"
#include "util.h"

/* The legacy mount(2) data argument is cut at one page. */
#define MOUNT_DATA_MAX 4095

/* Each entry an object with a "dir" string: a torn or hand-edited file
 * must not become a chain with holes. */
static int chain_valid(json_t *chain, const char *path, struct error *e)
{
	size_t i;
	json_t *ent;

	if (!json_is_array(chain))
		return error_set(e, 0, "read %s: not a JSON array", path);
	json_array_foreach(chain, i, ent)
	{
		if (!json_is_string(json_object_get(ent, "dir")))
			return error_set(e, 0, "read %s: entry %zu has no \"dir\"", path, i);
	}
	return 0;
}

/* The chains this process parsed last. A RUN reads its parent's chain up
 * to six times (the torn-parent check, the rootfs mount, the stub
 * cleanup, the commit, the layer's lowers); jansson's parse is nearly
 * all of chain_read: ~600k instructions for a 31-entry chain, against
 * ~2k for a new array holding the same entries (snapshot.h: callers
 * change the array, never an entry). An entry holds while the file is
 * the same inode, size and mtime: every writer renames a new file into
 * place (write_checked). */
struct chain_memo {
	char *path;
	struct stat st;
	json_t *chain;
};
static struct chain_memo memo[2];
static unsigned memo_next;

/* Whether a and b are the same version of a file. */
static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* A new array of the same entries (shared, not copied). */
static json_t *array_of(json_t *a)
{
	json_t *copy = json_array();

	if (copy && json_array_extend(copy, a) < 0) {
		json_decref(copy);
		copy = NULL;
	}
	return copy;
}

/* The memo entry for path, if the file is still the one it parsed. */
static json_t *memo_get(const char *path, const struct stat *st)
{
	for (size_t i = 0; i < LEN(memo); i++)
		if (memo[i].path && strcmp(memo[i].path, path) == 0 && same_file(&memo[i].st, st))
			return array_of(memo[i].chain);
	return NULL;
}

/* Keeps a valid chain just parsed: its entries, in an array of its own
 * (the caller may append to or drop from its array). */
static void memo_put(const char *path, const struct stat *st, json_t *chain)
{
	struct chain_memo *m = &memo[memo_next++ % LEN(memo)];

	free(m->path);
	json_decref(m->chain);
	m->path = xstrdup(path);
	m->st = *st;
	m->chain = array_of(chain);
	if (!m->chain) {
		free(m->path);
		m->path = NULL;
	}
}

json_t *chain_read(const struct rt *rt, const char *key, struct error *e)
{
	char *path = rt_path(rt, key, "/chain.json"), *text = NULL;
	json_error_t jerr;
	json_t *chain = NULL;
	struct stat st, st2;
	int known = stat(path, &st) == 0;
	size_t len;

	if (known && (chain = memo_get(path, &st))) {
		free(path);
		return chain;
	}
	if (read_file(path, &text, &len, e) < 0) {
		if (e->code == ENOENT)
			error_set(e, ENOENT, "unable to open %s", path);
	} else {
		chain = json_loadb(text, len, 0, &jerr);
		if (!chain) {
			error_set(e, 0, "read %s: %s (torn or not JSON)", path, jerr.text);
			e->code = EINVAL;
		}
	}
	if (chain && chain_valid(chain, path, e) < 0) {
		json_decref(chain);
		chain = NULL;
	}
	/* only when the text read is that version: the same before and after */
	if (chain && known && (size_t)st.st_size == len && stat(path, &st2) == 0 &&
	    same_file(&st, &st2))
		memo_put(path, &st, chain);
	free(text);
	free(path);
	return chain;
}

int dir_is_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int empty = 1;

	if (!d)
		return 1;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
			empty = 0;
			break;
		}
	}
	closedir(d);
	return empty;
}

/* The parent's chain, or [] for scratch. */
static json_t *chain_of_parent(const struct rt *rt, const char *parent, struct error *e)
{
	json_t *chain;

	if (!parent)
		return json_array();
	chain = chain_read(rt, parent, e);
	if (!chain)
		error_wrap(e, "parent step %.8s", parent);
	return chain;
}

int chain_commit(const struct rt *rt, const char *key, const char *parent, struct error *e)
{
	char *upper = rt_path(rt, key, "/upper");
	char *path = rt_path(rt, key, "/chain.json");
	json_t *chain = chain_of_parent(rt, parent, e);
	char *text = NULL;
	int r = -1;

	if (!chain)
		goto out;
	/* An empty upper is no change: no layer, the chain stays the parent's. */
	if (!dir_is_empty(upper))
		json_array_append_new(chain, json_pack("{s:s,s:s}", "dir", upper, "step", key));
	text = json_dumps(chain, JSON_COMPACT);
	if (text) {
		size_t len = strlen(text);
		text[len] = '\n';
		/* no fsync: every reader parses it strictly (chain_read), so
		 * one a crash tore is reported with its repair, never taken for
		 * a shorter chain; pack's sync pass makes it durable */
		r = write_checked(path, text, len + 1, 0644, e);
		text[len] = '\0';
	} else {
		error_set(e, ENOMEM, "encode chain.json");
	}
out:
	free(text);
	json_decref(chain);
	free(upper);
	free(path);
	return r;
}

char *snapshot_escape(const char *path)
{
	struct buf b = {0};

	/* overlayfs splits options on ',' and lowerdir on ':', honouring '\'. */
	for (const char *p = path; *p; p++) {
		if (*p == '\\' || *p == ':' || *p == ',')
			buf_addc(&b, '\\');
		buf_addc(&b, *p);
	}
	return buf_steal(&b);
}

int snapshot_in_userns(void)
{
	FILE *f = fopen("/proc/self/uid_map", "re");
	unsigned long inner = 1, outer = 1, count = 0;
	int n;

	if (!f)
		return 0;
	n = fscanf(f, "%lu %lu %lu", &inner, &outer, &count);
	fclose(f);
	/* The initial namespace maps all 2^32-1 ids onto themselves. */
	return !(n == 3 && inner == 0 && outer == 0 && count == 4294967295UL);
}

int snapshot_mkdir(const char *path, mode_t mode, struct error *e)
{
	if (mkdir(path, mode) == 0 || errno == EEXIST)
		return 0;
	return mkdir_p(path, mode, e);
}

/* STATE/.empty: the bottom lower of every mount, so that a scratch chain
 * still has a lower and a read-only view always has two (overlayfs needs
 * two lowers without an upper). Nothing ever writes into it. */
static char *empty_lower(const struct rt *rt, struct error *e)
{
	char *dir = xasprintf("%s/.empty", rt->state);

	if (snapshot_mkdir(dir, 0755, e) < 0 || !dir_is_empty(dir)) {
		if (!dir_is_empty(dir))
			error_set(e, 0, "%s is not empty", dir);
		free(dir);
		return NULL;
	}
	return dir;
}

/* overlayfs's limit on the lowers of one mount (OVL_MAX_STACK) */
#define OVERLAY_MAX_LOWERS 500

static int lower_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* An image may list one layer twice (its manifest repeats a digest): one
 * directory, which overlayfs refuses to stack twice (ELOOP). Next to
 * itself it is the same as once (the upper copy hides nothing the lower
 * has that it lacks), so it is dropped; apart, it is an error that says
 * so. v has n entries (then NULL); compacted in place, *m entries kept.
 * The repeats apart are found in a sorted copy: comparing every pair cost
 * n^2/2 compares of paths that share their first 60 bytes, 125,000 for a
 * 500-layer chain, at every RUN and mount. */
static int lower_dedup(char **v, size_t n, size_t *m, struct error *e)
{
	cleanup_free char **sorted = NULL;
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (k && strcmp(v[k - 1], v[i]) == 0) {
			free(v[i]);
			v[i] = NULL;
			continue;
		}
		v[k++] = v[i];
		if (i >= k)
			v[i] = NULL;
	}
	*m = k;
	sorted = xmalloc((k ? k : 1) * sizeof(*v));
	memcpy(sorted, v, k * sizeof(*v));
	qsort(sorted, k, sizeof(*sorted), lower_cmp);
	for (size_t i = 1; i < k; i++)
		if (strcmp(sorted[i - 1], sorted[i]) == 0)
			return error_set(e, 0,
					 "layer %s is twice in the image, with other layers "
					 "between (overlayfs cannot stack one directory twice)",
					 sorted[i]);
	return 0;
}

/* 1 when a layer of the chain has an entry named etc at its root: then
 * the merged root's /etc is the image's (or hidden by it), never the
 * stubs' alone. Bottom first: the base image's layer usually has it. */
static int chain_has_etc(json_t *chain)
{
	struct stat st;

	for (size_t i = 0; i < json_array_size(chain); i++) {
		const char *dir =
		    json_string_value(json_object_get(json_array_get(chain, i), "dir"));
		char *p = dir ? path_join(dir, "etc") : NULL;
		int r = p ? lstat(p, &st) : -1;
		free(p);
		if (r == 0)
			return 1;
	}
	return 0;
}

/* Makes STATE/.stubs (etc/hosts, etc/resolv.conf, empty) once: in a
 * locked temp renamed into place, so that a reader sees all or none. */
static int stubs_make(const struct rt *rt, const char *dir)
{
	static const char *const files[] = {"etc/hosts", "etc/resolv.conf"};
	char *tmp = NULL;
	struct error ignored;
	int fd, ok;

	tmp_sweep(rt->state, ".stubs");
	fd = tmp_mkdir(dir, &tmp, &ignored);
	if (fd < 0)
		return -1;
	ok = mkdirat(fd, "etc", 0755) == 0;
	for (size_t i = 0; ok && i < LEN(files); i++) {
		int f = openat(fd, files[i], O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
		ok = f >= 0;
		if (f >= 0)
			close(f);
	}
	/* lost a race with another step: its copy is the same */
	if (!ok || rename(tmp, dir) < 0)
		remove_tree(tmp, &ignored);
	close(fd);
	free(tmp);
	return ok ? 0 : -1;
}

/* STATE/.stubs as the bottom layer of a RUN's rootfs (above .empty): the
 * mount points of /etc/hosts and /etc/resolv.conf that the image lacks.
 * Made in the step's upper instead, they cost each RUN three inodes made
 * and freed (the stubs and /etc's copy-up), and a file system like this
 * machine's ext4 without a journal makes every later inode allocation
 * scan past each freed one for 30 s. At the bottom, every layer's /etc
 * hides the stubs' (its mode, owner and own files win), so it is used
 * only when the image has one: without, the /etc made for the stubs
 * belongs to the layer (BuildKit's), and the upper still makes it. NULL
 * when not used or not made (the upper's stubs then, as before). */
static char *stubs_lower(const struct rt *rt, json_t *chain)
{
	char *dir = xasprintf("%s/.stubs", rt->state), *probe;
	struct stat st;
	int r;

	if (!chain_has_etc(chain)) {
		free(dir);
		return NULL;
	}
	probe = path_join(dir, "etc/resolv.conf");
	r = lstat(probe, &st) == 0 || (stubs_make(rt, dir) == 0 && lstat(probe, &st) == 0);
	free(probe);
	if (!r || !S_ISREG(st.st_mode)) {
		free(dir);
		return NULL;
	}
	return dir;
}

/* The chain's dirs top first, then stubs (when not NULL; taken), then,
 * below fewer than two, the empty lower; malloc'd, NULL-ended. The empty
 * lower only where it is needed: overlayfs stacks at most 500 lowers, and
 * a 500-layer image took 501. At that limit the stubs are left out too
 * (the step's upper makes them then, as without an /etc). */
static char **lower_list(const struct rt *rt, json_t *chain, char *stubs, struct error *e)
{
	size_t n = json_array_size(chain), m = 0;
	char **v = xcalloc(n + 3, sizeof(char *));

	for (size_t i = 0; i < n; i++) {
		const char *dir =
		    json_string_value(json_object_get(json_array_get(chain, i), "dir"));
		if (!dir) {
			error_set(e, 0, "chain.json entry %zu has no \"dir\"", i);
			goto fail;
		}
		v[n - 1 - i] = xstrdup(dir);
	}
	if (lower_dedup(v, n, &m, e) < 0)
		goto fail;
	if (stubs && m < OVERLAY_MAX_LOWERS)
		v[m++] = stubs, stubs = NULL;
	if (m >= 2 || (v[m] = empty_lower(rt, e))) {
		free(stubs);
		return v;
	}
fail:
	for (size_t i = 0; i < n + 2; i++)
		free(v[i]);
	free(v);
	free(stubs);
	return NULL;
}

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

char *snapshot_overlay_opts(char *const *lowers, const char *upper, const char *work, int userxattr)
{
	struct buf b = {0};

	buf_adds(&b, "lowerdir=");
	for (size_t i = 0; lowers[i]; i++) {
		char *esc = snapshot_escape(lowers[i]);
		buf_printf(&b, "%s%s", i ? ":" : "", esc);
		free(esc);
	}
	if (upper) {
		char *u = snapshot_escape(upper), *w = snapshot_escape(work);
		/* volatile: no sync of the whole upper filesystem when the
		 * sandbox's mount goes away (Linux >= 5.10). A step is redone
		 * after a crash anyway, and the work dir (holding the volatile
		 * marker) is removed after every step. */
		buf_printf(&b, ",upperdir=%s,workdir=%s,volatile", u, w);
		free(u);
		free(w);
	}
	/* With userxattr the kernel refuses redirect_dir=off (which still
	 * follows existing redirects); nofollow neither creates nor follows. */
	buf_printf(&b, ",redirect_dir=%s,index=off,metacopy=off%s", userxattr ? "nofollow" : "off",
		   userxattr ? ",userxattr" : "");
	return buf_steal(&b);
}

/* Appends the kernel's fs_context log (why fsconfig failed) to e. */
static int fsctx_error(int fd, const char *what, struct error *e)
{
	char log[512], msg[1024] = "";
	int saved = errno;
	ssize_t n;

	while ((n = read(fd, log, sizeof(log) - 1)) > 0) {
		log[n] = '\0';
		log[strcspn(log, "\n")] = '\0';
		snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg), " [%s]", log + 2);
	}
	return error_set(e, saved, "%s%s", what, msg);
}

static int fsconfig_str(int fd, const char *k, const char *v, struct error *e)
{
	if (fsconfig(fd, FSCONFIG_SET_STRING, k, v, 0) < 0)
		return fsctx_error(fd, k, e);
	return 0;
}

/* The new mount API: one fsconfig per lower ("lowerdir+", Linux 6.8), so
 * chains too long for a page of mount data still mount. */
static int mount_overlay_fd(char *const *lowers, const char *upper, const char *work, int userxattr,
			    int ro, const char *target, struct error *e)
{
	int fd = fsopen("overlay", FSOPEN_CLOEXEC), mfd = -1, r = -1;

	if (fd < 0)
		return error_set(e, errno, "fsopen overlay");
	for (size_t i = 0; lowers[i]; i++)
		if (fsconfig_str(fd, "lowerdir+", lowers[i], e) < 0)
			goto out;
	if (upper && (fsconfig_str(fd, "upperdir", upper, e) < 0 ||
		      fsconfig_str(fd, "workdir", work, e) < 0))
		goto out;
	if (upper && fsconfig(fd, FSCONFIG_SET_FLAG, "volatile", NULL, 0) < 0) {
		fsctx_error(fd, "volatile", e);
		goto out;
	}
	if (fsconfig_str(fd, "redirect_dir", userxattr ? "nofollow" : "off", e) < 0 ||
	    fsconfig_str(fd, "index", "off", e) < 0 || fsconfig_str(fd, "metacopy", "off", e) < 0)
		goto out;
	if (userxattr && fsconfig(fd, FSCONFIG_SET_FLAG, "userxattr", NULL, 0) < 0) {
		fsctx_error(fd, "userxattr", e);
		goto out;
	}
	if (fsconfig(fd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		fsctx_error(fd, "create", e);
		goto out;
	}
	mfd = fsmount(fd, FSMOUNT_CLOEXEC, ro ? MOUNT_ATTR_RDONLY : 0);
	if (mfd < 0 || move_mount(mfd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		error_set(e, errno, "fsmount");
	else
		r = 0;
out:
	if (mfd >= 0)
		close(mfd);
	close(fd);
	return r;
}

/* Mounts overlay(lowers[, upper]) at target, legacy API when the options
 * fit in a page (any kernel), the fd API otherwise. */
static int mount_overlay(char *const *lowers, const char *upper, const char *work, int ro,
			 const char *target, struct error *e)
{
	int ux = snapshot_in_userns();
	char *opts = snapshot_overlay_opts(lowers, upper, work, ux);
	size_t n = 0;
	int r = 0;

	while (lowers[n])
		n++;
	if (strlen(opts) <= MOUNT_DATA_MAX) {
		if (mount("overlay", target, "overlay", ro ? MS_RDONLY : 0, opts) < 0)
			r = error_set(e, errno, "mount overlay on %s (%s)", target, opts);
	} else if (mount_overlay_fd(lowers, upper, work, ux, ro, target, e) < 0) {
		r = error_wrap(e,
			       "mount overlay of %zu lower directories on %s (options exceed a "
			       "page; the fd mount API needs Linux >= 6.8)",
			       n, target);
	}
	free(opts);
	return r;
}

void snapshot_open_work(const char *work)
{
	static const char *const sub[] = {"work", "work/incompat", "work/incompat/volatile"};

	/* overlayfs makes these mode 0 at mount time. Opened up now, a step
	 * killed before its clean-up still leaves a state dir that its owner
	 * can remove without privilege (`make clean` is a plain rm -rf). The
	 * kernel works in them with its mounter's credentials, which do not
	 * look at the mode. */
	for (size_t i = 0; i < LEN(sub); i++) {
		char *p = path_join(work, sub[i]);
		chmod(p, 0700);
		free(p);
	}
}

/* Pool slots: more than the steps a state ever runs at once. */
#define WORK_SLOTS 64

/* A slot's overlay work tree left by its last mount (or by a step
 * killed before its clean-up): opened up (mode 0 dirs) and removed. */
static void work_clear(const char *slot)
{
	char *w = path_join(slot, "work"), *ww = path_join(w, "work");
	struct error ignored;
	struct stat st;

	if (lstat(w, &st) == 0) {
		chmod(ww, 0700);
		chmod(w, 0700);
		remove_tree(w, &ignored);
	}
	free(ww);
	free(w);
}

void snapshot_work_take(const struct rt *rt, struct snapshot_work *w)
{
	char *base = xasprintf("%s/.work", rt->state);

	w->fd = -1;
	w->path = NULL;
	if (snapshot_mkdir(base, 0700, &(struct error){0}) < 0) {
		free(base);
		return;
	}
	for (int n = 0; n < WORK_SLOTS && w->fd < 0; n++) {
		char *slot = xasprintf("%s/%d", base, n);
		int fd = open(slot, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT && (mkdir(slot, 0700) == 0 || errno == EEXIST))
			fd = open(slot, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0) {
			w->fd = fd;
			w->path = slot;
			work_clear(slot);
			break;
		}
		if (fd >= 0)
			close(fd);
		free(slot);
		if (fd < 0 && errno != EWOULDBLOCK)
			break;
	}
	free(base);
}

void snapshot_work_release(struct snapshot_work *w)
{
	if (w->path)
		work_clear(w->path);
	if (w->fd >= 0)
		close(w->fd);
	free(w->path);
	w->fd = -1;
	w->path = NULL;
}

int snapshot_mount_rw(const struct rt *rt, const char *parent, const char *key, const char *target,
		      const struct snapshot_work *run, struct error *e)
{
	char *upper = rt_path(rt, key, "/upper"), *work = rt_path(rt, key, "/work");
	json_t *chain = chain_of_parent(rt, parent, e);
	char **lowers =
	    chain ? lower_list(rt, chain, run ? stubs_lower(rt, chain) : NULL, e) : NULL;
	const char *wd = run && run->path ? run->path : work;
	int r = -1;

	if (lowers && snapshot_mkdir(upper, 0755, e) == 0 &&
	    (wd != work || snapshot_mkdir(work, 0755, e) == 0)) {
		r = mount_overlay(lowers, upper, wd, 0, target, e);
		/* the slot's last overlay not yet gone (its step was killed
		 * and a process of it lingers): the step's own work dir */
		if (r < 0 && wd != work && e->code == EBUSY &&
		    (r = snapshot_mkdir(work, 0755, e)) == 0)
			r = mount_overlay(lowers, upper, wd = work, 0, target, e);
	}
	if (r == 0)
		snapshot_open_work(wd);
	strv_free(lowers);
	json_decref(chain);
	free(upper);
	free(work);
	return r;
}

int snapshot_mount_ro(const struct rt *rt, const char *key, const char *target, struct error *e)
{
	json_t *chain = chain_read(rt, key, e);
	char **lowers = chain ? lower_list(rt, chain, NULL, e) : NULL;
	int r = -1;

	if (lowers)
		r = mount_overlay(lowers, NULL, NULL, 1, target, e);
	else if (chain == NULL)
		error_wrap(e, "step %.8s", key);
	strv_free(lowers);
	json_decref(chain);
	return r;
}

static int write_proc(const char *path, const char *text, struct error *e)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return error_set(e, errno, "open %s", path);
	n = write(fd, text, strlen(text));
	close(fd);
	if (n < 0 || (size_t)n != strlen(text))
		return error_set(e, n < 0 ? errno : EIO, "write %s", path);
	return 0;
}

int snapshot_map_ids(pid_t pid, uid_t uid, gid_t gid, struct error *e)
{
	char path[64], map[64];
	int r;

	/* Order matters: uid_map, then setgroups=deny (an unprivileged writer
	 * may map gids only after giving up setgroups), then gid_map. */
	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)uid);
	r = write_proc(path, map, e);
	snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)pid);
	if (r == 0)
		r = write_proc(path, "deny\n", e);
	snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)pid);
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)gid);
	if (r == 0)
		r = write_proc(path, map, e);
	return r;
}

int snapshot_private_ns(struct error *e)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();

	if (uid != 0) {
		/* Not root: a user namespace where we are 0 gives the
		 * CAP_SYS_ADMIN that mounting overlayfs needs. */
		if (unshare(CLONE_NEWUSER) < 0)
			return error_set(e, errno, "unshare user namespace");
		if (snapshot_map_ids(getpid(), uid, gid, e) < 0)
			return error_wrap(e, "map uid %u to root", (unsigned)uid);
	}
	if (unshare(CLONE_NEWNS) < 0)
		return error_set(e, errno, "unshare mount namespace");
	/* rslave first: our mounts must never propagate back to the host's
	 * shared mounts, while host unmounts still reach us. */
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return error_set(e, errno, "make / rslave");
	return 0;
}

/* workdir: WORKDIR creates its directory (and parents) inside the rootfs,
 * 0755 and owned by the stage's USER (BuildKit's Mkdir with the user's
 * chown; an existing directory is left as it is). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "copyfs.h"
#include "error.h"
#include "rt.h"
#include "snapshot.h"
#include "user.h"
#include "util.h"

static int mkdir_in(const char *mnt, const char *path, const char *user, struct error *e)
{
	struct user_ids ids = {0};
	int root, fd;

	if (user && *user && user_resolve(mnt, user, &ids, e) < 0)
		return error_wrap(e, "user %s", user);
	root = open(mnt, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0) {
		user_ids_free(&ids);
		return error_set(e, errno, "open %s", mnt);
	}
	fd = root_mkdirs(root, path, 0755, ids.uid, ids.gid, 0, e);
	if (fd >= 0)
		close(fd);
	close(root);
	user_ids_free(&ids);
	return fd < 0 ? error_wrap(e, "mkdir %s", path) : 0;
}

static int workdir_mounted(const struct rt *rt, const char *key, const char *parent,
			   const char *path, const char *user, struct error *e)
{
	char *mnt = rt_path(rt, key, "/mnt");
	int r = mkdir(mnt, 0755) < 0 ? error_set(e, errno, "mkdir %s", mnt) : 0;

	if (r == 0)
		r = snapshot_mount_rw(rt, parent, key, mnt, NULL, e);
	if (r == 0) {
		r = mkdir_in(mnt, path, user, e);
		if (umount2(mnt, MNT_DETACH) < 0 && r == 0)
			r = error_set(e, errno, "unmount %s", mnt);
	}
	rmdir(mnt);
	free(mnt);
	return r;
}

int op_workdir(const struct rt *rt, const char *key, json_t *spec, struct error *e)
{
	const char *parent = json_string_value(json_object_get(spec, "parent"));
	const char *path = json_string_value(json_object_get(spec, "path"));
	const char *user = json_string_value(json_object_get(spec, "user"));
	const char *loc = json_string_value(json_object_get(spec, "loc"));
	int r = path ? 0 : error_set(e, 0, "spec has no \"path\"");

	umask(0);
	if (r == 0)
		r = rt_reset_step(rt, key, e);
	if (r == 0)
		r = snapshot_private_ns(e);
	if (r == 0)
		r = workdir_mounted(rt, key, parent, path, user, e);
	if (r == 0)
		r = chain_commit(rt, key, parent, e);
	if (r == 0)
		r = rt_stamp(rt, key, e);
	if (r < 0)
		error_wrap(e, "%s: WORKDIR step", loc ? loc : "Dockerfile");
	return r;
}

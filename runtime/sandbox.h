/* sandbox: a RUN step's set-up as a list of operations (bubblewrap's
 * SetupOp), built from the spec without touching the system so it can be
 * printed and unit-tested, then executed in a child in new namespaces.
 * Code by process: sandbox_plan.c (the parent, before the clone),
 * sandbox_parent.c (the parent while the child runs), sandbox_child.c
 * (inside the namespaces); sandbox_int.h is what they share. */
#ifndef DF_SANDBOX_H
#define DF_SANDBOX_H
#include <jansson.h>
#include <stdio.h>
#include <sys/types.h>

#include "netns.h"
#include "reslimit.h"
#include "snapshot.h"
#include "util.h"

struct rt;
struct error;

enum sandbox_kind {
	SB_PROC,    /* procfs at dest */
	SB_TMPFS,   /* tmpfs at dest, data = fs options "mode=755,size=65536k" */
	SB_DEVPTS,  /* a new devpts instance */
	SB_MQUEUE,  /* mqueue */
	SB_SYSFS,   /* read-only sysfs (a read-only rbind of /sys when not allowed) */
	SB_BIND,    /* host path src (+ sub inside it, never escaping src) at dest */
	SB_VIEW,    /* read-only view of step src's chain (+ sub) at dest */
	SB_FILE,    /* a tmpfs-backed file holding data at dest (secrets, hosts) */
	SB_SYMLINK, /* symlink dest -> src (inside /dev) */
	SB_MASK,    /* hide dest (/dev/null over a file, empty ro tmpfs over a dir) */
	SB_RDONLY,  /* make dest (an existing path) read-only */
	SB_DEVICE,  /* host device node src at dest: mknod as root, else a bind */
	SB_CGROUP,  /* the cgroup filesystem at /sys/fs/cgroup (mounts_cgroup.c) */
};

/* op flags */
#define SB_RO 0x1	 /* mount read-only */
#define SB_DISCARD 0x2	 /* writable, writes thrown away (rw bind) */
#define SB_KEEPSTUB 0x4	 /* a mount point created for it stays in the layer */
#define SB_INITOWNER 0x8 /* first use: chown src to uid:gid, chmod mode */
#define SB_NOSUID 0x10	 /* nosuid,nodev,noexec */
#define SB_PROXY 0x20	 /* ssh: src is the agent; the parent relays it (sshproxy) */
#define SB_SEEDSTEP 0x40 /* cache: seed is a step key (else a host directory) */
#define SB_KEEPDIRS 0x80 /* directories created for it stay in the layer */

struct sandbox_op {
	enum sandbox_kind kind;
	unsigned flags;
	char *src;  /* host path, step key, or symlink target */
	char *sub;  /* path inside src (bind source=), or NULL */
	char *dest; /* absolute path inside the rootfs */
	char *data; /* fs options, or file content (len bytes) */
	size_t len;
	mode_t mode;
	uid_t uid;
	gid_t gid;
	char sharing;	       /* cache mounts: 's'hared, 'p'rivate, 'l'ocked; else 0 */
	char *seed, *seed_sub; /* cache: first content from seed (dir or step) + sub */
	char *fresh;	       /* cache, parent-made: the new dir to fill, then rename */
	char *ignore;	       /* bind from a context: the ignore file applied, or NULL */
	struct ignore *ig;     /* ... parsed; NULL when it has no patterns */
};

struct sandbox {
	const struct rt *rt;
	const char *key, *parent; /* the step and the chain below it */
	struct sandbox_op *ops;
	size_t nops;
	struct strlist argv, env; /* env: K=V; secrets with env= are appended */
	char *user, *workdir, *hostname;
	struct netns net; /* the step's network (netns.h) */
	int insecure;
	struct strlist stubs;	   /* filled by sandbox_run: mount points it created */
	struct snapshot_work work; /* set by sandbox_run: the rootfs's pooled work dir */
	int signo;		   /* set by sandbox_run: the signal that killed the command */
	int userns;		   /* child side: inside a user namespace (userxattr, no gid=5) */
	char setup_timing[64];	   /* DF2MAKE_TIMING: init's set-up "wall/cpu" ms */
	int outfd, errfd;	   /* child side: the command's stdout/stderr (pipe write
				      ends), -1 to inherit the runtime's */
	struct reslimit limits;	   /* pids, memory, ulimits (spec "limits") */
	struct reslimit_cgroup cg; /* set by sandbox_run: the step's cgroups */
	char limit_note[128];	   /* set by sandbox_run: the limit that stopped it, or "" */
};

/* Builds the set-up list from a run spec (no system changes). Call
 * sandbox_free afterwards, also when it fails. */
int sandbox_plan(struct sandbox *sb, const struct rt *rt, const char *key, json_t *spec,
		 struct error *e);
/* Appends an op; strings are copied. */
struct sandbox_op *sandbox_add(struct sandbox *sb, enum sandbox_kind kind, const char *src,
			       const char *dest, unsigned flags);
/* Prints the list one op a line ("bind-ro /ctx/a -> /src"). */
void sandbox_print(const struct sandbox *sb, FILE *f);
/* Runs the step: returns 0 with *status = the command's exit status
 * (128+N for a signal), or -1 when the sandbox could not be set up. */
int sandbox_run(struct sandbox *sb, int *status, struct error *e);
/* Frees everything sb owns. */
void sandbox_free(struct sandbox *sb);
/* Docker's default capability set as a bit mask. */
unsigned long long sandbox_default_caps(void);

#endif

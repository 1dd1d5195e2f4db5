/* reslimit: a RUN's resource limits (issue 13 item 5): a pids limit (4096
 * by default), --memory and --ulimit. The parent puts the sandbox in a
 * cgroup of its own, made under the cgroup the runtime runs in: cgroup v2
 * when that cgroup delegates the controller (its cgroup.subtree_control
 * lists it), else the controller's v1 hierarchy when it is mounted and
 * writable. Without either, the child falls back to rlimits, which bound
 * each process (RLIMIT_DATA) or the user's processes (RLIMIT_NPROC, not
 * enforced for root), not the step. */
#ifndef DF_RESLIMIT_H
#define DF_RESLIMIT_H
#include <jansson.h>
#include <sys/resource.h>
#include <sys/types.h>

struct error;

/* The default pids limit of a RUN (BuildKit sets none; we are stricter). */
#define RESLIMIT_DEFAULT_PIDS 4096

struct reslimit_ulimit {
	int resource; /* RLIMIT_* */
	rlim_t soft, hard;
};

struct reslimit {
	long long memory; /* bytes, 0: none */
	long long pids;	  /* 0: none */
	struct reslimit_ulimit ulimits[16];
	size_t nulimits;
};

/* The step's cgroups, one per controller in use ("" when not). */
struct reslimit_cgroup {
	char pids[4096], memory[4096];
	/* A v1 leaf's "tasks" file, open for the child to move itself in
	 * (reslimit_cgroup_enter_self); -1 for a v2 leaf or none, and once
	 * the parent closed its copy. byself: whether the child does. */
	int selffd[2], byself[2];
};

/* Reads the spec's "limits" object (absent: the default pids limit only). */
int reslimit_plan(struct reslimit *l, json_t *spec, struct error *e);
/* Parent, before the clone: makes the cgroups it can for l (name: a
 * unique leaf name); what it cannot make is left to rlimits. */
void reslimit_cgroup_create(struct reslimit_cgroup *cg, const struct reslimit *l, const char *name);
/* Parent, before the clone: opens the "tasks" file of each v1 leaf, so
 * that the child moves itself in (reslimit_cgroup_enter_self). */
void reslimit_cgroup_open_self(struct reslimit_cgroup *cg);
/* Whether a leaf is left for the parent to move the child into (v2). */
int reslimit_cgroup_needs_parent(const struct reslimit_cgroup *cg);
/* Parent, after the clone: moves the child (and so the whole sandbox)
 * into the leaves it does not enter itself (v2). */
int reslimit_cgroup_enter(const struct reslimit_cgroup *cg, pid_t pid, struct error *e);
/* Child (init, single-threaded, before it forks anything): moves itself
 * into the v1 leaves through the fds of reslimit_cgroup_open_self, and
 * closes them. */
int reslimit_cgroup_enter_self(struct reslimit_cgroup *cg, struct error *e);
/* Parent, after the clone: closes its copies of the fds above. */
void reslimit_cgroup_close_self(struct reslimit_cgroup *cg);
/* Parent, after the sandbox exited: why a limit stopped it, if one did
 * ("out of memory (--memory 64m)"), into note; removes the cgroups. */
void reslimit_cgroup_finish(struct reslimit_cgroup *cg, const struct reslimit *l, char *note,
			    size_t size);
/* Child (the command, before it drops capabilities): --ulimit values, and
 * rlimits for what no cgroup bounds. */
int reslimit_apply_rlimits(const struct reslimit *l, const struct reslimit_cgroup *cg,
			   struct error *e);

#endif

/* sandbox_int: what the sandbox's three files share and its callers do
 * not see. sandbox_plan.c builds the op list (parent, before the clone),
 * sandbox_parent.c starts the child and serves it while it runs,
 * sandbox_child.c is everything that runs inside the new namespaces. The
 * two processes talk only through struct sandbox_msg records on a
 * SOCK_SEQPACKET socketpair (crun's sync socket): one record a packet. */
#ifndef DF_SANDBOX_INT_H
#define DF_SANDBOX_INT_H
#include <stdint.h>

#include "error.h"
#include "sandbox.h"

enum sandbox_msg_type {
	SBM_GO = 1,  /* parent -> child: the id maps are written, set up now */
	SBM_STUB,    /* child -> parent: text = a mount point it created (rootfs path) */
	SBM_TIMING,  /* text = init's set-up time, "wall/cpu" ms (DF2MAKE_TIMING) */
	SBM_RELEASE, /* parent -> child: in its cgroup, the network stack up: exec now */
	SBM_ERROR,   /* num = errno (0: none); step = what the child was doing;
			text = the detail below it, without strerror */
};

/* One message; strings are NUL-terminated (the receiver enforces it). */
struct sandbox_msg {
	int32_t type; /* enum sandbox_msg_type */
	int32_t num;
	char step[512];				     /* SBM_ERROR: "tmpfs on /x", "exec make" */
	char text[sizeof(((struct error *)0)->msg)]; /* path, timing or error detail */
};

/* Whether the child waits for SBM_RELEASE after its set-up: the parent
 * then still has work on it (enter the cgroup, start the network stack)
 * that overlaps the set-up instead of preceding it. */
int sandbox_waits_release(const struct sandbox *sb);
/* The op kind as printed and named in errors ("bind", "tmpfs"). */
const char *sandbox_kind_name(enum sandbox_kind k);
/* The child: pid 1 of the new namespaces. Waits for SBM_GO on sock, sets
 * up the rootfs and execs the command, which stays pid 1. */
_Noreturn void sandbox_child_main(struct sandbox *sb, const char *root, int sock);

#endif

/* netns: a RUN step's network. By default the step gets a network
 * namespace of its own, joined to the outside by a user-mode stack
 * (slirp4netns) that the runtime starts for it and stops after it: the
 * outside is reachable, the host's loopback and its own addresses are not.
 * "none" is a namespace with only lo; "host" (an entitlement the compiler
 * grants) is the runtime's own network. */
#ifndef DF_NETNS_H
#define DF_NETNS_H
#include <netinet/in.h>
#include <sys/types.h>

#include "netpool.h"

struct error;

enum netns_mode {
	NETNS_SANDBOX, /* own namespace + slirp4netns (spec "default" or absent) */
	NETNS_NONE,    /* own namespace, lo only */
	NETNS_HOST,    /* the runtime's namespace */
};

/* The user-mode stack's fixed addresses (slirp4netns defaults). */
#define NETNS_GUEST "10.0.2.100"
#define NETNS_DNS "10.0.2.3"

struct netns {
	enum netns_mode mode;
	char *helper;		    /* parent: slirp4netns's path (netns_prepare) */
	struct in_addr *host;	    /* the host's own IPv4 addresses, made unreachable inside */
	size_t nhost;		    /* ... their number */
	int started;		    /* parent: netns_start ran, the fields below are set */
	pid_t pid;		    /* ... the running stack, or 0 */
	int exitfd, logfd;	    /* ... closing exitfd stops it; its output */
	int readyfd;		    /* ... what it writes "1" to once up (netns_wait) */
	char timing[32];	    /* ... netns_start's "wall/cpu" ms (DF2MAKE_TIMING) */
	char wait_timing[32];	    /* ... netns_wait's, while the child sets up */
	int poolable;		    /* plan: may join a pooled namespace (not insecure) */
	struct netpool_lease lease; /* parent: the pooled namespace, when leased */
};

/* Reads the spec's "network" value (NULL, "default", "none", "host"). */
int netns_plan(struct netns *n, const char *mode, struct error *e);
/* The clone(2) flag the mode needs: CLONE_NEWNET, or 0 for host. */
int netns_clone_flag(const struct netns *n);
/* The sandbox's /etc/resolv.conf from the host's text (NULL if none). */
char *netns_resolv_conf(const struct netns *n, const char *host);
/* Parent, before clone: finds the helper and reads the host's addresses
 * (default network), then leases a pooled namespace for the step when it
 * can (default or none; netpool.h; state: the state directory). */
int netns_prepare(struct netns *n, const char *state, struct error *e);
/* Parent, after clone and the id maps, before the child is released:
 * starts the stack on child's namespace (netns_wait: until it is up). */
int netns_start(struct netns *n, pid_t child, int userns, struct error *e);
/* Parent, while the child sets up its mounts: waits until the stack is
 * up (the child execs the command only after that). */
int netns_wait(struct netns *n, struct error *e);
/* Child, first thing: joins the leased namespace, if any. */
int netns_join(const struct netns *n, struct error *e);
/* Child, in its namespace, before dropping capabilities: lo up; the
 * host's addresses unreachable (a leased namespace has them already). */
int netns_child(const struct netns *n, struct error *e);
/* Stops and reaps the stack if it ran, ends the lease if there was one,
 * then frees what n owns. Called when the step is over (sandbox_free,
 * after the commit): until then the stack forwards what the command sent
 * last; no stack of the step's own outlives it. */
void netns_free(struct netns *n);

#endif

/* netpool: default- and none-network namespaces kept between the RUN steps of one
 * state directory, as BuildKit keeps a pool of network namespaces for its
 * steps. Starting slirp4netns for every step costs more CPU than the rest
 * of the sandbox; a pooled namespace is joined with one setns(2).
 *
 * Entry N of STATE/.netpool is a keeper process: it holds a network
 * namespace configured as netns.c configures a step's (tap0, lo, the
 * host's addresses unreachable), the slirp4netns serving it, and a socket
 * STATE/.netpool/N.sock that hands the namespace's fd to a step. A step
 * uses entry N while it holds the lock N.lock, so no two steps share a
 * namespace at once. A keeper not used for DF2MAKE_NETPOOL seconds (10 by
 * default; 0 turns the pool off) exits, and its slirp4netns with it. Root
 * of the initial user namespace only: a rootless step's namespace belongs
 * to its own user namespace. --network=none steps are pooled too, in
 * entries noneN of their own (lo up, no stack): a new network namespace
 * costs a step ~0.4 ms to make and the kernel as much again to tear down. */
#ifndef DF_NETPOOL_H
#define DF_NETPOOL_H

struct netns;

/* A step's hold on a pool entry (the fds are valid when held is 1). */
struct netpool_lease {
	int held;
	int lockfd; /* N.lock, flocked */
	int conn;   /* the connection to the keeper, open while the step runs */
	int nsfd;   /* the namespace, for setns(2) */
};

/* Sets l to "no lease". */
void netpool_lease_init(struct netpool_lease *l);
/* Leases a pooled namespace for the step (starting its keeper if need
 * be) whose network n describes (netns_prepare done): 1 with l filled, 0
 * when the pool cannot serve it (off, rootless, every entry busy, the
 * keeper failed): the step then starts a stack of its own, whose errors
 * are the ones to report. */
int netpool_get(const char *state, const struct netns *n, struct netpool_lease *l);
/* Ends the lease: the entry is free for the next step. */
void netpool_put(struct netpool_lease *l);
/* Tells every keeper of state to exit (make clean). */
void netpool_stop(const char *state);

#endif

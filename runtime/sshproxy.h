/* sshproxy: RUN --mount=type=ssh. Like BuildKit, the sandbox never sees
 * the agent's own socket: it gets a socket of the step's own, with the
 * mount's mode and owner, and a relay process forwards each connection to
 * the agent. */
#ifndef DF_SSHPROXY_H
#define DF_SSHPROXY_H
#include <sys/types.h>

struct error;

/* Listens on path (mode, uid:gid) and forks the relay to agent; *pid is
 * the relay process. */
int sshproxy_start(const char *agent, const char *path, mode_t mode, uid_t uid, gid_t gid,
		   pid_t *pid, struct error *e);
/* Kills and reaps the relay (and, through PDEATHSIG, its connections). */
void sshproxy_stop(pid_t pid);

#endif

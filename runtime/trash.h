/* trash: a step directory removed off the step's critical path.
 *
 * Deleting a RUN's last upper (go build's cache: a few hundred files) took
 * 0.1-0.9 s of wall time for ~15 ms of CPU on an ext4 mounted with
 * `discard`: every freed extent is trimmed before unlink returns. The old
 * directory is renamed into STATE/.trash under a locked temp name instead
 * (one rename: the step starts from an empty directory at once) and a
 * child process deletes it while the command runs. A killed run's entries
 * keep no lock and are swept by the next step (trash_sweep). */
#ifndef DF_TRASH_H
#define DF_TRASH_H
#include <sys/types.h>

struct rt;
struct error;

struct trash {
	pid_t pid;  /* the deleting child, 0 when none runs */
	int fd;	    /* the entry's lock (flock), -1 when none */
	char *path; /* STATE/.trash/NAME.tmp-XXXXXX; malloc'd */
};

/* Moves path (a directory of the state, on its file system) into
 * STATE/.trash and starts a child removing it; nothing to do when path is
 * missing. 0, or -1 with e set (path then stays where it was). */
int trash_move(const struct rt *rt, const char *path, struct trash *t, struct error *e);
/* Waits for the child of trash_move and releases t; 0 when the entry is
 * gone (or there was none), -1 when the child could not remove it all
 * (the next sweep tries again). */
int trash_wait(struct trash *t);
/* Removes the entries of STATE/.trash that no live process holds: what
 * killed runs left. */
void trash_sweep(const struct rt *rt);

#endif

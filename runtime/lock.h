/* lock: serialises steps of concurrent make runs that share one state
 * directory. A step holds STATE/lock shared and STATE/KEY.lock exclusive
 * while it runs; a destructive op would take STATE/lock exclusive. */
#ifndef DF_LOCK_H
#define DF_LOCK_H

struct error;
struct rt;

/* Takes the locks for step op OP ("run", "layer", ...) on KEY, waiting
 * (with a message) while another build holds them. *already_done is set
 * when the op's output was written by another build during this make's
 * lifetime, so the caller must not redo (and wipe) it. Also removes temp
 * files a killed run of this step left behind. */
int rt_step_lock(const struct rt *rt, const char *op, const char *key, int *already_done,
		 struct error *e);
/* Records in STATE/KEY.lock that op OP was done by this process's make
 * (call after the op succeeded, before unlocking): a concurrent make
 * waiting for the lock then knows who did it. */
void rt_step_record(const char *op);
/* Releases what rt_step_lock took (process exit does too). */
void rt_step_unlock(void);
/* 1 if key is a usable step key: [A-Za-z0-9_-], 1 to 128 characters. */
int rt_key_valid(const char *key);
/* The file whose presence means op is done (".done", ".layer", ".seen"), or
 * NULL. */
const char *rt_op_output(const char *op);

#endif

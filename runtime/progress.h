/* progress: BuildKit-style plain progress for a step. "#KEY8 TITLE" at the
 * start, "#KEY8 DONE 1.2s" or "#KEY8 ERROR: ..." at the end, and the
 * command's output relayed line by line with a "#KEY8 " prefix, so that
 * the steps of parallel stages stay readable under make -j. */
#ifndef DF_PROGRESS_H
#define DF_PROGRESS_H
#include <stddef.h>

struct rt;

/* One relayed stream: the read end of the command's pipe and where its
 * prefixed lines go (1 or 2). */
struct progress_relay {
	int in, out;
	char prefix[16]; /* "#KEY8 " */
	size_t n;	 /* bytes of an unfinished line in buf */
	char buf[4096];
};

/* A step's first line, "#KEY8 TEXT"; the step is open until
 * progress_step_end. */
void progress_step(const struct rt *rt, const char *key, const char *text);
/* Closes the open step (else does nothing) with "#KEY8 DONE 1.2s" (t0 =
 * progress_now() at its start), or "#KEY8 ERROR: err" when err is set. */
void progress_step_end(const struct rt *rt, const char *key, long long t0, const char *err);
/* Prints "#KEY8 " + the formatted text as one line on stderr, unless quiet. */
void progress_line(const struct rt *rt, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Seconds since the monotonic start time start_ns (for "DONE 1.2s"). */
double progress_elapsed(long long start_ns);
/* Monotonic clock in nanoseconds. */
long long progress_now(void);
/* Sets up a relay from fd in to fd out, prefixed with "#KEY8 ". */
void progress_relay_init(struct progress_relay *r, const char *key, int in, int out);
/* Reads what is available and writes the complete lines; returns 0 at end
 * of file (after writing an unfinished last line), 1 otherwise. */
int progress_relay_read(struct progress_relay *r);

/* DF2MAKE_TIMING=1 in the environment: one line on stderr per step,
 * "timing: PHASE WALL_MS/CPU_MS ...", CPU = this process and its reaped
 * children (bench/run-overhead.sh reads it). The first phase, "start", is
 * the CPU spent before the step began (loading, option parsing). */
struct progress_timing {
	int on;
	long long wall; /* ns at the last mark */
	double cpu;	/* ms at the last mark */
	size_t n;
	char buf[512];
};

/* Starts timing (a no-op unless DF2MAKE_TIMING is set). */
void progress_timing_start(struct progress_timing *t);
/* Records the phase that ends now. */
void progress_timing_mark(struct progress_timing *t, const char *phase);
/* Adds "NAME TEXT" (a part measured elsewhere) when text is not empty. */
void progress_timing_note(struct progress_timing *t, const char *name, const char *text);
/* Prints the line. */
void progress_timing_print(const struct progress_timing *t);

#endif

/* progress: a step's progress in BuildKit's shapes (docs/sandbox.md,
 * "Progress and output"). One step per process; the mode comes from
 * --progress or $DF2MAKE_PROGRESS (build.mk exports $(PROGRESS)):
 *   plain    "#5 [build 2/5] RUN make", "#5 0.123 output", "#5 DONE 1.2s"
 *   tty      a live view shared by the runtimes of one make (progtty.c)
 *   rawjson  one JSON object per event, BuildKit's SolveStatus fields
 *   quiet    nothing but a failing step's report, and pack prints the
 *            image id on stdout (docker build -q); none: not even that
 * "#5" is the spec's "vertex" (the step's number in build.mk, given by
 * the compiler), "#KEY8" when the spec has none. Every line is written
 * with one write(2), so lines of concurrent runtimes stay whole. */
#ifndef DF_PROGRESS_H
#define DF_PROGRESS_H
#include <jansson.h>
#include <stddef.h>

struct rt;

enum progress_mode {
	PROGRESS_PLAIN,
	PROGRESS_TTY,
	PROGRESS_RAWJSON,
	PROGRESS_QUIET, /* and the image id on stdout (buildx's quiet) */
	PROGRESS_NONE,	/* only errors */
};

/* Chooses the mode by name: auto (also NULL or ""), plain, tty, quiet,
 * none or rawjson; auto is tty when stderr is a terminal (and TERM is not dumb),
 * else plain. tty needs the state dir (state, may be NULL: then plain).
 * -1 for an unknown name. */
int progress_init(const char *name, const char *state);
/* The mode progress_init chose. */
enum progress_mode progress_mode(void);

/* One relayed stream of a command: the read end of its pipe and the
 * stream number (1 stdout, 2 stderr) its lines are logged as. */
struct progress_relay {
	int in, out;
	size_t n; /* bytes of an unfinished line in buf */
	char buf[4096];
};

/* Names the op this process runs (run, copy, layer, ...): a step key
 * serves several ops (a step and its layer), a vertex is one op's. */
void progress_set_op(const char *op);
/* A step's first event, "#5 TEXT"; the step is open until
 * progress_step_end. spec (may be NULL) gives "vertex", "loc", "lines". */
void progress_step(const struct rt *rt, const char *key, json_t *spec, const char *text);
/* The open step was taken from a cache: it ends with "#5 CACHED". */
void progress_cached(void);
/* Closes the open step (else does nothing) with "#5 DONE 1.2s" (t0 =
 * progress_now() at its start), "#5 CACHED", or "#5 ERROR: err". */
void progress_step_end(const struct rt *rt, const char *key, long long t0, const char *err);
/* An event line of the open step, "#5 TEXT" (the key's step when none is
 * open), unless quiet. */
void progress_line(const struct rt *rt, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A line for the user outside the step's events (a warning): on stderr
 * as it is, or above the tty view, which it would otherwise break. */
void progress_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The line of a step's failure (main's "df2make-runtime: ..."), as a
 * note; the tty view then freezes: make's "Error 1" follows. */
void progress_failed(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A line of the command's output on stream 1 or 2: "#5 0.123 TEXT" on
 * that stream in plain mode; kept for the failure report in every mode. */
void progress_log(int stream, const char *text, size_t len);
/* Bytes done of a transfer named id (total 0: unknown), e.g. while
 * packing; rate-limited here, so callers may call it for every chunk. */
void progress_bytes(const char *id, long long current, long long total);
/* Lets the tty view advance its clocks; the RUN loop calls it while the
 * command runs. Returns the milliseconds until it wants the next call
 * (-1: never, in the other modes). */
int progress_tick(void);
/* After a failed step: BuildKit's report on stderr, the step's last
 * output lines, the Dockerfile excerpt with the failing lines marked,
 * "ERROR: msg" (progerr.c). Not with --quiet. */
void progress_report(const struct rt *rt, const char *msg);
/* BuildKit's message for a command that failed: `process "/bin/sh -c
 * make" did not complete successfully: exit code: 2` (args as Go's %q
 * quotes them); malloc'd. */
char *progress_process_error(json_t *args, int status);
/* Seconds since the monotonic start time start_ns (for "DONE 1.2s"). */
double progress_elapsed(long long start_ns);
/* Monotonic clock in nanoseconds. */
long long progress_now(void);
/* Sets up a relay from fd in, logging its lines as stream out (1 or 2). */
void progress_relay_init(struct progress_relay *r, int in, int out);
/* Reads what is available and logs the complete lines; returns 0 at end
 * of file (after logging an unfinished last line), 1 otherwise. */
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

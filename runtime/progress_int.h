/* progress_int: what the progress modes share about the step this process
 * runs (progress.c owns it; progjson.c, progtty.c and progerr.c read it). */
#ifndef DF_PROGRESS_INT_H
#define DF_PROGRESS_INT_H
#include <stddef.h>

#define PROGRESS_LOGS 10 /* lines kept for the report: BuildKit's logsBufferSize */
#define PROGRESS_LOG_MAX 512

struct progress_step {
	int open, cached;
	char id[24];	 /* "#5", or "#KEY8" without a vertex */
	char key[33];	 /* the step key */
	char digest[72]; /* rawjson's vertex digest: "sha256:" + hash of op and key */
	int vertex;	 /* the spec's "vertex", 0 when none */
	char title[512];
	long long t0;	  /* monotonic ns at the start */
	long long wall0;  /* real time ns at the start (rawjson timestamps) */
	char loc[256];	  /* the spec's "loc", "Dockerfile:12" */
	int line0, line1; /* the spec's "lines": the instruction's first and last */
	/* the last PROGRESS_LOGS output lines, "0.123 text", a ring */
	char logs[PROGRESS_LOGS][PROGRESS_LOG_MAX];
	size_t nlogs;	 /* lines logged so far; the ring's next slot is nlogs % PROGRESS_LOGS */
	char status[96]; /* bytes of a transfer, "1.05MB / 3.40MB" */
};

/* The step of this process. */
extern struct progress_step progress_cur;

/* "0.123 " as BuildKit stamps a log line: seconds since the step's start,
 * 3 decimals under 10 s, 2 under 100 s, else 1. */
int progress_stamp(char *out, size_t size);
/* Real time in nanoseconds. */
long long progress_wall(void);

/* rawjson: the step's vertex (started; completed with cached or error when
 * done), a log line, a status (progjson.c). */
void progjson_vertex(int done, const char *err);
/* A log line of stream 1 or 2 (data gets its newline back). */
void progjson_log(int stream, const char *text, size_t len);
/* A status named id; done sets "completed". */
void progjson_status(const char *id, long long current, long long total, int done);

/* tty: the view's shared file, STATE/progress.tty, opened once (with
 * make_dir, the state dir made first); -1 when it cannot be (progtty.c). */
int progtty_setup(const char *state, int make_dir);
/* Joins the view with this step's line. */
void progtty_begin(void);
/* The step's log lines or status changed (redrawn at most every 100 ms). */
void progtty_update(int force);
/* Leaves the view: the step's final line goes above it; after an error
 * the view freezes (no live lines), so make's own messages stay. */
void progtty_end(const char *err);
/* Prints text above the view (a warning, a failure report); freeze: a
 * step failed, make will print its own lines, the view stops drawing. */
void progtty_print(const char *text, size_t len, int freeze);
/* Milliseconds until the view wants redrawing (its clocks). */
int progtty_tick(void);

#endif

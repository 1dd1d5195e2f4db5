/* progress: the step's events in the chosen mode (see progress.h). The
 * plain mode is here; rawjson, tty and the failure report have their own
 * files. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "progress.h"
#include "progress_int.h"
#include "rt.h"
#include "sha256.h"
#include "util.h"

struct progress_step progress_cur;
static enum progress_mode mode = PROGRESS_PLAIN;
static const char *op_name = "";
static const char *state_dir; /* where the tty view's model lives */

/* "auto": a terminal that can move its cursor gets the live view. */
static int auto_tty(void)
{
	const char *term = getenv("TERM");

	return isatty(2) && term && *term && strcmp(term, "dumb") != 0;
}

int progress_init(const char *name, const char *state)
{
	static const char *const names[] = {"plain", "tty", "rawjson", "quiet", "none"};

	if (!name || !*name || strcmp(name, "auto") == 0)
		name = auto_tty() ? "tty" : "plain";
	for (size_t i = 0; i < LEN(names); i++)
		if (strcmp(name, names[i]) == 0)
			mode = (enum progress_mode)i;
	if (strcmp(name, names[mode]) != 0)
		return -1;
	/* the view is shared through a file in the state dir, opened when a
	 * step starts (a command such as fsck must not create the dir) */
	state_dir = state;
	if (mode == PROGRESS_TTY && !state)
		mode = PROGRESS_PLAIN;
	return 0;
}

enum progress_mode progress_mode(void)
{
	return mode;
}

long long progress_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

long long progress_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

double progress_elapsed(long long start_ns)
{
	return (double)(progress_now() - start_ns) / 1e9;
}

int progress_stamp(char *out, size_t size)
{
	double s = progress_elapsed(progress_cur.t0);

	return snprintf(out, size, "%.*f ", s < 10 ? 3 : s < 100 ? 2 : 1, s);
}

/* Writes fmt's text plus a newline with one write on fd. */
static void say(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(int fd, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	/* Best effort: a closed stderr must not fail the step. */
	(void)write_all(fd, line, (size_t)n);
}

void progress_set_op(const char *op)
{
	op_name = op;
}

/* rawjson's vertex digest: one per op and key (a step and its layer
 * share the key). */
static void vertex_digest(char out[72], const char *key)
{
	char *text = xasprintf("df2make-vertex 1\n%s\n%s\n", op_name, key), hex[65];

	sha256_hex(text, strlen(text), hex);
	snprintf(out, 72, "sha256:%s", hex);
	free(text);
}

/* Fills progress_cur for the step key from its spec. */
static void step_setup(const char *key, json_t *spec, const char *text)
{
	struct progress_step *c = &progress_cur;
	json_t *lines = json_object_get(spec, "lines");
	const char *loc = json_string_value(json_object_get(spec, "loc"));

	memset(c, 0, sizeof(*c));
	c->open = 1;
	snprintf(c->key, sizeof(c->key), "%s", key);
	/* Only rawjson prints it; hashing it for every step made each RUN
	 * initialise libcrypto (its config file, providers: ~1 ms of CPU). */
	if (mode == PROGRESS_RAWJSON)
		vertex_digest(c->digest, key);
	c->vertex = (int)json_integer_value(json_object_get(spec, "vertex"));
	if (c->vertex > 0)
		snprintf(c->id, sizeof(c->id), "#%d", c->vertex);
	else
		snprintf(c->id, sizeof(c->id), "#%.8s", key);
	snprintf(c->title, sizeof(c->title), "%s", text ? text : "");
	snprintf(c->loc, sizeof(c->loc), "%s", loc ? loc : "");
	c->line0 = (int)json_integer_value(json_array_get(lines, 0));
	c->line1 = (int)json_integer_value(json_array_get(lines, 1));
	if (!lines && loc && strrchr(loc, ':')) /* a one-line instruction: its loc */
		c->line0 = c->line1 = atoi(strrchr(loc, ':') + 1);
	c->t0 = progress_now();
	c->wall0 = progress_wall();
}

void progress_step(const struct rt *rt, const char *key, json_t *spec, const char *text)
{
	step_setup(key, spec, text);
	if (rt->quiet)
		return;
	if (mode == PROGRESS_TTY && progtty_setup(state_dir, 1) < 0)
		mode = PROGRESS_PLAIN;
	if (mode == PROGRESS_PLAIN)
		say(2, "%s %s", progress_cur.id, progress_cur.title);
	else if (mode == PROGRESS_RAWJSON)
		progjson_vertex(0, NULL);
	else if (mode == PROGRESS_TTY)
		progtty_begin();
}

void progress_cached(void)
{
	progress_cur.cached = 1;
}

void progress_step_end(const struct rt *rt, const char *key, long long t0, const char *err)
{
	struct progress_step *c = &progress_cur;

	(void)key;
	if (!c->open)
		return;
	c->open = 0;
	if (rt->quiet)
		return;
	if (mode == PROGRESS_RAWJSON)
		progjson_vertex(1, err);
	else if (mode == PROGRESS_TTY)
		progtty_end(err);
	else if (mode != PROGRESS_PLAIN)
		return;
	else if (err)
		say(2, "%s ERROR: %s", c->id, err);
	else if (c->cached)
		say(2, "%s CACHED", c->id);
	else
		say(2, "%s DONE %.1fs", c->id, progress_elapsed(t0));
}

void progress_line(const struct rt *rt, const char *key, const char *fmt, ...)
{
	char text[512], id[24];
	va_list ap;

	if (rt->quiet || mode >= PROGRESS_QUIET)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (mode == PROGRESS_RAWJSON) {
		progjson_status(text, 0, 0, 1);
	} else if (mode == PROGRESS_TTY) {
		snprintf(progress_cur.status, sizeof(progress_cur.status), "%.*s",
			 (int)sizeof(progress_cur.status) - 1, text);
		progtty_update(0);
	} else {
		if (progress_cur.open)
			snprintf(id, sizeof(id), "%s", progress_cur.id);
		else
			snprintf(id, sizeof(id), "#%.8s", key);
		say(2, "%s %s", id, text);
	}
}

/* progress_note's work; failed: the note is a step's failure. */
static void note(int failed, const char *fmt, va_list ap)
{
	char line[2200];
	int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);

	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	/* before its step has begun, a runtime may hold no view of its own,
	 * but other runtimes' view is there: it goes above that */
	if (mode == PROGRESS_TTY && progtty_setup(state_dir, 0) == 0)
		progtty_print(line, (size_t)n, failed);
	else
		(void)write_all(2, line, (size_t)n);
}

void progress_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	note(0, fmt, ap);
	va_end(ap);
}

void progress_failed(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	note(1, fmt, ap);
	va_end(ap);
}

void progress_log(int stream, const char *text, size_t len)
{
	struct progress_step *c = &progress_cur;
	char stamp[24], *slot = c->logs[c->nlogs++ % PROGRESS_LOGS];
	int n = progress_stamp(stamp, sizeof(stamp));

	snprintf(slot, PROGRESS_LOG_MAX, "%s%.*s", stamp, (int)len, text);
	if (mode == PROGRESS_RAWJSON) {
		progjson_log(stream, text, len);
	} else if (mode == PROGRESS_TTY) {
		progtty_update(0);
	} else if (mode == PROGRESS_PLAIN) {
		size_t il = strlen(c->id);
		char *line = xmalloc(il + 1 + (size_t)n + len + 1);
		memcpy(line, c->id, il);
		line[il] = ' ';
		memcpy(line + il + 1, stamp, (size_t)n);
		memcpy(line + il + 1 + n, text, len);
		line[il + 1 + n + len] = '\n';
		/* Best effort: a closed stdout must not fail the step. */
		(void)write_all(stream, line, il + 1 + (size_t)n + len + 1);
		free(line);
	}
}

/* "3.40MB", as BuildKit's units.Bytes prints with %.2f. */
static void human(char *out, size_t size, long long n)
{
	static const char *const unit[] = {"B", "kB", "MB", "GB", "TB"};
	double v = (double)n;
	size_t u = 0;

	while (v >= 1000 && u + 1 < LEN(unit)) {
		v /= 1000;
		u++;
	}
	snprintf(out, size, "%.2f%s", v, unit[u]);
}

/* Plain: a transfer's line when it starts, moved 5% or 5 s since the
 * last one (BuildKit's printer), and when it is done. */
static int bytes_due(const char *id, long long current, long long total, int done)
{
	static long long last_n = -1, last_t;
	static char last_id[80];
	long long now = progress_now();

	if (strncmp(id, last_id, sizeof(last_id) - 1) != 0) { /* another transfer */
		snprintf(last_id, sizeof(last_id), "%s", id);
		last_n = -1;
	}
	if (last_n < 0 && total <= 0) { /* size unknown: a line every 5 s only */
		last_n = current;
		last_t = now;
		return 0;
	}
	if (!done && last_n >= 0 && now - last_t < 5000000000LL &&
	    (total <= 0 || (double)(current - last_n) / (double)total < 0.05))
		return 0;
	last_n = current;
	last_t = now;
	return 1;
}

void progress_bytes(const char *id, long long current, long long total)
{
	struct progress_step *c = &progress_cur;
	int done = total > 0 && current >= total;
	char a[24], b[24];

	if (!c->open)
		return;
	human(a, sizeof(a), current);
	human(b, sizeof(b), total);
	if (total > 0)
		snprintf(c->status, sizeof(c->status), "%.40s %s / %s", id, a, b);
	else
		snprintf(c->status, sizeof(c->status), "%.40s %s", id, a);
	if (mode == PROGRESS_TTY)
		progtty_update(done);
	else if (mode == PROGRESS_RAWJSON && bytes_due(id, current, total, done))
		progjson_status(id, current, total, done);
	else if (mode == PROGRESS_PLAIN && c->open && bytes_due(id, current, total, done))
		say(2, "%s %s %.1fs%s", c->id, c->status, progress_elapsed(c->t0),
		    done ? " done" : "");
}

int progress_tick(void)
{
	return mode == PROGRESS_TTY ? progtty_tick() : -1;
}

void progress_relay_init(struct progress_relay *r, int in, int out)
{
	memset(r, 0, sizeof(*r));
	r->in = in;
	r->out = out;
}

/* Logs every complete line in buf; a full buffer without a newline goes
 * out as a line of its own. */
static void drain(struct progress_relay *r)
{
	char *start = r->buf, *nl;

	while ((nl = memchr(start, '\n', r->n - (size_t)(start - r->buf)))) {
		progress_log(r->out, start, (size_t)(nl - start));
		start = nl + 1;
	}
	r->n -= (size_t)(start - r->buf);
	memmove(r->buf, start, r->n);
	if (r->n == sizeof(r->buf)) {
		progress_log(r->out, r->buf, r->n);
		r->n = 0;
	}
}

int progress_relay_read(struct progress_relay *r)
{
	ssize_t got = read(r->in, r->buf + r->n, sizeof(r->buf) - r->n);

	if (got < 0 && (errno == EINTR || errno == EAGAIN))
		return 1;
	if (got <= 0) {
		if (r->n)
			progress_log(r->out, r->buf, r->n);
		r->n = 0;
		return 0;
	}
	r->n += (size_t)got;
	drain(r);
	return 1;
}
/* CPU milliseconds of this process plus its reaped children. */
static double cpu_ms(void)
{
	struct rusage self, kids;
	double ms = 0;

	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	ms += (double)(self.ru_utime.tv_sec + self.ru_stime.tv_sec + kids.ru_utime.tv_sec +
		       kids.ru_stime.tv_sec) *
	      1e3;
	ms += (double)(self.ru_utime.tv_usec + self.ru_stime.tv_usec + kids.ru_utime.tv_usec +
		       kids.ru_stime.tv_usec) /
	      1e3;
	return ms;
}

void progress_timing_start(struct progress_timing *t)
{
	const char *v = getenv("DF2MAKE_TIMING");

	memset(t, 0, sizeof(*t));
	t->on = v && *v && strcmp(v, "0") != 0;
	if (!t->on)
		return;
	t->wall = progress_now();
	t->cpu = cpu_ms();
	t->n = (size_t)snprintf(t->buf, sizeof(t->buf), "timing: start -/%.2f", t->cpu);
}

void progress_timing_mark(struct progress_timing *t, const char *phase)
{
	long long now;
	double cpu;

	if (!t->on || t->n >= sizeof(t->buf))
		return;
	now = progress_now();
	cpu = cpu_ms();
	t->n += (size_t)snprintf(t->buf + t->n, sizeof(t->buf) - t->n, " %s %.2f/%.2f", phase,
				 (double)(now - t->wall) / 1e6, cpu - t->cpu);
	t->wall = now;
	t->cpu = cpu;
}

void progress_timing_note(struct progress_timing *t, const char *name, const char *text)
{
	if (t->on && *text && t->n < sizeof(t->buf))
		t->n +=
		    (size_t)snprintf(t->buf + t->n, sizeof(t->buf) - t->n, " (%s %s)", name, text);
}

void progress_timing_print(const struct progress_timing *t)
{
	char line[sizeof(t->buf) + 1];

	if (!t->on)
		return;
	memcpy(line, t->buf, t->n);
	line[t->n] = '\n';
	(void)write_all(2, line, t->n + 1);
}

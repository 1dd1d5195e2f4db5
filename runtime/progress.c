/* progress: step progress lines and the prefixed output relay. Each line
 * is written with a single write(2), so lines from concurrent runtimes
 * sharing make's stdout/stderr interleave whole (pipe writes up to
 * PIPE_BUF are atomic). */
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
#include "rt.h"
#include "util.h"

void progress_line(const struct rt *rt, const char *key, const char *fmt, ...)
{
	char line[1024];
	int n = snprintf(line, sizeof(line), "#%.8s ", key);
	va_list ap;

	if (rt->quiet)
		return;
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	(void)write_all(2, line, (size_t)n);
}

/* One step per process: whether its DONE/ERROR line is still due. */
static int step_open;

void progress_step(const struct rt *rt, const char *key, const char *text)
{
	progress_line(rt, key, "%s", text);
	step_open = 1;
}

void progress_step_end(const struct rt *rt, const char *key, long long t0, const char *err)
{
	if (!step_open)
		return;
	step_open = 0;
	if (err)
		progress_line(rt, key, "ERROR: %s", err);
	else
		progress_line(rt, key, "DONE %.1fs", progress_elapsed(t0));
}

long long progress_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

double progress_elapsed(long long start_ns)
{
	return (double)(progress_now() - start_ns) / 1e9;
}

void progress_relay_init(struct progress_relay *r, const char *key, int in, int out)
{
	memset(r, 0, sizeof(*r));
	r->in = in;
	r->out = out;
	snprintf(r->prefix, sizeof(r->prefix), "#%.8s ", key);
}

/* Writes "#KEY8 " + len bytes + "\n" with one write. */
static void emit(const struct progress_relay *r, const char *p, size_t len)
{
	size_t pl = strlen(r->prefix);
	char line[sizeof(r->prefix) + sizeof(r->buf) + 1];

	memcpy(line, r->prefix, pl);
	memcpy(line + pl, p, len);
	line[pl + len] = '\n';
	/* Best effort: a closed stdout must not fail the step. */
	(void)write_all(r->out, line, pl + len + 1);
}

/* Emits every complete line in buf; a full buffer without a newline goes
 * out as a line of its own. */
static void drain(struct progress_relay *r)
{
	char *start = r->buf, *nl;

	while ((nl = memchr(start, '\n', r->n - (size_t)(start - r->buf)))) {
		emit(r, start, (size_t)(nl - start));
		start = nl + 1;
	}
	r->n -= (size_t)(start - r->buf);
	memmove(r->buf, start, r->n);
	if (r->n == sizeof(r->buf)) {
		emit(r, r->buf, r->n);
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
			emit(r, r->buf, r->n);
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

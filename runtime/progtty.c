/* progtty: --progress=tty, a live view at the bottom of the terminal that
 * the runtimes of one `make -j` draw together. Each runtime is a separate
 * process, so the view's model is a file in the state dir,
 * STATE/progress.tty: a slot per running step (its title, clock, status
 * and last output lines) and the height of the view on the screen. Under
 * an exclusive flock a runtime reads the model, changes its own slot and
 * redraws the whole view with one write: cursor up over the old view,
 * clear to the end of the screen, lines that stay (finished steps, a
 * failure report), then the live view. Nobody else moves the cursor, so
 * the screen and the model agree; a model whose runtimes are all gone
 * (an interrupted make) starts over at height 0 and never erases what is
 * above it. After a failure the view freezes (no live lines) until every
 * runtime has left, so make's own messages ("Error 1", "Waiting for
 * unfinished jobs") are not drawn over. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "buf.h"
#include "error.h"
#include "fsutil.h"
#include "progress.h"
#include "progress_int.h"
#include "utf8.h"
#include "util.h"

#define TTY_SLOTS 32
#define TTY_LOGS 3 /* output lines shown under a running step */
#define TTY_TEXT 200
#define TTY_MAGIC "df2make-tty 1"
#define TTY_EVERY_NS 100000000LL /* at most ten draws a second */

struct tty_slot {
	int pid; /* 0: free */
	int vertex;
	long long pid_start; /* with pid, the process's identity */
	long long t0;	     /* monotonic ns at the step's start */
	char title[TTY_TEXT];
	char status[96];
	char logs[TTY_LOGS][TTY_TEXT];
};

struct tty_model {
	char magic[16];
	int height; /* lines of the live view above the cursor */
	int frozen; /* a step failed: no live view until all have left */
	long long drawn;
	struct tty_slot slot[TTY_SLOTS];
};

static int tty_fd = -1;
static long long self_start, last_update;
static struct tty_model m;

/* Start time of pid (field 22 of /proc/PID/stat), 0 when it is gone or
 * a zombie (killed, its parent gone too, not reaped yet). */
static long long pid_start(int pid)
{
	char path[64], buf[1024], *p;
	long long start = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* the name may hold spaces and parentheses: count from the last ')' */
	if (!(p = strrchr(buf, ')')) || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
		return 0;
	for (int field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (p)
		start = strtoll(p + 1, NULL, 10);
	return start;
}

int progtty_setup(const char *state, int make_dir)
{
	char *path;
	struct error e = {0};

	if (tty_fd >= 0)
		return 0;
	path = xasprintf("%s/progress.tty", state);
	if (!make_dir || mkdir_p(state, 0700, &e) == 0)
		tty_fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	free(path);
	self_start = pid_start(getpid());
	return tty_fd < 0 ? -1 : 0;
}

/* Every string of a slot ends within it, whatever the file held. */
static void terminate(struct tty_slot *s)
{
	s->title[sizeof(s->title) - 1] = '\0';
	s->status[sizeof(s->status) - 1] = '\0';
	for (int k = 0; k < TTY_LOGS; k++)
		s->logs[k][TTY_TEXT - 1] = '\0';
}

/* Reads the model under the lock; drops the slots of runtimes that are
 * gone, and with none left, the screen state of the last make too. */
static void load(void)
{
	int used = 0;

	flock(tty_fd, LOCK_EX);
	if (pread(tty_fd, &m, sizeof(m), 0) != (ssize_t)sizeof(m) ||
	    strcmp(m.magic, TTY_MAGIC) != 0) {
		memset(&m, 0, sizeof(m));
		snprintf(m.magic, sizeof(m.magic), "%s", TTY_MAGIC);
	}
	for (int i = 0; i < TTY_SLOTS; i++) {
		struct tty_slot *s = &m.slot[i];
		if (s->pid && pid_start(s->pid) != s->pid_start)
			memset(s, 0, sizeof(*s));
		terminate(s);
		used += s->pid != 0;
	}
	if (!used || m.height < 0 || m.height > TTY_SLOTS * (TTY_LOGS + 1))
		m.height = m.frozen = 0;
}

/* Writes the model back and lets the next runtime have it. */
static void save(void)
{
	(void)pwrite(tty_fd, &m, sizeof(m), 0);
	flock(tty_fd, LOCK_UN);
}

static struct tty_slot *own_slot(int take)
{
	struct tty_slot *free_slot = NULL;

	for (int i = 0; i < TTY_SLOTS; i++) {
		if (m.slot[i].pid == getpid() && m.slot[i].pid_start == self_start)
			return &m.slot[i];
		if (!m.slot[i].pid && !free_slot)
			free_slot = &m.slot[i];
	}
	if (take && free_slot) {
		memset(free_slot, 0, sizeof(*free_slot));
		free_slot->pid = getpid();
		free_slot->pid_start = self_start;
	}
	return take ? free_slot : NULL;
}

/* Appends at most cols characters of s with control characters as
 * spaces (a command's escape sequences must not move the cursor); the
 * text after a carriage return replaces what was before it, as on a
 * terminal. Returns the columns used. */
static int fit(struct buf *b, const char *s, int cols)
{
	const char *cr = strrchr(s, '\r');
	int used = 0, w;

	if (cr && cr[1])
		s = cr + 1;
	while (*s && used < cols) {
		int r = utf8_decode(s, strlen(s), &w);
		if (r < 0x20 || r == 0x7f)
			buf_addc(b, ' ');
		else if (r == RUNE_ERROR && w == 1)
			buf_addc(b, '?');
		else
			buf_addn(b, s, (size_t)w);
		s += w;
		used++;
	}
	return used;
}

/* " => TEXT ... 1.2s" padded to the width, as BuildKit's tty lines. */
static void put_line(struct buf *b, const char *pfx, const char *text, double secs, int width)
{
	char timer[32];
	int tl = secs >= 0 ? snprintf(timer, sizeof(timer), " %.1fs", secs) : 0;
	int room = width - 1 - (int)strlen(pfx) - tl, used;

	buf_adds(b, pfx);
	used = fit(b, text, room > 0 ? room : 0);
	for (; used < room; used++)
		buf_addc(b, ' ');
	if (tl)
		buf_adds(b, timer);
	buf_addc(b, '\n');
}

static void term_size(int *width, int *height)
{
	struct winsize ws;

	*width = 80;
	*height = 24;
	if (ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0) {
		*width = ws.ws_col;
		*height = ws.ws_row;
	}
}

/* The running steps in the order of their numbers. */
static int by_vertex(const void *a, const void *b)
{
	const struct tty_slot *x = *(struct tty_slot *const *)a, *y = *(struct tty_slot *const *)b;

	return x->vertex != y->vertex ? (x->vertex > y->vertex) - (x->vertex < y->vertex)
				      : (x->t0 > y->t0) - (x->t0 < y->t0);
}

/* The live view: a line per running step, its last output lines under it
 * while the screen has room; returns the number of lines. */
static int live_view(struct buf *b, int width, int rows)
{
	struct tty_slot *run[TTY_SLOTS];
	int n = 0, lines = 0, room = rows - 2, logs = 0;
	long long now = progress_now();
	char text[TTY_TEXT + 100];

	for (int i = 0; i < TTY_SLOTS; i++)
		if (m.slot[i].pid)
			run[n++] = &m.slot[i];
	qsort(run, (size_t)n, sizeof(*run), by_vertex);
	for (int i = 0; i < n; i++)
		for (int k = 0; k < TTY_LOGS; k++)
			logs += run[i]->logs[k][0] != 0;
	for (int i = 0; i < n && lines < room; i++) {
		if (i + 1 < n && lines + 1 == room) {
			put_line(b, " => ", "...", -1, width);
			return lines + 1;
		}
		snprintf(text, sizeof(text), "%s%s%s", run[i]->title, run[i]->status[0] ? " " : "",
			 run[i]->status);
		put_line(b, " => ", text, (double)(now - run[i]->t0) / 1e9, width);
		lines++;
		for (int k = 0; k < TTY_LOGS && n + logs <= room; k++)
			if (run[i]->logs[k][0]) {
				put_line(b, " => => # ", run[i]->logs[k], -1, width);
				lines++;
			}
	}
	return lines;
}

/* Redraws in one write, the cursor hidden: up to the old view's first
 * line, then over it (no blank frame in between: every line is written
 * over the old one and erased to its end), text that stays, the view,
 * and an erase of what is left below. */
static void draw(const char *above, size_t len)
{
	struct buf b = {0};
	int width, rows;

	term_size(&width, &rows);
	buf_adds(&b, "\033[?25l");
	if (m.height > 0)
		buf_printf(&b, "\r\033[%dA", m.height);
	for (size_t i = 0; above && i < len; i++) {
		if (above[i] == '\n')
			buf_adds(&b, "\033[K");
		buf_addc(&b, above[i]);
	}
	m.height = m.frozen ? 0 : live_view(&b, width, rows);
	buf_adds(&b, "\033[J\033[?25h");
	(void)write_all(2, b.s, b.len);
	m.drawn = progress_now();
	buf_free(&b);
}

/* Copies this step's title, status and last output lines into its slot. */
static void fill(struct tty_slot *s)
{
	const struct progress_step *c = &progress_cur;
	size_t first = c->nlogs > TTY_LOGS ? c->nlogs - TTY_LOGS : 0;

	s->vertex = c->vertex;
	s->t0 = c->t0;
	snprintf(s->title, sizeof(s->title), "%.*s", (int)sizeof(s->title) - 1, c->title);
	snprintf(s->status, sizeof(s->status), "%s", c->status);
	memset(s->logs, 0, sizeof(s->logs));
	for (size_t i = first; i < c->nlogs; i++) {
		const char *l = c->logs[i % PROGRESS_LOGS];
		const char *sp = strchr(l, ' '); /* after the time stamp */
		snprintf(s->logs[i - first], TTY_TEXT, "%s", sp ? sp + 1 : l);
	}
}

void progtty_begin(void)
{
	struct tty_slot *s;

	load();
	if ((s = own_slot(1)))
		fill(s);
	draw(NULL, 0);
	save();
	last_update = progress_now();
}

void progtty_update(int force)
{
	long long now = progress_now();
	struct tty_slot *s;

	if (tty_fd < 0 || (!force && now - last_update < TTY_EVERY_NS))
		return;
	last_update = now;
	load();
	if ((s = own_slot(0)))
		fill(s);
	if (force || now - m.drawn >= TTY_EVERY_NS)
		draw(NULL, 0);
	save();
}

int progtty_tick(void)
{
	progtty_update(0);
	return 100;
}

void progtty_end(const char *err)
{
	const struct progress_step *c = &progress_cur;
	struct tty_slot *s;
	struct buf line = {0};
	char *text;
	int width, rows;

	if (tty_fd < 0)
		return;
	term_size(&width, &rows);
	text = xasprintf("%s%s", err ? "ERROR " : c->cached ? "CACHED " : "", c->title);
	put_line(&line, " => ", text, progress_elapsed(c->t0), width);
	free(text);
	load();
	if ((s = own_slot(0)))
		memset(s, 0, sizeof(*s));
	if (err)
		m.frozen = 1;
	draw(line.s, line.len);
	save();
	buf_free(&line);
}

void progtty_print(const char *text, size_t len, int freeze)
{
	if (tty_fd < 0) { /* no state dir: no view there to keep */
		(void)write_all(2, text, len);
		return;
	}
	load();
	if (freeze)
		m.frozen = 1;
	draw(text, len);
	save();
}

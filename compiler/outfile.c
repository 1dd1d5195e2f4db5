/* outfile: see outfile.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outfile.h"
#include "util.h"

/* Read by the exit and signal handlers: the descriptor and its size at
 * the start, or fd -1 when nothing is watched. */
static volatile sig_atomic_t out_fd = -1;
static off_t out_start;

static void outfile_undo(void)
{
	int fd = out_fd;

	out_fd = -1;
	if (fd >= 0 && ftruncate(fd, out_start) != 0) {
		/* nothing better to do: the error that brought us here is
		 * already on stderr */
	}
}

static void outfile_signal(int sig)
{
	outfile_undo();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void outfile_trap(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = outfile_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < LEN(sigs); i++) {
		struct sigaction old;
		/* a signal ignored by our parent (nohup) stays ignored */
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
			sigaction(sigs[i], &sa, NULL);
	}
	atexit(outfile_undo);
}

int outfile_begin(int fd)
{
	struct stat st, err;
	int fl = fcntl(fd, F_GETFL);
	off_t pos;

	if (fl < 0 || (fl & O_APPEND) || (fl & O_ACCMODE) == O_RDONLY)
		return 0;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return 0;
	/* `> f 2>&1`: truncating would take the error message back too */
	if (fstat(STDERR_FILENO, &err) == 0 && err.st_dev == st.st_dev && err.st_ino == st.st_ino)
		return 0;
	pos = lseek(fd, 0, SEEK_CUR);
	if (pos < 0 || pos != st.st_size)
		return 0;
	out_start = pos;
	out_fd = fd;
	outfile_trap();
	return 1;
}

void outfile_write(const void *p, size_t n)
{
	const char *s = p;

	while (n) {
		ssize_t w = write(out_fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			fatal("write error on standard output: %s", strerror(w < 0 ? errno : EIO));
		s += w;
		n -= (size_t)w;
	}
}

void outfile_commit(void)
{
	out_fd = -1;
}

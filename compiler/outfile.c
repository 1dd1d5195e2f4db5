/* outfile: see outfile.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
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

int outfile_write(const void *p, size_t n)
{
	const char *s = p;

	while (n) {
		ssize_t w = write(out_fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return -1;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Copies the spilled part in the kernel (build.mk is megabytes); 1 when
 * done, 0 when f cannot take it that way (nothing written), -1 when a
 * write failed. */
static int outfile_sendfile(FILE *spill, FILE *f)
{
	off_t off = 0, size = ftello(spill);
	ssize_t n;

	if (size < 0 || fflush(f) != 0)
		return 0;
	while (off < size) {
		n = sendfile(fileno(f), fileno(spill), &off, (size_t)(size - off));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 && off == 0)
			return 0; /* say, a descriptor sendfile does not write to */
		if (n <= 0)
			return -1;
	}
	return 1;
}

/* The copy through a buffer, from the start of spill. */
static int outfile_read_copy(FILE *spill, FILE *f, struct diags *dg)
{
	char chunk[1 << 16];
	size_t n;

	if (fseek(spill, 0, SEEK_SET) != 0)
		return diag_error(dg, NULL, "read error on a temporary file");
	while ((n = fread(chunk, 1, sizeof(chunk), spill)) > 0)
		if (fwrite(chunk, 1, n, f) != n)
			return diag_error(dg, NULL, "write error on standard output");
	if (ferror(spill))
		return diag_error(dg, NULL, "read error on a temporary file");
	return 0;
}

int outfile_copy(FILE *spill, FILE *f, struct diags *dg)
{
	int r;

	if (fflush(spill) != 0)
		r = diag_error(dg, NULL, "write error on a temporary file");
	else if ((r = outfile_sendfile(spill, f)) < 0)
		diag_error(dg, NULL, "write error on standard output");
	else
		r = r ? 0 : outfile_read_copy(spill, f, dg);
	fclose(spill);
	return r;
}

void outfile_commit(void)
{
	out_fd = -1;
}

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

int error_set(struct error *e, int errnum, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!e)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	if (errnum && n >= 0 && (size_t)n < sizeof(e->msg))
		snprintf(e->msg + n, sizeof(e->msg) - (size_t)n, ": %s", strerror(errnum));
	e->code = errnum;
	return -1;
}

int error_wrap(struct error *e, const char *fmt, ...)
{
	char prefix[512];
	size_t n, old;
	va_list ap;

	if (!e)
		return -1;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix) - 2, fmt, ap);
	va_end(ap);
	strcat(prefix, ": ");
	n = strlen(prefix);
	old = strnlen(e->msg, sizeof(e->msg) - 1);
	/* Keep the root cause's head when the message must be cut. */
	if (n + old >= sizeof(e->msg))
		old = sizeof(e->msg) - 1 - n;
	memmove(e->msg + n, e->msg, old);
	memcpy(e->msg, prefix, n);
	e->msg[n + old] = '\0';
	return -1;
}

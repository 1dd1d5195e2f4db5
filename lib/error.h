/* error: the runtime's error value (crun style). Functions that can fail
 * take a `struct error *` out-parameter, fill it and return -1; callers
 * add context on the way up with error_wrap(). */
#ifndef DF_ERROR_H
#define DF_ERROR_H

struct error {
	int code;	/* errno of the root cause, or 0 */
	char msg[2048]; /* "context: context: cause: strerror" */
};

/* Sets the message (and ": strerror(errnum)" when errnum != 0); returns -1. */
int error_set(struct error *e, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prefixes the existing message with "context: "; returns -1. */
int error_wrap(struct error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

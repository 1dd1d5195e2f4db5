/* ulimit: docker's --ulimit NAME=SOFT[:HARD] (go-units ParseUlimit), read
 * by the compiler's option parser and by the runtime from a RUN's spec. */
#ifndef DF_ULIMIT_H
#define DF_ULIMIT_H
#include <stddef.h>

struct ulimit {
	const char *name;     /* docker's name ("nofile"), a static string */
	int resource;	      /* RLIMIT_* */
	long long soft, hard; /* -1: unlimited */
};

/* The RLIMIT_* of a docker name ("nofile"), or -1. */
int ulimit_resource(const char *name);
/* The docker name of an RLIMIT_*, or "?". */
const char *ulimit_name(int resource);
/* Checks soft and hard: each >= -1 (unlimited), soft <= hard; 0 or -1. */
int ulimit_check(long long soft, long long hard);
/* Parses "NAME=SOFT[:HARD]" (HARD defaults to SOFT); 0, or -1 with why
 * in err. */
int ulimit_parse(const char *arg, struct ulimit *u, char *err, size_t errsize);

#endif

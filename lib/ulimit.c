/* ulimit: docker's --ulimit syntax and names (see ulimit.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "ulimit.h"
#include "util.h"

/* go-units ulimit.go's names. */
static const struct {
	const char *name;
	int resource;
} names[] = {
    {"as", RLIMIT_AS},		 {"core", RLIMIT_CORE},		{"cpu", RLIMIT_CPU},
    {"data", RLIMIT_DATA},	 {"fsize", RLIMIT_FSIZE},	{"locks", RLIMIT_LOCKS},
    {"memlock", RLIMIT_MEMLOCK}, {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
    {"nofile", RLIMIT_NOFILE},	 {"nproc", RLIMIT_NPROC},	{"rss", RLIMIT_RSS},
    {"rtprio", RLIMIT_RTPRIO},	 {"rttime", RLIMIT_RTTIME},	{"sigpending", RLIMIT_SIGPENDING},
    {"stack", RLIMIT_STACK},
};

int ulimit_resource(const char *name)
{
	for (size_t i = 0; i < LEN(names); i++)
		if (strcmp(names[i].name, name) == 0)
			return names[i].resource;
	return -1;
}

const char *ulimit_name(int resource)
{
	for (size_t i = 0; i < LEN(names); i++)
		if (names[i].resource == resource)
			return names[i].name;
	return "?";
}

int ulimit_check(long long soft, long long hard)
{
	if (soft < -1 || hard < -1)
		return -1;
	if (hard == -1) /* unlimited hard: any soft */
		return 0;
	return soft != -1 && soft <= hard ? 0 : -1;
}

/* A decimal value (or -1); 0, or -1 when it is not one. */
static int value(const char *s, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	return *s && !*end && errno == 0 ? 0 : -1;
}

int ulimit_parse(const char *arg, struct ulimit *u, char *err, size_t errsize)
{
	char *s = xstrdup(arg), *eq = strchr(s, '='), *colon;
	int r = -1;

	colon = eq ? strchr(eq + 1, ':') : NULL;
	if (eq)
		*eq = '\0';
	if (colon)
		*colon = '\0';
	u->resource = eq ? ulimit_resource(s) : -1;
	u->name = u->resource >= 0 ? ulimit_name(u->resource) : NULL;
	if (!eq)
		snprintf(err, errsize, "want NAME=SOFT[:HARD], not '%s'", arg);
	else if (u->resource < 0)
		snprintf(err, errsize, "unknown ulimit '%s'", s);
	else if (value(eq + 1, &u->soft) < 0 || (colon && value(colon + 1, &u->hard) < 0))
		snprintf(err, errsize, "'%s': limits must be integers (-1: unlimited)", arg);
	else if (u->hard = colon ? u->hard : u->soft, ulimit_check(u->soft, u->hard) < 0)
		snprintf(err, errsize, "'%s': soft limit must be less than or equal to hard limit",
			 arg);
	else
		r = 0;
	free(s);
	return r;
}

/* tap: tiny TAP producer for unit tests (one binary per module). */
#ifndef DF_TAP_H
#define DF_TAP_H
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

/* Records one result; returns cond. */
#define TAP_OK(cond, ...)                                                                          \
	(tap_n++, (cond) ? (printf("ok %d - ", tap_n), printf(__VA_ARGS__), putchar('\n'), 1)      \
			 : (tap_failed++, printf("not ok %d - ", tap_n), printf(__VA_ARGS__),      \
			    printf("\n#   at %s:%d\n", __FILE__, __LINE__), 0))

/* String equality with both values shown on failure. */
#define TAP_STREQ(got, want, ...)                                                                  \
	do {                                                                                       \
		const char *g_ = (got), *w_ = (want);                                              \
		if (!TAP_OK(g_ && w_ && strcmp(g_, w_) == 0, __VA_ARGS__))                         \
			printf("#   got:  [%s]\n#   want: [%s]\n", g_ ? g_ : "(null)",             \
			       w_ ? w_ : "(null)");                                                \
	} while (0)

/* Prints the plan; the return value is the process exit status. */
static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
#endif

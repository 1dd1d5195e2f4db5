/* test_chmod: --chmod parsing and application against chmod(1) results. */
#include <stdlib.h>
#include <sys/stat.h>

#include "chmod.h"
#include "error.h"
#include "tap.h"
#include "util.h"

struct chcase {
	const char *spec;
	mode_t from;
	int isdir;
	mode_t want;
};

int main(void)
{
	static const struct chcase cases[] = {
	    {"0755", 0600, 0, 0755},	     {"644", 0777, 1, 0644},
	    {"4755", 0600, 0, 0755},	     {"0", 0777, 0, 0},
	    {"u=rwX,go=rX", 0600, 0, 0644},  {"u=rwX,go=rX", 0700, 0, 0755},
	    {"u=rwX,go=rX", 0600, 1, 0755},  {"+x", 0644, 0, 0755},
	    {"a+x", 0600, 0, 0711},	     {"g-w,o=", 0777, 0, 0750},
	    {"o=u", 0740, 0, 0747},	     {"u+s", 0755, 0, 04755},
	    {"g+s", 0755, 1, 02755},	     {"+t", 0755, 1, 01755},
	    {"u=rw,g=r,o=", 04777, 0, 0640}, {"go-rwx", 0777, 0, 0700},
	    {"u+x,g+x", 0644, 0, 0754},	     {"=r", 0777, 0, 0444},
	    {"ug=rw+x", 0604, 0, 0774},	     {"-w", 0666, 0, 0444},
	    {"o+X", 0644, 0, 0644},	     {"o+X", 0744, 0, 0745},
	    {"0640", 04755, 0, 04640},	     {"0640", 01777, 1, 01640},
	    {"4711", 02755, 0, 02711},
	};
	static const char *bad[] = {"",	   "8",	   "07777777", "u",    "u=rwz",
				    "x=r", "u=r,", ",u=r",     "0x1ff"};
	struct error e;

	argv0 = "test_chmod";
	for (size_t i = 0; i < LEN(cases); i++) {
		struct chmod_spec *c = chmod_parse(cases[i].spec, &e);
		mode_t got = c ? chmod_apply(c, cases[i].from, cases[i].isdir) : (mode_t)-1;
		if (!TAP_OK(got == cases[i].want, "%s on %s %04o gives %04o", cases[i].spec,
			    cases[i].isdir ? "dir" : "file", (unsigned)cases[i].from,
			    (unsigned)cases[i].want))
			printf("#   got %04o\n", (unsigned)got);
		chmod_free(c);
	}
	for (size_t i = 0; i < LEN(bad); i++) {
		struct chmod_spec *c = chmod_parse(bad[i], &e);
		TAP_OK(c == NULL && strstr(e.msg, "invalid --chmod"), "\"%s\" is rejected", bad[i]);
		chmod_free(c);
	}
	return tap_done();
}

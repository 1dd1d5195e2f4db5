/* Unit tests of make and shell escaping (compiler/mkquote.c). */
#include <stdlib.h>

#include "buf.h"
#include "mkquote.h"
#include "tap.h"

static char *q(void (*fn)(struct buf *, const char *), const char *s)
{
	struct buf b = {0};

	fn(&b, s);
	return buf_steal(&b);
}

#define CHECK(fn, in, want)                                                                        \
	do {                                                                                       \
		char *got_ = q(fn, in);                                                            \
		TAP_STREQ(got_, want, #fn "(%s)", in);                                             \
		free(got_);                                                                        \
	} while (0)

int main(void)
{
	CHECK(mk_path, "/a/b.txt", "/a/b.txt");
	CHECK(mk_path, "/a b/c", "/a\\ b/c");
	CHECK(mk_path, "/x#y", "/x\\#y");
	CHECK(mk_path, "/c:d", "/c\\:d");
	CHECK(mk_path, "/d$v", "/d$$v");
	CHECK(mk_path, "/s*t?[1]", "/s\\*t\\?\\[1\\]");
	CHECK(mk_path, "/p%q", "/p%q");
	CHECK(mk_path, "/é/ü", "/é/ü");
	CHECK(mk_path, "/q'u\"o", "/q'u\"o");
	CHECK(mk_shell, "plain", "'plain'");
	CHECK(mk_shell, "it's", "'it'\\''s'");
	CHECK(mk_shell, "$HOME #x", "'$$HOME #x'");
	CHECK(mk_shell, "{\"a\":\"b c\"}", "'{\"a\":\"b c\"}'");
	CHECK(mk_shell_var, "/a#b/$c", "'/a\\#b/$$c'");
	CHECK(mk_value, "a#b$c", "a\\#b$$c");
	CHECK(mk_comment, "line1\nline2", "line1\\nline2");
	CHECK(mk_comment, "ends\\", "ends\\\\");
	CHECK(mk_comment, "a\\\nb\n\n\\", "a\\\\nb\\n\\n\\\\");
	CHECK(mk_comment, "\\", "\\\\");
	CHECK(mk_comment, "mid\\dle", "mid\\dle");
	TAP_OK(mk_prereq_ok("/a b/c"), "space is fine in a prerequisite");
	TAP_OK(!mk_prereq_ok("/a;b"), "semicolon is refused");
	TAP_OK(!mk_prereq_ok("/a\nb"), "newline is refused");
	TAP_OK(!mk_prereq_ok("/a\\"), "trailing backslash is refused");
	TAP_OK(!mk_prereq_ok("/a\\ b"), "backslash before an escaped char is refused");
	TAP_OK(mk_prereq_ok("/a\\b"), "a lone backslash is kept");
	TAP_OK(mk_prereq_ok("/p%q"), "%% is fine in a prerequisite");
	TAP_OK(!mk_target_ok("/p%q"), "%% is refused in a target");
	TAP_OK(!mk_target_ok("/a*b"), "* is refused in a target");
	TAP_OK(!mk_target_ok("/a=b"), "= is refused in a target");
	TAP_OK(mk_target_ok("/a b/#c:d"), "space, # and : are fine in a target");
	return tap_done();
}

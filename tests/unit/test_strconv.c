/* test_strconv: Go's strconv.Quote (%q, as BuildKit prints CMD/ENTRYPOINT
 * words in the history and names in its messages) against outputs of Go
 * itself. The expected texts were printed by Go 1.19's strconv.Quote
 * (Unicode 13), except the runes Unicode 14 assigned (marked), which Go
 * 1.21 and later (Unicode 15, BuildKit's builds) print as they are. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "strconv.h"
#include "tap.h"
#include "util.h"

struct qcase {
	const char *in, *want;
};

int main(void)
{
	static const struct qcase cases[] = {
	    {"a\x01"
	     "b",
	     "\"a\\x01b\""},
	    {"\t\n\a\b\f\r\v", "\"\\t\\n\\a\\b\\f\\r\\v\""},
	    {"\x7f", "\"\\x7f\""},
	    {"\"\\", "\"\\\"\\\\\""},
	    {"ok plain", "\"ok plain\""},
	    /* not UTF-8: an invalid byte, an encoded surrogate, an overlong '/' */
	    {"\xff", "\"\\xff\""},
	    {"\xed\xa0\x80", "\"\\xed\\xa0\\x80\""},
	    {"\xc0\xaf", "\"\\xc0\\xaf\""},
	    /* printable: letters, a combining mark, an emoji, a variation selector */
	    {"\xc3\xa9\xe6\x97\xa5\xe6\x9c\xac", "\"\xc3\xa9\xe6\x97\xa5\xe6\x9c\xac\""},
	    {"e\xcc\x81", "\"e\xcc\x81\""},
	    {"\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\""},
	    {"\xf3\xa0\x84\x80", "\"\xf3\xa0\x84\x80\""},
	    {"\xef\xbf\xbd", "\"\xef\xbf\xbd\""},
	    {"\xe0\xb4\x80", "\"\xe0\xb4\x80\""},	  /* U+0D00 */
	    {"\xf0\x96\xbf\xa4", "\"\xf0\x96\xbf\xa4\""}, /* U+16FE4 */
	    {"\xf0\x9f\x9b\x97", "\"\xf0\x9f\x9b\x97\""}, /* U+1F6D7 */
	    {"\xf0\x90\xba\xab", "\"\xf0\x90\xba\xab\""}, /* U+10EAB */
	    /* separators and spaces other than U+0020 */
	    {"\xc2\xa0", "\"\\u00a0\""},
	    {"\xe2\x80\xa8", "\"\\u2028\""},
	    {"\xe1\x9a\x80", "\"\\u1680\""},
	    {"\xe3\x80\x80", "\"\\u3000\""},
	    {"\xe2\x80\xaf", "\"\\u202f\""},
	    /* format characters (Cf), with the ones a short list misses */
	    {"\xc2\xad", "\"\\u00ad\""},
	    {"\xef\xbb\xbf", "\"\\ufeff\""},
	    {"\xd8\x80", "\"\\u0600\""},
	    {"\xd8\x9c", "\"\\u061c\""},
	    {"\xe1\xa0\x8e", "\"\\u180e\""},
	    {"\xe2\x80\x8b", "\"\\u200b\""},
	    {"\xe2\x81\xa0", "\"\\u2060\""},
	    {"\xe2\x81\xa6", "\"\\u2066\""},
	    {"\xef\xbf\xb9", "\"\\ufff9\""},
	    {"\xe0\xa3\xa2", "\"\\u08e2\""},
	    {"\xe0\xa2\x90", "\"\\u0890\""}, /* Unicode 14, Cf */
	    {"\xf0\x91\x82\xbd", "\"\\U000110bd\""},
	    {"\xf0\x9d\x85\xb3", "\"\\U0001d173\""},
	    {"\xf0\x93\x90\xb0", "\"\\U00013430\""},
	    {"\xf0\x9b\xb2\xa0", "\"\\U0001bca0\""},
	    {"\xf3\xa0\x80\x81", "\"\\U000e0001\""},
	    /* private use, noncharacters, unassigned */
	    {"\xee\x80\x80", "\"\\ue000\""},
	    {"\xf3\xb0\x80\x80", "\"\\U000f0000\""},
	    {"\xf4\x8f\xbf\xbf", "\"\\U0010ffff\""},
	    {"\xef\xb7\x90", "\"\\ufdd0\""},
	    {"\xef\xbf\xbe", "\"\\ufffe\""},
	    {"\xf0\x9f\xbf\xbf", "\"\\U0001ffff\""},
	    {"\xcd\xb8", "\"\\u0378\""},
	    {"\xf3\xa0\x87\xb0", "\"\\U000e01f0\""},
	    /* assigned in Unicode 14: Go 1.19 escapes them, Go 1.21+ does not */
	    {"\xe0\xa1\xb0", "\"\xe0\xa1\xb0\""},	  /* U+0870 */
	    {"\xf0\xaa\x9b\x9e", "\"\xf0\xaa\x9b\x9e\""}, /* U+2A6DE */
	    {"\xf0\xab\x9c\xb8", "\"\xf0\xab\x9c\xb8\""}, /* U+2B738 */
	};
	struct buf b = {0};

	argv0 = "test_strconv";
	for (size_t i = 0; i < LEN(cases); i++)
		TAP_STREQ(strconv_quote(&b, cases[i].in), cases[i].want, "Quote gives %s",
			  cases[i].want);
	/* a NUL inside the bytes (strconv_quote_add takes a length) */
	buf_reset(&b);
	strconv_quote_add(&b, "a\0b", 3);
	TAP_STREQ(b.s, "\"a\\x00b\"", "a NUL byte is \\x00");
	TAP_OK(strconv_is_print(' ') && !strconv_is_print(0x7F) && !strconv_is_print(0x110000) &&
		   strconv_is_print(0x10FFFD) == 0 && strconv_is_print(0xE0100),
	       "IsPrint at the ends of the tables");
	buf_free(&b);
	return tap_done();
}

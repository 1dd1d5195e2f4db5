/* Go's strconv.IsPrint: every rune but the ranges of the generated table
 * (compiler/strconv_print.py writes strconv_print_tab.h). */
#include "strconv.h"
#include "strconv_print_tab.h"

int strconv_is_print(int r)
{
	size_t lo = 0, hi = sizeof(notprint) / sizeof(notprint[0]);

	if (r < 0x80)
		return r >= 0x20 && r < 0x7F;
	if (r > 0x10FFFF)
		return 0;
	while (lo < hi) { /* the first range ending at or after r */
		size_t mid = lo + (hi - lo) / 2;
		if (notprint[mid][1] < (unsigned)r)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo == sizeof(notprint) / sizeof(notprint[0]) || (unsigned)r < notprint[lo][0];
}

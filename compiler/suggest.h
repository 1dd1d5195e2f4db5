/* suggest: BuildKit's "did you mean" hints (util/suggest). */
#ifndef DF_SUGGEST_H
#define DF_SUGGEST_H
#include <stddef.h>

/* Levenshtein distance (agext/levenshtein with unit costs) over bytes,
 * ASCII letters compared without case when fold_case is set. */
size_t suggest_distance(const char *a, const char *b, int fold_case);
/* suggest.WrapError: appends " (did you mean X?)" to msg when an option is
 * within edit distance 2 and none matches exactly. Ties go to the first
 * option in the (sorted) list, where BuildKit's map order is random. */
void suggest_append(char *msg, size_t size, const char *val, const char *const *opts, size_t n,
		    int case_sensitive);

#endif

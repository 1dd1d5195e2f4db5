/* fuzz_expand: expand_word and expand_words on arbitrary text.
 * Input: byte 0 picks the escape character (bit 0: backtick); the rest
 * is the word. Both functions run the same grammar, so they must agree
 * on success; any disagreement, crash or leak is a bug. */
#include <stdlib.h>
#include <string.h>

#include "expand.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const env[] = {"PWD=/home", "EMPTY=",	   "PATH=/usr/bin:/bin",
					  "V=a b  c",  "STAR=*",	   "BS=\\",
					  "KO=한국어", "P=foo/bar.tar.gz", NULL};
	struct expand_env e = expand_env_kv(env);
	struct expand_error err;
	char *text, *word, **words;
	char esc;

	if (size == 0)
		return 0;
	esc = (data[0] & 1) ? '`' : '\\';
	text = malloc(size);
	if (!text)
		abort();
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0'; /* an embedded NUL simply ends the word */
	word = expand_word(text, esc, &e, &err);
	if (!word && (!err.msg[0] || err.offset > strlen(text)))
		abort(); /* every failure explains itself and points inside the input */
	words = expand_words(text, esc, &e, &err);
	if (!word != !words)
		abort();
	free(word);
	expand_free_words(words);
	free(text);
	return 0;
}

#ifndef DF_LIBFUZZER
int main(int argc, char **argv)
{
	return fuzz_replay_main(argc, argv, "expand");
}
#endif

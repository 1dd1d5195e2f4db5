/* fuzz_reader: the Dockerfile reader (dockerfile_parse_err) on arbitrary
 * bytes. It must return a tree or an error with a message and a location
 * inside the input, and never exit, abort or touch memory it does not
 * own. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "instr.h"

/* Number of lines in text (1 + newlines). */
static size_t fuzz_lines(const char *text, size_t size)
{
	size_t n = 1;

	for (size_t i = 0; i < size; i++)
		n += text[i] == '\n';
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct df_error err;
	struct dockerfile *df;

	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	df = dockerfile_parse_err("Dockerfile", text, size, &err);
	if (!df && !err.msg[0])
		abort(); /* a failure without a message */
	if (!df && (err.loc.line < 1 || (size_t)err.loc.line > fuzz_lines(text, size) + 1))
		abort(); /* an error pointing outside the input */
	dockerfile_free(df);
	free(text);
	return 0;
}

#ifndef DF_LIBFUZZER
int main(int argc, char **argv)
{
	return fuzz_replay_main(argc, argv, "reader");
}
#endif

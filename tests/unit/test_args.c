/* Unit tests of ARG scopes and platforms (compiler/args.c). */
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "platform.h"
#include "tap.h"

int main(void)
{
	struct vars v = {0}, c = {0};

	struct platform t = {"linux", "arm", "v7"};

	args_predefined(&v, &t, NULL);
	TAP_STREQ(args_find(&v, "TARGETPLATFORM")->value, "linux/arm/v7", "TARGETPLATFORM");
	TAP_STREQ(args_find(&v, "TARGETVARIANT")->value, "v7", "TARGETVARIANT");
	TAP_STREQ(args_find(&v, "TARGETSTAGE")->value, "default", "TARGETSTAGE without --target");
	TAP_OK(args_find(&v, "BUILDARCH") != NULL, "BUILDARCH is set");

	args_set(&v, "A", "1");
	args_set(&v, "B", NULL);
	args_set(&v, "A", "2");
	TAP_STREQ(args_find(&v, "A")->value, "2", "setting again replaces the value");
	TAP_OK(v.n == 11, "... in place (%zu variables)", v.n);
	args_copy(&c, &v);
	args_set(&c, "A", "3");
	TAP_STREQ(args_find(&v, "A")->value, "2", "a copy is independent");

	char **vec = NULL;
	size_t n = 0;
	args_to_vec(&c, &vec, &n);
	int hasb = 0;
	for (size_t i = 0; i < n; i++)
		hasb |= strncmp(vec[i], "B=", 2) == 0;
	TAP_OK(!hasb, "a declared ARG without a value is not in the environment");
	TAP_OK(args_is_proxy("https_proxy") && args_is_proxy("NO_PROXY"), "proxy names");
	TAP_OK(!args_is_proxy("PROXY"), "not a proxy name");
	for (size_t i = 0; i < n; i++)
		free(vec[i]);
	free(vec);
	args_free(&v);
	args_free(&c);
	return tap_done();
}

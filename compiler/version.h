/* version: df2make --version, with the versions of the libraries each
 * program runs with, as the libraries report them at run time. */
#ifndef DF_VERSION_H
#define DF_VERSION_H

/* Prints df2make's version and its libraries', then runs the runtime's
 * `--version` (the runtime build.mk would call) for its own. Returns the
 * exit status. */
int version_print(void);

#endif

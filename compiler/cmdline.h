/* cmdline: df2make's own command line written back into build.mk: as a
 * comment in its head, and as the command of the rule that makes build.mk
 * again when the Dockerfile or an ignore file changes. */
#ifndef DF_CMDLINE_H
#define DF_CMDLINE_H

struct cli;

/* The arguments as given, each made safe for a make comment. Malloc'd. */
char *cmdline_comment(const struct cli *c);
/* The whole command again, with absolute paths, quoted for the shell
 * (a recipe line). Malloc'd. */
char *cmdline_shell(const struct cli *c);

#endif

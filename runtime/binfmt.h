/* binfmt: can this machine run a RUN step of another platform? Through a
 * binfmt_misc handler (qemu-user-static), registered with the F flag so
 * the kernel opened the interpreter at registration and the sandbox's
 * root, which has no qemu, does not matter. */
#ifndef DF_BINFMT_H
#define DF_BINFMT_H

struct error;

/* 0 when a step of platform p ("os/arch[/variant]") runs here: natively,
 * or through an enabled binfmt_misc handler with the F flag. Else -1 with
 * e naming the platform and how to enable it. */
int binfmt_check(const char *p, struct error *e);

#endif

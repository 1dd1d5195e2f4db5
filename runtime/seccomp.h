/* seccomp: the RUN command's syscall filter, after Docker's default
 * profile for the default capability set: what that profile refuses is
 * refused here with EPERM (clone3 with ENOSYS, so libc falls back to
 * clone, whose namespace flags are checked), and so are AF_PACKET and
 * AF_VSOCK sockets. */
#ifndef DF_SECCOMP_H
#define DF_SECCOMP_H

#include <linux/filter.h>
#include <stddef.h>

struct error;

#define SECCOMP_MAX_INSNS 256 /* room for the program seccomp_build writes */

/* Installs the filter on the calling thread; needs no_new_privs (or
 * CAP_SYS_ADMIN). Inherited across fork and exec. */
int seccomp_install(struct error *e);
/* Writes the filter's classic BPF program to p (SECCOMP_MAX_INSNS
 * entries); returns its length. */
size_t seccomp_build(struct sock_filter *p);
/* Whether the native syscall nr is refused outright with EPERM. */
int seccomp_denied(int nr);

#endif

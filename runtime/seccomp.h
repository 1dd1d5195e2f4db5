/* seccomp: the RUN command's syscall filter, after Docker's default
 * profile for the default capability set: what that profile refuses is
 * refused here with EPERM (clone3 with ENOSYS, so libc falls back to
 * clone, whose namespace flags are checked), and so are AF_PACKET and
 * AF_VSOCK sockets. */
#ifndef DF_SECCOMP_H
#define DF_SECCOMP_H

struct error;

/* Installs the filter on the calling thread; needs no_new_privs (or
 * CAP_SYS_ADMIN). Inherited across fork and exec. */
int seccomp_install(struct error *e);
/* The number of syscalls refused outright (for the docs and tests). */
unsigned seccomp_denied_count(void);

#endif

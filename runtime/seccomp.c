/* seccomp: a classic BPF program. Docker's default profile is an
 * allowlist; for a build sandbox that already lacks CAP_SYS_ADMIN and
 * friends, its effect is the list below (moby profiles/seccomp
 * default.json, "significant syscalls blocked"): kernel modules, keyrings,
 * clocks, swap, reboot, bpf, perf, userfaultfd, NUMA policy, handles, the
 * mount APIs, and above all new namespaces, since an unprivileged user
 * namespace hands its creator every capability inside it; AF_VSOCK
 * sockets (and, stricter than Docker, AF_PACKET: see emit_socket). Only the
 * native ABI may be used: i386 and x32 entry points get ENOSYS, which also
 * closes the classic bypass of a filter written for one syscall table. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "error.h"
#include "seccomp.h"
#include "util.h"

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#else
#error "seccomp.c: add this architecture's AUDIT_ARCH"
#endif

/* Flags of clone(2) that make namespaces (CLONE_NEWNS ... CLONE_NEWNET). */
#define NS_FLAGS                                                                                   \
	(CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |             \
	 CLONE_NEWPID | CLONE_NEWNET)

static const int denied[] = {
    SYS_acct,
    SYS_add_key,
    SYS_bpf,
    SYS_clock_adjtime,
    SYS_clock_settime,
    SYS_delete_module,
    SYS_finit_module,
    SYS_get_mempolicy,
    SYS_init_module,
    SYS_kexec_file_load,
    SYS_kexec_load,
    SYS_keyctl,
    SYS_mbind,
    SYS_mount,
    SYS_move_pages,
    SYS_name_to_handle_at,
    SYS_open_by_handle_at,
    SYS_perf_event_open,
    SYS_pivot_root,
    SYS_quotactl,
    SYS_reboot,
    SYS_request_key,
    SYS_set_mempolicy,
    SYS_setns,
    SYS_settimeofday,
    SYS_swapon,
    SYS_swapoff,
    SYS_umount2,
    SYS_unshare,
    SYS_userfaultfd,
    SYS_fsopen,
    SYS_fsconfig,
    SYS_fsmount,
    SYS_fspick,
    SYS_move_mount,
    SYS_open_tree,
    SYS_mount_setattr,
    SYS_io_uring_setup,
    SYS_io_uring_enter,
    SYS_io_uring_register,
    SYS_lookup_dcookie,
    SYS_quotactl_fd,
#if defined(__x86_64__)
    SYS_ioperm,
    SYS_iopl,
    SYS_create_module,
    SYS_get_kernel_syms,
    SYS_query_module,
    SYS_nfsservctl,
    SYS_uselib,
    SYS_ustat,
    SYS_sysfs,
    SYS__sysctl,
#endif
};

unsigned seccomp_denied_count(void)
{
	return (unsigned)LEN(denied);
}

#define STMT(code, k) ((struct sock_filter)BPF_STMT((code), (k)))
#define JUMP(code, k, t, f) ((struct sock_filter)BPF_JUMP((code), (k), (t), (f)))
#define LD(off) STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define RET(v) STMT(BPF_RET | BPF_K, (v))
#define JEQ(k, t, f) JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (t), (f))

/* Appends one instruction. */
static void emit(struct sock_filter *p, size_t *n, struct sock_filter ins)
{
	p[(*n)++] = ins;
}

/* socket and socketpair for AF_PACKET and AF_VSOCK: EPERM. Docker's
 * profile refuses AF_VSOCK (a way to the hypervisor host); AF_PACKET it
 * leaves to CAP_NET_RAW, but with a packet socket a step could write
 * frames on its tap device itself, past the unreachable routes that keep
 * the host's own addresses out of reach (netns.c). Ping's raw IP sockets
 * stay: the kernel routes them. */
static void emit_socket(struct sock_filter *p, size_t *n)
{
	emit(p, n, JEQ(SYS_socket, 1, 0));
	emit(p, n, JEQ(SYS_socketpair, 0, 5));
	emit(p, n, LD(offsetof(struct seccomp_data, args[0])));
	emit(p, n, JEQ(AF_PACKET, 2, 0));
	emit(p, n, JEQ(AF_VSOCK, 1, 0));
	emit(p, n, RET(SECCOMP_RET_ALLOW));
	emit(p, n, RET(SECCOMP_RET_ERRNO | EPERM));
}

/* clone with namespace flags: EPERM (the flags are in the low word). */
static void emit_clone(struct sock_filter *p, size_t *n)
{
	emit(p, n, JEQ(SYS_clone, 0, 4));
	emit(p, n, LD(offsetof(struct seccomp_data, args[0])));
	emit(p, n, JUMP(BPF_JMP | BPF_JSET | BPF_K, NS_FLAGS, 0, 1));
	emit(p, n, RET(SECCOMP_RET_ERRNO | EPERM));
	emit(p, n, RET(SECCOMP_RET_ALLOW));
	/* clone3's flags live in user memory, out of BPF's reach. */
	emit(p, n, JEQ(SYS_clone3, 0, 1));
	emit(p, n, RET(SECCOMP_RET_ERRNO | ENOSYS));
}

int seccomp_install(struct error *e)
{
	struct sock_filter p[LEN(denied) * 2 + 32];
	size_t n = 0;

	emit(p, &n, LD(offsetof(struct seccomp_data, arch)));
	emit(p, &n, JEQ(NATIVE_ARCH, 1, 0));
	emit(p, &n, RET(SECCOMP_RET_ERRNO | ENOSYS));
	emit(p, &n, LD(offsetof(struct seccomp_data, nr)));
#if defined(__x86_64__)
	/* x32 calls share AUDIT_ARCH_X86_64 with bit 30 set in nr. */
	emit(p, &n, JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1));
	emit(p, &n, RET(SECCOMP_RET_ERRNO | ENOSYS));
#endif
	for (size_t i = 0; i < LEN(denied); i++) {
		emit(p, &n, JEQ((unsigned)denied[i], 0, 1));
		emit(p, &n, RET(SECCOMP_RET_ERRNO | EPERM));
	}
	emit_socket(p, &n);
	emit_clone(p, &n);
	emit(p, &n, RET(SECCOMP_RET_ALLOW));

	struct sock_fprog prog = {.len = (unsigned short)n, .filter = p};
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0)
		return error_set(e, errno, "seccomp filter");
	return 0;
}

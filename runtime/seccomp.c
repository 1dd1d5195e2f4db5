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
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <string.h>
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

int seccomp_denied(int nr)
{
	for (size_t i = 0; i < LEN(denied); i++)
		if (denied[i] == nr)
			return 1;
	return 0;
}

#define STMT(code, k) ((struct sock_filter)BPF_STMT((code), (k)))
#define JUMP(code, k, t, f) ((struct sock_filter)BPF_JUMP((code), (k), (t), (f)))
#define LD(off) STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define RET(v) STMT(BPF_RET | BPF_K, (v))
#define JEQ(k, t, f) JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (t), (f))

/* The program being built, with the jumps to the common returns that are
 * fixed up once their place is known. */
struct prog {
	struct sock_filter *p;
	size_t n;
	size_t to_deny[LEN(denied)], ndeny; /* JEQ nr: jt -> RET EPERM */
	size_t to_rest[LEN(denied)], nrest; /* JA -> the checks after the list */
};

/* Appends one instruction. */
static void emit(struct sock_filter *p, size_t *n, struct sock_filter ins)
{
	p[(*n)++] = ins;
}

static int cmp_nr(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* The sorted numbers d[lo..hi) as a binary search: each syscall number
 * meets ~6 comparisons instead of the whole list. Beyond the filter's own
 * run time, the kernel's action cache runs it for every syscall number
 * when it is loaded: loading it went from ~0.09 to ~0.07 ms of CPU. */
static void emit_tree(struct prog *g, const int *d, size_t lo, size_t hi)
{
	size_t mid = lo + (hi - lo) / 2, at = g->n;

	if (hi - lo <= 4) {
		for (size_t i = lo; i < hi; i++) {
			g->to_deny[g->ndeny++] = g->n;
			emit(g->p, &g->n, JEQ((unsigned)d[i], 0, 0));
		}
		g->to_rest[g->nrest++] = g->n;
		emit(g->p, &g->n, STMT(BPF_JMP | BPF_JA, 0));
		return;
	}
	emit(g->p, &g->n, JUMP(BPF_JMP | BPF_JGE | BPF_K, (unsigned)d[mid], 0, 0));
	emit_tree(g, d, lo, mid);
	g->p[at].jt = (unsigned char)(g->n - at - 1); /* nr >= d[mid]: the upper half */
	emit_tree(g, d, mid, hi);
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

size_t seccomp_build(struct sock_filter *p)
{
	struct prog g = {.p = p};
	int d[LEN(denied)];
	size_t rest, deny;

	emit(p, &g.n, LD(offsetof(struct seccomp_data, arch)));
	emit(p, &g.n, JEQ(NATIVE_ARCH, 1, 0));
	emit(p, &g.n, RET(SECCOMP_RET_ERRNO | ENOSYS));
	emit(p, &g.n, LD(offsetof(struct seccomp_data, nr)));
#if defined(__x86_64__)
	/* x32 calls share AUDIT_ARCH_X86_64 with bit 30 set in nr. */
	emit(p, &g.n, JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1));
	emit(p, &g.n, RET(SECCOMP_RET_ERRNO | ENOSYS));
#endif
	memcpy(d, denied, sizeof(d));
	qsort(d, LEN(d), sizeof(d[0]), cmp_nr);
	emit_tree(&g, d, 0, LEN(d));
	rest = g.n;
	emit_socket(p, &g.n);
	emit_clone(p, &g.n);
	emit(p, &g.n, RET(SECCOMP_RET_ALLOW));
	deny = g.n;
	emit(p, &g.n, RET(SECCOMP_RET_ERRNO | EPERM));
	for (size_t i = 0; i < g.nrest; i++)
		p[g.to_rest[i]].k = (unsigned)(rest - g.to_rest[i] - 1);
	for (size_t i = 0; i < g.ndeny; i++) /* < 256: the program is ~100 long */
		p[g.to_deny[i]].jt = (unsigned char)(deny - g.to_deny[i] - 1);
	return g.n;
}

int seccomp_install(struct error *e)
{
	struct sock_filter p[SECCOMP_MAX_INSNS];
	struct sock_fprog prog = {.len = (unsigned short)seccomp_build(p), .filter = p};

	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0)
		return error_set(e, errno, "seccomp filter");
	return 0;
}

# runtime/: df2make-runtime as one library, libruntime.a
# (runtime/main.c is the program). The groups follow docs/architecture.md.
noinst_LIBRARIES += runtime/libruntime.a
# the command line's common parts: state, locks, progress, version
RUNTIME_CORE = runtime/rt.c runtime/rt.h runtime/snapshot.h runtime/user.h runtime/lock.c \
	runtime/lock.h runtime/progress.c runtime/progress.h runtime/rtversion.c runtime/rtversion.h \
	runtime/progress_int.h runtime/progjson.c runtime/progtty.c runtime/progerr.c \
	runtime/specarg.c runtime/specarg.h
# images: store blobs, load/import, base, layers, pack, registry, cache
RUNTIME_IMAGE = runtime/imeta.c runtime/imeta.h runtime/packfmt.c runtime/packfmt.h \
	runtime/blob.c runtime/blob.h runtime/oci.c runtime/oci.h runtime/load.h runtime/loadsrc.c \
	runtime/loadimg.c runtime/register.c runtime/cmds.c runtime/change.c runtime/change.h \
	runtime/unpack.c runtime/unpack.h runtime/base.c runtime/sink.c runtime/sink.h runtime/ltree.c \
	runtime/layer.h runtime/layer.c runtime/pack.c runtime/pack.h runtime/packw.c runtime/packinc.c \
	runtime/local.c \
	runtime/http.c runtime/http.h runtime/regauth.c runtime/regauth.h runtime/regconf.c \
	runtime/regconf.h runtime/registry.c runtime/registry.h runtime/pull.c runtime/pull.h \
	runtime/pullcmd.c runtime/push.c runtime/push.h runtime/fsck.c runtime/gc.c runtime/gc.h \
	runtime/cache.c runtime/cache.h runtime/cachelazy.c runtime/cacheout.c runtime/cachereg.c \
	runtime/squash.c runtime/squash.h runtime/diffid.c runtime/diffid.h runtime/xferprog.c \
	runtime/xferprog.h runtime/blobloc.c runtime/blobloc.h runtime/workers.c runtime/workers.h
# the sandbox: namespaces, overlay snapshots, RUN and its mounts, users
RUNTIME_SANDBOX = runtime/run.c runtime/trash.c runtime/trash.h runtime/sandbox.h \
	runtime/sandbox_int.h runtime/reslimit.c \
	runtime/reslimit.h runtime/sandbox_plan.c runtime/sandbox_parent.c runtime/sandbox_child.c \
	runtime/mounts.c runtime/mounts_plan.c runtime/mounts_cache.c runtime/mounts.h \
	runtime/mounts_cgroup.c \
	runtime/snapshot.c runtime/user.c runtime/idmap.c runtime/idmap.h runtime/sshproxy.c \
	runtime/sshproxy.h runtime/mountsrc.c runtime/mountsrc.h runtime/seccomp.c runtime/seccomp.h \
	runtime/netns.c runtime/netns.h runtime/netpool.c runtime/netpool.h runtime/binfmt.c runtime/binfmt.h
# COPY and ADD: copy, add, the context sums, WORKDIR
RUNTIME_COPY = runtime/copy.c runtime/copy.h runtime/copyfs.c runtime/copyfs.h runtime/copyidx.c \
	runtime/copyidx.h runtime/ctxscan.c runtime/ctxscan.h runtime/add.c \
	runtime/add.h runtime/sum.c runtime/sum.h runtime/fsum.c runtime/workdir.c runtime/chmod.c runtime/chmod.h runtime/fetch.c \
	runtime/fetch.h runtime/gitsrc.c
runtime_libruntime_a_SOURCES = $(RUNTIME_CORE) $(RUNTIME_IMAGE) $(RUNTIME_SANDBOX) $(RUNTIME_COPY)

check_PROGRAMS += tests/unit/test_chmod tests/unit/test_user tests/unit/test_snapshot \
	tests/unit/test_sandbox tests/unit/test_netns tests/unit/test_idmap tests/unit/test_ctxscan
tests_unit_test_chmod_SOURCES = tests/unit/test_chmod.c tests/unit/tap.h
tests_unit_test_chmod_LDADD = $(RUNTIME_LIBS) $(ALL_LIBS)
tests_unit_test_user_SOURCES = tests/unit/test_user.c tests/unit/tap.h
tests_unit_test_user_LDADD = $(RUNTIME_LIBS) $(ALL_LIBS)
tests_unit_test_snapshot_SOURCES = tests/unit/test_snapshot.c tests/unit/tap.h
tests_unit_test_snapshot_LDADD = $(RUNTIME_LIBS) $(ALL_LIBS)
tests_unit_test_sandbox_SOURCES = tests/unit/test_sandbox.c tests/unit/tap.h
tests_unit_test_sandbox_LDADD = $(RUNTIME_LIBS) $(ALL_LIBS)
tests_unit_test_netns_SOURCES = tests/unit/test_netns.c tests/unit/tap.h
tests_unit_test_netns_LDADD = $(RUNTIME_LIBS) $(ALL_LIBS)
tests_unit_test_idmap_SOURCES = tests/unit/test_idmap.c tests/unit/tap.h
tests_unit_test_idmap_LDADD = $(RUNTIME_LIBS) $(ALL_LIBS)
tests_unit_test_ctxscan_SOURCES = tests/unit/test_ctxscan.c tests/unit/tap.h
tests_unit_test_ctxscan_LDADD = $(RUNTIME_LIBS) $(ALL_LIBS)
check_PROGRAMS += tests/unit/test_diffid
tests_unit_test_diffid_SOURCES = tests/unit/test_diffid.c tests/unit/tap.h
tests_unit_test_diffid_LDADD = $(RUNTIME_LIBS) $(ALL_LIBS)

# The probe runs inside test sandboxes whose rootfs has no libc: static,
# and so never sanitized (ASan cannot link statically).
noinst_PROGRAMS += tests/probe/probe
tests_probe_probe_SOURCES = tests/probe/probe.c
tests_probe_probe_CFLAGS = -std=c11 $(WARN_CFLAGS)
tests_probe_probe_LDFLAGS = -static

# Fuzz targets for the image-archive loader and the image config / store
# ref JSON the compiler reads, through the compiler's rules (compiler.mk:
# FUZZ_BUILD, FUZZ_RUN):
# built normally they replay their corpus (tests/fuzz/corpus/NAME) under
# `make check`; `make fuzz` (which this fragment hooks into) builds them
# with libFuzzer + ASan + UBSan and runs each for FUZZ_SECONDS.
check_PROGRAMS += tests/fuzz/fuzz_load tests/fuzz/fuzz_config
tests_fuzz_fuzz_load_SOURCES = tests/fuzz/fuzz_load.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_load_LDADD = $(RUNTIME_LIBS) $(ALL_LIBS)
tests_fuzz_fuzz_config_SOURCES = tests/fuzz/fuzz_config.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_config_LDADD = $(COMPILER_LIBS) $(ALL_LIBS)

# The loader pulls in most of the runtime (store writes, blobs, layers).
FUZZ_SRC_load = $(runtime_libruntime_a_SOURCES) $(lib_libcommon_a_SOURCES)
FUZZ_SRC_config = compiler/config.c compiler/spec.c $(lib_libcommon_a_SOURCES)

fuzz-build-rt:
	@$(MKDIR_P) fuzz
	@$(FUZZ_BUILD) load '-I$(top_srcdir)/runtime' $(FUZZ_SRC_load)
	@$(FUZZ_BUILD) config '-I$(top_srcdir)/runtime' $(FUZZ_SRC_config)

fuzz-rt: fuzz-build-rt
	@$(FUZZ_RUN) load -rss_limit_mb=4096
	@$(FUZZ_RUN) config -rss_limit_mb=4096

fuzz: fuzz-rt
.PHONY: fuzz-build-rt fuzz-rt

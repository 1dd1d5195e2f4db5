# Owner: sandbox. Namespaces, overlay snapshots, RUN, users.
noinst_LIBRARIES += runtime/librtsandbox.a
runtime_librtsandbox_a_SOURCES = runtime/run.c runtime/sandbox.h runtime/sandbox_int.h runtime/reslimit.c runtime/reslimit.h \
	runtime/sandbox_plan.c runtime/sandbox_parent.c runtime/sandbox_child.c \
	runtime/mounts.c runtime/mounts_plan.c runtime/mounts_cache.c runtime/mounts.h runtime/snapshot.c runtime/user.c runtime/idmap.c runtime/idmap.h \
	runtime/sshproxy.c runtime/sshproxy.h \
	runtime/mountsrc.c runtime/mountsrc.h runtime/seccomp.c runtime/seccomp.h \
	runtime/netns.c runtime/netns.h \
	runtime/binfmt.c runtime/binfmt.h

SANDBOX_TEST_LIBS = runtime/librtsandbox.a runtime/librtcore.a lib/libdfstore.a lib/libdfmatch.a \
	lib/libdfcommon.a \
	$(ALL_LIBS)
check_PROGRAMS += tests/unit/test_user tests/unit/test_snapshot tests/unit/test_sandbox \
	tests/unit/test_netns tests/unit/test_idmap
tests_unit_test_netns_SOURCES = tests/unit/test_netns.c
tests_unit_test_netns_LDADD = $(SANDBOX_TEST_LIBS)
tests_unit_test_idmap_SOURCES = tests/unit/test_idmap.c
tests_unit_test_idmap_LDADD = $(SANDBOX_TEST_LIBS)
tests_unit_test_user_SOURCES = tests/unit/test_user.c
tests_unit_test_user_LDADD = $(SANDBOX_TEST_LIBS)
tests_unit_test_snapshot_SOURCES = tests/unit/test_snapshot.c
tests_unit_test_snapshot_LDADD = $(SANDBOX_TEST_LIBS)
tests_unit_test_sandbox_SOURCES = tests/unit/test_sandbox.c
tests_unit_test_sandbox_LDADD = $(SANDBOX_TEST_LIBS)

# The probe runs inside test sandboxes whose rootfs has no libc: static,
# and so never sanitized (ASan cannot link statically).
noinst_PROGRAMS += tests/probe/probe
tests_probe_probe_SOURCES = tests/probe/probe.c
tests_probe_probe_CFLAGS = -std=c11 $(WARN_CFLAGS)
tests_probe_probe_LDFLAGS = -static

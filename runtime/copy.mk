# Owner: COPY/ADD. copy, add, sum, workdir.
noinst_LIBRARIES += runtime/librtcopy.a
runtime_librtcopy_a_SOURCES = runtime/copy.c runtime/copy.h runtime/copyfs.c runtime/copyfs.h \
	runtime/copyidx.c runtime/copyidx.h \
	runtime/add.c runtime/add.h runtime/sum.c runtime/workdir.c runtime/chmod.c runtime/chmod.h \
	runtime/fetch.c runtime/fetch.h runtime/gitsrc.c

check_PROGRAMS += tests/unit/test_chmod
tests_unit_test_chmod_SOURCES = tests/unit/test_chmod.c tests/unit/tap.h
tests_unit_test_chmod_LDADD = runtime/librtcopy.a lib/libdfcommon.a $(ALL_LIBS)

# Owner: COPY/ADD. Resolving sources against the build context.
noinst_LIBRARIES += lib/libdfctx.a
lib_libdfctx_a_SOURCES = lib/context.c lib/context.h lib/netsrc.c lib/netsrc.h

check_PROGRAMS += tests/unit/test_context
tests_unit_test_context_SOURCES = tests/unit/test_context.c tests/unit/tap.h
tests_unit_test_context_LDADD = lib/libdfctx.a lib/libdfmatch.a lib/libdfcommon.a $(ALL_LIBS)

check_PROGRAMS += tests/unit/test_netsrc
tests_unit_test_netsrc_SOURCES = tests/unit/test_netsrc.c tests/unit/tap.h
tests_unit_test_netsrc_LDADD = lib/libdfctx.a lib/libdfcommon.a $(ALL_LIBS)

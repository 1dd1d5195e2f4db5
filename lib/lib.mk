# lib/: what both programs use. One library, libcommon.a; the groups
# below are only for reading (and for the fuzz targets, which compile
# sources rather than link archives).
noinst_LIBRARIES += lib/libcommon.a
# allocation, errors, buffers, hashing, files, make/shell quoting, input
LIB_BASE = lib/util.c lib/util.h lib/error.c lib/error.h lib/buf.c lib/buf.h lib/hash.c \
	lib/hash.h lib/sha256.h lib/fsutil.c lib/fsutil.h lib/utf8.c lib/utf8.h lib/cleanup.h \
	lib/safeopen.c lib/safeopen.h lib/mkquote.c lib/mkquote.h lib/input.c lib/input.h lib/ulimit.c \
	lib/ulimit.h lib/nameidx.c lib/nameidx.h
# globs and .dockerignore
LIB_MATCH = lib/match.c lib/match.h lib/ignore.c lib/ignore.h
# resolving COPY/ADD sources against the build context
LIB_CONTEXT = lib/context.c lib/context.h lib/netsrc.c lib/netsrc.h
# image references, the content-addressed store, platforms
LIB_STORE = lib/store.c lib/store.h lib/ref.c lib/ref.h lib/platform.c lib/platform.h
lib_libcommon_a_SOURCES = $(LIB_BASE) $(LIB_MATCH) $(LIB_CONTEXT) $(LIB_STORE)

check_PROGRAMS += tests/unit/test_input tests/unit/test_sha256 tests/unit/test_safeopen \
	tests/unit/test_match tests/unit/test_ignore tests/unit/test_context tests/unit/test_ref \
	tests/unit/test_store tests/unit/test_platform tests/unit/test_mkquote tests/unit/test_netsrc \
	tests/unit/test_nameidx
tests_unit_test_input_SOURCES = tests/unit/test_input.c tests/unit/tap.h
tests_unit_test_input_LDADD = lib/libcommon.a $(ALL_LIBS)
tests_unit_test_sha256_SOURCES = tests/unit/test_sha256.c tests/unit/tap.h
tests_unit_test_sha256_LDADD = lib/libcommon.a $(ALL_LIBS)
tests_unit_test_safeopen_SOURCES = tests/unit/test_safeopen.c tests/unit/tap.h
tests_unit_test_safeopen_LDADD = lib/libcommon.a $(ALL_LIBS)
tests_unit_test_match_SOURCES = tests/unit/test_match.c tests/unit/tap.h
tests_unit_test_match_LDADD = lib/libcommon.a $(ALL_LIBS)
tests_unit_test_ignore_SOURCES = tests/unit/test_ignore.c tests/unit/tap.h
tests_unit_test_ignore_LDADD = lib/libcommon.a $(ALL_LIBS)
tests_unit_test_context_SOURCES = tests/unit/test_context.c tests/unit/tap.h
tests_unit_test_context_LDADD = lib/libcommon.a $(ALL_LIBS)
tests_unit_test_ref_SOURCES = tests/unit/test_ref.c tests/unit/tap.h
tests_unit_test_ref_LDADD = lib/libcommon.a $(ALL_LIBS)
tests_unit_test_store_SOURCES = tests/unit/test_store.c tests/unit/tap.h
tests_unit_test_store_LDADD = lib/libcommon.a $(ALL_LIBS)
tests_unit_test_platform_SOURCES = tests/unit/test_platform.c tests/unit/tap.h
tests_unit_test_platform_LDADD = lib/libcommon.a $(ALL_LIBS)
tests_unit_test_mkquote_SOURCES = tests/unit/test_mkquote.c tests/unit/tap.h
tests_unit_test_mkquote_LDADD = lib/libcommon.a $(ALL_LIBS)
tests_unit_test_netsrc_SOURCES = tests/unit/test_netsrc.c tests/unit/tap.h
tests_unit_test_netsrc_LDADD = lib/libcommon.a $(ALL_LIBS)
tests_unit_test_nameidx_SOURCES = tests/unit/test_nameidx.c tests/unit/tap.h
tests_unit_test_nameidx_LDADD = lib/libcommon.a $(ALL_LIBS)

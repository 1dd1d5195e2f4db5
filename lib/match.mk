# Owner: expansion/matching. Globs and .dockerignore.
noinst_LIBRARIES += lib/libdfmatch.a
lib_libdfmatch_a_SOURCES = lib/match.c lib/match.h lib/ignore.c lib/ignore.h

check_PROGRAMS += tests/unit/test_match tests/unit/test_ignore
tests_unit_test_match_SOURCES = tests/unit/test_match.c tests/unit/tap.h
tests_unit_test_match_LDADD = lib/libdfmatch.a lib/libdfcommon.a $(ALL_LIBS)
tests_unit_test_ignore_SOURCES = tests/unit/test_ignore.c tests/unit/tap.h
tests_unit_test_ignore_LDADD = lib/libdfmatch.a lib/libdfcommon.a $(ALL_LIBS)

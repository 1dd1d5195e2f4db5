# Owner: store. The safe-open test (lib/safeopen.c is in libdfcommon).
check_PROGRAMS += tests/unit/test_safeopen
tests_unit_test_safeopen_SOURCES = tests/unit/test_safeopen.c tests/unit/tap.h
tests_unit_test_safeopen_LDADD = lib/libdfcommon.a $(ALL_LIBS)

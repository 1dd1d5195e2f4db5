# Owner: store/image. Image references and the content-addressed store.
noinst_LIBRARIES += lib/libdfstore.a
lib_libdfstore_a_SOURCES = lib/store.c lib/store.h lib/ref.c lib/ref.h lib/platform.c lib/platform.h

check_PROGRAMS += tests/unit/test_ref tests/unit/test_store tests/unit/test_platform
tests_unit_test_ref_SOURCES = tests/unit/test_ref.c
tests_unit_test_ref_LDADD = lib/libdfstore.a lib/libdfcommon.a $(ALL_LIBS)
tests_unit_test_store_SOURCES = tests/unit/test_store.c
tests_unit_test_store_LDADD = lib/libdfstore.a lib/libdfcommon.a $(ALL_LIBS)
tests_unit_test_platform_SOURCES = tests/unit/test_platform.c
tests_unit_test_platform_LDADD = lib/libdfstore.a lib/libdfcommon.a $(ALL_LIBS)

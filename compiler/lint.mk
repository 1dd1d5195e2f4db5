# Owner: lint. BuildKit's build checks and the diagnostics list.
compiler_libback_a_SOURCES += compiler/lint.c compiler/lint.h compiler/lint_int.h \
	compiler/lint_file.c compiler/lint_stage.c

check_PROGRAMS += tests/unit/test_diag
tests_unit_test_diag_SOURCES = tests/unit/test_diag.c
tests_unit_test_diag_LDADD = $(COMPILER_LIBS) $(ALL_LIBS)

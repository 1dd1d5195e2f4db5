# Owner: front end. Reader, typed instructions, located diagnostics, AST dump.
noinst_LIBRARIES += compiler/libfront.a
compiler_libfront_a_SOURCES = compiler/parse.c compiler/parse.h compiler/words.c compiler/words.h \
	compiler/json.c compiler/json.h compiler/instr.c compiler/instr.h \
	compiler/instr_ctx.h compiler/dockerfile.c compiler/mountflag.c compiler/mountflag.h \
	compiler/strconv.c compiler/strconv.h compiler/suggest.c compiler/suggest.h \
	compiler/diag.c compiler/diag.h compiler/dump.c compiler/dump.h

check_PROGRAMS += tests/unit/test_parse tests/unit/test_front_cases
tests_unit_test_parse_SOURCES = tests/unit/test_parse.c
tests_unit_test_parse_LDADD = compiler/libfront.a lib/libdfcommon.a $(ALL_LIBS)
tests_unit_test_front_cases_SOURCES = tests/unit/test_front_cases.c
tests_unit_test_front_cases_LDADD = compiler/libfront.a lib/libdfcommon.a $(ALL_LIBS)

# Owner: front end. Reader, typed instructions, AST dump.
noinst_LIBRARIES += compiler/libfront.a
compiler_libfront_a_SOURCES = compiler/instr.c compiler/instr.h

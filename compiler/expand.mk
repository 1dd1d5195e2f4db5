# Owner: expansion/matching. Shell word expansion.
noinst_LIBRARIES += compiler/libexpand.a
compiler_libexpand_a_SOURCES = compiler/expand.c compiler/expand.h

# Owner: expansion/matching. Globs and .dockerignore.
noinst_LIBRARIES += lib/libdfmatch.a
lib_libdfmatch_a_SOURCES = lib/match.c lib/match.h lib/ignore.c lib/ignore.h

# Owner: COPY/ADD. Resolving sources against the build context.
noinst_LIBRARIES += lib/libdfctx.a
lib_libdfctx_a_SOURCES = lib/context.c lib/context.h

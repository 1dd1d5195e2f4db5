# Owner: COPY/ADD. copy, add, sum, workdir.
noinst_LIBRARIES += runtime/librtcopy.a
runtime_librtcopy_a_SOURCES = runtime/copy.c

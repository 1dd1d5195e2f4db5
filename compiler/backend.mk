# Owner: back end. ARG scopes, stage graph, cache keys, emitters, CLI.
noinst_LIBRARIES += compiler/libback.a
compiler_libback_a_SOURCES = compiler/graph.c

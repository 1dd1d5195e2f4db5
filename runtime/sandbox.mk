# Owner: sandbox. Namespaces, overlay snapshots, RUN, users.
noinst_LIBRARIES += runtime/librtsandbox.a
runtime_librtsandbox_a_SOURCES = runtime/run.c

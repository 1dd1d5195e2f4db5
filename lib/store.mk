# Owner: store/image. Image references and the content-addressed store.
noinst_LIBRARIES += lib/libdfstore.a
lib_libdfstore_a_SOURCES = lib/store.c lib/store.h lib/ref.c lib/ref.h

# Owner: store/image. load/import/images, base, layer, pack.
noinst_LIBRARIES += runtime/librtimage.a
runtime_librtimage_a_SOURCES = runtime/image.c

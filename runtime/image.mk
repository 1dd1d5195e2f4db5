# Owner: store/image. load/import/images, base, layer, pack.
noinst_LIBRARIES += runtime/librtimage.a
runtime_librtimage_a_SOURCES = runtime/blob.c runtime/blob.h runtime/oci.c runtime/oci.h \
	runtime/load.h runtime/loadsrc.c runtime/loadimg.c runtime/register.c \
	runtime/cmds.c runtime/change.c runtime/change.h \
	runtime/unpack.c runtime/unpack.h runtime/base.c \
	runtime/sink.c runtime/sink.h runtime/ltree.c runtime/layer.h runtime/layer.c \
	runtime/pack.c runtime/pack.h runtime/packw.c runtime/local.c \
	runtime/http.c runtime/http.h runtime/regauth.c runtime/regauth.h \
	runtime/regconf.c runtime/regconf.h runtime/registry.c runtime/registry.h \
	runtime/pull.c runtime/pull.h runtime/diffid.c runtime/diffid.h runtime/xferprog.c runtime/xferprog.h \
	runtime/pullcmd.c runtime/push.c runtime/push.h runtime/blobloc.c runtime/blobloc.h \
	runtime/fsck.c runtime/gc.c runtime/gc.h \
	runtime/cache.c runtime/cache.h runtime/cacheout.c runtime/cachereg.c

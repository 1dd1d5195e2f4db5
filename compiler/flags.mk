# Owner: flags. docker buildx build / podman build options (compiler/bflags.c,
# compiler/bfemit.c, runtime/imeta.c), --call outline|targets
# (compiler/outline.c), --version's library versions, shell completion.
compiler_libback_a_SOURCES += compiler/bflags.c compiler/bflags.h \
	compiler/bfemit.c compiler/bfemit.h compiler/outline.c compiler/outline.h \
	compiler/version.c compiler/version.h
runtime_librtimage_a_SOURCES += runtime/imeta.c runtime/imeta.h runtime/packfmt.c runtime/packfmt.h
runtime_librtcore_a_SOURCES += runtime/rtversion.c runtime/rtversion.h
TEMPLATE_FILES += $(srcdir)/templates/metadata.mk $(srcdir)/templates/load.mk

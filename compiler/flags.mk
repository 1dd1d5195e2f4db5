# Owner: flags. docker buildx build / podman build options (compiler/bflags.c,
# compiler/bfemit.c, runtime/imeta.c), --call outline|targets
# (compiler/outline.c), --version's library versions, shell completion.
compiler_libback_a_SOURCES += compiler/bflags.c compiler/bflags.h \
	compiler/bfemit.c compiler/bfemit.h compiler/outline.c compiler/outline.h \
	compiler/version.c compiler/version.h compiler/nctx.c compiler/nctx.h
runtime_librtimage_a_SOURCES += runtime/imeta.c runtime/imeta.h runtime/packfmt.c runtime/packfmt.h \
	runtime/squash.c runtime/squash.h
runtime_librtcore_a_SOURCES += runtime/rtversion.c runtime/rtversion.h
TEMPLATE_FILES += $(srcdir)/templates/metadata.mk $(srcdir)/templates/load.mk

# Shell completion: bash-completion loads completions/NAME on demand, zsh
# finds _NAME on its fpath; both under $(datadir) as their packages expect.
bashcompdir = $(datadir)/bash-completion/completions
zshcompdir = $(datadir)/zsh/site-functions
EXTRA_DIST += completions/df2make.bash completions/_df2make
install-data-local: install-completions
uninstall-local: uninstall-completions
install-completions:
	$(MKDIR_P) '$(DESTDIR)$(bashcompdir)' '$(DESTDIR)$(zshcompdir)'
	$(INSTALL_DATA) $(srcdir)/completions/df2make.bash '$(DESTDIR)$(bashcompdir)/df2make'
	$(INSTALL_DATA) $(srcdir)/completions/_df2make '$(DESTDIR)$(zshcompdir)/_df2make'
uninstall-completions:
	rm -f '$(DESTDIR)$(bashcompdir)/df2make' '$(DESTDIR)$(zshcompdir)/_df2make'
.PHONY: install-completions uninstall-completions

# Owner: back end. ARG scopes, stage graph, cache keys, emitters, CLI.
noinst_LIBRARIES += compiler/libback.a
compiler_libback_a_SOURCES = compiler/cli.c compiler/cli.h compiler/args.c compiler/args.h \
	compiler/entitle.c compiler/entitle.h compiler/fetch.c compiler/fetch.h \
	compiler/config.c compiler/config.h compiler/graph.c compiler/graph.h \
	compiler/step.c compiler/step.h compiler/step_int.h \
	compiler/step_config.c compiler/step_run.c compiler/step_copy.c compiler/spec.c compiler/spec.h compiler/key.c compiler/key.h \
	compiler/emit.c compiler/emit.h compiler/outfile.c compiler/outfile.h \
	compiler/plan.c compiler/plan.h compiler/dot.c compiler/dot.h \
	compiler/templates.c compiler/templates.h
nodist_compiler_libback_a_SOURCES = compiler/templates-gen.c

# The Makefile fragments are compiled into the binary.
TEMPLATE_FILES = $(srcdir)/templates/prologue.mk $(srcdir)/templates/remake.mk \
	$(srcdir)/templates/base.mk $(srcdir)/templates/base-missing.mk \
	$(srcdir)/templates/pull.mk $(srcdir)/templates/pull-force.mk $(srcdir)/templates/push.mk \
	$(srcdir)/templates/run.mk $(srcdir)/templates/copy.mk $(srcdir)/templates/add.mk \
	$(srcdir)/templates/workdir.mk $(srcdir)/templates/sum.mk $(srcdir)/templates/layer.mk \
	$(srcdir)/templates/layer-params.mk $(srcdir)/templates/cache-to.mk \
	$(srcdir)/templates/stage.mk $(srcdir)/templates/pack.mk $(srcdir)/templates/clean.mk \
	$(srcdir)/templates/epilogue.mk $(srcdir)/templates/fetch.mk \
	$(srcdir)/templates/fetch-force.mk
compiler/templates-gen.c: $(TEMPLATE_FILES) $(srcdir)/compiler/gen-templates.sh
	$(AM_V_GEN)$(MKDIR_P) compiler && \
	$(SHELL) $(srcdir)/compiler/gen-templates.sh $(TEMPLATE_FILES) > $@.tmp && \
	mv -f $@.tmp $@
BUILT_SOURCES += compiler/templates-gen.c
CLEANFILES += compiler/templates-gen.c
EXTRA_DIST += compiler/gen-templates.sh

check_PROGRAMS += tests/unit/test_mkquote
tests_unit_test_mkquote_SOURCES = tests/unit/test_mkquote.c
tests_unit_test_mkquote_LDADD = lib/libdfcommon.a $(ALL_LIBS)

check_PROGRAMS += tests/unit/test_key tests/unit/test_args tests/unit/test_config
tests_unit_test_key_SOURCES = tests/unit/test_key.c
tests_unit_test_key_LDADD = $(COMPILER_LIBS) $(ALL_LIBS)
tests_unit_test_args_SOURCES = tests/unit/test_args.c
tests_unit_test_args_LDADD = $(COMPILER_LIBS) $(ALL_LIBS)
tests_unit_test_config_SOURCES = tests/unit/test_config.c
tests_unit_test_config_LDADD = $(COMPILER_LIBS) $(ALL_LIBS)

check_PROGRAMS += tests/unit/test_spec
tests_unit_test_spec_SOURCES = tests/unit/test_spec.c tests/unit/tap.h
tests_unit_test_spec_LDADD = $(COMPILER_LIBS) $(ALL_LIBS)

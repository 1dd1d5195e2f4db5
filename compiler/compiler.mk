# compiler/: the Dockerfile compiler as one library, libcompiler.a
# (compiler/main.c is the program). The groups follow docs/architecture.md.
noinst_LIBRARIES += compiler/libcompiler.a
# front end: the reader, typed instructions, located diagnostics, AST dump
COMPILER_FRONT = compiler/parse.c compiler/parse.h compiler/words.c compiler/words.h \
	compiler/json.c compiler/json.h compiler/instr.c compiler/instr.h compiler/instr_ctx.h \
	compiler/dockerfile.c compiler/mountflag.c compiler/mountflag.h compiler/strconv.c \
	compiler/strconv_print.c compiler/strconv_print_tab.h compiler/strconv.h compiler/suggest.c compiler/suggest.h \
	compiler/diag.c compiler/diag.h \
	compiler/dump.c compiler/dump.h
# shell word expansion
COMPILER_EXPAND = compiler/expand.c compiler/expand.h
# back end: ARG scopes, the stage graph, cache keys, emitters, the CLI
COMPILER_BACK = compiler/cli.c compiler/cli.h compiler/args.c compiler/args.h compiler/entitle.c \
	compiler/entitle.h compiler/fetch.c compiler/fetch.h compiler/config.c compiler/config.h \
	compiler/graph.c compiler/graph.h \
	compiler/step.c compiler/step.h compiler/step_int.h compiler/step_config.c compiler/step_run.c \
	compiler/step_copy.c compiler/spec.c compiler/spec.h compiler/specout.c compiler/specout.h \
	compiler/key.c compiler/key.h \
	compiler/emit.c compiler/emit.h compiler/emitlayer.c compiler/emitlayer.h compiler/cmdline.c compiler/cmdline.h compiler/outfile.c \
	compiler/outfile.h compiler/plan.c compiler/plan.h compiler/dot.c compiler/dot.h \
	compiler/templates.c compiler/templates.h
# the linter (BuildKit's build checks)
COMPILER_LINT = compiler/lint.c compiler/lint.h compiler/lint_int.h compiler/lint_file.c \
	compiler/lint_stage.c
# docker buildx / podman build options, --call outline|targets, --version
COMPILER_FLAGS = compiler/bflags.c compiler/bflags.h compiler/bfemit.c compiler/bfemit.h \
	compiler/outline.c compiler/outline.h compiler/version.c compiler/version.h \
	compiler/nctx.c compiler/nctx.h
compiler_libcompiler_a_SOURCES = $(COMPILER_FRONT) $(COMPILER_EXPAND) $(COMPILER_BACK) \
	$(COMPILER_LINT) $(COMPILER_FLAGS)
nodist_compiler_libcompiler_a_SOURCES = compiler/templates-gen.c

# The Makefile fragments are compiled into the binary.
TEMPLATE_FILES = $(srcdir)/templates/prologue.mk $(srcdir)/templates/remake.mk \
	$(srcdir)/templates/base.mk $(srcdir)/templates/base-missing.mk \
	$(srcdir)/templates/pull.mk $(srcdir)/templates/pull-force.mk $(srcdir)/templates/push.mk \
	$(srcdir)/templates/run.mk $(srcdir)/templates/copy.mk $(srcdir)/templates/add.mk \
	$(srcdir)/templates/workdir.mk $(srcdir)/templates/sum.mk $(srcdir)/templates/fsum.mk \
	$(srcdir)/templates/layer.mk \
	$(srcdir)/templates/layer-params.mk $(srcdir)/templates/cache-to.mk \
	$(srcdir)/templates/stage.mk $(srcdir)/templates/pack.mk $(srcdir)/templates/clean.mk \
	$(srcdir)/templates/epilogue.mk $(srcdir)/templates/metadata.mk $(srcdir)/templates/load.mk \
	$(srcdir)/templates/fetch.mk $(srcdir)/templates/fetch-force.mk
compiler/templates-gen.c: $(TEMPLATE_FILES) $(srcdir)/compiler/gen-templates.sh
	$(AM_V_GEN)$(MKDIR_P) compiler && \
	$(SHELL) $(srcdir)/compiler/gen-templates.sh $(TEMPLATE_FILES) > $@.tmp && \
	mv -f $@.tmp $@
BUILT_SOURCES += compiler/templates-gen.c
CLEANFILES += compiler/templates-gen.c
EXTRA_DIST += compiler/gen-templates.sh

check_PROGRAMS += tests/unit/test_parse tests/unit/test_front_cases tests/unit/test_expand \
	tests/unit/test_key tests/unit/test_args tests/unit/test_config tests/unit/test_strconv tests/unit/test_spec \
	tests/unit/test_diag
tests_unit_test_parse_SOURCES = tests/unit/test_parse.c tests/unit/tap.h
tests_unit_test_parse_LDADD = $(COMPILER_LIBS) $(ALL_LIBS)
tests_unit_test_front_cases_SOURCES = tests/unit/test_front_cases.c tests/unit/tap.h
tests_unit_test_front_cases_LDADD = $(COMPILER_LIBS) $(ALL_LIBS)
tests_unit_test_expand_SOURCES = tests/unit/test_expand.c tests/unit/tap.h
tests_unit_test_expand_LDADD = $(COMPILER_LIBS) $(ALL_LIBS)
tests_unit_test_key_SOURCES = tests/unit/test_key.c tests/unit/tap.h
tests_unit_test_key_LDADD = $(COMPILER_LIBS) $(ALL_LIBS)
tests_unit_test_args_SOURCES = tests/unit/test_args.c tests/unit/tap.h
tests_unit_test_args_LDADD = $(COMPILER_LIBS) $(ALL_LIBS)
tests_unit_test_config_SOURCES = tests/unit/test_config.c tests/unit/tap.h
tests_unit_test_strconv_SOURCES = tests/unit/test_strconv.c tests/unit/tap.h
tests_unit_test_strconv_LDADD = $(COMPILER_LIBS) $(ALL_LIBS)
tests_unit_test_config_LDADD = $(COMPILER_LIBS) $(ALL_LIBS)
tests_unit_test_spec_SOURCES = tests/unit/test_spec.c tests/unit/tap.h
tests_unit_test_spec_LDADD = $(COMPILER_LIBS) $(ALL_LIBS)
tests_unit_test_diag_SOURCES = tests/unit/test_diag.c tests/unit/tap.h
tests_unit_test_diag_LDADD = $(COMPILER_LIBS) $(ALL_LIBS)

# Fuzz targets. Built normally they are replay programs: `make check` runs
# each over its corpus (tests/fuzz/corpus/NAME: seeds and past crashes).
# `make fuzz` builds them with libFuzzer + ASan + UBSan straight from the
# sources and runs each for FUZZ_SECONDS; `make fuzz-long` for 10 minutes.
check_PROGRAMS += tests/fuzz/fuzz_expand tests/fuzz/fuzz_ignore tests/fuzz/fuzz_reader
tests_fuzz_fuzz_expand_SOURCES = tests/fuzz/fuzz_expand.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_expand_LDADD = $(COMPILER_LIBS) $(ALL_LIBS)
tests_fuzz_fuzz_ignore_SOURCES = tests/fuzz/fuzz_ignore.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_ignore_LDADD = lib/libcommon.a $(ALL_LIBS)
tests_fuzz_fuzz_reader_SOURCES = tests/fuzz/fuzz_reader.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_reader_LDADD = $(COMPILER_LIBS) $(ALL_LIBS)

FUZZ_SECONDS = 60
FUZZ_CC = clang
FUZZ_CFLAGS = -g -O1 -std=c11 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -DDF_LIBFUZZER -include $(top_builddir)/config.h \
	-I$(top_srcdir)/lib -I$(top_srcdir)/compiler -I$(top_srcdir)/tests/fuzz -I$(top_builddir)/compiler \
	$(PCRE2_CFLAGS) $(YAML_CFLAGS) $(ARCHIVE_CFLAGS) $(JANSSON_CFLAGS) $(CRYPTO_CFLAGS) $(ZLIB_CFLAGS)
# Sources per target (the .c files of the libraries it needs).
FUZZ_SRC_expand = $(COMPILER_EXPAND) $(lib_libcommon_a_SOURCES)
FUZZ_SRC_ignore = $(lib_libcommon_a_SOURCES)
FUZZ_SRC_reader = $(COMPILER_FRONT) $(COMPILER_EXPAND) $(lib_libcommon_a_SOURCES)

# Plain rules (no libtool, no automake objects), one shell function each,
# shared with runtime/runtime.mk's targets:
#   $(FUZZ_BUILD) NAME 'CFLAGS' SOURCES...: one clang command over
#     tests/fuzz/fuzz_NAME.c and the .c files among SOURCES;
#   $(FUZZ_RUN) NAME [OPTION...]: libFuzzer for FUZZ_SECONDS over the
#     corpus, new inputs in fuzz/corpus-NAME, crashes in fuzz/crashes-NAME.
FUZZ_BUILD = fuzz_build() { \
	  t=$$1 fl=$$2; shift 2; cs=""; \
	  for f in "$$@"; do case $$f in *.c) cs="$$cs $(srcdir)/$$f" ;; esac; done; \
	  echo "  FUZZCC   fuzz/fuzz_$$t"; \
	  $(FUZZ_CC) $(FUZZ_CFLAGS) $$fl -o fuzz/fuzz_$$t $(srcdir)/tests/fuzz/fuzz_$$t.c $$cs \
	    $(ALL_LIBS); \
	}; fuzz_build
FUZZ_RUN = fuzz_run() { \
	  t=$$1; shift; $(MKDIR_P) fuzz/corpus-$$t fuzz/crashes-$$t && \
	  echo "fuzzing $$t for $(FUZZ_SECONDS)s" \
	    "(new inputs: fuzz/corpus-$$t, crashes: fuzz/crashes-$$t)" && \
	  ./fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 "$$@" \
	    -artifact_prefix=fuzz/crashes-$$t/ fuzz/corpus-$$t $(srcdir)/tests/fuzz/corpus/$$t; \
	}; fuzz_run

fuzz-build:
	@$(MKDIR_P) fuzz
	@$(FUZZ_BUILD) expand '' $(FUZZ_SRC_expand)
	@$(FUZZ_BUILD) ignore '' $(FUZZ_SRC_ignore)
	@$(FUZZ_BUILD) reader '' $(FUZZ_SRC_reader)

fuzz: fuzz-build
	@$(FUZZ_RUN) expand
	@$(FUZZ_RUN) ignore
	@$(FUZZ_RUN) reader

fuzz-long:
	$(MAKE) $(AM_MAKEFLAGS) fuzz FUZZ_SECONDS=600

clean-fuzz:
	rm -rf fuzz
.PHONY: fuzz fuzz-build fuzz-long clean-fuzz

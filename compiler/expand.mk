# Owner: expansion/matching. Shell word expansion.
noinst_LIBRARIES += compiler/libexpand.a
compiler_libexpand_a_SOURCES = compiler/expand.c compiler/expand.h

check_PROGRAMS += tests/unit/test_expand
tests_unit_test_expand_SOURCES = tests/unit/test_expand.c tests/unit/tap.h
tests_unit_test_expand_LDADD = compiler/libexpand.a lib/libdfmatch.a lib/libdfcommon.a $(ALL_LIBS)

# Fuzz targets. Built normally they are replay programs: `make check` runs
# each over its corpus (tests/fuzz/corpus/NAME: seeds and past crashes).
# `make fuzz` builds them with libFuzzer + ASan + UBSan straight from the
# sources and runs each for FUZZ_SECONDS; `make fuzz-long` for 10 minutes.
check_PROGRAMS += tests/fuzz/fuzz_expand tests/fuzz/fuzz_ignore tests/fuzz/fuzz_reader
tests_fuzz_fuzz_expand_SOURCES = tests/fuzz/fuzz_expand.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_expand_LDADD = compiler/libexpand.a lib/libdfcommon.a $(ALL_LIBS)
tests_fuzz_fuzz_ignore_SOURCES = tests/fuzz/fuzz_ignore.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_ignore_LDADD = lib/libdfmatch.a lib/libdfcommon.a $(ALL_LIBS)
tests_fuzz_fuzz_reader_SOURCES = tests/fuzz/fuzz_reader.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_reader_LDADD = compiler/libfront.a compiler/libexpand.a lib/libdfmatch.a \
	lib/libdfcommon.a $(ALL_LIBS)

FUZZ_SECONDS = 60
FUZZ_CC = clang
FUZZ_TARGETS = expand ignore reader
FUZZ_CFLAGS = -g -O1 -std=c11 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -DDF_LIBFUZZER -include $(top_builddir)/config.h \
	-I$(top_srcdir)/lib -I$(top_srcdir)/compiler -I$(top_srcdir)/tests/fuzz -I$(top_builddir)/compiler \
	$(PCRE2_CFLAGS) $(YAML_CFLAGS) $(ARCHIVE_CFLAGS) $(JANSSON_CFLAGS) $(CRYPTO_CFLAGS) $(ZLIB_CFLAGS)
# Sources per target (the .c files of the libraries it needs).
FUZZ_SRC_expand = $(compiler_libexpand_a_SOURCES) $(lib_libdfcommon_a_SOURCES)
FUZZ_SRC_ignore = $(lib_libdfmatch_a_SOURCES) $(lib_libdfcommon_a_SOURCES)
FUZZ_SRC_reader = $(compiler_libfront_a_SOURCES) $(compiler_libexpand_a_SOURCES) \
	$(lib_libdfmatch_a_SOURCES) $(lib_libdfcommon_a_SOURCES)

# Plain rules (no libtool, no automake objects): each binary is one clang
# command over the target's file and its libraries' sources.
fuzz-build:
	@$(MKDIR_P) fuzz
	@set -e; for t in $(FUZZ_TARGETS); do \
	  case $$t in \
	    expand) srcs="$(FUZZ_SRC_expand)" ;; \
	    ignore) srcs="$(FUZZ_SRC_ignore)" ;; \
	    reader) srcs="$(FUZZ_SRC_reader)" ;; \
	  esac; \
	  cs=""; for f in $$srcs; do case $$f in *.c) cs="$$cs $(srcdir)/$$f" ;; esac; done; \
	  echo "  FUZZCC   fuzz/fuzz_$$t"; \
	  $(FUZZ_CC) $(FUZZ_CFLAGS) -o fuzz/fuzz_$$t $(srcdir)/tests/fuzz/fuzz_$$t.c $$cs $(ALL_LIBS); \
	done

fuzz: fuzz-build
	@set -e; for t in $(FUZZ_TARGETS); do \
	  $(MKDIR_P) fuzz/corpus-$$t fuzz/crashes-$$t; \
	  echo "fuzzing $$t for $(FUZZ_SECONDS)s (new inputs: fuzz/corpus-$$t, crashes: fuzz/crashes-$$t)"; \
	  ./fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=fuzz/crashes-$$t/ fuzz/corpus-$$t $(srcdir)/tests/fuzz/corpus/$$t; \
	done

fuzz-long:
	$(MAKE) $(AM_MAKEFLAGS) fuzz FUZZ_SECONDS=600

clean-fuzz:
	rm -rf fuzz
.PHONY: fuzz fuzz-build fuzz-long clean-fuzz

# Owner: security. Fuzz targets for the image-archive loader and the image
# config / store ref JSON the compiler reads. Same shape as the expansion
# targets (compiler/expand.mk): built normally they replay their corpus
# (tests/fuzz/corpus/NAME) under `make check`; `make fuzz` (which this
# fragment hooks into) builds them with libFuzzer + ASan + UBSan and runs
# each for FUZZ_SECONDS.
check_PROGRAMS += tests/fuzz/fuzz_load tests/fuzz/fuzz_config
tests_fuzz_fuzz_load_SOURCES = tests/fuzz/fuzz_load.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_load_LDADD = $(RUNTIME_LIBS) $(ALL_LIBS)
tests_fuzz_fuzz_config_SOURCES = tests/fuzz/fuzz_config.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_config_LDADD = $(COMPILER_LIBS) $(ALL_LIBS)

FUZZ_RT_TARGETS = load config
# The loader pulls in most of the runtime (store writes, blobs, layers).
FUZZ_SRC_load = $(runtime_librtcopy_a_SOURCES) $(runtime_librtsandbox_a_SOURCES) \
	$(runtime_librtimage_a_SOURCES) $(runtime_librtcore_a_SOURCES) \
	$(lib_libdfstore_a_SOURCES) $(lib_libdfctx_a_SOURCES) $(lib_libdfmatch_a_SOURCES) \
	$(lib_libdfcommon_a_SOURCES)
FUZZ_SRC_config = compiler/config.c $(lib_libdfstore_a_SOURCES) $(lib_libdfcommon_a_SOURCES)
FUZZ_RT_CFLAGS = $(FUZZ_CFLAGS) -I$(top_srcdir)/runtime

fuzz-build-rt:
	@$(MKDIR_P) fuzz
	@set -e; for t in $(FUZZ_RT_TARGETS); do \
	  case $$t in \
	    load) srcs="$(FUZZ_SRC_load)" ;; \
	    config) srcs="$(FUZZ_SRC_config)" ;; \
	  esac; \
	  cs=""; for f in $$srcs; do case $$f in *.c) cs="$$cs $(srcdir)/$$f" ;; esac; done; \
	  echo "  FUZZCC   fuzz/fuzz_$$t"; \
	  $(FUZZ_CC) $(FUZZ_RT_CFLAGS) -o fuzz/fuzz_$$t $(srcdir)/tests/fuzz/fuzz_$$t.c $$cs $(ALL_LIBS); \
	done

fuzz-rt: fuzz-build-rt
	@set -e; for t in $(FUZZ_RT_TARGETS); do \
	  $(MKDIR_P) fuzz/corpus-$$t fuzz/crashes-$$t; \
	  echo "fuzzing $$t for $(FUZZ_SECONDS)s (new inputs: fuzz/corpus-$$t, crashes: fuzz/crashes-$$t)"; \
	  ./fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 -rss_limit_mb=4096 \
	    -artifact_prefix=fuzz/crashes-$$t/ fuzz/corpus-$$t $(srcdir)/tests/fuzz/corpus/$$t; \
	done

fuzz: fuzz-rt
.PHONY: fuzz-build-rt fuzz-rt

# Owner: lint. BuildKit's build checks and the diagnostics list.
compiler_libback_a_SOURCES += compiler/lint.c compiler/lint.h compiler/diag.c compiler/diag.h

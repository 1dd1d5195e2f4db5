# Digest of what the step above takes from its --from stage: KEY.fsum
# changes only when that content does (BuildKit's CACHED). The recipe is a
# bare `+`: an empty command (no process) that make treats as recursive,
# so make (and make -q/-n, which run `+` lines) reads KEY.fsum's real time
# again after KEY.fchk's recipe, and an unchanged digest, older than the
# COPY's stamp, rebuilds nothing and leaves nothing for make -q to do.
$(STATE)/@KEY@.fsum: $(STATE)/@KEY@.fchk ; +
$(STATE)/@KEY@.fchk:@PREREQS@
	$(Q)$(DF2MAKE_RUNTIME) --state $(STATE_SH) --store $(STORE_SH) fsum @KEY@ @SPEC@

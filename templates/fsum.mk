# Digest of what the step above takes from its --from stage: KEY.fsum
# changes only when that content does (BuildKit's CACHED). The empty
# recipe makes make read KEY.fsum's time again after KEY.fchk's recipe.
$(STATE)/@KEY@.fsum: $(STATE)/@KEY@.fchk ;
$(STATE)/@KEY@.fchk:@PREREQS@
	$(Q)$(DF2MAKE_RUNTIME) --state $(STATE_SH) --store $(STORE_SH) fsum @KEY@ @SPEC@

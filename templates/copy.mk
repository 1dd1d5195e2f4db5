
# @TITLE@
$(STATE)/@KEY@.done:@PREREQS@
	$(DF2MAKE_RUNTIME) --state $(STATE_SH) --store $(STORE_SH) copy @KEY@ @SPEC@

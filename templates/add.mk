
# @TITLE@
$(STATE)/@KEY@.done:@PREREQS@
	$(Q)$(DF2MAKE_RUNTIME) --state $(STATE_SH) --store $(STORE_SH) add @KEY@ @SPEC@

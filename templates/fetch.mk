
# @TITLE@
# @WHEN@; KEY.fetch is rewritten only when the
# content changes, so an unchanged source rebuilds nothing.
$(STATE)/@KEY@.fetch:@FORCE@
	$(Q)$(DF2MAKE_RUNTIME) --state $(STATE_SH) --store $(STORE_SH) fetch @KEY@ @SPEC@


# @TITLE@ (asked again at every make run; KEY.fetch changes only
# when the content does, so an unchanged URL rebuilds nothing)
$(STATE)/@KEY@.fetch: df2make-fetch-force
	$(Q)$(DF2MAKE_RUNTIME) --state $(STATE_SH) --store $(STORE_SH) fetch @KEY@ @SPEC@

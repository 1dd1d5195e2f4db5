$(STATE)/@KEY@.layer: $(STATE)/@KEY@.done $(STATE)/@PARAMS@.lp
	$(Q)$(DF2MAKE_RUNTIME) --state $(STATE_SH) --store $(STORE_SH) layer @KEY@ @SPEC@

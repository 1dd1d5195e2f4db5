$(STATE)/@KEY@.layer: $(STATE)/@KEY@.done
	$(Q)$(DF2MAKE_RUNTIME) --state $(STATE_SH) --store $(STORE_SH) layer @KEY@ @SPEC@

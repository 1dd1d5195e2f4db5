$(STATE)/@KEY@.layer: $(STATE)/@KEY@.done
	$(DF2MAKE_RUNTIME) --state $(STATE_SH) --store $(STORE_SH) layer @KEY@ @SPEC@

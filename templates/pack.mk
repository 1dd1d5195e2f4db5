
# The image. The .pack stamp is named by the hash of the pack spec, so a
# change of the config alone (CMD, LABEL, ...) packs again.
$(STATE)/@PACKKEY@.pack:
	@mkdir -p -m 700 $(STATE_SH) && rm -f $(STATE_SH)/*.pack && : > $(STATE_SH)/@PACKKEY@.pack
$(OUTPUT):@PREREQS@ $(STATE)/@PACKKEY@.pack
	$(Q)$(DF2MAKE_RUNTIME) --state $(STATE_SH) --store $(STORE_SH) pack @KEY@ @SPEC@

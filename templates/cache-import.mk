
# The step cache at @REF@ (--cache-from): its manifest and cache config,
# fetched once per make run before any step; a step found there then
# fetches only its own layer.
.PHONY: $(STATE)/@KEY@.import
$(STATE)/@KEY@.import:
	$(Q)$(DF2MAKE_RUNTIME) --state $(STATE_SH) --store $(STORE_SH) cache-import @KEY@ @SPEC@

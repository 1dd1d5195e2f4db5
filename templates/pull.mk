
# @TITLE@ (build.mk is remade after it)
$(STATE)/@KEY@.pull:@FORCE@
	$(Q)$(DF2MAKE_RUNTIME) --state $(STATE_SH) --store $(STORE_SH) resolve @KEY@ @SPEC@

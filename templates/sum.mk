# Content checksum of what the step above reads from the context: KEY.sum
# changes only when the content does; KEY.d lists the files read.
$(STATE)/@KEY@.sum: $(STATE)/@KEY@.d
$(STATE)/@KEY@.d:@PREREQS@
	$(Q)$(DF2MAKE_RUNTIME) --state $(STATE_SH) --store $(STORE_SH) sum @KEY@ @SPEC@

# Content checksum of what the step above reads from the context: KEY.sum
# changes only when the content does; KEY.d, included below, lists the
# files read and changes only when that list does (make reads build.mk
# again only then); KEY.seen, the recipe's target, is touched every time.
$(STATE)/@KEY@.sum $(STATE)/@KEY@.d: $(STATE)/@KEY@.seen
$(STATE)/@KEY@.seen:@PREREQS@
	$(Q)$(DF2MAKE_RUNTIME) --state $(STATE_SH) --store $(STORE_SH) sum @KEY@ @SPEC@


# The step cache, exported after the image (--cache-to).
all: $(STATE)/@KEY@.done
$(STATE)/@KEY@.done: $(OUTPUT)@PREREQS@
	$(Q)$(DF2MAKE_RUNTIME) --state $(STATE_SH) --store $(STORE_SH) cache-export @KEY@ @SPEC@

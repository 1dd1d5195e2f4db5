
# @TITLE@ (df2make @FLAG@): from what pack recorded of the image it wrote.
all: @FILE@
@FILE@: $(OUTPUT)
	$(Q)$(DF2MAKE_RUNTIME) --state $(STATE_SH) --store $(STORE_SH) metadata @KEY@ @SPEC@

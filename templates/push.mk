
# @TITLE@ (df2make --push): after the image is written.
$(STATE)/@PUSHKEY@.push: $(OUTPUT)
	$(Q)$(DF2MAKE_RUNTIME) --state $(STATE_SH) --store $(STORE_SH) publish @PUSHKEY@ @SPEC@
all: $(STATE)/@PUSHKEY@.push


# @TITLE@ (df2make --push): after the image is written and the tag before
# (a second tag then finds every blob there: no concurrent uploads).
$(STATE)/@PUSHKEY@.push: $(OUTPUT)@PREREQS@
	$(Q)$(DF2MAKE_RUNTIME) --state $(STATE_SH) --store $(STORE_SH) publish @PUSHKEY@ @SPEC@
all: $(STATE)/@PUSHKEY@.push

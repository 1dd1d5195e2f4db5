
# build.mk remakes itself (GNU make re-reads a makefile that has a rule).
$(MK): @INPUTS@
	@echo 'df2make: regenerating $(MK)' >&2
	@@COMMAND@ > '$(MK).tmp' && mv -f '$(MK).tmp' '$(MK)' || { rm -f '$(MK).tmp'; exit 1; }

.PHONY: @NAME@
@NAME@: $(STATE)/@KEY@.done

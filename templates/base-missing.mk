
# @TITLE@ (not in the store when build.mk was made)
$(STATE)/@KEY@.done:@PREREQS@
	@printf '%s\n' @MESSAGE@ >&2; exit 1

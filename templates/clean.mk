
# clean removes the build state only (not the image, not the store). A
# rootless build with subordinate ids leaves files of those ids, which only
# the runtime (in its user namespace) may remove.
clean:
	rm -rf $(STATE_SH) 2>/dev/null || $(DF2MAKE_RUNTIME) --state $(STATE_SH) clean

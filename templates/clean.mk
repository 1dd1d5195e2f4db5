
# clean removes the build state only (not the image, not the store).
clean:
	rm -rf $(STATE_SH)

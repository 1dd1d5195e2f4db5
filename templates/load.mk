
# df2make --load: the image into docker's image store (podman's when
# docker is not installed) once it is written, as buildx --load does.
all: $(STATE)/@PACKKEY@.load
$(STATE)/@PACKKEY@.load: $(OUTPUT)
	$(Q)if command -v docker >/dev/null 2>&1; then docker load -i "$$DF2MAKE_OUTPUT"; \
	elif command -v podman >/dev/null 2>&1; then podman load -i "$$DF2MAKE_OUTPUT"; \
	else echo "df2make --load: neither docker nor podman is installed; the image is in $$DF2MAKE_OUTPUT" >&2; exit 1; fi
	@: > $(STATE_SH)/@PACKKEY@.load


# ADD's URL and git sources are checked for changes at every make run.
.PHONY: df2make-fetch-force
df2make-fetch-force:


# --pull: the pulls re-resolve their tags once per make run (not again
# after make restarts to read the regenerated build.mk).
.PHONY: df2make-pull-force
df2make-pull-force:

# The layers' epoch and compression: a change of either makes every layer
# again (the .lp stamp is named by their hash).
$(STATE)/@PARAMS@.lp:
	@mkdir -p -m 700 $(STATE_SH) && rm -f $(STATE_SH)/*.lp && : > $(STATE_SH)/@PARAMS@.lp

echo listen

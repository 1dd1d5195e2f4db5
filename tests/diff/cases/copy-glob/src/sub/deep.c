src / sub / deep.c

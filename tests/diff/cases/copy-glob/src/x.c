src / x.c

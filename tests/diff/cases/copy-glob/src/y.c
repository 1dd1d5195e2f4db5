src / y.c

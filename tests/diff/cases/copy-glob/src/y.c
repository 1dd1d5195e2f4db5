src/y.c

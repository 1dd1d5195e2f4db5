src/sub/deep.c

src/z.h

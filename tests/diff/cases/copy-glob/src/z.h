src / z.h

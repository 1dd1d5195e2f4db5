#define B 2
#define C 3

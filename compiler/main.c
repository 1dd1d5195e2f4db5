/* placeholder until the back end lands */
#include <stdio.h>
int main(void) { fputs("df2make: not built yet\n", stderr); return 1; }

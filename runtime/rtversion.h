/* rtversion: df2make-runtime --version (see rtversion.c). */
#ifndef DF_RTVERSION_H
#define DF_RTVERSION_H

/* Prints the runtime's version and its libraries' on stdout. */
void rtversion_print(void);

#endif

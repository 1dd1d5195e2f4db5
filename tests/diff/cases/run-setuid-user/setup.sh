# a static program: the busybox base has no libc (busybox itself drops
# its setuid privilege for every applet that does not need it)
cc -static -O -o setid-probe setid-probe.c

/* What a set-id program sees: its ids, its effective capabilities, and
 * whether it may write where only root may (built by setup.sh). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");
	int fd;

	printf("uid %d euid %d gid %d egid %d\n", (int)getuid(), (int)geteuid(), (int)getgid(),
	       (int)getegid());
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "CapEff:", 7) == 0 || strncmp(line, "CapPrm:", 7) == 0)
			fputs(line, stdout);
	if (argc > 1) {
		fd = open(argv[1], O_CREAT | O_WRONLY, 0644);
		printf("create %s: %s\n", argv[1], fd < 0 ? "refused" : "done");
	}
	return 0;
}

/* add: ADD's local archive handling: detection by content and extraction
 * with `tar -x` union semantics, contained in the destination rootfs. */
#ifndef DF_ADD_H
#define DF_ADD_H
#include <sys/types.h>

struct error;

struct add_opts {
	int chown; /* --chown given: overrides the owners stored in the archive */
	uid_t uid;
	gid_t gid;
};

/* 1 if the file open as fd is a (plain, gzip, bzip2, xz or zstd) tar with
 * at least one entry; the file offset is rewound. */
int add_is_archive(int fd);
/* Extracts the archive open as fd into destdir (absolute, inside root);
 * what names the source in messages. */
int add_extract(int root, const char *destdir, int fd, const char *what, const struct add_opts *o,
		struct error *e);

#endif

/* unpack: layer blobs into overlay-ready directories of the store. */
#ifndef DF_UNPACK_H
#define DF_UNPACK_H

struct error;

/* Rootless, a device node of a layer is stored as an empty file carrying
 * this xattr: "c MAJOR MINOR" or "b MAJOR MINOR" (docs/sandbox.md). */
#define UNPACK_DEV_XATTR "user.df2make.dev"

/* Makes sure STORE/layers/<hex of diff_id> holds the layer (unpacking the
 * blob once; concurrent callers are safe) and its .ok marker exists. */
int unpack_layer(const char *store, const char *blob_digest, const char *diff_id, struct error *e);
/* The hex digest of the first blob the .ok marker at ok_path lists as
 * checked to decompress to its layer (malloc'd), or NULL. */
char *unpack_ok_blob(const char *ok_path);
/* The xattr overlayfs reads for opaque directories here:
 * trusted.overlay.opaque as real root, user.overlay.opaque in a user
 * namespace (mounted with userxattr). */
const char *unpack_opaque_xattr(void);
/* archive_write_disk options for untrusted trees: owners (as root),
 * modes, times, xattrs, ACLs; no `..`, no absolute names, no writing
 * through symlinks. */
int unpack_disk_flags(void);
/* 1 when we run as root of the initial user namespace. */
int unpack_real_root(void);

#endif

/* bflags: the `docker buildx build` / `podman build` options beyond the
 * core ones of cli.c (docs/cli.md, "Flags of docker build and podman
 * build"). Each is parsed and checked here; the modules that act on
 * them read struct bflags. None of them is accepted and then ignored. */
#ifndef DF_BFLAGS_H
#define DF_BFLAGS_H
#include <getopt.h>
#include <stddef.h>

#include "util.h"

struct entitlements;
struct spec;
struct sv;

/* getopt codes of the options below (cli.c's own stay under 512). */
enum {
	BF_NO_CACHE = 512,
	BF_NO_CACHE_FILTER,
	BF_IIDFILE,
	BF_METADATA_FILE,
	BF_LABEL,
	BF_ANNOTATION,
	BF_NETWORK,
	BF_ADD_HOST,
	BF_BUILD_CONTEXT,
	BF_LOAD,
	BF_SHM_SIZE,
	BF_CALL,
	BF_LAYERS,
	BF_FORMAT,
	BF_SQUASH,
	BF_SQUASH_ALL,
};

struct bflags {
	int no_cache;			/* --no-cache: every step of every stage */
	struct strlist no_cache_stages; /* --no-cache-filter, as given */
	char nonce[17];			/* fresh per compile, keyed into uncached steps */
	char *iidfile;			/* --iidfile, relative to make's directory */
	char *metadata_file;		/* --metadata-file, likewise */
	struct strlist labels;		/* --label K=V, checked */
	struct strlist annotations;	/* --annotation as given, checked */
	char *network;			/* --network default|none|host, or NULL */
	struct strlist add_hosts;	/* --add-host as "IP\tHOST" /etc/hosts lines */
	long long shm_size;		/* --shm-size in bytes, 0: not given */
	int load;			/* --load: docker/podman load after packing */
	char *call;			/* --call outline|targets|check, or NULL */
	int no_layers;			/* podman --layers=false: as --no-cache */
	char *format;			/* podman --format docker|oci, or NULL */
	int squash;			/* --squash 1, --squash-all 2 */
	struct strlist argv;		/* the flags and values as given, for the remake rule */
	struct strlist ctx_keys;	/* --build-context NAMEs, normalised as image refs */
	struct strlist ctx_refs;	/* ... the docker-image:// REF of each ("" for a DIR) */
	struct strlist ctx_dirs;	/* ... the absolute DIR of each ("" for an image) */
	struct strlist ctx_layouts;	/* ... the absolute oci-layout DIR ("" for others) */
	struct strlist ctx_names;	/* ... and the NAME as given */
};

/* The long options bflags handles, NULL-terminated (cli.c merges them). */
extern const struct option bflags_options[];
/* Handles option opt (a BF_* code) with its argument; dies naming the
 * flag on a bad value. */
void bflags_option(struct bflags *b, int opt, const char *arg);
/* Checks the options against each other and against the entitlements
 * once all are read (--network host needs --allow network.host). */
void bflags_finish(struct bflags *b, const struct entitlements *ent);
/* The image a --build-context NAME=docker-image://REF puts in place of
 * name (a stage name, a FROM image, a --from), or NULL. name is compared
 * as BuildKit does, as a normalised image reference ("alpine" is
 * "docker.io/library/alpine:latest"); the last such flag wins. */
const char *bflags_context_image(const struct bflags *b, const char *name);
/* The OCI layout directory build.mk loads the normalised image from (an
 * oci-layout:// context's store name), or NULL. */
const char *bflags_context_layout(const struct bflags *b, const char *image);
/* The directory a --build-context NAME=DIR gives name (compared as
 * above), or NULL; *cname (may be NULL) gets the NAME as given. */
const char *bflags_context_dir(const struct bflags *b, const char *name, const char **cname);
/* Appends the words that give these options again (build.mk's remake
 * rule replays them). */
void bflags_args(const struct bflags *b, struct strlist *out);
/* Frees what bflags_option allocated. */
void bflags_free(struct bflags *b);
/* Whether the steps of the stage named name (NULL: unnamed) are built
 * without the cache (--no-cache, or --no-cache-filter naming it). */
int bflags_uncached(const struct bflags *b, const char *name);
/* Sets a RUN spec's build-wide sandbox options: the --network of a RUN
 * without its own (own_network: RUN --network=none|host), "extra_hosts"
 * and "shm_size". */
void bflags_run_spec(const struct bflags *b, struct spec *sp, struct sv *o, int own_network);

#endif

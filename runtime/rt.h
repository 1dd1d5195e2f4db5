/* rt: the runtime's shared context and the ops that build.mk recipes call.
 * The argument contract is docs/internals.md; each op reads its JSON spec,
 * wipes and re-creates STATE/KEY/, does its work, and writes its outputs
 * atomically, the stamp STATE/KEY.done last. */
#ifndef DF_RT_H
#define DF_RT_H
#include <jansson.h>

struct error;
struct ignore;
struct trash;

struct rt {
	const char *state; /* absolute state directory (--state) */
	const char *store; /* absolute store directory (--store or default) */
	int quiet;	   /* --quiet: no progress lines */
};

/* FROM image / scratch: resolve in the store, unpack layers, write chain.json. */
int op_base(const struct rt *rt, const char *key, json_t *spec, struct error *e);
/* RUN in the sandbox over the parent's snapshot. */
int op_run(const struct rt *rt, const char *key, json_t *spec, struct error *e);
/* COPY and ADD ("op":"copy"|"add" in spec). */
int op_copy(const struct rt *rt, const char *key, json_t *spec, struct error *e);
/* ADD's URL or git source: asks again, STATE/KEY.fetch when it changed
 * (fetch.c, gitsrc.c). */
int op_fetch(const struct rt *rt, const char *key, json_t *spec, struct error *e);
/* Content digest of a COPY/ADD's context inputs + make dependency file. */
int op_sum(const struct rt *rt, const char *key, json_t *spec, struct error *e);
/* Content digest of what a COPY --from=STAGE takes from the stage:
 * STATE/KEY.fsum, rewritten only when it changes (fsum.c). */
int op_fsum(const struct rt *rt, const char *key, json_t *spec, struct error *e);
/* WORKDIR: mkdir -p inside the rootfs, owned by the current USER. */
int op_workdir(const struct rt *rt, const char *key, json_t *spec, struct error *e);
/* A step's upper directory as a layer tar + its digests (KEY.layer). */
int op_layer(const struct rt *rt, const char *key, json_t *spec, struct error *e);
/* The layer of a step, made by the step's own process when its spec has
 * "layer" (the build's epoch and compression): KEY.layer as op_layer
 * writes it, one exec fewer per step. 0 when the spec has none. */
int layer_in_step(const struct rt *rt, const char *key, json_t *spec, struct error *e);
/* Pack's part: KEY.layer made again when it is missing or was made with
 * other parameters than params ({epoch, compress, level}; NULL: kept as
 * it is); below: the "dir"s of the chain under KEY, bottom first. */
int layer_ensure(const struct rt *rt, const char *key, json_t *params, json_t *below,
		 struct error *e);
/* A base image of the build: pulled unless in the store (always with
 * "always"), its manifest digest written to STATE/KEY.pull (pullcmd.c). */
int op_resolve(const struct rt *rt, const char *key, json_t *spec, struct error *e);
/* df2make --push: loads the written image as "ref", pushes it, writes
 * STATE/KEY.push (pullcmd.c). */
int op_publish(const struct rt *rt, const char *key, json_t *spec, struct error *e);
/* The final image: OCI layout + docker manifest.json in one tar (or dir). */
int op_pack(const struct rt *rt, const char *key, json_t *spec, struct error *e);

/* User-facing commands (not called by build.mk). argv starts after the
 * command word. Return the process exit code. */
int cmd_load(const struct rt *rt, int argc, char **argv);
int cmd_import(const struct rt *rt, int argc, char **argv);
int cmd_images(const struct rt *rt, int argc, char **argv);
/* Registry commands (pullcmd.c). */
int cmd_pull(const struct rt *rt, int argc, char **argv);
int cmd_login(const struct rt *rt, int argc, char **argv);
int cmd_logout(const struct rt *rt, int argc, char **argv);
int cmd_push(const struct rt *rt, int argc, char **argv);
int cmd_transfer(const struct rt *rt, int argc, char **argv);
/* Verifies blobs, images, unpacked layers and (--state) steps; --repair
 * removes what is damaged so that load/make put it back. */
int cmd_fsck(const struct rt *rt, int argc, char **argv);
/* Removes what no image and no step of --state references. */
int cmd_gc(const struct rt *rt, int argc, char **argv);
/* Removes the --state directory (`make clean`): rootless with
 * subordinate ids, it holds files that only the runtime's user namespace
 * may remove. */
int cmd_clean(const struct rt *rt, int argc, char **argv);

/* Opens the step's progress: "#KEY8 TITLE TEXT" (the spec's title, then
 * fmt's text when not empty), e.g. "#1a2b3c4d [stage 2/5] COPY a /b".
 * main closes it with DONE or ERROR (progress_step_end). */
void rt_progress(const struct rt *rt, const char *key, json_t *spec, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Records the process's own paths (state dir, $DF2MAKE_OUTPUT) for
 * rt_exclude_own(); called once by main before any op. */
void rt_init(const struct rt *rt);
/* Adds df2make's own state directory and output file to ig when they lie
 * inside context: a build must never read them as context (the default
 * .df2make/ and image.tar sit beside build.mk, often in the context). */
void rt_exclude_own(struct ignore *ig, const char *context);
/* "STATE/KEY" + suffix (e.g. ".done", "/upper"); malloc'd. */
char *rt_path(const struct rt *rt, const char *key, const char *suffix);
/* Writes the stamp STATE/KEY.done atomically (the last act of every step). */
int rt_stamp(const struct rt *rt, const char *key, struct error *e);
/* Appends to e how to repair a step whose state files are damaged
 * (fsck --repair, then make); returns -1. */
int rt_damaged(const struct rt *rt, const char *key, struct error *e);
/* The same for a done step whose chain.json cannot be read (written
 * without an fsync: a crash before the image's sync may tear it): its
 * stamp is removed, so the next make redoes it, and e says so; a step
 * without a stamp gets rt_damaged's words. Returns -1. */
int rt_torn(const struct rt *rt, const char *key, struct error *e);
/* Removes and re-creates STATE/KEY/ so a rerun starts clean. */
int rt_reset_step(const struct rt *rt, const char *key, struct error *e);
/* The same, but the old STATE/KEY/ goes to STATE/.trash and a child
 * process removes it while the step works (trash.h); trash_wait(t) once
 * the step is over. */
int rt_reset_step_async(const struct rt *rt, const char *key, struct trash *t, struct error *e);

#endif

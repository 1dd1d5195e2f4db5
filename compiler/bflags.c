/* bflags: docker buildx build / podman build options (see bflags.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "bflags.h"
#include "entitle.h"
#include "error.h"
#include "fsutil.h"
#include "nctx.h"
#include "ref.h"
#include "spec.h"
#include "util.h"

const struct option bflags_options[] = {
    {"no-cache", no_argument, NULL, BF_NO_CACHE},
    {"no-cache-filter", required_argument, NULL, BF_NO_CACHE_FILTER},
    {"iidfile", required_argument, NULL, BF_IIDFILE},
    {"metadata-file", required_argument, NULL, BF_METADATA_FILE},
    {"label", required_argument, NULL, BF_LABEL},
    {"annotation", required_argument, NULL, BF_ANNOTATION},
    {"network", required_argument, NULL, BF_NETWORK},
    {"add-host", required_argument, NULL, BF_ADD_HOST},
    {"build-context", required_argument, NULL, BF_BUILD_CONTEXT},
    {"load", no_argument, NULL, BF_LOAD},
    {"shm-size", required_argument, NULL, BF_SHM_SIZE},
    {"call", required_argument, NULL, BF_CALL},
    {"layers", optional_argument, NULL, BF_LAYERS},
    {"format", required_argument, NULL, BF_FORMAT},
    {"squash", no_argument, NULL, BF_SQUASH},
    {"squash-all", no_argument, NULL, BF_SQUASH_ALL},
    {NULL, 0, NULL, 0},
};

static void bf_set(char **field, const char *v)
{
	free(*field);
	*field = xstrdup(v);
}

/* A file name for a make target and a recipe: not empty, no newline. */
static void bf_path(char **field, const char *opt, const char *arg)
{
	if (!*arg || strchr(arg, '\n'))
		fatal("--%s: want a file name (without newlines), not '%s'", opt, arg);
	bf_set(field, arg);
}

/* docker's size syntax (go-units RAMInBytes): a number, an optional
 * k/m/g/t/p (powers of 1024), an optional "b". */
static long long bf_size(const char *opt, const char *arg)
{
	static const char units[] = "kmgtp";
	char *end;
	double v = strtod(arg, &end);
	const char *u = end;
	const char *p = *u ? strchr(units, *u | 0x20) : NULL;

	if (p)
		v *= (double)(1LL << (10 * (p - units + 1)));
	u += p != NULL;
	u += (*u | 0x20) == 'b';
	if (end == arg || *u || !(v > 0) || v > 9e18)
		fatal("--%s: invalid size '%s' (want e.g. 64m, 1g)", opt, arg);
	return (long long)v;
}

/* --label K=V: docker build takes any K, with V possibly empty. */
static void bf_label(struct bflags *b, const char *arg)
{
	const char *eq = strchr(arg, '=');

	if (!eq || eq == arg)
		fatal("--label: want KEY=VALUE, not '%s'", arg);
	strlist_add(&b->labels, arg);
}

/* --annotation [TYPE[PLATFORM]:]K=V, buildx's types. */
static void bf_annotation(struct bflags *b, const char *arg)
{
	static const char *types[] = {"manifest", "manifest-descriptor", "index",
				      "index-descriptor"};
	const char *eq = strchr(arg, '='), *colon = strchr(arg, ':');
	size_t tl;
	int ok = 0;

	if (!eq || eq == arg)
		fatal("--annotation: want [TYPE:]KEY=VALUE, not '%s'", arg);
	if (colon && colon < eq) {
		tl = strcspn(arg, "[:");
		for (size_t i = 0; i < LEN(types); i++)
			ok |= strlen(types[i]) == tl && strncmp(arg, types[i], tl) == 0;
		if (!ok)
			fatal("--annotation: unknown type '%.*s' (want manifest, "
			      "manifest-descriptor, index or index-descriptor)",
			      (int)tl, arg);
		if (arg[tl] == '[')
			fatal("--annotation %s: a platform selector is not supported (one "
			      "annotation applies to every platform)",
			      arg);
		if (colon + 1 == eq)
			fatal("--annotation: want [TYPE:]KEY=VALUE, not '%s'", arg);
	}
	strlist_add(&b->annotations, arg);
}

/* --add-host HOST:IP (or docker 25's HOST=IP), kept as an /etc/hosts line. */
static void bf_add_host(struct bflags *b, const char *arg)
{
	size_t n = strcspn(arg, ":=");
	const char *ip = arg[n] ? arg + n + 1 : NULL;
	unsigned char bin[16];
	char *host;

	if (!ip || n == 0 || strcspn(arg, " \t\n") < strlen(arg))
		fatal("--add-host: want HOST:IP, not '%s'", arg);
	if (*ip == '[' && ip[strlen(ip) - 1] == ']') /* docker 25: [::1] */
		ip++;
	host = xstrndup(arg, n);
	char *addr = xstrndup(ip, strcspn(ip, "]"));
	if (inet_pton(AF_INET, addr, bin) != 1 && inet_pton(AF_INET6, addr, bin) != 1)
		fatal("--add-host %s: invalid IP address '%s'", arg, addr);
	strlist_take(&b->add_hosts, xasprintf("%s\t%s", addr, host));
	free(host);
	free(addr);
}

/* A directory context, made absolute as buildx sends it (a relative
 * path is the current directory's); refused unless it is a directory. */
static char *bf_context_dir(const char *arg, const char *name, const char *dir)
{
	struct stat st;

	if (stat(dir, &st) < 0)
		fatal("--build-context %s: failed to get build context %s: stat %s: %s", arg, name,
		      dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		fatal("--build-context %s: %s is not a directory", arg, dir);
	return path_abs(dir);
}

/* --build-context NAME=docker-image://REF or NAME=DIR, as buildx tells
 * them apart; its other sources (oci-layout://, a URL) are refused by
 * name. ctx_dirs holds DIR, or "" for an image. */
static void bf_build_context(struct bflags *b, const char *arg)
{
	const char *eq = strchr(arg, '='), *src, *ref;
	struct error e = {0};
	char *name, *key, *norm;

	if (!eq || eq == arg || !eq[1])
		fatal("--build-context: want NAME=DIR or NAME=docker-image://REF, not '%s'", arg);
	src = eq + 1;
	if (!startswith(src, "docker-image://") && !startswith(src, "oci-layout://") &&
	    (strstr(src, "://") || startswith(src, "git@") || startswith(src, "github.com/")))
		fatal("--build-context %s: only a directory, docker-image://REF or "
		      "oci-layout://DIR is supported yet (not a URL)",
		      arg);
	name = xstrndup(arg, (size_t)(eq - arg));
	if (!(key = ref_normalize(name, &e))) {
		free(name);
		fatal("--build-context: invalid context name %.*s: %s", (int)(eq - arg), arg,
		      e.msg);
	}
	/* kept first: the lists own them when a check below dies */
	strlist_take(&b->ctx_keys, key);
	strlist_take(&b->ctx_names, name);
	if (startswith(src, "docker-image://")) {
		ref = src + strlen("docker-image://");
		if (!(norm = ref_normalize(ref, &e)))
			fatal("--build-context %s: invalid image reference \"%s\": %s", name, ref,
			      e.msg);
		free(norm);
		strlist_add(&b->ctx_refs, ref);
		strlist_add(&b->ctx_dirs, "");
		strlist_add(&b->ctx_layouts, "");
	} else if (startswith(src, "oci-layout://")) {
		char *dir, *ref2 = nctx_layout(arg, src, &dir);
		if (!ref2) {
			static char msg[1024]; /* freed before dying */
			snprintf(msg, sizeof(msg), "%s", dir);
			free(dir);
			fatal("%s", msg);
		}
		strlist_take(&b->ctx_refs, ref2);
		strlist_add(&b->ctx_dirs, "");
		strlist_take(&b->ctx_layouts, dir);
	} else {
		strlist_add(&b->ctx_layouts, "");
		strlist_add(&b->ctx_refs, "");
		strlist_take(&b->ctx_dirs, bf_context_dir(arg, name, src));
	}
}

/* The index of the last --build-context naming name, or -1. BuildKit
 * never looks "scratch" and "context" up (dockerfile2llb's
 * namedContextFunc). */
static long bf_context_find(const struct bflags *b, const char *name)
{
	struct error e = {0};
	long found = -1;
	char *key;

	if (!b->ctx_keys.n || strcasecmp(name, "scratch") == 0 ||
	    strcasecmp(name, "context") == 0 || !(key = ref_normalize(name, &e)))
		return -1;
	for (size_t i = 0; i < b->ctx_keys.n; i++)
		if (strcmp(b->ctx_keys.v[i], key) == 0)
			found = (long)i;
	free(key);
	return found;
}

const char *bflags_context_image(const struct bflags *b, const char *name)
{
	long i = bf_context_find(b, name);

	return i >= 0 && *b->ctx_refs.v[i] ? b->ctx_refs.v[i] : NULL;
}

const char *bflags_context_layout(const struct bflags *b, const char *image)
{
	struct error e = {0};
	const char *found = NULL;

	for (size_t i = 0; i < b->ctx_layouts.n; i++) {
		char *n = *b->ctx_layouts.v[i] ? ref_normalize(b->ctx_refs.v[i], &e) : NULL;
		if (n && strcmp(n, image) == 0)
			found = b->ctx_layouts.v[i];
		free(n);
	}
	return found;
}

const char *bflags_context_dir(const struct bflags *b, const char *name, const char **cname)
{
	long i = bf_context_find(b, name);

	if (i < 0 || !*b->ctx_dirs.v[i])
		return NULL;
	if (cname)
		*cname = b->ctx_names.v[i];
	return b->ctx_dirs.v[i];
}

/* --no-cache-filter A,B or repeated. */
static void bf_no_cache_filter(struct bflags *b, const char *arg)
{
	char *s = xstrdup(arg), *tok, *save = NULL;

	for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		strlist_add(&b->no_cache_stages, tok);
	free(s);
	if (!b->no_cache_stages.n)
		fatal("--no-cache-filter: want a stage name");
}

static void bf_choice(char **field, const char *opt, const char *arg, const char *const *ok,
		      const char *want)
{
	for (; *ok; ok++)
		if (strcmp(arg, *ok) == 0) {
			bf_set(field, arg);
			return;
		}
	fatal("--%s: want %s, not '%s'", opt, want, arg);
}

/* podman's --layers[=true|false] */
static int bf_bool(const char *opt, const char *arg)
{
	if (!arg || strcmp(arg, "true") == 0)
		return 1;
	if (strcmp(arg, "false") == 0)
		return 0;
	fatal("--%s: want true or false, not '%s'", opt, arg);
}

static void bf_choices(struct bflags *b, int opt, const char *arg)
{
	static const char *const nets[] = {"default", "none", "host", NULL};
	static const char *const calls[] = {"build", "check", "outline", "targets", NULL};
	static const char *const formats[] = {"docker", "oci", NULL};

	if (opt == BF_NETWORK)
		bf_choice(&b->network, "network", arg, nets, "default, none or host");
	else if (opt == BF_CALL)
		bf_choice(&b->call, "call", arg, calls, "build, check, outline or targets");
	else
		bf_choice(&b->format, "format", arg, formats, "docker or oci");
}

/* Records the option as given, spelled --NAME[=VALUE]. */
static void bf_record(struct bflags *b, int opt, const char *arg)
{
	for (const struct option *o = bflags_options; o->name; o++)
		if (o->val == opt) {
			strlist_take(&b->argv, arg ? xasprintf("--%s=%s", o->name, arg)
						   : xasprintf("--%s", o->name));
			return;
		}
}

void bflags_option(struct bflags *b, int opt, const char *arg)
{
	bf_record(b, opt, arg);
	switch (opt) {
	case BF_NO_CACHE:
		b->no_cache = 1;
		break;
	case BF_NO_CACHE_FILTER:
		bf_no_cache_filter(b, arg);
		break;
	case BF_IIDFILE:
		bf_path(&b->iidfile, "iidfile", arg);
		break;
	case BF_METADATA_FILE:
		bf_path(&b->metadata_file, "metadata-file", arg);
		break;
	case BF_LABEL:
		bf_label(b, arg);
		break;
	case BF_ANNOTATION:
		bf_annotation(b, arg);
		break;
	case BF_ADD_HOST:
		bf_add_host(b, arg);
		break;
	case BF_SHM_SIZE:
		b->shm_size = bf_size("shm-size", arg);
		break;
	case BF_LOAD:
		b->load = 1;
		break;
	case BF_LAYERS:
		b->no_layers = !bf_bool("layers", arg);
		break;
	case BF_SQUASH:
	case BF_SQUASH_ALL:
		b->squash = opt == BF_SQUASH ? 1 : 2;
		break;
	case BF_BUILD_CONTEXT:
		bf_build_context(b, arg);
		break;
	default:
		bf_choices(b, opt, arg);
	}
}

/* A nonce no other compile gets: the keys of uncached steps change with
 * it, so neither the state nor --cache-from holds them. */
static void bf_nonce(struct bflags *b)
{
	unsigned char r[8];

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		fatal("--no-cache: getrandom failed");
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(b->nonce + 2 * i, 3, "%02x", r[i]);
}

void bflags_finish(struct bflags *b, const struct entitlements *ent)
{
	/* as BuildKit: the host's network is an entitlement however it is asked */
	if (b->network && strcmp(b->network, "host") == 0 && !(ent->allow & ENT_NETWORK_HOST))
		fatal("--network host: network.host is not allowed (df2make --allow "
		      "network.host grants it)");
	if (b->no_layers) /* podman --layers=false: no intermediate reuse */
		b->no_cache = 1;
	if (b->no_cache || b->no_cache_stages.n)
		bf_nonce(b);
}

int bflags_uncached(const struct bflags *b, const char *name)
{
	if (b->no_cache)
		return 1;
	for (size_t i = 0; name && i < b->no_cache_stages.n; i++)
		if (strcasecmp(b->no_cache_stages.v[i], name) == 0)
			return 1;
	return 0;
}

void bflags_args(const struct bflags *b, struct strlist *out)
{
	for (size_t i = 0; i < b->argv.n; i++)
		strlist_add(out, b->argv.v[i]);
}

void bflags_free(struct bflags *b)
{
	strlist_free(&b->argv);
	strlist_free(&b->ctx_keys);
	strlist_free(&b->ctx_refs);
	strlist_free(&b->ctx_dirs);
	strlist_free(&b->ctx_layouts);
	strlist_free(&b->ctx_names);
	strlist_free(&b->no_cache_stages);
	free(b->iidfile);
	free(b->metadata_file);
	strlist_free(&b->labels);
	strlist_free(&b->annotations);
	free(b->network);
	strlist_free(&b->add_hosts);
	free(b->call);
	free(b->format);
}

void bflags_run_spec(const struct bflags *b, struct spec *sp, struct sv *o, int own_network)
{
	struct sv *a;

	/* RUN --network=none|host wins; default (given or not) is the build's */
	if (b->network && !own_network) {
		sv_set_str(sp, o, "network", b->network);
		if (strcmp(b->network, "host") == 0) {
			a = sv_get(o, "entitlements");
			if (!a)
				a = sv_set(o, "entitlements", sv_arr(sp));
			sv_push(a, sv_str(sp, "network.host"));
		}
	}
	if (b->add_hosts.n) {
		a = sv_set(o, "extra_hosts", sv_arr(sp));
		for (size_t i = 0; i < b->add_hosts.n; i++)
			sv_push(a, sv_str(sp, b->add_hosts.v[i]));
	}
	if (b->shm_size)
		sv_set(o, "shm_size", sv_int(sp, b->shm_size));
}

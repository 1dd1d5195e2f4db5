/* pullcmd: the registry commands (pull, login, logout) and the build's
 * pull step. The step writes STATE/KEY.pull, the file build.mk's remake
 * rule and the FROM step depend on: "df2make-pull 1", the name and the
 * manifest digest it resolved to, rewritten only when the digest changes
 * so that make's re-stat regenerates build.mk only for a moved tag. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blob.h"
#include "error.h"
#include "fsutil.h"
#include "load.h"
#include "oci.h"
#include "progress.h"
#include "pull.h"
#include "push.h"
#include "ref.h"
#include "regauth.h"
#include "regconf.h"
#include "registry.h"
#include "rt.h"
#include "store.h"
#include "platform.h"
#include "util.h"

static int pullcmd_fail(const char *what, struct error *e)
{
	fprintf(stderr, "df2make-runtime: %s: %s\n", what, e->msg);
	return 1;
}

/* --tls-verify[=true|false]; 1 when a is that option. */
static int pullcmd_tls_opt(const char *a, int *verify)
{
	if (strcmp(a, "--tls-verify") == 0 || strcmp(a, "--tls-verify=true") == 0)
		*verify = 1;
	else if (strcmp(a, "--tls-verify=false") == 0)
		*verify = 0;
	else
		return 0;
	return 1;
}

/* The host's platform, as BuildKit defaults to. */
static void pullcmd_host_platform(struct pull_opts *o)
{
	o->os = "linux";
	o->arch = oci_host_arch();
	o->variant = oci_host_variant();
}

/* [--platform P] [--tls-verify=false] REF */
static int pull_args(int argc, char **argv, struct pull_opts *o, const char **ref)
{
	for (int i = 0; i < argc; i++) {
		char *a = argv[i];
		if (pullcmd_tls_opt(a, &o->tls_verify))
			continue;
		if (strcmp(a, "--platform") == 0 && i + 1 < argc)
			a = argv[++i];
		else if (startswith(a, "--platform="))
			a += 11;
		else if (a[0] != '-' && !*ref) {
			*ref = a;
			continue;
		} else
			return -1;
		if (pull_platform(a, o) < 0)
			return -1;
	}
	return *ref ? 0 : -1;
}

int cmd_pull(const struct rt *rt, int argc, char **argv)
{
	struct pull_opts o = {.tls_verify = 1, .rt = rt};
	const char *ref = NULL;
	struct error e = {0};
	char manifest[72], *name;

	pullcmd_host_platform(&o);
	if (pull_args(argc, argv, &o, &ref) < 0) {
		fprintf(stderr, "usage: df2make-runtime pull [--platform OS/ARCH[/VARIANT]] "
				"[--tls-verify=false] REF\n");
		return 2;
	}
	name = ref_normalize(ref, &e);
	if (!name || pull_image(rt->store, name, &o, manifest, &e) < 0) {
		free(name);
		return pullcmd_fail(ref, &e);
	}
	printf("Digest: %s\n", manifest);
	free(name);
	return 0;
}

static int push_load(const struct rt *rt, const char *in, const char *name, char top[72],
		     struct error *e);
static int pullcmd_in_store(const char *store, const char *image, const char *plat,
			    struct store_image *img, struct error *e);

/* --build-context NAME=oci-layout://DIR: the layout's image into the
 * store under the spec's image name (df2make named it by its digest),
 * then its manifest for the stamp, as a pull would give it. */
static int resolve_layout(const struct rt *rt, const char *layout, const char *image,
			  const char *plat, char manifest[72], struct error *e)
{
	struct store_image img;
	char top[72];

	if (push_load(rt, layout, image, top, e) < 0)
		return error_wrap(e, "load oci-layout://%s", layout);
	if (pullcmd_in_store(rt->store, image, plat, &img, e) < 0)
		return error_wrap(e, "oci-layout://%s", layout);
	snprintf(manifest, 72, "%s", img.manifest);
	store_image_free(&img);
	return 0;
}

/* Pulls (or finds, or loads from an OCI layout) the spec's image and
 * writes STATE/KEY.pull. */

/* The image for platform plat ("os/arch[/variant]", NULL: the name's
 * default) in the store: 0 found, -1 not (or another platform only). */
static int pullcmd_in_store(const char *store, const char *image, const char *plat,
			    struct store_image *img, struct error *e)
{
	struct platform p;

	if (plat && platform_parse(plat, &p, e) < 0)
		return -1;
	return store_lookup(store, image, plat ? &p : NULL, img, e);
}

/* A base image that could not be pulled: BuildKit's report (the FROM
 * line marked), its words for it, and the ways to get the image. A
 * registry that answered 401 wants other credentials, not patience. */
static void pullcmd_report(const struct rt *rt, const char *key, const char *image,
			   const struct error *e)
{
	int denied = strstr(e->msg, ": HTTP 401") || strstr(e->msg, "401 Unauthorized");
	char *how = denied
			? xstrdup("the registry refused the credentials: log in with "
				  "`df2make-runtime login` (docker's and podman's logins are "
				  "read too) and run make again")
			: xasprintf("pull it with `df2make-runtime pull %s` once the registry "
				    "answers, or load it with `df2make-runtime load -i IMAGE.tar`",
				    image);
	char *msg = xasprintf("%s: failed to resolve source metadata for %s: %s; it is not in the "
			      "store: %s",
			      image, image, e->msg, how);

	free(how);
	progress_step_end(rt, key, progress_now(), msg);
	progress_report(rt, msg);
	free(msg);
}

int op_resolve(const struct rt *rt, const char *key, json_t *spec, struct error *e)
{
	const char *image = json_string_value(json_object_get(spec, "image"));
	const char *platform = json_string_value(json_object_get(spec, "platform"));
	struct pull_opts o = {.tls_verify = 1, .rt = rt, .key = key};
	struct store_image img;
	char manifest[72], *plat = platform ? xstrdup(platform) : NULL, *text, *path;
	int r = -1, changed;

	pullcmd_host_platform(&o);
	rt_progress(rt, key, spec, "%s", "");
	if (!image || (plat && pull_platform(plat, &o) < 0))
		error_set(e, 0, "spec needs \"image\" and a valid \"platform\"");
	else if (!json_is_true(json_object_get(spec, "always")) &&
		 pullcmd_in_store(rt->store, image, plat, &img, e) == 0) {
		snprintf(manifest, sizeof(manifest), "%s", img.manifest);
		store_image_free(&img);
		r = 0;
	} else if (json_string_value(json_object_get(spec, "layout"))) {
		r = resolve_layout(rt, json_string_value(json_object_get(spec, "layout")), image,
				   plat, manifest, e);
	} else {
		r = pull_image(rt->store, image, &o, manifest, e);
	}
	free(plat);
	if (r < 0 && image)
		pullcmd_report(rt, key, image, e);
	if (r < 0) {
		text = xasprintf("pull %s", image ? image : "");
		oci_wrap_loc(e, spec, text);
		free(text);
		return -1;
	}
	text = xasprintf("df2make-pull 1\n%s\n%s\n", image, manifest);
	path = rt_path(rt, key, ".pull");
	r = write_if_changed(path, text, strlen(text), &changed, e);
	free(path);
	free(text);
	return r;
}

/* The digest of the index an OCI archive's index.json names as its one
 * entry (a multi-platform image: what is pushed is that index and each
 * platform's manifest, as buildx pushes them); top stays "" otherwise. */
static void push_load_index(struct load_src *src, char top[72])
{
	struct error e;
	char *data = NULL;
	size_t len;
	json_t *idx, *m;
	const char *mt, *d;

	if (load_src_read(src, "index.json", &data, &len, &e) < 0)
		return;
	idx = json_loadb(data, len, 0, NULL);
	m = json_array_get(json_object_get(idx, "manifests"), 0);
	mt = json_string_value(json_object_get(m, "mediaType"));
	d = json_string_value(json_object_get(m, "digest"));
	if (json_array_size(json_object_get(idx, "manifests")) == 1 && mt && d &&
	    (!strcmp(mt, MT_OCI_INDEX) || !strcmp(mt, MT_DOCKER_LIST)) && strlen(d) < 72)
		strcpy(top, d);
	json_decref(idx);
	free(data);
}

/* Loads an archive or layout into the store under name (push's source);
 * top: see push_load_index. */
static int push_load(const struct rt *rt, const char *in, const char *name, char top[72],
		     struct error *e)
{
	struct load_src src = {.store = rt->store};
	struct stat st;
	int r = -1, lock;

	if (stat(in, &st) < 0)
		return error_set(e, errno, "open %s", in);
	/* held shared like load's: gc must not take blobs not yet named */
	if (store_private_root(rt->store, e) < 0 || (lock = store_lock(rt->store, 0, e)) == -1)
		return -1;
	if (S_ISDIR(st.st_mode))
		src.dir = xstrdup(in);
	load_set_source("load");
	top[0] = '\0';
	if (src.dir || load_scan_tar(&src, in, e) == 0)
		r = load_images(&src, name, e);
	if (r == 0)
		push_load_index(&src, top);
	load_set_source(NULL);
	load_src_free(&src);
	if (lock >= 0)
		close(lock);
	return r;
}

/* df2make --push: the written image to one tag, STATE/KEY.push last. */
int op_publish(const struct rt *rt, const char *key, json_t *spec, struct error *e)
{
	const char *ref = json_string_value(json_object_get(spec, "ref"));
	const char *src = json_string_value(json_object_get(spec, "source"));
	struct store_image img;
	char *path, *text, top[72];
	int r = -1;

	rt_progress(rt, key, spec, "%s", "");
	if (!ref || !src)
		return error_set(e, 0, "spec needs \"ref\" and \"source\"");
	if (push_load(rt, src, ref, top, e) == 0 &&
	    (top[0] ? push_digest(rt->store, top, ref, 1, &(struct push_say){rt, key}, e)
		    : push_image(rt->store, ref, ref, 1, &(struct push_say){rt, key}, e)) == 0 &&
	    store_lookup(rt->store, ref, NULL, &img, e) == 0) {
		text = xasprintf("df2make-push 1\n%s\n%s\n", ref, top[0] ? top : img.manifest);
		path = rt_path(rt, key, ".push");
		r = write_atomic(path, text, strlen(text), 0644, e);
		free(path);
		free(text);
		store_image_free(&img);
	}
	return r;
}

/* Options (--tls-verify only) and up to two operands; the count of
 * operands, or -1 for anything else. */
static int pullcmd_operands(int argc, char **argv, int *verify, const char *pos[2])
{
	int n = 0;

	for (int i = 0; i < argc; i++) {
		if (pullcmd_tls_opt(argv[i], verify))
			continue;
		if (argv[i][0] == '-' || n == 2)
			return -1;
		pos[n++] = argv[i];
	}
	return n;
}

/* push [--tls-verify=false] IMAGE.tar|LAYOUT|STORE-NAME [REF] */
int cmd_push(const struct rt *rt, int argc, char **argv)
{
	const char *pos[2] = {NULL, NULL};
	int verify = 1, npos = pullcmd_operands(argc, argv, &verify, pos), r = -1;
	struct error e = {0};
	char *src = NULL, *dest = NULL, top[72] = "";

	/* a file or directory needs REF; a store name may keep its own */
	if (npos < 1 || (access(pos[0], F_OK) == 0 && npos != 2)) {
		fprintf(stderr, "usage: df2make-runtime push [--tls-verify=false] "
				"IMAGE.tar|LAYOUT REF | push NAME [REF]\n");
		return 2;
	}
	dest = ref_normalize(pos[npos - 1], &e);
	if (dest && access(pos[0], F_OK) == 0) /* a file: load it as REF first */
		r = push_load(rt, pos[0], dest, top, &e) < 0 ? -1 : 0;
	else if (dest)
		r = (src = ref_normalize(pos[0], &e)) ? 0 : -1;
	if (r == 0 && top[0]) /* a multi-platform archive: its index */
		r = push_digest(rt->store, top, dest, verify, NULL, &e);
	else if (r == 0)
		r = push_image(rt->store, src ? src : dest, dest, verify, NULL, &e);
	free(src);
	free(dest);
	return r < 0 ? pullcmd_fail(pos[0], &e) : 0;
}

/* transfer [--tls-verify=false] oci:DIR docker://REF | docker://REF oci:DIR:
 * an OCI layout to or from a registry, any artifact, not via the store. */
int cmd_transfer(const struct rt *rt, int argc, char **argv)
{
	const char *pos[2] = {NULL, NULL};
	int verify = 1, npos = pullcmd_operands(argc, argv, &verify, pos), r = -1;
	struct error e = {0};
	char *ref = NULL;

	if (npos != 2 || !((startswith(pos[0], "oci:") && startswith(pos[1], "docker://")) ||
			   (startswith(pos[0], "docker://") && startswith(pos[1], "oci:")))) {
		fprintf(stderr, "usage: df2make-runtime transfer [--tls-verify=false] "
				"oci:DIR docker://REF | docker://REF oci:DIR\n");
		return 2;
	}
	if (startswith(pos[0], "oci:") && (ref = ref_normalize(pos[1] + 9, &e)))
		r = push_layout_rec(pos[0] + 4, rt->store, ref, verify, &e);
	else if (startswith(pos[0], "docker://") && (ref = ref_normalize(pos[0] + 9, &e)))
		r = pull_layout(ref, pos[1] + 4, verify, &e);
	free(ref);
	return r < 0 ? pullcmd_fail("transfer", &e) : 0;
}

/* login/logout's SERVER (default Docker Hub) as a registry host. */
static char *pullcmd_server(const char *arg)
{
	return regauth_key_host(arg ? arg : "docker.io");
}

/* Checks user:password against the registry: GET /v2/ with them. */
static int login_check(const char *host, const char *userpass, int verify, struct error *e)
{
	struct regconf_list eps;
	struct http_req req = {.method = "GET"};
	struct http_resp resp;
	struct reg r;
	int rc;

	if (regconf_endpoints(host, 0, &eps, e) < 0)
		return -1;
	rc = reg_open(&r, &eps.v[eps.n - 1], verify, e);
	regconf_free(&eps);
	r.userpass = xstrdup(userpass);
	r.looked_up = 1;
	if (rc == 0 && (rc = reg_send(&r, &req, "", NULL, &resp, e)) == 0) {
		if (resp.status == 401)
			rc = error_set(e, 0, "unauthorized: wrong user or password");
		else if (resp.status != 200)
			rc = reg_status_error(&resp, "GET /v2/", e);
		http_resp_free(&resp);
	}
	http_req_free(&req);
	reg_close(&r);
	return rc;
}

/* Reads the docker config (an empty object when there is none). */
static json_t *pullcmd_config(const char *path, struct error *e)
{
	json_error_t jerr;
	json_t *j;

	if (access(path, F_OK) != 0)
		return json_object();
	j = json_load_file(path, 0, &jerr);
	if (!json_is_object(j)) {
		json_decref(j);
		error_set(e, 0, "%s: %s", path, j ? "not a JSON object" : jerr.text);
		return NULL;
	}
	return j;
}

/* Writes it back owner-only, atomically (it holds passwords). */
static int pullcmd_config_write(const char *path, json_t *j, struct error *e)
{
	char *dir = xstrdup(path), *text;
	int r;

	*strrchr(dir, '/') = '\0';
	r = mkdir_p(dir, 0700, e);
	free(dir);
	if (r < 0)
		return -1;
	text = json_dumps(j, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	r = write_atomic(path, text, strlen(text), 0600, e);
	explicit_bzero(text, strlen(text));
	free(text);
	return r;
}

/* The password: -p, or a line of stdin with --password-stdin. */
static char *login_password(const char *p, int from_stdin)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!from_stdin)
		return p ? xstrdup(p) : NULL;
	n = getline(&line, &cap, stdin);
	if (n <= 0) {
		free(line);
		return NULL;
	}
	line[strcspn(line, "\r\n")] = '\0';
	return line;
}

struct login_opts {
	const char *user, *pass, *server;
	int pass_stdin, verify;
};

static int login_args(int argc, char **argv, struct login_opts *o)
{
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if ((!strcmp(a, "-u") || !strcmp(a, "--username")) && i + 1 < argc)
			o->user = argv[++i];
		else if ((!strcmp(a, "-p") || !strcmp(a, "--password")) && i + 1 < argc)
			o->pass = argv[++i];
		else if (!strcmp(a, "--password-stdin"))
			o->pass_stdin = 1;
		else if (!pullcmd_tls_opt(a, &o->verify) && (a[0] == '-' || o->server))
			return -1;
		else if (a[0] != '-')
			o->server = a;
	}
	return o->user && (o->pass || o->pass_stdin) ? 0 : -1;
}

/* Stores auths[KEY].auth = base64(user:password) as docker login does. */
static int login_store(const char *host, const char *userpass, struct error *e)
{
	char *path = regauth_docker_config(), *key = regauth_config_key(host);
	char *b = regauth_b64(userpass, strlen(userpass));
	json_t *j = pullcmd_config(path, e), *auths;
	int r = -1;

	if (j) {
		auths = json_object_get(j, "auths");
		if (!json_is_object(auths))
			json_object_set_new(j, "auths", auths = json_object());
		json_object_set_new(auths, key, json_pack("{s:s}", "auth", b));
		r = pullcmd_config_write(path, j, e);
		json_decref(j);
	}
	explicit_bzero(b, strlen(b));
	free(b);
	free(key);
	free(path);
	return r;
}

int cmd_login(const struct rt *rt, int argc, char **argv)
{
	struct login_opts o = {.verify = 1};
	struct error e = {0};
	char *host, *pass, *userpass;
	int r;

	(void)rt;
	if (login_args(argc, argv, &o) < 0) {
		fprintf(stderr, "usage: df2make-runtime login -u USER (-p PASSWORD | "
				"--password-stdin) [--tls-verify=false] [SERVER]\n");
		return 2;
	}
	pass = login_password(o.pass, o.pass_stdin);
	if (!pass)
		return fprintf(stderr, "df2make-runtime: login: no password on stdin\n"), 1;
	host = pullcmd_server(o.server);
	userpass = xasprintf("%s:%s", o.user, pass);
	explicit_bzero(pass, strlen(pass));
	free(pass);
	r = login_check(host, userpass, o.verify, &e);
	if (r == 0)
		r = login_store(host, userpass, &e);
	explicit_bzero(userpass, strlen(userpass));
	free(userpass);
	if (r == 0)
		printf("Login Succeeded\n");
	else
		pullcmd_fail(host, &e);
	free(host);
	return r < 0 ? 1 : 0;
}

/* Drops every auths key that names host (docker and podman spell some
 * differently); 1 when one was there. */
static int logout_drop(json_t *auths, const char *host)
{
	const char *k;
	json_t *v, *tmp;
	int found = 0;

	json_object_foreach_safe(auths, tmp, k, v)
	{
		char *h = regauth_key_host(k);
		if (strcmp(h, host) == 0) {
			json_object_del(auths, k);
			found = 1;
		}
		free(h);
	}
	return found;
}

int cmd_logout(const struct rt *rt, int argc, char **argv)
{
	struct error e = {0};
	char *host, *path, *key;
	json_t *j;
	int r = 0;

	(void)rt;
	if (argc > 1 || (argc == 1 && argv[0][0] == '-')) {
		fprintf(stderr, "usage: df2make-runtime logout [SERVER]\n");
		return 2;
	}
	host = pullcmd_server(argc ? argv[0] : NULL);
	key = regauth_config_key(host);
	path = regauth_docker_config();
	j = pullcmd_config(path, &e);
	if (!j)
		r = pullcmd_fail("logout", &e);
	else if (!logout_drop(json_object_get(j, "auths"), host))
		printf("Not logged in to %s\n", key);
	else if (pullcmd_config_write(path, j, &e) < 0)
		r = pullcmd_fail("logout", &e);
	else
		printf("Removing login credentials for %s\n", key);
	json_decref(j);
	free(path);
	free(key);
	free(host);
	return r;
}

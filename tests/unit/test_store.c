/* test_store: store paths and store_lookup on a store written by hand. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "fsutil.h"
#include "hash.h"
#include "store.h"
#include "tap.h"
#include "util.h"

#define HEXA "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HEXB "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static void put(const char *path, const char *text)
{
	struct error e;

	if (write_atomic(path, text, strlen(text), 0644, &e) < 0)
		fatal("%s", e.msg);
}

static void test_paths(const char *s)
{
	char hex[65], *want, *p;
	const char *name = "docker.io/library/busybox:latest";

	sha256_hex(name, strlen(name), hex);
	want = xasprintf("%s/refs/%s.json", s, hex);
	p = store_ref_path(s, name);
	TAP_STREQ(p, want, "ref path is refs/sha256(name).json");
	free(p);
	free(want);
	p = store_blob_path(s, "sha256:" HEXA);
	want = xasprintf("%s/blobs/sha256/" HEXA, s);
	TAP_STREQ(p, want, "blob path");
	free(p);
	free(want);
	p = store_layer_dir(s, "sha256:" HEXB);
	want = xasprintf("%s/layers/" HEXB, s);
	TAP_STREQ(p, want, "layer dir");
	free(p);
	free(want);
}

static void test_default_dir(void)
{
	char *d;

	setenv("DF2MAKE_STORE", "/x/y", 1);
	d = store_default_dir();
	TAP_STREQ(d, "/x/y", "DF2MAKE_STORE wins");
	free(d);
	unsetenv("DF2MAKE_STORE");
	setenv("XDG_CACHE_HOME", "/c", 1);
	d = store_default_dir();
	TAP_STREQ(d, "/c/df2make", "XDG_CACHE_HOME/df2make");
	free(d);
	unsetenv("XDG_CACHE_HOME");
	setenv("HOME", "/h", 1);
	d = store_default_dir();
	TAP_STREQ(d, "/h/.cache/df2make", "HOME/.cache/df2make");
	free(d);
}

/* name:tag@digest falls back to name@digest (docker ignores the tag). */
static void test_digest_alias(const char *s, const char *tagged_ref)
{
	const char *alias = "docker.io/library/t@sha256:" HEXB;
	char *p = store_ref_path(s, alias), *text = NULL;
	struct store_image img;
	struct error e = {0};
	int r;

	read_file(tagged_ref, &text, NULL, &e);
	put(p, text);
	r = store_lookup(s, "docker.io/library/t:9@sha256:" HEXB, NULL, &img, &e);
	TAP_OK(r == 0, "name:tag@digest found as name@digest (%s)", r ? e.msg : "");
	if (r == 0)
		store_image_free(&img);
	r = store_lookup(s, "docker.io/library/t:9@sha256:" HEXA, NULL, &img, &e);
	TAP_OK(r < 0 && e.code == ENOENT && strstr(e.msg, "t:9@sha256:"),
	       "unknown digest: ENOENT naming what was asked (%s)", e.msg);
	free(text);
	free(p);
}

static void test_lookup(const char *s)
{
	const char *name = "docker.io/library/t:1";
	char *ref = store_ref_path(s, name), *cfg, *dir;
	struct store_image img;
	struct error e = {0};
	int r;

	r = store_lookup(s, name, NULL, &img, &e);
	TAP_OK(r < 0 && e.code == ENOENT, "missing image: ENOENT (%s)", e.msg);
	dir = xasprintf("%s/refs", s);
	mkdir_p(dir, 0755, &e);
	free(dir);
	dir = xasprintf("%s/blobs/sha256", s);
	mkdir_p(dir, 0755, &e);
	free(dir);
	cfg = store_blob_path(s, "sha256:" HEXA);
	put(cfg, "{\"architecture\":\"amd64\",\"config\":{\"Env\":[\"A=1\"]}}");
	put(ref, "{\"name\":\"docker.io/library/t:1\",\"manifest\":\"sha256:" HEXB
		 "\",\"config\":\"sha256:" HEXA "\",\"layers\":[{\"digest\":\"sha256:" HEXB
		 "\",\"size\":12,\"mediaType\":\"m\",\"diff_id\":\"sha256:" HEXA "\"}]}");
	r = store_lookup(s, name, NULL, &img, &e);
	TAP_OK(r == 0, "lookup succeeds (%s)", r ? e.msg : "");
	if (r == 0) {
		TAP_STREQ(img.name, name, "name");
		TAP_STREQ(img.config_digest, "sha256:" HEXA, "config digest");
		TAP_OK(img.nlayers == 1 && img.layers[0].size == 12, "one layer of 12 bytes");
		TAP_STREQ(json_string_value(json_array_get(
			      json_object_get(json_object_get(img.config, "config"), "Env"), 0)),
			  "A=1", "config parsed");
		store_image_free(&img);
	}
	test_digest_alias(s, ref);
	put(ref, "{\"name\":\"x\",\"manifest\":\"sha256:../../etc\",\"config\":\"sha256:" HEXA
		 "\",\"layers\":[]}");
	r = store_lookup(s, name, NULL, &img, &e);
	TAP_OK(r < 0 && e.code != ENOENT, "bad digest in ref refused (%s)", e.msg);
	free(cfg);
	free(ref);
}

/* tmp_sweep takes what a killed writer left (no lock), never a live temp
 * (its writer holds the lock), nor other names. */
static void test_tmp_sweep(const char *s)
{
	char *dir = xasprintf("%s/sweep", s), *base = xasprintf("%s/sweep/", s);
	char *live = NULL, *livedir = NULL, *p;
	struct error e;
	int fd, dfd, n;

	mkdir_p(dir, 0755, &e);
	fd = tmp_open(base, &live, &e);
	dfd = tmp_mkdir(base, &livedir, &e);
	TAP_OK(fd >= 0 && dfd >= 0, "tmp_open and tmp_mkdir make locked temps");
	p = xasprintf("%s/.tmp-dead01", dir);
	put(p, "stale");
	free(p);
	p = xasprintf("%s/x.tmp-dead02", dir);
	mkdir_p(p, 0755, &e);
	free(p);
	p = xasprintf("%s/x.tmp-dead02/f", dir);
	put(p, "in a stale temp dir");
	free(p);
	p = xasprintf("%s/keep", dir);
	put(p, "not a temp");
	free(p);
	n = tmp_sweep(dir, "");
	TAP_OK(n == 2, "sweep removed the two stale temps (%d)", n);
	TAP_OK(access(live, F_OK) == 0 && access(livedir, F_OK) == 0, "the live temps stay");
	p = xasprintf("%s/keep", dir);
	TAP_OK(access(p, F_OK) == 0, "other names stay");
	free(p);
	close(fd);
	close(dfd);
	n = tmp_sweep(dir, "");
	TAP_OK(n == 2 && access(live, F_OK) < 0 && access(livedir, F_OK) < 0,
	       "once their writers are gone they are swept too (%d)", n);
	free(live);
	free(livedir);
	free(base);
	free(dir);
}

int main(void)
{
	char tmpl[] = "/tmp/test_store.XXXXXX";
	char *s = mkdtemp(tmpl);
	struct error e;

	if (!s)
		fatal("mkdtemp");
	test_paths(s);
	test_default_dir();
	test_lookup(s);
	test_tmp_sweep(s);
	remove_tree(s, &e);
	return tap_done();
}

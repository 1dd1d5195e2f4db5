/* Unit tests of step specs (compiler/spec.c) and their keys: the direct
 * writer must give what json_dumps(JSON_COMPACT) gives for the same
 * value, and the canonical text what jansson sorted keys give. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "graph.h"
#include "key.h"
#include "sha256.h"
#include "spec.h"
#include "tap.h"

/* json text -> spec -> text, against jansson's own compact dump. */
static void roundtrip(const char *json)
{
	json_t *v = json_loads(json, JSON_DECODE_ANY, NULL);
	struct spec *sp = spec_new();
	struct buf b = {0};
	char *want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

	spec_write(&b, sv_json(sp, v));
	TAP_STREQ(b.s, want, "%s as jansson writes it", json);
	buf_free(&b);
	free(want);
	spec_free(sp);
	json_decref(v);
}

/* The canonical text of a spec with nothing to strip is jansson's with
 * sorted keys, minus title and loc at the top. */
static void canonical(const char *json)
{
	json_t *v = json_loads(json, 0, NULL);
	struct spec *sp = spec_new();
	struct buf b = {0};
	char *want;

	key_canonical(&b, sv_json(sp, v), NULL);
	json_object_del(v, "title");
	json_object_del(v, "loc");
	want = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
	TAP_STREQ(b.s, want, "canonical %s", json);
	buf_free(&b);
	free(want);
	spec_free(sp);
	json_decref(v);
}

/* Every length up to 24 (the writer copies 8, then 4 bytes at a time and
 * overlaps the tail) with a byte to escape at every position, and with
 * none, against jansson: one assertion per length, naming the first
 * string that differs. */
static void escapes_everywhere(void)
{
	static const char special[] = {'"', '\\', '\n', 1, 0x1f, 0x7f, (char)0xc3};
	char s[25], *want = NULL;
	struct buf b = {0};

	for (size_t n = 0; n <= 24; n++) {
		int bad = 0;
		for (size_t p = 0; p <= n && !bad; p++) {
			for (size_t k = 0; k < sizeof(special) && !bad; k++) {
				json_t *v;
				memset(s, 'a', n);
				if (p < n)
					s[p] = special[k];
				v = json_stringn(s, n);
				if (!v) /* a lone 0xc3 is not UTF-8: jansson refuses it */
					continue;
				want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
				buf_reset(&b);
				spec_write_string(&b, s, n);
				bad = strcmp(b.s, want) != 0;
				if (bad)
					printf("# length %zu, byte %d at %zu: got %s, want %s\n", n,
					       special[k], p, b.s, want);
				free(want);
				json_decref(v);
			}
		}
		TAP_OK(!bad, "a string of %zu bytes, escapes anywhere, as jansson writes it", n);
	}
	buf_free(&b);
}

/* The canonical text of {k1: "one", k2: "two"} into b. */
static void canonical_two(struct buf *b, const char *k1, const char *k2)
{
	struct spec *sp = spec_new();
	struct sv *o = spec_root(sp);

	sv_set_str(sp, o, k1, "one");
	sv_set_str(sp, o, k2, "two");
	buf_reset(b);
	key_canonical(b, o, NULL);
	spec_free(sp);
}

/* key.c remembers field orders by the addresses of the names; the same
 * addresses holding other names must still be sorted by the names. */
static void canonical_reused_names(void)
{
	static char k1[2] = "b", k2[2] = "a";
	struct buf b = {0};

	canonical_two(&b, k1, k2);
	TAP_STREQ(b.s, "{\"a\":\"two\",\"b\":\"one\"}", "canonical order by name");
	k1[0] = 'z'; /* same addresses, other names, same order */
	k2[0] = 'y';
	canonical_two(&b, k1, k2);
	TAP_STREQ(b.s, "{\"y\":\"two\",\"z\":\"one\"}",
		  "... with other names at the same addresses");
	k1[0] = 'a'; /* and an order the remembered one gets wrong */
	k2[0] = 'b';
	canonical_two(&b, k1, k2);
	TAP_STREQ(b.s, "{\"a\":\"one\",\"b\":\"two\"}",
		  "a remembered order that no longer sorts is not used");
	buf_free(&b);
}

/* A sink that keeps every piece it is handed. */
struct pieces {
	struct spec_sink sk;
	struct buf all;
	int n;
};

static void pieces_take(struct spec_sink *sk, struct buf *b)
{
	struct pieces *p = (struct pieces *)sk;

	buf_addn(&p->all, b->s, b->len);
	p->n++;
	buf_reset(b);
}

/* Long arrays as lazy views (an image's history, its Env): the same
 * JSON, the same canonical text and key as the copied tree, and written
 * through a sink, the same text in pieces. */
static void lazy_arrays(void)
{
	json_t *v = json_pack("{ss s[] s[]}", "title", "t", "history", "env");
	struct spec *a = spec_new(), *b = spec_new();
	struct buf x = {0}, y = {0}, msg = {0};
	struct pieces p = {.sk.take = pieces_take};
	char k1[33], k2[33], hex[65];
	struct sv *lazy, *tree;

	for (int i = 0; i < 3000; i++) {
		char t[32];
		snprintf(t, sizeof(t), "ENV K%d=v%d", i, i);
		json_array_append_new(json_object_get(v, "history"),
				      json_pack("{ss ss sb}", "created_by", i == 7 ? "/ctx" : t,
						"comment", "buildkit.dockerfile.v0", "empty_layer",
						1));
		json_array_append_new(json_object_get(v, "env"), json_string(t + 4));
	}
	key_set_paths("/ctx", NULL);
	lazy = sv_json_lazy(a, v);
	tree = sv_json(b, v);
	TAP_OK(sv_get(lazy, "env")->type == SV_LAZY && sv_get(tree, "env")->type == SV_ARR,
	       "long arrays are lazy in sv_json_lazy only");
	spec_write(&x, lazy);
	spec_write(&y, tree);
	TAP_OK(x.len > 2 * SPEC_SINK_CHUNK && strcmp(x.s, y.s) == 0, "lazy arrays: the same JSON");
	spec_write_sink(&msg, lazy, &p.sk);
	buf_addn(&p.all, msg.s, msg.len);
	TAP_OK(p.n >= 2 && strcmp(p.all.s, y.s) == 0,
	       "written through a sink: the same text in %d pieces", p.n);
	buf_reset(&x);
	buf_reset(&y);
	key_canonical(&x, lazy, NULL);
	key_canonical(&y, tree, NULL);
	TAP_OK(strcmp(x.s, y.s) == 0 && strstr(x.s, "\"created_by\":\".\""),
	       "lazy arrays: the same canonical text (host paths written \".\")");
	key_spec("parent", lazy, NULL, k1);
	buf_reset(&msg);
	buf_adds(&msg, "df2make-key 1\nparent\n");
	buf_addn(&msg, y.s, y.len);
	sha256_hex(msg.s, msg.len, hex);
	hex[32] = '\0';
	key_spec("parent", tree, NULL, k2);
	TAP_STREQ(k1, hex, "a long message hashed in pieces: the digest of the whole");
	TAP_STREQ(k2, hex, "... as the copied tree's");
	buf_free(&x);
	buf_free(&y);
	buf_free(&msg);
	buf_free(&p.all);
	spec_free(a);
	spec_free(b);
	json_decref(v);
	key_set_paths(NULL, NULL);
}

int main(void)
{
	struct spec *sp = spec_new();
	struct sv *o = spec_root(sp), *m;
	struct buf b = {0};

	escapes_everywhere();
	canonical_reused_names();
	lazy_arrays();
	roundtrip("{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}");
	roundtrip("\"quote\\\" back\\\\ tab\\t nl\\n cr\\r bs\\b ff\\f c1\\u0001 \\u001f\"");
	roundtrip("[\"caf\\u00e9\",\"\\u2603\",\"/slash\",-42,9007199254740993]");
	roundtrip("{\"z\":1,\"a\":2,\"m\":{\"y\":[],\"b\":{}}}");
	roundtrip("[1.5,0.1,1e300]");
	roundtrip("[\"aaaaaaaaaaaaaaaaa\\\"bbbbbbbbbbbbbbbbbb\\u0001ccccccccc\\u00e9\\u00e9\\u00e9"
		  "\\u00e9dddddddd\\\\eeeeeeeeeeeeeeee\\u001f\\u007f\",\"12345678\",\"1234567\"]");
	canonical("{\"title\":\"t\",\"loc\":\"l\",\"z\":1,\"a\":{\"zz\":1,\"z\":2,\"b\":3},"
		  "\"ab\":[{\"y\":1,\"x\":2}],\"\\u00e9\":0,\"aa\":1}");
	canonical("{\"args\":[\"sh\",\"-c\",\"x\"],\"env\":[\"B=1\",\"A=2\"],\"mounts\":[]}");

	/* sv_set replaces in place, sv_move_last moves, raw text stays */
	sv_set_str(sp, o, "a", "1");
	sv_set_str(sp, o, "b", "2");
	sv_set_str(sp, o, "a", "3");
	m = sv_set(o, "m", sv_obj(sp));
	sv_set_str(sp, m, "src", "/x");
	sv_set_str(sp, m, "type", "secret");
	sv_set_str(sp, m, "target", "/t");
	sv_move_last(m, "src");
	sv_set(o, "env", sv_raw(sp, "[\"A=1\"]", 7));
	sv_set_str(sp, o, "n", NULL);
	spec_write(&b, o);
	TAP_STREQ(
	    b.s,
	    "{\"a\":\"3\",\"b\":\"2\",\"m\":{\"type\":\"secret\",\"target\":\"/t\",\"src\":\"/x\"},"
	    "\"env\":[\"A=1\"],\"n\":null}",
	    "set, replace, move, raw and null");
	buf_free(&b);
	key_set_paths("/ctx", NULL);
	sv_set_str(sp, o, "context", "/ctx");
	key_canonical(&b, o, NULL);
	TAP_STREQ(b.s,
		  "{\"a\":\"3\",\"b\":\"2\",\"context\":\".\",\"env\":[\"A=1\"],"
		  "\"m\":{\"target\":\"/t\",\"type\":\"secret\"},\"n\":null}",
		  "keys: sorted, context written \".\", a mount's src left out");
	buf_free(&b);
	spec_free(sp);
	return tap_done();
}

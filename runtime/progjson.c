/* progjson: --progress=rawjson. One JSON object per line on stderr, each a
 * BuildKit SolveStatus holding one event: {"vertexes":[...]} when a step
 * starts and ends, {"logs":[...]} per output line (data in base64, as Go
 * marshals []byte), {"statuses":[...]} for transfers and event lines. The
 * schema is in docs/sandbox.md. */
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fsutil.h"
#include "progress_int.h"
#include "util.h"

/* RFC 3339 with nanoseconds, UTC, as Go marshals a time.Time. */
static json_t *stamp(long long ns)
{
	time_t s = (time_t)(ns / 1000000000LL);
	struct tm tm;
	char out[48];

	gmtime_r(&s, &tm);
	snprintf(out, sizeof(out), "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ns % 1000000000LL);
	return json_string(out);
}

/* Writes {"NAME":[obj]} and a newline with one write; takes obj. */
static void emit(const char *name, json_t *obj)
{
	json_t *ev = json_object();
	char *text;

	json_object_set_new(ev, name, json_pack("[o]", obj));
	text = json_dumps(ev, JSON_COMPACT);
	json_decref(ev);
	if (!text)
		return;
	size_t n = strlen(text);
	char *line = xmalloc(n + 1);
	memcpy(line, text, n);
	line[n] = '\n';
	(void)write_all(2, line, n + 1);
	free(line);
	free(text);
}

void progjson_vertex(int done, const char *err)
{
	const struct progress_step *c = &progress_cur;
	json_t *v = json_pack("{ss ss so}", "digest", c->digest, "name", c->title, "started",
			      stamp(c->wall0));

	if (c->vertex > 0)
		json_object_set_new(v, "index", json_integer(c->vertex));
	if (done)
		json_object_set_new(v, "completed", stamp(progress_wall()));
	if (done && c->cached)
		json_object_set_new(v, "cached", json_true());
	if (done && err)
		json_object_set_new(v, "error", json_string(err));
	emit("vertexes", v);
}

void progjson_log(int stream, const char *text, size_t len)
{
	unsigned char *raw = xmalloc(len + 1), *b64 = xmalloc(4 * (len + 3) / 3 + 4);

	memcpy(raw, text, len);
	raw[len] = '\n';
	EVP_EncodeBlock(b64, raw, (int)len + 1);
	emit("logs", json_pack("{ss si ss so}", "vertex", progress_cur.digest, "stream", stream,
			       "data", (char *)b64, "timestamp", stamp(progress_wall())));
	free(raw);
	free(b64);
}

void progjson_status(const char *id, long long current, long long total, int done)
{
	const struct progress_step *c = &progress_cur;
	long long now = progress_wall();
	json_t *s =
	    json_pack("{ss ss sI so so}", "id", id, "vertex", c->digest, "current",
		      (json_int_t)current, "timestamp", stamp(now), "started", stamp(c->wall0));

	if (total > 0)
		json_object_set_new(s, "total", json_integer(total));
	if (done)
		json_object_set_new(s, "completed", stamp(now));
	emit("statuses", s);
}

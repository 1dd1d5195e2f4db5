/* mountflag: RUN --mount values parsed as BuildKit parses them
 * (frontend/dockerfile/instructions/commands_runmount.go), see mountflag.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fsutil.h"
#include "mountflag.h"
#include "parse.h"
#include "strconv.h"
#include "suggest.h"
#include "util.h"

void mount_clear(struct mount *m)
{
	free(m->target);
	free(m->source);
	free(m->from);
	free(m->id);
	free(m->env);
	free(m->size);
	free(m->spec);
	memset(m, 0, sizeof(*m));
}

/* *s copied into a, the heap copy freed. */
static void keep_str(char **s, struct arena *a)
{
	char *heap = *s;

	if (heap) {
		*s = arena_strdup(a, heap);
		free(heap);
	}
}

void mount_keep(struct mount *m, struct arena *a)
{
	char **strs[] = {&m->target, &m->source, &m->from, &m->id, &m->env, &m->size, &m->spec};

	for (size_t i = 0; i < LEN(strs); i++)
		keep_str(strs[i], a);
}

/* One CSV record (Go's encoding/csv rules for a single line). */
static int csv_fields(const char *s, struct strlist *out, char *msg, size_t msglen)
{
	size_t n = strlen(s), pos = 0, i;
	const char *nl;
	struct buf f = {0};

	if (n && s[n - 1] == '\n')
		n -= (n > 1 && s[n - 2] == '\r') ? 2 : 1;
	if (!n) {
		snprintf(msg, msglen, "EOF");
		return 0;
	}
	for (;;) {
		if (s[pos] != '"') {
			nl = memchr(s + pos, ',', n - pos);
			i = nl ? (size_t)(nl - s) : n;
			if (memchr(s + pos, '"', i - pos)) {
				snprintf(msg, msglen,
					 "parse error on line 1, column %zu: bare \" in "
					 "non-quoted-field",
					 (size_t)((const char *)memchr(s + pos, '"', i - pos) - s) +
					     1);
				return 0;
			}
			strlist_take(out, xstrndup(s + pos, i - pos));
			if (!nl)
				return 1;
			pos = i + 1;
			if (pos == n) {
				strlist_add(out, "");
				return 1;
			}
			continue;
		}
		buf_reset(&f);
		buf_adds(&f, "");
		for (pos++;;) {
			nl = memchr(s + pos, '"', n - pos);
			if (!nl) {
				snprintf(msg, msglen,
					 "parse error on line 1, column %zu: extraneous or missing "
					 "\" in "
					 "quoted-field",
					 pos + 1);
				buf_free(&f);
				return 0;
			}
			buf_addn(&f, s + pos, (size_t)(nl - (s + pos)));
			pos = (size_t)(nl - s) + 1;
			if (pos < n && s[pos] == '"') {
				buf_addc(&f, '"');
				pos++;
				continue;
			}
			if (pos == n) {
				strlist_take(out, buf_steal(&f));
				return 1;
			}
			if (s[pos] == ',') {
				strlist_take(out, buf_steal(&f));
				pos++;
				if (pos == n) {
					strlist_add(out, "");
					return 1;
				}
				break;
			}
			snprintf(msg, msglen,
				 "parse error on line 1, column %zu: extraneous or missing \" in "
				 "quoted-field",
				 pos);
			buf_free(&f);
			return 0;
		}
	}
}

/* units.RAMInBytes: ^(\d+(\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$; -1 if bad. */
static long long ram_bytes(const char *s)
{
	static const char units[] = "kmgtp";
	const char *p = s, *u;
	double v;
	long long mult = 1;

	int dots = 0;

	if (!(*p >= '0' && *p <= '9'))
		return -1;
	while ((*p >= '0' && *p <= '9') || (*p == '.' && p[1] >= '0' && p[1] <= '9'))
		dots += *p++ == '.';
	if (dots > 1)
		return -1; /* the regexp allows "1.2.3", strconv.ParseFloat does not */
	v = strtod(s, NULL);
	if (*p == ' ')
		p++;
	if (*p && (u = strchr(units, *p | 32)) && *p != ' ') {
		mult = 1LL << (10 * (u - units + 1));
		p++;
	}
	if ((*p | 32) == 'i')
		p++;
	if ((*p | 32) == 'b')
		p++;
	if (*p)
		return -1;
	return (long long)(v * (double)mult);
}

struct mstate {
	struct mount *m;
	mount_expander expand;
	void *ctx;
	char *msg;
	size_t msglen;
	int ro_auto;
	int sharing_set;
};

/* Fills msg; returns -1. */
static int merr(struct mstate *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int merr(struct mstate *st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->msg, st->msglen, fmt, ap);
	va_end(ap);
	return -1;
}

static const char *const mount_types[] = {"bind", "cache", "tmpfs", "secret", "ssh"};

/* A key given without "=value". */
static int mount_bare(struct mstate *st, const char *key, const char *field)
{
	struct mount *m = st->m;

	if (!strcmp(key, "readonly") || !strcmp(key, "ro") || !strcmp(key, "readwrite") ||
	    !strcmp(key, "rw")) {
		m->readonly = !strcmp(key, "readonly") || !strcmp(key, "ro");
		st->ro_auto = 0;
		return 0;
	}
	if (!strcmp(key, "required")) {
		if (m->type != MOUNT_SECRET && m->type != MOUNT_SSH)
			return merr(st, "unexpected key '%s' for mount type '%s'", key,
				    mount_types[m->type]);
		m->required = 1;
		return 0;
	}
	return merr(st, "invalid field '%s' must be a key=value pair", field);
}

/* The numeric mount options. */
static int mount_number(struct mstate *st, const char *key, const char *v)
{
	long n = strconv_uint32(v, strcmp(key, "mode") ? 10 : 8);

	if (n < 0)
		return merr(st, "invalid value %s for %s", v, key);
	*(key[0] == 'm' ? &st->m->mode : key[0] == 'u' ? &st->m->uid : &st->m->gid) = n;
	return 0;
}

/* Sets a string option, replacing an earlier value. */
static void set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = xstrdup(v);
}

/* A bool option. */
static int mount_bool(struct mstate *st, const char *key, const char *v, signed char *dst,
		      int invert)
{
	int b = strconv_bool(v);

	if (b < 0)
		return merr(st, "invalid value for %s: %s", key, v);
	*dst = invert ? !b : b;
	return 0;
}

/* One key=value field, value already expanded. */
static int mount_kv(struct mstate *st, const char *key, const char *v, const char *field)
{
	struct mount *m = st->m;
	struct buf b = {0};
	size_t i;

	if (!strcmp(key, "type")) {
		char lb[16], *heap;
		const char *t = parse_lower_n(v, strlen(v), lb, sizeof(lb), &heap);
		for (i = 0; i < LEN(mount_types) && strcmp(t, mount_types[i]); i++)
			;
		free(heap);
		if (i == LEN(mount_types)) {
			merr(st, "unsupported mount type %s", strconv_quote(&b, v));
			buf_free(&b);
			suggest_append(st->msg, st->msglen, v, mount_types, LEN(mount_types), 1);
			return -1;
		}
		m->type = (enum mount_type)i;
	} else if (!strcmp(key, "from")) {
		set_str(&m->from, v);
	} else if (!strcmp(key, "source") || !strcmp(key, "src")) {
		set_str(&m->source, v);
	} else if (!strcmp(key, "target") || !strcmp(key, "dst") || !strcmp(key, "destination")) {
		set_str(&m->target, v);
	} else if (!strcmp(key, "readonly") || !strcmp(key, "ro")) {
		st->ro_auto = 0;
		return mount_bool(st, key, v, &m->readonly, 0);
	} else if (!strcmp(key, "readwrite") || !strcmp(key, "rw")) {
		st->ro_auto = 0;
		return mount_bool(st, key, v, &m->readonly, 1);
	} else if (!strcmp(key, "required")) {
		if (m->type != MOUNT_SECRET && m->type != MOUNT_SSH)
			return merr(st, "unexpected key '%s' for mount type '%s'", key,
				    mount_types[m->type]);
		return mount_bool(st, key, v, &m->required, 0);
	} else if (!strcmp(key, "size")) {
		if (m->type != MOUNT_TMPFS)
			return merr(st, "unexpected key '%s' for mount type '%s'", key,
				    mount_types[m->type]);
		if ((m->size_bytes = ram_bytes(v)) < 0)
			return merr(st, "invalid value for %s: %s", key, v);
		set_str(&m->size, v);
	} else if (!strcmp(key, "id")) {
		set_str(&m->id, v);
	} else if (!strcmp(key, "sharing")) {
		static const char *const modes[] = {"shared", "private", "locked"};
		char lb[16], *heap;
		const char *t = parse_lower_n(v, strlen(v), lb, sizeof(lb), &heap);
		for (i = 0; i < LEN(modes) && strcmp(t, modes[i]); i++)
			;
		free(heap);
		if (i == LEN(modes)) {
			merr(st, "unsupported sharing value %s", strconv_quote(&b, v));
			buf_free(&b);
			suggest_append(st->msg, st->msglen, v, modes, LEN(modes), 1);
			return -1;
		}
		m->sharing = (enum mount_sharing)i;
		st->sharing_set = 1;
	} else if (!strcmp(key, "mode") || !strcmp(key, "uid") || !strcmp(key, "gid")) {
		return mount_number(st, key, v);
	} else if (!strcmp(key, "env")) {
		set_str(&m->env, v);
	} else {
		static const char *const keys[] = {
		    "type",	   "from", "source", "target",	  "readonly", "id",  "sharing",
		    "required",	   "size", "mode",   "uid",	  "gid",      "src", "dst",
		    "destination", "ro",   "rw",     "readwrite", "env"};
		merr(st, "unexpected key '%s' in '%s'", key, field);
		suggest_append(st->msg, st->msglen, key, keys, LEN(keys), 1);
		return -1;
	}
	return 0;
}

/* One field of the CSV record. */
static int mount_field(struct mstate *st, const char *field)
{
	const char *eq = strchr(field, '=');
	char kb[32], *heap, *v;
	const char *key =
	    parse_lower_n(field, eq ? (size_t)(eq - field) : strlen(field), kb, sizeof(kb), &heap);
	int r;

	if (!eq) {
		r = mount_bare(st, key, field);
	} else if (!strcmp(key, "from") && strchr(eq + 1, '$') && strchr(eq + 1, '$')[1] != '\0') {
		r = merr(st,
			 "'from' doesn't support variable expansion, define alias stage instead");
	} else if (st->expand) {
		v = st->expand(st->ctx, eq + 1, st->msg, st->msglen);
		r = v ? mount_kv(st, key, v, field) : -1;
		free(v);
	} else if (strchr(eq + 1, '$')) {
		st->m->deferred = 1; /* validated once expanded */
		r = 0;
		if (!strcmp(key, "target") || !strcmp(key, "dst") || !strcmp(key, "destination"))
			set_str(&st->m->target, eq + 1);
		else if (!strcmp(key, "source") || !strcmp(key, "src"))
			set_str(&st->m->source, eq + 1);
		else if (!strcmp(key, "id"))
			set_str(&st->m->id, eq + 1);
		else if (!strcmp(key, "env"))
			set_str(&st->m->env, eq + 1);
		else if (!strcmp(key, "size"))
			set_str(&st->m->size, eq + 1);
	} else {
		r = mount_kv(st, key, eq + 1, field);
	}
	free(heap);
	return r;
}

/* Basename as Go's path.Base. */
static char *path_base(const char *p)
{
	size_t n = strlen(p);
	const char *s;

	while (n > 1 && p[n - 1] == '/')
		n--;
	if (!n)
		return xstrdup(".");
	for (s = p + n; s > p && s[-1] != '/'; s--)
		;
	if (s == p + n)
		return xstrdup("/");
	return xstrndup(s, (size_t)(p + n - s));
}

/* 1 if path.Clean(p) is "/". Without a '.', an absolute path with a name
 * in it cannot be: that saves cleaning a copy of every target. */
static int cleans_to_root(const char *p)
{
	char *t;
	int root;

	if (p[0] != '/' || (!strchr(p, '.') && p[strspn(p, "/")]))
		return 0;
	t = path_clean(p);
	root = !strcmp(t, "/");
	free(t);
	return root;
}

/* The checks after all fields, then the defaults. */
static int mount_finish(struct mstate *st)
{
	int sharing_set = st->sharing_set;
	struct mount *m = st->m;
	int fileinfo = m->type == MOUNT_SECRET || m->type == MOUNT_SSH || m->type == MOUNT_CACHE;
	const char *tn = mount_types[m->type];

	if (!fileinfo && m->mode >= 0)
		return merr(st, "mode not allowed for \"%s\" type mounts", tn);
	if (!fileinfo && m->uid >= 0)
		return merr(st, "uid not allowed for \"%s\" type mounts", tn);
	if (!fileinfo && m->gid >= 0)
		return merr(st, "gid not allowed for \"%s\" type mounts", tn);
	if (st->ro_auto)
		m->readonly = m->type != MOUNT_CACHE && m->type != MOUNT_TMPFS;
	if (m->type == MOUNT_SECRET) {
		if (m->from)
			return merr(st, "secret mount should not have a from");
		if (sharing_set)
			return merr(st, "secret mount should not define sharing");
		if (!m->source && !m->target && !m->id)
			return merr(st, "invalid secret mount. one of source, target required");
		if (m->source && m->id)
			return merr(st, "both source and id can't be set");
	}
	if (sharing_set && m->type != MOUNT_CACHE)
		return merr(st, "invalid cache sharing set for %s mount", tn);
	if (!m->deferred && m->target && cleans_to_root(m->target))
		return merr(st, "invalid mount target \"/\"");
	return 0;
}

/* Defaults that do not depend on the stage (see instr.h). */
static void mount_defaults(struct mount *m)
{
	if (m->type == MOUNT_SECRET) {
		if (!m->id)
			m->id = m->source ? xstrdup(m->source) : path_base(m->target);
		if (!m->target && !m->env) {
			char *b = path_base(m->id);
			m->target = xasprintf("/run/secrets/%s", b);
			free(b);
		}
	} else if (m->type == MOUNT_SSH && !m->id) {
		m->id = xstrdup("default");
	}
	if (m->type == MOUNT_SECRET || m->type == MOUNT_SSH || m->type == MOUNT_CACHE) {
		if (m->mode < 0)
			m->mode = m->type == MOUNT_SECRET ? 0400
				  : m->type == MOUNT_SSH  ? 0600
							  : 0755;
		if (m->uid < 0)
			m->uid = 0;
		if (m->gid < 0)
			m->gid = 0;
	}
}

/* The fields of a record without quotes, which is a plain split at the
 * commas (csv_fields gives the same), in place in s; -1 when empty. */
static int mount_fields_plain(struct mstate *st, char *s)
{
	size_t n = strlen(s);
	char *p, *comma;
	int r = 0;

	if (n && s[n - 1] == '\n')
		s[n -= (n > 1 && s[n - 2] == '\r') ? 2 : 1] = '\0';
	if (!n)
		return merr(st, "failed to parse csv mounts: EOF");
	for (p = s; !r; p = comma + 1) {
		comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		r = mount_field(st, p);
		if (!comma)
			break;
	}
	return r;
}

/* The fields of a record: quoted ones through csv_fields. */
static int mount_fields(struct mstate *st, const char *spec)
{
	struct strlist fields = {0};
	char csverr[256], small[256], *copy;
	size_t i, n = strlen(spec);
	int r = 0;

	if (!strchr(spec, '"')) {
		copy = n < sizeof(small) ? memcpy(small, spec, n + 1) : xstrdup(spec);
		r = mount_fields_plain(st, copy);
		if (copy != small)
			free(copy);
		return r;
	}
	if (!csv_fields(spec, &fields, csverr, sizeof(csverr)))
		r = merr(st, "failed to parse csv mounts: %s", csverr);
	for (i = 0; !r && i < fields.n; i++)
		r = mount_field(st, fields.v[i]);
	strlist_free(&fields);
	return r;
}

int mount_parse(const char *spec, mount_expander expand, void *ctx, struct mount *m, char *msg,
		size_t msglen)
{
	struct mstate st = {m, expand, ctx, msg, msglen, 1, 0};
	int r;

	memset(m, 0, sizeof(*m));
	m->type = MOUNT_BIND;
	m->sharing = SHARING_SHARED;
	m->mode = m->uid = m->gid = -1;
	m->size_bytes = -1;
	/* heap: mount_parse takes no arena (a caller may parse a mount of
	 * its own, as the tests do); mount_clear frees, instr_clear calls it */
	m->spec = xstrdup(spec);
	r = mount_fields(&st, spec);
	if (!r)
		r = mount_finish(&st);
	if (r) {
		mount_clear(m);
		return -1;
	}
	mount_defaults(m);
	return 0;
}

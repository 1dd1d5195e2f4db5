/* The parser-level dump: no instruction validation happens here, exactly
 * like BuildKit's dumper, so unknown instructions and unknown flags show up
 * as written. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dump.h"
#include "error.h"
#include "input.h"
#include "instr.h"
#include "parse.h"
#include "util.h"

/* Go's strings.TrimSpace of the buffer, in place. */
static void buf_trim(struct buf *b)
{
	size_t start, n = parse_trim_space(b->s, b->len, &start);

	memmove(b->s, b->s + start, n);
	b->len = n;
	b->s[n] = '\0';
}

/* BuildKit's Node.Dump() of n (no newline), appended to out. */
static void dump_node(struct buf *out, const struct pnode *n)
{
	struct buf b = {0};
	char *lower = parse_lower(n->keyword);
	size_t i;

	buf_adds(&b, lower);
	free(lower);
	if (n->nflags) {
		buf_adds(&b, " [");
		for (i = 0; i < n->nflags; i++) {
			if (i)
				buf_addc(&b, ' ');
			parse_quote(&b, n->flags[i].s, n->flags[i].len);
		}
		buf_addc(&b, ']');
	}
	if (n->child) {
		buf_adds(&b, " (");
		dump_node(&b, n->child);
		buf_addc(&b, ')');
	}
	for (i = 0; i < n->nargs; i++) {
		buf_addc(&b, ' ');
		parse_quote(&b, n->args[i].s, n->args[i].len);
	}
	buf_trim(&b);
	buf_adds(out, b.s);
	buf_free(&b);
}

int dump_text(struct buf *b, const char *path, const char *text, size_t len, struct df_error *err)
{
	struct ptree *t = parse_tree(path, text, len, '\\', err);
	size_t i;

	if (!t)
		return -1;
	for (i = 0; i < t->nnodes; i++) {
		buf_addc(b, '(');
		dump_node(b, &t->nodes[i]);
		buf_adds(b, ")\n");
	}
	parse_free(t);
	return 0;
}

int dump_dockerfile(FILE *out, const char *path, struct diags *dg)
{
	struct buf b = {0};
	struct df_error err;
	struct error e = {0};
	char *text;
	size_t len;
	int rc = 0;

	if (input_read(path, INPUT_MAX, &text, &len, &e) < 0)
		return diag_error(dg, NULL, "%s", e.msg);
	if (dump_text(&b, path, text, len, &err)) {
		rc = diag_error_value(dg, &err);
	} else {
		fwrite(b.s ? b.s : "", 1, b.len, out);
	}
	buf_free(&b);
	free(text);
	return rc;
}

/* Appends " name=" and the quoted value when v is set. */
static void field(struct buf *b, const char *name, const char *v)
{
	if (!v)
		return;
	buf_printf(b, " %s=", name);
	parse_quote(b, v, strlen(v));
}

/* Appends " name=[...]" for a string list. */
static void list(struct buf *b, const char *name, char **v, size_t n)
{
	size_t i;

	if (!n)
		return;
	buf_printf(b, " %s=[", name);
	for (i = 0; i < n; i++) {
		if (i)
			buf_addc(b, ' ');
		parse_quote(b, v[i], strlen(v[i]));
	}
	buf_addc(b, ']');
}

static void kvs(struct buf *b, const struct instr *in)
{
	size_t i;

	if (!in->nkvs)
		return;
	buf_adds(b, " kv=[");
	for (i = 0; i < in->nkvs; i++) {
		if (i)
			buf_addc(b, ' ');
		buf_adds(b, in->kvs[i].key);
		if (in->kvs[i].value) {
			buf_addc(b, '=');
			parse_quote(b, in->kvs[i].value, strlen(in->kvs[i].value));
		}
	}
	buf_addc(b, ']');
	if (in->legacy_kv)
		buf_adds(b, " legacy");
}

static void heredocs(struct buf *b, const struct instr *in)
{
	size_t i;

	for (i = 0; i < in->nheredocs; i++) {
		const struct heredoc *h = &in->heredocs[i];
		buf_printf(b, " heredoc=%s:", h->name);
		parse_quote(b, h->content, strlen(h->content));
		if (!h->expand)
			buf_adds(b, ",noexpand");
		if (h->chomp)
			buf_adds(b, ",chomp");
		if (h->fd >= 0)
			buf_printf(b, ",fd=%d", h->fd);
	}
}

static const char *const mtypes[] = {"bind", "cache", "tmpfs", "secret", "ssh"};
static const char *const sharings[] = {"shared", "private", "locked"};

static void mounts(struct buf *b, const struct instr *in)
{
	size_t i;

	for (i = 0; i < in->nmounts; i++) {
		const struct mount *m = &in->mounts[i];
		buf_printf(b, " mount=[type=%s", mtypes[m->type]);
		field(b, "target", m->target);
		field(b, "source", m->source);
		field(b, "from", m->from);
		field(b, "id", m->id);
		field(b, "env", m->env);
		field(b, "size", m->size);
		if (m->size_bytes >= 0)
			buf_printf(b, " bytes=%lld", m->size_bytes);
		buf_adds(b, m->readonly ? " ro" : " rw");
		if (m->type == MOUNT_CACHE)
			buf_printf(b, " sharing=%s", sharings[m->sharing]);
		if (m->mode >= 0)
			buf_printf(b, " mode=%04lo", m->mode);
		if (m->uid >= 0)
			buf_printf(b, " uid=%ld", m->uid);
		if (m->gid >= 0)
			buf_printf(b, " gid=%ld", m->gid);
		if (m->required)
			buf_adds(b, " required");
		if (m->deferred)
			buf_adds(b, " deferred");
		buf_addc(b, ']');
	}
}

static void healthcheck(struct buf *b, const struct instr *in)
{
	const struct instr_hc *hc = in->hc ? in->hc : &(struct instr_hc){0};

	if (in->hc_none) {
		buf_adds(b, " none");
		return;
	}
	if (hc->interval)
		buf_printf(b, " interval=%lld", hc->interval);
	if (hc->timeout)
		buf_printf(b, " timeout=%lld", hc->timeout);
	if (hc->start_period)
		buf_printf(b, " start-period=%lld", hc->start_period);
	if (hc->start_interval)
		buf_printf(b, " start-interval=%lld", hc->start_interval);
	if (hc->retries)
		buf_printf(b, " retries=%d", hc->retries);
}

/* One instruction without its location. */
static void instr_line(struct buf *b, const struct instr *in)
{
	int copying = in->kind == I_COPY || in->kind == I_ADD;

	buf_adds(b, instr_name(in->kind));
	list(b, "args", in->args, in->nargs);
	if (in->json)
		buf_adds(b, " json");
	kvs(b, in);
	heredocs(b, in);
	if (in->kind == I_FROM) { /* the union's fields are read by kind */
		field(b, "image", in->image);
		field(b, "stage", in->stage_name);
		field(b, "platform", in->platform);
	}
	if (copying) {
		field(b, "from", in->from);
		field(b, "chown", in->chown);
		field(b, "chmod", in->chmod);
		field(b, "checksum", in->checksum);
	}
	if (in->link)
		buf_adds(b, " link");
	if (in->parents)
		buf_adds(b, " parents");
	if (in->keep_git_dir)
		buf_adds(b, " keep-git-dir");
	if (in->unpack >= 0)
		buf_printf(b, " unpack=%s", in->unpack ? "true" : "false");
	if (copying)
		list(b, "exclude", in->excludes, in->nexcludes);
	if (in->kind == I_RUN) {
		mounts(b, in);
		field(b, "network", in->opts ? in->opts->network : NULL);
		field(b, "security", in->opts ? in->opts->security : NULL);
	}
	if (in->kind == I_HEALTHCHECK)
		healthcheck(b, in);
	if (in->kind == I_ONBUILD) {
		buf_adds(b, " inner=(");
		if (in->inner)
			instr_line(b, in->inner);
		else
			buf_adds(b, "invalid");
		buf_addc(b, ')');
	}
}

void dump_instrs(struct buf *b, const struct dockerfile *df)
{
	size_t i;

	if (df->syntax) {
		buf_adds(b, "syntax=");
		parse_quote(b, df->syntax, strlen(df->syntax));
		buf_addc(b, '\n');
	}
	if (df->check) {
		buf_adds(b, "check=");
		parse_quote(b, df->check, strlen(df->check));
		buf_addc(b, '\n');
	}
	if (df->escape != '\\')
		buf_printf(b, "escape=%c\n", df->escape);

	for (i = 0; i < df->ninstrs; i++) {
		const struct instr *in = df->instrs[i];
		buf_printf(b, "%d:%d-%d ", in->loc.line, in->loc.col, in->loc.end_line);
		instr_line(b, in);
		buf_addc(b, '\n');
	}
}

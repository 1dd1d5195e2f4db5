/* cmdline: see cmdline.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bflags.h"
#include "buf.h"
#include "cli.h"
#include "cmdline.h"
#include "entitle.h"
#include "mkquote.h"
#include "util.h"

char *cmdline_comment(const struct cli *c)
{
	struct buf b = {0};

	for (int i = 1; i < c->argc; i++) {
		if (i > 1)
			buf_addc(&b, ' ');
		mk_comment(&b, c->argv[i]);
	}
	return buf_steal(&b);
}

/* " WORD", quoted for the shell. */
static void cmdline_word(struct buf *b, const char *w)
{
	buf_addc(b, ' ');
	mk_shell(b, w);
}

/* " OPT VALUE". */
static void cmdline_opt(struct buf *b, const char *opt, const char *val)
{
	cmdline_word(b, opt);
	cmdline_word(b, val);
}

/* --memory (in bytes), --pids-limit and --ulimit, when given. */
static void cmdline_limits(struct buf *b, const struct cli *c)
{
	char n[32];

	if (c->memory) {
		snprintf(n, sizeof(n), "%lld", c->memory);
		cmdline_opt(b, "--memory", n);
	}
	if (c->pids_limit) {
		snprintf(n, sizeof(n), "%lld", c->pids_limit);
		cmdline_opt(b, "--pids-limit", n);
	}
	for (size_t i = 0; i < c->ulimits.n; i++)
		cmdline_opt(b, "--ulimit", c->ulimits.v[i]);
}

char *cmdline_shell(const struct cli *c)
{
	struct buf b = {0};
	char *self = cli_self_path();

	mk_shell(&b, self);
	free(self);
	cmdline_opt(&b, "-f", c->dockerfile);
	for (size_t i = 0; i < c->tags.n; i++)
		cmdline_opt(&b, "-t", c->tags.v[i]);
	if (c->target)
		cmdline_opt(&b, "--target", c->target);
	for (size_t i = 0; i < c->build_args_raw.n; i++)
		cmdline_opt(&b, "--build-arg", c->build_args_raw.v[i]);
	char *o = xasprintf("type=%s,dest=%s%s", c->output_type, c->output,
			    c->output_tar < 0 ? ""
			    : c->output_tar   ? ",tar=true"
					      : ",tar=false");
	cmdline_opt(&b, "-o", strcmp(c->output_type, "tar") == 0 ? c->output : o);
	free(o);
	if (c->state)
		cmdline_opt(&b, "--state", c->state);
	cmdline_opt(&b, "--store", c->store);
	for (size_t i = 0; i < c->nsecrets; i++) {
		const struct cli_secret *sec = &c->secrets[i];
		char *s = sec->env ? xasprintf("id=%s,env=%s", sec->id, sec->env)
				   : xasprintf("id=%s,src=%s", sec->id, sec->src);
		cmdline_opt(&b, "--secret", s);
		free(s);
	}
	struct strlist ent = {0};
	ent_args(&c->ent, &ent);
	for (size_t i = 0; i < ent.n; i++)
		cmdline_word(&b, ent.v[i]);
	strlist_free(&ent);
	if (c->platform)
		cmdline_opt(&b, "--platform", c->platform);
	if (c->templates)
		cmdline_opt(&b, "--templates", c->templates);
	cmdline_opt(&b, "--compress", c->compress);
	if (c->cache_to) {
		char *to =
		    xasprintf("type=%s,%s%s,mode=%s", c->cache_to[0] == '/' ? "local" : "registry",
			      c->cache_to[0] == '/' ? "dest=" : "ref=", c->cache_to, c->cache_mode);
		cmdline_opt(&b, "--cache-to", to);
		free(to);
	}
	for (size_t i = 0; i < c->cache_from.n; i++) {
		const char *v = c->cache_from.v[i];
		char *from = v[0] == '/' ? xasprintf("type=local,src=%s", v)
					 : xasprintf("type=registry,ref=%s", v);
		cmdline_opt(&b, "--cache-from", from);
		free(from);
	}
	cmdline_limits(&b, c);
	bflags_args(&c->bf, &ent);
	for (size_t i = 0; i < ent.n; i++)
		cmdline_word(&b, ent.v[i]);
	strlist_free(&ent);
	if (c->pull)
		cmdline_word(&b, "--pull");
	if (c->push)
		cmdline_word(&b, "--push");
	if (strcmp(c->progress, "auto") != 0)
		cmdline_opt(&b, "--progress", c->progress);
	cmdline_word(&b, c->context);
	return buf_steal(&b);
}

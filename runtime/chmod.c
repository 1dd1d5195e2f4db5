/* chmod: a symbolic mode is kept as a list of clauses and replayed on each
 * entry, because 'X' and the copy forms ("g=u") depend on the entry's own
 * mode and type. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "chmod.h"
#include "error.h"
#include "util.h"

struct clause {
	mode_t who;  /* S_IRWXU | ... bits the clause touches, plus S_ISUID etc. */
	char op;     /* '+', '-', '=' */
	mode_t bits; /* rwx as 07 in every class, s/t as themselves */
	int bigx;    /* 'X': execute only for dirs or already-executable files */
	char copy;   /* 'u', 'g', 'o': copy that class's bits, 0 = none */
};

struct chmod_spec {
	int octal;
	mode_t mode;
	struct clause *v;
	size_t n;
};

/* Who letters to the mask of bits they cover (empty = all, umask 0). */
static mode_t who_mask(const char *s, size_t n)
{
	mode_t m = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == 'u' || s[i] == 'a')
			m |= S_IRWXU | S_ISUID;
		if (s[i] == 'g' || s[i] == 'a')
			m |= S_IRWXG | S_ISGID;
		if (s[i] == 'o' || s[i] == 'a')
			m |= S_IRWXO | S_ISVTX;
	}
	return n ? m : 07777;
}

/* Parses the permission letters after an operator into c; returns the
 * number of bytes used, or -1 on a bad letter. */
static int parse_perms(const char *s, struct clause *c)
{
	int i = 0;

	if (s[0] == 'u' || s[0] == 'g' || s[0] == 'o') {
		c->copy = s[0];
		return 1;
	}
	for (; s[i] && s[i] != ',' && !strchr("+-=", s[i]); i++) {
		switch (s[i]) {
		case 'r':
			c->bits |= 0444;
			break;
		case 'w':
			c->bits |= 0222;
			break;
		case 'x':
			c->bits |= 0111;
			break;
		case 'X':
			c->bigx = 1;
			break;
		case 's':
			c->bits |= S_ISUID | S_ISGID;
			break;
		case 't':
			c->bits |= S_ISVTX;
			break;
		default:
			return -1;
		}
	}
	return i;
}

/* Parses one "who op perms [op perms]..." clause ending at ',' or NUL. */
static int parse_clause(struct chmod_spec *c, const char **sp)
{
	const char *s = *sp;
	size_t nwho = strspn(s, "ugoa");
	mode_t who = who_mask(s, nwho);

	s += nwho;
	if (!*s || !strchr("+-=", *s))
		return -1;
	while (*s && strchr("+-=", *s)) {
		struct clause cl = {who, *s, 0, 0, 0};
		int n = parse_perms(s + 1, &cl);
		if (n < 0)
			return -1;
		c->v = xreallocarray(c->v, c->n + 1, sizeof(*c->v));
		c->v[c->n++] = cl;
		s += 1 + n;
	}
	if (*s && *s != ',')
		return -1;
	*sp = *s ? s + 1 : s;
	return 0;
}

struct chmod_spec *chmod_parse(const char *s, struct error *e)
{
	struct chmod_spec *c = xcalloc(1, sizeof(*c));
	char *end;

	if (*s && strspn(s, "01234567") == strlen(s)) {
		unsigned long v = strtoul(s, &end, 8);
		if (v <= 07777) {
			c->octal = 1;
			c->mode = (mode_t)v;
			return c;
		}
	} else if (*s) {
		const char *p = s;
		while (*p && parse_clause(c, &p) == 0)
			;
		if (!*p && p[-1] != ',')
			return c;
	}
	chmod_free(c);
	error_set(e, 0, "invalid --chmod value \"%s\"", s);
	return NULL;
}

/* The rwx bits of class cls ('u','g','o') of mode, spread to every class. */
static mode_t class_bits(mode_t mode, char cls)
{
	mode_t b = cls == 'u' ? (mode >> 6) & 7 : cls == 'g' ? (mode >> 3) & 7 : mode & 7;
	return b * 0111;
}

/* Applies one clause to the current mode. */
static mode_t apply_clause(const struct clause *cl, mode_t mode, int isdir)
{
	mode_t bits = cl->copy ? class_bits(mode, cl->copy) : cl->bits;

	if (cl->bigx && (isdir || (mode & 0111)))
		bits |= 0111;
	bits &= cl->who;
	if (cl->op == '+')
		return mode | bits;
	if (cl->op == '-')
		return mode & ~bits;
	/* '=' clears what the who letters cover; the sticky bit is only
	 * cleared with 'o' or 'a', as chmod(1) does. */
	return (mode & ~cl->who) | bits;
}

mode_t chmod_apply(const struct chmod_spec *c, mode_t mode, int isdir)
{
	mode &= 07777;
	/* Docker 20.10's copier (fsutil v0.8 copyFileInfo) replaces only the
	 * 0777 bits: the value's set-id and sticky bits are dropped
	 * (--chmod=4711 gives 0711) and the source's are kept (a 4755 file
	 * under --chmod=0640 is 4640), seen with docker build here. Current
	 * BuildKit (fsutil 2024) sets the value exactly: not followed. */
	if (c->octal)
		return (mode & 07000) | (c->mode & 0777);
	for (size_t i = 0; i < c->n; i++)
		mode = apply_clause(&c->v[i], mode, isdir);
	return mode;
}

void chmod_free(struct chmod_spec *c)
{
	if (!c)
		return;
	free(c->v);
	free(c);
}

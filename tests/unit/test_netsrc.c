/* test_netsrc: which ADD sources are URLs or git repositories, the file
 * name a URL gets, git URL parts and credential masking, each against
 * what BuildKit's frontend does with the same string. */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "netsrc.h"
#include "tap.h"

static void kind(const char *src, enum netsrc_kind want)
{
	static const char *const names[] = {"local", "http", "git"};

	TAP_STREQ(names[netsrc_kind(src)], names[want], "kind of %s", src);
}

static void str(char *got, const char *want, const char *what)
{
	TAP_STREQ(got, want, "%s", what);
	free(got);
}

static void kinds(void)
{
	kind("https://example.com/a.txt", NETSRC_HTTP);
	kind("http://example.com/", NETSRC_HTTP);
	kind("https://example.com/repo.git", NETSRC_GIT);
	kind("https://example.com/repo.git#main:sub", NETSRC_GIT);
	kind("https://example.com/repo.git?ref=main", NETSRC_GIT);
	kind("https://example.com/repo.gitx", NETSRC_HTTP);
	kind("git://example.com/repo", NETSRC_GIT);
	kind("ssh://git@example.com/repo", NETSRC_GIT);
	kind("git@github.com:moby/buildkit.git", NETSRC_GIT);
	kind("git@github.com:moby/buildkit", NETSRC_GIT);
	kind("HTTPS://example.com/a.txt", NETSRC_LOCAL); /* isHTTPSource is case-sensitive */
	kind("HTTPS://example.com/a.git", NETSRC_GIT);	 /* the git parser is not */
	kind("ftp://example.com/a", NETSRC_LOCAL);
	kind("foo.git", NETSRC_LOCAL);
	kind("github.com/moby/buildkit", NETSRC_LOCAL);
	kind("./git@x:y", NETSRC_LOCAL);
	kind("git@x", NETSRC_LOCAL);
}

static void names(void)
{
	str(netsrc_filename("https://h/a/b.txt"), "b.txt", "base name of the path");
	str(netsrc_filename("https://h/a/b%20c.txt?x=1#f"), "b c.txt", "decoded, query dropped");
	str(netsrc_filename("https://h/dir/"), "dir", "trailing slash: the directory's name");
	str(netsrc_filename("https://h"), "__unnamed__", "no path");
	str(netsrc_filename("https://h/"), "__unnamed__", "root path");
	str(netsrc_filename("https://h/a/.."), "download", "\"..\" is made safe");
	str(netsrc_filename("https://h/a%0Ab"), "download", "a control character is made safe");
}

static void redact(void)
{
	str(netsrc_redact("https://user:pass@h/x"), "https://xxxxx:xxxxx@h/x", "user and password");
	str(netsrc_redact("https://token@h/x"), "https://xxxxx@h/x", "a user name alone (a token)");
	str(netsrc_redact("https://:pw@h/x"), "https://:xxxxx@h/x", "a password alone");
	str(netsrc_redact("https://h/x@y"), "https://h/x@y", "an @ in the path is no userinfo");
	str(netsrc_redact("ssh://git@h/r.git"), "ssh://git@h/r.git", "ssh user names stay");
	str(netsrc_redact("git@h:r.git"), "git@h:r.git", "scp-style stays");
	str(netsrc_redact_text("[s 2/3] ADD https://a:b@h/x http://c@h/y /d"),
	    "[s 2/3] ADD https://xxxxx:xxxxx@h/x http://xxxxx@h/y /d", "every URL of a title");
	TAP_OK(netsrc_has_secret("https://a:b@h/x") && !netsrc_has_secret("https://h/x"),
	       "has_secret");
}

static void git(void)
{
	struct netsrc_git g;
	struct error e = {0};

	TAP_OK(netsrc_git_parse("https://h/r.git#v1.0:/a/../b/", &g, &e) == 0, "parse #ref:subdir");
	TAP_STREQ(g.remote, "https://h/r.git", "remote without the fragment");
	TAP_STREQ(g.ref, "v1.0", "ref");
	TAP_STREQ(g.subdir, "b", "subdir cleaned as path.Join(\"/\", s)");
	TAP_OK(g.keep_git_dir == -1 && !g.checksum, "no keep-git-dir, no checksum");
	netsrc_git_free(&g);
	TAP_OK(netsrc_git_parse("https://h/r.git?tag=v2&subdir=s&keep-git-dir=true&checksum=ab12",
				&g, &e) == 0,
	       "parse the query form");
	TAP_STREQ(g.ref, "refs/tags/v2", "tag= gets refs/tags/");
	TAP_STREQ(g.subdir, "s", "subdir=");
	TAP_STREQ(g.checksum, "ab12", "checksum=");
	TAP_OK(g.keep_git_dir == 1 && g.submodules == 1,
	       "keep-git-dir=true, submodules by default");
	netsrc_git_free(&g);
	TAP_OK(netsrc_git_parse("git://h/r?submodules=false", &g, &e) == 0 && g.submodules == 0,
	       "submodules=false");
	netsrc_git_free(&g);
	TAP_OK(netsrc_git_parse("https://h/r.git?branch=x#y", &g, &e) < 0 &&
		   strstr(e.msg, "ref conflicts") != NULL,
	       "fragment and query disagree: %s", e.msg);
	TAP_OK(netsrc_git_parse("https://h/r.git?color=red", &g, &e) < 0 &&
		   strcmp(e.msg, "unexpected query \"color\"") == 0,
	       "unknown query: %s", e.msg);
	TAP_OK(netsrc_git_parse("git@h:org/r.git#main", &g, &e) == 0, "scp-style");
	TAP_STREQ(g.remote, "git@h:org/r.git", "scp-style remote");
	netsrc_git_free(&g);
	TAP_OK(netsrc_loopback("git://127.0.0.1:9/r") &&
		   netsrc_loopback("http://u:p@localhost/x") &&
		   !netsrc_loopback("https://127.example/x") && !netsrc_loopback("git@h:r"),
	       "loopback hosts");
	TAP_OK(netsrc_is_ssh("git@h:r.git") && netsrc_is_ssh("ssh://git@h:2222/p.git") &&
		   netsrc_is_ssh("SSH://h/p") && !netsrc_is_ssh("git://h/r.git") &&
		   !netsrc_is_ssh("https://u@h/r.git") && !netsrc_is_ssh("./git@h:r"),
	       "ssh remotes: user@host:path and ssh://, no other scheme");
}

int main(void)
{
	kinds();
	names();
	redact();
	git();
	return tap_done();
}

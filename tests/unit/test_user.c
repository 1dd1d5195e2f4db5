/* test_user: USER / --chown resolution against a throwaway rootfs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "fsutil.h"
#include "tap.h"
#include "user.h"
#include "util.h"

static void put(const char *root, const char *rel, const char *text)
{
	char *p = path_join(root, rel);
	struct error e;

	if (write_atomic(p, text, strlen(text), 0644, &e) < 0)
		fprintf(stderr, "%s\n", e.msg);
	free(p);
}

/* "uid gid [g1,g2..] home" or "error: msg" for spec. */
static char *show(const char *root, const char *spec, int exec)
{
	struct user_ids u;
	struct error e = {0};
	char groups[256] = "";
	char *s;

	if ((exec ? user_resolve_exec : user_resolve)(root, spec, &u, &e) < 0)
		return xasprintf("error: %s", e.msg);
	for (size_t i = 0; i < u.ngroups; i++)
		snprintf(groups + strlen(groups), sizeof(groups) - strlen(groups), "%s%u",
			 i ? "," : "", (unsigned)u.groups[i]);
	s = xasprintf("%u %u [%s] %s", (unsigned)u.uid, (unsigned)u.gid, groups, u.home);
	user_ids_free(&u);
	return s;
}

#define CASE(exec, spec, want)                                                                     \
	do {                                                                                       \
		char *got_ = show(root, spec, exec);                                               \
		TAP_STREQ(got_, want, "%s %s", exec ? "RUN" : "chown", spec);                      \
		free(got_);                                                                        \
	} while (0)

static void make_root(const char *root)
{
	struct error e;
	char *etc = path_join(root, "etc");

	mkdir_p(etc, 0755, &e);
	free(etc);
	put(root, "etc/passwd",
	    "root:x:0:0:root:/root:/bin/sh\n"
	    "# comment\n"
	    "\n"
	    "app:x:1000:1001:App:/home/app:/bin/sh\n"
	    "nohome:x:1002:1002::\n"
	    "short:x:1003\n");
	put(root, "etc/group",
	    "root:x:0:\n"
	    "wheel:x:10:root,app\n"
	    "app:x:1001:\n"
	    "staff:x:50:other,app\n"
	    "audio:x:29:appx\n");
}

static void test_exec(const char *root)
{
	CASE(1, "", "0 0 [10] /root");
	CASE(1, "root", "0 0 [10] /root");
	CASE(1, "app", "1000 1001 [10,50] /home/app");
	CASE(1, "1000", "1000 1001 [10,50] /home/app");
	CASE(1, "app:staff", "1000 50 [] /home/app");
	CASE(1, "app:77", "1000 77 [] /home/app");
	CASE(1, "1000:1000", "1000 1000 [] /home/app");
	CASE(1, "4242", "4242 0 [] /");
	CASE(1, "4242:4343", "4242 4343 [] /");
	CASE(1, "nohome", "1002 1002 [] /");
	CASE(1, "short", "1003 0 [] /");
	CASE(1, "ghost", "error: unable to find user ghost: no matching entries in passwd file");
	CASE(1, "app:ghosts", "error: unable to find group ghosts");
}

static void test_chown(const char *root)
{
	CASE(0, "app", "1000 1001 [] /home/app");
	CASE(0, "1000", "1000 1000 [] /home/app");
	CASE(0, "1234", "1234 1234 [] /");
	CASE(0, "app:wheel", "1000 10 [] /home/app");
	CASE(0, "1234:99", "1234 99 [] /");
	/* BuildKit's readUser: missing names are not errors (0:0, gid kept). */
	CASE(0, "ghost", "0 0 [] /");
	CASE(0, "ghost:wheel", "0 10 [] /");
	CASE(0, "app:ghosts", "1000 1001 [] /home/app");
	CASE(0, "1234:ghosts", "1234 1234 [] /");
	/* an empty group: BuildKit's WithUser sends it as gid 0 */
	CASE(0, "app:", "1000 0 [] /home/app");
	CASE(0, "1234:", "1234 0 [] /");
	CASE(1, "app:", "1000 1001 [10,50] /home/app");
}

/* etc/passwd -> /etc/shadow must resolve inside the rootfs (a chroot's
 * view), so the host's shadow (which has root) is never read. */
static void test_symlink_escape(const char *tmp)
{
	char *root = path_join(tmp, "evil");
	char *etc = path_join(root, "etc");
	char *lnk = path_join(etc, "passwd");
	struct error e;

	mkdir_p(etc, 0755, &e);
	TAP_OK(symlink("../../../../../../etc/shadow", lnk) == 0, "symlink created");
	CASE(1, "root", "error: unable to find user root: no /etc/passwd file");
	unlink(lnk);
	TAP_OK(symlink("/etc/shadow", lnk) == 0, "absolute symlink created");
	CASE(1, "root", "error: unable to find user root: no /etc/passwd file");
	put(root, "real", "root:x:7:8::/r:\n");
	unlink(lnk);
	TAP_OK(symlink("/real", lnk) == 0, "in-root absolute symlink");
	CASE(1, "root", "7 8 [] /r");
	free(root);
	free(etc);
	free(lnk);
}

static void test_missing_files(const char *tmp)
{
	char *root = path_join(tmp, "bare");
	struct error e;

	mkdir_p(root, 0755, &e);
	CASE(1, "", "0 0 [] /");
	CASE(1, "1000:1000", "1000 1000 [] /");
	CASE(1, "app", "error: unable to find user app: no /etc/passwd file");
	CASE(0, "5", "5 5 [] /");
	CASE(0, "app:staff", "0 0 [] /");
	free(root);
}

int main(void)
{
	char tmpl[] = "/tmp/test_user.XXXXXX";
	char *tmp = mkdtemp(tmpl);
	char *root = path_join(tmp, "root");
	struct error e;

	make_root(root);
	test_exec(root);
	test_chown(root);
	test_symlink_escape(tmp);
	test_missing_files(tmp);
	remove_tree(tmp, &e);
	free(root);
	return tap_done();
}

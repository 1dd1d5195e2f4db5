/* test_netns: the network modes a spec may ask for, the namespace each
 * gets, and the resolv.conf each RUN sees (no namespaces needed). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include "error.h"
#include "netns.h"
#include "tap.h"

static void test_modes(void)
{
	static const struct {
		const char *spec;
		enum netns_mode mode;
		int flag;
	} ok[] = {{NULL, NETNS_SANDBOX, CLONE_NEWNET},
		  {"default", NETNS_SANDBOX, CLONE_NEWNET},
		  {"none", NETNS_NONE, CLONE_NEWNET},
		  {"host", NETNS_HOST, 0}};
	struct error e = {0};
	struct netns n;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int r = netns_plan(&n, ok[i].spec, &e);
		TAP_OK(r == 0 && n.mode == ok[i].mode && netns_clone_flag(&n) == ok[i].flag,
		       "network %s: mode %d, clone flag %#x", ok[i].spec ? ok[i].spec : "(absent)",
		       (int)ok[i].mode, (unsigned)ok[i].flag);
		netns_free(&n);
	}
	TAP_OK(netns_plan(&n, "sandbox", &e) < 0,
	       "network sandbox (BuildKit's internal name) is refused");
	netns_free(&n);
	TAP_OK(netns_plan(&n, "bridge", &e) < 0, "network bridge is refused");
	TAP_STREQ(e.msg, "spec: network \"bridge\": want default, none or host",
		  "... with the modes it takes");
	netns_free(&n);
}

static void test_resolv(void)
{
	static const char host[] =
	    "# generated\nnameserver 127.0.0.53\nsearch corp.test\n"
	    "options edns0 trust-ad\nnameserver 192.0.2.53\ndomain corp.test";
	struct error e = {0};
	struct netns n;
	char *r;

	netns_plan(&n, "default", &e);
	r = netns_resolv_conf(&n, host);
	TAP_STREQ(r,
		  "search corp.test\noptions edns0 trust-ad\ndomain corp.test\n"
		  "nameserver 10.0.2.3\n",
		  "default: the host's search/options/domain, the forwarder as nameserver");
	free(r);
	r = netns_resolv_conf(&n, NULL);
	TAP_STREQ(r, "nameserver 10.0.2.3\n", "default, no host file: the forwarder only");
	free(r);
	netns_plan(&n, "host", &e);
	r = netns_resolv_conf(&n, host);
	TAP_STREQ(r, host, "host: the host's file as it is");
	free(r);
	netns_plan(&n, "none", &e);
	r = netns_resolv_conf(&n, NULL);
	TAP_STREQ(r, "nameserver 8.8.8.8\nnameserver 8.8.4.4\n",
		  "none, no host file: BuildKit's fallback");
	free(r);
}

/* netns_free on a plan that never started closes nothing (fd 0 stays). */
static void test_free_unstarted(void)
{
	struct error e = {0};
	struct netns n;
	int fd = open("/dev/null", O_RDONLY);

	if (fd != 0 && dup2(fd, 0) == 0) /* fd 0 open, whatever the runner gave */
		close(fd);
	netns_plan(&n, NULL, &e);
	netns_free(&n);
	TAP_OK(fcntl(0, F_GETFD) >= 0, "fd 0 still open after free of an unstarted plan");
}

int main(void)
{
	test_modes();
	test_resolv();
	test_free_unstarted();
	return tap_done();
}

/* vg_netaddr: every refused class in IPv4 and IPv6, IPv4 embedded in IPv6 (mapped, NAT64),
 * the allow-list parser and its matching. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "tests.h"
#include "vg_netaddr.h"

static enum vg_netclass cls(const char *text)
{
	struct vg_netaddr a;

	CU_ASSERT_TRUE_FATAL(vg_netaddr_parse(text, &a));
	return vg_netaddr_class(&a);
}

struct want {
	const char *addr;
	enum vg_netclass cls;
};

static void check_all(const struct want *w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		enum vg_netclass got = cls(w[i].addr);

		if (got != w[i].cls)
			fprintf(stderr, "\n%s: class %d, want %d\n", w[i].addr, (int)got,
			        (int)w[i].cls);
		CU_ASSERT_EQUAL(got, w[i].cls);
	}
}

static void test_classes_v4(void)
{
	static const struct want w[] = {
	    {"0.0.0.0", VG_NET_UNSPECIFIED},        {"0.1.2.3", VG_NET_UNSPECIFIED},
	    {"127.0.0.1", VG_NET_LOOPBACK},         {"127.255.255.254", VG_NET_LOOPBACK},
	    {"10.0.0.5", VG_NET_PRIVATE},           {"10.255.255.255", VG_NET_PRIVATE},
	    {"172.16.0.1", VG_NET_PRIVATE},         {"172.31.255.255", VG_NET_PRIVATE},
	    {"172.15.255.255", VG_NET_PUBLIC},      {"172.32.0.0", VG_NET_PUBLIC},
	    {"192.168.1.1", VG_NET_PRIVATE},        {"192.169.0.1", VG_NET_PUBLIC},
	    {"169.254.169.254", VG_NET_LINK_LOCAL}, {"169.254.0.1", VG_NET_LINK_LOCAL},
	    {"100.64.0.1", VG_NET_SHARED},          {"100.127.255.255", VG_NET_SHARED},
	    {"100.63.255.255", VG_NET_PUBLIC},      {"100.128.0.0", VG_NET_PUBLIC},
	    {"192.0.0.8", VG_NET_PROTOCOL},         {"192.0.1.1", VG_NET_PUBLIC},
	    {"198.18.0.1", VG_NET_BENCHMARK},       {"198.19.255.255", VG_NET_BENCHMARK},
	    {"198.20.0.0", VG_NET_PUBLIC},          {"224.0.0.1", VG_NET_MULTICAST},
	    {"239.255.255.255", VG_NET_MULTICAST},  {"240.0.0.1", VG_NET_RESERVED},
	    {"255.255.255.255", VG_NET_RESERVED},   {"8.8.8.8", VG_NET_PUBLIC},
	    {"93.184.216.34", VG_NET_PUBLIC},       {"223.255.255.255", VG_NET_PUBLIC},
	};

	check_all(w, sizeof w / sizeof *w);
}

static void test_classes_v6(void)
{
	static const struct want w[] = {
	    {"::", VG_NET_UNSPECIFIED},
	    {"::1", VG_NET_LOOPBACK},
	    {"fc00::1", VG_NET_PRIVATE},
	    {"fd00:ec2::254", VG_NET_PRIVATE}, /* the EC2 metadata service */
	    {"fdff:ffff::1", VG_NET_PRIVATE},
	    {"fe80::1", VG_NET_LINK_LOCAL},
	    {"febf:ffff::1", VG_NET_LINK_LOCAL},
	    {"fec0::1", VG_NET_PRIVATE},
	    {"ff02::1", VG_NET_MULTICAST},
	    {"ff0e::1", VG_NET_MULTICAST},
	    {"::7f00:1", VG_NET_RESERVED}, /* IPv4-compatible, deprecated */
	    {"64:ff9b:1::a00:5", VG_NET_PRIVATE},
	    {"2001:4860:4860::8888", VG_NET_PUBLIC},
	    {"2a00:1450::1", VG_NET_PUBLIC},
	    {"fbff::1", VG_NET_PUBLIC},
	};

	check_all(w, sizeof w / sizeof *w);
}

/* IPv4 inside IPv6 is classed as the IPv4 address it carries. */
static void test_embedded(void)
{
	static const struct want w[] = {
	    {"::ffff:127.0.0.1", VG_NET_LOOPBACK},
	    {"::ffff:10.0.0.5", VG_NET_PRIVATE},
	    {"::ffff:169.254.169.254", VG_NET_LINK_LOCAL},
	    {"::ffff:0.0.0.0", VG_NET_UNSPECIFIED},
	    {"::ffff:8.8.8.8", VG_NET_PUBLIC},
	    {"::ffff:7f00:1", VG_NET_LOOPBACK},
	    {"64:ff9b::127.0.0.1", VG_NET_LOOPBACK},
	    {"64:ff9b::a00:5", VG_NET_PRIVATE},
	    {"64:ff9b::169.254.169.254", VG_NET_LINK_LOCAL},
	    {"64:ff9b::8.8.8.8", VG_NET_PUBLIC},
	};
	struct vg_netaddr a, v4;
	char text[64];

	check_all(w, sizeof w / sizeof *w);
	CU_ASSERT_TRUE(vg_netaddr_parse("64:ff9b::c0a8:101", &a));
	CU_ASSERT_TRUE(vg_netaddr_embedded_v4(&a, &v4));
	vg_netaddr_format(&v4, text, sizeof text);
	CU_ASSERT_STRING_EQUAL(text, "192.168.1.1");
	CU_ASSERT_TRUE(vg_netaddr_parse("2001:db8::1", &a));
	CU_ASSERT_FALSE(vg_netaddr_embedded_v4(&a, &v4));
}

static void test_parse_and_sockaddr(void)
{
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
	struct vg_netaddr a;
	char text[64];

	CU_ASSERT_FALSE(vg_netaddr_parse("localhost", &a));
	CU_ASSERT_FALSE(vg_netaddr_parse("127.1", &a));
	CU_ASSERT_FALSE(vg_netaddr_parse("[::1]", &a));
	CU_ASSERT_FALSE(vg_netaddr_parse("", &a));
	CU_ASSERT_FALSE(vg_netaddr_parse(NULL, &a));

	memset(&in, 0, sizeof in);
	in.sin_family = AF_INET;
	inet_pton(AF_INET, "10.1.2.3", &in.sin_addr);
	CU_ASSERT_TRUE(vg_netaddr_from_sockaddr((struct sockaddr *)&in, &a));
	CU_ASSERT_EQUAL(vg_netaddr_class(&a), VG_NET_PRIVATE);
	vg_netaddr_format(&a, text, sizeof text);
	CU_ASSERT_STRING_EQUAL(text, "10.1.2.3");

	memset(&in6, 0, sizeof in6);
	in6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:192.168.0.9", &in6.sin6_addr);
	CU_ASSERT_TRUE(vg_netaddr_from_sockaddr((struct sockaddr *)&in6, &a));
	CU_ASSERT_EQUAL(a.family, AF_INET6);
	CU_ASSERT_EQUAL(vg_netaddr_class(&a), VG_NET_PRIVATE);

	in.sin_family = AF_UNIX;
	CU_ASSERT_FALSE(vg_netaddr_from_sockaddr((struct sockaddr *)&in, &a));
	CU_ASSERT_STRING_EQUAL(vg_netclass_name(VG_NET_PRIVATE), "a private address");
	CU_ASSERT_STRING_EQUAL(vg_netclass_name(VG_NET_LOOPBACK), "a loopback address");
}

static bool list_ok(const char *text, struct vg_netlist *l)
{
	char why[256];

	return vg_netlist_parse(text, l, why, sizeof why);
}

static void expect_bad(const char *text, const char *needle)
{
	struct vg_netlist l;
	char why[256] = "";

	CU_ASSERT_FALSE(vg_netlist_parse(text, &l, why, sizeof why));
	if (!strstr(why, needle))
		fprintf(stderr, "\n%s: message \"%s\" lacks \"%s\"\n", text, why, needle);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, needle));
}

static void test_list_parse(void)
{
	struct vg_netlist l;

	CU_ASSERT_TRUE(list_ok("", &l));
	CU_ASSERT_EQUAL(l.n, 0);
	CU_ASSERT_TRUE(list_ok(NULL, &l));
	CU_ASSERT_EQUAL(l.n, 0);
	CU_ASSERT_TRUE(list_ok("  ", &l));
	CU_ASSERT_EQUAL(l.n, 0);
	CU_ASSERT_TRUE(list_ok("127.0.0.0/8, ::1/128", &l));
	CU_ASSERT_EQUAL(l.n, 2);
	CU_ASSERT_EQUAL(l.e[0].prefix, 8);
	CU_ASSERT_EQUAL(l.e[1].prefix, 128);
	CU_ASSERT_TRUE(list_ok("10.1.2.3,fd00::/8,0.0.0.0/0", &l));
	CU_ASSERT_EQUAL(l.n, 3);
	CU_ASSERT_EQUAL(l.e[0].prefix, 32); /* a bare address is one host */
	CU_ASSERT_EQUAL(l.e[2].prefix, 0);

	expect_bad("10.0.0.0/33", "10.0.0.0/33");
	expect_bad("::/129", "is not a network");
	expect_bad("10.0.0.0/", "is not a network");
	expect_bad("10.0.0.0/8x", "is not a network");
	expect_bad("10.0.0.0/-1", "is not a network");
	expect_bad("localhost", "like 10.1.0.0/16");
	expect_bad("10.0.0.0/8,,::1", "empty item");
	expect_bad("10.0.0.0/8,", "ends with a comma");
	expect_bad("10.0.0.0/8 192.168.0.0/16", "is not a network");
}

static bool contains(const char *list, const char *addr)
{
	struct vg_netlist l;
	struct vg_netaddr a;

	CU_ASSERT_TRUE_FATAL(list_ok(list, &l));
	CU_ASSERT_TRUE_FATAL(vg_netaddr_parse(addr, &a));
	return vg_netlist_contains(&l, &a);
}

static void test_list_match(void)
{
	CU_ASSERT_TRUE(contains("127.0.0.0/8", "127.0.0.1"));
	CU_ASSERT_TRUE(contains("127.0.0.0/8", "127.200.1.1"));
	CU_ASSERT_FALSE(contains("127.0.0.0/8", "128.0.0.1"));
	CU_ASSERT_TRUE(contains("10.1.0.0/16", "10.1.255.1"));
	CU_ASSERT_FALSE(contains("10.1.0.0/16", "10.2.0.1"));
	CU_ASSERT_TRUE(contains("172.16.0.0/12", "172.31.0.1"));
	CU_ASSERT_FALSE(contains("172.16.0.0/12", "172.32.0.1"));
	CU_ASSERT_TRUE(contains("10.0.0.5", "10.0.0.5"));
	CU_ASSERT_FALSE(contains("10.0.0.5", "10.0.0.6"));
	CU_ASSERT_TRUE(contains("0.0.0.0/0", "10.0.0.6"));
	CU_ASSERT_FALSE(contains("0.0.0.0/0", "fd00::1")); /* families never mix */
	CU_ASSERT_TRUE(contains("::1/128", "::1"));
	CU_ASSERT_FALSE(contains("::1/128", "::2"));
	CU_ASSERT_TRUE(contains("fd00::/8", "fd12:3456::1"));
	CU_ASSERT_FALSE(contains("fd00::/8", "fc00::1"));
	/* an embedded IPv4 address matches IPv4 networks */
	CU_ASSERT_TRUE(contains("127.0.0.0/8", "::ffff:127.0.0.1"));
	CU_ASSERT_TRUE(contains("10.0.0.0/8", "64:ff9b::a00:5"));
	CU_ASSERT_FALSE(contains("", "127.0.0.1"));
	CU_ASSERT_FALSE(vg_netlist_contains(NULL, &(struct vg_netaddr){.family = AF_INET}));
}

static enum vg_netclass refused(const char *list, const char *addr)
{
	struct vg_netlist l;
	struct vg_netaddr a;

	CU_ASSERT_TRUE_FATAL(list_ok(list, &l));
	CU_ASSERT_TRUE_FATAL(vg_netaddr_parse(addr, &a));
	return vg_netaddr_refused(&a, &l);
}

static void test_refused(void)
{
	CU_ASSERT_EQUAL(refused("", "127.0.0.1"), VG_NET_LOOPBACK);
	CU_ASSERT_EQUAL(refused("127.0.0.0/8, ::1/128", "127.0.0.1"), VG_NET_PUBLIC);
	CU_ASSERT_EQUAL(refused("127.0.0.0/8, ::1/128", "::1"), VG_NET_PUBLIC);
	CU_ASSERT_EQUAL(refused("127.0.0.0/8, ::1/128", "::ffff:127.0.0.1"), VG_NET_PUBLIC);
	CU_ASSERT_EQUAL(refused("127.0.0.0/8, ::1/128", "10.0.0.5"), VG_NET_PRIVATE);
	CU_ASSERT_EQUAL(refused("127.0.0.0/8", "::ffff:10.0.0.5"), VG_NET_PRIVATE);
	CU_ASSERT_EQUAL(refused("127.0.0.0/8", "64:ff9b::a9fe:a9fe"), VG_NET_LINK_LOCAL);
	CU_ASSERT_EQUAL(refused("10.0.0.0/24", "10.0.0.5"), VG_NET_PUBLIC);
	CU_ASSERT_EQUAL(refused("10.0.0.0/24", "10.0.1.5"), VG_NET_PRIVATE);
	CU_ASSERT_EQUAL(refused("", "8.8.8.8"), VG_NET_PUBLIC);
	CU_ASSERT_EQUAL(refused("", "2001:4860:4860::8888"), VG_NET_PUBLIC);
	{
		struct vg_netaddr a;

		CU_ASSERT_TRUE(vg_netaddr_parse("169.254.169.254", &a));
		CU_ASSERT_EQUAL(vg_netaddr_refused(&a, NULL), VG_NET_LINK_LOCAL);
	}
}

void t_netaddr_register(void)
{
	static const CU_TestInfo tests[] = {
	    {"IPv4 classes", test_classes_v4},
	    {"IPv6 classes", test_classes_v6},
	    {"IPv4 embedded in IPv6", test_embedded},
	    {"parse and sockaddr", test_parse_and_sockaddr},
	    {"allow-list parse", test_list_parse},
	    {"allow-list match", test_list_match},
	    {"refused with an allow-list", test_refused},
	    CU_TEST_INFO_NULL,
	};

	vg_test_suite("netaddr", tests);
}

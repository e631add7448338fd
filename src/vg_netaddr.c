/* Address classes and CIDR lists (see vg_netaddr.h). */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "vg_netaddr.h"

/* One refused network: prefix bits of net (4 bytes for IPv4, 16 for IPv6). */
struct refused {
	unsigned char net[16];
	int prefix;
	enum vg_netclass cls;
};

static const struct refused refused_v4[] = {
    {{0, 0, 0, 0}, 8, VG_NET_UNSPECIFIED},   {{127, 0, 0, 0}, 8, VG_NET_LOOPBACK},
    {{10, 0, 0, 0}, 8, VG_NET_PRIVATE},      {{172, 16, 0, 0}, 12, VG_NET_PRIVATE},
    {{192, 168, 0, 0}, 16, VG_NET_PRIVATE},  {{169, 254, 0, 0}, 16, VG_NET_LINK_LOCAL},
    {{100, 64, 0, 0}, 10, VG_NET_SHARED},    {{192, 0, 0, 0}, 24, VG_NET_PROTOCOL},
    {{198, 18, 0, 0}, 15, VG_NET_BENCHMARK}, {{224, 0, 0, 0}, 4, VG_NET_MULTICAST},
    {{240, 0, 0, 0}, 4, VG_NET_RESERVED},
};

static const struct refused refused_v6[] = {
    {{0}, 128, VG_NET_UNSPECIFIED},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128, VG_NET_LOOPBACK},
    /* the deprecated IPv4-compatible ::a.b.c.d: never a public destination */
    {{0}, 96, VG_NET_RESERVED},
    {{0xfc}, 7, VG_NET_PRIVATE},
    {{0xfe, 0xc0}, 10, VG_NET_PRIVATE},                /* deprecated site-local */
    {{0, 0x64, 0xff, 0x9b, 0, 1}, 48, VG_NET_PRIVATE}, /* local-use NAT64 (RFC 8215) */
    {{0xfe, 0x80}, 10, VG_NET_LINK_LOCAL},
    {{0xff}, 8, VG_NET_MULTICAST},
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const char *vg_netclass_name(enum vg_netclass c)
{
	switch (c) {
	case VG_NET_PUBLIC:
		return "a public address";
	case VG_NET_UNSPECIFIED:
		return "an unspecified address";
	case VG_NET_LOOPBACK:
		return "a loopback address";
	case VG_NET_PRIVATE:
		return "a private address";
	case VG_NET_LINK_LOCAL:
		return "a link-local address";
	case VG_NET_SHARED:
		return "a shared (carrier-grade NAT) address";
	case VG_NET_PROTOCOL:
		return "an IETF protocol assignment address";
	case VG_NET_BENCHMARK:
		return "a benchmarking address";
	case VG_NET_MULTICAST:
		return "a multicast address";
	case VG_NET_RESERVED:
		return "a reserved address";
	}
	return "a refused address";
}

static int addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

/* The first prefix bits of a and b are equal. */
static bool prefix_eq(const unsigned char *a, const unsigned char *b, int prefix)
{
	int whole = prefix / 8, rest = prefix % 8;

	if (memcmp(a, b, (size_t)whole) != 0)
		return false;
	if (rest == 0)
		return true;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));

	return (a[whole] & mask) == (b[whole] & mask);
}

bool vg_netaddr_parse(const char *text, struct vg_netaddr *out)
{
	memset(out, 0, sizeof *out);
	if (!text)
		return false;
	if (inet_pton(AF_INET, text, out->b) == 1) {
		out->family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, text, out->b) == 1) {
		out->family = AF_INET6;
		return true;
	}
	memset(out, 0, sizeof *out);
	return false;
}

bool vg_netaddr_from_sockaddr(const struct sockaddr *sa, struct vg_netaddr *out)
{
	memset(out, 0, sizeof *out);
	if (!sa)
		return false;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;

		out->family = AF_INET;
		memcpy(out->b, &in->sin_addr, 4);
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;

		out->family = AF_INET6;
		memcpy(out->b, &in6->sin6_addr, 16);
		return true;
	}
	return false;
}

void vg_netaddr_format(const struct vg_netaddr *a, char *buf, size_t size)
{
	if (!size)
		return;
	if (!inet_ntop(a->family, a->b, buf, (socklen_t)size))
		snprintf(buf, size, "(unknown address)");
}

bool vg_netaddr_embedded_v4(const struct vg_netaddr *a, struct vg_netaddr *v4)
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	static const unsigned char nat64[12] = {0, 0x64, 0xff, 0x9b};

	if (a->family != AF_INET6 ||
	    (memcmp(a->b, mapped, 12) != 0 && memcmp(a->b, nat64, 12) != 0))
		return false;
	memset(v4, 0, sizeof *v4);
	v4->family = AF_INET;
	memcpy(v4->b, a->b + 12, 4);
	return true;
}

enum vg_netclass vg_netaddr_class(const struct vg_netaddr *a)
{
	struct vg_netaddr v4;
	const struct refused *t = refused_v6;
	size_t n = NELEM(refused_v6);

	if (vg_netaddr_embedded_v4(a, &v4))
		return vg_netaddr_class(&v4);
	if (a->family == AF_INET) {
		t = refused_v4;
		n = NELEM(refused_v4);
	} else if (a->family != AF_INET6) {
		return VG_NET_UNSPECIFIED;
	}
	for (size_t i = 0; i < n; i++)
		if (prefix_eq(a->b, t[i].net, t[i].prefix))
			return t[i].cls;
	return VG_NET_PUBLIC;
}

/* One item "addr" or "addr/prefix" of len bytes at s. */
static bool parse_item(const char *s, size_t len, struct vg_netaddr *net, int *prefix)
{
	char buf[INET6_ADDRSTRLEN + 8];
	char *slash;
	int max, p = -1;

	if (len == 0 || len >= sizeof buf)
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	slash = strchr(buf, '/');
	if (slash) {
		*slash++ = '\0';
		if (!*slash || strlen(slash) > 3)
			return false;
		p = 0;
		for (const char *d = slash; *d; d++) {
			if (*d < '0' || *d > '9')
				return false;
			p = p * 10 + (*d - '0');
		}
	}
	if (!vg_netaddr_parse(buf, net))
		return false;
	max = addr_len(net->family) * 8;
	if (p > max)
		return false;
	*prefix = p < 0 ? max : p;
	return true;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool vg_netlist_parse(const char *text, struct vg_netlist *out, char *why, size_t why_size)
{
	const char *p = text ? text : "";

	memset(out, 0, sizeof *out);
	while (*p) {
		const char *end = strchr(p, ',');
		size_t len;

		if (!end)
			end = p + strlen(p);
		while (p < end && blank(*p))
			p++;
		len = (size_t)(end - p);
		while (len > 0 && blank(p[len - 1]))
			len--;
		if (len > 0) {
			if (out->n == VG_NETLIST_MAX) {
				snprintf(why, why_size, "more than %d networks", VG_NETLIST_MAX);
				return false;
			}
			if (!parse_item(p, len, &out->e[out->n].net, &out->e[out->n].prefix)) {
				snprintf(why, why_size,
				         "\"%.*s\" is not a network: write an address with an "
				         "optional prefix length, like 10.1.0.0/16 or fd00::/8",
				         (int)(len > 64 ? 64 : len), p);
				return false;
			}
			out->n++;
		} else if (*end == ',') {
			snprintf(why, why_size,
			         "an empty item: separate the networks with single commas");
			return false;
		}
		p = *end ? end + 1 : end;
		if (*end == ',' && !*p) {
			snprintf(why, why_size, "the list ends with a comma: remove it");
			return false;
		}
	}
	return true;
}

static bool in_list(const struct vg_netlist *l, const struct vg_netaddr *a)
{
	for (int i = 0; i < l->n; i++)
		if (l->e[i].net.family == a->family &&
		    prefix_eq(a->b, l->e[i].net.b, l->e[i].prefix))
			return true;
	return false;
}

bool vg_netlist_contains(const struct vg_netlist *l, const struct vg_netaddr *a)
{
	struct vg_netaddr v4;

	if (!l)
		return false;
	return in_list(l, a) || (vg_netaddr_embedded_v4(a, &v4) && in_list(l, &v4));
}

enum vg_netclass vg_netaddr_refused(const struct vg_netaddr *a, const struct vg_netlist *allow)
{
	enum vg_netclass c = vg_netaddr_class(a);

	if (c == VG_NET_PUBLIC || vg_netlist_contains(allow, a))
		return VG_NET_PUBLIC;
	return c;
}

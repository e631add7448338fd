/* Network addresses a webhook may not reach (design "SSRF"): the classes of IPv4 and IPv6
 * addresses that name this host, its networks or special uses, including IPv4 embedded in
 * IPv6 (::ffff:a.b.c.d, NAT64 64:ff9b::/96), and the CIDR allow-list of
 * webhooks.allow_networks.  Pure: no I/O, no allocation. */
#ifndef VG_NETADDR_H
#define VG_NETADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* An address; IPv4 is kept as IPv4 (family AF_INET, 4 bytes used). */
struct vg_netaddr {
	int family; /* AF_INET | AF_INET6 */
	unsigned char b[16];
};

enum vg_netclass {
	VG_NET_PUBLIC = 0,  /* anything else: allowed */
	VG_NET_UNSPECIFIED, /* 0.0.0.0/8, :: */
	VG_NET_LOOPBACK,    /* 127/8, ::1 */
	VG_NET_PRIVATE,     /* 10/8, 172.16/12, 192.168/16, fc00::/7 */
	VG_NET_LINK_LOCAL,  /* 169.254/16 (cloud metadata), fe80::/10 */
	VG_NET_SHARED,      /* 100.64/10 (carrier-grade NAT) */
	VG_NET_PROTOCOL,    /* 192.0.0.0/24 (IETF protocol assignments) */
	VG_NET_BENCHMARK,   /* 198.18/15 */
	VG_NET_MULTICAST,   /* 224/4, ff00::/8 */
	VG_NET_RESERVED     /* 240/4, broadcast included */
};

/* "a private address", "a loopback address" …: completes "10.0.0.5 is …". */
const char *vg_netclass_name(enum vg_netclass c);

/* A textual IPv4 or IPv6 address (no brackets, no zone); false when it is not one. */
bool vg_netaddr_parse(const char *text, struct vg_netaddr *out);
/* From a socket address (AF_INET / AF_INET6); false for other families. */
bool vg_netaddr_from_sockaddr(const struct sockaddr *sa, struct vg_netaddr *out);
/* Text form into buf (INET6_ADDRSTRLEN is enough). */
void vg_netaddr_format(const struct vg_netaddr *a, char *buf, size_t size);
/* The IPv4 address an IPv6 one embeds (IPv4-mapped or NAT64 64:ff9b::/96); false when none. */
bool vg_netaddr_embedded_v4(const struct vg_netaddr *a, struct vg_netaddr *v4);

/* The class of a; an IPv6 address that embeds IPv4 is classed by the IPv4 address. */
enum vg_netclass vg_netaddr_class(const struct vg_netaddr *a);

/* A CIDR allow-list: "a.b.c.d/n, x::/n, …" (a bare address means the single host). */
#define VG_NETLIST_MAX 64
struct vg_netlist {
	int n;
	struct {
		struct vg_netaddr net;
		int prefix;
	} e[VG_NETLIST_MAX];
};

/* Parses a comma-separated list (blanks around items ignored, "" = empty).  false with a
 * message in why (naming the bad item and the expected form) when an item is malformed. */
bool vg_netlist_parse(const char *text, struct vg_netlist *out, char *why, size_t why_size);
/* a is in one of the networks (an embedded IPv4 address matches IPv4 networks too). */
bool vg_netlist_contains(const struct vg_netlist *l, const struct vg_netaddr *a);

/* The webhook policy: VG_NET_PUBLIC when a may be connected to, else the refused class.
 * allow may be NULL (nothing allowed beyond public addresses). */
enum vg_netclass vg_netaddr_refused(const struct vg_netaddr *a, const struct vg_netlist *allow);

#endif

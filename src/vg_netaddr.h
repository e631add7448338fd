/* placeholder */
#ifndef VG_NETADDR_H
#define VG_NETADDR_H
#endif

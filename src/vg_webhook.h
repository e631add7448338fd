/* placeholder */
#ifndef VG_WEBHOOK_H
#define VG_WEBHOOK_H
#endif

/* PLACEHOLDER: replaced by the helper that owns this file. */
#ifndef VG_CRON_COMMON_H
#define VG_CRON_COMMON_H
#endif

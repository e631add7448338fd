/* veogen-cleanup's parts: retention of rows (veogen_cleanup.c) and of storage
 * (cleanup_files.c). */
#ifndef VG_CLEANUP_H
#define VG_CLEANUP_H

#include "cron_common.h"

/* Stale temp files and directories ("*.tmp.*") under storage.dir older than
 * retention.temp_hours: removed (counted in *n). */
int cleanup_temp_files(struct cron *c, long *n);
/* Files under storage.dir that no row names, older than retention.temp_hours (a younger
 * one may belong to a row about to be committed): removed. */
int cleanup_orphans(struct cron *c, long *n);
/* Rows whose file is gone: reported, never changed. */
int cleanup_vanished(struct cron *c, long *n);

#endif

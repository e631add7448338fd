/* PLACEHOLDER */
#include "cron_common.h"
typedef int vg_placeholder_cron_common;

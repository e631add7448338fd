/* PLACEHOLDER */
#include "vg_metrics.h"
typedef int vg_placeholder_vg_metrics;

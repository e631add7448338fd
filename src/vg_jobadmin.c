/* PLACEHOLDER */
#include "vg_jobadmin.h"
typedef int vg_placeholder_vg_jobadmin;

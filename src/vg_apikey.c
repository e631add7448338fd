/* PLACEHOLDER */
#include "vg_apikey.h"
typedef int vg_placeholder_vg_apikey;

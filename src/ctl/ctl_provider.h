/* veogenctl provider check: asks each enabled remote provider about every model of the
 * config's capability table (models.get, not billed) and reports which answer. */
#ifndef VG_CTL_PROVIDER_H
#define VG_CTL_PROVIDER_H

#include <stdio.h>

#include "vg_conf.h"

/* Prints one line per model to out; returns the number of models that did not answer
 * (0 = all good), or -1 when no remote provider is enabled. */
int ctl_provider_check(const struct vg_conf *c, FILE *out);

#endif

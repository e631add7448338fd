/* veogenctl user … */
#ifndef VG_CTL_USER_H
#define VG_CTL_USER_H

#include <stdbool.h>

#include "ctl.h"
#include "vg_useradmin.h"

int ctl_cmd_user(struct ctl *ctl, int argc, char **argv);

/* The actor of every change made from the command line, for the audit rows. */
extern const struct vg_actor ctl_actor;

#endif

/* veogenctl user …, and the argument parsing the account commands share. */
#ifndef VG_CTL_USER_H
#define VG_CTL_USER_H

#include <stdbool.h>

#include "ctl.h"
#include "vg_useradmin.h"

int ctl_cmd_user(struct ctl *ctl, int argc, char **argv);

/* Parses a subcommand that takes exactly nargs operands (named in names, for the message)
 * and at most --json (when json is not NULL) and --help.  Returns -1 when the command may
 * go on with the operands in pos, else the exit status (help shown: EX_OK). */
int ctl_args(int argc, char **argv, const char *usage, const char *const *names, int nargs,
             bool *json, const char **pos);

/* The actor of every change made from the command line, for the audit rows. */
extern const struct vg_actor ctl_actor;

#endif

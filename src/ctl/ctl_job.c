/* PLACEHOLDER: replaced by the helper that owns this file. */
#include "config.h"

#include <sysexits.h>

#include "ctl.h"

int ctl_cmd_job(struct ctl *ctl, int argc, char **argv)
{
	(void)ctl;
	(void)argc;
	(void)argv;
	return ctl_usage_error("", "%s", "not built yet");
}

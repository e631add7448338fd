/* PLACEHOLDER: replaced by the helper that owns this file. */
#ifndef PLACEHOLDER_vg_metrics_H
#define PLACEHOLDER_vg_metrics_H
#endif

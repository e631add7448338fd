/* PLACEHOLDER */
#ifndef PLACEHOLDER_vg_apikey_H
#define PLACEHOLDER_vg_apikey_H
#endif

/* enhance_prompt: the Gemini text client turns a short idea into the detailed prompt Veo
 * does best with (subject, action, setting, camera, light, sound). */
#ifndef VG_VIDEO_ENHANCE_H
#define VG_VIDEO_ENHANCE_H

#include "vg_conf.h"
#include "vg_err.h"

/* The rewrite of prompt (malloc into *out).  A prompt the text model refuses is
 * VG_EINVAL "provider_rejected" (fails the video); an unreachable model is transient. */
int video_enhance_prompt(const struct vg_conf *c, const char *prompt, char **out,
                         struct vg_err *err);

#endif

/* Every HTTP handler, one file per resource (h_<resource>.c).  Signature: vg_handler_fn.
 * Path captures are in r->params[0..] in the order of the {…} segments of the pattern. */
#ifndef VG_HANDLERS_H
#define VG_HANDLERS_H

#include "fcgi_http.h"

/* h_health.c */
int h_healthz(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
int h_readyz(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
/* h_openapi.c */
int h_openapi(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
/* h_styles.c */
int h_styles_list(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
/* h_providers.c */
int h_providers_list(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
/* h_auth.c */
int h_auth_register(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
int h_auth_login(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
int h_auth_refresh(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
int h_auth_logout(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
/* h_me.c */
int h_me_get(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
/* h_webhooks.c */
int h_me_webhook_secret_get(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
int h_me_webhook_secret_rotate(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
int h_me_webhook_deliveries(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
/* h_apikeys.c */
int h_apikeys_create(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
int h_apikeys_list(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
int h_apikeys_delete(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
/* h_videos.c */
int h_videos_create(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
int h_videos_list(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
int h_videos_get(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
int h_videos_cancel(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
int h_videos_delete(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
int h_videos_content(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
int h_videos_thumbnail(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
/* h_files.c */
int h_files_create(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
int h_files_get(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
int h_files_content(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
int h_files_delete(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
/* h_movies.c */
int h_movies_create(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
int h_movies_list(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
int h_movies_get(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
int h_movies_patch(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
int h_movies_delete(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
/* h_scenes.c */
int h_scenes_add(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
int h_scenes_patch(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
int h_scenes_delete(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
int h_scenes_reorder(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
/* h_movie_render.c */
int h_movies_render(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
int h_scenes_regenerate(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
int h_movies_cancel(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
/* h_movie_files.c */
int h_movies_content(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
int h_movies_poster(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
int h_movies_contact_sheet(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
int h_movies_hls(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
int h_movies_subtitles(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
/* h_metrics.c */
int h_metrics(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
/* h_admin_users.c */
int h_admin_users_list(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
int h_admin_users_get(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
int h_admin_users_patch(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
/* h_admin_jobs.c */
int h_admin_jobs_list(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
int h_admin_jobs_get(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
int h_admin_jobs_retry(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
int h_admin_jobs_cancel(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
/* h_admin_audit.c */
int h_admin_audit_list(struct vg_req *r, struct vg_resp *w, struct vg_err *err);
/* h_admin_usage.c */
int h_admin_usage(struct vg_req *r, struct vg_resp *w, struct vg_err *err);

#endif

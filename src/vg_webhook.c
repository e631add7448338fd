/* Webhook secrets, signatures, bodies and one delivery attempt (see vg_webhook.h). */
#include "config.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "vg_conf.h"
#include "vg_json.h"
#include "vg_log.h"
#include "vg_movie.h"
#include "vg_netaddr.h"
#include "vg_str.h"
#include "vg_video.h"
#include "vg_webhook.h"

#define SECRET_PREFIX "whsec_"
#define SECRET_BYTES  32
#define KEY_MAX       64 /* longest key a secret may carry (base64 of it: 88 characters) */
#define XSTR(x)       STR(x)
#define STR(x)        #x

/* ---------------------------------------------------------------- secrets */

int vg_webhook_secret_new(char out[VG_WEBHOOK_SECRET_MAX])
{
	unsigned char raw[SECRET_BYTES];
	char b64[(SECRET_BYTES + 2) / 3 * 4 + 1];

	if (RAND_bytes(raw, sizeof raw) != 1)
		return -1;
	EVP_EncodeBlock((unsigned char *)b64, raw, sizeof raw);
	snprintf(out, VG_WEBHOOK_SECRET_MAX, SECRET_PREFIX "%s", b64);
	return 0;
}

/* The columns every secret query returns: the secret and when it was made, and the previous
 * one with its end while it still signs. */
#define SECRET_COLUMNS                                                                             \
	"webhook_secret AS secret, vg_rfc3339(webhook_secret_created_at) AS created_at, "          \
	"CASE WHEN webhook_secret_previous IS NOT NULL AND webhook_secret_rotated_at > now() - "   \
	"make_interval(secs => " XSTR(                                                             \
	    VG_WEBHOOK_PREVIOUS_VALID_S) ") THEN "                                                 \
	                                 "webhook_secret_previous END AS previous, "               \
	                                 "CASE WHEN webhook_secret_previous IS NOT NULL AND "      \
	                                 "webhook_secret_rotated_at > now() - "                    \
	                                 "make_interval(secs => " XSTR(                            \
	                                     VG_WEBHOOK_PREVIOUS_VALID_S) ") THEN "                \
	                                                                  "vg_rfc3339(webhook_"    \
	                                                                  "secret_rotated_at + "   \
	                                                                  "make_interval(secs "    \
	                                                                  "=> " XSTR(              \
	                                                                      VG_WEBHOOK_PREVIOUS_VALID_S) ")) END AS previous_valid_until"

static int new_secret(char out[VG_WEBHOOK_SECRET_MAX], struct vg_err *err)
{
	if (vg_webhook_secret_new(out) != 0)
		return vg_err_set(err, VG_EINTERNAL, NULL,
		                  "no random bytes for a webhook secret: the system random "
		                  "generator is unavailable");
	return VG_OK;
}

static PGresult *user_not_found(const char *user_id, struct vg_err *err)
{
	vg_err_set(err, VG_ENOTFOUND, NULL, "no user %s: sign in again", user_id);
	return NULL;
}

/* The user's secret row (SECRET_COLUMNS), the secret created when there is none yet (by
 * whoever gets there first: the update only fills an empty one). */
static PGresult *secret_row(struct vg_db *db, struct vg_arena *a, const char *user_id, bool rotate,
                            struct vg_err *err)
{
	char fresh[VG_WEBHOOK_SECRET_MAX];
	PGresult *r;

	if (!vg_str_is_uuid(user_id))
		return user_not_found(user_id ? user_id : "(none)", err);
	if (rotate) {
		if (new_secret(fresh, err) != VG_OK)
			return NULL;
		r = vg_db_q(
		    db, a, err,
		    "UPDATE users SET webhook_secret_previous = webhook_secret, "
		    "webhook_secret_rotated_at = CASE WHEN webhook_secret IS NULL THEN NULL "
		    "ELSE now() END, webhook_secret = $2, webhook_secret_created_at = now() "
		    "WHERE id = $1 RETURNING " SECRET_COLUMNS,
		    user_id, fresh);
		if (r && PQntuples(r) != 1)
			return user_not_found(user_id, err);
		return r;
	}
	r = vg_db_q(db, a, err, "SELECT " SECRET_COLUMNS " FROM users WHERE id = $1", user_id);
	if (!r)
		return NULL;
	if (PQntuples(r) != 1)
		return user_not_found(user_id, err);
	if (vg_db_get(r, 0, "secret"))
		return r;
	if (new_secret(fresh, err) != VG_OK ||
	    !vg_db_q(db, a, err,
	             "UPDATE users SET webhook_secret = $2, webhook_secret_created_at = now() "
	             "WHERE id = $1 AND webhook_secret IS NULL",
	             user_id, fresh))
		return NULL;
	r = vg_db_q(db, a, err, "SELECT " SECRET_COLUMNS " FROM users WHERE id = $1", user_id);
	if (r && (PQntuples(r) != 1 || !vg_db_get(r, 0, "secret")))
		return user_not_found(user_id, err);
	return r;
}

int vg_webhook_secret_get(struct vg_db *db, struct vg_arena *a, const char *user_id, bool rotate,
                          json_t **out, struct vg_err *err)
{
	PGresult *r = secret_row(db, a, user_id, rotate, err);
	json_t *o;

	*out = NULL;
	if (!r)
		return err->rc;
	o = vg_json_own(a, json_object());
	if (json_object_set_new(o, "secret", vg_json_str_or_null(vg_db_get(r, 0, "secret"))) ||
	    json_object_set_new(o, "created_at", vg_json_time(vg_db_get(r, 0, "created_at"))) ||
	    json_object_set_new(o, "previous_valid_until",
	                        vg_json_time(vg_db_get(r, 0, "previous_valid_until"))))
		vg_oom(64);
	*out = o;
	return VG_OK;
}

int vg_webhook_secrets_for_signing(struct vg_db *db, struct vg_arena *a, const char *user_id,
                                   const char **current, const char **previous, struct vg_err *err)
{
	PGresult *r = secret_row(db, a, user_id, false, err);

	*current = *previous = NULL;
	if (!r)
		return err->rc;
	*current = vg_db_get(r, 0, "secret");
	*previous = vg_db_get(r, 0, "previous");
	return VG_OK;
}

/* ---------------------------------------------------------------- signing */

/* The HMAC key of a secret: the base64 after "whsec_".  false when malformed. */
static bool secret_key(const char *secret, unsigned char key[KEY_MAX + 3], int *len)
{
	size_t plen = strlen(SECRET_PREFIX), n;
	const char *b64;
	int got, pad = 0;

	if (!secret || strncmp(secret, SECRET_PREFIX, plen) != 0)
		return false;
	b64 = secret + plen;
	n = strlen(b64);
	if (n == 0 || n % 4 != 0 || n > (KEY_MAX + 2) / 3 * 4)
		return false;
	got = EVP_DecodeBlock(key, (const unsigned char *)b64, (int)n);
	if (got < 0)
		return false;
	pad = (b64[n - 1] == '=') + (b64[n - 2] == '=');
	*len = got - pad;
	return *len > 0;
}

/* "v1,<base64 HMAC-SHA256(key, msg)>" into out (at least 48 bytes). */
static bool sign_one(const char *secret, const unsigned char *msg, size_t msg_len, char *out)
{
	unsigned char key[KEY_MAX + 3], mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	int key_len;

	if (!secret_key(secret, key, &key_len) ||
	    !HMAC(EVP_sha256(), key, key_len, msg, msg_len, mac, &mac_len) || mac_len != 32)
		return false;
	memcpy(out, "v1,", 3);
	EVP_EncodeBlock((unsigned char *)out + 3, mac, (int)mac_len);
	return true;
}

char *vg_webhook_sign(struct vg_arena *a, const char *msg_id, long long timestamp, const char *body,
                      size_t body_len, const char *secret, const char *previous)
{
	char head[160], sig1[64], sig2[64];
	int hn = snprintf(head, sizeof head, "%s.%lld.", msg_id, timestamp);
	unsigned char *msg;

	if (hn < 0 || (size_t)hn >= sizeof head)
		return NULL;
	msg = vg_arena_alloc(a, (size_t)hn + body_len + 1);
	memcpy(msg, head, (size_t)hn);
	memcpy(msg + hn, body, body_len);
	if (!sign_one(secret, msg, (size_t)hn + body_len, sig1))
		return NULL;
	if (!previous)
		return vg_arena_strdup(a, sig1);
	if (!sign_one(previous, msg, (size_t)hn + body_len, sig2))
		return NULL;
	return vg_arena_printf(a, "%s %s", sig1, sig2);
}

/* ---------------------------------------------------------------- the body */

/* The API object of the target as GET renders it; NULL with VG_ENOTFOUND when gone. */
static json_t *target_json(const struct vg_conf *conf, struct vg_db *db, struct vg_arena *a,
                           const char *target_type, const char *target_id, struct vg_err *err)
{
	bool movie = vg_str_eq(target_type, "movie");
	PGresult *r, *scenes = NULL;

	r = vg_db_q(db, a, err,
	            movie ? "SELECT " VG_MOVIE_COLUMNS " FROM movies m WHERE m.id = $1"
	                  : "SELECT " VG_VIDEO_COLUMNS " FROM videos v WHERE v.id = $1",
	            target_id);
	if (!r)
		return NULL;
	if (PQntuples(r) != 1) {
		vg_err_set(err, VG_ENOTFOUND, NULL,
		           "the %s was deleted before it could be delivered",
		           movie ? "movie" : "video");
		return NULL;
	}
	if (!movie)
		return vg_json_own(a, vg_video_to_json(r, 0));
	scenes = vg_db_q(db, a, err,
	                 "SELECT " VG_SCENE_COLUMNS " FROM scene_state s WHERE s.movie_id = $1 "
	                 "ORDER BY s.position",
	                 target_id);
	if (!scenes)
		return NULL;
	return vg_json_own(a, vg_movie_to_json(conf, r, 0, scenes));
}

static void set_new(json_t *o, const char *key, json_t *v)
{
	if (!v || json_object_set_new(o, key, v) != 0)
		vg_oom(64);
}

int vg_webhook_render(const struct vg_conf *conf, struct vg_db *db, struct vg_arena *a,
                      const char *target_type, const char *target_id, const char *type,
                      const char *created_at, const char *snapshot_json, char **body,
                      struct vg_err *err)
{
	static const char *const snapped[] = {"status", "progress", "stage"};
	json_t *data = target_json(conf, db, a, target_type, target_id, err), *snap, *env;

	*body = NULL;
	if (!data)
		return err->rc;
	/* what the target was when the event happened, not what it is now */
	snap = snapshot_json ? vg_json_own(a, json_loads(snapshot_json, 0, NULL)) : NULL;
	for (size_t i = 0; json_is_object(snap) && i < sizeof snapped / sizeof *snapped; i++) {
		json_t *v = json_object_get(snap, snapped[i]);

		if (v && json_object_set(data, snapped[i], v) != 0)
			vg_oom(64);
	}
	env = vg_json_own(a, json_object());
	set_new(env, "type", json_string(type));
	set_new(env, "object", json_string(vg_str_eq(target_type, "movie") ? "movie" : "video"));
	set_new(env, "timestamp", vg_json_time(created_at));
	if (json_object_set(env, "data", data) != 0)
		vg_oom(64);
	*body = vg_json_dump(a, env);
	if (!*body)
		return vg_err_set(err, VG_EINTERNAL, NULL,
		                  "the %s %s could not be written as JSON for its webhook",
		                  target_type, target_id);
	return VG_OK;
}

long vg_webhook_retry_delay_ms(int attempts, long base_ms, long max_ms, double rnd)
{
	double d = base_ms > 0 ? (double)base_ms : 1;

	for (int i = 1; i < attempts && d < (double)max_ms; i++)
		d *= 4;
	if (d > (double)max_ms)
		d = (double)max_ms;
	d *= 0.9 + 0.2 * (rnd < 0 ? 0 : rnd > 1 ? 1 : rnd);
	return d < 1 ? 1 : (long)d;
}

/* ---------------------------------------------------------------- delivery */

struct post_ctx {
	struct vg_netlist allow;
	bool refused;          /* an address was refused */
	char refused_addr[64]; /* the first one */
	enum vg_netclass refused_as;
	char tried[64]; /* the last address a socket was opened for */
};

/* Sees every address libcurl is about to connect to, after name resolution: the one place
 * that cannot be fooled by DNS answers that change between a check and the connect. */
static curl_socket_t open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *address)
{
	struct post_ctx *p = clientp;
	struct vg_netaddr na;
	enum vg_netclass c;
	char text[64];

	if (purpose != CURLSOCKTYPE_IPCXN || !vg_netaddr_from_sockaddr(&address->addr, &na))
		return CURL_SOCKET_BAD;
	vg_netaddr_format(&na, text, sizeof text);
	c = vg_netaddr_refused(&na, &p->allow);
	if (c != VG_NET_PUBLIC) {
		if (!p->refused) {
			p->refused = true;
			p->refused_as = c;
			vg_strlcpy(p->refused_addr, text, sizeof p->refused_addr);
		}
		return CURL_SOCKET_BAD;
	}
	vg_strlcpy(p->tried, text, sizeof p->tried);
	return socket(address->family, address->socktype, address->protocol);
}

static size_t discard(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	(void)ptr;
	(void)userdata;
	return size * nmemb;
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct curl_slist *post_headers(const char *msg_id, long long timestamp,
                                       const char *signature)
{
	char line[1024];
	struct curl_slist *h = NULL, *n;
	const char *fixed[] = {"Content-Type: application/json", "Expect:", NULL};

	for (int i = 0; fixed[i]; i++) {
		if (!(n = curl_slist_append(h, fixed[i])))
			goto oom;
		h = n;
	}
	snprintf(line, sizeof line, "webhook-id: %s", msg_id);
	if (!(n = curl_slist_append(h, line)))
		goto oom;
	h = n;
	snprintf(line, sizeof line, "webhook-timestamp: %lld", timestamp);
	if (!(n = curl_slist_append(h, line)))
		goto oom;
	h = n;
	snprintf(line, sizeof line, "webhook-signature: %s", signature);
	if (!(n = curl_slist_append(h, line)))
		goto oom;
	return n;
oom:
	curl_slist_free_all(h);
	vg_oom(sizeof line);
}

/* What went wrong, for the attempt log and the deliveries list. */
static void describe(const struct vg_conf *conf, CURLcode cc, const char *errbuf,
                     const struct post_ctx *p, struct vg_webhook_result *res)
{
	long st = res->status;

	if (cc == CURLE_OK && st >= 200 && st < 300) {
		res->error[0] = '\0';
	} else if (cc == CURLE_OK && st >= 300 && st < 400) {
		snprintf(res->error, sizeof res->error,
		         "the receiver answered %ld, a redirect; redirects are not followed: "
		         "set webhook_url to the final address",
		         st);
	} else if (cc == CURLE_OK) {
		snprintf(res->error, sizeof res->error, "the receiver answered %ld", st);
	} else if (p->refused && !res->address[0]) {
		res->refused = true;
		snprintf(res->error, sizeof res->error,
		         "refused: %s is %s (allow it with webhooks.allow_networks)",
		         p->refused_addr, vg_netclass_name(p->refused_as));
		vg_strlcpy(res->address, p->refused_addr, sizeof res->address);
	} else if (cc == CURLE_OPERATION_TIMEDOUT) {
		snprintf(res->error, sizeof res->error,
		         "no answer within %d s (webhooks.timeout_s): the receiver must answer "
		         "quickly and work afterwards",
		         conf->webhooks_timeout_s);
	} else if (cc == CURLE_COULDNT_RESOLVE_HOST) {
		snprintf(res->error, sizeof res->error, "%s: check the host of webhook_url",
		         errbuf[0] ? errbuf : curl_easy_strerror(cc));
	} else if (cc == CURLE_UNSUPPORTED_PROTOCOL) {
		snprintf(res->error, sizeof res->error,
		         "only http:// and https:// webhook URLs can be delivered");
	} else {
		snprintf(res->error, sizeof res->error, "%s",
		         errbuf[0] ? errbuf : curl_easy_strerror(cc));
	}
}

static int setup(CURL *e, const struct vg_conf *conf, const char *url, const char *body,
                 size_t body_len, struct curl_slist *headers, struct post_ctx *p, char *errbuf,
                 struct vg_err *err)
{
	CURLcode c = curl_easy_setopt(e, CURLOPT_URL, url);

	if (c == CURLE_OK)
		c = curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	if (c == CURLE_OK)
		c = curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	if (c != CURLE_OK)
		return vg_err_set(err, VG_EINTERNAL, NULL, "libcurl refused the webhook URL: %s",
		                  curl_easy_strerror(c));
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_PROXY, ""); /* never a proxy from the environment */
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)conf->webhooks_timeout_s * 1000);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, p);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "veogen-webhooks/" PACKAGE_VERSION);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(e, CURLOPT_POST, 1L);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
	return VG_OK;
}

int vg_webhook_post(const struct vg_conf *conf, const char *url, const char *msg_id,
                    long long timestamp, const char *signature, const char *body, size_t body_len,
                    struct vg_webhook_result *res, struct vg_err *err)
{
	struct post_ctx p;
	char errbuf[CURL_ERROR_SIZE] = "", why[160];
	struct curl_slist *headers;
	const char *ip = NULL;
	long long t0;
	CURLcode cc;
	CURL *e;
	int rc;

	memset(res, 0, sizeof *res);
	memset(&p, 0, sizeof p);
	if (!vg_netlist_parse(conf->webhooks_allow_networks, &p.allow, why, sizeof why))
		return vg_err_set(err, VG_EINTERNAL, NULL, "webhooks.allow_networks: %s", why);
	if (!(e = curl_easy_init()))
		return vg_err_set(err, VG_EINTERNAL, NULL, "libcurl could not make a transfer");
	headers = post_headers(msg_id, timestamp, signature);
	rc = setup(e, conf, url, body, body_len, headers, &p, errbuf, err);
	if (rc == VG_OK) {
		t0 = mono_ms();
		cc = curl_easy_perform(e);
		res->duration_ms = (long)(mono_ms() - t0);
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &res->status);
		if (curl_easy_getinfo(e, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK && ip && ip[0])
			vg_strlcpy(res->address, ip, sizeof res->address);
		else
			vg_strlcpy(res->address, p.tried, sizeof res->address);
		if (cc != CURLE_OK)
			res->status = 0;
		describe(conf, cc, errbuf, &p, res);
	}
	curl_slist_free_all(headers);
	curl_easy_cleanup(e);
	return rc;
}

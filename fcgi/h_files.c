/* /api/v1/files: uploads (first/last frames, reference images, soundtracks).
 * The body streams from FastCGI stdin into a temp file in storage, hashed and counted as
 * it goes, so an upload never sits in memory; its write-out to the disk starts as it
 * arrives, so the fsync at the end has little left to wait for.  The type comes from the
 * bytes; the client's Content-Type must agree with them.  Every query is scoped to the
 * caller (404 otherwise). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "fcgi_http.h"
#include "handlers.h"
#include "vg_account.h"
#include "vg_auth.h"
#include "vg_json.h"
#include "vg_log.h"
#include "vg_retention.h"
#include "vg_media.h"
#include "vg_multipart.h"
#include "vg_sniff.h"
#include "vg_storage.h"
#include "vg_str.h"

#define READ_CHUNK (64 * 1024)
#define HEAD_BYTES 64
#define MAX_SIDE   8192
/* The write-out of the file is started every this many bytes (vg_storage_writeback): the
 * disk writes while the body arrives, and the fsync of a 100 MiB upload waits a few ms
 * rather than ~60 (tests/bench/README.md, upload.sh). */
#define WRITEBACK_BYTES (8LL * 1024 * 1024)
/* After an early answer the rest of the body is read and dropped, so nginx (streaming it
 * to us) gets our 413/415 rather than a broken pipe; nginx's own cap keeps this bounded. */
#define MAX_DRAIN (256LL * 1024 * 1024)

#define ACCEPTED                                                                                   \
	"image/png, image/jpeg, image/webp, audio/mpeg, audio/wav, audio/ogg or "                  \
	"multipart/form-data with one part named \"file\""

#define FILE_COLUMNS                                                                               \
	"id, mime_type, size_bytes, sha256, width, height, duration_seconds, storage_path, "       \
	"vg_rfc3339(created_at) AS created_at"

struct kind {
	const char *mime;
	const char *ext;
	const char *what; /* for messages: "a PNG image" */
};

static const struct kind kinds[] = {
    {"image/png", "png", "a PNG image"},    {"image/jpeg", "jpg", "a JPEG image"},
    {"image/webp", "webp", "a WebP image"}, {"audio/mpeg", "mp3", "MP3 audio"},
    {"audio/wav", "wav", "WAV audio"},      {"audio/ogg", "ogg", "Ogg audio"},
};

/* Other spellings clients send for the same types. */
static const struct {
	const char *alias, *mime;
} aliases[] = {
    {"audio/x-wav", "audio/wav"},
    {"audio/wave", "audio/wav"},
    {"audio/vnd.wave", "audio/wav"},
    {"audio/mp3", "audio/mpeg"},
};

static const struct kind *kind_of(const char *mime)
{
	for (size_t i = 0; mime && i < sizeof aliases / sizeof aliases[0]; i++)
		if (strcmp(mime, aliases[i].alias) == 0)
			mime = aliases[i].mime;
	for (size_t i = 0; mime && i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(mime, kinds[i].mime) == 0)
			return &kinds[i];
	return NULL;
}

/* The media type of a header value, lower-cased, parameters dropped; NULL when empty. */
static char *media_type(struct vg_arena *a, const char *ct)
{
	size_t n;
	char *out;

	if (!ct)
		return NULL;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	n = strcspn(ct, "; \t");
	if (n == 0)
		return NULL;
	out = vg_arena_strndup(a, ct, n);
	for (char *p = out; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return out;
}

static int not_found(struct vg_err *err)
{
	return vg_err_set(err, VG_ENOTFOUND, NULL,
	                  "no such file: check the id (upload with POST /api/v1/files)");
}

/* ---- receiving the body ---- */

struct upload {
	struct vg_req *r;
	struct vg_err *err;
	int fd;
	const char *tmp;
	EVP_MD_CTX *md;
	long long size, limit;
	long long queued; /* bytes handed to vg_storage_writeback so far */
	unsigned char head[HEAD_BYTES];
	size_t head_len;
};

static int too_big(struct upload *u)
{
	return vg_err_set(
	    u->err, VG_ETOOBIG, "file_too_large",
	    "the file is over the upload limit of %lld bytes (limits.max_upload_bytes)", u->limit);
}

/* Takes the next bytes of the file: counted, kept at the head for sniffing, hashed, written. */
static int take(void *ctx, const unsigned char *data, size_t len)
{
	struct upload *u = ctx;

	if (u->size + (long long)len > u->limit)
		return too_big(u);
	u->size += (long long)len;
	if (u->head_len < HEAD_BYTES) {
		size_t n = HEAD_BYTES - u->head_len < len ? HEAD_BYTES - u->head_len : len;
		memcpy(u->head + u->head_len, data, n);
		u->head_len += n;
	}
	if (EVP_DigestUpdate(u->md, data, len) != 1)
		return vg_err_set(u->err, VG_EINTERNAL, NULL, "SHA-256 update failed");
	while (len > 0) {
		ssize_t w = write(u->fd, data, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			log_warn("cannot write %s", u->tmp);
			return vg_err_set(u->err, VG_EUNAVAIL, "storage_unavailable",
			                  "the upload could not be stored (storage is full or not "
			                  "writable): try again later");
		}
		data += w;
		len -= (size_t)w;
	}
	if (u->size - u->queued >= WRITEBACK_BYTES) {
		vg_storage_writeback(u->fd, u->queued, u->size - u->queued);
		u->queued = u->size;
	}
	return VG_OK;
}

/* Reads and drops what is left of the body (see MAX_DRAIN). */
static void drain(struct vg_req *r)
{
	char *buf = malloc(READ_CHUNK);
	long long total = 0;
	int n;

	if (!buf)
		return;
	while (total < MAX_DRAIN && (n = FCGX_GetStr(buf, READ_CHUNK, r->fcgx->in)) > 0)
		total += n;
	free(buf);
}

/* Streams stdin into u (through the multipart parser when mp is set). */
static int receive(struct upload *u, struct vg_multipart *mp)
{
	struct vg_req *r = u->r;
	unsigned char *buf = malloc(READ_CHUNK);
	long long got = 0;
	int n, rc = VG_OK;

	if (!buf)
		return vg_err_set(u->err, VG_EINTERNAL, NULL, "out of memory");
	while (rc == VG_OK && (n = FCGX_GetStr((char *)buf, READ_CHUNK, r->fcgx->in)) > 0) {
		got += n;
		rc = mp ? vg_multipart_feed(mp, buf, (size_t)n, u->err) : take(u, buf, (size_t)n);
	}
	free(buf);
	if (rc != VG_OK) {
		drain(r);
		return rc;
	}
	if (FCGX_GetError(r->fcgx->in) != 0 || (r->content_length >= 0 && got != r->content_length))
		return vg_err_set(u->err, VG_EBADREQ, "body_truncated",
		                  "the request body could not be read completely: send it again");
	return VG_OK;
}

/* ---- checking what arrived ---- */

/* The sniffed type, which must agree with what the client declared (when it did). */
static const struct kind *check_type(struct upload *u, const char *declared)
{
	const char *sniffed = vg_sniff(u->head, u->head_len);
	const struct kind *k = kind_of(sniffed), *d = kind_of(declared);

	if (!k) {
		vg_err_set(u->err, VG_EMEDIA, "unsupported_media_type",
		           "the file's bytes are not a PNG, JPEG or WebP image nor MP3, WAV or Ogg "
		           "audio: upload one of %s",
		           ACCEPTED);
		return NULL;
	}
	if (declared && d != k) {
		vg_err_set(u->err, VG_EMEDIA, "media_type_mismatch",
		           "the file's bytes are %s, not %s: send it with Content-Type %s", k->what,
		           declared, k->mime);
		return NULL;
	}
	return k;
}

/* Image size or audio duration from ffprobe; a file it cannot read is refused. */
static int probe(struct upload *u, const struct kind *k, struct vg_probe *p)
{
	const struct vg_conf *c = u->r->conf;
	bool image = strncmp(k->mime, "image/", 6) == 0;
	struct vg_err perr;

	vg_err_clear(&perr);
	memset(p, 0, sizeof *p);
	if (vg_media_probe(c->ffprobe_path, u->tmp, c->ffmpeg_timeout_s, p, &perr) != VG_OK ||
	    (image && (!p->has_video || p->width <= 0 || p->height <= 0)) ||
	    (!image && !p->has_audio)) {
		log_info("upload refused: ffprobe cannot read it as %s (%s)", k->mime, perr.msg);
		return vg_err_set(u->err, VG_EMEDIA, "unreadable_media",
		                  "the file starts like %s but is not a readable %s: it may be "
		                  "truncated or damaged",
		                  k->what, image ? "image" : "audio file");
	}
	if (image && (p->width > MAX_SIDE || p->height > MAX_SIDE))
		return vg_err_field(u->err, "file",
		                    "the image is %dx%d pixels; the largest accepted is %dx%d",
		                    p->width, p->height, MAX_SIDE, MAX_SIDE);
	return VG_OK;
}

/* ---- the file object ---- */

static json_t *file_json(struct vg_arena *a, const PGresult *res, int row)
{
	json_t *o = json_pack("{s:s, s:s, s:I, s:s, s:s}", "id", vg_db_get(res, row, "id"),
	                      "mime_type", vg_db_get(res, row, "mime_type"), "size_bytes",
	                      (json_int_t)vg_db_get_ll(res, row, "size_bytes", 0), "sha256",
	                      vg_db_get(res, row, "sha256"), "created_at",
	                      vg_db_get(res, row, "created_at"));

	if (vg_db_get(res, row, "width")) {
		json_object_set_new(o, "width", json_integer(vg_db_get_ll(res, row, "width", 0)));
		json_object_set_new(o, "height", json_integer(vg_db_get_ll(res, row, "height", 0)));
	}
	if (vg_db_get(res, row, "duration_seconds"))
		json_object_set_new(o, "duration_seconds",
		                    json_real(vg_db_get_double(res, row, "duration_seconds", 0)));
	json_object_set_new(
	    o, "links",
	    json_pack("{s:s, s:s}", "self",
	              vg_arena_printf(a, "/api/v1/files/%s", vg_db_get(res, row, "id")), "content",
	              vg_arena_printf(a, "/api/v1/files/%s/content", vg_db_get(res, row, "id"))));
	return vg_json_own(a, o);
}

static PGresult *insert_file(struct upload *u, const char *id, const struct kind *k,
                             const char *sha, const char *relpath, const struct vg_probe *p)
{
	struct vg_req *r = u->r;
	bool image = strncmp(k->mime, "image/", 6) == 0;

	return vg_db_q(
	    r->db, r->a, u->err,
	    "INSERT INTO files (id, user_id, mime_type, size_bytes, sha256, width, height, "
	    "duration_seconds, storage_path) VALUES ($1, $2, $3, $4::bigint, $5, $6::integer, "
	    "$7::integer, $8::float8, $9) RETURNING " FILE_COLUMNS,
	    id, r->who.user_id, k->mime, vg_arena_printf(r->a, "%lld", u->size), sha,
	    image ? vg_arena_printf(r->a, "%d", p->width) : NULL,
	    image ? vg_arena_printf(r->a, "%d", p->height) : NULL,
	    image ? NULL : vg_arena_printf(r->a, "%.3f", p->duration_s), relpath);
}

/* ---- POST ---- */

/* 415 unless the Content-Type is one we take; *multipart tells which kind it is. */
static int check_content_type(struct vg_req *r, const char **declared, bool *multipart,
                              struct vg_err *err)
{
	const char *mt = media_type(r->a, r->content_type);

	*multipart = mt && strcmp(mt, "multipart/form-data") == 0;
	*declared = mt;
	if (*multipart || kind_of(mt))
		return VG_OK;
	if (!mt)
		return vg_err_set(err, VG_EMEDIA, "unsupported_media_type",
		                  "the upload has no Content-Type: send the file's bytes with "
		                  "Content-Type %s",
		                  ACCEPTED);
	return vg_err_set(err, VG_EMEDIA, "unsupported_media_type",
	                  "Content-Type %s is not accepted here: send the file's bytes with "
	                  "Content-Type %s",
	                  mt, ACCEPTED);
}

/* Receives, checks and stores the upload in u->tmp; the row is inserted by the caller. */
static int store(struct upload *u, bool multipart, const char **declared)
{
	struct vg_multipart *mp = NULL;
	int rc;

	if (multipart && !(mp = vg_multipart_new(u->r->content_type, take, u, u->err))) {
		drain(u->r);
		return u->err->rc;
	}
	rc = receive(u, mp);
	if (rc == VG_OK && mp) {
		const char *part = NULL;
		rc = vg_multipart_finish(mp, &part, u->err);
		/* a part without a type of its own (or the generic one) declares nothing */
		*declared = part && strcmp(part, "application/octet-stream") != 0
		                ? vg_arena_strdup(u->r->a, part)
		                : NULL;
	}
	vg_multipart_free(mp);
	if (rc == VG_OK && u->size == 0)
		rc = vg_err_set(u->err, VG_EBADREQ, "empty_body",
		                "the upload is empty: send the file's bytes as the body");
	return rc;
}

static int finish_upload(struct upload *u, const char *declared, const char *id, struct vg_resp *w)
{
	struct vg_req *r = u->r;
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	char sha[65];
	const struct kind *k;
	struct vg_probe p;
	PGresult *res;
	int rc;

	if (!(k = check_type(u, declared)))
		return u->err->rc;
	if ((rc = probe(u, k, &p)) != VG_OK)
		return rc;
	if (EVP_DigestFinal_ex(u->md, digest, &dlen) != 1 || dlen != 32)
		return vg_err_set(u->err, VG_EINTERNAL, NULL, "SHA-256 final failed");
	vg_str_hex(digest, 32, sha);
	const char *final = vg_storage_path(r->a, r->conf->storage_dir, "files", id, k->ext);
	const char *rel = vg_storage_relpath(r->a, "files", id, k->ext);
	if (!final || !rel)
		return vg_err_set(u->err, VG_EINTERNAL, NULL, "no storage path for file %s", id);
	if ((rc = vg_storage_commit(u->tmp, final, u->err)) != VG_OK)
		return rc;
	u->tmp = NULL; /* renamed: from here on the final file is what to remove on failure */
	if (!(res = insert_file(u, id, k, sha, rel, &p))) {
		unlink(final);
		return u->err->rc;
	}
	vg_resp_header(w, "Location", "/api/v1/files/%s", id);
	vg_resp_json(w, 201, file_json(r->a, res, 0));
	log_info("file %s stored (%s, %lld bytes)", id, k->mime, u->size);
	return VG_OK;
}

/* The temp file sits in the directory of the final one, so the rename stays on one
 * filesystem; its extension is fixed later, once the bytes have told the type. */
static int open_tmp(struct upload *u, const char *id)
{
	struct vg_req *r = u->r;
	const char *final = vg_storage_path(r->a, r->conf->storage_dir, "files", id, "");

	if (!final || vg_storage_mkdirs(final, u->err) != VG_OK)
		return final ? u->err->rc
		             : vg_err_set(u->err, VG_EINTERNAL, NULL, "no storage path for %s", id);
	u->tmp = vg_storage_tmp_path(r->a, final);
	u->fd = open(u->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (u->fd < 0) {
		log_warn("cannot create %s", u->tmp);
		u->tmp = NULL;
		return vg_err_set(u->err, VG_EUNAVAIL, "storage_unavailable",
		                  "the upload cannot be stored right now: try again later");
	}
	return VG_OK;
}

int h_files_create(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	struct upload u = {.r = r, .err = err, .fd = -1, .limit = r->conf->limits_max_upload_bytes};
	const char *declared;
	bool multipart;
	char id[37];
	int rc;

	if ((rc = check_content_type(r, &declared, &multipart, err)) != VG_OK) {
		drain(r);
		return rc;
	}
	if (multipart)
		declared = NULL; /* the part's own Content-Type counts */
	if (r->content_length > u.limit) {
		drain(r);
		return too_big(&u);
	}
	vg_uuid_new(id);
	if ((rc = open_tmp(&u, id)) != VG_OK) {
		drain(r);
		return rc;
	}
	if (!(u.md = EVP_MD_CTX_new()) || EVP_DigestInit_ex(u.md, EVP_sha256(), NULL) != 1) {
		rc = vg_err_set(err, VG_EINTERNAL, NULL, "SHA-256 init failed");
		drain(r);
	} else if ((rc = store(&u, multipart, &declared)) == VG_OK) {
		/* the rest goes to the disk while ffprobe looks at the file */
		vg_storage_writeback(u.fd, u.queued, 0);
		if (close(u.fd) != 0)
			rc = vg_err_set(err, VG_EUNAVAIL, "storage_unavailable",
			                "the upload could not be stored: try again later");
		u.fd = -1;
		if (rc == VG_OK)
			rc = finish_upload(&u, declared, id, w);
	}
	if (u.fd >= 0)
		close(u.fd);
	if (u.tmp)
		unlink(u.tmp);
	EVP_MD_CTX_free(u.md);
	return rc;
}

/* ---- GET, content, DELETE ---- */

static PGresult *load_file(struct vg_req *r, const char *id, bool lock, struct vg_err *err)
{
	PGresult *res;

	if (!vg_str_is_uuid(id)) {
		not_found(err);
		return NULL;
	}
	res = vg_db_exec(r->db, r->a,
	                 lock ? "SELECT " FILE_COLUMNS
	                        " FROM files WHERE id = $1 AND user_id = $2 FOR UPDATE"
	                      : "SELECT " FILE_COLUMNS " FROM files WHERE id = $1 AND user_id = $2",
	                 2, VG_DB_P(id, r->who.user_id), err);
	if (res && PQntuples(res) != 1) {
		not_found(err);
		return NULL;
	}
	return res;
}

int h_files_get(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	PGresult *res = load_file(r, r->params[0], false, err);

	if (!res)
		return err->rc;
	vg_resp_json(w, 200, file_json(r->a, res, 0));
	return VG_OK;
}

int h_files_content(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	PGresult *res = load_file(r, r->params[0], false, err);

	if (!res)
		return err->rc;
	return vg_resp_file(w, r, vg_db_get(res, 0, "storage_path"), vg_db_get(res, 0, "mime_type"),
	                    err);
}

int h_files_delete(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	const char *id = r->params[0];
	PGresult *row;
	int rc;

	if ((rc = vg_db_begin(r->db, r->a, err)) != VG_OK)
		return rc;
	if (!(row = load_file(r, id, true, err)) ||
	    (rc = vg_retention_delete_file(r->db, r->a, id, err)) != VG_OK) {
		vg_db_rollback(r->db);
		return err->rc;
	}
	/* in the transaction: the row and its audit record go together */
	vg_audit(r->db, r->a, r->who.user_id, "file.delete", "file", id, r->remote_addr,
	         r->request_id, NULL);
	if ((rc = vg_db_commit(r->db, r->a, err)) != VG_OK)
		return rc;
	/* the file after the commit: a crash leaves an orphan file, never a row without one */
	vg_req_unlink_stored(r, vg_db_get(row, 0, "storage_path"));
	vg_resp_status(w, 204);
	return VG_OK;
}

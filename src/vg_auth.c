#include "config.h"

#include <errno.h>
#include <jansson.h>
#include <jwt.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vg_auth.h"
#include "vg_log.h"
#include "vg_str.h"

/* ---- base64 without padding (PHC strings use the standard alphabet, tokens the URL one) */

static const char b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Characters of n bytes encoded without padding (a macro so it sizes arrays). */
#define B64_LEN(n) ((n) / 3 * 4 + ((n) % 3 ? (n) % 3 + 1 : 0))

static size_t b64_len(size_t n)
{
	return B64_LEN(n);
}

/* out holds b64_len(n) + 1 bytes. */
static void b64_encode(const unsigned char *in, size_t n, char *out, const char *alphabet)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i += 3) {
		unsigned long v = (unsigned long)in[i] << 16;
		size_t left = n - i;

		if (left > 1)
			v |= (unsigned long)in[i + 1] << 8;
		if (left > 2)
			v |= in[i + 2];
		out[o++] = alphabet[(v >> 18) & 63];
		out[o++] = alphabet[(v >> 12) & 63];
		if (left > 1)
			out[o++] = alphabet[(v >> 6) & 63];
		if (left > 2)
			out[o++] = alphabet[v & 63];
	}
	out[o] = '\0';
}

static int b64_value(char c, const char *alphabet)
{
	const char *p = c ? strchr(alphabet, c) : NULL;

	return p ? (int)(p - alphabet) : -1;
}

/* Decodes exactly outlen bytes from s[0..slen); refuses any other length, characters outside
 * the alphabet and non-zero unused trailing bits (so each value has one encoding). */
static bool b64_decode_exact(const char *s, size_t slen, unsigned char *out, size_t outlen,
                             const char *alphabet)
{
	unsigned long acc = 0;
	int bits = 0;
	size_t o = 0;

	if (slen != b64_len(outlen))
		return false;
	for (size_t i = 0; i < slen; i++) {
		int v = b64_value(s[i], alphabet);

		if (v < 0)
			return false;
		acc = (acc << 6) | (unsigned long)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1ul << bits) - 1;
		}
	}
	return o == outlen && acc == 0;
}

static void random_bytes(unsigned char *p, size_t n)
{
	/* Without a working CSPRNG no credential can be issued safely: crash, get respawned. */
	if (n > INT_MAX || RAND_bytes(p, (int)n) != 1)
		fatalx("RAND_bytes failed: the system random generator is unavailable");
}

/* ---- passwords: scrypt in a PHC-style string */

#define SCRYPT_SALT_LEN  16
#define SCRYPT_KEY_LEN   32
#define SCRYPT_LN_MIN    10
#define SCRYPT_LN_MAX    22
#define SCRYPT_R_MAX     16
#define SCRYPT_P_MAX     4
#define SCRYPT_DEFAULT_R 8
#define SCRYPT_DEFAULT_P 1

struct scrypt_params {
	int ln, r, p;
	unsigned char salt[SCRYPT_SALT_LEN];
	unsigned char key[SCRYPT_KEY_LEN];
};

static bool scrypt_derive(const char *password, const struct scrypt_params *sp, unsigned char *out)
{
	uint64_t n = (uint64_t)1 << sp->ln;
	/* OpenSSL needs 128·r·(N + p) bytes plus a little; give it that and some slack. */
	uint64_t maxmem = 128u * (uint64_t)sp->r * (n + (uint64_t)sp->p + 2) + (1u << 20);

	if (EVP_PBE_scrypt(password, strlen(password), sp->salt, sizeof sp->salt, n,
	                   (uint64_t)sp->r, (uint64_t)sp->p, maxmem, out, SCRYPT_KEY_LEN) != 1) {
		log_warnx("scrypt (ln=%d r=%d p=%d) failed: out of memory?", sp->ln, sp->r, sp->p);
		return false;
	}
	return true;
}

/* A small decimal without sign or leading zeros, at most max. */
static bool parse_small_uint(const char **cur, int max, int *out)
{
	const char *s = *cur;
	int v = 0;

	if (*s < '0' || *s > '9' || (*s == '0' && s[1] >= '0' && s[1] <= '9'))
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (*s - '0');
		if (v > max)
			return false;
	}
	*out = v;
	*cur = s;
	return true;
}

static bool expect(const char **cur, const char *lit)
{
	size_t n = strlen(lit);

	if (strncmp(*cur, lit, n) != 0)
		return false;
	*cur += n;
	return true;
}

/* "$scrypt$ln=15,r=8,p=1$<salt>$<key>" and nothing else. */
static bool scrypt_parse(const char *enc, struct scrypt_params *sp)
{
	const char *s = enc, *dollar;

	if (!enc || !expect(&s, "$scrypt$ln=") || !parse_small_uint(&s, SCRYPT_LN_MAX, &sp->ln) ||
	    sp->ln < SCRYPT_LN_MIN || !expect(&s, ",r=") ||
	    !parse_small_uint(&s, SCRYPT_R_MAX, &sp->r) || sp->r < 1 || !expect(&s, ",p=") ||
	    !parse_small_uint(&s, SCRYPT_P_MAX, &sp->p) || sp->p < 1 || !expect(&s, "$"))
		return false;
	dollar = strchr(s, '$');
	if (!dollar ||
	    !b64_decode_exact(s, (size_t)(dollar - s), sp->salt, sizeof sp->salt, b64_std))
		return false;
	s = dollar + 1;
	return b64_decode_exact(s, strlen(s), sp->key, sizeof sp->key, b64_std);
}

char *vg_password_hash(struct vg_arena *a, const char *password, int n_log2)
{
	struct scrypt_params sp = {.ln = n_log2, .r = SCRYPT_DEFAULT_R, .p = SCRYPT_DEFAULT_P};
	char salt[B64_LEN(SCRYPT_SALT_LEN) + 1], key[B64_LEN(SCRYPT_KEY_LEN) + 1];
	char *out = NULL;

	if (!password || n_log2 < SCRYPT_LN_MIN || n_log2 > SCRYPT_LN_MAX) {
		log_warnx("password hash refused: scrypt n_log2 %d is outside %d..%d", n_log2,
		          SCRYPT_LN_MIN, SCRYPT_LN_MAX);
		return NULL;
	}
	random_bytes(sp.salt, sizeof sp.salt);
	if (scrypt_derive(password, &sp, sp.key)) {
		b64_encode(sp.salt, sizeof sp.salt, salt, b64_std);
		b64_encode(sp.key, sizeof sp.key, key, b64_std);
		out = vg_arena_printf(a, "$scrypt$ln=%d,r=%d,p=%d$%s$%s", sp.ln, sp.r, sp.p, salt,
		                      key);
	}
	OPENSSL_cleanse(&sp, sizeof sp);
	return out;
}

bool vg_password_verify(const char *password, const char *encoded, int n_log2)
{
	struct scrypt_params sp;
	unsigned char derived[SCRYPT_KEY_LEN];
	bool ok;

	if (!password)
		password = "";
	ok = scrypt_parse(encoded, &sp);
	if (!ok) {
		/* Unknown account or garbled hash: spend the same time, then fail. */
		memset(&sp, 0, sizeof sp);
		sp.ln = n_log2 >= SCRYPT_LN_MIN && n_log2 <= SCRYPT_LN_MAX ? n_log2 : 15;
		sp.r = SCRYPT_DEFAULT_R;
		sp.p = SCRYPT_DEFAULT_P;
	}
	if (!scrypt_derive(password, &sp, derived))
		ok = false;
	else if (CRYPTO_memcmp(derived, sp.key, sizeof derived) != 0)
		ok = false;
	OPENSSL_cleanse(derived, sizeof derived);
	OPENSSL_cleanse(&sp, sizeof sp);
	return ok;
}

/* ---- opaque tokens */

bool vg_ct_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

char *vg_random_token(struct vg_arena *a, size_t nbytes)
{
	unsigned char *raw = vg_arena_alloc(a, nbytes ? nbytes : 1);
	char *out = vg_arena_alloc(a, b64_len(nbytes) + 1);

	random_bytes(raw, nbytes);
	b64_encode(raw, nbytes, out, b64_url);
	OPENSSL_cleanse(raw, nbytes);
	return out;
}

char *vg_sha256_hex(struct vg_arena *a, const void *p, size_t n)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char *out = vg_arena_alloc(a, 65);

	if (EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
		fatalx("EVP_Digest(sha256) failed: the OpenSSL library is broken");
	vg_str_hex(md, mdlen, out);
	return out;
}

#define API_KEY_RANDOM_BYTES 32
#define API_KEY_PREFIX_LEN   12

void vg_api_key_new(struct vg_arena *a, struct vg_api_key *out)
{
	out->key = vg_arena_printf(a, "vg_%s", vg_random_token(a, API_KEY_RANDOM_BYTES));
	out->prefix = vg_arena_strndup(a, out->key, API_KEY_PREFIX_LEN);
	out->hash = vg_sha256_hex(a, out->key, strlen(out->key));
}

/* ---- access tokens (libjwt 1.10: decode verifies only the signature; claims are ours) */

#define JWT_MAX_LEN 8192

/* The one algorithm this server signs and accepts; JWT_ALG_INVAL when misconfigured. */
static jwt_alg_t configured_alg(const struct vg_conf *c)
{
	if (c->auth_jwt_alg && strcmp(c->auth_jwt_alg, "HS256") == 0)
		return JWT_ALG_HS256;
	if (c->auth_jwt_alg && strcmp(c->auth_jwt_alg, "RS256") == 0)
		return JWT_ALG_RS256;
	return JWT_ALG_INVAL;
}

char *vg_jwt_mint(struct vg_arena *a, const struct vg_conf *c, const char *user_id,
                  const char *role, time_t now, struct vg_claims *claims)
{
	jwt_alg_t alg = configured_alg(c);
	jwt_t *jwt = NULL;
	char *enc = NULL, *out = NULL;
	const char *jti = vg_random_token(a, 16);
	long long exp = (long long)now + c->auth_access_ttl_s;

	if (alg == JWT_ALG_INVAL || !c->jwt_sign_key || c->jwt_sign_key_len <= 0) {
		log_warnx("cannot mint an access token: auth.jwt_alg \"%s\" or its signing key is "
		          "not configured",
		          c->auth_jwt_alg ? c->auth_jwt_alg : "");
		return NULL;
	}
	if (!user_id || strlen(user_id) >= sizeof claims->sub || !role ||
	    strlen(role) >= sizeof claims->role) {
		log_warnx("cannot mint an access token: bad user id or role");
		return NULL;
	}
	if (jwt_new(&jwt) != 0 || !jwt)
		vg_oom(sizeof(void *));
	if (jwt_set_alg(jwt, alg, c->jwt_sign_key, c->jwt_sign_key_len) != 0 ||
	    jwt_add_grant(jwt, "iss", c->auth_issuer) != 0 ||
	    jwt_add_grant(jwt, "aud", c->auth_audience) != 0 ||
	    jwt_add_grant(jwt, "sub", user_id) != 0 || jwt_add_grant(jwt, "jti", jti) != 0 ||
	    jwt_add_grant(jwt, "role", role) != 0 ||
	    jwt_add_grant_int(jwt, "iat", (long)now) != 0 ||
	    jwt_add_grant_int(jwt, "exp", (long)exp) != 0) {
		log_warnx("cannot mint an access token: libjwt refused a claim or the key");
		goto out;
	}
	enc = jwt_encode_str(jwt);
	if (!enc) {
		log_warnx("cannot mint an access token: signing failed (is the %s key valid?)",
		          c->auth_jwt_alg);
		goto out;
	}
	out = vg_arena_strdup(a, enc);
	free(enc); /* libjwt 1.10 has no jwt_free_str */
	if (claims) {
		memset(claims, 0, sizeof *claims);
		vg_strlcpy(claims->sub, user_id, sizeof claims->sub);
		vg_strlcpy(claims->jti, jti, sizeof claims->jti);
		vg_strlcpy(claims->role, role, sizeof claims->role);
		claims->iat = (long long)now;
		claims->exp = exp;
	}
out:
	jwt_free(jwt);
	return out;
}

static int bad_token(struct vg_err *err, const char *what)
{
	return vg_err_set(err, VG_EAUTH, "invalid_token",
	                  "the access token %s: sign in again with POST /api/v1/auth/login", what);
}

/* Base64url segments separated by exactly two dots, the signature possibly empty. */
static bool jwt_shape_ok(const char *t)
{
	int dots = 0;

	for (const char *p = t; *p; p++) {
		if (*p == '.')
			dots++;
		else if (b64_value(*p, b64_url) < 0)
			return false;
	}
	return dots == 2;
}

/* Integer claim: 1 present, 0 absent, -1 present but not an integer.  libjwt returns -1 with
 * errno ENOENT for a missing claim and 0 for a non-integer one, so both errno and the JSON
 * type are checked. */
static int int_claim(jwt_t *jwt, const json_t *grants, const char *name, long long *out)
{
	long v;

	errno = 0;
	v = jwt_get_grant_int(jwt, name);
	if (errno == ENOENT)
		return 0;
	if (errno != 0 || !json_is_integer(json_object_get(grants, name)))
		return -1;
	*out = v;
	return 1;
}

/* A string claim copied into dst; false when absent, not a string, empty or too long. */
static bool str_claim(const json_t *grants, const char *name, char *dst, size_t size)
{
	const json_t *v = json_object_get(grants, name);
	const char *s = json_string_value(v);

	if (!s || !*s || json_string_length(v) >= size || strlen(s) != json_string_length(v))
		return false;
	vg_strlcpy(dst, s, size);
	return true;
}

static bool aud_matches(const json_t *aud, const char *want)
{
	size_t i;
	const json_t *v;

	if (json_is_string(aud))
		return strcmp(json_string_value(aud), want) == 0;
	if (!json_is_array(aud))
		return false;
	json_array_foreach(aud, i, v)
	{
		if (json_is_string(v) && strcmp(json_string_value(v), want) == 0)
			return true;
	}
	return false;
}

static int check_claims(const struct vg_conf *c, jwt_t *jwt, const json_t *g, time_t now,
                        struct vg_claims *cl, struct vg_err *err)
{
	long long leeway = c->auth_leeway_s > 0 ? c->auth_leeway_s : 0, t = (long long)now;
	long long nbf;
	const char *iss = json_string_value(json_object_get(g, "iss"));
	const json_t *role;

	switch (int_claim(jwt, g, "exp", &cl->exp)) {
	case 0:
		return bad_token(err, "has no expiry (exp)");
	case -1:
		return bad_token(err, "has an expiry (exp) that is not an integer");
	}
	if (cl->exp <= t - leeway)
		return vg_err_set(err, VG_EAUTH, "token_expired",
		                  "the access token has expired: refresh it with POST "
		                  "/api/v1/auth/refresh");
	switch (int_claim(jwt, g, "nbf", &nbf)) {
	case -1:
		return bad_token(err, "has a not-before time (nbf) that is not an integer");
	case 1:
		if (nbf > t + leeway)
			return bad_token(err, "is not valid yet (nbf is in the future; check the "
			                      "clocks)");
	}
	switch (int_claim(jwt, g, "iat", &cl->iat)) {
	case 0:
		return bad_token(err, "has no issue time (iat)");
	case -1:
		return bad_token(err, "has an issue time (iat) that is not an integer");
	}
	if (cl->iat > t + leeway || cl->iat > cl->exp)
		return bad_token(err, "was issued in the future (iat; check the clocks)");
	if (!iss || strcmp(iss, c->auth_issuer) != 0)
		return bad_token(err, "was not issued by this server (iss)");
	if (!aud_matches(json_object_get(g, "aud"), c->auth_audience))
		return bad_token(err, "is meant for another audience (aud)");
	if (!str_claim(g, "sub", cl->sub, sizeof cl->sub))
		return bad_token(err, "names no user (sub)");
	if (!str_claim(g, "jti", cl->jti, sizeof cl->jti))
		return bad_token(err, "has no token id (jti)");
	role = json_object_get(g, "role");
	if (role && !str_claim(g, "role", cl->role, sizeof cl->role))
		return bad_token(err, "has an invalid role");
	if (role && strcmp(cl->role, "user") != 0 && strcmp(cl->role, "admin") != 0)
		return bad_token(err, "has an unknown role");
	return VG_OK;
}

int vg_jwt_verify(const struct vg_conf *c, const char *token, time_t now, struct vg_claims *claims,
                  struct vg_err *err)
{
	jwt_alg_t alg = configured_alg(c);
	jwt_t *jwt = NULL;
	char *grants_text = NULL;
	json_t *grants = NULL;
	struct vg_claims cl;
	int rc;

	memset(&cl, 0, sizeof cl);
	if (alg == JWT_ALG_INVAL || !c->jwt_verify_key || c->jwt_verify_key_len <= 0 ||
	    !c->auth_issuer || !c->auth_audience) {
		log_warnx("cannot verify access tokens: auth.jwt_alg \"%s\" or its verification "
		          "key is not configured",
		          c->auth_jwt_alg ? c->auth_jwt_alg : "");
		return vg_err_set(err, VG_EINTERNAL, NULL,
		                  "the server's token verification is misconfigured");
	}
	if (!token || !*token)
		return vg_err_set(err, VG_EAUTH, "invalid_token",
		                  "no access token given: send Authorization: Bearer <token>");
	/* libjwt 1.10 alloca()s each segment: bound it before decoding. */
	if (strnlen(token, JWT_MAX_LEN + 1) > JWT_MAX_LEN)
		return bad_token(err, "is longer than 8 KiB");
	if (!jwt_shape_ok(token))
		return bad_token(err, "is malformed");
	/* Always with the key: without one libjwt 1.10 accepts alg "none". */
	if (jwt_decode(&jwt, token, c->jwt_verify_key, c->jwt_verify_key_len) != 0 || !jwt) {
		rc = bad_token(err, "has an invalid signature or format");
		goto out;
	}
	/* The token chooses its algorithm; refuse any but ours (HS256 signed with our RSA
	 * public key would otherwise verify). */
	if (jwt_get_alg(jwt) != alg) {
		rc = bad_token(err, "is signed with an algorithm this server does not accept");
		goto out;
	}
	grants_text = jwt_get_grants_json(jwt, NULL);
	grants = grants_text ? json_loads(grants_text, 0, NULL) : NULL;
	if (!json_is_object(grants)) {
		rc = bad_token(err, "has unreadable claims");
		goto out;
	}
	rc = check_claims(c, jwt, grants, now, &cl, err);
	if (rc == VG_OK && claims)
		*claims = cl;
out:
	json_decref(grants);
	free(grants_text);
	jwt_free(jwt);
	return rc;
}

void vg_uuid_new(char out[37])
{
	unsigned char b[16];
	char hex[33];

	random_bytes(b, sizeof b);
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	vg_str_hex(b, sizeof b, hex);
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

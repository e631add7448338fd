/* Service-account OAuth: key file loading and its errors, the RS256 assertion checked with
 * libjwt against a key made here, the token form body, token answers, the cache. */
#include "config.h"

#include <jansson.h>
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests.h"
#include "vg_gauth.h"

#define TOKEN_URL "https://oauth2.example.test/token"
#define EMAIL     "veogen@proj-1.iam.gserviceaccount.com"

static char *priv_pem, *pub_pem;
static char dir[] = "/tmp/vg-gauth-XXXXXX";
static int nfiles;
static struct vg_err err;

static char *bio_text(BIO *b)
{
	char *p;
	long n = BIO_get_mem_data(b, &p);
	char *out = malloc((size_t)n + 1);

	memcpy(out, p, (size_t)n);
	out[n] = '\0';
	return out;
}

/* One RSA-2048 key for the whole suite: generating it takes a while. */
static void make_key(void)
{
	EVP_PKEY *k;
	BIO *b1, *b2;

	if (priv_pem)
		return;
	k = EVP_RSA_gen(2048);
	CU_ASSERT_PTR_NOT_NULL_FATAL(k);
	b1 = BIO_new(BIO_s_mem());
	b2 = BIO_new(BIO_s_mem());
	CU_ASSERT_FATAL(PEM_write_bio_PrivateKey(b1, k, NULL, NULL, 0, NULL, NULL) == 1);
	CU_ASSERT_FATAL(PEM_write_bio_PUBKEY(b2, k) == 1);
	priv_pem = bio_text(b1);
	pub_pem = bio_text(b2);
	BIO_free(b1);
	BIO_free(b2);
	EVP_PKEY_free(k);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
}

/* Writes text to a new file in the suite's directory; returns its path (static). */
static const char *write_file(const char *text)
{
	static char path[128];
	FILE *f;

	make_key();
	snprintf(path, sizeof path, "%s/key%d.json", dir, nfiles++);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
	return path;
}

/* A key file like Google's, with field `drop` left out and `set`=`val` (a JSON value)
 * added or replaced. */
static const char *sa_file(const char *drop, const char *set, const char *val)
{
	json_t *o;
	char *text;
	const char *path;

	make_key();
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "type", "service_account",
	              "project_id", "proj-1", "private_key_id", "kid-0123abcd", "private_key",
	              priv_pem, "client_email", EMAIL, "client_id", "1234567890", "token_uri",
	              "https://oauth2.googleapis.com/token");
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	if (drop)
		json_object_del(o, drop);
	if (set)
		json_object_set_new(o, set, json_loads(val, JSON_DECODE_ANY, NULL));
	text = json_dumps(o, JSON_INDENT(2));
	path = write_file(text);
	free(text);
	json_decref(o);
	return path;
}

static void no_secret_in(const char *msg)
{
	char chunk[17];

	CU_ASSERT_PTR_NULL(strstr(msg, "BEGIN"));
	/* 16 characters of the key's base64, past "-----BEGIN PRIVATE KEY-----\n". */
	memcpy(chunk, priv_pem + 40, 16);
	chunk[16] = '\0';
	CU_ASSERT_PTR_NULL(strstr(msg, chunk));
}

static void test_load_ok(void)
{
	struct vg_gauth_sa sa;

	vg_err_clear(&err);
	CU_ASSERT_EQUAL_FATAL(vg_gauth_load(sa_file(NULL, NULL, NULL), &sa, &err), VG_OK);
	CU_ASSERT_STRING_EQUAL(sa.client_email, EMAIL);
	CU_ASSERT_STRING_EQUAL(sa.private_key_pem, priv_pem);
	CU_ASSERT_STRING_EQUAL(sa.private_key_id, "kid-0123abcd");
	CU_ASSERT_STRING_EQUAL(sa.token_uri, "https://oauth2.googleapis.com/token");
	CU_ASSERT_STRING_EQUAL(sa.project_id, "proj-1");
	vg_gauth_sa_free(&sa);
	CU_ASSERT_PTR_NULL(sa.client_email);
	CU_ASSERT_PTR_NULL(sa.private_key_pem);

	/* Optional fields may be missing. */
	const char *p = write_file("{\"type\": \"service_account\", \"client_email\": \"a@b.c\", "
	                           "\"private_key\": \"-----BEGIN PRIVATE KEY-----\\nx\\n\"}");
	CU_ASSERT_EQUAL_FATAL(vg_gauth_load(p, &sa, &err), VG_OK);
	CU_ASSERT_PTR_NULL(sa.private_key_id);
	CU_ASSERT_PTR_NULL(sa.token_uri);
	CU_ASSERT_PTR_NULL(sa.project_id);
	vg_gauth_sa_free(&sa);
}

/* Loading must fail with rc, and the message must name the file and `word`. */
static void expect_load_error(const char *path, int rc, const char *word)
{
	struct vg_gauth_sa sa;

	vg_err_clear(&err);
	CU_ASSERT_EQUAL(vg_gauth_load(path, &sa, &err), rc);
	CU_ASSERT_EQUAL(err.rc, rc);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, path));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, word));
	no_secret_in(err.msg);
	CU_ASSERT_PTR_NULL(sa.client_email);
	CU_ASSERT_PTR_NULL(sa.private_key_pem);
}

static void test_load_errors(void)
{
	expect_load_error(sa_file("client_email", NULL, NULL), VG_EINVAL, "\"client_email\"");
	expect_load_error(sa_file("private_key", NULL, NULL), VG_EINVAL, "\"private_key\"");
	expect_load_error(sa_file("type", NULL, NULL), VG_EINVAL, "\"type\"");
	expect_load_error(sa_file(NULL, "type", "\"authorized_user\""), VG_EINVAL,
	                  "service_account");
	expect_load_error(sa_file(NULL, "client_email", "42"), VG_EINVAL,
	                  "\"client_email\" must be a string");
	expect_load_error(sa_file(NULL, "private_key", "\"\""), VG_EINVAL, "\"private_key\"");
	expect_load_error(sa_file(NULL, "private_key", "\"MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\""),
	                  VG_EINVAL, "not a PEM key");
	expect_load_error(sa_file(NULL, "private_key_id", "[1]"), VG_EINVAL,
	                  "\"private_key_id\" must be a string");
	expect_load_error(write_file("[1, 2]"), VG_EINVAL, "JSON object");
	expect_load_error(write_file("this is not JSON"), VG_EINVAL, "not valid JSON");
	/* jansson quotes the text near a syntax error: the key must not come out that way. */
	char *broken = malloc(strlen(priv_pem) + 64);
	snprintf(broken, strlen(priv_pem) + 64, "{\"private_key\": \"%s\"}", priv_pem);
	expect_load_error(write_file(broken), VG_EINVAL, "not valid JSON");
	free(broken);

	char missing[160];
	snprintf(missing, sizeof missing, "%s/no-such-file.json", dir);
	expect_load_error(missing, VG_ENOTFOUND, "cannot open");
}

static void test_assertion(void)
{
	struct vg_gauth_sa sa;
	jwt_t *jwt = NULL;
	char *a;

	vg_err_clear(&err);
	CU_ASSERT_EQUAL_FATAL(vg_gauth_load(sa_file(NULL, NULL, NULL), &sa, &err), VG_OK);
	a = vg_gauth_assertion(&sa, TOKEN_URL, 1790000000LL, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	/* Three base64url segments. */
	CU_ASSERT_EQUAL(
	    strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."),
	    strlen(a));
	CU_ASSERT_PTR_NOT_NULL(strchr(strchr(a, '.') + 1, '.'));

	CU_ASSERT_EQUAL_FATAL(
	    jwt_decode(&jwt, a, (const unsigned char *)pub_pem, (int)strlen(pub_pem)), 0);
	CU_ASSERT_EQUAL(jwt_get_alg(jwt), JWT_ALG_RS256);
	CU_ASSERT_STRING_EQUAL(jwt_get_header(jwt, "alg"), "RS256");
	CU_ASSERT_STRING_EQUAL(jwt_get_header(jwt, "typ"), "JWT");
	CU_ASSERT_STRING_EQUAL(jwt_get_header(jwt, "kid"), "kid-0123abcd");
	CU_ASSERT_STRING_EQUAL(jwt_get_grant(jwt, "iss"), EMAIL);
	CU_ASSERT_STRING_EQUAL(jwt_get_grant(jwt, "scope"), VG_GAUTH_SCOPE);
	CU_ASSERT_STRING_EQUAL(jwt_get_grant(jwt, "aud"), TOKEN_URL);
	CU_ASSERT_EQUAL(jwt_get_grant_int(jwt, "iat"), 1790000000L);
	CU_ASSERT_EQUAL(jwt_get_grant_int(jwt, "exp"), 1790003600L);
	CU_ASSERT_PTR_NULL(jwt_get_grant(jwt, "sub"));
	jwt_free(jwt);

	/* A tampered payload fails the signature check. */
	char *dot = strchr(a, '.');
	dot[2] = dot[2] == 'A' ? 'B' : 'A';
	jwt = NULL;
	CU_ASSERT_NOT_EQUAL(
	    jwt_decode(&jwt, a, (const unsigned char *)pub_pem, (int)strlen(pub_pem)), 0);
	jwt_free(jwt);
	free(a);

	/* No private_key_id: no kid header. */
	free(sa.private_key_id);
	sa.private_key_id = NULL;
	a = vg_gauth_assertion(&sa, TOKEN_URL, 1790000000LL, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	jwt = NULL;
	CU_ASSERT_EQUAL_FATAL(
	    jwt_decode(&jwt, a, (const unsigned char *)pub_pem, (int)strlen(pub_pem)), 0);
	CU_ASSERT_PTR_NULL(jwt_get_header(jwt, "kid"));
	jwt_free(jwt);
	free(a);
	vg_gauth_sa_free(&sa);
}

static void test_assertion_bad_key(void)
{
	struct vg_gauth_sa sa;
	const char *p = write_file("{\"type\": \"service_account\", \"client_email\": \"a@b.c\", "
	                           "\"private_key\": \"-----BEGIN PRIVATE KEY-----\\nnot base64 "
	                           "secretstuff\\n-----END PRIVATE KEY-----\\n\"}");

	vg_err_clear(&err);
	CU_ASSERT_EQUAL_FATAL(vg_gauth_load(p, &sa, &err), VG_OK);
	CU_ASSERT_PTR_NULL(vg_gauth_assertion(&sa, TOKEN_URL, 1790000000LL, &err));
	CU_ASSERT_EQUAL(err.rc, VG_EINVAL);
	CU_ASSERT_STRING_EQUAL(err.code, "key_file_invalid");
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "\"private_key\""));
	CU_ASSERT_PTR_NULL(strstr(err.msg, "secretstuff"));
	no_secret_in(err.msg);
	vg_gauth_sa_free(&sa);

	vg_err_clear(&err);
	CU_ASSERT_PTR_NULL(vg_gauth_assertion(&sa, TOKEN_URL, 1, &err)); /* freed: empty */
	CU_ASSERT_EQUAL(err.rc, VG_EINTERNAL);
}

static void test_token_body(void)
{
	char *b = vg_gauth_token_body("eyJh.eyJp-_x.c2ln");

	CU_ASSERT_STRING_EQUAL(b, "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-"
	                          "bearer&assertion=eyJh.eyJp-_x.c2ln");
	free(b);
	/* Anything outside base64url is escaped (defensive: a padded or odd assertion). */
	b = vg_gauth_token_body("a+b/c=&d e");
	CU_ASSERT_STRING_EQUAL(b, "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-"
	                          "bearer&assertion=a%2Bb%2Fc%3D%26d%20e");
	free(b);
	CU_ASSERT_PTR_NULL(vg_gauth_token_body(NULL));
}

static int parse(const char *body, char **tok, long *exp)
{
	vg_err_clear(&err);
	return vg_gauth_parse_token(body, strlen(body), tok, exp, &err);
}

static void test_parse_token(void)
{
	char *tok = NULL;
	long exp = 0;

	CU_ASSERT_EQUAL_FATAL(parse("{\"access_token\": \"ya29.c.abc\", \"expires_in\": 3599, "
	                            "\"token_type\": \"Bearer\"}",
	                            &tok, &exp),
	                      VG_OK);
	CU_ASSERT_STRING_EQUAL(tok, "ya29.c.abc");
	CU_ASSERT_EQUAL(exp, 3599);
	free(tok);

	/* The OAuth error answer: 403 with the description. */
	CU_ASSERT_EQUAL(parse("{\"error\": \"invalid_grant\", \"error_description\": "
	                      "\"Invalid JWT Signature.\"}",
	                      &tok, &exp),
	                VG_EFORBIDDEN);
	CU_ASSERT_PTR_NULL(tok);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "Invalid JWT Signature."));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "invalid_grant"));

	CU_ASSERT_EQUAL(
	    parse("{\"access_token\": \"ya29.x\", \"token_type\": \"Bearer\"}", &tok, &exp),
	    VG_EINTERNAL);
	CU_ASSERT_STRING_EQUAL(err.code, "provider_bad_answer");
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "expires_in"));
	CU_ASSERT_PTR_NULL(tok);

	CU_ASSERT_EQUAL(
	    parse("{\"access_token\": \"ya29.x\", \"expires_in\": \"3600\"}", &tok, &exp),
	    VG_EINTERNAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "expires_in"));
	CU_ASSERT_EQUAL(parse("{\"expires_in\": 3600}", &tok, &exp), VG_EINTERNAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "access_token"));
	CU_ASSERT_EQUAL(parse("{\"access_token\": \"x\", \"expires_in\": 3600, \"token_type\": "
	                      "\"MAC\"}",
	                      &tok, &exp),
	                VG_EINTERNAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "token_type"));
	CU_ASSERT_EQUAL(parse("<html>502</html>", &tok, &exp), VG_EINTERNAL);
	CU_ASSERT_STRING_EQUAL(err.code, "provider_bad_answer");
	CU_ASSERT_PTR_NULL(tok);

	/* token_type absent is Bearer; lower case too. */
	CU_ASSERT_EQUAL(parse("{\"access_token\": \"t\", \"expires_in\": 60, \"token_type\": "
	                      "\"bearer\"}",
	                      &tok, &exp),
	                VG_OK);
	free(tok);
}

static void test_cache(void)
{
	struct vg_gauth_token t = {NULL, 0};

	CU_ASSERT_TRUE(vg_gauth_token_stale(&t, 1000, 60));
	vg_gauth_token_set(&t, strdup("tok-1"), 2000);
	CU_ASSERT_STRING_EQUAL(t.token, "tok-1");
	CU_ASSERT_FALSE(vg_gauth_token_stale(&t, 1000, 60));
	CU_ASSERT_FALSE(vg_gauth_token_stale(&t, 1939, 60));
	CU_ASSERT_TRUE(vg_gauth_token_stale(&t, 1940, 60)); /* within the margin */
	CU_ASSERT_TRUE(vg_gauth_token_stale(&t, 2500, 0));
	/* Replacing frees the old one (ASan would see a leak otherwise). */
	vg_gauth_token_set(&t, strdup("tok-2"), 5000);
	CU_ASSERT_STRING_EQUAL(t.token, "tok-2");
	CU_ASSERT_EQUAL(t.expires_at_s, 5000);
	vg_gauth_token_clear(&t);
	CU_ASSERT_PTR_NULL(t.token);
	CU_ASSERT_TRUE(vg_gauth_token_stale(&t, 0, 0));
	CU_ASSERT_TRUE(vg_gauth_token_stale(NULL, 0, 0));
}

static void test_fetch_not_configured(void)
{
	struct vg_gauth_token t = {NULL, 0};
	char missing[160];

	vg_err_clear(&err);
	CU_ASSERT_EQUAL(vg_gauth_fetch("", TOKEN_URL, &t, &err), VG_EUNAVAIL);
	CU_ASSERT_STRING_EQUAL(err.code, "provider_unavailable");
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "providers.vertex.key_file"));
	/* A bad key file fails before any network traffic. */
	make_key();
	snprintf(missing, sizeof missing, "%s/absent.json", dir);
	vg_err_clear(&err);
	CU_ASSERT_EQUAL(vg_gauth_fetch(missing, TOKEN_URL, &t, &err), VG_ENOTFOUND);
	CU_ASSERT_PTR_NULL(t.token);
}

/* Removes the temporary files (last test of the suite). */
static void test_cleanup(void)
{
	char path[160];

	for (int i = 0; i < nfiles; i++) {
		snprintf(path, sizeof path, "%s/key%d.json", dir, i);
		unlink(path);
	}
	if (priv_pem)
		CU_ASSERT_EQUAL(rmdir(dir), 0);
	free(priv_pem);
	free(pub_pem);
	priv_pem = pub_pem = NULL;
}

void t_gauth_register(void)
{
	static const CU_TestInfo tests[] = {
	    {"load ok", test_load_ok},
	    {"load errors name the field", test_load_errors},
	    {"assertion verifies", test_assertion},
	    {"assertion with a bad key", test_assertion_bad_key},
	    {"token body", test_token_body},
	    {"token answers", test_parse_token},
	    {"token cache", test_cache},
	    {"fetch not configured", test_fetch_not_configured},
	    {"cleanup", test_cleanup},
	    CU_TEST_INFO_NULL,
	};
	vg_test_suite("gauth", tests);
}

#include "config.h"

#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests.h"
#include "vg_auth.h"

#define NOW     ((time_t)1800000000)
#define TEST_LN 10

static const char hs_secret[] = "0123456789abcdef0123456789abcdef";
static const char other_secret[] = "fedcba9876543210fedcba9876543210";

/* ---- configurations */

static struct vg_conf base_conf(const char *alg)
{
	struct vg_conf c;

	memset(&c, 0, sizeof c);
	c.auth_jwt_alg = (char *)alg;
	c.auth_issuer = (char *)"veogen";
	c.auth_audience = (char *)"veogen-api";
	c.auth_access_ttl_s = 900;
	c.auth_leeway_s = 30;
	return c;
}

static struct vg_conf hs_conf_with(const char *secret)
{
	struct vg_conf c = base_conf("HS256");

	c.jwt_sign_key = c.jwt_verify_key = (unsigned char *)secret;
	c.jwt_sign_key_len = c.jwt_verify_key_len = (int)strlen(secret);
	return c;
}

static struct vg_conf hs_conf(void)
{
	return hs_conf_with(hs_secret);
}

/* One RSA key pair for the whole run, as PEM text (generation takes a moment). */
static char *rsa_private_pem, *rsa_public_pem;

static char *bio_text(BIO *b)
{
	char *data, *out;
	long n = BIO_get_mem_data(b, &data);

	out = malloc((size_t)n + 1);
	CU_ASSERT_FATAL(out != NULL);
	memcpy(out, data, (size_t)n);
	out[n] = '\0';
	return out;
}

static void rsa_keys(void)
{
	EVP_PKEY *k;
	BIO *priv, *pub;

	if (rsa_private_pem)
		return;
	k = EVP_RSA_gen(2048);
	CU_ASSERT_FATAL(k != NULL);
	priv = BIO_new(BIO_s_mem());
	pub = BIO_new(BIO_s_mem());
	CU_ASSERT_FATAL(PEM_write_bio_PrivateKey(priv, k, NULL, NULL, 0, NULL, NULL) == 1);
	CU_ASSERT_FATAL(PEM_write_bio_PUBKEY(pub, k) == 1);
	rsa_private_pem = bio_text(priv);
	rsa_public_pem = bio_text(pub);
	BIO_free(priv);
	BIO_free(pub);
	EVP_PKEY_free(k);
}

static struct vg_conf rs_conf(void)
{
	struct vg_conf c = base_conf("RS256");

	rsa_keys();
	c.jwt_sign_key = (unsigned char *)rsa_private_pem;
	c.jwt_sign_key_len = (int)strlen(rsa_private_pem);
	c.jwt_verify_key = (unsigned char *)rsa_public_pem;
	c.jwt_verify_key_len = (int)strlen(rsa_public_pem);
	return c;
}

/* ---- tokens built by hand, the way an attacker or another issuer would */

static char *forge(jwt_alg_t alg, const void *key, size_t keylen, const char *grants_json)
{
	jwt_t *jwt = NULL;
	char *tok;

	CU_ASSERT_FATAL(jwt_new(&jwt) == 0);
	CU_ASSERT_FATAL(jwt_add_grants_json(jwt, grants_json) == 0);
	CU_ASSERT_FATAL(jwt_set_alg(jwt, alg, key, (int)keylen) == 0);
	tok = jwt_encode_str(jwt);
	CU_ASSERT_FATAL(tok != NULL);
	jwt_free(jwt);
	return tok; /* free() */
}

static char *forge_hs(const char *grants_json)
{
	return forge(JWT_ALG_HS256, hs_secret, strlen(hs_secret), grants_json);
}

/* Claims that pass every check at NOW, with one piece replaced by the caller's format. */
#define GOOD_CLAIMS                                                                                \
	"{\"iss\":\"veogen\",\"aud\":\"veogen-api\",\"sub\":\"u1\",\"jti\":\"j1\","                \
	"\"iat\":1800000000,\"exp\":1800000900"

static int verify(const struct vg_conf *c, const char *tok, time_t now, struct vg_err *err)
{
	struct vg_claims cl;

	vg_err_clear(err);
	return vg_jwt_verify(c, tok, now, &cl, err);
}

static void expect_rejected(const struct vg_conf *c, const char *tok, const char *msg_part)
{
	struct vg_err err;

	CU_ASSERT_EQUAL(verify(c, tok, NOW, &err), VG_EAUTH);
	CU_ASSERT_EQUAL(err.rc, VG_EAUTH);
	if (msg_part && !strstr(err.msg, msg_part)) {
		fprintf(stderr, "\nmessage \"%s\" lacks \"%s\"\n", err.msg, msg_part);
		CU_FAIL("error message does not say what is wrong");
	}
}

static void expect_forged_rejected(const char *grants_json, const char *msg_part)
{
	struct vg_conf c = hs_conf();
	char *tok = forge_hs(grants_json);

	expect_rejected(&c, tok, msg_part);
	free(tok);
}

static void b64url(const char *in, char *out, size_t size)
{
	unsigned char buf[512];
	int n = EVP_EncodeBlock(buf, (const unsigned char *)in, (int)strlen(in));
	size_t o = 0;

	for (int i = 0; i < n && buf[i] != '=' && o + 1 < size; i++)
		out[o++] = buf[i] == '+' ? '-' : buf[i] == '/' ? '_' : (char)buf[i];
	out[o] = '\0';
}

/* ---- passwords */

static void test_password_roundtrip(void)
{
	struct vg_arena *a = vg_arena_create(4096);
	char *h = vg_password_hash(a, "correct horse battery", TEST_LN);
	char *h2 = vg_password_hash(a, "correct horse battery", TEST_LN);

	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h2);
	CU_ASSERT_EQUAL(strncmp(h, "$scrypt$ln=10,r=8,p=1$", 22), 0);
	CU_ASSERT_EQUAL(strlen(h), 22 + 22 + 1 + 43);
	CU_ASSERT_STRING_NOT_EQUAL(h, h2); /* salted */
	CU_ASSERT_TRUE(vg_password_verify("correct horse battery", h, 15));
	CU_ASSERT_TRUE(vg_password_verify("correct horse battery", h2, 15));
	CU_ASSERT_FALSE(vg_password_verify("correct horse batterY", h, 15));
	CU_ASSERT_FALSE(vg_password_verify("", h, 15));
	CU_ASSERT_FALSE(vg_password_verify(NULL, h, 15));
	vg_arena_destroy(a);
}

static void test_password_cost_bounds(void)
{
	struct vg_arena *a = vg_arena_create(4096);

	CU_ASSERT_PTR_NULL(vg_password_hash(a, "pw", 9));
	CU_ASSERT_PTR_NULL(vg_password_hash(a, "pw", 23));
	CU_ASSERT_PTR_NULL(vg_password_hash(a, NULL, TEST_LN));
	vg_arena_destroy(a);
}

static void test_password_tampered(void)
{
	struct vg_arena *a = vg_arena_create(4096);
	char *h = vg_password_hash(a, "hunter2hunter2", TEST_LN);
	char *t;
	size_t n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	n = strlen(h);
	/* one character of the key changed */
	t = vg_arena_strdup(a, h);
	t[n - 5] = t[n - 5] == 'A' ? 'B' : 'A';
	CU_ASSERT_FALSE(vg_password_verify("hunter2hunter2", t, TEST_LN));
	/* one character of the salt changed */
	t = vg_arena_strdup(a, h);
	t[25] = t[25] == 'A' ? 'B' : 'A';
	CU_ASSERT_FALSE(vg_password_verify("hunter2hunter2", t, TEST_LN));
	/* another cost: a different key, so no match */
	t = vg_arena_strdup(a, h);
	t[12] = '1';
	CU_ASSERT_FALSE(vg_password_verify("hunter2hunter2", t, TEST_LN));
	/* cost outside 10..22, parameters out of range, trailing bytes, padding, truncation */
	const char *bad[] = {
	    vg_arena_printf(a, "$scrypt$ln=9%s", h + 13),
	    vg_arena_printf(a, "$scrypt$ln=23%s", h + 13),
	    vg_arena_printf(a, "$scrypt$ln=010%s", h + 13),
	    vg_arena_printf(a, "$scrypt$ln=10,r=0%s", h + 17),
	    vg_arena_printf(a, "$scrypt$ln=10,r=8,p=9%s", h + 21),
	    vg_arena_printf(a, "%s=", h),
	    vg_arena_printf(a, "%sA", h),
	    vg_arena_strndup(a, h, n - 1),
	    vg_arena_printf(a, "$scrypt$ln=10,r=8,p=1$$%s", h + 45),
	    "$2b$12$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234",
	    "",
	    "$scrypt$",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (vg_password_verify("hunter2hunter2", bad[i], TEST_LN)) {
			fprintf(stderr, "\naccepted tampered hash %s\n", bad[i]);
			CU_FAIL("a tampered hash verified");
		}
	CU_ASSERT_TRUE(vg_password_verify("hunter2hunter2", h, TEST_LN)); /* control */
	vg_arena_destroy(a);
}

static double seconds_of_verify(const char *pw, const char *enc, int ln)
{
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	(void)vg_password_verify(pw, enc, ln);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

/* An unknown account (NULL hash) or a garbled hash must cost a full KDF, or response times
 * tell which e-mail addresses have accounts. */
static void test_password_null_hash_costs_a_kdf(void)
{
	struct vg_arena *a = vg_arena_create(4096);
	const int ln = 14; /* 16 MiB: long enough to measure, short enough for a unit test */
	char *h = vg_password_hash(a, "some password", ln);
	double real = 1e9, null_hash = 1e9, garbled = 1e9;

	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	CU_ASSERT_FALSE(vg_password_verify("some password", NULL, ln));
	CU_ASSERT_FALSE(vg_password_verify("some password", "garbage", ln));
	for (int i = 0; i < 3; i++) { /* best of three against scheduling noise */
		double t = seconds_of_verify("some password", h, ln);
		real = t < real ? t : real;
		t = seconds_of_verify("some password", NULL, ln);
		null_hash = t < null_hash ? t : null_hash;
		t = seconds_of_verify("some password", "$scrypt$garbled", ln);
		garbled = t < garbled ? t : garbled;
	}
	/* A skipped KDF costs microseconds, a run one tens of milliseconds: a fifth of the real
	 * time tells them apart even on a machine busy enough to halve one run's speed. */
	if (null_hash < real * 0.2 || garbled < real * 0.2) {
		fprintf(stderr, "\nverify took %.4fs with a hash, %.4fs without, %.4fs garbled\n",
		        real, null_hash, garbled);
		CU_FAIL("verifying against no hash is measurably faster than against a real one");
	}
	vg_arena_destroy(a);
}

/* ---- opaque tokens and keys */

static void test_tokens_and_keys(void)
{
	struct vg_arena *a = vg_arena_create(4096);
	char *t1 = vg_random_token(a, 32), *t2 = vg_random_token(a, 32);
	struct vg_api_key k;

	CU_ASSERT_EQUAL(strlen(t1), 43);
	CU_ASSERT_STRING_NOT_EQUAL(t1, t2);
	CU_ASSERT_EQUAL(
	    strspn(t1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), 43);
	CU_ASSERT_EQUAL(strlen(vg_random_token(a, 16)), 22);
	CU_ASSERT_EQUAL(strlen(vg_random_token(a, 1)), 2);

	CU_ASSERT_STRING_EQUAL(vg_sha256_hex(a, "abc", 3),
	                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	CU_ASSERT_TRUE(vg_ct_equal("abcd", "abcd", 4));
	CU_ASSERT_FALSE(vg_ct_equal("abcd", "abce", 4));

	vg_api_key_new(a, &k);
	CU_ASSERT_EQUAL(strncmp(k.key, "vg_", 3), 0);
	CU_ASSERT_EQUAL(strlen(k.key), 3 + 43);
	CU_ASSERT_EQUAL(strlen(k.prefix), 12);
	CU_ASSERT_EQUAL(strncmp(k.key, k.prefix, 12), 0);
	CU_ASSERT_STRING_EQUAL(k.hash, vg_sha256_hex(a, k.key, strlen(k.key)));
	vg_arena_destroy(a);
}

/* ---- access tokens */

static void test_jwt_roundtrip_hs256(void)
{
	struct vg_arena *a = vg_arena_create(4096);
	struct vg_conf c = hs_conf();
	struct vg_claims minted, got;
	struct vg_err err;
	char *tok =
	    vg_jwt_mint(a, &c, "3f1c2a4e-0000-4000-8000-000000000001", "admin", NOW, &minted);

	CU_ASSERT_PTR_NOT_NULL_FATAL(tok);
	CU_ASSERT_EQUAL(minted.exp, (long long)NOW + 900);
	CU_ASSERT_EQUAL(strlen(minted.jti), 22);
	vg_err_clear(&err);
	CU_ASSERT_EQUAL_FATAL(vg_jwt_verify(&c, tok, NOW + 10, &got, &err), VG_OK);
	CU_ASSERT_STRING_EQUAL(got.sub, "3f1c2a4e-0000-4000-8000-000000000001");
	CU_ASSERT_STRING_EQUAL(got.role, "admin");
	CU_ASSERT_STRING_EQUAL(got.jti, minted.jti);
	CU_ASSERT_EQUAL(got.iat, (long long)NOW);
	CU_ASSERT_EQUAL(got.exp, minted.exp);
	/* a fresh jti every time */
	CU_ASSERT_PTR_NOT_NULL_FATAL(vg_jwt_mint(a, &c, "u", "user", NOW, &got));
	CU_ASSERT_STRING_NOT_EQUAL(got.jti, minted.jti);
	vg_arena_destroy(a);
}

static void test_jwt_expiry_and_leeway(void)
{
	struct vg_arena *a = vg_arena_create(4096);
	struct vg_conf c = hs_conf();
	struct vg_claims cl;
	struct vg_err err;
	char *tok = vg_jwt_mint(a, &c, "u1", "user", NOW, &cl);

	CU_ASSERT_PTR_NOT_NULL_FATAL(tok);
	CU_ASSERT_EQUAL(verify(&c, tok, NOW + 900 + 29, &err), VG_OK); /* within leeway */
	CU_ASSERT_EQUAL(verify(&c, tok, NOW + 900 + 30, &err), VG_EAUTH);
	CU_ASSERT_STRING_EQUAL(err.code, "token_expired");
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "expired"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "POST /api/v1/auth/refresh"));
	/* issued in the future (beyond leeway): clocks disagree or the token is forged */
	CU_ASSERT_EQUAL(verify(&c, tok, NOW - 31, &err), VG_EAUTH);
	CU_ASSERT_EQUAL(verify(&c, tok, NOW - 29, &err), VG_OK);
	vg_arena_destroy(a);
}

static void test_jwt_not_yet_valid(void)
{
	expect_forged_rejected(GOOD_CLAIMS ",\"nbf\":1800003600}", "not valid yet");
	expect_forged_rejected(GOOD_CLAIMS ",\"nbf\":\"soon\"}", "nbf");
	{
		struct vg_conf c = hs_conf();
		struct vg_err err;
		char *tok = forge_hs(GOOD_CLAIMS ",\"nbf\":1800000020}"); /* within leeway */

		CU_ASSERT_EQUAL(verify(&c, tok, NOW, &err), VG_OK);
		free(tok);
	}
}

static void test_jwt_wrong_key(void)
{
	struct vg_arena *a = vg_arena_create(4096);
	struct vg_conf c = hs_conf(), other = hs_conf_with(other_secret);
	char *tok = vg_jwt_mint(a, &other, "u1", "user", NOW, NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(tok);
	expect_rejected(&c, tok, "signature");
	/* and a token with a flipped payload byte */
	tok = vg_jwt_mint(a, &c, "u1", "user", NOW, NULL);
	char *dot = strchr(tok, '.');
	dot[3] = dot[3] == 'A' ? 'B' : 'A';
	expect_rejected(&c, tok, NULL);
	vg_arena_destroy(a);
}

static void test_jwt_alg_none(void)
{
	struct vg_conf hs = hs_conf(), rs = rs_conf();
	char head[128], body[512], tok[700];
	jwt_t *jwt = NULL;

	b64url("{\"alg\":\"none\",\"typ\":\"JWT\"}", head, sizeof head);
	b64url(GOOD_CLAIMS "}", body, sizeof body);
	snprintf(tok, sizeof tok, "%s.%s.", head, body);
	/* the test means something: libjwt itself accepts this token when given no key */
	CU_ASSERT_EQUAL(jwt_decode(&jwt, tok, NULL, 0), 0);
	jwt_free(jwt);
	expect_rejected(&hs, tok, NULL);
	expect_rejected(&rs, tok, NULL);
	/* also with a signature segment attached */
	snprintf(tok, sizeof tok, "%s.%s.c2ln", head, body);
	expect_rejected(&hs, tok, NULL);
}

static void test_jwt_rs256(void)
{
	struct vg_arena *a = vg_arena_create(8192);
	struct vg_conf rs = rs_conf(), hs = hs_conf();
	struct vg_claims cl;
	struct vg_err err;
	char *tok = vg_jwt_mint(a, &rs, "u1", "user", NOW, &cl);

	CU_ASSERT_PTR_NOT_NULL_FATAL(tok);
	CU_ASSERT_EQUAL(verify(&rs, tok, NOW, &err), VG_OK);
	/* an RS256 token where HS256 is configured */
	expect_rejected(&hs, tok, NULL);
	/* an HS256 token where RS256 is configured */
	tok = vg_jwt_mint(a, &hs, "u1", "user", NOW, &cl);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tok);
	expect_rejected(&rs, tok, NULL);
	vg_arena_destroy(a);
}

/* The classic confusion: HS256 "signed" with the server's RSA public key as the secret. */
static void test_jwt_hs256_with_rsa_public_key(void)
{
	struct vg_conf rs = rs_conf();
	char *tok = forge(JWT_ALG_HS256, rsa_public_pem, strlen(rsa_public_pem), GOOD_CLAIMS "}");
	jwt_t *jwt = NULL;

	/* libjwt alone accepts it (it takes the algorithm from the token)… */
	CU_ASSERT_EQUAL(jwt_decode(&jwt, tok, (const unsigned char *)rsa_public_pem,
	                           (int)strlen(rsa_public_pem)),
	                0);
	jwt_free(jwt);
	/* …the pinned algorithm does not */
	expect_rejected(&rs, tok, "algorithm");
	free(tok);
}

static void test_jwt_claims(void)
{
	struct vg_conf c = hs_conf();
	struct vg_err err;
	char *tok;

	/* control: the base claims pass */
	tok = forge_hs(GOOD_CLAIMS "}");
	CU_ASSERT_EQUAL(verify(&c, tok, NOW, &err), VG_OK);
	free(tok);
	/* audience as an array containing ours */
	tok = forge_hs("{\"iss\":\"veogen\",\"aud\":[\"other\",\"veogen-api\"],\"sub\":\"u1\","
	               "\"jti\":\"j1\",\"iat\":1800000000,\"exp\":1800000900}");
	CU_ASSERT_EQUAL(verify(&c, tok, NOW, &err), VG_OK);
	free(tok);

	expect_forged_rejected("{\"iss\":\"veogen\",\"aud\":\"other-api\",\"sub\":\"u1\","
	                       "\"jti\":\"j1\",\"iat\":1800000000,\"exp\":1800000900}",
	                       "aud");
	expect_forged_rejected("{\"iss\":\"veogen\",\"aud\":[\"a\",\"b\"],\"sub\":\"u1\","
	                       "\"jti\":\"j1\",\"iat\":1800000000,\"exp\":1800000900}",
	                       "aud");
	expect_forged_rejected("{\"iss\":\"veogen\",\"sub\":\"u1\","
	                       "\"jti\":\"j1\",\"iat\":1800000000,\"exp\":1800000900}",
	                       "aud");
	expect_forged_rejected("{\"iss\":\"evil\",\"aud\":\"veogen-api\",\"sub\":\"u1\","
	                       "\"jti\":\"j1\",\"iat\":1800000000,\"exp\":1800000900}",
	                       "iss");
	expect_forged_rejected("{\"iss\":\"veogen\",\"aud\":\"veogen-api\",\"sub\":\"u1\","
	                       "\"jti\":\"j1\",\"iat\":1800000000}",
	                       "exp");
	expect_forged_rejected("{\"iss\":\"veogen\",\"aud\":\"veogen-api\",\"sub\":\"u1\","
	                       "\"jti\":\"j1\",\"iat\":1800000000,\"exp\":\"1800000900\"}",
	                       "exp");
	expect_forged_rejected("{\"iss\":\"veogen\",\"aud\":\"veogen-api\",\"sub\":\"u1\","
	                       "\"jti\":\"j1\",\"iat\":1800000000,\"exp\":1800000900.5}",
	                       "exp");
	expect_forged_rejected("{\"iss\":\"veogen\",\"aud\":\"veogen-api\","
	                       "\"jti\":\"j1\",\"iat\":1800000000,\"exp\":1800000900}",
	                       "sub");
	expect_forged_rejected("{\"iss\":\"veogen\",\"aud\":\"veogen-api\",\"sub\":\"u1\","
	                       "\"iat\":1800000000,\"exp\":1800000900}",
	                       "jti");
	expect_forged_rejected("{\"iss\":\"veogen\",\"aud\":\"veogen-api\",\"sub\":\"u1\","
	                       "\"jti\":\"j1\",\"exp\":1800000900}",
	                       "iat");
	expect_forged_rejected(GOOD_CLAIMS ",\"role\":\"root\"}", "role");
}

static void test_jwt_size_and_shape(void)
{
	struct vg_conf c = hs_conf();
	struct vg_err err;
	size_t padlen = 7000;
	char *grants = malloc(padlen + 256), *tok;

	CU_ASSERT_PTR_NOT_NULL_FATAL(grants);
	/* just under 8 KiB: accepted */
	snprintf(grants, padlen + 256, GOOD_CLAIMS ",\"pad\":\"%0*d\"}", (int)(padlen - 2000), 0);
	tok = forge_hs(grants);
	CU_ASSERT_TRUE(strlen(tok) < 8192);
	CU_ASSERT_EQUAL(verify(&c, tok, NOW, &err), VG_OK);
	free(tok);
	/* over 8 KiB: refused before libjwt sees it, although it is validly signed */
	snprintf(grants, padlen + 256, GOOD_CLAIMS ",\"pad\":\"%0*d\"}", (int)padlen, 0);
	tok = forge_hs(grants);
	CU_ASSERT_TRUE(strlen(tok) > 8192);
	expect_rejected(&c, tok, "8 KiB");
	free(tok);
	free(grants);

	const char *bad[] = {"", "abc", "a.b", "a.b.c.d", "a b.c.d", "....", "eyJ.eyJ.", "a.b.c"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		expect_rejected(&c, bad[i], NULL);
	expect_rejected(&c, NULL, "Authorization");
}

static void test_jwt_misconfigured(void)
{
	struct vg_arena *a = vg_arena_create(4096);
	struct vg_conf c = hs_conf();
	struct vg_err err;
	char *tok = vg_jwt_mint(a, &c, "u1", "user", NOW, NULL);

	c.auth_jwt_alg = (char *)"none";
	CU_ASSERT_PTR_NULL(vg_jwt_mint(a, &c, "u1", "user", NOW, NULL));
	CU_ASSERT_EQUAL(verify(&c, tok, NOW, &err), VG_EINTERNAL);
	c = hs_conf();
	c.jwt_verify_key_len = 0; /* never decode without a key */
	CU_ASSERT_EQUAL(verify(&c, tok, NOW, &err), VG_EINTERNAL);
	vg_arena_destroy(a);
}

void t_auth_register(void)
{
	static const CU_TestInfo tests[] = {
	    {"password hash and verify", test_password_roundtrip},
	    {"password cost outside 10..22 refused", test_password_cost_bounds},
	    {"tampered and garbled hashes fail", test_password_tampered},
	    {"unknown account costs a full KDF", test_password_null_hash_costs_a_kdf},
	    {"random tokens, sha256, API keys", test_tokens_and_keys},
	    {"JWT HS256 mint and verify", test_jwt_roundtrip_hs256},
	    {"JWT expiry with leeway", test_jwt_expiry_and_leeway},
	    {"JWT nbf in the future", test_jwt_not_yet_valid},
	    {"JWT wrong key or altered", test_jwt_wrong_key},
	    {"JWT alg none refused", test_jwt_alg_none},
	    {"JWT RS256 and algorithm pinning", test_jwt_rs256},
	    {"JWT HS256 signed with the RSA public key", test_jwt_hs256_with_rsa_public_key},
	    {"JWT iss, aud, exp, sub, jti, iat, role", test_jwt_claims},
	    {"JWT over 8 KiB and malformed", test_jwt_size_and_shape},
	    {"JWT misconfiguration", test_jwt_misconfigured},
	    CU_TEST_INFO_NULL,
	};

	vg_test_suite("auth", tests);
}

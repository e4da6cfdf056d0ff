/*
 * test_auth.c — unit tests for server/auth.c: when auth is required, the INFO nonce, token,
 * user/password (plain and bcrypt), users lists and NKEY users signing the nonce, including
 * known-answer vectors from nats-server's and nats.c's test suites.
 *
 * Options are built by hand (string literals, nothing owned), so options_free is not called.
 */
#include <crypt.h>
#include <sodium.h>
#include <string.h>

#include "proto/nkey.h"
#include "server/auth.h"
#include "test/testlib.h"

/* From nats-server test/auth_test.go and test/client_auth_test.go. */
#define NS_BCRYPT_PASS "IW@$6v(y1(t@fhPDvf!5^%"
#define NS_BCRYPT_HASH "$2a$04$Q.CgCP2Sl9pkcTXEZHazaeMwPaAkSHk7AI51HkyMt5iJQQyUA4qxq"
#define NS_BCRYPT_TOKEN "0uhJOSr3GW7xvHvtd^K6pa"
#define NS_BCRYPT_TOKEN_HASH "$2a$04$u5ZClXpcjHgpfc61Ee0VKuwI1K3vTC4zq7SjphjnlHMeb1Llkb5Y6"
#define NS_TEST_TOKEN_HASH "$2a$05$3sSWEVA1eMCbV0hWavDjXOx.ClBjI6u1CuUdLqf22cbJjXsnzz8/." /* "test" */
/* nats-server test/configs/authorization.conf: "Just foo for testing". */
#define NS_FOO_HASH "$2a$04$P/.bd.7unw9Ew7yWJqXsl.f4oNRLQGvadEL2YnqQXbbb.IVQajRdK"

/* From nats.c test/test.c: this seed's key signs "nonce" to this raw-URL base64 signature. */
#define NATSC_SEED "SUACSSL3UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYYCU3VY"
#define NATSC_PUB "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4"
#define NATSC_SIG_OF_NONCE                                                                  \
    "AVfpO7Pw3rc56hoO1OJcFxXUCfBmO2qouchBchSlL45Fuur9zS15UzytEI1QC5wwVG7uiHIdqyfmOS6uPrwqCg"

/* nats-server server/reload_test.go: "Derek" and "Ivan". */
#define DEREK_SEED "SUAPM67TC4RHQLKBX55NIQXSMATZDOZK6FNEOSS36CAYA7F7TY66LP4BOM"
#define DEREK_PUB "UCNGL4W5QX66CFX6A6DCBVDH5VOHMI7B2UZZU7TXAUQQSI2JPHULCKBR"
#define IVAN_SEED "SUAIS5JPX4X4GJ7EIIJEQ56DH2GWPYJRPWN5XJEDENJOZHCBLI7SEPUQDE"
#define IVAN_PUB "UDPGQVFIWZ7Q5UH4I5E6DBCZULQS6VTVBG6CYBD7JV3G3N2GMQOMNAUH"

static weir_options opts_none(void)
{
    return (weir_options){.host = "0.0.0.0", .port = 4222};
}

/* Signs msg with the key of an encoded seed; writes the signature as base64 of `variant`. */
static int sign_b64(const char *seed_s, const char *msg, int variant, char *out, size_t outlen)
{
    uint8_t seed[32], pk[32], sk[64], sig[64];
    char role;
    if (nkey_decode_seed(seed_s, &role, seed) != 0 || sodium_init() < 0)
        return -1;
    crypto_sign_seed_keypair(pk, sk, seed);
    crypto_sign_detached(sig, NULL, (const unsigned char *)msg, strlen(msg), sk);
    sodium_memzero(sk, sizeof sk);
    sodium_memzero(seed, sizeof seed);
    if (sodium_base64_ENCODED_LEN(64, variant) > outlen)
        return -1;
    sodium_bin2base64(out, outlen, sig, sizeof sig, variant);
    return 0;
}

static int sign_url(const char *seed_s, const char *msg, char *out, size_t outlen)
{
    return sign_b64(seed_s, msg, sodium_base64_VARIANT_URLSAFE_NO_PADDING, out, outlen);
}

/* Makes a bcrypt hash of pass with the given prefix ("$2b$", ...) at cost 4; NULL if the
 * library does not support that prefix. */
static const char *make_bcrypt(const char *prefix, const char *pass, char *out, size_t outlen)
{
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    if (crypt_gensalt_rn(prefix, 4, NULL, 0, setting, sizeof setting) == NULL)
        return NULL;
    struct crypt_data *cd = calloc(1, sizeof *cd);
    if (cd == NULL)
        return NULL;
    const char *h = crypt_r(pass, setting, cd);
    const char *ret = NULL;
    if (h != NULL && h[0] != '*' && strlen(h) < outlen) {
        strcpy(out, h);
        ret = out;
    }
    free(cd);
    return ret;
}

static void test_required_and_nonce_needed(void)
{
    weir_options o = opts_none();
    CHECK(!auth_required(&o));
    CHECK(!auth_needs_nonce(&o));
    o.token = "";
    CHECK(!auth_required(&o)); /* empty strings configure nothing */
    o.token = "s3cr3t";
    CHECK(auth_required(&o));
    CHECK(!auth_needs_nonce(&o));

    o = opts_none();
    o.password = "only-a-password"; /* nats-server needs a user for simple auth */
    CHECK(!auth_required(&o));
    o.user = "derek";
    CHECK(auth_required(&o));
    CHECK(!auth_needs_nonce(&o));

    weir_user pw[] = {{.user = "alice", .password = "foo"}};
    o = opts_none();
    o.users = pw;
    o.nusers = 1;
    CHECK(auth_required(&o));
    CHECK(!auth_needs_nonce(&o));

    weir_user mixed[] = {{.user = "alice", .password = "foo"}, {.nkey = DEREK_PUB}};
    o.users = mixed;
    o.nusers = 2;
    CHECK(auth_required(&o));
    CHECK(auth_needs_nonce(&o));
}

static void test_no_auth_accepts_anything(void)
{
    weir_options o = opts_none();
    auth_connect c = {.user = "x", .pass = "y", .auth_token = "z"};
    const char *who = "sentinel";
    CHECK(auth_check(&o, &c, NULL, &who));
    CHECK(who == NULL);
    auth_connect empty = {0};
    CHECK(auth_check(&o, &empty, NULL, NULL));
}

static void test_nonce(void)
{
    char a[AUTH_NONCE_LEN + 1], b[AUTH_NONCE_LEN + 1];
    CHECK(AUTH_NONCE_LEN == 15); /* nats-server: nonceLen = 15 (11 raw bytes) */
    memset(a, '#', sizeof a);
    auth_make_nonce(a);
    auth_make_nonce(b);
    CHECK(strlen(a) == AUTH_NONCE_LEN);
    CHECK(strlen(b) == AUTH_NONCE_LEN);
    for (size_t i = 0; i < AUTH_NONCE_LEN; i++) {
        char ch = a[i];
        CHECKF((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                   ch == '-' || ch == '_',
               "nonce char '%c'", ch);
    }
    CHECK(strcmp(a, b) != 0);
    unsigned char raw[16];
    size_t n = 0;
    CHECK(sodium_base642bin(raw, sizeof raw, a, strlen(a), NULL, &n, NULL,
                            sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0);
    CHECK(n == 11);
}

static void test_token(void)
{
    weir_options o = opts_none();
    o.token = "s3cr3t";
    const char *who = "sentinel";
    CHECK(auth_check(&o, &(auth_connect){.auth_token = "s3cr3t"}, NULL, &who));
    CHECK(who == NULL);
    CHECK(!auth_check(&o, &(auth_connect){.auth_token = "s3cr3T"}, NULL, NULL));
    CHECK(!auth_check(&o, &(auth_connect){.auth_token = "s3cr3"}, NULL, NULL));
    CHECK(!auth_check(&o, &(auth_connect){.auth_token = "s3cr3tt"}, NULL, NULL));
    CHECK(!auth_check(&o, &(auth_connect){.auth_token = ""}, NULL, NULL));
    CHECK(!auth_check(&o, &(auth_connect){0}, NULL, NULL));
    /* the token is not a password */
    CHECK(!auth_check(&o, &(auth_connect){.user = "s3cr3t", .pass = "s3cr3t"}, NULL, NULL));
}

static void test_bcrypt_token_known_answers(void)
{
    weir_options o = opts_none();
    o.token = NS_BCRYPT_TOKEN_HASH;
    CHECK(auth_check(&o, &(auth_connect){.auth_token = NS_BCRYPT_TOKEN}, NULL, NULL));
    CHECK(!auth_check(&o, &(auth_connect){.auth_token = NS_BCRYPT_TOKEN_HASH}, NULL, NULL));
    CHECK(!auth_check(&o, &(auth_connect){.auth_token = "0uhJOSr3GW7xvHvtd^K6p"}, NULL, NULL));
    CHECK(!auth_check(&o, &(auth_connect){0}, NULL, NULL));
    o.token = NS_TEST_TOKEN_HASH;
    CHECK(auth_check(&o, &(auth_connect){.auth_token = "test"}, NULL, NULL));
    CHECK(!auth_check(&o, &(auth_connect){.auth_token = "Test"}, NULL, NULL));
}

static void test_user_password(void)
{
    weir_options o = opts_none();
    o.user = "derek";
    o.password = "p@ss";
    const char *who = NULL;
    CHECK(auth_check(&o, &(auth_connect){.user = "derek", .pass = "p@ss"}, NULL, &who));
    CHECK(who != NULL && strcmp(who, "derek") == 0);
    CHECK(!auth_check(&o, &(auth_connect){.user = "derek", .pass = "p@s"}, NULL, NULL));
    CHECK(!auth_check(&o, &(auth_connect){.user = "derek", .pass = "p@sss"}, NULL, NULL));
    CHECK(!auth_check(&o, &(auth_connect){.user = "derek"}, NULL, NULL));
    CHECK(!auth_check(&o, &(auth_connect){.user = "Derek", .pass = "p@ss"}, NULL, NULL));
    CHECK(!auth_check(&o, &(auth_connect){.pass = "p@ss"}, NULL, NULL));
    CHECK(!auth_check(&o, &(auth_connect){.auth_token = "p@ss"}, NULL, NULL));
}

static void test_bcrypt_password_known_answer(void)
{
    weir_options o = opts_none();
    o.user = "derek";
    o.password = NS_BCRYPT_HASH;
    CHECK(auth_check(&o, &(auth_connect){.user = "derek", .pass = NS_BCRYPT_PASS}, NULL, NULL));
    /* nats-server TestBadBcryptPassword: sending the hash itself is refused */
    CHECK(!auth_check(&o, &(auth_connect){.user = "derek", .pass = NS_BCRYPT_HASH}, NULL, NULL));
    CHECK(!auth_check(&o, &(auth_connect){.user = "derek", .pass = "IW@$6v(y1(t@fhPDvf!5^"}, NULL,
                      NULL));
    CHECK(!auth_check(&o, &(auth_connect){.user = "derek"}, NULL, NULL));

    weir_user users[] = {{.user = "alice", .password = NS_FOO_HASH},
                         {.user = "joe", .password = NS_FOO_HASH}};
    o = opts_none();
    o.users = users;
    o.nusers = 2;
    CHECK(auth_check(&o, &(auth_connect){.user = "joe", .pass = "foo"}, NULL, NULL));
    CHECK(!auth_check(&o, &(auth_connect){.user = "joe", .pass = "fo"}, NULL, NULL));
}

static void test_bcrypt_generated_prefixes(void)
{
    const char *prefixes[] = {"$2b$", "$2a$", "$2y$"};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        char hash[CRYPT_OUTPUT_SIZE];
        CHECKF(make_bcrypt(prefixes[i], "hunter2", hash, sizeof hash) != NULL,
               "libcrypt cannot hash with %s", prefixes[i]);
        CHECKF(strncmp(hash, prefixes[i], 4) == 0 && strncmp(hash + 4, "04$", 3) == 0, "hash %s",
               hash);
        weir_user users[] = {{.user = "bob", .password = hash}};
        weir_options o = opts_none();
        o.users = users;
        o.nusers = 1;
        CHECKF(auth_check(&o, &(auth_connect){.user = "bob", .pass = "hunter2"}, NULL, NULL),
               "%s refused", hash);
        CHECK(!auth_check(&o, &(auth_connect){.user = "bob", .pass = "hunter3"}, NULL, NULL));
        CHECK(!auth_check(&o, &(auth_connect){.user = "bob", .pass = ""}, NULL, NULL));
        /* a corrupted hash never matches */
        char broken[CRYPT_OUTPUT_SIZE];
        strcpy(broken, hash);
        broken[strlen(broken) - 1] = broken[strlen(broken) - 1] == 'a' ? 'b' : 'a';
        users[0].password = broken;
        CHECK(!auth_check(&o, &(auth_connect){.user = "bob", .pass = "hunter2"}, NULL, NULL));
        strcpy(broken, hash);
        strcat(broken, "x"); /* trailing garbage */
        CHECK(!auth_check(&o, &(auth_connect){.user = "bob", .pass = "hunter2"}, NULL, NULL));
    }
}

static void test_not_bcrypt_is_plain(void)
{
    /* strings that only look a bit like bcrypt are compared as plain text, like nats-server's
     * ^\$2[abxy]\$\d{2}\$ test */
    const char *plain[] = {"$2", "$2a$", "$2a$4$abc", "$2c$04$abc", "$3a$04$abc", "$2a$0x$abc"};
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
        weir_options o = opts_none();
        o.token = (char *)plain[i];
        CHECKF(auth_check(&o, &(auth_connect){.auth_token = plain[i]}, NULL, NULL),
               "plain %s refused", plain[i]);
    }
}

static void test_users_list(void)
{
    weir_user users[] = {
        {.user = "alice", .password = "foo"},
        {.user = "bob", .password = NS_BCRYPT_HASH},
        {.user = "carol", .password = NULL},
    };
    weir_options o = opts_none();
    o.users = users;
    o.nusers = 3;
    const char *who = NULL;
    CHECK(auth_check(&o, &(auth_connect){.user = "alice", .pass = "foo"}, NULL, &who));
    CHECK(who == users[0].user);
    CHECK(auth_check(&o, &(auth_connect){.user = "bob", .pass = NS_BCRYPT_PASS}, NULL, &who));
    CHECK(who == users[1].user);
    CHECK(!auth_check(&o, &(auth_connect){.user = "alice", .pass = NS_BCRYPT_PASS}, NULL, NULL));
    CHECK(!auth_check(&o, &(auth_connect){.user = "bob", .pass = "foo"}, NULL, NULL));
    CHECK(!auth_check(&o, &(auth_connect){.user = "mallory", .pass = "foo"}, NULL, NULL));
    CHECK(!auth_check(&o, &(auth_connect){.pass = "foo"}, NULL, NULL));
    CHECK(!auth_check(&o, &(auth_connect){0}, NULL, NULL));
    CHECK(!auth_check(&o, &(auth_connect){.auth_token = "foo"}, NULL, NULL));
    /* a user without a password matches an empty or absent password only */
    CHECK(auth_check(&o, &(auth_connect){.user = "carol"}, NULL, NULL));
    CHECK(auth_check(&o, &(auth_connect){.user = "carol", .pass = ""}, NULL, NULL));
    CHECK(!auth_check(&o, &(auth_connect){.user = "carol", .pass = "x"}, NULL, NULL));
}

static void test_nkey_user_signs_nonce(void)
{
    weir_user users[] = {{.nkey = DEREK_PUB}, {.nkey = IVAN_PUB}};
    weir_options o = opts_none();
    o.users = users;
    o.nusers = 2;
    char nonce[AUTH_NONCE_LEN + 1], sig[128];
    auth_make_nonce(nonce);

    const char *who = NULL;
    CHECK(sign_url(DEREK_SEED, nonce, sig, sizeof sig) == 0);
    CHECK(strlen(sig) == 86);
    CHECK(auth_check(&o, &(auth_connect){.nkey = DEREK_PUB, .sig = sig}, nonce, &who));
    CHECK(who == users[0].nkey);
    /* Derek's signature does not authenticate Ivan */
    CHECK(!auth_check(&o, &(auth_connect){.nkey = IVAN_PUB, .sig = sig}, nonce, NULL));
    CHECK(sign_url(IVAN_SEED, nonce, sig, sizeof sig) == 0);
    CHECK(auth_check(&o, &(auth_connect){.nkey = IVAN_PUB, .sig = sig}, nonce, &who));
    CHECK(who == users[1].nkey);
}

static void test_nkey_signature_encodings(void)
{
    weir_user users[] = {{.nkey = DEREK_PUB}};
    weir_options o = opts_none();
    o.users = users;
    o.nusers = 1;
    const char *nonce = "abcdefghijklmno";
    const int variants[] = {sodium_base64_VARIANT_URLSAFE_NO_PADDING,
                            sodium_base64_VARIANT_ORIGINAL, sodium_base64_VARIANT_URLSAFE,
                            sodium_base64_VARIANT_ORIGINAL_NO_PADDING};
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        char sig[128];
        CHECK(sign_b64(DEREK_SEED, nonce, variants[i], sig, sizeof sig) == 0);
        CHECKF(auth_check(&o, &(auth_connect){.nkey = DEREK_PUB, .sig = sig}, nonce, NULL),
               "variant %d refused: %s", variants[i], sig);
    }
}

static void test_nkey_refusals(void)
{
    weir_user users[] = {{.nkey = DEREK_PUB}};
    weir_options o = opts_none();
    o.users = users;
    o.nusers = 1;
    char nonce[AUTH_NONCE_LEN + 1], other[AUTH_NONCE_LEN + 1], sig[128], bad[160];
    auth_make_nonce(nonce);
    do
        auth_make_nonce(other);
    while (strcmp(nonce, other) == 0);
    CHECK(sign_url(DEREK_SEED, nonce, sig, sizeof sig) == 0);
    CHECK(auth_check(&o, &(auth_connect){.nkey = DEREK_PUB, .sig = sig}, nonce, NULL));

    /* signature of another nonce */
    CHECK(!auth_check(&o, &(auth_connect){.nkey = DEREK_PUB, .sig = sig}, other, NULL));
    /* no nonce was sent */
    CHECK(!auth_check(&o, &(auth_connect){.nkey = DEREK_PUB, .sig = sig}, NULL, NULL));
    /* a wrong signature: one character changed */
    strcpy(bad, sig);
    bad[10] = bad[10] == 'A' ? 'B' : 'A';
    CHECK(!auth_check(&o, &(auth_connect){.nkey = DEREK_PUB, .sig = bad}, nonce, NULL));
    /* truncated, extended, garbage, empty and missing signatures */
    snprintf(bad, sizeof bad, "%.84s", sig);
    CHECK(!auth_check(&o, &(auth_connect){.nkey = DEREK_PUB, .sig = bad}, nonce, NULL));
    snprintf(bad, sizeof bad, "%sAAAA", sig);
    CHECK(!auth_check(&o, &(auth_connect){.nkey = DEREK_PUB, .sig = bad}, nonce, NULL));
    CHECK(!auth_check(&o, &(auth_connect){.nkey = DEREK_PUB, .sig = "!!!notbase64!!!"}, nonce,
                      NULL));
    CHECK(!auth_check(&o, &(auth_connect){.nkey = DEREK_PUB, .sig = ""}, nonce, NULL));
    CHECK(!auth_check(&o, &(auth_connect){.nkey = DEREK_PUB}, nonce, NULL));
    /* a valid key and valid signature, but the key is not configured */
    CHECK(sign_url(IVAN_SEED, nonce, sig, sizeof sig) == 0);
    CHECK(!auth_check(&o, &(auth_connect){.nkey = IVAN_PUB, .sig = sig}, nonce, NULL));
    /* no credentials at all, or a user/password, are refused on an nkey-only server */
    CHECK(!auth_check(&o, &(auth_connect){0}, nonce, NULL));
    CHECK(!auth_check(&o, &(auth_connect){.user = DEREK_PUB, .pass = "x"}, nonce, NULL));
}

static void test_nkey_configured_but_malformed(void)
{
    /* A configured key that does not decode (bad CRC) never authenticates, even if the client
     * repeats the same string. */
    char broken[57];
    strcpy(broken, DEREK_PUB);
    broken[30] = broken[30] == 'A' ? 'B' : 'A';
    weir_user users[] = {{.nkey = broken}};
    weir_options o = opts_none();
    o.users = users;
    o.nusers = 1;
    char nonce[AUTH_NONCE_LEN + 1], sig[128];
    auth_make_nonce(nonce);
    CHECK(sign_url(DEREK_SEED, nonce, sig, sizeof sig) == 0);
    CHECK(!auth_check(&o, &(auth_connect){.nkey = broken, .sig = sig}, nonce, NULL));
}

static void test_nkey_natsc_known_signature(void)
{
    /* nats.c's published signature of "nonce" by NATSC_SEED verifies against NATSC_PUB */
    weir_user users[] = {{.nkey = NATSC_PUB}};
    weir_options o = opts_none();
    o.users = users;
    o.nusers = 1;
    const char *who = NULL;
    CHECK(auth_check(&o, &(auth_connect){.nkey = NATSC_PUB, .sig = NATSC_SIG_OF_NONCE}, "nonce",
                     &who));
    CHECK(who != NULL && strcmp(who, NATSC_PUB) == 0);
    CHECK(!auth_check(&o, &(auth_connect){.nkey = NATSC_PUB, .sig = NATSC_SIG_OF_NONCE}, "nonce2",
                      NULL));
    /* and our signing (libsodium, deterministic Ed25519) reproduces it exactly */
    char sig[128];
    CHECK(sign_url(NATSC_SEED, "nonce", sig, sizeof sig) == 0);
    CHECKF(strcmp(sig, NATSC_SIG_OF_NONCE) == 0, "got %s", sig);
}

static void test_mixed_precedence(void)
{
    /* nats-server's mixedSetup: one nkey user and one password user */
    weir_user users[] = {{.nkey = DEREK_PUB}, {.user = "derek", .password = "foo"}};
    weir_options o = opts_none();
    o.users = users;
    o.nusers = 2;
    char nonce[AUTH_NONCE_LEN + 1], sig[128];
    auth_make_nonce(nonce);
    CHECK(sign_url(DEREK_SEED, nonce, sig, sizeof sig) == 0);
    const char *who = NULL;
    CHECK(auth_check(&o, &(auth_connect){.user = "derek", .pass = "foo"}, nonce, &who));
    CHECK(who == users[1].user);
    CHECK(auth_check(&o, &(auth_connect){.nkey = DEREK_PUB, .sig = sig}, nonce, &who));
    CHECK(who == users[0].nkey);
    /* when an nkey is presented, it decides: good user/password does not rescue a bad sig */
    CHECK(!auth_check(&o,
                      &(auth_connect){.nkey = DEREK_PUB, .sig = "AAAA", .user = "derek",
                                      .pass = "foo"},
                      nonce, NULL));
    CHECK(!auth_check(&o,
                      &(auth_connect){.nkey = IVAN_PUB, .sig = sig, .user = "derek",
                                      .pass = "foo"},
                      nonce, NULL));
    /* without nkey users, a presented nkey is ignored and the user/password decides */
    weir_user pw_only[] = {{.user = "derek", .password = "foo"}};
    o.users = pw_only;
    o.nusers = 1;
    CHECK(auth_check(&o, &(auth_connect){.nkey = IVAN_PUB, .user = "derek", .pass = "foo"}, NULL,
                     NULL));
}

int main(void)
{
    RUN(test_required_and_nonce_needed);
    RUN(test_no_auth_accepts_anything);
    RUN(test_nonce);
    RUN(test_token);
    RUN(test_bcrypt_token_known_answers);
    RUN(test_user_password);
    RUN(test_bcrypt_password_known_answer);
    RUN(test_bcrypt_generated_prefixes);
    RUN(test_not_bcrypt_is_plain);
    RUN(test_users_list);
    RUN(test_nkey_user_signs_nonce);
    RUN(test_nkey_signature_encodings);
    RUN(test_nkey_refusals);
    RUN(test_nkey_configured_but_malformed);
    RUN(test_nkey_natsc_known_signature);
    RUN(test_mixed_precedence);
    TESTLIB_EXIT();
}

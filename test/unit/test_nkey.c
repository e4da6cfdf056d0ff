/*
 * test_nkey.c — unit tests for proto/nkey.c: CRC16-XMODEM, public key and seed encoding and
 * decoding, with known-answer vectors published in nats-server's and nats.c's test suites.
 */
#include <sodium.h>
#include <stdint.h>
#include <string.h>

#include "proto/nkey.h"
#include "test/testlib.h"

/* A seed/public pair from nats.c's test suite (test/test.c, the seed-file tests). */
#define NATSC_SEED "SUACSSL3UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYYCU3VY"
#define NATSC_PUB "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4"

/* Seed/public pairs used together in nats-server's server/reload_test.go ("Derek", "Ivan"),
 * and the operator signing keys of nats-server's test/configs/nkeys/sigkeys.txt. */
static const char *const known_pairs[][2] = {
    {"SUAPM67TC4RHQLKBX55NIQXSMATZDOZK6FNEOSS36CAYA7F7TY66LP4BOM",
     "UCNGL4W5QX66CFX6A6DCBVDH5VOHMI7B2UZZU7TXAUQQSI2JPHULCKBR"},
    {"SUAIS5JPX4X4GJ7EIIJEQ56DH2GWPYJRPWN5XJEDENJOZHCBLI7SEPUQDE",
     "UDPGQVFIWZ7Q5UH4I5E6DBCZULQS6VTVBG6CYBD7JV3G3N2GMQOMNAUH"},
    {NATSC_SEED, NATSC_PUB},
    {"SOAO7RDW6CLJORHHBS4DPYYIIIAASEIUJ5WWS5FMWLNTFHUCKQ5CAC45AA",
     "ODSKR7MYFQZ5MMAJ6FPMEETCTE3RIHOFLTYPJRMAVVN4OLV2YYAMHCAC"},
    {"SOAEL3NFOTU6YK3DBTEKQYZ2C5IWSVZWWZCQDASBUOHJKBFLVANK27JMMQ",
     "ODSKACSRBWP537DZDRVJ657JOIGOPOQ6KG7T4HN6OK4F6IECGXDAHNP2"},
    {"SOACSMP662P2BZDKVF6WCB6FIQYORADDWWWEAI55QY24CQRTY4METUING4",
     "ODSKI36LZB44OY5IVCR6P52FZJZYMYWZVWNUDTLEZ5TK2PN3OEMRTABR"},
};

static const char roles[] = {NKEY_PREFIX_USER, NKEY_PREFIX_ACCOUNT, NKEY_PREFIX_SERVER,
                             NKEY_PREFIX_OPERATOR, NKEY_PREFIX_CLUSTER};

/* An independent, deliberately naive base32 encoder (bit by bit) to build crafted inputs. */
static void naive_b32(const uint8_t *in, size_t n, char *out)
{
    const char *alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    size_t nbits = n * 8, o = 0;
    for (size_t bit = 0; bit < nbits; bit += 5) {
        unsigned v = 0;
        for (size_t k = 0; k < 5; k++) {
            size_t b = bit + k;
            unsigned x = b < nbits ? (in[b / 8] >> (7 - b % 8)) & 1 : 0;
            v = (v << 1) | x;
        }
        out[o++] = alpha[v];
    }
    out[o] = 0;
}

static void fixed_seed(uint8_t seed[32])
{
    for (int i = 0; i < 32; i++)
        seed[i] = (uint8_t)(i * 7 + 1);
}

static void test_crc16_known_answers(void)
{
    /* The standard CRC-16/XMODEM check value. */
    CHECK(nkey_crc16((const uint8_t *)"123456789", 9) == 0x31C3);
    CHECK(nkey_crc16(NULL, 0) == 0x0000);
    CHECK(nkey_crc16((const uint8_t *)"A", 1) == 0x58E5);
    const uint8_t zero = 0;
    CHECK(nkey_crc16(&zero, 1) == 0x0000);
}

static void test_known_pairs(void)
{
    CHECK(sodium_init() >= 0);
    for (size_t i = 0; i < sizeof known_pairs / sizeof known_pairs[0]; i++) {
        const char *seed_s = known_pairs[i][0], *pub_s = known_pairs[i][1];
        char role = 0;
        uint8_t seed[32], pk[32], sk[64], dec[32];
        char pub[57], reenc[59];
        CHECKF(nkey_decode_seed(seed_s, &role, seed) == 0, "decode seed %s", seed_s);
        CHECKF(role == pub_s[0], "role %c for %s", role, seed_s);
        CHECK(crypto_sign_seed_keypair(pk, sk, seed) == 0);
        CHECK(nkey_encode_public(pk, role, pub) == 0);
        CHECKF(strcmp(pub, pub_s) == 0, "seed %s gave %s, want %s", seed_s, pub, pub_s);
        CHECK(nkey_decode_public(pub_s, role, dec) == 0);
        CHECK(memcmp(dec, pk, 32) == 0);
        CHECK(nkey_encode_seed(seed, role, reenc) == 0);
        CHECKF(strcmp(reenc, seed_s) == 0, "re-encoded seed %s", reenc);
    }
}

static void test_public_roundtrip_fixed_seed(void)
{
    CHECK(sodium_init() >= 0);
    uint8_t seed[32], pk[32], sk[64], dec[32];
    fixed_seed(seed);
    CHECK(crypto_sign_seed_keypair(pk, sk, seed) == 0);
    for (size_t r = 0; r < sizeof roles; r++) {
        char pub[57];
        memset(pub, 'x', sizeof pub);
        CHECK(nkey_encode_public(pk, roles[r], pub) == 0);
        CHECK(strlen(pub) == 56);
        CHECKF(pub[0] == roles[r], "role %c encoded as %s", roles[r], pub);
        memset(dec, 0, sizeof dec);
        CHECK(nkey_decode_public(pub, roles[r], dec) == 0);
        CHECK(memcmp(dec, pk, 32) == 0);
        /* the same key under any other role is refused */
        for (size_t o = 0; o < sizeof roles; o++)
            if (o != r)
                CHECKF(nkey_decode_public(pub, roles[o], dec) == -1, "%s accepted as %c", pub,
                       roles[o]);
    }
}

static void test_public_encoding_matches_naive(void)
{
    uint8_t pk[32], raw[35];
    char a[57], b[57];
    for (int i = 0; i < 32; i++)
        pk[i] = (uint8_t)(0xff - i * 3);
    CHECK(nkey_encode_public(pk, NKEY_PREFIX_USER, a) == 0);
    raw[0] = 20 << 3;
    memcpy(raw + 1, pk, 32);
    uint16_t crc = nkey_crc16(raw, 33);
    raw[33] = (uint8_t)(crc & 0xff);
    raw[34] = (uint8_t)(crc >> 8);
    naive_b32(raw, sizeof raw, b);
    CHECKF(strcmp(a, b) == 0, "%s vs %s", a, b);
}

static void test_public_corruption_refused(void)
{
    uint8_t dec[32];
    char buf[57];
    CHECK(nkey_decode_public(NATSC_PUB, NKEY_PREFIX_USER, dec) == 0);
    /* every single-character substitution breaks the CRC (or the prefix for position 0) */
    for (size_t i = 0; i < 56; i++) {
        strcpy(buf, NATSC_PUB);
        buf[i] = buf[i] == 'A' ? 'B' : 'A';
        CHECKF(nkey_decode_public(buf, NKEY_PREFIX_USER, dec) == -1, "flip at %zu accepted", i);
    }
    /* swapping two adjacent different characters too */
    strcpy(buf, NATSC_PUB);
    char t = buf[10];
    buf[10] = buf[11];
    buf[11] = t;
    CHECK(buf[10] != buf[11]);
    CHECK(nkey_decode_public(buf, NKEY_PREFIX_USER, dec) == -1);
}

static void test_public_bad_input_refused(void)
{
    uint8_t dec[32];
    char buf[80];
    CHECK(nkey_decode_public(NULL, NKEY_PREFIX_USER, dec) == -1);
    CHECK(nkey_decode_public("", NKEY_PREFIX_USER, dec) == -1);
    /* wrong length */
    snprintf(buf, sizeof buf, "%.55s", NATSC_PUB);
    CHECK(nkey_decode_public(buf, NKEY_PREFIX_USER, dec) == -1);
    snprintf(buf, sizeof buf, "%sA", NATSC_PUB);
    CHECK(nkey_decode_public(buf, NKEY_PREFIX_USER, dec) == -1);
    /* characters outside the upper-case RFC 4648 alphabet */
    const char bad[] = {'a', 'u', '0', '1', '8', '9', '=', ' ', '-', '_'};
    for (size_t i = 0; i < sizeof bad; i++) {
        strcpy(buf, NATSC_PUB);
        buf[20] = bad[i];
        CHECKF(nkey_decode_public(buf, NKEY_PREFIX_USER, dec) == -1, "char '%c' accepted", bad[i]);
    }
    /* lower-cased whole key */
    strcpy(buf, NATSC_PUB);
    for (char *p = buf; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    CHECK(nkey_decode_public(buf, NKEY_PREFIX_USER, dec) == -1);
    /* a seed is not a public key */
    CHECK(nkey_decode_public(NATSC_SEED, NKEY_PREFIX_USER, dec) == -1);
    /* unknown roles */
    CHECK(nkey_decode_public(NATSC_PUB, 'X', dec) == -1);
    CHECK(nkey_decode_public(NATSC_PUB, 'S', dec) == -1);
    char out[57];
    CHECK(nkey_encode_public(dec, 'S', out) == -1);
    CHECK(nkey_encode_public(dec, 'P', out) == -1);
    CHECK(nkey_encode_seed(dec, 'Z', buf) == -1);
}

static void test_public_wrong_prefix_valid_crc(void)
{
    /* a well-formed key (valid CRC) whose prefix byte is the seed prefix: refused for 'U' */
    uint8_t raw[35], dec[32];
    char enc[57];
    raw[0] = 18 << 3;
    for (int i = 0; i < 32; i++)
        raw[1 + i] = (uint8_t)i;
    uint16_t crc = nkey_crc16(raw, 33);
    raw[33] = (uint8_t)(crc & 0xff);
    raw[34] = (uint8_t)(crc >> 8);
    naive_b32(raw, sizeof raw, enc);
    CHECK(enc[0] == 'S');
    CHECK(nkey_decode_public(enc, NKEY_PREFIX_USER, dec) == -1);
    /* the same with the user prefix is accepted: the construction itself is right */
    raw[0] = 20 << 3;
    crc = nkey_crc16(raw, 33);
    raw[33] = (uint8_t)(crc & 0xff);
    raw[34] = (uint8_t)(crc >> 8);
    naive_b32(raw, sizeof raw, enc);
    CHECK(nkey_decode_public(enc, NKEY_PREFIX_USER, dec) == 0);
    CHECK(dec[31] == 31);
}

static void test_seed_roundtrip(void)
{
    uint8_t seed[32], dec[32];
    fixed_seed(seed);
    for (size_t r = 0; r < sizeof roles; r++) {
        char enc[59];
        char role = 0;
        CHECK(nkey_encode_seed(seed, roles[r], enc) == 0);
        CHECK(strlen(enc) == 58);
        CHECKF(enc[0] == 'S' && enc[1] == roles[r], "seed for %c encoded as %.2s", roles[r], enc);
        memset(dec, 0, sizeof dec);
        CHECK(nkey_decode_seed(enc, &role, dec) == 0);
        CHECK(role == roles[r]);
        CHECK(memcmp(dec, seed, 32) == 0);
        CHECK(nkey_decode_seed(enc, NULL, dec) == 0); /* role is optional */
    }
}

static void test_seed_bad_input_refused(void)
{
    uint8_t dec[32];
    char role, buf[80];
    CHECK(nkey_decode_seed(NULL, &role, dec) == -1);
    CHECK(nkey_decode_seed("", &role, dec) == -1);
    CHECK(nkey_decode_seed(NATSC_PUB, &role, dec) == -1);
    snprintf(buf, sizeof buf, "%.57s", NATSC_SEED);
    CHECK(nkey_decode_seed(buf, &role, dec) == -1);
    snprintf(buf, sizeof buf, "%sA", NATSC_SEED);
    CHECK(nkey_decode_seed(buf, &role, dec) == -1);
    for (size_t i = 0; i < 57; i++) { /* the last char only carries 3 payload bits + padding */
        strcpy(buf, NATSC_SEED);
        buf[i] = buf[i] == 'A' ? 'B' : 'A';
        CHECKF(nkey_decode_seed(buf, &role, dec) == -1, "flip at %zu accepted", i);
    }
    strcpy(buf, NATSC_SEED);
    buf[30] = 'a';
    CHECK(nkey_decode_seed(buf, &role, dec) == -1);

    /* crafted seeds with a valid CRC but a wrong first prefix, or an invalid role */
    uint8_t raw[36];
    const struct {
        uint8_t b0, b1;
    } bad[] = {
        {(uint8_t)((15u << 3) | (160u >> 5)), (uint8_t)((160u & 31) << 3)}, /* 'P' not 'S' */
        {(uint8_t)((18u << 3) | (144u >> 5)), (uint8_t)((144u & 31) << 3)}, /* role 'S' */
        {(uint8_t)((18u << 3) | (120u >> 5)), (uint8_t)((120u & 31) << 3)}, /* role 'P' */
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        raw[0] = bad[k].b0;
        raw[1] = bad[k].b1;
        for (int i = 0; i < 32; i++)
            raw[2 + i] = (uint8_t)(i + 100);
        uint16_t crc = nkey_crc16(raw, 34);
        raw[34] = (uint8_t)(crc & 0xff);
        raw[35] = (uint8_t)(crc >> 8);
        naive_b32(raw, sizeof raw, buf);
        CHECK(strlen(buf) == 58);
        CHECKF(nkey_decode_seed(buf, &role, dec) == -1, "crafted seed %s accepted", buf);
    }
    /* control: the same construction with a user seed prefix decodes */
    raw[0] = (uint8_t)((18u << 3) | (160u >> 5));
    raw[1] = (uint8_t)((160u & 31) << 3);
    uint16_t crc = nkey_crc16(raw, 34);
    raw[34] = (uint8_t)(crc & 0xff);
    raw[35] = (uint8_t)(crc >> 8);
    naive_b32(raw, sizeof raw, buf);
    CHECK(nkey_decode_seed(buf, &role, dec) == 0);
    CHECK(role == 'U' && dec[0] == 100);
}

int main(void)
{
    RUN(test_crc16_known_answers);
    RUN(test_known_pairs);
    RUN(test_public_roundtrip_fixed_seed);
    RUN(test_public_encoding_matches_naive);
    RUN(test_public_corruption_refused);
    RUN(test_public_bad_input_refused);
    RUN(test_public_wrong_prefix_valid_crc);
    RUN(test_seed_roundtrip);
    RUN(test_seed_bad_input_refused);
    TESTLIB_EXIT();
}

/*
 * test_seal.c — unit tests for stream/seal.c (encryption at rest of stream records): round
 * trips, every way a record must fail to open, key derivation and check values pinned by vectors
 * computed independently (Python hashlib.blake2b and an XChaCha20 built from HChaCha20 plus
 * pyca/cryptography's ChaCha20-Poly1305), and an informational throughput line.
 */
#include "stream/seal.h"
#include "test/testlib.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char kat_secret[] = "correct horse battery staple, but longer and random: 9f8e7d6c5b4a";

static seal_key *master_of(const char *secret)
{
    return seal_key_from_secret(secret, strlen(secret));
}

/* Fills buf with a recognisable, non-repeating-looking text: "record 0000 of weir ..." lines. */
static void fill_plain(uint8_t *buf, size_t len)
{
    char line[64];
    size_t off = 0;
    for (int i = 0; off < len; i++) {
        int n = snprintf(line, sizeof line, "record %04d of weir plaintext PII alice@example.com\n", i);
        size_t take = (size_t)n < len - off ? (size_t)n : len - off;
        memcpy(buf + off, line, take);
        off += take;
    }
}

static int hexval(char c)
{
    return c <= '9' ? c - '0' : c - 'a' + 10;
}

static size_t unhex(const char *hex, uint8_t *out)
{
    size_t n = strlen(hex) / 2;
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)(hexval(hex[2 * i]) << 4 | hexval(hex[2 * i + 1]));
    return n;
}

static void test_round_trip(void)
{
    seal_key *m = master_of(kat_secret);
    seal_key *k = seal_key_for_stream(m, "ORDERS");
    CHECK(m && k);
    static const size_t sizes[] = {1, 15, 16, 17, 63, 64, 65, 1000, 65536};
    int ok = 1;
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes && ok; i++) {
        size_t n = sizes[i];
        uint8_t *p = malloc(n), *s = malloc(n + seal_overhead()), *o = malloc(n);
        fill_plain(p, n);
        size_t sl = seal_record(k, "ORDERS", 42 + i, p, n, s);
        ssize_t ol = seal_open_record(k, "ORDERS", 42 + i, s, sl, o);
        ok = sl == n + seal_overhead() && ol == (ssize_t)n && memcmp(p, o, n) == 0;
        free(p);
        free(s);
        free(o);
    }
    seal_key_free(k);
    seal_key_free(m);
    CHECK(ok);
}

static void test_overhead(void)
{
    CHECK(seal_overhead() == 40);
}

/* A key derived again from the same secret (a restart) opens what the first one sealed. */
static void test_same_secret_same_keys(void)
{
    seal_key *m1 = master_of(kat_secret), *m2 = master_of(kat_secret);
    seal_key *k1 = seal_key_for_stream(m1, "S"), *k2 = seal_key_for_stream(m2, "S");
    uint8_t s[64], o[24];
    size_t sl = seal_record(k1, "S", 7, (const uint8_t *)"persisted", 9, s);
    ssize_t ol = seal_open_record(k2, "S", 7, s, sl, o);
    seal_key_free(k1);
    seal_key_free(k2);
    seal_key_free(m1);
    seal_key_free(m2);
    CHECK(ol == 9 && memcmp(o, "persisted", 9) == 0);
}

static void test_wrong_key_fails(void)
{
    seal_key *m1 = master_of(kat_secret), *m2 = master_of("a different secret");
    seal_key *k1 = seal_key_for_stream(m1, "S"), *k2 = seal_key_for_stream(m2, "S");
    uint8_t s[64], o[24];
    memset(o, 0xAA, sizeof o);
    size_t sl = seal_record(k1, "S", 1, (const uint8_t *)"secret data", 11, s);
    ssize_t wrong = seal_open_record(k2, "S", 1, s, sl, o);
    /* The master key itself is not the stream key either. */
    ssize_t master = seal_open_record(m1, "S", 1, s, sl, o);
    int leaked = memmem(o, sizeof o, "secret", 6) != NULL;
    seal_key_free(k1);
    seal_key_free(k2);
    seal_key_free(m1);
    seal_key_free(m2);
    CHECK(sl == 51);
    CHECK(wrong == -1);
    CHECK(master == -1);
    CHECK(!leaked);
}

static void test_wrong_seq_fails(void)
{
    seal_key *m = master_of(kat_secret), *k = seal_key_for_stream(m, "S");
    uint8_t s[64], o[24];
    size_t sl = seal_record(k, "S", 1000, (const uint8_t *)"payload", 7, s);
    ssize_t right = seal_open_record(k, "S", 1000, s, sl, o);
    ssize_t next = seal_open_record(k, "S", 1001, s, sl, o);
    ssize_t prev = seal_open_record(k, "S", 999, s, sl, o);
    ssize_t high = seal_open_record(k, "S", 1000 | (1ULL << 63), s, sl, o);
    seal_key_free(k);
    seal_key_free(m);
    CHECK(right == 7);
    CHECK(next == -1 && prev == -1 && high == -1);
}

/* The stream name is in the associated data: even under the same key (say, a caller that mixes up
 * which key goes with which stream) a record does not open as another stream's. */
static void test_wrong_stream_fails(void)
{
    seal_key *m = master_of(kat_secret);
    seal_key *ka = seal_key_for_stream(m, "A"), *kb = seal_key_for_stream(m, "B");
    uint8_t s[64], o[24];
    size_t sl = seal_record(ka, "A", 5, (const uint8_t *)"payload", 7, s);
    ssize_t same_key_other_name = seal_open_record(ka, "B", 5, s, sl, o);
    ssize_t other_key_other_name = seal_open_record(kb, "B", 5, s, sl, o);
    ssize_t prefix_name = seal_open_record(ka, "AB", 5, s, sl, o);
    seal_key_free(ka);
    seal_key_free(kb);
    seal_key_free(m);
    CHECK(same_key_other_name == -1);
    CHECK(other_key_other_name == -1);
    CHECK(prefix_name == -1);
}

/* Every single bit flip, anywhere (nonce, ciphertext, tag), and every truncation is refused. */
static void test_tampered_fails(void)
{
    seal_key *m = master_of(kat_secret), *k = seal_key_for_stream(m, "S");
    uint8_t s[128], o[128];
    const char *msg = "transfer 100 to bob";
    size_t n = strlen(msg);
    size_t sl = seal_record(k, "S", 3, (const uint8_t *)msg, n, s);
    int bad_flip = -1, bad_trunc = -1;
    for (size_t i = 0; i < sl * 8 && bad_flip < 0; i++) {
        s[i / 8] ^= (uint8_t)(1u << (i % 8));
        if (seal_open_record(k, "S", 3, s, sl, o) != -1)
            bad_flip = (int)i;
        s[i / 8] ^= (uint8_t)(1u << (i % 8));
    }
    for (size_t l = 0; l < sl && bad_trunc < 0; l++)
        if (seal_open_record(k, "S", 3, s, l, o) != -1)
            bad_trunc = (int)l;
    ssize_t intact = seal_open_record(k, "S", 3, s, sl, o);
    seal_key_free(k);
    seal_key_free(m);
    CHECKF(bad_flip < 0, "flipping bit %d went unnoticed", bad_flip);
    CHECKF(bad_trunc < 0, "truncation to %d bytes went unnoticed", bad_trunc);
    CHECK(intact == (ssize_t)n && memcmp(o, msg, n) == 0);
}

static void test_nonces_differ(void)
{
    seal_key *m = master_of(kat_secret), *k = seal_key_for_stream(m, "S");
    uint8_t a[64], b[64];
    size_t la = seal_record(k, "S", 1, (const uint8_t *)"same text", 9, a);
    size_t lb = seal_record(k, "S", 1, (const uint8_t *)"same text", 9, b);
    seal_key_free(k);
    seal_key_free(m);
    CHECK(la == lb);
    CHECK(memcmp(a, b, 24) != 0);           /* nonces */
    CHECK(memcmp(a + 24, b + 24, 9) != 0);  /* and so the ciphertexts */
}

static void test_check_value(void)
{
    seal_key *m = master_of(kat_secret), *again = master_of(kat_secret);
    seal_key *wrong = master_of("not the key");
    uint8_t v[SEAL_CHECK_VALUE_MAX], v2[SEAL_CHECK_VALUE_MAX];
    size_t n = seal_key_check_value(m, v);
    size_t n2 = seal_key_check_value(again, v2);
    bool right_ok = seal_key_verify(again, v, n);
    bool wrong_ok = seal_key_verify(wrong, v, n);
    bool short_ok = seal_key_verify(m, v, n - 1);
    bool long_ok = seal_key_verify(m, v, n + 1);
    bool empty_ok = seal_key_verify(m, v, 0);
    v[0] ^= 0x80; /* unknown format version */
    bool version_ok = seal_key_verify(m, v, n);
    v[0] ^= 0x80;
    v[n - 1] ^= 1;
    bool flipped_ok = seal_key_verify(m, v, n);
    seal_key_free(m);
    seal_key_free(again);
    seal_key_free(wrong);
    CHECK(n > 0 && n <= SEAL_CHECK_VALUE_MAX && n == n2);
    CHECK(memcmp(v, v2, n - 1) == 0); /* deterministic (last byte flipped above) */
    CHECK(right_ok);
    CHECK(!wrong_ok);
    CHECK(!short_ok && !long_ok && !empty_ok && !version_ok && !flipped_ok);
}

/* Pins the derivations (master key, stream key, check value) to vectors computed outside this
 * code base with Python's hashlib.blake2b. If this fails, existing stores can no longer be read. */
static void test_known_answer_derivation(void)
{
    static const char want_master[] =
        "01f0e11a05592a76c05ca22305dadf1790aca08066fe92929e5e897030c4b185ba";
    static const char want_stream[] =
        "014fee222c8af99eefbf9dd2d375444d29545be6c637d37777124cf341e5c784b8";
    uint8_t want[64], got[SEAL_CHECK_VALUE_MAX];
    seal_key *m = master_of(kat_secret), *k = seal_key_for_stream(m, "ORDERS");
    size_t wl = unhex(want_master, want);
    size_t gl = seal_key_check_value(m, got);
    int master_ok = gl == wl && memcmp(got, want, wl) == 0;
    wl = unhex(want_stream, want);
    gl = seal_key_check_value(k, got);
    int stream_ok = gl == wl && memcmp(got, want, wl) == 0;
    seal_key_free(k);
    seal_key_free(m);
    CHECK(master_ok);
    CHECK(stream_ok);
}

/* A record sealed by an independent implementation (fixed nonce 0x40..0x57, seq
 * 0x0102030405060708, stream "ORDERS") opens: pins the record layout and the associated data. */
static void test_known_answer_record(void)
{
    static const uint8_t sealed[] = {
        0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e,
        0x4f, 0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0xcd, 0x9b, 0xf9, 0x60, 0xb4, 0x57,
        0x74, 0x6f, 0xf9, 0x51, 0x86, 0xf1, 0xd2, 0x80, 0x1d, 0x90, 0xbd, 0x4f, 0xab, 0xd3, 0x61,
        0xae, 0x3d, 0x75, 0x5b, 0x0d, 0x0a, 0xeb, 0x43, 0x22, 0x89, 0x74, 0x9d, 0x3c, 0x05};
    seal_key *m = master_of(kat_secret), *k = seal_key_for_stream(m, "ORDERS");
    uint8_t o[sizeof sealed], o2[sizeof sealed];
    ssize_t n = seal_open_record(k, "ORDERS", 0x0102030405060708ULL, sealed, sizeof sealed, o);
    ssize_t le = seal_open_record(k, "ORDERS", 0x0807060504030201ULL, sealed, sizeof sealed, o2);
    seal_key_free(k);
    seal_key_free(m);
    CHECK(n == 19 && memcmp(o, "hello, sealed world", 19) == 0);
    CHECK(le == -1); /* the sequence is big-endian in the associated data */
}

static void test_stream_keys_differ(void)
{
    seal_key *m = master_of(kat_secret);
    seal_key *a = seal_key_for_stream(m, "ORDERS"), *a2 = seal_key_for_stream(m, "ORDERS");
    seal_key *b = seal_key_for_stream(m, "ORDERS2"), *e = seal_key_for_stream(m, "");
    uint8_t va[SEAL_CHECK_VALUE_MAX], va2[SEAL_CHECK_VALUE_MAX], vb[SEAL_CHECK_VALUE_MAX];
    uint8_t ve[SEAL_CHECK_VALUE_MAX], vm[SEAL_CHECK_VALUE_MAX];
    size_t n = seal_key_check_value(a, va);
    seal_key_check_value(a2, va2);
    seal_key_check_value(b, vb);
    seal_key_check_value(e, ve);
    seal_key_check_value(m, vm);
    /* A record of ORDERS, relabelled as ORDERS2 and opened with ORDERS2's key, fails too. */
    uint8_t s[64], o[24];
    size_t sl = seal_record(a, "ORDERS", 1, (const uint8_t *)"x", 1, s);
    ssize_t cross = seal_open_record(b, "ORDERS", 1, s, sl, o);
    seal_key_free(a);
    seal_key_free(a2);
    seal_key_free(b);
    seal_key_free(e);
    seal_key_free(m);
    CHECK(memcmp(va, va2, n) == 0);
    CHECK(memcmp(va, vb, n) != 0 && memcmp(va, ve, n) != 0 && memcmp(vb, ve, n) != 0);
    CHECK(memcmp(va, vm, n) != 0 && memcmp(ve, vm, n) != 0);
    CHECK(cross == -1);
}

static void test_no_plaintext_in_output(void)
{
    enum { N = 1024, W = 8 };
    seal_key *m = master_of(kat_secret), *k = seal_key_for_stream(m, "PII");
    uint8_t *p = malloc(N), *s = malloc(N + seal_overhead());
    fill_plain(p, N);
    size_t sl = seal_record(k, "PII", 1, p, N, s);
    int found_at = -1;
    for (size_t i = 0; i + W <= N && found_at < 0; i++)
        if (memmem(s, sl, p + i, W))
            found_at = (int)i;
    free(p);
    free(s);
    seal_key_free(k);
    seal_key_free(m);
    CHECK(sl == N + seal_overhead());
    CHECKF(found_at < 0, "plaintext bytes %d..%d appear in the sealed record", found_at,
           found_at + W - 1);
}

static void test_empty_plaintext(void)
{
    seal_key *m = master_of(kat_secret), *k = seal_key_for_stream(m, "S");
    uint8_t s[64], o[1];
    size_t sl = seal_record(k, "S", 9, NULL, 0, s);
    ssize_t ol = seal_open_record(k, "S", 9, s, sl, NULL);
    ssize_t ol2 = seal_open_record(k, "S", 9, s, sl, o);
    ssize_t wrong_seq = seal_open_record(k, "S", 10, s, sl, o);
    s[30] ^= 1;
    ssize_t tampered = seal_open_record(k, "S", 9, s, sl, o);
    seal_key_free(k);
    seal_key_free(m);
    CHECK(sl == seal_overhead());
    CHECK(ol == 0 && ol2 == 0);
    CHECK(wrong_seq == -1 && tampered == -1);
}

/* Stream names longer than the on-stack associated-data buffer take the heap path. */
static void test_long_stream_name(void)
{
    char name[2000];
    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = 0;
    seal_key *m = master_of(kat_secret), *k = seal_key_for_stream(m, name);
    uint8_t s[64], o[24], o2[24];
    size_t sl = seal_record(k, name, 1, (const uint8_t *)"long", 4, s);
    ssize_t ol = seal_open_record(k, name, 1, s, sl, o);
    name[1500] = 'm';
    ssize_t other = seal_open_record(k, name, 1, s, sl, o2);
    seal_key_free(k);
    seal_key_free(m);
    CHECK(sl == 44 && ol == 4 && memcmp(o, "long", 4) == 0);
    CHECK(other == -1);
}

static void test_bad_arguments(void)
{
    CHECK(seal_key_from_secret(NULL, 5) == NULL);
    CHECK(seal_key_from_secret("x", 0) == NULL);
    seal_key *m = seal_key_from_secret("x", 1); /* one byte is allowed (weak, but valid) */
    bool one_byte_ok = m != NULL;
    seal_key *bin = seal_key_from_secret("a\0b", 3); /* binary secrets use all their bytes */
    seal_key *a = seal_key_from_secret("a", 1);
    uint8_t v[SEAL_CHECK_VALUE_MAX];
    size_t n = seal_key_check_value(bin, v);
    bool same = seal_key_verify(a, v, n);
    seal_key *none = seal_key_for_stream(NULL, "S"), *none2 = seal_key_for_stream(m, NULL);
    bool null_key = seal_key_verify(NULL, v, n), null_val = seal_key_verify(m, NULL, n);
    seal_key_free(m);
    seal_key_free(bin);
    seal_key_free(a);
    seal_key_free(NULL);
    CHECK(one_byte_ok);
    CHECK(!same);
    CHECK(none == NULL && none2 == NULL);
    CHECK(!null_key && !null_val);
}

static void test_secret_from_env(void)
{
    CHECK(strcmp(SEAL_ENV_VAR, "WEIR_JETSTREAM_KEY") == 0);
    unsetenv(SEAL_ENV_VAR);
    CHECK(seal_secret_from_env() == NULL);
    setenv(SEAL_ENV_VAR, "", 1);
    CHECK(seal_secret_from_env() == NULL);
    setenv(SEAL_ENV_VAR, "s3cr3t-from-env", 1);
    const char *s = seal_secret_from_env();
    int ok = s && strcmp(s, "s3cr3t-from-env") == 0;
    unsetenv(SEAL_ENV_VAR);
    CHECK(ok);
}

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Informational: seal + open round trips per second for one record size (~0.25 s of work). */
static void bench_size(const seal_key *k, size_t n)
{
    uint8_t *p = malloc(n), *s = malloc(n + seal_overhead()), *o = malloc(n);
    fill_plain(p, n);
    long ops = 0;
    int failed = 0;
    double t0 = now_sec(), t;
    do {
        for (int i = 0; i < 64; i++, ops++) {
            size_t sl = seal_record(k, "BENCH", (uint64_t)ops, p, n, s);
            failed |= seal_open_record(k, "BENCH", (uint64_t)ops, s, sl, o) != (ssize_t)n;
        }
        t = now_sec() - t0;
    } while (t < 0.25);
    printf("INFO seal+open %6zu B records: %9.0f round trips/s, %8.1f MiB/s of payload%s\n", n,
           (double)ops / t, (double)ops * (double)n / t / (1024.0 * 1024.0),
           failed ? " (SOME FAILED)" : "");
    free(p);
    free(s);
    free(o);
}

int main(void)
{
    RUN(test_round_trip);
    RUN(test_overhead);
    RUN(test_same_secret_same_keys);
    RUN(test_wrong_key_fails);
    RUN(test_wrong_seq_fails);
    RUN(test_wrong_stream_fails);
    RUN(test_tampered_fails);
    RUN(test_nonces_differ);
    RUN(test_check_value);
    RUN(test_known_answer_derivation);
    RUN(test_known_answer_record);
    RUN(test_stream_keys_differ);
    RUN(test_no_plaintext_in_output);
    RUN(test_empty_plaintext);
    RUN(test_long_stream_name);
    RUN(test_bad_arguments);
    RUN(test_secret_from_env);

    seal_key *m = master_of(kat_secret), *k = seal_key_for_stream(m, "BENCH");
    if (k) {
        bench_size(k, 128);
        bench_size(k, 16384);
    }
    seal_key_free(k);
    seal_key_free(m);
    TESTLIB_EXIT();
}

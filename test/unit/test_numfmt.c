/*
 * test_numfmt.c — unit tests for proto/numfmt.h: every digit count and the boundaries around
 * each power of ten, the extremes of both types, and a run of pseudo-random values, each
 * compared with what snprintf writes; nothing written past the returned length.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "proto/numfmt.h"
#include "test/testlib.h"

/* got (k bytes written into a buffer filled with '#') is snprintf's want, and nothing more */
static int same_as_printf(const char *want, int n, const char *got, size_t k)
{
    return (size_t)n == k && memcmp(want, got, k) == 0 && got[k] == '#';
}

static int u64_agrees(uint64_t v)
{
    char want[32], got[NUMFMT_MAX + 2];
    memset(got, '#', sizeof got);
    int n = snprintf(want, sizeof want, "%" PRIu64, v);
    return same_as_printf(want, n, got, numfmt_u64(got, v));
}

static int i64_agrees(int64_t v)
{
    char want[32], got[NUMFMT_MAX + 2];
    memset(got, '#', sizeof got);
    int n = snprintf(want, sizeof want, "%" PRId64, v);
    return same_as_printf(want, n, got, numfmt_i64(got, v));
}

static void test_powers_of_ten(void)
{
    for (uint64_t p = 1, i = 0; i < 20; i++, p *= 10) {
        CHECKF(u64_agrees(p), "%" PRIu64, p);
        CHECKF(u64_agrees(p - 1), "%" PRIu64, p - 1);
        CHECKF(u64_agrees(p + 1), "%" PRIu64, p + 1);
    }
}

static void test_small(void)
{
    for (uint64_t v = 0; v < 100000; v++)
        CHECKF(u64_agrees(v), "%" PRIu64, v);
}

static void test_extremes(void)
{
    CHECK(u64_agrees(UINT64_MAX));
    CHECK(u64_agrees(UINT64_MAX - 1));
    CHECK(i64_agrees(INT64_MAX));
    CHECK(i64_agrees(INT64_MIN));
    CHECK(i64_agrees(INT64_MIN + 1));
    CHECK(i64_agrees(-1));
    CHECK(i64_agrees(0));
    CHECK(i64_agrees(1700000000123456789LL)); /* a timestamp in ns, as ack subjects carry */
    char out[NUMFMT_MAX + 1]; /* + 1: gcc cannot see that a negative number has 19 digits */
    CHECK(numfmt_i64(out, INT64_MIN) == NUMFMT_MAX);
}

static void test_random(void)
{
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint64_t v = x >> (i % 64); /* every magnitude */
        CHECKF(u64_agrees(v), "%" PRIu64, v);
        CHECKF(i64_agrees((int64_t)x), "%" PRId64, (int64_t)x);
    }
}

int main(void)
{
    RUN(test_powers_of_ten);
    RUN(test_small);
    RUN(test_extremes);
    RUN(test_random);
    TESTLIB_EXIT();
}

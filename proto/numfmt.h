/*
 * numfmt.h — decimal formatting of integers for the hot paths (MSG lines, ack subjects,
 * PubAcks), where snprintf's format parsing costs more than the rest of a delivery.
 * Pure functions; no terminating NUL is written.
 */
#ifndef WEIR_NUMFMT_H
#define WEIR_NUMFMT_H

#include <stddef.h>
#include <stdint.h>

/* Longest output of numfmt_i64 ("-9223372036854775808"). */
#define NUMFMT_MAX 20

/* Writes v in decimal at out (at most NUMFMT_MAX bytes); returns the number written. Two digits
 * per division: a delivery's ack subject carries a 19-digit timestamp. */
static inline size_t numfmt_u64(char *out, uint64_t v)
{
    static const char pairs[] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                "8081828384858687888990919293949596979899";
    char tmp[NUMFMT_MAX];
    size_t i = NUMFMT_MAX;
    while (v >= 100) {
        const char *p = pairs + 2 * (v % 100);
        v /= 100;
        tmp[--i] = p[1];
        tmp[--i] = p[0];
    }
    if (v >= 10) {
        tmp[--i] = pairs[2 * v + 1];
        tmp[--i] = pairs[2 * v];
    } else {
        tmp[--i] = (char)('0' + v);
    }
    size_t n = NUMFMT_MAX - i;
    for (size_t k = 0; k < n; k++)
        out[k] = tmp[i + k];
    return n;
}

static inline size_t numfmt_i64(char *out, int64_t v)
{
    if (v >= 0)
        return numfmt_u64(out, (uint64_t)v);
    out[0] = '-';
    return 1 + numfmt_u64(out + 1, (uint64_t)0 - (uint64_t)v);
}

#endif

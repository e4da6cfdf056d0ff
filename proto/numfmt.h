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

/* Writes v in decimal at out (at most NUMFMT_MAX bytes); returns the number written. */
static inline size_t numfmt_u64(char *out, uint64_t v)
{
    char tmp[NUMFMT_MAX];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
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

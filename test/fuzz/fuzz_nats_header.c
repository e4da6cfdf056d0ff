/*
 * fuzz_nats_header.c — libFuzzer target for proto/nats_header.c. Arbitrary bytes are parsed as
 * a header block (in a buffer of exactly their size, so any over-read is caught); every slice
 * of the view must lie inside the input; whenever the parse succeeds, nats_header_find must
 * return exactly what nats_header_get returns, for fixed keys and for every key in the block;
 * and the block rewritten by nats_header_extend_without (fields starting with 'A' dropped, one
 * added) and by nats_header_set (key "B") must parse to the fields expected of it.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/nats_header.h"

static void check_slice(nats_slice s, const char *lo, const char *hi)
{
    if (s.ptr && (s.ptr < lo || s.ptr + s.len > hi))
        abort();
}

static bool slice_eq(nats_slice a, nats_slice b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* find agrees with get on key: same presence, same slice. Checked even when the parse failed
 * that find stays inside the input. */
static void check_key(const char *buf, size_t len, const nats_header *h, bool parsed,
                      const char *key)
{
    nats_slice found = {NULL, 0};
    bool ok = nats_header_find(buf, len, key, &found);
    if (ok)
        check_slice(found, buf, buf + len);
    if (!parsed)
        return;
    nats_slice got = nats_header_get(h, key);
    if (ok != (got.ptr != NULL))
        abort();
    if (ok && (got.ptr != found.ptr || got.len != found.len))
        abort();
}

static bool starts_with_a(nats_slice key, void *arg)
{
    (void)arg;
    return key.len > 0 && key.ptr[0] == 'A';
}

static bool is_key(nats_slice k, const char *key)
{
    return k.len == strlen(key) && memcmp(k.ptr, key, k.len) == 0;
}

/* The parsed block h (of buf) rewritten both ways; each copy must parse with the same status
 * line, the fields expected in order, and the values expected. */
static void check_rewrites(const char *buf, size_t len, const nats_header *h)
{
    size_t n, kept = 0;
    char *x = nats_header_extend_without(buf, len, starts_with_a, NULL, "X: y\r\n", 6, &n);
    if (!x)
        abort(); /* every line of a block that parses ends in CRLF */
    for (size_t i = 0; i < h->nfields; i++)
        kept += !starts_with_a(h->fields[i].key, NULL);
    nats_header h2;
    if (kept < NATS_HEADER_MAX_FIELDS) {
        if (nats_header_parse(x, n, &h2) != 0 || h2.status != h->status ||
            !slice_eq(h2.description, h->description) || h2.nfields != kept + 1 ||
            !is_key(h2.fields[kept].key, "X") ||
            !slice_eq(h2.fields[kept].value, (nats_slice){"y", 1}))
            abort();
        for (size_t i = 0, j = 0; i < h->nfields; i++) {
            if (starts_with_a(h->fields[i].key, NULL))
                continue;
            if (!slice_eq(h2.fields[j].key, h->fields[i].key) ||
                !slice_eq(h2.fields[j].value, h->fields[i].value))
                abort();
            j++;
        }
    }
    free(x);

    x = nats_header_set(buf, len, "B", "v", 1, &n);
    if (!x)
        abort();
    size_t bs = 0;
    for (size_t i = 0; i < h->nfields; i++)
        bs += is_key(h->fields[i].key, "B");
    size_t want = h->nfields + (bs == 0);
    if (want <= NATS_HEADER_MAX_FIELDS) {
        if (nats_header_parse(x, n, &h2) != 0 || h2.status != h->status ||
            !slice_eq(h2.description, h->description) || h2.nfields != want)
            abort();
        for (size_t i = 0; i < want; i++) {
            bool b = i == h->nfields || is_key(h->fields[i].key, "B");
            if (b ? !is_key(h2.fields[i].key, "B") ||
                        !slice_eq(h2.fields[i].value, (nats_slice){"v", 1})
                  : !slice_eq(h2.fields[i].key, h->fields[i].key) ||
                        !slice_eq(h2.fields[i].value, h->fields[i].value))
                abort();
        }
    }
    free(x);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    if (size)
        memcpy(buf, data, size);
    const char *lo = buf, *hi = buf + size;

    nats_header h;
    bool parsed = nats_header_parse(buf, size, &h) == 0;
    if (parsed) {
        if (h.nfields > NATS_HEADER_MAX_FIELDS)
            abort();
        if (h.status != 0 && (h.status < 100 || h.status > 999))
            abort();
        check_slice(h.description, lo, hi);
        for (size_t i = 0; i < h.nfields; i++) {
            check_slice(h.fields[i].key, lo, hi);
            check_slice(h.fields[i].value, lo, hi);
            if (!h.fields[i].key.ptr || !h.fields[i].value.ptr)
                abort();
        }
    } else if (h.nfields != 0 || h.status != 0) {
        abort();
    }

    static const char *const keys[] = {"Nats-Msg-Id", "Id",  "A",   "B",        "AB",
                                       "Nats",        "N",   "ATS", "NATS/1.0", "a b",
                                       "Nats-Expected-Last-Sequence"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        check_key(buf, size, &h, parsed, keys[i]);

    if (parsed) {
        /* every key of the block, looked up by name, finds its first occurrence */
        char key[128];
        for (size_t i = 0; i < h.nfields; i++) {
            nats_slice k = h.fields[i].key;
            if (k.len == 0 || k.len >= sizeof key || memchr(k.ptr, '\0', k.len))
                continue;
            memcpy(key, k.ptr, k.len);
            key[k.len] = '\0';
            check_key(buf, size, &h, parsed, key);
            nats_slice first = nats_header_get(&h, key);
            size_t j = 0;
            while (!slice_eq(h.fields[j].key, k))
                j++;
            if (first.ptr != h.fields[j].value.ptr || first.len != h.fields[j].value.len)
                abort();
        }
        check_rewrites(buf, size, &h);
    }
    free(buf);
    return 0;
}

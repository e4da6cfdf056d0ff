/*
 * fuzz_nats_header.c — libFuzzer target for proto/nats_header.c. Arbitrary bytes are parsed as
 * a header block (in a buffer of exactly their size, so any over-read is caught); every slice
 * of the view must lie inside the input; whenever the parse succeeds, nats_header_find must
 * return exactly what nats_header_get returns, for fixed keys and for every key in the block;
 * and a block rebuilt from the view with the builder must parse to the same fields.
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

/* Rebuilds the parsed block and checks the copy parses to the same status and fields. */
static void check_rebuild(const nats_header *h)
{
    static char key[256];
    nats_header_builder b;
    char desc[256];
    size_t dlen = h->description.len < sizeof desc - 1 ? h->description.len : sizeof desc - 1;
    memcpy(desc, h->description.ptr ? h->description.ptr : "", dlen);
    desc[dlen] = '\0';
    bool exact = dlen == h->description.len && !memchr(desc, '\0', dlen);
    nats_header_build_start(&b, h->status, desc);
    for (size_t i = 0; i < h->nfields; i++) {
        const nats_header_field *f = &h->fields[i];
        if (f->key.len == 0 || f->key.len >= sizeof key || memchr(f->key.ptr, '\0', f->key.len)) {
            exact = false;
            continue;
        }
        memcpy(key, f->key.ptr, f->key.len);
        key[f->key.len] = '\0';
        nats_header_build_add(&b, key, f->value.ptr, f->value.len);
    }
    size_t len = nats_header_build_end(&b);
    if (len == 0)
        abort(); /* everything a parse accepts (and we passed on) must be buildable */
    nats_header h2;
    if (nats_header_parse(b.buf, len, &h2) != 0)
        abort();
    if (exact) {
        if (h2.status != h->status || !slice_eq(h2.description, h->description) ||
            h2.nfields != h->nfields)
            abort();
        for (size_t i = 0; i < h->nfields; i++)
            if (!slice_eq(h2.fields[i].key, h->fields[i].key) ||
                !slice_eq(h2.fields[i].value, h->fields[i].value))
                abort();
    }
    nats_header_build_free(&b);
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
        check_rebuild(&h);
    }
    free(buf);
    return 0;
}

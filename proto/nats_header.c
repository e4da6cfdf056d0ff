/*
 * nats_header.c — NATS message header blocks (ADR-4): parsing into a view that points into the
 * block, a single-key lookup straight in the raw block, and rewrites of a block (see
 * nats_header.h).
 *
 * Grammar accepted by nats_header_parse (len 0 aside):
 *
 *   block  = "NATS/1.0" [ WS+ status ] CRLF *( field CRLF ) CRLF      (and nothing after it)
 *   status = 3DIGIT [ WS+ description ]      (100..999; description: the rest of the line,
 *                                              trimmed)
 *   field  = key ":" value                   (key: the bytes before the first ':', as sent;
 *                                              value: the rest of the line, SP/HTAB trimmed)
 *
 * The status line is read as nats.go and nats.c read it (a 3-digit code, then an optional
 * description). CR and LF may appear only as CRLF pairs: that guarantees that
 * nats_header_find, which works like nats-server's getHeader (the first "\r\nKey:" in the
 * block), finds exactly the field nats_header_get finds in the parsed view. One deliberate
 * difference from nats-server's sliceHeader: it skips only leading spaces and keeps trailing
 * ones; here both ends lose SP and HTAB, as ADR-4 says and the clients do.
 */
#include "nats_header.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HDR_VERSION "NATS/1.0"
#define HDR_VERSION_LEN (sizeof HDR_VERSION - 1)

static bool is_ws(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* The bytes [p, end) without leading and trailing SP/HTAB. An all-blank range gives a slice of
 * length 0 that points at `end` (present, but empty). */
static nats_slice trim(const char *p, const char *end)
{
    while (p < end && is_ws(*p))
        p++;
    while (end > p && is_ws(end[-1]))
        end--;
    return (nats_slice){p, (size_t)(end - p)};
}

/* A key that can name a field at all: non-empty, without ':' (it would end the key), CR or LF. */
static bool lookup_key_ok(const char *key, size_t klen)
{
    if (klen == 0)
        return false;
    for (size_t i = 0; i < klen; i++)
        if (key[i] == ':' || key[i] == '\r' || key[i] == '\n')
            return false;
    return true;
}

/* One line of a block starting at p: sets *eol to its CR (the line is [p, *eol)) and *colon to
 * the first ':' in it (NULL when none). Returns false when no CRLF ends the line before `end`
 * or when the line holds a CR or LF that is not part of its terminating CRLF. */
static bool scan_line(const char *p, const char *end, const char **eol, const char **colon)
{
    *colon = NULL;
    for (const char *q = p; q < end; q++) {
        if (*q == '\r') {
            if (q + 1 < end && q[1] == '\n') {
                *eol = q;
                return true;
            }
            return false;
        }
        if (*q == '\n')
            return false;
        if (*q == ':' && !*colon)
            *colon = q;
    }
    return false;
}

/* Status line text after "NATS/1.0" (without the CRLF): blank, or WS then a 3-digit code
 * optionally followed by WS and a description. */
static int parse_status(const char *p, const char *end, nats_header *out)
{
    if (p == end)
        return 0;
    if (!is_ws(*p))
        return -1; /* "NATS/1.0x" */
    nats_slice s = trim(p, end);
    if (s.len == 0)
        return 0;
    if (s.len < 3 || !is_digit(s.ptr[0]) || s.ptr[0] == '0' || !is_digit(s.ptr[1]) ||
        !is_digit(s.ptr[2]))
        return -1; /* a code is 100..999, so 0 can keep meaning "no code" */
    if (s.len > 3 && !is_ws(s.ptr[3]))
        return -1; /* "5030", "503x" */
    out->status = (s.ptr[0] - '0') * 100 + (s.ptr[1] - '0') * 10 + (s.ptr[2] - '0');
    nats_slice d = trim(s.ptr + 3, s.ptr + s.len);
    if (d.len > 0)
        out->description = d;
    return 0;
}

int nats_header_parse(const char *block, size_t len, nats_header *out)
{
    out->status = 0;
    out->description = (nats_slice){NULL, 0};
    out->nfields = 0;
    if (len == 0)
        return 0;
    if (len < HDR_VERSION_LEN || memcmp(block, HDR_VERSION, HDR_VERSION_LEN) != 0)
        return -1;

    const char *end = block + len, *eol, *colon;
    const char *p = block + HDR_VERSION_LEN;
    if (!scan_line(p, end, &eol, &colon) || parse_status(p, eol, out) != 0)
        goto bad;
    p = eol + 2;

    for (;;) {
        if (!scan_line(p, end, &eol, &colon))
            goto bad; /* no final empty line, or a stray CR/LF */
        if (eol == p) {
            if (eol + 2 != end)
                goto bad; /* bytes after the empty line that ends the block */
            return 0;
        }
        if (!colon || out->nfields == NATS_HEADER_MAX_FIELDS)
            goto bad;
        nats_header_field *f = &out->fields[out->nfields++];
        f->key = (nats_slice){p, (size_t)(colon - p)};
        f->value = trim(colon + 1, eol);
        p = eol + 2;
    }

bad:
    out->status = 0;
    out->description = (nats_slice){NULL, 0};
    out->nfields = 0;
    return -1;
}

nats_slice nats_header_get(const nats_header *h, const char *key)
{
    size_t klen = strlen(key);
    if (lookup_key_ok(key, klen)) {
        for (size_t i = 0; i < h->nfields; i++) {
            const nats_header_field *f = &h->fields[i];
            if (f->key.len == klen && memcmp(f->key.ptr, key, klen) == 0)
                return f->value;
        }
    }
    return (nats_slice){NULL, 0};
}

/* The end of the line starting at p: the CR of the next CRLF, or NULL when there is none. */
static const char *find_crlf(const char *p, const char *end)
{
    while (p < end) {
        const char *cr = memchr(p, '\r', (size_t)(end - p));
        if (!cr || cr + 1 >= end)
            return NULL;
        if (cr[1] == '\n')
            return cr;
        p = cr + 1;
    }
    return NULL;
}

bool nats_header_find(const char *block, size_t len, const char *key, nats_slice *value)
{
    size_t klen = strlen(key);
    if (len < HDR_VERSION_LEN || memcmp(block, HDR_VERSION, HDR_VERSION_LEN) != 0 ||
        !lookup_key_ok(key, klen))
        return false;
    const char *end = block + len;
    const char *p = find_crlf(block + HDR_VERSION_LEN, end);
    if (!p)
        return false;
    p += 2; /* the first field line, right after the status line */
    for (;;) {
        const char *eol = find_crlf(p, end);
        if (!eol || eol == p)
            return false; /* unterminated, or the empty line that ends the block */
        if ((size_t)(eol - p) > klen && p[klen] == ':' && memcmp(p, key, klen) == 0) {
            *value = trim(p + klen + 1, eol);
            return true;
        }
        p = eol + 2;
    }
}

static const char bare_status[] = "NATS/1.0\r\n";

/* Calls fn for each line of a block without its closing empty line: the status line (key NULL)
 * and the field lines (key: the bytes before the first ':', NULL when there is none), each with
 * its CRLF. -1 when a line has no CRLF. */
typedef void (*line_fn)(nats_slice line, const nats_slice *key, void *arg);
static int walk_lines(const char *block, size_t len, line_fn fn, void *arg)
{
    const char *p = block, *end = block + len - 2;
    for (bool status_line = true; p < end; status_line = false) {
        const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
        if (!eol)
            return -1;
        size_t n = (size_t)(eol - p) + 2;
        const char *colon = status_line ? NULL : memchr(p, ':', n - 2);
        nats_slice key = {p, colon ? (size_t)(colon - p) : 0};
        fn((nats_slice){p, n}, colon ? &key : NULL, arg);
        p += n;
    }
    return 0;
}

typedef struct line_copy {
    char *out;
    size_t w;
    bool (*drop)(nats_slice key, void *arg); /* extend_without */
    void *drop_arg;
    const char *key, *value; /* set */
    size_t key_len, value_len;
    bool replaced;
} line_copy;

static void put(line_copy *c, const void *p, size_t n)
{
    memcpy(c->out + c->w, p, n);
    c->w += n;
}

static void put_field(line_copy *c, const char *key, size_t klen, const char *value, size_t vlen)
{
    put(c, key, klen);
    put(c, ": ", 2);
    put(c, value, vlen);
    put(c, "\r\n", 2);
}

static void copy_unless_dropped(nats_slice line, const nats_slice *key, void *arg)
{
    line_copy *c = arg;
    if (!key || !c->drop(*key, c->drop_arg))
        put(c, line.ptr, line.len);
}

char *nats_header_extend_without(const char *block, size_t len,
                                 bool (*drop)(nats_slice key, void *arg), void *arg,
                                 const char *lines, size_t lines_len, size_t *out_len)
{
    if (len < 2)
        return nats_header_extend(block, len, lines, lines_len, out_len);
    line_copy c = {.out = malloc(len + lines_len), .drop = drop, .drop_arg = arg};
    if (!c.out)
        return NULL;
    if (walk_lines(block, len, copy_unless_dropped, &c) < 0) {
        free(c.out);
        return NULL;
    }
    put(&c, lines, lines_len);
    put(&c, "\r\n", 2);
    *out_len = c.w;
    return c.out;
}

static void copy_or_set(nats_slice line, const nats_slice *key, void *arg)
{
    line_copy *c = arg;
    if (!key || key->len != c->key_len || memcmp(key->ptr, c->key, c->key_len) != 0) {
        put(c, line.ptr, line.len);
        return;
    }
    put_field(c, c->key, c->key_len, c->value, c->value_len);
    c->replaced = true;
}

char *nats_header_set(const char *block, size_t len, const char *key, const char *value,
                      size_t vlen, size_t *out_len)
{
    size_t klen = strlen(key);
    if (len < 2) {
        line_copy c = {.out = malloc(klen + vlen + 4)};
        if (!c.out)
            return NULL;
        put_field(&c, key, klen, value, vlen);
        char *h = nats_header_extend(NULL, 0, c.out, c.w, out_len);
        free(c.out);
        return h;
    }
    /* each line of the key may grow to "key: value\r\n"; one more such line when it has none */
    size_t lines = 1;
    for (const char *q = block; (q = memmem(q, len - (size_t)(q - block), "\r\n", 2)); q += 2)
        lines++;
    line_copy c = {.out = malloc(len + lines * (klen + vlen + 4)), .key = key, .key_len = klen,
                   .value = value, .value_len = vlen};
    if (!c.out)
        return NULL;
    if (walk_lines(block, len, copy_or_set, &c) < 0) {
        free(c.out);
        return NULL;
    }
    if (!c.replaced)
        put_field(&c, key, klen, value, vlen);
    put(&c, "\r\n", 2);
    *out_len = c.w;
    return c.out;
}

size_t nats_header_extended_len(size_t len, size_t lines_len)
{
    return (len >= 2 ? len - 2 : sizeof bare_status - 1) + lines_len + 2;
}

char *nats_header_extend(const char *block, size_t len, const char *lines, size_t lines_len,
                         size_t *out_len)
{
    size_t keep = len >= 2 ? len - 2 : sizeof bare_status - 1;
    char *out = malloc(keep + lines_len + 2);
    if (!out)
        return NULL;
    memcpy(out, len >= 2 ? block : bare_status, keep);
    memcpy(out + keep, lines, lines_len);
    memcpy(out + keep + lines_len, "\r\n", 2);
    *out_len = keep + lines_len + 2;
    return out;
}

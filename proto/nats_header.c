/*
 * nats_header.c — NATS message header blocks (ADR-4): parsing into a view that points into the
 * block, a single-key lookup straight in the raw block, and a builder (see nats_header.h).
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

/* ---- builder ---- */

/* Makes room for n more bytes plus the NUL; false (and the builder failed) when it cannot. */
static bool builder_reserve(nats_header_builder *b, size_t n)
{
    if (b->failed)
        return false;
    if (n > SIZE_MAX / 2 - b->len) {
        b->failed = true;
        return false;
    }
    size_t need = b->len + n + 1;
    if (need <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    char *nb = realloc(b->buf, cap);
    if (!nb) {
        b->failed = true;
        return false;
    }
    b->buf = nb;
    b->cap = cap;
    return true;
}

static void builder_put(nats_header_builder *b, const char *s, size_t n)
{
    if (!builder_reserve(b, n))
        return;
    if (n)
        memcpy(b->buf + b->len, s, n);
    b->len += n;
    b->buf[b->len] = '\0';
}

/* True when [s, s+n) contains CR or LF, which would break the line structure. */
static bool has_crlf(const char *s, size_t n)
{
    return memchr(s, '\r', n) || memchr(s, '\n', n);
}

void nats_header_build_start(nats_header_builder *b, int status, const char *description)
{
    b->buf = NULL;
    b->len = 0;
    b->cap = 0;
    b->failed = false;
    builder_put(b, HDR_VERSION, HDR_VERSION_LEN);
    if (status != 0) {
        if (status < 100 || status > 999) {
            b->failed = true;
            return;
        }
        char code[8];
        int n = snprintf(code, sizeof code, " %d", status);
        builder_put(b, code, (size_t)n);
        if (description && *description) {
            size_t dlen = strlen(description);
            if (has_crlf(description, dlen)) {
                b->failed = true;
                return;
            }
            builder_put(b, " ", 1);
            builder_put(b, description, dlen);
        }
    }
    builder_put(b, "\r\n", 2);
}

void nats_header_build_add(nats_header_builder *b, const char *key, const char *value, size_t vlen)
{
    if (b->failed)
        return;
    size_t klen = strlen(key);
    if (!lookup_key_ok(key, klen) || (vlen && has_crlf(value, vlen))) {
        b->failed = true;
        return;
    }
    builder_put(b, key, klen);
    builder_put(b, ": ", 2);
    if (vlen)
        builder_put(b, value, vlen);
    builder_put(b, "\r\n", 2);
}

size_t nats_header_build_end(nats_header_builder *b)
{
    builder_put(b, "\r\n", 2);
    return b->failed ? 0 : b->len;
}

void nats_header_build_free(nats_header_builder *b)
{
    free(b->buf);
    b->buf = NULL;
    b->len = 0;
    b->cap = 0;
    b->failed = false;
}

static const char bare_status[] = "NATS/1.0\r\n";

char *nats_header_extend_without(const char *block, size_t len,
                                 bool (*drop)(nats_slice key, void *arg), void *arg,
                                 const char *lines, size_t lines_len, size_t *out_len)
{
    if (len < 2)
        return nats_header_extend(block, len, lines, lines_len, out_len);
    char *out = malloc(len + lines_len); /* at most: the block, the lines */
    if (!out)
        return NULL;
    const char *p = block, *end = block + len - 2; /* without the closing empty line */
    size_t w = 0;
    for (bool status_line = true; p < end; status_line = false) {
        const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
        if (!eol) {
            free(out);
            return NULL;
        }
        size_t n = (size_t)(eol - p) + 2;
        const char *colon = status_line ? NULL : memchr(p, ':', n - 2);
        if (!colon || !drop((nats_slice){p, (size_t)(colon - p)}, arg)) {
            memcpy(out + w, p, n);
            w += n;
        }
        p += n;
    }
    memcpy(out + w, lines, lines_len);
    memcpy(out + w + lines_len, "\r\n", 2);
    *out_len = w + lines_len + 2;
    return out;
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

/*
 * nats_header.h — NATS message header blocks (ADR-4): "NATS/1.0[ status[ description]]\r\n"
 * followed by "Key: Value\r\n" lines and an empty line. Pure functions over byte ranges; the
 * parsed view points into the block (no copies). Also the rewrites the server makes of a
 * stored block: lines added (extend), some left out (extend_without), a value set (set).
 */
#ifndef WEIR_NATS_HEADER_H
#define WEIR_NATS_HEADER_H

#include <stdbool.h>
#include <stddef.h>

#include "nats_parser.h" /* nats_slice */

#define NATS_HEADER_MAX_FIELDS 64

typedef struct nats_header_field {
    nats_slice key;   /* the bytes before the line's first ':', as sent (case preserved) */
    nats_slice value; /* leading/trailing spaces trimmed */
} nats_header_field;

typedef struct nats_header {
    int status;              /* 0 when the status line has no code */
    nats_slice description;  /* text after the status code, trimmed; ptr NULL when none */
    nats_header_field fields[NATS_HEADER_MAX_FIELDS];
    size_t nfields;
} nats_header;

/* Parses a header block of len bytes (as carried by HPUB/HMSG: it starts with "NATS/1.0" and ends
 * with "\r\n\r\n"). Returns 0, or -1 when the block is malformed or has more than
 * NATS_HEADER_MAX_FIELDS fields. A block of length 0 parses as empty (no fields). Malformed:
 * no "NATS/1.0" prefix, a status that is not 3 digits, a field line without ':', a CR or LF
 * that is not part of a CRLF, no final empty line, or bytes after it. Never reads past len;
 * on -1 *out is left empty. The view points into block and lives as long as it does. */
int nats_header_parse(const char *block, size_t len, nats_header *out);

/* The first value of `key` (case-sensitive, as nats-server's JetStream header lookups are), or
 * a slice with ptr NULL when absent. A present but empty value has a non-NULL ptr and len 0.
 * A key that is empty or holds ':', CR or LF is never found. */
nats_slice nats_header_get(const nats_header *h, const char *key);

/* Same, looked up directly in a raw block without a parsed view (fast path for a single key):
 * like nats-server's getHeader, the first line that starts with "key:". Returns false when
 * absent or when the block lacks the "NATS/1.0" prefix or the line's CRLF; it does not
 * validate the rest of the block. Whenever nats_header_parse accepts a block, find and get
 * return the same slice. */
bool nats_header_find(const char *block, size_t len, const char *key, nats_slice *value);

/* ---- extending a block ---- */

/* The block with lines added: block (or, when len < 2, a bare "NATS/1.0" status line) without
 * its closing empty line, then lines ("Key: value\r\n" ...), then the empty line — how
 * nats-server adds Nats-Msg-Size to a headers-only delivery and its headers to a republished
 * message. A new buffer (free it) of *out_len bytes, or NULL when out of memory. */
char *nats_header_extend(const char *block, size_t len, const char *lines, size_t lines_len,
                         size_t *out_len);
/* nats_header_extend with the block's field lines whose key `drop` accepts left out (how a
 * sourced copy loses the origin's Nats-Expected-* lines): any number of lines and keys of any
 * length, the others kept byte for byte. NULL when out of memory or when a line of the block
 * has no CRLF. */
char *nats_header_extend_without(const char *block, size_t len,
                                 bool (*drop)(nats_slice key, void *arg), void *arg,
                                 const char *lines, size_t lines_len, size_t *out_len);
/* The block with the value of each line whose key is `key` (exactly) replaced by value (vlen
 * bytes) in place, the other lines byte for byte; without such a line, "key: value" is added
 * at the end (how nats-server's setHeader rewrites Nats-TTL). A new buffer (free it) of
 * *out_len bytes, or NULL when out of memory or when a line of the block has no CRLF. */
char *nats_header_set(const char *block, size_t len, const char *key, const char *value,
                      size_t vlen, size_t *out_len);
/* The length nats_header_extend gives, without making the block. */
size_t nats_header_extended_len(size_t len, size_t lines_len);

#endif

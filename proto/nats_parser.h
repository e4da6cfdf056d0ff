/*
 * nats_parser.h — the NATS client protocol parser (client → server direction).
 *
 * A pure function over a byte buffer: nats_parse() recognises the first complete operation in
 * buf and describes it with slices that point INTO buf (no copies). When buf holds only part of
 * an operation it asks for more; the caller keeps the unconsumed bytes and calls again with
 * them followed by what it read next, so any split of the byte stream parses the same.
 */
#ifndef WEIR_NATS_PARSER_H
#define WEIR_NATS_PARSER_H

#include <stddef.h>
#include <stdint.h>

typedef enum nats_op_type {
    NATS_OP_CONNECT,
    NATS_OP_PUB,
    NATS_OP_HPUB,
    NATS_OP_SUB,
    NATS_OP_UNSUB,
    NATS_OP_PING,
    NATS_OP_PONG,
    NATS_OP_INFO, /* a client may echo INFO; the server ignores it */
    NATS_OP_OK,
    NATS_OP_ERR,
} nats_op_type;

typedef struct nats_slice {
    const char *ptr; /* into the parsed buffer; NULL when absent */
    size_t len;
} nats_slice;

typedef struct nats_op {
    nats_op_type type;
    nats_slice subject; /* PUB, HPUB, SUB */
    nats_slice reply;   /* PUB, HPUB (optional) */
    nats_slice queue;   /* SUB (optional) */
    nats_slice sid;     /* SUB, UNSUB */
    nats_slice arg;     /* CONNECT / INFO JSON, -ERR text */
    nats_slice payload; /* PUB, HPUB: header block followed by the body, size bytes in all */
    size_t hdr_len;     /* HPUB: length of the header block at the start of payload */
    int64_t max_msgs;   /* UNSUB: -1 when not given */
} nats_op;

typedef enum nats_parse_status {
    NATS_PARSE_ERROR = -1,
    NATS_PARSE_NEED_MORE = 0,
    NATS_PARSE_OP = 1,
} nats_parse_status;

/* Why a parse failed. The server's reaction (which -ERR, close or not) is nats-server's and is
 * decided by the caller from this code. */
typedef enum nats_parse_error {
    NATS_PERR_NONE = 0,
    NATS_PERR_UNKNOWN_OP,      /* 'Unknown Protocol Operation' */
    NATS_PERR_CONTROL_LINE,    /* 'maximum control line exceeded' */
    NATS_PERR_MAX_PAYLOAD,     /* 'Maximum Payload Violation' */
    NATS_PERR_BAD_ARGS,        /* wrong argument count or a bad size: protocol violation */
    NATS_PERR_BAD_HEADER_SIZE, /* HPUB header size missing or larger than the total */
} nats_parse_error;

typedef struct nats_parse_limits {
    size_t max_control_line;
    int64_t max_payload; /* < 0: no limit */
} nats_parse_limits;

/* Parses one operation from buf[0..len).
 *  - NATS_PARSE_OP: *op describes it and *consumed is its full length (control line, payload
 *    and trailing CRLF).
 *  - NATS_PARSE_NEED_MORE: incomplete; *consumed is 0 and *needed is the total length the
 *    operation will have when that is already known (a PUB whose control line is complete),
 *    otherwise 0.
 *  - NATS_PARSE_ERROR: *err says why; *consumed is 0.
 */
nats_parse_status nats_parse(const char *buf, size_t len, const nats_parse_limits *lim,
                             nats_op *op, size_t *consumed, size_t *needed,
                             nats_parse_error *err);

/* The -ERR text nats-server sends for a parse error, or NULL when it sends none. */
const char *nats_parse_error_text(nats_parse_error err);

#endif

/*
 * nats_parser.c — NATS client protocol parser (see nats_parser.h).
 *
 * Operations are recognised case-insensitively like nats-server does. Arguments are separated
 * by runs of spaces or tabs. The control line ends at "\n" with an optional "\r" before it;
 * PUB/HPUB payloads must be followed by "\r\n".
 */
#include "nats_parser.h"

#include <stdbool.h>
#include <string.h>

#define MAX_ARGS 5

static int lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

/* Case-insensitive keyword test: line starts with kw and is followed by space/tab, or by the
 * end of the line for operations without arguments. nats-server refuses "PUB\r\n" as an
 * unknown operation because its state machine wants a space after the keyword. */
static int keyword_is(const char *line, size_t len, const char *kw, size_t *arg_start)
{
    size_t k = strlen(kw);
    if (len < k)
        return 0;
    for (size_t i = 0; i < k; i++)
        if (lower((unsigned char)line[i]) != kw[i])
            return 0;
    bool takes_args = strcmp(kw, "ping") != 0 && strcmp(kw, "pong") != 0 && strcmp(kw, "+ok") != 0;
    if (len == k ? takes_args : (line[k] != ' ' && line[k] != '\t'))
        return 0;
    *arg_start = k;
    return 1;
}

static size_t split_args(const char *s, size_t len, nats_slice *args, size_t max)
{
    size_t n = 0, i = 0;
    while (i < len) {
        while (i < len && (s[i] == ' ' || s[i] == '\t'))
            i++;
        if (i >= len)
            break;
        size_t start = i;
        while (i < len && s[i] != ' ' && s[i] != '\t')
            i++;
        if (n == max)
            return max + 1; /* too many */
        args[n].ptr = s + start;
        args[n].len = i - start;
        n++;
    }
    return n;
}

/* Parses a non-negative decimal size; -1 on anything else or overflow past 2^62. */
static int64_t parse_size(nats_slice s)
{
    if (s.len == 0 || s.len > 18)
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    return v;
}

static nats_parse_status fail(nats_parse_error *err, nats_parse_error e)
{
    *err = e;
    return NATS_PARSE_ERROR;
}

/* After a PUB/HPUB control line of length line_total: checks that the payload and its CRLF are
 * here, and fills op->payload. */
static nats_parse_status take_payload(const char *buf, size_t len, size_t line_total, int64_t size,
                                      nats_op *op, size_t *consumed, size_t *needed,
                                      nats_parse_error *err)
{
    size_t total = line_total + (size_t)size + 2;
    if (len < total) {
        *needed = total;
        return NATS_PARSE_NEED_MORE;
    }
    if (buf[total - 2] != '\r' || buf[total - 1] != '\n')
        return fail(err, NATS_PERR_UNKNOWN_OP);
    op->payload.ptr = buf + line_total;
    op->payload.len = (size_t)size;
    *consumed = total;
    return NATS_PARSE_OP;
}

nats_parse_status nats_parse(const char *buf, size_t len, const nats_parse_limits *lim,
                             nats_op *op, size_t *consumed, size_t *needed,
                             nats_parse_error *err)
{
    *consumed = 0;
    *needed = 0;
    *err = NATS_PERR_NONE;
    memset(op, 0, sizeof *op);
    op->max_msgs = -1;
    if (len == 0)
        return NATS_PARSE_NEED_MORE;

    /* Refuse an unknown operation as soon as its first byte arrives, as nats-server does. */
    switch (lower((unsigned char)buf[0])) {
    case 'c': case 'p': case 'h': case 's': case 'u': case 'i': case '+': case '-':
        break;
    default:
        return fail(err, NATS_PERR_UNKNOWN_OP);
    }

    /* nats-server bounds the arguments of an operation, not the keyword in front of them */
    size_t arg_start = 0;
    while (arg_start < len && arg_start < 16 && buf[arg_start] != ' ' && buf[arg_start] != '\t' &&
           buf[arg_start] != '\r' && buf[arg_start] != '\n')
        arg_start++;
    while (arg_start < len && (buf[arg_start] == ' ' || buf[arg_start] == '\t'))
        arg_start++;
    size_t limit = arg_start + lim->max_control_line;
    size_t scan = len < limit + 2 ? len : limit + 2;
    const char *nl = memchr(buf, '\n', scan);
    if (!nl) {
        size_t pending = len - (buf[len - 1] == '\r' ? 1 : 0);
        if (pending > limit)
            return fail(err, NATS_PERR_CONTROL_LINE);
        return NATS_PARSE_NEED_MORE;
    }
    size_t line_total = (size_t)(nl - buf) + 1;
    size_t line_len = line_total - 1;
    if (line_len > 0 && buf[line_len - 1] == '\r')
        line_len--;
    if (line_len > limit)
        return fail(err, NATS_PERR_CONTROL_LINE);

    nats_slice args[MAX_ARGS];
    size_t a = 0, n;

    if (keyword_is(buf, line_len, "pub", &a)) {
        n = split_args(buf + a, line_len - a, args, MAX_ARGS);
        if (n != 2 && n != 3)
            return fail(err, NATS_PERR_BAD_ARGS);
        int64_t size = parse_size(args[n - 1]);
        if (size < 0)
            return fail(err, NATS_PERR_BAD_ARGS);
        if (lim->max_payload >= 0 && size > lim->max_payload)
            return fail(err, NATS_PERR_MAX_PAYLOAD);
        op->type = NATS_OP_PUB;
        op->subject = args[0];
        if (n == 3)
            op->reply = args[1];
        return take_payload(buf, len, line_total, size, op, consumed, needed, err);
    }
    if (keyword_is(buf, line_len, "hpub", &a)) {
        n = split_args(buf + a, line_len - a, args, MAX_ARGS);
        if (n != 3 && n != 4)
            return fail(err, NATS_PERR_BAD_ARGS);
        int64_t hdr = parse_size(args[n - 2]);
        int64_t size = parse_size(args[n - 1]);
        if (hdr < 0 || size < 0 || hdr > size)
            return fail(err, size < 0 ? NATS_PERR_BAD_ARGS : NATS_PERR_BAD_HEADER_SIZE);
        if (lim->max_payload >= 0 && size > lim->max_payload)
            return fail(err, NATS_PERR_MAX_PAYLOAD);
        op->type = NATS_OP_HPUB;
        op->subject = args[0];
        if (n == 4)
            op->reply = args[1];
        op->hdr_len = (size_t)hdr;
        return take_payload(buf, len, line_total, size, op, consumed, needed, err);
    }
    if (keyword_is(buf, line_len, "sub", &a)) {
        n = split_args(buf + a, line_len - a, args, MAX_ARGS);
        if (n != 2 && n != 3)
            return fail(err, NATS_PERR_BAD_ARGS);
        op->type = NATS_OP_SUB;
        op->subject = args[0];
        if (n == 3)
            op->queue = args[1];
        op->sid = args[n - 1];
    } else if (keyword_is(buf, line_len, "unsub", &a)) {
        n = split_args(buf + a, line_len - a, args, MAX_ARGS);
        if (n != 1 && n != 2)
            return fail(err, NATS_PERR_BAD_ARGS);
        op->type = NATS_OP_UNSUB;
        op->sid = args[0];
        if (n == 2) {
            op->max_msgs = parse_size(args[1]);
            if (op->max_msgs < 0)
                return fail(err, NATS_PERR_BAD_ARGS);
        }
    } else if (keyword_is(buf, line_len, "ping", &a)) {
        op->type = NATS_OP_PING;
    } else if (keyword_is(buf, line_len, "pong", &a)) {
        op->type = NATS_OP_PONG;
    } else if (keyword_is(buf, line_len, "connect", &a) || keyword_is(buf, line_len, "info", &a)) {
        op->type = lower((unsigned char)buf[0]) == 'c' ? NATS_OP_CONNECT : NATS_OP_INFO;
        while (a < line_len && (buf[a] == ' ' || buf[a] == '\t'))
            a++;
        op->arg.ptr = buf + a;
        op->arg.len = line_len - a;
    } else if (keyword_is(buf, line_len, "+ok", &a)) {
        op->type = NATS_OP_OK;
    } else if (keyword_is(buf, line_len, "-err", &a)) {
        op->type = NATS_OP_ERR;
        while (a < line_len && (buf[a] == ' ' || buf[a] == '\t'))
            a++;
        op->arg.ptr = buf + a;
        op->arg.len = line_len - a;
    } else {
        return fail(err, NATS_PERR_UNKNOWN_OP);
    }
    *consumed = line_total;
    return NATS_PARSE_OP;
}

const char *nats_parse_error_text(nats_parse_error err)
{
    switch (err) {
    case NATS_PERR_UNKNOWN_OP:
        return "Unknown Protocol Operation";
    case NATS_PERR_CONTROL_LINE:
        return "maximum control line exceeded"; /* lower case, as nats-server sends it */
    case NATS_PERR_MAX_PAYLOAD:
        return "Maximum Payload Violation";
    default:
        return NULL;
    }
}

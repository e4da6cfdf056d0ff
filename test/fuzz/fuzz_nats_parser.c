/*
 * fuzz_nats_parser.c — libFuzzer target for the NATS protocol parser: arbitrary bytes are parsed
 * whole and again split in two at a position taken from the input. Both ways must produce the
 * same operations, every slice must lie inside the buffer, and nothing may read out of bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/nats_parser.h"
#include "proto/subject.h"

static const nats_parse_limits LIM = {.max_control_line = 256, .max_payload = 4096};

static void check_slice(nats_slice s, const char *lo, const char *hi)
{
    if (s.ptr && (s.ptr < lo || s.ptr + s.len > hi))
        abort();
}

/* Parses what it can; returns the bytes consumed and the sum of op types as a fingerprint. */
static size_t parse_all(const char *buf, size_t len, uint64_t *fingerprint)
{
    size_t off = 0;
    while (off < len) {
        nats_op op;
        size_t used, needed;
        nats_parse_error err;
        nats_parse_status st = nats_parse(buf + off, len - off, &LIM, &op, &used, &needed, &err);
        if (st != NATS_PARSE_OP)
            break;
        if (used == 0 || used > len - off)
            abort();
        const char *lo = buf + off, *hi = buf + off + used;
        check_slice(op.subject, lo, hi);
        check_slice(op.reply, lo, hi);
        check_slice(op.queue, lo, hi);
        check_slice(op.sid, lo, hi);
        check_slice(op.arg, lo, hi);
        check_slice(op.payload, lo, hi);
        if (op.subject.ptr) {
            subject_valid_literal(op.subject.ptr, op.subject.len);
            if (subject_valid_filter(op.subject.ptr, op.subject.len))
                subject_matches(op.subject.ptr, op.subject.len, "a.b.c", 5);
            subject_matches("a.*.>", 5, op.subject.ptr, op.subject.len);
        }
        *fingerprint = *fingerprint * 31 + (uint64_t)op.type * 7 + used;
        off += used;
    }
    return off;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t at = data[0] % size;
    char *buf = malloc(size);
    memcpy(buf, data, size);
    uint64_t whole_fp = 0;
    size_t whole = parse_all(buf, size, &whole_fp);

    /* split: parse the first part, keep its tail, append the rest, parse again */
    uint64_t split_fp = 0;
    char *first = malloc(at ? at : 1);
    memcpy(first, buf, at);
    size_t used1 = parse_all(first, at, &split_fp);
    size_t used2 = parse_all(buf + used1, size - used1, &split_fp);
    if (used1 + used2 != whole || split_fp != whole_fp)
        abort();
    free(first);
    free(buf);
    return 0;
}

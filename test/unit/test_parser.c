/*
 * test_parser.c — the NATS protocol parser: every operation, every error, and a stream of mixed
 * operations fed split at every byte position (and byte by byte) parsing identically.
 */
#include <string.h>

#include "proto/nats_parser.h"
#include "proto/subject.h"
#include "test/testlib.h"

static const nats_parse_limits LIM = {.max_control_line = 4096, .max_payload = 1024 * 1024};

static int slice_is(nats_slice s, const char *want)
{
    if (!want)
        return s.ptr == NULL;
    return s.ptr && s.len == strlen(want) && memcmp(s.ptr, want, s.len) == 0;
}

static nats_parse_status parse1(const char *text, nats_op *op, size_t *used,
                                nats_parse_error *err)
{
    size_t needed;
    return nats_parse(text, strlen(text), &LIM, op, used, &needed, err);
}

static void test_pub(void)
{
    nats_op op;
    size_t used;
    nats_parse_error err;
    const char *t = "PUB foo.bar 5\r\nhello\r\n";
    CHECK(parse1(t, &op, &used, &err) == NATS_PARSE_OP);
    CHECK(op.type == NATS_OP_PUB);
    CHECK(slice_is(op.subject, "foo.bar"));
    CHECK(slice_is(op.reply, NULL));
    CHECK(slice_is(op.payload, "hello"));
    CHECK(used == strlen(t));

    t = "pub\tfoo  _INBOX.1\t 0\r\n\r\n";
    CHECK(parse1(t, &op, &used, &err) == NATS_PARSE_OP);
    CHECK(slice_is(op.reply, "_INBOX.1"));
    CHECK(op.payload.len == 0);
}

static void test_hpub(void)
{
    nats_op op;
    size_t used;
    nats_parse_error err;
    const char *t = "HPUB a r 12 14\r\nNATS/1.0\r\n\r\nhi\r\n";
    CHECK(parse1(t, &op, &used, &err) == NATS_PARSE_OP);
    CHECK(op.type == NATS_OP_HPUB);
    CHECK(slice_is(op.subject, "a"));
    CHECK(slice_is(op.reply, "r"));
    CHECK(op.hdr_len == 12);
    CHECK(op.payload.len == 14);
    CHECK(parse1("HPUB a 20 14\r\n", &op, &used, &err) == NATS_PARSE_ERROR);
    CHECK(err == NATS_PERR_BAD_HEADER_SIZE);
}

static void test_sub_unsub(void)
{
    nats_op op;
    size_t used;
    nats_parse_error err;
    CHECK(parse1("SUB foo.* q 1\r\n", &op, &used, &err) == NATS_PARSE_OP);
    CHECK(op.type == NATS_OP_SUB && slice_is(op.queue, "q") && slice_is(op.sid, "1"));
    CHECK(parse1("SUB foo 22\n", &op, &used, &err) == NATS_PARSE_OP);
    CHECK(slice_is(op.queue, NULL) && slice_is(op.sid, "22"));
    CHECK(parse1("UNSUB 22 10\r\n", &op, &used, &err) == NATS_PARSE_OP);
    CHECK(op.type == NATS_OP_UNSUB && op.max_msgs == 10);
    CHECK(parse1("UNSUB 22\r\n", &op, &used, &err) == NATS_PARSE_OP);
    CHECK(op.max_msgs == -1);
    CHECK(parse1("UNSUB 22 x\r\n", &op, &used, &err) == NATS_PARSE_ERROR);
    CHECK(parse1("SUB foo\r\n", &op, &used, &err) == NATS_PARSE_ERROR);
    CHECK(err == NATS_PERR_BAD_ARGS);
}

static void test_misc_ops(void)
{
    nats_op op;
    size_t used;
    nats_parse_error err;
    CHECK(parse1("PING\r\n", &op, &used, &err) == NATS_PARSE_OP && op.type == NATS_OP_PING);
    CHECK(parse1("pong\r\n", &op, &used, &err) == NATS_PARSE_OP && op.type == NATS_OP_PONG);
    CHECK(parse1("CONNECT {\"verbose\":false}\r\n", &op, &used, &err) == NATS_PARSE_OP);
    CHECK(op.type == NATS_OP_CONNECT && slice_is(op.arg, "{\"verbose\":false}"));
    CHECK(parse1("+OK\r\n", &op, &used, &err) == NATS_PARSE_OP && op.type == NATS_OP_OK);
    CHECK(parse1("-ERR 'x'\r\n", &op, &used, &err) == NATS_PARSE_OP && slice_is(op.arg, "'x'"));
}

static void test_errors(void)
{
    nats_op op;
    size_t used;
    nats_parse_error err;
    CHECK(parse1("FOO\r\n", &op, &used, &err) == NATS_PARSE_ERROR && err == NATS_PERR_UNKNOWN_OP);
    CHECK(parse1("X", &op, &used, &err) == NATS_PARSE_ERROR && err == NATS_PERR_UNKNOWN_OP);
    CHECK(parse1("PUBX foo 1\r\n", &op, &used, &err) == NATS_PARSE_ERROR);
    CHECK(parse1("PUB foo abc\r\n", &op, &used, &err) == NATS_PARSE_ERROR && err == NATS_PERR_BAD_ARGS);
    CHECK(parse1("PUB foo 2000000\r\n", &op, &used, &err) == NATS_PARSE_ERROR &&
          err == NATS_PERR_MAX_PAYLOAD);
    /* payload longer than declared: no CRLF where it must be */
    CHECK(parse1("PUB foo 2\r\nhello\r\n", &op, &used, &err) == NATS_PARSE_ERROR);
    CHECK(strcmp(nats_parse_error_text(NATS_PERR_UNKNOWN_OP), "Unknown Protocol Operation") == 0);

    static char big[5000];
    memset(big, 'a', sizeof big);
    memcpy(big, "SUB ", 4);
    size_t needed;
    CHECK(nats_parse(big, sizeof big, &LIM, &op, &used, &needed, &err) == NATS_PARSE_ERROR);
    CHECK(err == NATS_PERR_CONTROL_LINE);
    /* exactly at the limit is fine once the line ends */
    CHECK(nats_parse(big, 4000, &LIM, &op, &used, &needed, &err) == NATS_PARSE_NEED_MORE);
}

static void test_need_more(void)
{
    nats_op op;
    size_t used, needed;
    nats_parse_error err;
    const char *t = "PUB foo 5\r\nhel";
    CHECK(nats_parse(t, strlen(t), &LIM, &op, &used, &needed, &err) == NATS_PARSE_NEED_MORE);
    CHECK(used == 0 && needed == 11 + 5 + 2);
    CHECK(nats_parse("PU", 2, &LIM, &op, &used, &needed, &err) == NATS_PARSE_NEED_MORE);
}

/* Parses all of buf as a sequence of operations and renders them canonically into out. */
static int render_all(const char *buf, size_t len, char *out, size_t cap)
{
    size_t off = 0, w = 0;
    while (off < len) {
        nats_op op;
        size_t used, needed;
        nats_parse_error err;
        nats_parse_status st = nats_parse(buf + off, len - off, &LIM, &op, &used, &needed, &err);
        if (st != NATS_PARSE_OP)
            return st == NATS_PARSE_NEED_MORE ? (int)w : -1;
        w += (size_t)snprintf(out + w, cap - w, "%d|%.*s|%.*s|%.*s|%.*s|%.*s|%zu|%lld|%.*s;",
                              op.type, (int)op.subject.len, op.subject.ptr ? op.subject.ptr : "",
                              (int)op.reply.len, op.reply.ptr ? op.reply.ptr : "",
                              (int)op.queue.len, op.queue.ptr ? op.queue.ptr : "",
                              (int)op.sid.len, op.sid.ptr ? op.sid.ptr : "",
                              (int)op.arg.len, op.arg.ptr ? op.arg.ptr : "", op.hdr_len,
                              (long long)op.max_msgs, (int)op.payload.len,
                              op.payload.ptr ? op.payload.ptr : "");
        off += used;
    }
    return (int)w;
}

/* Feeds the stream in two pieces split at `at`, the way a connection's buffer sees it: the
 * unconsumed tail of the first piece is kept and the second appended to it. */
static int render_split(const char *buf, size_t len, size_t at, size_t step, char *out,
                        size_t cap)
{
    char acc[4096];
    size_t acc_len = 0, fed = 0, w = 0;
    int first = 1;
    while (fed < len || acc_len > 0) {
        size_t chunk = first ? at : step;
        first = 0;
        if (fed + chunk > len)
            chunk = len - fed;
        memcpy(acc + acc_len, buf + fed, chunk);
        acc_len += chunk;
        fed += chunk;
        size_t off = 0;
        for (;;) {
            nats_op op;
            size_t used, needed;
            nats_parse_error err;
            nats_parse_status st =
                nats_parse(acc + off, acc_len - off, &LIM, &op, &used, &needed, &err);
            if (st == NATS_PARSE_ERROR)
                return -1;
            if (st == NATS_PARSE_NEED_MORE)
                break;
            int n = render_all(acc + off, used, out + w, cap - w);
            if (n < 0)
                return -1;
            w += (size_t)n;
            off += used;
        }
        memmove(acc, acc + off, acc_len - off);
        acc_len -= off;
        if (fed == len && acc_len > 0)
            return -2; /* leftover bytes that never completed */
    }
    return (int)w;
}

static const char STREAM[] =
    "CONNECT {\"verbose\":false,\"headers\":true}\r\n"
    "PING\r\n"
    "SUB foo.* 1\r\n"
    "SUB bar q 2\r\n"
    "PUB foo.a 5\r\nhello\r\n"
    "PUB foo.b reply.x 0\r\n\r\n"
    "HPUB bar _INBOX.9 24 26\r\nNATS/1.0\r\nA: bcdefgh\r\n\r\nok\r\n"
    "PUB x 4\r\n\r\n\r\n\r\n"
    "UNSUB 1 3\r\n"
    "UNSUB 2\r\n"
    "PONG\r\n";

static void test_every_split_point(void)
{
    char want[8192], got[8192];
    size_t len = sizeof STREAM - 1;
    int wn = render_all(STREAM, len, want, sizeof want);
    CHECK(wn > 0);
    CHECK(strstr(want, "hello") != NULL);
    for (size_t at = 0; at <= len; at++) {
        int gn = render_split(STREAM, len, at, len, got, sizeof got);
        CHECKF(gn == wn && memcmp(want, got, (size_t)wn) == 0, "split at %zu differs", at);
    }
    /* byte by byte */
    int gn = render_split(STREAM, len, 1, 1, got, sizeof got);
    CHECK(gn == wn && memcmp(want, got, (size_t)wn) == 0);
    /* every pair of split points with 7-byte steps after */
    for (size_t at = 1; at < len; at += 3) {
        gn = render_split(STREAM, len, at, 7, got, sizeof got);
        CHECKF(gn == wn && memcmp(want, got, (size_t)wn) == 0, "split at %zu step 7 differs", at);
    }
}

static void test_subjects(void)
{
    CHECK(subject_valid_literal("foo.bar", 7));
    CHECK(!subject_valid_literal("foo..bar", 8));
    CHECK(!subject_valid_literal("foo.*", 5));
    CHECK(!subject_valid_literal(".foo", 4));
    CHECK(!subject_valid_literal("foo.", 4));
    CHECK(!subject_valid_literal("fo o", 4));
    CHECK(subject_valid_literal("f*o.b>r", 7));
    CHECK(subject_valid_filter("foo.*.>", 7));
    CHECK(!subject_valid_filter("foo.>.bar", 9));
    CHECK(!subject_valid_filter("", 0));
    CHECK(subject_matches("foo.*", 5, "foo.bar", 7));
    CHECK(!subject_matches("foo.*", 5, "foo.bar.baz", 11));
    CHECK(subject_matches("foo.>", 5, "foo.bar.baz", 11));
    CHECK(!subject_matches("foo.>", 5, "foo", 3));
    CHECK(subject_matches(">", 1, "a", 1));
    CHECK(subject_matches("*.b", 3, "a.b", 3));
    CHECK(!subject_matches("a.b", 3, "a.bc", 4));
    CHECK(subject_has_wildcard("a.*", 3));
    CHECK(subject_filters_overlap("a.*", 3, "a.b", 3));
    CHECK(subject_filters_overlap("a.>", 3, "*.b.c", 5));
    CHECK(!subject_filters_overlap("a.>", 3, "a", 1));
    CHECK(!subject_filters_overlap("a.*", 3, "a.b.c", 5));
    CHECK(subject_filters_overlap(">", 1, "x.y", 3));
    CHECK(!subject_filters_overlap("a.b", 3, "a.c", 3));
    CHECK(subject_filters_overlap("a.*.c", 5, "a.b.*", 5));
    CHECK(!subject_has_wildcard("a*.b", 4));
}

int main(void)
{
    RUN(test_pub);
    RUN(test_hpub);
    RUN(test_sub_unsub);
    RUN(test_misc_ops);
    RUN(test_errors);
    RUN(test_need_more);
    RUN(test_every_split_point);
    RUN(test_subjects);
    TESTLIB_EXIT();
}

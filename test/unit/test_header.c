/*
 * test_header.c — unit tests for proto/nats_header.c: status lines as nats-server sends them,
 * fields (repeats, ':' and blanks in values), the nats_header_find fast path against the parsed
 * view (including keys that are suffixes of other keys), malformed blocks, and the rewrites
 * (extend, extend_without, set).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/nats_header.h"
#include "test/testlib.h"

/* Parses a NUL-terminated block (its length excludes the NUL). */
static int parse_str(const char *s, nats_header *h)
{
    return nats_header_parse(s, strlen(s), h);
}

static bool slice_is(nats_slice s, const char *want)
{
    return s.ptr && s.len == strlen(want) && memcmp(s.ptr, want, s.len) == 0;
}

/* find and get agree on key in block s (which must parse): same presence, same bytes. */
static bool find_agrees(const char *s, const nats_header *h, const char *key)
{
    nats_slice got = nats_header_get(h, key), found = {NULL, 0};
    bool ok = nats_header_find(s, strlen(s), key, &found);
    if (!ok)
        return got.ptr == NULL;
    return got.ptr == found.ptr && got.len == found.len;
}

static void test_empty_block(void)
{
    nats_header h;
    h.nfields = 99;
    CHECK(nats_header_parse(NULL, 0, &h) == 0);
    CHECK(h.nfields == 0 && h.status == 0 && h.description.ptr == NULL);
    CHECK(nats_header_get(&h, "Nats-Msg-Id").ptr == NULL);
    nats_slice v;
    CHECK(!nats_header_find(NULL, 0, "Nats-Msg-Id", &v));
}

static void test_no_status(void)
{
    nats_header h;
    CHECK(parse_str("NATS/1.0\r\n\r\n", &h) == 0);
    CHECK(h.status == 0 && h.description.ptr == NULL && h.nfields == 0);
    /* blanks after the version are not a status */
    CHECK(parse_str("NATS/1.0  \r\nA: b\r\n\r\n", &h) == 0);
    CHECK(h.status == 0 && h.nfields == 1);
}

static void test_status_503(void)
{
    /* nats-server's no-responders message */
    const char *s = "NATS/1.0 503\r\n\r\n";
    nats_header h;
    CHECK(parse_str(s, &h) == 0);
    CHECK(h.status == 503);
    CHECK(h.description.ptr == NULL);
    CHECK(h.nfields == 0);
    const char *s2 = "NATS/1.0 503\r\nNats-Subject: foo.bar\r\n\r\n";
    CHECK(parse_str(s2, &h) == 0);
    CHECK(h.status == 503 && h.nfields == 1);
    CHECK(slice_is(nats_header_get(&h, "Nats-Subject"), "foo.bar"));
}

static void test_status_408_with_text(void)
{
    const char *s = "NATS/1.0 408 Request Timeout\r\nNats-Pending-Messages: 10\r\n"
                    "Nats-Pending-Bytes: 2048\r\n\r\n";
    nats_header h;
    CHECK(parse_str(s, &h) == 0);
    CHECK(h.status == 408);
    CHECKF(slice_is(h.description, "Request Timeout"), "description '%.*s'",
           (int)h.description.len, h.description.ptr ? h.description.ptr : "");
    CHECK(h.nfields == 2);
    CHECK(slice_is(nats_header_get(&h, "Nats-Pending-Messages"), "10"));
    CHECK(slice_is(nats_header_get(&h, "Nats-Pending-Bytes"), "2048"));
    /* blanks around the description go */
    CHECK(parse_str("NATS/1.0  409   Consumer Deleted  \r\n\r\n", &h) == 0);
    CHECK(h.status == 409 && slice_is(h.description, "Consumer Deleted"));
}

static void test_status_idle_heartbeat(void)
{
    const char *s = "NATS/1.0 100 Idle Heartbeat\r\nNats-Last-Consumer: 7\r\n"
                    "Nats-Last-Stream: 42\r\n\r\n";
    nats_header h;
    CHECK(parse_str(s, &h) == 0);
    CHECK(h.status == 100 && slice_is(h.description, "Idle Heartbeat"));
    CHECK(slice_is(nats_header_get(&h, "Nats-Last-Consumer"), "7"));
    nats_slice v;
    CHECK(nats_header_find(s, strlen(s), "Nats-Last-Stream", &v));
    CHECK(slice_is(v, "42"));
    CHECK(parse_str("NATS/1.0 100 FlowControl Request\r\n\r\n", &h) == 0);
    CHECK(h.status == 100 && slice_is(h.description, "FlowControl Request"));
    CHECK(parse_str("NATS/1.0 204\r\n\r\n", &h) == 0);
    CHECK(h.status == 204 && h.description.ptr == NULL);
}

static void test_bad_status(void)
{
    nats_header h;
    CHECK(parse_str("NATS/1.0 50\r\n\r\n", &h) == -1);
    CHECK(parse_str("NATS/1.0 000\r\n\r\n", &h) == -1);
    CHECK(parse_str("NATS/1.0 008 Odd\r\n\r\n", &h) == -1);
    CHECK(parse_str("NATS/1.0 5030\r\n\r\n", &h) == -1);
    CHECK(parse_str("NATS/1.0 503x\r\n\r\n", &h) == -1);
    CHECK(parse_str("NATS/1.0 abc\r\n\r\n", &h) == -1);
    CHECK(parse_str("NATS/1.0503\r\n\r\n", &h) == -1);
    CHECK(parse_str("NATS/1.1\r\n\r\n", &h) == -1);
    CHECK(parse_str("NATS/1.0x\r\n\r\n", &h) == -1);
}

static void test_multiple_fields(void)
{
    const char *s = "NATS/1.0\r\nNats-Msg-Id: abc\r\nNats-Expected-Stream: ORDERS\r\n"
                    "Nats-Expected-Last-Sequence: 41\r\nX-Custom:v\r\n\r\n";
    nats_header h;
    CHECK(parse_str(s, &h) == 0);
    CHECK(h.nfields == 4);
    CHECK(slice_is(h.fields[0].key, "Nats-Msg-Id") && slice_is(h.fields[0].value, "abc"));
    CHECK(slice_is(h.fields[1].key, "Nats-Expected-Stream"));
    CHECK(slice_is(h.fields[1].value, "ORDERS"));
    CHECK(slice_is(h.fields[3].key, "X-Custom") && slice_is(h.fields[3].value, "v"));
    CHECK(slice_is(nats_header_get(&h, "Nats-Expected-Last-Sequence"), "41"));
    CHECK(nats_header_get(&h, "Nats-Rollup").ptr == NULL);
    /* the view points into the block */
    CHECK(h.fields[0].key.ptr == s + strlen("NATS/1.0\r\n"));
}

static void test_case_sensitive(void)
{
    const char *s = "NATS/1.0\r\nnats-msg-id: lower\r\nNats-Msg-Id: upper\r\n\r\n";
    nats_header h;
    CHECK(parse_str(s, &h) == 0);
    CHECK(slice_is(nats_header_get(&h, "Nats-Msg-Id"), "upper"));
    CHECK(slice_is(nats_header_get(&h, "nats-msg-id"), "lower"));
    CHECK(nats_header_get(&h, "NATS-MSG-ID").ptr == NULL);
    nats_slice v;
    CHECK(nats_header_find(s, strlen(s), "Nats-Msg-Id", &v) && slice_is(v, "upper"));
    CHECK(!nats_header_find(s, strlen(s), "NATS-MSG-ID", &v));
}

static void test_repeated_key(void)
{
    const char *s = "NATS/1.0\r\nHeader1: X\r\nHeader1: Y\r\nHeader2: Z\r\n\r\n";
    nats_header h;
    CHECK(parse_str(s, &h) == 0);
    CHECK(h.nfields == 3);
    CHECK(slice_is(nats_header_get(&h, "Header1"), "X"));
    CHECK(slice_is(h.fields[1].value, "Y"));
    nats_slice v;
    CHECK(nats_header_find(s, strlen(s), "Header1", &v) && slice_is(v, "X"));
    CHECK(find_agrees(s, &h, "Header1") && find_agrees(s, &h, "Header2"));
}

static void test_values_with_colon_and_blanks(void)
{
    const char *s = "NATS/1.0\r\nUrl: http://host:8222/varz\r\nPad:   padded value \t \r\n"
                    "Empty:\r\nBlank:    \r\nTabbed:\tx\t\r\n\r\n";
    nats_header h;
    CHECK(parse_str(s, &h) == 0);
    CHECK(h.nfields == 5);
    CHECK(slice_is(nats_header_get(&h, "Url"), "http://host:8222/varz"));
    CHECK(slice_is(nats_header_get(&h, "Pad"), "padded value"));
    nats_slice e = nats_header_get(&h, "Empty");
    CHECK(e.ptr != NULL && e.len == 0); /* present but empty */
    nats_slice b = nats_header_get(&h, "Blank");
    CHECK(b.ptr != NULL && b.len == 0);
    CHECK(slice_is(nats_header_get(&h, "Tabbed"), "x"));
    const char *keys[] = {"Url", "Pad", "Empty", "Blank", "Tabbed", "Http", "Missing"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        CHECKF(find_agrees(s, &h, keys[i]), "find and get disagree on %s", keys[i]);
    /* "Url: http" must not be taken for a key "Url: http" nor for "http" */
    nats_slice v;
    CHECK(!nats_header_find(s, strlen(s), "http", &v));
    CHECK(!nats_header_find(s, strlen(s), "Url: http", &v));
    CHECK(nats_header_get(&h, "Url: http").ptr == NULL);
}

static void test_suffix_key_not_matched(void)
{
    const char *s = "NATS/1.0\r\nNats-Msg-Id: m1\r\nX-Id: x\r\nId: real\r\n\r\n";
    const char *t = "NATS/1.0\r\nNats-Msg-Id: m1\r\n\r\n";
    nats_header h;
    nats_slice v;
    CHECK(parse_str(t, &h) == 0);
    CHECK(!nats_header_find(t, strlen(t), "Id", &v));
    CHECK(!nats_header_find(t, strlen(t), "Msg-Id", &v));
    CHECK(nats_header_get(&h, "Id").ptr == NULL);
    CHECK(parse_str(s, &h) == 0);
    CHECK(nats_header_find(s, strlen(s), "Id", &v) && slice_is(v, "real"));
    CHECK(slice_is(nats_header_get(&h, "Id"), "real"));
    /* a key that is a prefix of another key does not match it either */
    CHECK(!nats_header_find(t, strlen(t), "Nats-Msg", &v));
    CHECK(nats_header_get(&h, "Nats-Msg").ptr == NULL);
    /* nor do keys that occur inside the status line or a value */
    const char *u = "NATS/1.0 408 Id: no\r\nA: Id: no\r\n\r\n";
    CHECK(parse_str(u, &h) == 0);
    CHECK(!nats_header_find(u, strlen(u), "Id", &v));
    CHECK(find_agrees(u, &h, "Id") && find_agrees(u, &h, "A"));
    /* nats-server's getHeader gives up when the key first occurs in the first two bytes;
     * we do not copy that */
    const char *w = "NATS/1.0\r\nN: 1\r\nATS: 2\r\n\r\n";
    CHECK(parse_str(w, &h) == 0);
    CHECK(nats_header_find(w, strlen(w), "N", &v) && slice_is(v, "1"));
    CHECK(nats_header_find(w, strlen(w), "ATS", &v) && slice_is(v, "2"));
}

static void test_find_vs_get(void)
{
    const char *blocks[] = {
        "NATS/1.0\r\n\r\n",
        "NATS/1.0 503\r\n\r\n",
        "NATS/1.0\r\nA:1\r\nB: 2\r\nA: 3\r\nAB: 4\r\nBA: 5\r\n\r\n",
        "NATS/1.0 100 Idle Heartbeat\r\nNats-Last-Consumer: 1\r\nNats-Consumer-Stalled: "
        "$JS.FC.x\r\n\r\n",
        "NATS/1.0\r\n: empty key\r\nA : spaced key\r\nA: plain\r\n\r\n",
    };
    const char *keys[] = {"A", "B", "AB", "BA", "Nats-Last-Consumer", "Nats-Consumer-Stalled",
                          "Consumer", "A ", "", "NATS/1.0", "Idle Heartbeat"};
    for (size_t i = 0; i < sizeof blocks / sizeof blocks[0]; i++) {
        nats_header h;
        CHECKF(parse_str(blocks[i], &h) == 0, "block %zu does not parse", i);
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
            CHECKF(find_agrees(blocks[i], &h, keys[k]), "block %zu key '%s'", i, keys[k]);
    }
    /* a key with a space before ':' is kept as sent, so "A" finds the later plain field */
    nats_header h;
    CHECK(parse_str(blocks[4], &h) == 0);
    CHECK(h.nfields == 3 && h.fields[0].key.len == 0 && slice_is(h.fields[1].key, "A "));
    CHECK(slice_is(nats_header_get(&h, "A"), "plain"));
}

static void test_malformed(void)
{
    nats_header h;
    const char *bad[] = {
        "NATS/1.0",                          /* no CRLF at all */
        "NATS/1.0\r\n",                      /* no final empty line */
        "NATS/1.0\r\nA: b\r\n",              /* no final empty line */
        "NATS/1.0\r\nA: b\r\n\r",            /* truncated final line */
        "NATS/1.0\r\nA b\r\n\r\n",           /* line without ':' */
        "HTTP/1.1\r\nA: b\r\n\r\n",          /* wrong version */
        "NATS/1.\r\n\r\n",                   /* short version */
        "\r\n\r\n",                          /* no version */
        "NATS/1.0\r\nA: b\nB: c\r\n\r\n",    /* bare LF */
        "NATS/1.0\r\nA: b\rB: c\r\n\r\n",    /* bare CR */
        "NATS/1.0\nA: b\r\n\r\n",            /* LF-only status line */
        "NATS/1.0\r\nA: b\r\n\r\nextra",     /* bytes after the empty line */
        "NATS/1.0\r\nA: b\r\n\r\n\r\n",      /* a second empty line */
        "NATS/1.0\r\n  continued\r\n\r\n",   /* folded line (no ':') */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        h.nfields = 7;
        CHECKF(parse_str(bad[i], &h) == -1, "case %zu parsed", i);
        CHECKF(h.nfields == 0 && h.status == 0, "case %zu left fields", i);
    }
    nats_slice v;
    CHECK(!nats_header_find("HTTP/1.1\r\nA: b\r\n\r\n", 18, "A", &v));
    CHECK(!nats_header_find("NATS/1.0\r\nA: b", 14, "A", &v)); /* unterminated value */
    CHECK(!nats_header_find("NATS/1.0", 8, "A", &v));
}

static void test_never_reads_past_len(void)
{
    /* parse only a prefix of a longer valid block: every strict prefix is malformed, and the
     * bytes beyond len (a valid continuation) must not be looked at */
    const char *s = "NATS/1.0 408 Request Timeout\r\nA: 1\r\nB: 2\r\n\r\n";
    size_t n = strlen(s);
    for (size_t len = 1; len < n; len++) {
        char *copy = malloc(len); /* exactly len bytes, so ASan sees any over-read */
        CHECK(copy != NULL);
        memcpy(copy, s, len);
        nats_header h;
        int rc = nats_header_parse(copy, len, &h);
        nats_slice v = {NULL, 0};
        bool found = nats_header_find(copy, len, "B", &v);
        bool inside = !found || (v.ptr >= copy && v.ptr + v.len <= copy + len);
        free(copy);
        CHECKF(rc == -1, "prefix of %zu bytes parsed", len);
        /* find does not insist on the final empty line, only on the field's own CRLF */
        bool whole_line = len >= n - 2;
        CHECKF(inside && found == whole_line, "find 'B' in a prefix of %zu bytes", len);
    }
    nats_header h;
    CHECK(nats_header_parse(s, n, &h) == 0 && h.nfields == 2);
    /* a header block followed by the payload in the same buffer: hdr_len bounds the parse */
    const char *msg = "NATS/1.0\r\nA: 1\r\n\r\nB: 2\r\n\r\n";
    CHECK(nats_header_parse(msg, 18, &h) == 0 && h.nfields == 1);
    nats_slice v;
    CHECK(!nats_header_find(msg, 18, "B", &v));
}

static void test_too_many_fields(void)
{
    char buf[4096];
    size_t n = (size_t)snprintf(buf, sizeof buf, "NATS/1.0\r\n");
    for (int i = 0; i < NATS_HEADER_MAX_FIELDS; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "K%d: %d\r\n", i, i);
    memcpy(buf + n, "\r\n", 3);
    nats_header h;
    CHECK(nats_header_parse(buf, n + 2, &h) == 0);
    CHECK(h.nfields == NATS_HEADER_MAX_FIELDS);
    CHECK(slice_is(nats_header_get(&h, "K63"), "63"));
    n += (size_t)snprintf(buf + n, sizeof buf - n, "One-More: x\r\n");
    memcpy(buf + n, "\r\n", 3);
    CHECK(nats_header_parse(buf, n + 2, &h) == -1);
}

static void test_extend(void)
{
    size_t n;
    const char block[] = "NATS/1.0\r\nA: b\r\n\r\n";
    char *h = nats_header_extend(block, sizeof block - 1, "C: d\r\n", 6, &n);
    CHECK(h && n == strlen("NATS/1.0\r\nA: b\r\nC: d\r\n\r\n") &&
          memcmp(h, "NATS/1.0\r\nA: b\r\nC: d\r\n\r\n", n) == 0 &&
          n == nats_header_extended_len(sizeof block - 1, 6));
    free(h);
    h = nats_header_extend(NULL, 0, "C: d\r\n", 6, &n); /* no headers: a bare status line */
    CHECK(h && n == 18 && memcmp(h, "NATS/1.0\r\nC: d\r\n\r\n", n) == 0 &&
          n == nats_header_extended_len(0, 6));
    free(h);
}

static bool drop_x(nats_slice key, void *arg)
{
    (void)arg;
    return key.len >= 2 && memcmp(key.ptr, "X-", 2) == 0;
}

/* Lines whose key drop_x accepts leave, the others stay byte for byte (a status with its text,
 * a key of 300 bytes, a value with ':'), the new lines come last; a block whose lines do not
 * end in CRLF is refused. */
static void test_extend_without(void)
{
    char longkey[301];
    memset(longkey, 'k', 300);
    longkey[300] = 0;
    char block[1024], want[1024];
    snprintf(block, sizeof block,
             "NATS/1.0 100 Idle Heartbeat\r\nX-a: 1\r\n%s: v\r\nB:  c:d \r\nX-b: 2\r\n\r\n",
             longkey);
    snprintf(want, sizeof want,
             "NATS/1.0 100 Idle Heartbeat\r\n%s: v\r\nB:  c:d \r\nN: s\r\n\r\n", longkey);
    size_t n;
    char *h = nats_header_extend_without(block, strlen(block), drop_x, NULL, "N: s\r\n", 6, &n);
    CHECK(h && n == strlen(want) && memcmp(h, want, n) == 0);
    nats_header hv;
    CHECK(h && nats_header_parse(h, n, &hv) == 0 && hv.nfields == 3 && hv.status == 100);
    free(h);
    const char only[] = "NATS/1.0\r\nX-a: 1\r\n\r\n"; /* every field dropped */
    h = nats_header_extend_without(only, sizeof only - 1, drop_x, NULL, "N: s\r\n", 6, &n);
    CHECK(h && n == 18 && memcmp(h, "NATS/1.0\r\nN: s\r\n\r\n", n) == 0);
    free(h);
    h = nats_header_extend_without(NULL, 0, drop_x, NULL, "N: s\r\n", 6, &n); /* no block */
    CHECK(h && n == 18 && memcmp(h, "NATS/1.0\r\nN: s\r\n\r\n", n) == 0);
    free(h);
    const char bare_lf[] = "NATS/1.0\r\nA: b\nX-c: d\r\n\r\n"; /* "A: b\nX-c: d" is one line */
    h = nats_header_extend_without(bare_lf, sizeof bare_lf - 1, drop_x, NULL, "", 0, &n);
    CHECK(h && n == sizeof bare_lf - 1 && memcmp(h, bare_lf, n) == 0);
    free(h);
    const char no_crlf[] = "NATS/1.0\r\nA: b\r\nX-c"; /* not closed */
    CHECK(nats_header_extend_without(no_crlf, sizeof no_crlf - 1, drop_x, NULL, "", 0, &n) == NULL);
}

/* set replaces the value of every line of the key in place, keeps the others byte for byte,
 * adds the line when the key is missing, and makes a block from nothing. */
static void test_set(void)
{
    size_t n;
    const char block[] =
        "NATS/1.0\r\nNats-TTL: 5\r\nNats-TTLx: 1\r\nK:  a \r\nNats-TTL:9\r\n\r\n";
    const char want[] =
        "NATS/1.0\r\nNats-TTL: 60\r\nNats-TTLx: 1\r\nK:  a \r\nNats-TTL: 60\r\n\r\n";
    char *h = nats_header_set(block, sizeof block - 1, "Nats-TTL", "60", 2, &n);
    CHECK(h && n == sizeof want - 1 && memcmp(h, want, n) == 0);
    free(h);
    const char none[] = "NATS/1.0\r\nK: a\r\n\r\n";
    h = nats_header_set(none, sizeof none - 1, "Nats-TTL", "60", 2, &n);
    const char added[] = "NATS/1.0\r\nK: a\r\nNats-TTL: 60\r\n\r\n";
    CHECK(h && n == sizeof added - 1 && memcmp(h, added, n) == 0);
    free(h);
    h = nats_header_set(NULL, 0, "Nats-TTL", "60", 2, &n);
    const char fresh[] = "NATS/1.0\r\nNats-TTL: 60\r\n\r\n";
    CHECK(h && n == sizeof fresh - 1 && memcmp(h, fresh, n) == 0);
    free(h);
    const char no_crlf[] = "NATS/1.0\r\nNats-TTL: 5";
    CHECK(nats_header_set(no_crlf, sizeof no_crlf - 1, "Nats-TTL", "60", 2, &n) == NULL);
}

int main(void)
{
    RUN(test_empty_block);
    RUN(test_no_status);
    RUN(test_status_503);
    RUN(test_status_408_with_text);
    RUN(test_status_idle_heartbeat);
    RUN(test_bad_status);
    RUN(test_multiple_fields);
    RUN(test_case_sensitive);
    RUN(test_repeated_key);
    RUN(test_values_with_colon_and_blanks);
    RUN(test_suffix_key_not_matched);
    RUN(test_find_vs_get);
    RUN(test_malformed);
    RUN(test_never_reads_past_len);
    RUN(test_too_many_fields);
    RUN(test_extend);
    RUN(test_extend_without);
    RUN(test_set);
    TESTLIB_EXIT();
}

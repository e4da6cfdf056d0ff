/*
 * test_stream_feed.c — unit tests of streams fed from other streams of the same store
 * (stream_feed.c, stream_mirror.c, stream_source.c) through the in-process API: a source's
 * messages appended under the stream's own sequences with the Nats-Stream-Source header and the
 * origin's expectation headers dropped, filters and subject transforms, start sequence, message
 * ids deduplicated across sources, positions kept across a reopen (read back from the headers)
 * and across an update that adds a source, the store's checks (cycles, max_msg_size), and a
 * mirror fed by the same loop.
 */
#define FIXTURE_NAME "feed"
#include "test/unit/store_fixture.h"
#include "test/testlib.h"

#include <inttypes.h>
#include <string.h>

#include "proto/nats_header.h"

static stream *create(const char *json)
{
    json_error_t je;
    json_t *j = json_loads(json, 0, &je);
    stream_config c;
    stream *s = NULL;
    if (!j || stream_config_from_json(j, &c, &E) != 0) {
        json_decref(j);
        return NULL;
    }
    json_decref(j);
    if (store_stream_create(ST, &c, &s, &E) != 0)
        s = NULL;
    stream_config_free(&c);
    return s;
}

static int update(stream *s, const char *json)
{
    json_error_t je;
    json_t *j = json_loads(json, 0, &je);
    stream_config c;
    if (!j || stream_config_from_json(j, &c, &E) != 0) {
        json_decref(j);
        return -1;
    }
    json_decref(j);
    int rc = store_stream_update(ST, s, &c, &E);
    stream_config_free(&c);
    return rc;
}

static uint64_t put(stream *s, const char *subject, const char *hdr, const char *data)
{
    stream_ack ack;
    if (stream_append(s, subject, strlen(subject), hdr, hdr ? strlen(hdr) : 0, data,
                      strlen(data), fake_now(NULL), &ack, &E) != 0)
        return 0;
    return ack.seq;
}

/* Commits what was published, then lets the feeds copy it and commits that. */
static void settle(void)
{
    char why[256];
    for (int i = 0; i < 4; i++) {
        store_commit(ST, why, sizeof why);
        store_sync_feeds(ST, fake_now(NULL), 1024);
    }
    store_commit(ST, why, sizeof why);
}

/* "subject|data|Nats-Stream-Source value" of the message at seq, or "" when none. */
static const char *show(stream *s, uint64_t seq)
{
    static char out[512];
    stream_msg m;
    jserr e;
    out[0] = 0;
    if (stream_get(s, seq, &m, &e) != 0)
        return out;
    nats_slice v = {0};
    if (m.hdr_len)
        nats_header_find(m.hdr, m.hdr_len, "Nats-Stream-Source", &v);
    snprintf(out, sizeof out, "%.*s|%.*s|%.*s", (int)m.subject_len, m.subject, (int)m.data_len,
             m.data, (int)v.len, v.ptr ? v.ptr : "");
    stream_msg_free(&m);
    return out;
}

static uint64_t msgs(stream *s)
{
    stream_state st;
    stream_get_state(s, &st);
    return st.msgs;
}

static void test_sources_aggregate(void)
{
    stream *a = create("{\"name\":\"A\",\"subjects\":[\"a.>\"]}");
    stream *b = create("{\"name\":\"B\",\"subjects\":[\"b.>\"]}");
    CHECK(a && b);
    CHECK(put(a, "a.1", "NATS/1.0\r\nNats-Expected-Stream: A\r\nX: 1\r\n\r\n", "one") == 1);
    CHECK(put(b, "b.1", NULL, "two") == 1);
    CHECK(put(a, "a.2", NULL, "three") == 2);
    stream *agg = create("{\"name\":\"AGG\",\"subjects\":[\"own\"],"
                         "\"sources\":[{\"name\":\"A\"},{\"name\":\"B\",\"filter_subject\":\"b.>\"}]}");
    CHECKF(agg != NULL, "create: %.200s", E.description);
    settle();
    CHECKF(msgs(agg) == 3, "msgs %" PRIu64, msgs(agg));
    CHECKF(strcmp(show(agg, 1), "a.1|one|A 1 > >") == 0, "1: %s", show(agg, 1));
    CHECKF(strcmp(show(agg, 2), "a.2|three|A 2 > >") == 0, "2: %s", show(agg, 2));
    CHECKF(strcmp(show(agg, 3), "b.1|two|B 1 b.> >") == 0, "3: %s", show(agg, 3));
    /* the origin's expectation is dropped, its other headers kept */
    stream_msg m;
    CHECK(stream_get(agg, 1, &m, &E) == 0);
    nats_slice v;
    CHECK(!nats_header_find(m.hdr, m.hdr_len, "Nats-Expected-Stream", &v));
    CHECK(nats_header_find(m.hdr, m.hdr_len, "X", &v) && v.len == 1 && v.ptr[0] == '1');
    stream_msg_free(&m);
    /* live, interleaved with the stream's own publishes */
    CHECK(put(agg, "own", NULL, "mine") == 4);
    CHECK(put(b, "b.2", NULL, "four") == 2);
    settle();
    CHECKF(strcmp(show(agg, 5), "b.2|four|B 2 b.> >") == 0, "5: %s", show(agg, 5));
    uint64_t lag = 99;
    int64_t contact = 0;
    const json_t *src = stream_source_status(agg, 1, &lag, &contact);
    CHECK(src && strcmp(json_string_value(json_object_get(src, "name")), "B") == 0);
    CHECK(lag == 0 && contact > 0);
    CHECK(stream_source_status(agg, 2, &lag, &contact) == NULL);
    /* a reopen resumes each source after the newest message it brought */
    CHECK(put(a, "a.3", NULL, "five") == 3);
    store_commit(ST, (char[64]){0}, 64);
    fx_reopen();
    agg = store_stream_find(ST, "AGG");
    a = store_stream_find(ST, "A");
    CHECK(agg && a);
    CHECK(put(a, "a.4", NULL, "six") == 4);
    settle();
    CHECKF(msgs(agg) == 7, "msgs after reopen %" PRIu64, msgs(agg));
    CHECKF(strcmp(show(agg, 6), "a.3|five|A 3 > >") == 0, "6: %s", show(agg, 6));
    CHECKF(strcmp(show(agg, 7), "a.4|six|A 4 > >") == 0, "7: %s", show(agg, 7));
}

static void test_sources_transform_start_dedup(void)
{
    stream *a = create("{\"name\":\"A\",\"subjects\":[\"a.>\"]}");
    stream *b = create("{\"name\":\"B\",\"subjects\":[\"b.>\"]}");
    for (int i = 1; i <= 4; i++) {
        char subj[16], data[16];
        snprintf(subj, sizeof subj, "a.%d", i);
        snprintf(data, sizeof data, "v%d", i);
        CHECK(put(a, subj, NULL, data) == (uint64_t)i);
    }
    CHECK(put(b, "b.x", "NATS/1.0\r\nNats-Msg-Id: m1\r\n\r\n", "first") == 1);
    stream *t = create("{\"name\":\"T\",\"sources\":[{\"name\":\"A\",\"opt_start_seq\":3,"
                       "\"subject_transforms\":[{\"src\":\"a.*\",\"dest\":\"x.{{wildcard(1)}}\"}]},"
                       "{\"name\":\"B\"}]}");
    CHECKF(t != NULL, "create: %.200s", E.description);
    settle();
    CHECKF(msgs(t) == 3, "msgs %" PRIu64, msgs(t));
    CHECKF(strcmp(show(t, 1), "x.3|v3|A 3 a.* x.{{wildcard(1)}}") == 0, "1: %s", show(t, 1));
    CHECKF(strcmp(show(t, 2), "x.4|v4|A 4 a.* x.{{wildcard(1)}}") == 0, "2: %s", show(t, 2));
    CHECKF(strcmp(show(t, 3), "b.x|first|B 1 > >") == 0, "3: %s", show(t, 3));
    /* the same message id from another source is a duplicate */
    CHECK(put(a, "a.5", "NATS/1.0\r\nNats-Msg-Id: m1\r\n\r\n", "again") == 5);
    settle();
    CHECKF(msgs(t) == 3, "duplicate stored: %" PRIu64, msgs(t));
    /* an update that adds a source keeps the others where they were */
    stream *c = create("{\"name\":\"C\",\"subjects\":[\"c.>\"]}");
    CHECK(put(c, "c.1", NULL, "cee") == 1);
    CHECK(update(t, "{\"name\":\"T\",\"sources\":[{\"name\":\"A\",\"opt_start_seq\":3,"
                    "\"subject_transforms\":[{\"src\":\"a.*\",\"dest\":\"x.{{wildcard(1)}}\"}]},"
                    "{\"name\":\"B\"},{\"name\":\"C\"}]}") == 0);
    CHECK(put(a, "a.6", NULL, "v6") == 6);
    settle();
    CHECKF(msgs(t) == 5, "msgs after update %" PRIu64, msgs(t));
    CHECKF(strcmp(show(t, 4), "c.1|cee|C 1 > >") == 0 || strcmp(show(t, 5), "c.1|cee|C 1 > >") == 0,
           "C's message: %s / %s", show(t, 4), show(t, 5));
    CHECKF(strstr(show(t, 4), "x.6|v6") || strstr(show(t, 5), "x.6|v6"), "A's new message: %s / %s",
           show(t, 4), show(t, 5));
}

/* A block with more fields than the header parser holds, a key of 300 bytes and a
 * Nats-Expected-Stream line: the copy keeps every line but the expectation, byte for byte, and
 * gets the source's line appended. */
static void test_sources_large_header(void)
{
    stream *a = create("{\"name\":\"A\",\"subjects\":[\"a.>\"]}");
    stream *t = create("{\"name\":\"T\",\"sources\":[{\"name\":\"A\"}]}");
    CHECK(a && t);
    char hdr[4096], longkey[301];
    memset(longkey, 'k', 300);
    longkey[300] = 0;
    size_t n = (size_t)snprintf(hdr, sizeof hdr, "NATS/1.0\r\n%s: long\r\n", longkey);
    for (int i = 0; i < 70; i++)
        n += (size_t)snprintf(hdr + n, sizeof hdr - n, "K%d: v%d\r\n%s", i, i,
                              i == 35 ? "Nats-Expected-Stream: A\r\n" : "");
    snprintf(hdr + n, sizeof hdr - n, "\r\n");
    CHECK(put(a, "a.1", hdr, "big") == 1);
    settle();
    CHECKF(msgs(t) == 1 && strcmp(show(t, 1), "a.1|big|A 1 > >") == 0, "T: %" PRIu64 " %s",
           msgs(t), show(t, 1));
    stream_msg m;
    CHECK(stream_get(t, 1, &m, &E) == 0);
    nats_slice v;
    CHECK(nats_header_find(m.hdr, m.hdr_len, "K69", &v) && v.len == 3 && !memcmp(v.ptr, "v69", 3));
    CHECK(nats_header_find(m.hdr, m.hdr_len, longkey, &v) && v.len == 4 && !memcmp(v.ptr, "long", 4));
    CHECK(!memmem(m.hdr, m.hdr_len, "Nats-Expected", 13));
    /* the origin's lines come first, unchanged, the expectation taken out */
    char *x = strstr(hdr, "Nats-Expected-Stream: A\r\n");
    size_t before = (size_t)(x - hdr), skip = strlen("Nats-Expected-Stream: A\r\n");
    CHECK(m.hdr_len > n && !memcmp(m.hdr, hdr, before) &&
          !memcmp(m.hdr + before, x + skip, n - before - skip));
    stream_msg_free(&m);
}

/* After a reopen the positions are looked for over several calls when the stream is long:
 * nothing is copied before the look is over, and then nothing twice. */
static void test_sources_long_scan(void)
{
    stream *a = create("{\"name\":\"A\",\"subjects\":[\"a.>\"]}");
    stream *agg = create("{\"name\":\"AGG\",\"subjects\":[\"own\"],\"sources\":[{\"name\":\"A\"}]}");
    CHECK(a && agg);
    CHECK(put(a, "a.1", NULL, "one") == 1);
    CHECK(put(a, "a.2", NULL, "two") == 2);
    settle();
    for (int i = 0; i < 3000; i++)
        CHECK(put(agg, "own", NULL, "x") == (uint64_t)i + 3);
    settle();
    CHECKF(msgs(agg) == 3002, "before reopen %" PRIu64, msgs(agg));
    fx_reopen();
    agg = store_stream_find(ST, "AGG");
    CHECK(agg);
    CHECK(store_sync_feeds(ST, fake_now(NULL), 1024)); /* still looking */
    CHECK(msgs(agg) == 3002);
    a = store_stream_find(ST, "A");
    CHECK(put(a, "a.3", NULL, "three") == 3);
    settle();
    CHECKF(msgs(agg) == 3003, "after reopen %" PRIu64, msgs(agg));
    CHECKF(strcmp(show(agg, 3003), "a.3|three|A 3 > >") == 0, "3003: %s", show(agg, 3003));
}

static void test_feed_checks(void)
{
    stream *a = create("{\"name\":\"A\",\"subjects\":[\"a.>\"],\"max_msg_size\":1000}");
    CHECK(a);
    CHECK(create("{\"name\":\"S\",\"max_msg_size\":10,\"sources\":[{\"name\":\"A\"}]}") == NULL);
    CHECKF(E.err_code == 10046, "max_msg_size: %d %.200s", E.err_code, E.description);
    CHECK(create("{\"name\":\"P\",\"subjects\":[\"p.>\"],\"sources\":[{\"name\":\"Q\"}]}") != NULL);
    CHECK(create("{\"name\":\"Q\",\"subjects\":[\"q.>\"],\"sources\":[{\"name\":\"P\"}]}") == NULL);
    CHECKF(E.err_code == 10052 && strcmp(E.description, "detected cycle") == 0, "cycle: %d %.200s", E.code,
           E.description);
    /* back to itself through a filter its subjects never match: no cycle (nats-server 2.10) */
    CHECK(create("{\"name\":\"R\",\"subjects\":[\"r.>\"],\"sources\":[{\"name\":\"R\","
                 "\"filter_subject\":\"zz\"}]}") != NULL);
    /* a mirror's origin sourcing the mirror */
    CHECK(create("{\"name\":\"M\",\"mirror\":{\"name\":\"N\"}}") != NULL);
    CHECK(create("{\"name\":\"N\",\"subjects\":[\"n.>\"],\"sources\":[{\"name\":\"M\"}]}") == NULL);
    CHECKF(E.err_code == 10052, "cycle through a mirror: %d %.200s", E.err_code, E.description);
}

static void test_mirror_through_feed(void)
{
    stream *o = create("{\"name\":\"O\",\"subjects\":[\"o.>\"]}");
    CHECK(put(o, "o.1", NULL, "x") == 1);
    CHECK(put(o, "o.2", NULL, "y") == 2);
    stream *m = create("{\"name\":\"M\",\"mirror\":{\"name\":\"O\",\"filter_subject\":\"o.2\"}}");
    CHECK(m);
    settle();
    CHECKF(msgs(m) == 1 && strcmp(show(m, 2), "o.2|y|") == 0, "mirror: %" PRIu64 " %s", msgs(m),
           show(m, 2));
    uint64_t lag = 9;
    int64_t contact = 0;
    CHECK(stream_mirror_status(m, &lag, &contact) && lag == 0 && contact > 0);
    CHECK(stream_source_count(m) == 0);
}

int main(void)
{
    FX_CASE(test_sources_aggregate);
    FX_CASE(test_sources_transform_start_dedup);
    FX_CASE(test_sources_large_header);
    FX_CASE(test_sources_long_scan);
    FX_CASE(test_feed_checks);
    FX_CASE(test_mirror_through_feed);
    TESTLIB_EXIT();
}

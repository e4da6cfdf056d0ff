/*
 * test_stream.c — unit tests of the stream store (stream/stream.h): every limit and discard
 * policy, each publish-time header rule with nats-server's exact err_code and description,
 * every purge variant, deletes with and without erase, rollups, dedup, TTLs and max_age with a
 * synthetic clock, memory storage, config updates, stream delete and recreate, group commit,
 * and a reopen after each kind of operation. Every case asserts the exact stream state (first,
 * last, msgs, bytes, subjects, deleted) and the per-subject counts.
 *
 * Each case runs in a fresh store under a mkdtemp directory that is removed afterwards.
 */
#include "stream/stream.h"
#include "test/testlib.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FIXTURE_NAME "stream"
#include "test/unit/store_fixture.h"

#define SEC 1000000000LL

#define T(fn) FX_CASE(fn)

/* Closes and reopens the store; returns the stream called name (or NULL). */
static stream *reopen(const char *name)
{
    fx_reopen();
    return name ? store_stream_find(ST, name) : NULL;
}

static int64_t real_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * SEC + ts.tv_nsec;
}

static int parse_cfg(const char *json, stream_config *cfg)
{
    json_error_t je;
    json_t *j = json_loads(json, 0, &je);
    if (!j) {
        fprintf(stderr, "bad test json: %s\n", json);
        exit(2);
    }
    int rc = stream_config_from_json(j, cfg, &E);
    json_decref(j);
    return rc;
}

static stream *mk_in(store *st, const char *json)
{
    stream_config cfg;
    if (parse_cfg(json, &cfg) < 0)
        return NULL;
    stream *s = NULL;
    int rc = store_stream_create(st, &cfg, &s, &E);
    stream_config_free(&cfg);
    return rc == 0 ? s : NULL;
}

static stream *mk(const char *json)
{
    return mk_in(ST, json);
}

static int update(stream *s, const char *json)
{
    stream_config cfg;
    if (parse_cfg(json, &cfg) < 0)
        return -1;
    int rc = store_stream_update(ST, s, &cfg, &E);
    stream_config_free(&cfg);
    return rc;
}

static stream_ack ACK;

/* Appends; returns the sequence (0 on error, E set). */
static uint64_t pubt(stream *s, const char *subj, const char *hdr, const char *data, int64_t ts)
{
    if (stream_append(s, subj, strlen(subj), hdr, hdr ? strlen(hdr) : 0, data, strlen(data), ts,
                      &ACK, &E) < 0)
        return 0;
    return ACK.seq;
}

static uint64_t pub(stream *s, const char *subj, const char *hdr, const char *data)
{
    CLOCK_ += 1000;
    return pubt(s, subj, hdr, data, CLOCK_);
}

/* A header block with one field (rotating static buffers). */
static const char *H(const char *k, const char *v)
{
    static char bufs[8][1024];
    static int i;
    char *b = bufs[i++ % 8];
    snprintf(b, sizeof bufs[0], "NATS/1.0\r\n%s: %s\r\n\r\n", k, v);
    return b;
}

static const char *H2(const char *k1, const char *v1, const char *k2, const char *v2)
{
    static char bufs[4][1024];
    static int i;
    char *b = bufs[i++ % 4];
    snprintf(b, sizeof bufs[0], "NATS/1.0\r\n%s: %s\r\n%s: %s\r\n\r\n", k1, v1, k2, v2);
    return b;
}

/* nats-server's accounted sizes, written out independently of the store. */
static uint64_t FB(const char *subj, const char *hdr, const char *data)
{
    size_t h = hdr ? strlen(hdr) : 0;
    return 22 + strlen(subj) + (h ? 4 + h : 0) + strlen(data) + 8;
}

static uint64_t MB(const char *subj, const char *hdr, const char *data)
{
    return strlen(subj) + (hdr ? strlen(hdr) : 0) + strlen(data) + 16;
}

static void count_cb(const char *subject, size_t len, uint64_t count, void *arg)
{
    *(uint64_t *)arg += count;
}

static uint64_t subj_count(stream *s, const char *filter)
{
    uint64_t n = 0;
    stream_subject_totals(s, filter, count_cb, &n);
    return n;
}

#define CHECK_STATE(s, f, l, m, b, ns, nd)                                                      \
    do {                                                                                        \
        CHECK((s) != NULL);                                                                     \
        stream_state st_;                                                                       \
        stream_get_state((s), &st_);                                                            \
        CHECKF(st_.first_seq == (uint64_t)(f) && st_.last_seq == (uint64_t)(l) &&               \
                   st_.msgs == (uint64_t)(m) && st_.bytes == (uint64_t)(b) &&                   \
                   st_.num_subjects == (uint64_t)(ns) && st_.num_deleted == (uint64_t)(nd),     \
               "state first %" PRIu64 " last %" PRIu64 " msgs %" PRIu64 " bytes %" PRIu64       \
               " subjects %" PRIu64 " deleted %" PRIu64 ", want %d %d %d %d %d %d",             \
               st_.first_seq, st_.last_seq, st_.msgs, st_.bytes, st_.num_subjects,              \
               st_.num_deleted, (int)(f), (int)(l), (int)(m), (int)(b), (int)(ns), (int)(nd));  \
    } while (0)

#define CHECK_SUBJ(s, subj, n)                                                                  \
    do {                                                                                        \
        uint64_t c_ = subj_count((s), (subj));                                                  \
        CHECKF(c_ == (uint64_t)(n), "subject %s has %" PRIu64 " messages, want %d", (subj), c_, \
               (int)(n));                                                                       \
    } while (0)

#define CHECK_ERR(code, desc)                                                                   \
    CHECKF(E.err_code == (code) && strcmp(E.description, (desc)) == 0,                          \
           "error %d \"%.200s\", want %d \"%.200s\"", E.err_code, E.description, (code), (desc))

static bool msg_is(stream *s, uint64_t seq, const char *subj, const char *data)
{
    stream_msg m;
    jserr e;
    if (stream_get(s, seq, &m, &e) < 0)
        return false;
    bool ok = m.seq == seq && m.subject_len == strlen(subj) &&
              memcmp(m.subject, subj, m.subject_len) == 0 && m.data_len == strlen(data) &&
              memcmp(m.data, data, m.data_len) == 0;
    stream_msg_free(&m);
    return ok;
}

static bool msg_gone(stream *s, uint64_t seq)
{
    stream_msg m;
    jserr e;
    if (stream_get(s, seq, &m, &e) == 0) {
        stream_msg_free(&m);
        return false;
    }
    return e.err_code == 10037;
}

static uint64_t last_seq_of(stream *s, const char *subj)
{
    stream_msg m;
    jserr e;
    if (stream_get_last(s, subj, &m, &e) < 0)
        return 0;
    uint64_t seq = m.seq;
    stream_msg_free(&m);
    return seq;
}

static uint64_t next_seq_of(stream *s, uint64_t from, const char *filter)
{
    stream_msg m;
    jserr e;
    if (stream_get_next(s, from, filter, &m, &e) < 0)
        return 0;
    uint64_t seq = m.seq;
    stream_msg_free(&m);
    return seq;
}

static int commit(void)
{
    char err[256];
    return store_commit(ST, err, sizeof err);
}

/* ---------------- basics ---------------- */

static void test_append_and_read(void)
{
    stream *s = mk("{\"name\":\"S\",\"subjects\":[\"foo.>\"]}");
    CHECK(s);
    CHECK(pub(s, "foo.a", NULL, "one") == 1);
    CHECK(pub(s, "foo.b", NULL, "two") == 2);
    CHECK(pub(s, "foo.a", H("X", "y"), "three") == 3);
    uint64_t bytes = FB("foo.a", NULL, "one") + FB("foo.b", NULL, "two") +
                     FB("foo.a", H("X", "y"), "three");
    CHECK(store_has_pending(ST));
    /* reads see what is not committed yet */
    CHECK(msg_is(s, 3, "foo.a", "three"));
    CHECK_STATE(s, 1, 3, 3, bytes, 2, 0);
    CHECK(commit() == 0);
    CHECK(!store_has_pending(ST));
    CHECK(msg_is(s, 1, "foo.a", "one"));
    CHECK(msg_is(s, 2, "foo.b", "two"));
    CHECK(msg_gone(s, 4) && msg_gone(s, 0));
    CHECK(next_seq_of(s, 2, "foo.a") == 3);
    CHECK(next_seq_of(s, 0, "foo.b") == 2);
    CHECK(next_seq_of(s, 3, "foo.b") == 0);
    CHECK(next_seq_of(s, 2, "foo.*") == 2);
    CHECK(next_seq_of(s, 2, NULL) == 2);
    CHECK(last_seq_of(s, "foo.a") == 3 && last_seq_of(s, "foo.b") == 2);
    CHECK(last_seq_of(s, "foo.*") == 3 && last_seq_of(s, "foo.c") == 0);
    CHECK(stream_count_matching(s, "foo.a", 0) == 2 && stream_count_matching(s, "foo.a", 2) == 1);
    CHECK(stream_count_matching(s, ">", 2) == 2);
    CHECK(stream_seq_for_time(s, 0) == 1 && stream_seq_for_time(s, T0 + 2001) == 3);
    CHECK(stream_seq_for_time(s, T0 + 10 * SEC) == 4);
    stream_msg m;
    CHECK(stream_get(s, 3, &m, &E) == 0);
    CHECK(m.hdr_len == strlen(H("X", "y")) && memcmp(m.hdr, "NATS/1.0\r\nX: y", 14) == 0);
    CHECK(m.ts_ns == T0 + 3000 || m.ts_ns > T0);
    stream_msg_free(&m);
    CHECK(stream_get(s, 9, &m, &E) < 0);
    CHECK_ERR(10037, "no message found");
    CHECK_SUBJ(s, "foo.a", 2);
    CHECK_SUBJ(s, "foo.b", 1);
    CHECK_SUBJ(s, "foo.>", 3);
    int64_t created = stream_created_ns(s);
    CHECK(created > 1700000000LL * SEC);

    s = reopen("S");
    CHECK(stream_created_ns(s) == created); /* kept with the sequence state */
    CHECK_STATE(s, 1, 3, 3, bytes, 2, 0);
    CHECK(msg_is(s, 3, "foo.a", "three"));
    CHECK_SUBJ(s, "foo.a", 2);
    stream_state st;
    stream_get_state(s, &st);
    CHECK(st.first_ts_ns > T0 && st.last_ts_ns > st.first_ts_ns);
    CHECK(pub(s, "foo.c", NULL, "four") == 4);
    CHECK(store_stream_for_subject(ST, "foo.x", 5) == s && !store_stream_for_subject(ST, "bar", 3));
}

static void test_create_rules(void)
{
    stream *s = mk("{\"name\":\"S\",\"subjects\":[\"foo.>\"]}");
    CHECK(s);
    CHECK(mk("{\"name\":\"S\",\"subjects\":[\"foo.>\"]}") == s); /* identical: same stream */
    CHECK(!mk("{\"name\":\"S\",\"subjects\":[\"foo.>\"],\"max_msgs\":5}"));
    CHECK_ERR(10058, "stream name already in use with a different configuration");
    CHECK(!mk("{\"name\":\"T\",\"subjects\":[\"foo.bar\"]}"));
    CHECK_ERR(10065, "subjects overlap with an existing stream");
    CHECK(mk("{\"name\":\"A\",\"subjects\":[\"a\"]}") && mk("{\"name\":\"B\",\"subjects\":[\"b\"]}"));
    CHECK(store_stream_count(ST) == 3);
    CHECK(strcmp(stream_name(store_stream_at(ST, 0)), "A") == 0);
    CHECK(strcmp(stream_name(store_stream_at(ST, 2)), "S") == 0);
    reopen(NULL);
    CHECK(store_stream_count(ST) == 3 && store_stream_find(ST, "B"));
}

static void test_first_seq(void)
{
    stream *s = mk("{\"name\":\"S\",\"subjects\":[\"foo\"],\"first_seq\":100}");
    CHECK_STATE(s, 100, 99, 0, 0, 0, 0);
    s = reopen("S");
    CHECK_STATE(s, 100, 99, 0, 0, 0, 0);
    CHECK(pub(s, "foo", NULL, "x") == 100);
    s = reopen("S");
    CHECK_STATE(s, 100, 100, 1, FB("foo", NULL, "x"), 1, 0);
}

/* ---------------- limits ---------------- */

static void test_max_msgs_discard_old(void)
{
    stream *s = mk("{\"name\":\"S\",\"subjects\":[\"foo.*\"],\"max_msgs\":3}");
    const char *subj[] = {"foo.a", "foo.b", "foo.a", "foo.c", "foo.a"};
    for (int i = 0; i < 5; i++)
        CHECK(pub(s, subj[i], NULL, "data") == (uint64_t)i + 1);
    uint64_t b = FB("foo.a", NULL, "data");
    CHECK_STATE(s, 3, 5, 3, 3 * b, 2, 0);
    CHECK_SUBJ(s, "foo.a", 2);
    CHECK_SUBJ(s, "foo.b", 0);
    CHECK_SUBJ(s, "foo.c", 1);
    CHECK(msg_gone(s, 2) && msg_is(s, 3, "foo.a", "data"));
    s = reopen("S");
    CHECK_STATE(s, 3, 5, 3, 3 * b, 2, 0);
    CHECK(pub(s, "foo.b", NULL, "data") == 6);
    CHECK_STATE(s, 4, 6, 3, 3 * b, 3, 0);
}

static void test_max_msgs_discard_new(void)
{
    stream *s = mk("{\"name\":\"S\",\"subjects\":[\"foo\"],\"max_msgs\":2,\"discard\":\"new\"}");
    CHECK(pub(s, "foo", NULL, "1") == 1 && pub(s, "foo", NULL, "2") == 2);
    CHECK(pub(s, "foo", NULL, "3") == 0);
    CHECK_ERR(10077, "maximum messages exceeded");
    CHECK_STATE(s, 1, 2, 2, 2 * FB("foo", NULL, "1"), 1, 0);
    CHECK(stream_delete_msg(s, 1, false, &E) == 0);
    CHECK(pub(s, "foo", NULL, "3") == 3);
    CHECK_STATE(s, 2, 3, 2, 2 * FB("foo", NULL, "1"), 1, 0);
    s = reopen("S");
    CHECK_STATE(s, 2, 3, 2, 2 * FB("foo", NULL, "1"), 1, 0);
    CHECK(pub(s, "foo", NULL, "4") == 0);
    CHECK_ERR(10077, "maximum messages exceeded");
}

static void test_max_bytes(void)
{
    uint64_t b = FB("foo", NULL, "0123456789"); /* 43 */
    char json[256];
    snprintf(json, sizeof json, "{\"name\":\"O\",\"subjects\":[\"foo\"],\"max_bytes\":%d}", (int)(2 * b + 40));
    stream *o = mk(json);
    for (int i = 0; i < 4; i++)
        CHECK(pub(o, "foo", NULL, "0123456789") == (uint64_t)i + 1);
    CHECK_STATE(o, 3, 4, 2, 2 * b, 1, 0);
    /* a message bigger than the limit removes everything, itself included */
    char big[200];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    CHECK(pub(o, "foo", NULL, big) == 5);
    CHECK_STATE(o, 6, 5, 0, 0, 0, 0);
    o = reopen("O");
    CHECK_STATE(o, 6, 5, 0, 0, 0, 0);
    CHECK(pub(o, "foo", NULL, "0123456789") == 6);

    snprintf(json, sizeof json,
             "{\"name\":\"N\",\"subjects\":[\"bar\"],\"max_bytes\":%d,\"discard\":\"new\"}", (int)(2 * b + 40));
    stream *n = mk(json);
    CHECK(pub(n, "bar", NULL, "0123456789") == 1 && pub(n, "bar", NULL, "0123456789") == 2);
    CHECK(pub(n, "bar", NULL, "0123456789") == 0);
    CHECK_ERR(10077, "maximum bytes exceeded");
    CHECK(pub(n, "bar", NULL, "") == 3); /* 33 bytes still fit (86 + 33 <= 126) */
    CHECK_STATE(n, 1, 3, 3, 2 * b + FB("bar", NULL, ""), 1, 0);
}

static void test_max_msgs_per_subject(void)
{
    stream *s = mk("{\"name\":\"S\",\"subjects\":[\"kv.>\"],\"max_msgs_per_subject\":2}");
    CHECK(pub(s, "kv.a", NULL, "a1") == 1);
    CHECK(pub(s, "kv.b", NULL, "b1") == 2);
    CHECK(pub(s, "kv.a", NULL, "a2") == 3);
    CHECK(pub(s, "kv.a", NULL, "a3") == 4);
    CHECK(pub(s, "kv.b", NULL, "b2") == 5);
    CHECK(pub(s, "kv.b", NULL, "b3") == 6);
    uint64_t b = FB("kv.a", NULL, "a1");
    CHECK_STATE(s, 3, 6, 4, 4 * b, 2, 0);
    CHECK_SUBJ(s, "kv.a", 2);
    CHECK_SUBJ(s, "kv.b", 2);
    CHECK(msg_gone(s, 1) && msg_gone(s, 2) && msg_is(s, 3, "kv.a", "a2"));
    CHECK(last_seq_of(s, "kv.a") == 4 && next_seq_of(s, 0, "kv.b") == 5);
    s = reopen("S");
    CHECK_STATE(s, 3, 6, 4, 4 * b, 2, 0);
    CHECK(pub(s, "kv.a", NULL, "a4") == 7);
    CHECK_STATE(s, 4, 7, 4, 4 * b, 2, 0);
    CHECK(next_seq_of(s, 0, "kv.a") == 4);
}

/* Revisions of different sizes: the index removes a replaced revision with the size it recorded
 * (committed or still in the batch), a purge of a subject likewise, and the bytes stay exact
 * across a reopen. */
static void test_max_msgs_per_subject_sizes(void)
{
    stream *s = mk("{\"name\":\"S\",\"subjects\":[\"kv.>\"],\"max_msgs_per_subject\":2}");
    CHECK(pub(s, "kv.a", NULL, "x") == 1);
    CHECK(commit() == 0);
    CHECK(pub(s, "kv.a", NULL, "yyyy") == 2);
    CHECK(commit() == 0);
    CHECK(pub(s, "kv.a", H("K", "v"), "zzzzzzzzzzzz") == 3); /* replaces the committed "x" */
    CHECK_STATE(s, 2, 3, 2, FB("kv.a", NULL, "yyyy") + FB("kv.a", H("K", "v"), "zzzzzzzzzzzz"), 1, 0);
    CHECK(pub(s, "kv.b", NULL, "1") == 4);
    CHECK(pub(s, "kv.b", NULL, "22") == 5);
    CHECK(pub(s, "kv.b", NULL, "333") == 6); /* replaces "1" before any commit */
    uint64_t a = FB("kv.a", NULL, "yyyy") + FB("kv.a", H("K", "v"), "zzzzzzzzzzzz");
    uint64_t b = FB("kv.b", NULL, "22") + FB("kv.b", NULL, "333");
    CHECK_STATE(s, 2, 6, 4, a + b, 2, 1);
    CHECK(commit() == 0);
    CHECK(msg_gone(s, 1) && msg_gone(s, 4) && msg_is(s, 5, "kv.b", "22"));
    uint64_t n;
    stream_purge_req req = {.filter = "kv.a", .keep = 1};
    CHECK(stream_purge(s, &req, &n, &E) == 0 && n == 1);
    a = FB("kv.a", H("K", "v"), "zzzzzzzzzzzz");
    CHECK_STATE(s, 3, 6, 3, a + b, 2, 1);
    CHECK(commit() == 0);
    s = reopen("S");
    CHECK_STATE(s, 3, 6, 3, a + b, 2, 1);
    CHECK(pub(s, "kv.b", NULL, "4444") == 7); /* the sizes rebuilt at open are the ones removed */
    b = FB("kv.b", NULL, "333") + FB("kv.b", NULL, "4444");
    CHECK_STATE(s, 3, 7, 3, a + b, 2, 2);
    CHECK(commit() == 0);
    CHECK(msg_gone(s, 5) && msg_is(s, 6, "kv.b", "333"));
}

/* More than STREAM_TRACK_SEQS_MAX per subject: the index keeps no sequence lists and finds a
 * subject's oldest by scanning. */
static void test_max_msgs_per_subject_untracked(void)
{
    stream *s = mk("{\"name\":\"S\",\"subjects\":[\"kv.>\"],\"max_msgs_per_subject\":1100}");
    for (int i = 0; i < 1105; i++) {
        CHECK(pub(s, "kv.a", NULL, "a") != 0);
        if (i % 3 == 0)
            CHECK(pub(s, "kv.b", NULL, "b") != 0);
        if (i % 200 == 0)
            CHECK(commit() == 0);
    }
    /* 1105 on kv.a (5 trimmed), 369 on kv.b */
    stream_state st;
    stream_get_state(s, &st);
    /* kv.a was 1, 3, 4, 5, 7, 8, ... (kv.b at 2, 6, ...): its first five went */
    CHECK(st.first_seq == 2 && st.msgs == 1100 + 369 && st.last_seq == 1105 + 369 && st.num_deleted == 4);
    CHECK_SUBJ(s, "kv.a", 1100);
    CHECK_SUBJ(s, "kv.b", 369);
    uint64_t first_a = next_seq_of(s, 0, "kv.a");
    CHECK(first_a == 8);
    s = reopen("S");
    CHECK(next_seq_of(s, 0, "kv.a") == first_a);
    CHECK_SUBJ(s, "kv.a", 1100);
}

static void test_discard_new_per_subject(void)
{
    stream *s = mk("{\"name\":\"S\",\"subjects\":[\"kv.>\"],\"max_msgs_per_subject\":1,"
                   "\"discard\":\"new\",\"discard_new_per_subject\":true,\"allow_rollup_hdrs\":true}");
    CHECK(s);
    CHECK(pub(s, "kv.a", NULL, "a1") == 1);
    CHECK(pub(s, "kv.a", NULL, "a2") == 0);
    CHECK_ERR(10077, "maximum messages per subject exceeded");
    CHECK(pub(s, "kv.b", NULL, "b1") == 2);
    /* a rollup passes: it brings the subject back within its limit */
    CHECK(pub(s, "kv.a", H("Nats-Rollup", "sub"), "a3") == 3);
    CHECK_STATE(s, 2, 3, 2, FB("kv.b", NULL, "b1") + FB("kv.a", H("Nats-Rollup", "sub"), "a3"), 2, 0);
    CHECK_SUBJ(s, "kv.a", 1);
    s = reopen("S");
    CHECK(pub(s, "kv.a", NULL, "a4") == 0);
    CHECK_ERR(10077, "maximum messages per subject exceeded");
}

/* Discard new with a per-subject limit (not per-subject discard): a message on a subject at its
 * limit replaces the subject's oldest, so max_msgs does not refuse it. */
static void test_discard_new_at_subject_limit(void)
{
    stream *s = mk("{\"name\":\"S\",\"subjects\":[\"kv.>\"],\"max_msgs\":2,"
                   "\"max_msgs_per_subject\":1,\"discard\":\"new\"}");
    CHECK(pub(s, "kv.a", NULL, "1") == 1 && pub(s, "kv.b", NULL, "1") == 2);
    CHECK(pub(s, "kv.c", NULL, "1") == 0);
    CHECK_ERR(10077, "maximum messages exceeded");
    CHECK(pub(s, "kv.a", NULL, "2") == 3);
    CHECK_STATE(s, 2, 3, 2, 2 * FB("kv.a", NULL, "1"), 2, 0);
    CHECK(msg_gone(s, 1) && msg_is(s, 3, "kv.a", "2"));
}

static void test_max_msg_size(void)
{
    stream *s = mk("{\"name\":\"S\",\"subjects\":[\"foo\"],\"max_msg_size\":10}");
    CHECK(pub(s, "foo", NULL, "0123456789") == 1);
    CHECK(pub(s, "foo", NULL, "0123456789a") == 0);
    CHECK_ERR(10054, "message size exceeds maximum allowed");
    CHECK(pub(s, "foo", "NATS/1.0\r\n\r\n", "0") == 0); /* 12 header bytes */
    CHECK_ERR(10054, "message size exceeds maximum allowed");
    CHECK_STATE(s, 1, 1, 1, FB("foo", NULL, "0123456789"), 1, 0);

    stream *t = mk("{\"name\":\"T\",\"subjects\":[\"bar\"]}");
    size_t n = 70000;
    char *hdr = malloc(n + 1);
    memcpy(hdr, "NATS/1.0\r\nX: ", 13);
    memset(hdr + 13, 'v', n - 13 - 4);
    memcpy(hdr + n - 4, "\r\n\r\n", 4);
    hdr[n] = 0;
    uint64_t seq = pub(t, "bar", hdr, "x");
    free(hdr);
    CHECK(seq == 0);
    CHECK_ERR(10097, "header size exceeds maximum allowed of 64k");
}

/* ---------------- header rules ---------------- */

static void test_expected_stream_and_last_seq(void)
{
    stream *s = mk("{\"name\":\"S\",\"subjects\":[\"foo.*\"]}");
    CHECK(pub(s, "foo.a", H("Nats-Expected-Stream", "S"), "1") == 1);
    CHECK(pub(s, "foo.a", H("Nats-Expected-Stream", "T"), "x") == 0);
    CHECK_ERR(10060, "expected stream does not match");
    CHECK(pub(s, "foo.a", H("Nats-Expected-Last-Sequence", "1"), "2") == 2);
    CHECK(pub(s, "foo.a", H("Nats-Expected-Last-Sequence", "1"), "x") == 0);
    CHECK_ERR(10071, "wrong last sequence: 2");
    CHECK(pub(s, "foo.a", H("Nats-Expected-Last-Sequence", "abc"), "x") == 0);
    CHECK_ERR(10071, "wrong last sequence: 2");
    /* an empty value is no header at all, as in nats-server */
    CHECK(pub(s, "foo.a", H("Nats-Expected-Last-Sequence", ""), "3") == 3);
    /* the last sequence counts even when that message was deleted */
    CHECK(stream_delete_msg(s, 3, false, &E) == 0);
    CHECK(pub(s, "foo.a", H("Nats-Expected-Last-Sequence", "2"), "x") == 0);
    CHECK_ERR(10071, "wrong last sequence: 3");
    s = reopen("S");
    CHECK(pub(s, "foo.a", H("Nats-Expected-Last-Sequence", "3"), "4") == 4);
    CHECK_STATE(s, 1, 4, 3,
                FB("foo.a", H("Nats-Expected-Stream", "S"), "1") +
                    FB("foo.a", H("Nats-Expected-Last-Sequence", "1"), "2") +
                    FB("foo.a", H("Nats-Expected-Last-Sequence", "3"), "4"),
                1, 1);
}

static void test_expected_last_subject_seq(void)
{
    stream *s = mk("{\"name\":\"S\",\"subjects\":[\"foo.*\"],\"allow_rollup_hdrs\":true}");
    const char *K = "Nats-Expected-Last-Subject-Sequence";
    CHECK(pub(s, "foo.a", H(K, "0"), "1") == 1);
    CHECK(pub(s, "foo.a", H(K, "0"), "x") == 0);
    CHECK_ERR(10071, "wrong last sequence: 1");
    CHECK(pub(s, "foo.b", H(K, "0"), "2") == 2);
    CHECK(pub(s, "foo.a", H(K, "1"), "3") == 3);
    CHECK(pub(s, "foo.a", H(K, "2"), "x") == 0);
    CHECK_ERR(10071, "wrong last sequence: 3");
    /* the subject checked can be another one, or a wildcard */
    CHECK(pub(s, "foo.a", H2(K, "2", "Nats-Expected-Last-Subject-Sequence-Subject", "foo.b"), "4") == 4);
    CHECK(pub(s, "foo.c", H2(K, "4", "Nats-Expected-Last-Subject-Sequence-Subject", "foo.*"), "5") == 5);
    CHECK(pub(s, "foo.c", H2(K, "4", "Nats-Expected-Last-Subject-Sequence-Subject", "foo.*"), "x") == 0);
    CHECK_ERR(10071, "wrong last sequence: 5");
    CHECK(pub(s, "foo.a", H("Nats-Expected-Last-Subject-Sequence-Subject", "foo.b"), "x") == 0);
    CHECK_ERR(10193, "missing sequence for expected last sequence per subject");
    /* the last one on a subject was deleted: the one before counts */
    CHECK(stream_delete_msg(s, 4, true, &E) == 0);
    CHECK(pub(s, "foo.a", H(K, "4"), "x") == 0);
    CHECK_ERR(10071, "wrong last sequence: 3");
    s = reopen("S");
    CHECK(pub(s, "foo.a", H(K, "3"), "6") == 6);
    /* purge-aware: after a purge of the subject, 0 is right again */
    uint64_t purged;
    stream_purge_req req = {.filter = "foo.a"};
    CHECK(stream_purge(s, &req, &purged, &E) == 0 && purged == 3);
    CHECK(pub(s, "foo.a", H(K, "6"), "x") == 0);
    CHECK_ERR(10071, "wrong last sequence: 0");
    CHECK(pub(s, "foo.a", H(K, "0"), "7") == 7);
    CHECK_SUBJ(s, "foo.a", 1);
    CHECK_SUBJ(s, "foo.*", 3);
}

static void test_expected_last_msg_id(void)
{
    stream *s = mk("{\"name\":\"S\",\"subjects\":[\"foo\"]}");
    const char *K = "Nats-Expected-Last-Msg-Id";
    CHECK(pub(s, "foo", H(K, "none"), "x") == 0);
    CHECK_ERR(10070, "wrong last msg ID: ");
    CHECK(pub(s, "foo", H("Nats-Msg-Id", "a"), "1") == 1);
    CHECK(pub(s, "foo", H(K, "b"), "x") == 0);
    CHECK_ERR(10070, "wrong last msg ID: a");
    CHECK(pub(s, "foo", H2("Nats-Msg-Id", "b", K, "a"), "2") == 2);
    /* the last message id survives a restart while the message is in the duplicate window */
    stream *r = mk("{\"name\":\"R\",\"subjects\":[\"bar\"]}");
    CHECK(pubt(r, "bar", H("Nats-Msg-Id", "r1"), "1", real_now()) == 1);
    s = reopen("S");
    r = store_stream_find(ST, "R");
    CHECK(pub(s, "foo", H(K, "b"), "x") == 0); /* T0 is far outside the window: forgotten */
    CHECK_ERR(10070, "wrong last msg ID: ");
    CHECK(pubt(r, "bar", H(K, "r1"), "2", real_now()) == 2);
    /* a message without an id clears it */
    CHECK(pubt(r, "bar", H(K, "r1"), "3", real_now()) == 0);
    CHECK_ERR(10070, "wrong last msg ID: ");
    /* after a restart, only the message at the last sequence gives it */
    CHECK(pubt(r, "bar", H("Nats-Msg-Id", "r3"), "3", real_now()) == 3);
    CHECK(pubt(r, "bar", H("Nats-Msg-Id", "r4"), "4", real_now()) == 4);
    CHECK(stream_delete_msg(r, 4, false, &E) == 0);
    r = reopen("R");
    s = store_stream_find(ST, "S");
    CHECK(pubt(r, "bar", H(K, "r3"), "x", real_now()) == 0);
    CHECK_ERR(10070, "wrong last msg ID: ");
    CHECK_STATE(s, 1, 2, 2, FB("foo", H("Nats-Msg-Id", "a"), "1") + FB("foo", H2("Nats-Msg-Id", "b", K, "a"), "2"), 1, 0);
}

static void test_rollup_rules(void)
{
    stream *s = mk("{\"name\":\"S\",\"subjects\":[\"foo\"]}");
    CHECK(pub(s, "foo", H("Nats-Rollup", "sub"), "x") == 0);
    CHECK_ERR(10111, "rollup not permitted");
    stream *t = mk("{\"name\":\"T\",\"subjects\":[\"bar\"],\"allow_rollup_hdrs\":true}");
    CHECK(pub(t, "bar", H("Nats-Rollup", "Some"), "x") == 0);
    CHECK_ERR(10111, "rollup value invalid: \"some\"");
    CHECK(pub(t, "bar", H("Nats-Rollup", "SUB"), "x") == 1); /* case does not matter */
    CHECK_STATE(s, 1, 0, 0, 0, 0, 0);
}

static void test_ttl_rules(void)
{
    stream *s = mk("{\"name\":\"S\",\"subjects\":[\"foo\"]}");
    CHECK(pub(s, "foo", H("Nats-TTL", "5s"), "x") == 0);
    CHECK_ERR(10166, "per-message TTL is disabled");
    CHECK(pub(s, "foo", H("Nats-TTL", "never"), "x") == 0);
    CHECK_ERR(10166, "per-message TTL is disabled");
    /* a value that does not parse is invalid before it is disabled (nats-server's order) */
    CHECK(pub(s, "foo", H("Nats-TTL", "abc"), "x") == 0);
    CHECK_ERR(10165, "invalid per-message TTL");
    stream *t = mk("{\"name\":\"T\",\"subjects\":[\"bar\"],\"allow_msg_ttl\":true}");
    const char *bad[] = {"500ms", "0", "-1", "abc", "1x"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        CHECK(pub(t, "bar", H("Nats-TTL", bad[i]), "x") == 0);
        CHECK_ERR(10165, "invalid per-message TTL");
    }
    const char *good[] = {"1s", "2m", "1h30m", "30", "NEVER"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        CHECK(pub(t, "bar", H("Nats-TTL", good[i]), "x") == i + 1);
    CHECK_STATE(t, 1, 5, 5, FB("bar", H("Nats-TTL", "1s"), "x") + FB("bar", H("Nats-TTL", "2m"), "x") +
                               FB("bar", H("Nats-TTL", "1h30m"), "x") + FB("bar", H("Nats-TTL", "30"), "x") +
                               FB("bar", H("Nats-TTL", "NEVER"), "x"), 1, 0);
}

static void test_sealed(void)
{
    stream *s = mk("{\"name\":\"S\",\"subjects\":[\"foo\"]}");
    CHECK(pub(s, "foo", NULL, "1") == 1);
    CHECK(update(s, "{\"name\":\"S\",\"subjects\":[\"foo\"],\"sealed\":true}") == 0);
    CHECK(stream_get_config(s)->deny_delete && stream_get_config(s)->deny_purge);
    CHECK(pub(s, "foo", NULL, "2") == 0);
    CHECK_ERR(10109, "invalid operation on sealed stream");
    CHECK(stream_delete_msg(s, 1, false, &E) < 0);
    CHECK_ERR(10109, "invalid operation on sealed stream");
    uint64_t purged;
    stream_purge_req req = {0};
    CHECK(stream_purge(s, &req, &purged, &E) < 0);
    CHECK_ERR(10109, "invalid operation on sealed stream");
    s = reopen("S");
    CHECK(pub(s, "foo", NULL, "2") == 0);
    CHECK_ERR(10109, "invalid operation on sealed stream");
    CHECK_STATE(s, 1, 1, 1, FB("foo", NULL, "1"), 1, 0);
}

/* ---------------- dedup ---------------- */

static void test_dedup(void)
{
    stream *s = mk("{\"name\":\"S\",\"subjects\":[\"foo\"],\"duplicate_window\":2000000000}");
    int64_t t = T0;
    CHECK(pubt(s, "foo", H("Nats-Msg-Id", "a"), "1", t) == 1 && !ACK.duplicate);
    CHECK(pubt(s, "foo", H("Nats-Msg-Id", "b"), "2", t + 1) == 2);
    CHECK(pubt(s, "foo", H("Nats-Msg-Id", "a"), "dup", t + SEC) == 1 && ACK.duplicate);
    CHECK_STATE(s, 1, 2, 2, 2 * FB("foo", H("Nats-Msg-Id", "a"), "1"), 1, 0);
    /* still a duplicate after the original was deleted */
    CHECK(stream_delete_msg(s, 1, false, &E) == 0);
    CHECK(pubt(s, "foo", H("Nats-Msg-Id", "a"), "dup", t + SEC) == 1 && ACK.duplicate);
    /* a duplicate changes nothing, not even the expected-last checks' view */
    CHECK(pubt(s, "foo", H("Nats-Expected-Last-Msg-Id", "b"), "3", t + SEC) == 3);
    /* at the end of the window the id is forgotten and the message stored again */
    CHECK(pubt(s, "foo", H("Nats-Msg-Id", "a"), "again", t + 2 * SEC) == 4 && !ACK.duplicate);
    CHECK(pubt(s, "foo", H("Nats-Msg-Id", "b"), "again", t + 2 * SEC + 1) == 5 && !ACK.duplicate);
    CHECK(pubt(s, "foo", H("Nats-Msg-Id", "a"), "dup", t + 3 * SEC) == 4 && ACK.duplicate);
    CHECK(msg_is(s, 4, "foo", "again"));
    /* store_expire forgets old ids too */
    store_expire(ST, t + 10 * SEC);
    CHECK(pubt(s, "foo", H("Nats-Msg-Id", "a"), "third", t + 10 * SEC) == 6 && !ACK.duplicate);
    CHECK_STATE(s, 2, 6, 5,
                FB("foo", H("Nats-Msg-Id", "b"), "2") + FB("foo", H("Nats-Expected-Last-Msg-Id", "b"), "3") +
                    FB("foo", H("Nats-Msg-Id", "a"), "again") + FB("foo", H("Nats-Msg-Id", "b"), "again") +
                    FB("foo", H("Nats-Msg-Id", "a"), "third"),
                1, 0);

    /* the window is rebuilt at open from the records inside it (real clock) */
    stream *r = mk("{\"name\":\"R\",\"subjects\":[\"bar\"]}");
    int64_t now = real_now();
    CHECK(pubt(r, "bar", H("Nats-Msg-Id", "x"), "1", now) == 1);
    CHECK(pubt(r, "bar", H("Nats-Msg-Id", "old"), "2", now - 10 * 60 * SEC) == 2);
    r = reopen("R");
    CHECK(pubt(r, "bar", H("Nats-Msg-Id", "x"), "dup", real_now()) == 1 && ACK.duplicate);
    CHECK(pubt(r, "bar", H("Nats-Msg-Id", "old"), "3", real_now()) == 3 && !ACK.duplicate);
}

/* ---------------- deletes ---------------- */

static void test_delete(void)
{
    stream *s = mk("{\"name\":\"S\",\"subjects\":[\"foo.*\"]}");
    for (int i = 1; i <= 6; i++)
        CHECK(pub(s, i % 2 ? "foo.a" : "foo.b", NULL, "d") == (uint64_t)i);
    uint64_t b = FB("foo.a", NULL, "d");
    CHECK(stream_delete_msg(s, 3, false, &E) == 0);   /* interior */
    CHECK(stream_delete_msg(s, 1, true, &E) == 0);    /* first, erased */
    CHECK_STATE(s, 2, 6, 4, 4 * b, 2, 1);
    CHECK(stream_delete_msg(s, 6, true, &E) == 0);    /* last */
    CHECK_STATE(s, 2, 6, 3, 3 * b, 2, 2);
    CHECK_SUBJ(s, "foo.a", 1);
    CHECK_SUBJ(s, "foo.b", 2);
    CHECK(last_seq_of(s, "foo.b") == 4 && next_seq_of(s, 0, "foo.a") == 5);
    CHECK(stream_delete_msg(s, 3, false, &E) < 0);
    CHECK_ERR(10043, "sequence 3 not found");
    CHECK(stream_delete_msg(s, 9, false, &E) < 0);
    CHECK_ERR(10057, "stream store EOF");
    CHECK(stream_delete_msg(s, 1, false, &E) < 0);
    CHECK_ERR(10057, "no message found");
    CHECK(stream_delete_msg(s, 0, false, &E) < 0);
    CHECK_ERR(10057, "no message found");
    s = reopen("S");
    CHECK_STATE(s, 2, 6, 3, 3 * b, 2, 2);
    CHECK(pub(s, "foo.a", NULL, "d") == 7);
    CHECK(stream_delete_msg(s, 2, false, &E) == 0 && stream_delete_msg(s, 4, false, &E) == 0);
    CHECK_STATE(s, 5, 7, 2, 2 * b, 1, 1);
    CHECK(stream_delete_msg(s, 5, true, &E) == 0 && stream_delete_msg(s, 7, true, &E) == 0);
    CHECK_STATE(s, 8, 7, 0, 0, 0, 0);
    s = reopen("S");
    CHECK_STATE(s, 8, 7, 0, 0, 0, 0);
    CHECK(pub(s, "foo.a", NULL, "d") == 8);

    stream *d = mk("{\"name\":\"D\",\"subjects\":[\"bar\"],\"deny_delete\":true}");
    CHECK(pub(d, "bar", NULL, "x") == 1);
    CHECK(stream_delete_msg(d, 1, false, &E) < 0);
    CHECK_ERR(10057, "message delete not permitted");
}

/* Deletes of appends still in the batch, of committed records deleted in the batch, and reads
 * in between, all before a commit. */
static void test_delete_pending(void)
{
    stream *s = mk("{\"name\":\"S\",\"subjects\":[\"foo.*\"]}");
    CHECK(pub(s, "foo.a", NULL, "1") == 1 && pub(s, "foo.b", NULL, "2") == 2);
    CHECK(commit() == 0);
    CHECK(pub(s, "foo.a", NULL, "3") == 3 && pub(s, "foo.b", NULL, "4") == 4);
    CHECK(stream_delete_msg(s, 1, false, &E) == 0); /* committed */
    CHECK(stream_delete_msg(s, 3, false, &E) == 0); /* pending */
    CHECK(stream_delete_msg(s, 1, false, &E) < 0 && stream_delete_msg(s, 3, false, &E) < 0);
    CHECK(store_has_pending(ST));
    CHECK(msg_gone(s, 1) && msg_gone(s, 3));
    CHECK(next_seq_of(s, 0, NULL) == 2 && next_seq_of(s, 3, NULL) == 4);
    CHECK(next_seq_of(s, 0, "foo.a") == 0);
    CHECK(last_seq_of(s, "foo.a") == 0 && last_seq_of(s, "foo.b") == 4);
    CHECK_STATE(s, 2, 4, 2, 2 * FB("foo.a", NULL, "1"), 1, 1);
    CHECK(stream_delete_msg(s, 2, false, &E) == 0);
    CHECK_STATE(s, 4, 4, 1, FB("foo.a", NULL, "1"), 1, 0);
    s = reopen("S");
    CHECK_STATE(s, 4, 4, 1, FB("foo.a", NULL, "1"), 1, 0);
}

/* ---------------- purges ---------------- */

/* 10 messages: foo.a at 1,3,5,7,9 and foo.b at 2,4,6,8 and bar at 10. */
static stream *purge_fixture(void)
{
    stream *s = mk("{\"name\":\"S\",\"subjects\":[\"foo.*\",\"bar\"]}");
    for (int i = 1; i <= 9; i++)
        if (pub(s, i % 2 ? "foo.a" : "foo.b", NULL, "xx") != (uint64_t)i)
            return NULL;
    if (pub(s, "bar", NULL, "xx") != 10)
        return NULL;
    return s;
}

#define FA FB("foo.a", NULL, "xx")
#define FBAR FB("bar", NULL, "xx")

static void test_purge_all(void)
{
    stream *s = purge_fixture();
    uint64_t n;
    stream_purge_req req = {0};
    CHECK(stream_purge(s, &req, &n, &E) == 0 && n == 10);
    CHECK_STATE(s, 11, 10, 0, 0, 0, 0);
    CHECK(msg_gone(s, 5) && next_seq_of(s, 0, NULL) == 0 && last_seq_of(s, "foo.a") == 0);
    s = reopen("S");
    CHECK_STATE(s, 11, 10, 0, 0, 0, 0);
    CHECK(pub(s, "foo.a", NULL, "xx") == 11);
    CHECK_STATE(s, 11, 11, 1, FA, 1, 0);
    req.filter = ">";
    CHECK(stream_purge(s, &req, &n, &E) == 0 && n == 1);
    CHECK_STATE(s, 12, 11, 0, 0, 0, 0);
    CHECK(stream_purge(s, &req, &n, &E) == 0 && n == 0);
}

static void test_purge_filter(void)
{
    stream *s = purge_fixture();
    uint64_t n;
    stream_purge_req req = {.filter = "foo.a"};
    CHECK(stream_purge(s, &req, &n, &E) == 0 && n == 5);
    CHECK_STATE(s, 2, 10, 5, 4 * FA + FBAR, 2, 4);
    CHECK_SUBJ(s, "foo.a", 0);
    CHECK_SUBJ(s, "foo.b", 4);
    s = reopen("S");
    CHECK_STATE(s, 2, 10, 5, 4 * FA + FBAR, 2, 4);
    req.filter = "foo.*";
    CHECK(stream_purge(s, &req, &n, &E) == 0 && n == 4);
    CHECK_STATE(s, 10, 10, 1, FBAR, 1, 0);
    req.filter = "nothing";
    CHECK(stream_purge(s, &req, &n, &E) == 0 && n == 0);
    s = reopen("S");
    CHECK_STATE(s, 10, 10, 1, FBAR, 1, 0);
}

static void test_purge_seq(void)
{
    stream *s = purge_fixture();
    uint64_t n;
    stream_purge_req req = {.seq = 4};
    CHECK(stream_purge(s, &req, &n, &E) == 0 && n == 3);
    CHECK_STATE(s, 4, 10, 7, 6 * FA + FBAR, 3, 0);
    CHECK_SUBJ(s, "foo.a", 3);
    CHECK_SUBJ(s, "foo.b", 3);
    CHECK(next_seq_of(s, 0, "foo.a") == 5);
    req.seq = 1; /* below 1: nothing */
    CHECK(stream_purge(s, &req, &n, &E) == 0 && n == 0);
    req.seq = 3; /* below first: nothing */
    CHECK(stream_purge(s, &req, &n, &E) == 0 && n == 0);
    s = reopen("S");
    CHECK_STATE(s, 4, 10, 7, 6 * FA + FBAR, 3, 0);
    /* with a gap at the new first */
    CHECK(stream_delete_msg(s, 6, false, &E) == 0);
    req.seq = 6;
    CHECK(stream_purge(s, &req, &n, &E) == 0 && n == 2);
    CHECK_STATE(s, 7, 10, 4, 3 * FA + FBAR, 3, 0);
    /* beyond the end: everything goes and the next sequence is the one given */
    req.seq = 20;
    CHECK(stream_purge(s, &req, &n, &E) == 0 && n == 4);
    CHECK_STATE(s, 20, 19, 0, 0, 0, 0);
    s = reopen("S");
    CHECK_STATE(s, 20, 19, 0, 0, 0, 0);
    CHECK(pub(s, "bar", NULL, "xx") == 20);
}

static void test_purge_keep(void)
{
    stream *s = purge_fixture();
    uint64_t n;
    stream_purge_req req = {.keep = 3};
    CHECK(stream_purge(s, &req, &n, &E) == 0 && n == 7);
    CHECK_STATE(s, 8, 10, 3, 2 * FA + FBAR, 3, 0);
    req.keep = 5; /* more than there are: nothing */
    CHECK(stream_purge(s, &req, &n, &E) == 0 && n == 0);
    s = reopen("S");
    CHECK_STATE(s, 8, 10, 3, 2 * FA + FBAR, 3, 0);
    req.keep = 0;
    req.seq = 3;
    req.keep = 1;
    CHECK(stream_purge(s, &req, &n, &E) < 0);
    CHECK_ERR(10003, "bad request");
}

static void test_purge_filter_keep(void)
{
    stream *s = purge_fixture();
    uint64_t n;
    /* keep counts the filter's messages as a whole (nats-server's PurgeEx), not per subject */
    stream_purge_req req = {.filter = "foo.*", .keep = 3};
    CHECK(stream_purge(s, &req, &n, &E) == 0 && n == 6);
    CHECK_STATE(s, 7, 10, 4, 3 * FA + FBAR, 3, 0);
    CHECK_SUBJ(s, "foo.a", 2);
    CHECK_SUBJ(s, "foo.b", 1);
    s = reopen("S");
    req.filter = "foo.a";
    req.keep = 1;
    CHECK(stream_purge(s, &req, &n, &E) == 0 && n == 1);
    CHECK_STATE(s, 8, 10, 3, 2 * FA + FBAR, 3, 0);
    CHECK(next_seq_of(s, 0, "foo.a") == 9);
}

static void test_purge_filter_seq(void)
{
    stream *s = purge_fixture();
    uint64_t n;
    stream_purge_req req = {.filter = "foo.b", .seq = 7};
    CHECK(stream_purge(s, &req, &n, &E) == 0 && n == 3);
    CHECK_STATE(s, 1, 10, 7, 6 * FA + FBAR, 3, 3);
    CHECK_SUBJ(s, "foo.b", 1);
    CHECK(next_seq_of(s, 0, "foo.b") == 8);
    req.filter = "foo.>";
    req.seq = 4;
    CHECK(stream_purge(s, &req, &n, &E) == 0 && n == 2);
    CHECK_STATE(s, 5, 10, 5, 4 * FA + FBAR, 3, 1);
    s = reopen("S");
    CHECK_STATE(s, 5, 10, 5, 4 * FA + FBAR, 3, 1);
    CHECK_SUBJ(s, "foo.a", 3);
}

static void test_purge_denied(void)
{
    stream *s = mk("{\"name\":\"S\",\"subjects\":[\"foo\"],\"deny_purge\":true}");
    CHECK(pub(s, "foo", NULL, "x") == 1);
    uint64_t n;
    stream_purge_req req = {0};
    CHECK(stream_purge(s, &req, &n, &E) < 0);
    CHECK_ERR(10110, "stream purge not permitted");
    CHECK_STATE(s, 1, 1, 1, FB("foo", NULL, "x"), 1, 0);
}

/* Purges with appends and deletes still in the batch. */
static void test_purge_pending(void)
{
    stream *s = mk("{\"name\":\"S\",\"subjects\":[\"foo.*\"],\"max_msgs_per_subject\":3}");
    CHECK(pub(s, "foo.a", NULL, "xx") == 1 && pub(s, "foo.b", NULL, "xx") == 2);
    CHECK(commit() == 0);
    CHECK(pub(s, "foo.a", NULL, "xx") == 3 && pub(s, "foo.b", NULL, "xx") == 4);
    CHECK(stream_delete_msg(s, 1, false, &E) == 0);
    uint64_t n;
    stream_purge_req req = {.filter = "foo.a"}; /* tracked sequences: no commit needed */
    CHECK(stream_purge(s, &req, &n, &E) == 0 && n == 1);
    CHECK_STATE(s, 2, 4, 2, 2 * FA, 1, 1);
    CHECK(pub(s, "foo.a", NULL, "xx") == 5);
    req = (stream_purge_req){.seq = 4};
    CHECK(stream_purge(s, &req, &n, &E) == 0 && n == 1);
    CHECK_STATE(s, 4, 5, 2, 2 * FA, 2, 0);
    s = reopen("S");
    CHECK_STATE(s, 4, 5, 2, 2 * FA, 2, 0);
}

/* ---------------- rollups ---------------- */

static void test_rollup_sub(void)
{
    stream *s = mk("{\"name\":\"S\",\"subjects\":[\"kv.>\"],\"allow_rollup_hdrs\":true}");
    for (int i = 1; i <= 6; i++)
        CHECK(pub(s, i % 3 ? "kv.a" : "kv.b", NULL, "xx") == (uint64_t)i);
    CHECK(commit() == 0);
    CHECK(pub(s, "kv.a", NULL, "xx") == 7);
    CHECK(pub(s, "kv.a", H("Nats-Rollup", "sub"), "xx") == 8);
    uint64_t r = FB("kv.a", H("Nats-Rollup", "sub"), "xx");
    CHECK_STATE(s, 3, 8, 3, 2 * FB("kv.b", NULL, "xx") + r, 2, 3);
    CHECK_SUBJ(s, "kv.a", 1);
    CHECK_SUBJ(s, "kv.b", 2);
    CHECK(next_seq_of(s, 0, "kv.a") == 8);
    s = reopen("S");
    CHECK_STATE(s, 3, 8, 3, 2 * FB("kv.b", NULL, "xx") + r, 2, 3);
}

static void test_rollup_all(void)
{
    stream *s = mk("{\"name\":\"S\",\"subjects\":[\"kv.>\"],\"allow_rollup_hdrs\":true}");
    for (int i = 1; i <= 5; i++)
        CHECK(pub(s, i % 2 ? "kv.a" : "kv.b", NULL, "xx") == (uint64_t)i);
    CHECK(pub(s, "kv.c", H("Nats-Rollup", "all"), "xx") == 6);
    uint64_t r = FB("kv.c", H("Nats-Rollup", "all"), "xx");
    CHECK_STATE(s, 6, 6, 1, r, 1, 0);
    CHECK_SUBJ(s, "kv.a", 0);
    s = reopen("S");
    CHECK_STATE(s, 6, 6, 1, r, 1, 0);
    CHECK(pub(s, "kv.a", NULL, "xx") == 7);
}

/* ---------------- TTL and max_age ---------------- */

static void test_ttl_expiry(void)
{
    stream *s = mk("{\"name\":\"S\",\"subjects\":[\"foo.*\"],\"allow_msg_ttl\":true}");
    CHECK(pubt(s, "foo.a", H("Nats-TTL", "2s"), "1", T0) == 1);
    CHECK(pubt(s, "foo.b", NULL, "2", T0 + 1) == 2);
    CHECK(pubt(s, "foo.a", H("Nats-TTL", "1"), "3", T0 + 2) == 3);
    CHECK(pubt(s, "foo.b", H("Nats-TTL", "never"), "4", T0 + 3) == 4);
    uint64_t b2 = FB("foo.b", NULL, "2"), b4 = FB("foo.b", H("Nats-TTL", "never"), "4");
    CHECK(store_expire(ST, T0 + SEC) == T0 + SEC + 2);
    CHECK_STATE(s, 1, 4, 4, FB("foo.a", H("Nats-TTL", "2s"), "1") + b2 + FB("foo.a", H("Nats-TTL", "1"), "3") + b4, 2, 0);
    CHECK(store_expire(ST, T0 + SEC + 2) == T0 + 2 * SEC);
    CHECK_STATE(s, 1, 4, 3, FB("foo.a", H("Nats-TTL", "2s"), "1") + b2 + b4, 2, 1);
    /* TTLs survive a restart */
    s = reopen("S");
    CHECK(store_expire(ST, T0 + 2 * SEC) == INT64_MAX);
    CHECK_STATE(s, 2, 4, 2, b2 + b4, 1, 1);
    CHECK_SUBJ(s, "foo.a", 0);
    /* the last message expiring keeps its sequence */
    CHECK(pubt(s, "foo.a", H("Nats-TTL", "1s"), "5", T0 + 3 * SEC) == 5);
    CHECK(store_expire(ST, T0 + 4 * SEC) == INT64_MAX);
    CHECK_STATE(s, 2, 5, 2, b2 + b4, 1, 2);
    s = reopen("S");
    CHECK_STATE(s, 2, 5, 2, b2 + b4, 1, 2);
}

static void test_max_age(void)
{
    stream *s = mk("{\"name\":\"S\",\"subjects\":[\"foo.*\"],\"max_age\":1000000000,\"allow_msg_ttl\":true}");
    uint64_t b = FB("foo.a", NULL, "x"), bn = FB("foo.a", H("Nats-TTL", "never"), "x");
    CHECK(pubt(s, "foo.a", NULL, "x", T0) == 1);
    CHECK(pubt(s, "foo.b", NULL, "x", T0 + SEC / 2) == 2);
    CHECK(pubt(s, "foo.a", H("Nats-TTL", "never"), "x", T0 + SEC / 2 + 1) == 3);
    CHECK(pubt(s, "foo.a", NULL, "x", T0 + SEC / 2 + 2) == 4);
    CHECK(store_expire(ST, T0 + SEC - 1) == T0 + SEC);
    CHECK_STATE(s, 1, 4, 4, 3 * b + bn, 2, 0);
    CHECK(store_expire(ST, T0 + SEC) == T0 + SEC / 2 + SEC);
    CHECK_STATE(s, 2, 4, 3, 2 * b + bn, 2, 0);
    s = reopen("S");
    /* "never" is exempt from max_age */
    CHECK(store_expire(ST, T0 + 5 * SEC) == INT64_MAX);
    CHECK_STATE(s, 3, 4, 1, bn, 1, 1);
    CHECK(msg_is(s, 3, "foo.a", "x"));
    CHECK(pubt(s, "foo.b", NULL, "x", T0 + 10 * SEC) == 5);
    CHECK(store_expire(ST, T0 + 10 * SEC) == T0 + 11 * SEC);
    CHECK(store_expire(ST, T0 + 11 * SEC) == INT64_MAX);
    CHECK_STATE(s, 3, 5, 1, bn, 1, 2);
    s = reopen("S");
    CHECK_STATE(s, 3, 5, 1, bn, 1, 2);
}

/* ---------------- memory storage ---------------- */

static void test_memory_storage(void)
{
    stream *s = mk("{\"name\":\"M\",\"subjects\":[\"mem.>\"],\"storage\":\"memory\",\"max_msgs\":3}");
    CHECK(s);
    for (int i = 1; i <= 4; i++)
        CHECK(pub(s, "mem.a", NULL, "xy") == (uint64_t)i);
    CHECK_STATE(s, 2, 4, 3, 3 * MB("mem.a", NULL, "xy"), 1, 0);
    CHECK(stream_delete_msg(s, 3, true, &E) == 0);
    CHECK(stream_delete_msg(s, 3, false, &E) < 0);
    CHECK_ERR(10043, "sequence 3 not found");
    CHECK(stream_delete_msg(s, 9, false, &E) < 0);
    CHECK_ERR(10043, "sequence 9 not found");
    CHECK(commit() == 0);
    CHECK(msg_is(s, 4, "mem.a", "xy") && msg_gone(s, 3));
    uint64_t n;
    stream_purge_req req = {.seq = 4};
    CHECK(stream_purge(s, &req, &n, &E) == 0 && n == 1);
    CHECK_STATE(s, 4, 4, 1, MB("mem.a", NULL, "xy"), 1, 0);
    stream *f = mk("{\"name\":\"F\",\"subjects\":[\"file\"]}");
    CHECK(pub(f, "file", NULL, "z") == 1);
    /* after a restart the definition is back, the messages are not */
    s = reopen("M");
    CHECK(s && stream_get_config(s)->storage == STREAM_STORAGE_MEMORY);
    CHECK_STATE(s, 1, 0, 0, 0, 0, 0);
    CHECK(pub(s, "mem.b", NULL, "xy") == 1);
    CHECK_STATE(store_stream_find(ST, "F"), 1, 1, 1, FB("file", NULL, "z"), 1, 0);
    /* nothing of a memory stream is in the store directory */
    char cmd[256];
    snprintf(cmd, sizeof cmd, "grep -rqF 'mem.a' '%s'", DIR_);
    CHECK(system(cmd) != 0);
}

/* ---------------- updates ---------------- */

static void test_update_limits(void)
{
    stream *s = mk("{\"name\":\"S\",\"subjects\":[\"kv.>\"]}");
    for (int i = 1; i <= 10; i++)
        CHECK(pub(s, i % 2 ? "kv.a" : "kv.b", NULL, "xx") == (uint64_t)i);
    uint64_t b = FB("kv.a", NULL, "xx");
    CHECK(update(s, "{\"name\":\"S\",\"subjects\":[\"kv.>\"],\"max_msgs\":8}") == 0);
    CHECK_STATE(s, 3, 10, 8, 8 * b, 2, 0);
    /* a per-subject limit within the tracked range: sequence lists are built from the records */
    CHECK(update(s, "{\"name\":\"S\",\"subjects\":[\"kv.>\"],\"max_msgs\":8,\"max_msgs_per_subject\":3}") == 0);
    CHECK_STATE(s, 5, 10, 6, 6 * b, 2, 0);
    CHECK_SUBJ(s, "kv.a", 3);
    CHECK(next_seq_of(s, 0, "kv.a") == 5 && next_seq_of(s, 0, "kv.b") == 6);
    CHECK(pub(s, "kv.a", NULL, "xx") == 11);
    CHECK_STATE(s, 6, 11, 6, 6 * b, 2, 0);
    CHECK(update(s, "{\"name\":\"S\",\"subjects\":[\"kv.>\"],\"max_bytes\":200,\"max_msgs_per_subject\":3}") == 0);
    CHECK_STATE(s, 7, 11, 5, 5 * b, 2, 0);
    /* with discard new a smaller limit does not remove anything */
    CHECK(update(s, "{\"name\":\"S\",\"subjects\":[\"kv.>\"],\"max_msgs\":2,\"discard\":\"new\"}") == 0);
    CHECK_STATE(s, 7, 11, 5, 5 * b, 2, 0);
    CHECK(pub(s, "kv.c", NULL, "xx") == 0);
    CHECK_ERR(10077, "maximum messages exceeded");
    s = reopen("S");
    CHECK(stream_get_config(s)->max_msgs == 2 && stream_get_config(s)->discard == STREAM_DISCARD_NEW);
    CHECK_STATE(s, 7, 11, 5, 5 * b, 2, 0);
    CHECK(update(s, "{\"name\":\"S\",\"subjects\":[\"kv.>\"],\"storage\":\"memory\"}") < 0);
    CHECK_ERR(10052, "stream configuration update can not change storage type");
    /* max_age shrinks at once against the real clock */
    CHECK(update(s, "{\"name\":\"S\",\"subjects\":[\"kv.>\"],\"max_age\":60000000000}") == 0);
    CHECK_STATE(s, 12, 11, 0, 0, 0, 0);
}

static void test_delete_stream_and_recreate(void)
{
    stream *s = mk("{\"name\":\"S\",\"subjects\":[\"foo\"]}");
    stream *o = mk("{\"name\":\"O\",\"subjects\":[\"other\"]}");
    CHECK(pub(s, "foo", NULL, "1") == 1 && pub(s, "foo", NULL, "2") == 2);
    CHECK(stream_delete_msg(s, 2, false, &E) == 0); /* leaves saved sequence state */
    CHECK(pub(o, "other", NULL, "x") == 1);
    CHECK(store_stream_delete(ST, s, &E) == 0);
    CHECK(store_stream_find(ST, "S") == NULL && store_stream_count(ST) == 1);
    CHECK(!store_stream_for_subject(ST, "foo", 3));
    s = mk("{\"name\":\"S\",\"subjects\":[\"foo\"],\"max_msgs\":5}");
    CHECK_STATE(s, 1, 0, 0, 0, 0, 0);
    CHECK(pub(s, "foo", NULL, "new") == 1);
    s = reopen("S");
    CHECK_STATE(s, 1, 1, 1, FB("foo", NULL, "new"), 1, 0);
    CHECK(msg_is(s, 1, "foo", "new"));
    CHECK(stream_get_config(s)->max_msgs == 5);
    CHECK(store_stream_delete(ST, s, &E) == 0);
    stream *m = mk("{\"name\":\"M\",\"subjects\":[\"m\"],\"storage\":\"memory\"}");
    CHECK(pub(m, "m", NULL, "x") == 1);
    CHECK(store_stream_delete(ST, m, &E) == 0);
    reopen(NULL);
    CHECK(store_stream_count(ST) == 1 && store_stream_find(ST, "O"));
    CHECK_STATE(store_stream_find(ST, "O"), 1, 1, 1, FB("other", NULL, "x"), 1, 0);
}

/* Appends left uncommitted are written by store_close; committed ones survive a reopen; the
 * ack contract holds across several streams and both databases. */
static void test_group_commit(void)
{
    stream *a = mk("{\"name\":\"A\",\"subjects\":[\"a\"],\"max_msgs\":100}");
    stream *m = mk("{\"name\":\"M\",\"subjects\":[\"m\"],\"storage\":\"memory\"}");
    CHECK(!store_has_pending(ST));
    for (int i = 0; i < 300; i++) {
        CHECK(pub(a, "a", NULL, "payload") == (uint64_t)i + 1);
        CHECK(pub(m, "m", NULL, "payload") == (uint64_t)i + 1);
    }
    CHECK(store_has_pending(ST));
    CHECK_STATE(a, 201, 300, 100, 100 * FB("a", NULL, "payload"), 1, 0);
    CHECK(commit() == 0 && !store_has_pending(ST));
    CHECK(store_sync(ST) == 0);
    for (int i = 300; i < 350; i++)
        CHECK(pub(a, "a", NULL, "payload") == (uint64_t)i + 1);
    a = reopen("A");
    CHECK_STATE(a, 251, 350, 100, 100 * FB("a", NULL, "payload"), 1, 0);
    CHECK(msg_is(a, 251, "a", "payload") && msg_gone(a, 250));
}

static void test_sync_always(void)
{
    store_close(ST);
    char err[256];
    store_options o = {.dir = DIR_, .sync_always = true};
    ST = store_open(&o, err, sizeof err);
    CHECK(ST);
    stream *s = mk("{\"name\":\"S\",\"subjects\":[\"foo\"]}");
    CHECK(pub(s, "foo", NULL, "x") == 1 && commit() == 0);
    s = reopen("S");
    CHECK_STATE(s, 1, 1, 1, FB("foo", NULL, "x"), 1, 0);
    CHECK(strcmp(store_dir(ST), DIR_) == 0);
}


/* ---------------- subject delete markers (ADR-43) ---------------- */

static bool hdr_has(const stream_msg *m, const char *needle)
{
    return m->hdr && m->hdr_len && memmem(m->hdr, m->hdr_len, needle, strlen(needle)) != NULL;
}

static void test_delete_marker_on_max_age(void)
{
    stream *s = mk("{\"name\":\"SDM\",\"subjects\":[\"k.>\"],\"max_age\":10000000000,"
                   "\"allow_msg_ttl\":true,\"allow_rollup_hdrs\":true,"
                   "\"subject_delete_marker_ttl\":60000000000}");
    CHECK(s);
    CHECK(pubt(s, "k.a", NULL, "a1", T0) == 1);
    CHECK(pubt(s, "k.a", NULL, "a2", T0 + SEC) == 2);
    CHECK(pubt(s, "k.b", NULL, "b1", T0 + 2 * SEC) == 3);
    /* k.a's first expires while a newer k.a remains: no marker */
    store_expire(ST, T0 + 10 * SEC + 1);
    stream_state st;
    stream_get_state(s, &st);
    CHECK(st.msgs == 2 && st.first_seq == 2 && st.last_seq == 3);
    /* now the last k.a and the only k.b expire: each leaves a marker */
    store_expire(ST, T0 + 12 * SEC + 1);
    stream_get_state(s, &st);
    CHECKF(st.msgs == 2 && st.last_seq == 5, "msgs %llu last %llu", (unsigned long long)st.msgs,
           (unsigned long long)st.last_seq);
    stream_msg m;
    CHECK(stream_get_last(s, "k.a", &m, &E) == 0);
    bool ok = m.data_len == 0 && hdr_has(&m, "Nats-Marker-Reason: MaxAge") &&
              hdr_has(&m, "Nats-TTL: 1m0s") && hdr_has(&m, "Nats-Rollup: sub");
    stream_msg_free(&m);
    CHECK(ok);
    CHECK(stream_get_last(s, "k.b", &m, &E) == 0);
    ok = hdr_has(&m, "Nats-Marker-Reason: MaxAge");
    stream_msg_free(&m);
    CHECK(ok);
    /* markers expire by their own TTL and leave no marker behind */
    store_expire(ST, T0 + 12 * SEC + 61 * SEC);
    stream_get_state(s, &st);
    CHECK(st.msgs == 0 && st.last_seq == 5);
}

static void test_delete_marker_on_ttl_and_min_ttl(void)
{
    stream *s = mk("{\"name\":\"SDMT\",\"subjects\":[\"t.>\"],\"allow_msg_ttl\":true,"
                   "\"allow_rollup_hdrs\":true,\"subject_delete_marker_ttl\":5000000000}");
    CHECK(s);
    /* a TTL shorter than the markers' is raised to it, header included */
    CHECK(pubt(s, "t.x", "NATS/1.0\r\nNats-TTL: 2s\r\n\r\n", "x", T0) == 1);
    stream_msg m;
    CHECK(stream_get(s, 1, &m, &E) == 0);
    bool raised = hdr_has(&m, "Nats-TTL: 5");
    stream_msg_free(&m);
    CHECK(raised);
    store_expire(ST, T0 + 3 * SEC);
    stream_state st;
    stream_get_state(s, &st);
    CHECK(st.msgs == 1 && st.last_seq == 1);
    store_expire(ST, T0 + 5 * SEC + 1);
    stream_get_state(s, &st);
    CHECK(st.msgs == 1 && st.first_seq == 2 && st.last_seq == 2);
    CHECK(stream_get(s, 2, &m, &E) == 0);
    bool marker = hdr_has(&m, "Nats-Marker-Reason: MaxAge") && hdr_has(&m, "Nats-TTL: 5s") &&
                  m.subject_len == 3 && memcmp(m.subject, "t.x", 3) == 0;
    stream_msg_free(&m);
    CHECK(marker);
    /* survives a reopen, and then expires without a new marker */
    s = reopen("SDMT");
    CHECK(s);
    store_expire(ST, T0 + 11 * SEC);
    stream_get_state(s, &st);
    CHECK(st.msgs == 0 && st.last_seq == 2);
}

/* ---------------- compression ---------------- */

/* Fills s with 2,000 records of 1,000 compressible bytes, flushes them into table files and
 * returns the bytes those files take. */
static uint64_t fill_and_flush(stream *s, const char *subject)
{
    char data[1001];
    for (int i = 0; i < 2000; i++) {
        snprintf(data, sizeof data, "%0*d", 1000, i); /* zeros, then the number */
        if (pub(s, subject, NULL, data) == 0)
            return 0;
    }
    uint64_t bytes = 0;
    if (commit() < 0 || stream_flush(s, &bytes) < 0)
        return 0;
    return bytes;
}

static void test_compression(void)
{
    stream *plain = mk("{\"name\":\"PLAIN\",\"subjects\":[\"p\"]}");
    stream *s2 = mk("{\"name\":\"Z\",\"subjects\":[\"z\"],\"compression\":\"s2\"}");
    CHECK(plain && s2);
    CHECK(s2 && stream_get_config(s2)->compress && !stream_get_config(plain)->compress);
    uint64_t plain_bytes = fill_and_flush(plain, "p");
    uint64_t s2_bytes = fill_and_flush(s2, "z");
    /* two million bytes, mostly zeros: stored as they are, then compressed several times over */
    CHECK(plain_bytes > 2000000);
    CHECK(s2_bytes > 0 && s2_bytes * 5 < plain_bytes);
    fprintf(stderr, "    table files: none %llu B, s2 %llu B\n", (unsigned long long)plain_bytes,
            (unsigned long long)s2_bytes);
    /* the records read back whole, also after a reopen, which keeps the setting */
    s2 = reopen("Z");
    CHECK(s2 && stream_get_config(s2)->compress);
    stream_msg m;
    CHECK(stream_get(s2, 1234, &m, &E) == 0);
    bool whole = m.data_len == 1000 && memcmp(m.data + 996, "1233", 4) == 0 &&
                 m.data[0] == '0' && m.data[995] == '0';
    stream_msg_free(&m);
    CHECK(whole);
    uint64_t after_reopen = fill_and_flush(s2, "z");
    CHECK(after_reopen > s2_bytes && after_reopen * 5 < 2 * plain_bytes);
    /* back to none: new table files are written uncompressed */
    CHECK(update(s2, "{\"name\":\"Z\",\"subjects\":[\"z\"],\"compression\":\"none\"}") == 0);
    CHECK(!stream_get_config(s2)->compress);
    uint64_t after_none = fill_and_flush(s2, "z");
    CHECK(after_none > after_reopen + 2000000);
}

int main(void)
{
    T(test_append_and_read);
    T(test_create_rules);
    T(test_first_seq);
    T(test_max_msgs_discard_old);
    T(test_max_msgs_discard_new);
    T(test_max_bytes);
    T(test_max_msgs_per_subject);
    T(test_max_msgs_per_subject_sizes);
    T(test_max_msgs_per_subject_untracked);
    T(test_discard_new_per_subject);
    T(test_discard_new_at_subject_limit);
    T(test_max_msg_size);
    T(test_expected_stream_and_last_seq);
    T(test_expected_last_subject_seq);
    T(test_expected_last_msg_id);
    T(test_rollup_rules);
    T(test_ttl_rules);
    T(test_sealed);
    T(test_dedup);
    T(test_delete);
    T(test_delete_pending);
    T(test_purge_all);
    T(test_purge_filter);
    T(test_purge_seq);
    T(test_purge_keep);
    T(test_purge_filter_keep);
    T(test_purge_filter_seq);
    T(test_purge_denied);
    T(test_purge_pending);
    T(test_rollup_sub);
    T(test_rollup_all);
    T(test_ttl_expiry);
    T(test_max_age);
    T(test_memory_storage);
    T(test_update_limits);
    T(test_delete_stream_and_recreate);
    T(test_group_commit);
    T(test_sync_always);
    T(test_delete_marker_on_max_age);
    T(test_delete_marker_on_ttl_and_min_ttl);
    T(test_compression);
    TESTLIB_EXIT();
}

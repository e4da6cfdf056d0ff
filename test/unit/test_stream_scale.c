/*
 * test_stream_scale.c — restart at scale (issue 3): many streams holding 1,000,000 messages in
 * all are written through the stream API, the store is closed and reopened, and every stream's
 * state (msgs, first/last sequence, bytes, subjects, gaps, timestamps) must equal what was
 * written — computed independently here and as stream_get_state reported it before the close —
 * with messages spot-checked by stream_get / stream_get_last, the per-subject index, the dedup
 * window and the next sequence checked after the reopen. A second reopen (after RocksDB moved
 * the replayed write-ahead log into table files) must give the same. The reopen times are
 * printed as `info:` lines; nothing is timed-asserted.
 *
 * Streams: S<i> on s.<i>.>, 1 + i % 13 subjects each (round robin), payloads of 64..192 bytes
 * derived from (stream, sequence). Every tenth stream (i % 10 == 3) has max_msgs at half of what
 * it gets (discard old: trimming across commits); i % 10 == 7 has max_msgs_per_subject 2; in
 * i % 10 == 5 every 50th message carries a Nats-Msg-Id. Appends go in chunks of 100 per stream,
 * round robin over the streams, with a store_commit every 4096 appends (the server's group
 * commit, larger).
 *
 * Scale: 1,000,000 messages in 250 streams, not the 1,000: with RocksDB 7.8 every
 * column family create (one per stream) rewrites and re-parses the OPTIONS file, which lists
 * every column family, so creating N streams costs O(N^2) — about 200 s of CPU for 1,000 on the
 * development machine, 12 s for 250 (see docs/BENCHMARKS.md, "Stream store"). The reopen of
 * 1,000 streams is measured by bench/store.sh. WEIR_SCALE_STREAMS and WEIR_SCALE_MSGS override
 * the counts (WEIR_SCALE_STREAMS=1000 runs the figure, a few minutes). Under ASan (the
 * environment variable ASAN_OPTIONS is set, as `make asan` does) the defaults are 100 streams
 * and 200,000 messages, since instrumented appends and loads are several times slower.
 */
#include "stream/stream.h"
#include "test/testlib.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHUNK 100
#define COMMIT_EVERY 4096
#define MAX_PAYLOAD 192

static int NSTREAMS;
static long NMSGS;
static char DIR_[64];
static store *ST;
static jserr E;

typedef struct expect {
    uint64_t n;              /* messages appended */
    uint64_t k;              /* subjects */
    int64_t max_msgs;        /* > 0: kind "max_msgs" */
    int64_t per_subject;     /* > 0: kind "max_msgs_per_subject" */
    bool ids;                /* some messages carry Nats-Msg-Id */
    stream_state written;    /* stream_get_state before the close */
} expect;

static expect *X;

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t real_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long env_long(const char *name, long def)
{
    const char *v = getenv(name);
    long n = v && *v ? strtol(v, NULL, 10) : 0;
    return n > 0 ? n : def;
}

/* ---------------- what message (stream i, sequence seq) is ---------------- */

static size_t subject_of(int i, uint64_t seq, char *out, size_t cap)
{
    return (size_t)snprintf(out, cap, "s.%04d.k%" PRIu64, i, (seq - 1) % X[i].k);
}

static size_t payload_of(int i, uint64_t seq, char *out)
{
    size_t len = 64 + (size_t)((seq * 7 + (uint64_t)i) % 129);
    int n = snprintf(out, MAX_PAYLOAD + 1, "%04d:%010" PRIu64 ":", i, seq);
    for (size_t p = (size_t)n; p < len; p++)
        out[p] = (char)('a' + (seq + p) % 26);
    return len;
}

static bool has_id(int i, uint64_t seq)
{
    return X[i].ids && seq % 50 == 0;
}

static size_t header_of(int i, uint64_t seq, char *out, size_t cap)
{
    if (!has_id(i, seq))
        return 0;
    return (size_t)snprintf(out, cap, "NATS/1.0\r\nNats-Msg-Id: id-%d-%" PRIu64 "\r\n\r\n", i, seq);
}

/* Whether the limits keep message seq of stream i once all were appended. */
static bool kept(int i, uint64_t seq)
{
    const expect *x = &X[i];
    if (x->max_msgs > 0)
        return seq + (uint64_t)x->max_msgs > x->n;
    if (x->per_subject > 0) /* round robin: later messages on its subject are every k-th */
        return seq + (uint64_t)x->per_subject * x->k > x->n;
    return true;
}

/* nats-server's file-store accounting (stream_msg_size). */
static uint64_t msg_bytes(size_t subject_len, size_t hdr_len, size_t data_len)
{
    return 22 + subject_len + (hdr_len ? 4 + hdr_len : 0) + data_len + 8;
}

/* ---------------- building ---------------- */

static stream *create(int i)
{
    const expect *x = &X[i];
    char json[256];
    int n = snprintf(json, sizeof json, "{\"name\":\"S%04d\",\"subjects\":[\"s.%04d.>\"]", i, i);
    if (x->max_msgs > 0)
        n += snprintf(json + n, sizeof json - (size_t)n, ",\"max_msgs\":%" PRId64, x->max_msgs);
    if (x->per_subject > 0)
        n += snprintf(json + n, sizeof json - (size_t)n, ",\"max_msgs_per_subject\":%" PRId64,
                      x->per_subject);
    snprintf(json + n, sizeof json - (size_t)n, "}");
    json_error_t je;
    json_t *j = json_loads(json, 0, &je);
    stream_config cfg;
    if (!j || stream_config_from_json(j, &cfg, &E) < 0) {
        json_decref(j);
        return NULL;
    }
    json_decref(j);
    stream *s = NULL;
    int rc = store_stream_create(ST, &cfg, &s, &E);
    stream_config_free(&cfg);
    return rc == 0 ? s : NULL;
}

static store *open_store(void)
{
    char err[256];
    store_options o = {.dir = DIR_, .sync_interval_ms = 120000};
    store *st = store_open(&o, err, sizeof err);
    if (!st)
        fprintf(stderr, "store_open: %s\n", err);
    return st;
}

static char STREAM_NAME[16];

static stream *find(int i)
{
    snprintf(STREAM_NAME, sizeof STREAM_NAME, "S%04d", i);
    return store_stream_find(ST, STREAM_NAME);
}

/* ---------------- checks ---------------- */

/* The state of stream i against what was written. */
static void check_state(int i)
{
    const expect *x = &X[i];
    stream *s = find(i);
    CHECKF(s, "stream S%04d missing after reopen", i);
    stream_state st;
    stream_get_state(s, &st);
    uint64_t msgs = 0, bytes = 0, first = 0, subjects = 0;
    char subj[64], hdr[128], data[MAX_PAYLOAD + 1];
    for (uint64_t seq = 1; seq <= x->n; seq++) {
        if (!kept(i, seq))
            continue;
        if (!first)
            first = seq;
        msgs++;
        bytes += msg_bytes(subject_of(i, seq, subj, sizeof subj), header_of(i, seq, hdr, sizeof hdr),
                           payload_of(i, seq, data));
    }
    subjects = msgs < x->k ? msgs : x->k; /* kept messages are a run of consecutive sequences */
    CHECKF(st.msgs == msgs, "S%04d msgs %" PRIu64 " want %" PRIu64, i, st.msgs, msgs);
    CHECKF(st.first_seq == first, "S%04d first %" PRIu64 " want %" PRIu64, i, st.first_seq, first);
    CHECKF(st.last_seq == x->n, "S%04d last %" PRIu64 " want %" PRIu64, i, st.last_seq, x->n);
    CHECKF(st.bytes == bytes, "S%04d bytes %" PRIu64 " want %" PRIu64, i, st.bytes, bytes);
    CHECKF(st.num_subjects == subjects, "S%04d subjects %" PRIu64 " want %" PRIu64, i,
           st.num_subjects, subjects);
    CHECKF(st.num_deleted == 0, "S%04d deleted %" PRIu64, i, st.num_deleted);
    const stream_state *w = &x->written;
    CHECKF(st.msgs == w->msgs && st.bytes == w->bytes && st.first_seq == w->first_seq &&
               st.last_seq == w->last_seq && st.num_subjects == w->num_subjects &&
               st.first_ts_ns == w->first_ts_ns && st.last_ts_ns == w->last_ts_ns,
           "S%04d state differs from the one before the close", i);
    const stream_config *c = stream_get_config(s);
    CHECKF(c->max_msgs == (x->max_msgs > 0 ? x->max_msgs : -1) &&
               c->max_msgs_per_subject == (x->per_subject > 0 ? x->per_subject : -1),
           "S%04d limits changed", i);
}

/* One message of stream i read back: subject, header block and payload. */
static void check_msg(int i, uint64_t seq)
{
    stream_msg m;
    char subj[64], hdr[128], data[MAX_PAYLOAD + 1];
    size_t sl = subject_of(i, seq, subj, sizeof subj), hl = header_of(i, seq, hdr, sizeof hdr);
    size_t dl = payload_of(i, seq, data);
    CHECKF(stream_get(find(i), seq, &m, &E) == 0, "S%04d seq %" PRIu64 " not found", i, seq);
    bool ok = m.seq == seq && m.subject_len == sl && memcmp(m.subject, subj, sl) == 0 &&
              m.hdr_len == hl && (hl == 0 || memcmp(m.hdr, hdr, hl) == 0) && m.data_len == dl &&
              memcmp(m.data, data, dl) == 0;
    stream_msg_free(&m);
    CHECKF(ok, "S%04d seq %" PRIu64 " reads back different", i, seq);
}

static void check_messages(int i)
{
    const expect *x = &X[i];
    stream *s = find(i);
    CHECK(s);
    stream_state st;
    stream_get_state(s, &st);
    uint64_t span = st.last_seq - st.first_seq + 1;
    uint64_t probes[5] = {st.first_seq, st.last_seq, st.first_seq + span / 2,
                          st.first_seq + (uint64_t)i * 7919 % span, st.first_seq + span / 3};
    for (int p = 0; p < 5; p++) {
        check_msg(i, probes[p]);
        if (testlib_case_failed)
            return;
    }
    if (st.first_seq > 1) { /* trimmed by a limit: gone for good */
        stream_msg m;
        CHECKF(stream_get(s, st.first_seq - 1, &m, &E) < 0, "S%04d trimmed seq readable", i);
    }
    /* the per-subject index: the last message of each of two subjects */
    char subj[64];
    for (uint64_t j = 0; j < 2 && j < x->k && j < x->n; j++) {
        uint64_t want = x->n - (x->n - 1 - j) % x->k; /* the last seq with (seq - 1) % k == j */
        subject_of(i, want, subj, sizeof subj);
        stream_msg m;
        CHECKF(stream_get_last(s, subj, &m, &E) == 0, "S%04d last of %s missing", i, subj);
        uint64_t got = m.seq;
        stream_msg_free(&m);
        CHECKF(got == want, "S%04d last of %s is %" PRIu64 " want %" PRIu64, i, subj, got, want);
    }
}

/* After a reopen: a duplicate Nats-Msg-Id is recognised (the dedup window was rebuilt) and the
 * next append continues the sequence. */
static void check_continue(int i)
{
    const expect *x = &X[i];
    stream *s = find(i);
    CHECK(s);
    stream_ack ack;
    char subj[64], hdr[128], data[MAX_PAYLOAD + 1];
    /* (the check needs the message younger than the 2-minute duplicate window) */
    if (x->ids && real_now() - x->written.last_ts_ns < 100 * 1000000000LL) {
        uint64_t seq = x->n - x->n % 50;
        size_t hl = header_of(i, seq, hdr, sizeof hdr);
        size_t sl = subject_of(i, seq, subj, sizeof subj);
        CHECK(seq > 0 && hl > 0);
        CHECK(stream_append(s, subj, sl, hdr, hl, "dup", 3, real_now(), &ack, &E) == 0);
        CHECKF(ack.duplicate && ack.seq == seq, "S%04d duplicate id not recognised", i);
    }
    size_t sl = subject_of(i, x->n + 1, subj, sizeof subj);
    size_t dl = payload_of(i, x->n + 1, data);
    CHECK(stream_append(s, subj, sl, NULL, 0, data, dl, real_now(), &ack, &E) == 0);
    CHECKF(ack.seq == x->n + 1 && !ack.duplicate, "S%04d next seq %" PRIu64, i, ack.seq);
}

/* ---------------- the test ---------------- */

static void test_restart_at_scale(void)
{
    double t0 = mono();
    stream **ss = calloc((size_t)NSTREAMS, sizeof *ss);
    CHECK(ss);
    for (int i = 0; i < NSTREAMS; i++) {
        ss[i] = create(i);
        CHECKF(ss[i], "create S%04d: %.200s", i, E.description);
    }
    double t1 = mono();
    char subj[64], hdr[128], data[MAX_PAYLOAD + 1], err[256];
    stream_ack ack;
    long appended = 0;
    for (uint64_t from = 1; appended < NMSGS; from += CHUNK) {
        for (int i = 0; i < NSTREAMS; i++) {
            for (uint64_t seq = from; seq < from + CHUNK && seq <= X[i].n; seq++) {
                size_t sl = subject_of(i, seq, subj, sizeof subj);
                size_t hl = header_of(i, seq, hdr, sizeof hdr);
                size_t dl = payload_of(i, seq, data);
                CHECKF(stream_append(ss[i], subj, sl, hl ? hdr : NULL, hl, data, dl, real_now(),
                                     &ack, &E) == 0,
                       "append S%04d seq %" PRIu64 ": %.200s", i, seq, E.description);
                CHECKF(ack.seq == seq, "S%04d got seq %" PRIu64 " want %" PRIu64, i, ack.seq, seq);
                if (++appended % COMMIT_EVERY == 0)
                    CHECKF(store_commit(ST, err, sizeof err) == 0, "commit: %.200s", err);
            }
        }
    }
    CHECKF(store_commit(ST, err, sizeof err) == 0, "commit: %.200s", err);
    for (int i = 0; i < NSTREAMS; i++)
        stream_get_state(ss[i], &X[i].written);
    free(ss);
    double t2 = mono();
    store_close(ST);
    ST = NULL;
    double t3 = mono();
    ST = open_store();
    double t4 = mono();
    CHECK(ST);
    printf("info: %d streams created in %.2f s, %ld messages appended in %.2f s, close %.2f s\n",
           NSTREAMS, t1 - t0, appended, t2 - t1, t3 - t2);
    printf("info: reopen of %d streams / %ld messages (replaying the write-ahead log): %.2f s\n",
           NSTREAMS, appended, t4 - t3);
    fflush(stdout);
    CHECKF(store_stream_count(ST) == (size_t)NSTREAMS, "%zu streams after reopen",
           store_stream_count(ST));
    uint64_t total = 0;
    for (int i = 0; i < NSTREAMS; i++) {
        check_state(i);
        if (testlib_case_failed)
            return;
        total += X[i].written.msgs;
    }
    for (int i = 0; i < NSTREAMS; i++) {
        check_messages(i);
        if (testlib_case_failed)
            return;
    }
    double t5 = mono();
    /* again, now that the records are in table files rather than the log */
    store_close(ST);
    ST = NULL;
    double t6 = mono();
    ST = open_store();
    double t7 = mono();
    CHECK(ST);
    printf("info: second reopen (from table files): %.2f s; %" PRIu64
           " messages stored, checks %.2f s\n",
           t7 - t6, total, t5 - t4);
    fflush(stdout);
    CHECK(store_stream_count(ST) == (size_t)NSTREAMS);
    for (int i = 0; i < NSTREAMS; i++) {
        check_state(i);
        if (testlib_case_failed)
            return;
        if (i % 17 == 0)
            check_messages(i);
        if (testlib_case_failed)
            return;
    }
    for (int i = 0; i < NSTREAMS; i++) {
        check_continue(i);
        if (testlib_case_failed)
            return;
    }
    CHECKF(store_commit(ST, err, sizeof err) == 0, "commit: %.200s", err);
}

int main(void)
{
    bool asan = getenv("ASAN_OPTIONS") != NULL;
    NSTREAMS = (int)env_long("WEIR_SCALE_STREAMS", asan ? 50 : 200);
    NMSGS = env_long("WEIR_SCALE_MSGS", asan ? 200000 : 1000000);
    if (NSTREAMS > 9999)
        NSTREAMS = 9999;
    X = calloc((size_t)NSTREAMS, sizeof *X);
    if (!X)
        return 2;
    /* uneven shares that add up to NMSGS */
    long weight_sum = 0;
    for (int i = 0; i < NSTREAMS; i++)
        weight_sum += 4 + i % 5;
    long given = 0;
    for (int i = 0; i < NSTREAMS; i++) {
        X[i].n = (uint64_t)(NMSGS * (4 + i % 5) / weight_sum);
        given += (long)X[i].n;
    }
    for (int i = 0; given < NMSGS; i = (i + 1) % NSTREAMS, given++)
        X[i].n++;
    for (int i = 0; i < NSTREAMS; i++) {
        if (X[i].n == 0)
            X[i].n = 1; /* more streams than messages: at least one each */
        X[i].k = 1 + (uint64_t)(i % 13);
        if (i % 10 == 3 && X[i].n >= 2)
            X[i].max_msgs = (int64_t)(X[i].n / 2);
        if (i % 10 == 7)
            X[i].per_subject = 2;
        X[i].ids = i % 10 == 5;
    }
    snprintf(DIR_, sizeof DIR_, "/tmp/weir-scale-XXXXXX");
    if (!mkdtemp(DIR_)) {
        perror("mkdtemp");
        return 2;
    }
    ST = open_store();
    if (!ST)
        return 2;
    printf("info: %d streams, %ld messages%s\n", NSTREAMS, NMSGS,
           asan ? " (scaled down: ASAN_OPTIONS is set)" : "");
    fflush(stdout);
    RUN(test_restart_at_scale);
    store_close(ST);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", DIR_);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", DIR_);
    free(X);
    TESTLIB_EXIT();
}

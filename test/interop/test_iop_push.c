/*
 * test_iop_push.c — push consumers and ordered consumers through libnats's JetStream API
 * (js_Subscribe, js_SubscribeSync, queue members through jsSubOptions.Queue — libnats 3.4 has
 * no js_QueueSubscribe), checking what arrives: stream and consumer sequences, delivery counts,
 * pending counts and timestamps from the ack reply subject (natsMsg_GetMetaData), the order,
 * and the consumer info that follows.
 *
 *   push_async_durable       js_Subscribe with a callback, deliver all, explicit acks
 *   deliver_policies         all, last, new, by_start_sequence, by_start_time, last_per_subject
 *   ack_none / ack_all       no redelivery without acks; acking the 5th acks 1..5
 *   ack_wait_max_deliver     redelivered after ack_wait with a rising count, max_deliver stops it
 *   nak_delay / term / in_progress   -NAK {"delay"}, +TERM, +WPI
 *   backoff                  redeliveries after the backoff intervals, then none
 *   max_ack_pending          only that many unacked messages out at a time
 *   deliver_group            two queue members share the messages, each delivered once
 *   headers_only             empty bodies with Nats-Msg-Size
 *   wire_heartbeat_flow_control   raw socket: idle heartbeats, flow control requests, the stall
 *                            when they go unanswered (Nats-Consumer-Stalled), resuming
 *   ordered_consumer         in order across a consumer deleted under it (libnats recreates it)
 *   bad_push_config          the err_code of each refused push configuration
 *   rate_limit / replay_original  delivery pacing
 *   chat_durable_resume      a durable push consumer resumes exactly after a server restart
 *
 * Every case passes against nats-server 2.9 (WEIR_SERVER=/usr/sbin/nats-server). Timing checks
 * have loose lower bounds only where the protocol promises a wait, and generous upper bounds.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "test/interop/harness.h"
#include "test/testlib.h"

#define MS 1000000LL /* nanoseconds */
#define ANY UINT64_MAX

/* Runs a helper that uses CHECK/CHECKF and returns from the case if it failed. */
#define TRY(call)                    \
    do {                             \
        call;                        \
        if (testlib_case_failed)     \
            return;                  \
    } while (0)

static h_server srv;
static natsConnection *nc;
static jsCtx *js;

static int64_t realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---- streams and publishing ---- */

static natsStatus add_stream2(const char *name, const char *subj1, const char *subj2,
                              int32_t max_msg_size)
{
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = name;
    const char *subjects[2] = {subj1, subj2};
    cfg.Subjects = subjects;
    cfg.SubjectsLen = subj2 ? 2 : 1;
    if (max_msg_size)
        cfg.MaxMsgSize = max_msg_size;
    jsErrCode ec = 0;
    natsStatus st = js_AddStream(NULL, js, &cfg, NULL, &ec);
    if (st != NATS_OK)
        fprintf(stderr, "add stream %s: status %d err_code %d\n", name, st, (int)ec);
    return st;
}

static natsStatus add_stream(const char *name, const char *subject)
{
    return add_stream2(name, subject, NULL, 0);
}

static natsStatus publish(const char *subject, const char *data)
{
    jsErrCode ec = 0;
    return js_Publish(NULL, js, subject, data, (int)strlen(data), NULL, &ec);
}

/* Publishes "<prefix>1" .. "<prefix>n". */
static natsStatus publish_n(const char *subject, const char *prefix, int n)
{
    for (int i = 0; i < n; i++) {
        char data[64];
        snprintf(data, sizeof data, "%s%d", prefix, i + 1);
        natsStatus st = publish(subject, data);
        if (st != NATS_OK)
            return st;
    }
    return NATS_OK;
}

/* ---- metadata and synchronous receiving ---- */

typedef struct meta {
    uint64_t sseq, cseq, dc, pending;
    int64_t ts;
} meta;

static bool get_meta(natsMsg *m, meta *o)
{
    jsMsgMetaData *md = NULL;
    if (natsMsg_GetMetaData(&md, m) != NATS_OK)
        return false;
    o->sseq = md->Sequence.Stream;
    o->cseq = md->Sequence.Consumer;
    o->dc = md->NumDelivered;
    o->pending = md->NumPending;
    o->ts = md->Timestamp;
    jsMsgMetaData_Destroy(md);
    return true;
}

static bool data_is(natsMsg *m, const char *text)
{
    return natsMsg_GetDataLength(m) == (int)strlen(text) &&
           memcmp(natsMsg_GetData(m), text, strlen(text)) == 0;
}

/* Expects the next message of sub within timeout_ms with these stream sequence, consumer
 * sequence, delivery count and pending count (ANY: not checked). The message goes to *out when
 * out is not NULL (the caller destroys it), else it is destroyed. */
static void expect_msg(natsSubscription *sub, int timeout_ms, uint64_t sseq, uint64_t cseq,
                       uint64_t dc, uint64_t pending, natsMsg **out)
{
    natsMsg *m = NULL;
    natsStatus st = natsSubscription_NextMsg(&m, sub, timeout_ms);
    CHECKF(st == NATS_OK, "expected stream seq %" PRIu64 " (dc %" PRIu64 "): status %d (%.100s)",
           sseq, dc, st, natsStatus_GetText(st));
    meta md = {0};
    bool ok = get_meta(m, &md);
    if (!ok) {
        char reply[160];
        snprintf(reply, sizeof reply, "%s", natsMsg_GetReply(m) ? natsMsg_GetReply(m) : "");
        natsMsg_Destroy(m);
        CHECKF(ok, "no metadata in reply subject '%.100s'", reply);
    }
    ok = md.sseq == sseq && (cseq == ANY || md.cseq == cseq) && (dc == ANY || md.dc == dc) &&
         (pending == ANY || md.pending == pending) && md.ts > 0;
    if (!ok || !out)
        natsMsg_Destroy(m);
    else
        *out = m;
    CHECKF(ok,
           "expected sseq %" PRIu64 " cseq %" PRIu64 " dc %" PRIu64 " pending %" PRIu64
           ", got sseq %" PRIu64 " cseq %" PRIu64 " dc %" PRIu64 " pending %" PRIu64
           " ts %" PRId64,
           sseq, cseq == ANY ? 0 : cseq, dc == ANY ? 0 : dc, pending == ANY ? 0 : pending,
           md.sseq, md.cseq, md.dc, md.pending, md.ts);
}

/* Expects nothing on sub for timeout_ms. */
static void expect_none(natsSubscription *sub, int timeout_ms, const char *what)
{
    natsMsg *m = NULL;
    natsStatus st = natsSubscription_NextMsg(&m, sub, timeout_ms);
    meta md = {0};
    if (m)
        get_meta(m, &md);
    natsMsg_Destroy(m);
    CHECKF(st == NATS_TIMEOUT,
           "%.100s: expected nothing, got status %d sseq %" PRIu64 " dc %" PRIu64, what, st,
           md.sseq, md.dc);
}

/* A synchronous push subscription bound to stream with the options given. */
static void sub_sync(natsSubscription **sub, const char *stream, const char *subject,
                     jsSubOptions *so)
{
    so->Stream = stream;
    jsErrCode ec = 0;
    natsStatus st = js_SubscribeSync(sub, js, subject, NULL, so, &ec);
    CHECKF(st == NATS_OK, "js_SubscribeSync %.100s: status %d (%.100s) err_code %d: %.100s", subject, st,
           natsStatus_GetText(st), (int)ec, nats_GetLastError(NULL));
}

static jsConsumerInfo *sub_info(natsSubscription *sub)
{
    jsConsumerInfo *ci = NULL;
    jsErrCode ec = 0;
    natsStatus st = natsSubscription_GetConsumerInfo(&ci, sub, NULL, &ec);
    if (st != NATS_OK) {
        fprintf(stderr, "consumer info: status %d err_code %d: %s\n", st, (int)ec,
                nats_GetLastError(NULL));
        return NULL;
    }
    return ci;
}

static void unsub(natsSubscription *sub)
{
    if (!sub)
        return;
    natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
}

/* ---- asynchronous receiving: a callback stores what arrived ---- */

#define MAXREC 128

typedef struct rec {
    meta md;
    char data[32];
    int64_t at_ms;
} rec;

typedef struct collector {
    pthread_mutex_t mu;
    int n;       /* messages received (records beyond MAXREC are counted, not stored) */
    int bad;     /* messages without metadata */
    bool ack;    /* ManualAck: ack in the callback */
    rec r[MAXREC];
} collector;

static void collector_init(collector *c, bool ack)
{
    memset(c, 0, sizeof *c);
    pthread_mutex_init(&c->mu, NULL);
    c->ack = ack;
}

static void on_msg(natsConnection *conn, natsSubscription *sub, natsMsg *m, void *closure)
{
    (void)conn;
    (void)sub;
    collector *c = closure;
    meta md = {0};
    bool ok = get_meta(m, &md);
    pthread_mutex_lock(&c->mu);
    if (!ok) {
        c->bad++;
    } else {
        if (c->n < MAXREC) {
            rec *r = &c->r[c->n];
            r->md = md;
            r->at_ms = h_now_ms();
            int len = natsMsg_GetDataLength(m);
            if (len > (int)sizeof r->data - 1)
                len = (int)sizeof r->data - 1;
            memcpy(r->data, natsMsg_GetData(m), (size_t)len);
            r->data[len] = 0;
        }
        c->n++;
    }
    pthread_mutex_unlock(&c->mu);
    if (ok && c->ack)
        natsMsg_Ack(m, NULL);
    natsMsg_Destroy(m);
}

static int collected(collector *c)
{
    pthread_mutex_lock(&c->mu);
    int n = c->n;
    pthread_mutex_unlock(&c->mu);
    return n;
}

/* Waits until the collectors together hold at least n messages; returns how many they hold. */
static int wait_collected(collector *a, collector *b, int n, int timeout_ms)
{
    int64_t deadline = h_now_ms() + timeout_ms;
    int got;
    while ((got = collected(a) + (b ? collected(b) : 0)) < n && h_now_ms() < deadline)
        h_sleep_ms(10);
    return got;
}

/* ---- JSON API requests ---- */

/* Sends body to subject and copies the reply's payload to resp. */
static natsStatus api(const char *subject, const char *body, char *resp, size_t cap)
{
    natsMsg *m = NULL;
    natsStatus st = natsConnection_RequestString(&m, nc, subject, body, 2000);
    resp[0] = 0;
    if (st == NATS_OK) {
        size_t n = (size_t)natsMsg_GetDataLength(m);
        if (n >= cap)
            n = cap - 1;
        memcpy(resp, natsMsg_GetData(m), n);
        resp[n] = 0;
    }
    natsMsg_Destroy(m);
    return st;
}

/* The integer after "key": in a JSON text, or -1. */
static long long json_int(const char *text, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(text, pat);
    if (!p)
        return -1;
    p += strlen(pat);
    while (*p == ' ')
        p++;
    return strtoll(p, NULL, 10);
}

/* ============================== cases ============================== */

/* 1. js_Subscribe with a callback on a durable, deliver all, explicit acks. */
static void push_async_durable(void)
{
    CHECK(js);
    CHECK(add_stream("PUSH", "push.>") == NATS_OK);
    int64_t t0 = realtime_ns();
    CHECK(publish_n("push.a", "m", 50) == NATS_OK);
    int64_t t1 = realtime_ns();
    static collector c;
    collector_init(&c, true);
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = "PUSH";
    so.ManualAck = true;
    so.Config.Durable = "D1";
    so.Config.AckPolicy = js_AckExplicit;
    so.Config.DeliverPolicy = js_DeliverAll;
    natsSubscription *sub = NULL;
    jsErrCode ec = 0;
    natsStatus st = js_Subscribe(&sub, js, "push.>", on_msg, &c, NULL, &so, &ec);
    CHECKF(st == NATS_OK, "js_Subscribe: status %d err_code %d: %.100s", st, (int)ec,
           nats_GetLastError(NULL));
    int got = wait_collected(&c, NULL, 50, 5000);
    CHECKF(got == 50 && c.bad == 0, "received %d of 50 (%d without metadata)", got, c.bad);
    for (int i = 0; i < 50; i++) {
        rec *r = &c.r[i];
        char want[16];
        snprintf(want, sizeof want, "m%d", i + 1);
        CHECKF(r->md.sseq == (uint64_t)i + 1 && r->md.cseq == (uint64_t)i + 1 && r->md.dc == 1 &&
                   r->md.pending == (uint64_t)(49 - i) && strcmp(r->data, want) == 0,
               "message %d: sseq %" PRIu64 " cseq %" PRIu64 " dc %" PRIu64 " pending %" PRIu64
               " data '%.100s'",
               i, r->md.sseq, r->md.cseq, r->md.dc, r->md.pending, r->data);
        /* stored times: between the first publish and the last ack, in order */
        CHECKF(r->md.ts >= t0 - 1000 * MS && r->md.ts <= t1 + 1000 * MS &&
                   (i == 0 || r->md.ts >= c.r[i - 1].md.ts),
               "message %d: timestamp %" PRId64 " outside [%" PRId64 ", %" PRId64 "]", i,
               r->md.ts, t0, t1);
    }
    /* the acks went out from the callback; the server counts them shortly after */
    natsConnection_Flush(nc);
    jsConsumerInfo *ci = NULL;
    bool ok = false;
    for (int64_t deadline = h_now_ms() + 2000; !ok && h_now_ms() < deadline;) {
        jsConsumerInfo_Destroy(ci);
        ci = NULL;
        CHECK(js_GetConsumerInfo(&ci, js, "PUSH", "D1", NULL, &ec) == NATS_OK);
        ok = ci->NumAckPending == 0 && ci->AckFloor.Stream == 50;
        if (!ok)
            h_sleep_ms(20);
    }
    int64_t v[7] = {ci->NumAckPending, (int64_t)ci->Delivered.Stream,
                    (int64_t)ci->Delivered.Consumer, (int64_t)ci->AckFloor.Stream,
                    (int64_t)ci->AckFloor.Consumer, (int64_t)ci->NumPending,
                    ci->NumRedelivered};
    ok = ok && ci->Delivered.Stream == 50 && ci->Delivered.Consumer == 50 &&
         ci->AckFloor.Consumer == 50 && ci->NumPending == 0 && ci->NumRedelivered == 0 &&
         ci->PushBound && ci->Config->DeliverSubject && ci->Config->DeliverSubject[0] &&
         strcmp(ci->Name, "D1") == 0;
    jsConsumerInfo_Destroy(ci);
    CHECKF(ok,
           "info: ack pending %" PRId64 " delivered %" PRId64 "/%" PRId64 " ack floor %" PRId64
           "/%" PRId64 " pending %" PRId64 " redelivered %" PRId64,
           v[0], v[1], v[2], v[3], v[4], v[5], v[6]);
    /* a new message is pushed at once */
    CHECK(publish("push.b", "live") == NATS_OK);
    got = wait_collected(&c, NULL, 51, 2000);
    CHECKF(got == 51 && c.r[50].md.sseq == 51 && c.r[50].md.cseq == 51 &&
               c.r[50].md.pending == 0 && strcmp(c.r[50].data, "live") == 0,
           "live message: got %d, sseq %" PRIu64, got, c.r[50].md.sseq);
    h_sleep_ms(100);
    CHECKF(collected(&c) == 51, "%d messages, expected 51", collected(&c));
    unsub(sub);
    pthread_mutex_destroy(&c.mu);
}

/* Expects the messages with the stream sequences seqs[0..n) in order on sub, consumer
 * sequences from 1, delivered once, pending counting down to 0. */
static void expect_seqs(natsSubscription *sub, const uint64_t *seqs, int n)
{
    for (int i = 0; i < n; i++)
        TRY(expect_msg(sub, 2000, seqs[i], (uint64_t)i + 1, 1, (uint64_t)(n - 1 - i), NULL));
}

/* 2. Deliver policies on ephemeral push consumers. */
static void deliver_policies(void)
{
    CHECK(js);
    CHECK(add_stream("DP", "dp.>") == NATS_OK);
    CHECK(publish_n("dp.a", "m", 5) == NATS_OK);
    natsSubscription *sub = NULL;
    jsSubOptions so;

    /* all */
    jsSubOptions_Init(&so);
    so.Config.DeliverPolicy = js_DeliverAll;
    so.Config.AckPolicy = js_AckNone;
    TRY(sub_sync(&sub, "DP", "dp.>", &so));
    const uint64_t all[] = {1, 2, 3, 4, 5};
    TRY(expect_seqs(sub, all, 5));
    TRY(expect_none(sub, 200, "all"));
    unsub(sub);

    /* last */
    jsSubOptions_Init(&so);
    so.Config.DeliverPolicy = js_DeliverLast;
    so.Config.AckPolicy = js_AckNone;
    TRY(sub_sync(&sub, "DP", "dp.>", &so));
    TRY(expect_msg(sub, 2000, 5, 1, 1, 0, NULL));
    TRY(expect_none(sub, 200, "last"));
    unsub(sub);

    /* new: nothing until something is published */
    jsSubOptions_Init(&so);
    so.Config.DeliverPolicy = js_DeliverNew;
    so.Config.AckPolicy = js_AckNone;
    TRY(sub_sync(&sub, "DP", "dp.>", &so));
    TRY(expect_none(sub, 200, "new"));
    CHECK(publish("dp.b", "six") == NATS_OK);
    natsMsg *m = NULL;
    TRY(expect_msg(sub, 2000, 6, 1, 1, 0, &m));
    bool ok = data_is(m, "six") && strcmp(natsMsg_GetSubject(m), "dp.b") == 0;
    natsMsg_Destroy(m);
    CHECK(ok);
    unsub(sub);

    /* by_start_sequence */
    jsSubOptions_Init(&so);
    so.Config.DeliverPolicy = js_DeliverByStartSequence;
    so.Config.OptStartSeq = 3;
    so.Config.AckPolicy = js_AckNone;
    TRY(sub_sync(&sub, "DP", "dp.>", &so));
    const uint64_t from3[] = {3, 4, 5, 6};
    TRY(expect_seqs(sub, from3, 4));
    TRY(expect_none(sub, 200, "by_start_sequence"));
    unsub(sub);

    /* by_start_time: a time between two batches */
    CHECK(add_stream("DT", "dt.>") == NATS_OK);
    CHECK(publish_n("dt.a", "early", 3) == NATS_OK);
    h_sleep_ms(150);
    int64_t start = realtime_ns();
    /* libnats 3.4 writes opt_start_time's fraction of a second without its leading zeros
     * (0.055706081 s goes out as ".55706081"): keep the fraction at 100 ms or more */
    int64_t frac = start % 1000000000LL;
    if (frac < 100 * MS)
        start += 100 * MS - frac;
    while (realtime_ns() < start + 150 * MS)
        h_sleep_ms(10);
    CHECK(publish_n("dt.a", "late", 3) == NATS_OK);
    jsSubOptions_Init(&so);
    so.Config.DeliverPolicy = js_DeliverByStartTime;
    so.Config.OptStartTime = start;
    so.Config.AckPolicy = js_AckNone;
    TRY(sub_sync(&sub, "DT", "dt.>", &so));
    TRY(expect_msg(sub, 2000, 4, 1, 1, 2, &m));
    ok = data_is(m, "late1");
    natsMsg_Destroy(m);
    CHECK(ok);
    TRY(expect_msg(sub, 2000, 5, 2, 1, 1, NULL));
    TRY(expect_msg(sub, 2000, 6, 3, 1, 0, NULL));
    TRY(expect_none(sub, 200, "by_start_time"));
    unsub(sub);

    /* last_per_subject over x.>: the last of each subject in stream order, then live ones */
    CHECK(add_stream2("LPS", "x.>", "y.>", 0) == NATS_OK);
    const char *subjects[] = {"x.a", "x.b", "y.z", "x.c", "x.b", "x.a", "x.c", "y.z", "x.a"};
    for (int i = 0; i < 9; i++) {
        char data[32];
        snprintf(data, sizeof data, "%s#%d", subjects[i], i + 1);
        CHECK(publish(subjects[i], data) == NATS_OK);
    }
    jsSubOptions_Init(&so);
    so.Config.DeliverPolicy = js_DeliverLastPerSubject;
    so.Config.AckPolicy = js_AckExplicit;
    TRY(sub_sync(&sub, "LPS", "x.>", &so));
    /* x.b is last at 5, x.c at 7, x.a at 9 */
    const uint64_t lps[] = {5, 7, 9};
    const char *lps_data[] = {"x.b#5", "x.c#7", "x.a#9"};
    for (int i = 0; i < 3; i++) {
        TRY(expect_msg(sub, 2000, lps[i], (uint64_t)i + 1, 1, (uint64_t)(2 - i), &m));
        ok = data_is(m, lps_data[i]) && natsMsg_Ack(m, NULL) == NATS_OK;
        natsMsg_Destroy(m);
        CHECKF(ok, "last_per_subject message %d", i);
    }
    TRY(expect_none(sub, 200, "last_per_subject"));
    CHECK(publish("y.z", "y.z#10") == NATS_OK);
    CHECK(publish("x.b", "x.b#11") == NATS_OK);
    TRY(expect_msg(sub, 2000, 11, 4, 1, 0, &m));
    ok = data_is(m, "x.b#11");
    natsMsg_Destroy(m);
    CHECK(ok);
    TRY(expect_none(sub, 200, "last_per_subject live"));
    unsub(sub);
}

/* 3a. ack none: nothing is pending or redelivered. */
static void ack_none(void)
{
    CHECK(js);
    CHECK(add_stream("AK", "ak.>") == NATS_OK);
    CHECK(publish_n("ak.none", "n", 3) == NATS_OK);
    natsSubscription *sub = NULL;
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Config.AckPolicy = js_AckNone;
    TRY(sub_sync(&sub, "AK", "ak.none", &so));
    const uint64_t seqs[] = {1, 2, 3};
    TRY(expect_seqs(sub, seqs, 3));
    TRY(expect_none(sub, 700, "ack none"));
    jsConsumerInfo *ci = sub_info(sub);
    CHECK(ci);
    bool ok = ci->NumAckPending == 0 && ci->Delivered.Stream == 3 &&
              ci->Delivered.Consumer == 3 && ci->AckFloor.Stream == 3 &&
              ci->NumRedelivered == 0 && ci->Config->AckPolicy == js_AckNone;
    int64_t v[3] = {ci->NumAckPending, (int64_t)ci->Delivered.Stream,
                    (int64_t)ci->AckFloor.Stream};
    jsConsumerInfo_Destroy(ci);
    unsub(sub);
    CHECKF(ok, "ack pending %" PRId64 " delivered %" PRId64 " ack floor %" PRId64, v[0], v[1],
           v[2]);
}

/* 3b. ack all: acking the 5th acks the four before it. */
static void ack_all(void)
{
    CHECK(js);
    CHECK(publish_n("ak.all", "a", 6) == NATS_OK); /* stream seqs 4..9 */
    natsSubscription *sub = NULL;
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Config.AckPolicy = js_AckAll;
    TRY(sub_sync(&sub, "AK", "ak.all", &so));
    natsMsg *msgs[6] = {0};
    for (int i = 0; i < 6; i++)
        TRY(expect_msg(sub, 2000, (uint64_t)i + 4, (uint64_t)i + 1, 1, (uint64_t)(5 - i),
                       &msgs[i]));
    jsErrCode ec = 0;
    natsStatus st = natsMsg_AckSync(msgs[4], NULL, &ec);
    jsConsumerInfo *ci = sub_info(sub);
    bool ok = st == NATS_OK && ci && ci->AckFloor.Consumer == 5 && ci->AckFloor.Stream == 8 &&
              ci->NumAckPending == 1 && ci->Delivered.Stream == 9;
    int64_t v[3] = {ci ? ci->NumAckPending : -1, ci ? (int64_t)ci->AckFloor.Consumer : -1,
                    ci ? (int64_t)ci->AckFloor.Stream : -1};
    jsConsumerInfo_Destroy(ci);
    CHECKF(ok, "after acking the 5th: status %d ack pending %" PRId64 " floor %" PRId64
           "/%" PRId64, st, v[0], v[1], v[2]);
    st = natsMsg_AckSync(msgs[5], NULL, &ec);
    for (int i = 0; i < 6; i++)
        natsMsg_Destroy(msgs[i]);
    ci = sub_info(sub);
    ok = st == NATS_OK && ci && ci->AckFloor.Consumer == 6 && ci->AckFloor.Stream == 9 &&
         ci->NumAckPending == 0;
    jsConsumerInfo_Destroy(ci);
    CHECK(ok);
    /* nothing comes back */
    TRY(expect_none(sub, 300, "ack all"));
    unsub(sub);
}

/* 3c. explicit acks with ack_wait 1 s: redelivered with delivery count 2, then 3; with
 * max_deliver 2 a second consumer stops after two deliveries. */
static void ack_wait_max_deliver(void)
{
    CHECK(js);
    natsSubscription *a = NULL, *b = NULL;
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Config.AckPolicy = js_AckExplicit;
    so.Config.AckWait = 1000 * MS;
    so.Config.DeliverPolicy = js_DeliverNew;
    TRY(sub_sync(&a, "AK", "ak.redo", &so));
    jsSubOptions_Init(&so);
    so.Config.AckPolicy = js_AckExplicit;
    so.Config.AckWait = 1000 * MS;
    so.Config.MaxDeliver = 2;
    so.Config.DeliverPolicy = js_DeliverNew;
    TRY(sub_sync(&b, "AK", "ak.redo", &so));
    CHECK(publish("ak.redo", "again") == NATS_OK); /* stream seq 10 */
    int64_t t0 = h_now_ms();
    TRY(expect_msg(a, 2000, 10, 1, 1, 0, NULL));
    TRY(expect_msg(b, 2000, 10, 1, 1, 0, NULL));
    TRY(expect_msg(a, 2500, 10, 2, 2, 0, NULL));
    int64_t t1 = h_now_ms();
    TRY(expect_msg(b, 2500, 10, 2, 2, 0, NULL));
    natsMsg *m = NULL;
    TRY(expect_msg(a, 2500, 10, 3, 3, 0, &m));
    int64_t t2 = h_now_ms();
    jsErrCode ec = 0;
    natsStatus st = natsMsg_AckSync(m, NULL, &ec);
    natsMsg_Destroy(m);
    CHECK(st == NATS_OK);
    CHECKF(t1 - t0 >= 800 && t2 - t1 >= 800,
           "redelivered too early: after %" PRId64 " ms, then %" PRId64 " ms", t1 - t0, t2 - t1);
    /* the max_deliver 2 consumer: no third delivery */
    TRY(expect_none(b, 1500, "max_deliver 2"));
    jsConsumerInfo *ci = sub_info(a);
    CHECK(ci);
    bool ok = ci->NumAckPending == 0 && ci->NumRedelivered == 0 && ci->AckFloor.Stream == 10 &&
              ci->Delivered.Consumer == 3;
    jsConsumerInfo_Destroy(ci);
    CHECK(ok);
    ci = sub_info(b);
    CHECK(ci);
    ok = ci->Delivered.Consumer == 2 && ci->Delivered.Stream == 10 && ci->Config->MaxDeliver == 2;
    jsConsumerInfo_Destroy(ci);
    CHECK(ok);
    unsub(a);
    unsub(b);
}

/* 3d. -NAK with a delay: redelivered after about the delay, not before; a plain -NAK at once. */
static void nak_delay(void)
{
    CHECK(js);
    natsSubscription *sub = NULL;
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Config.AckPolicy = js_AckExplicit;
    so.Config.AckWait = 10000 * MS;
    so.Config.DeliverPolicy = js_DeliverNew;
    TRY(sub_sync(&sub, "AK", "ak.nak", &so));
    CHECK(publish("ak.nak", "nak") == NATS_OK); /* stream seq 11 */
    natsMsg *m = NULL;
    TRY(expect_msg(sub, 2000, 11, 1, 1, 0, &m));
    int64_t t0 = h_now_ms();
    natsStatus st = natsMsg_NakWithDelay(m, 600, NULL) /* ms */;
    natsMsg_Destroy(m);
    CHECK(st == NATS_OK);
    TRY(expect_msg(sub, 4000, 11, 2, 2, 0, &m));
    int64_t waited = h_now_ms() - t0;
    CHECKF(waited >= 480 && waited < 4000, "redelivered after %" PRId64 " ms (delay 600)",
           waited);
    t0 = h_now_ms();
    st = natsMsg_Nak(m, NULL);
    natsMsg_Destroy(m);
    CHECK(st == NATS_OK);
    TRY(expect_msg(sub, 2000, 11, 3, 3, 0, &m));
    waited = h_now_ms() - t0;
    jsErrCode ec = 0;
    st = natsMsg_AckSync(m, NULL, &ec);
    natsMsg_Destroy(m);
    CHECKF(st == NATS_OK && waited < 1000, "plain nak: redelivered after %" PRId64 " ms",
           waited);
    jsConsumerInfo *ci = sub_info(sub);
    CHECK(ci);
    bool ok = ci->NumAckPending == 0 && ci->AckFloor.Stream == 11 && ci->NumRedelivered == 0;
    jsConsumerInfo_Destroy(ci);
    CHECK(ok);
    unsub(sub);
}

/* 3e. +TERM: never redelivered, and it no longer holds the ack floor back. */
static void term(void)
{
    CHECK(js);
    natsSubscription *sub = NULL;
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Config.AckPolicy = js_AckExplicit;
    so.Config.AckWait = 500 * MS;
    so.Config.DeliverPolicy = js_DeliverNew;
    TRY(sub_sync(&sub, "AK", "ak.term", &so));
    CHECK(publish_n("ak.term", "t", 2) == NATS_OK); /* stream seqs 12, 13 */
    natsMsg *m1 = NULL, *m2 = NULL;
    TRY(expect_msg(sub, 2000, 12, 1, 1, ANY, &m1));
    TRY(expect_msg(sub, 2000, 13, 2, 1, 0, &m2));
    jsErrCode ec = 0;
    natsStatus st1 = natsMsg_Term(m1, NULL);
    natsStatus st2 = natsMsg_AckSync(m2, NULL, &ec);
    natsMsg_Destroy(m1);
    natsMsg_Destroy(m2);
    CHECK(st1 == NATS_OK && st2 == NATS_OK);
    TRY(expect_none(sub, 1500, "after +TERM"));
    jsConsumerInfo *ci = sub_info(sub);
    CHECK(ci);
    bool ok = ci->NumAckPending == 0 && ci->AckFloor.Stream == 13 && ci->NumRedelivered == 0 &&
              ci->Delivered.Consumer == 2;
    int64_t v[3] = {ci->NumAckPending, (int64_t)ci->AckFloor.Stream, ci->NumRedelivered};
    jsConsumerInfo_Destroy(ci);
    unsub(sub);
    CHECKF(ok, "ack pending %" PRId64 " ack floor %" PRId64 " redelivered %" PRId64, v[0],
           v[1], v[2]);
}

/* 3f. +WPI resets ack_wait: no redelivery while progress is reported, one ack_wait after. */
static void in_progress(void)
{
    CHECK(js);
    natsSubscription *sub = NULL;
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Config.AckPolicy = js_AckExplicit;
    so.Config.AckWait = 1000 * MS;
    so.Config.DeliverPolicy = js_DeliverNew;
    TRY(sub_sync(&sub, "AK", "ak.wpi", &so));
    CHECK(publish("ak.wpi", "slow") == NATS_OK); /* stream seq 14 */
    natsMsg *m = NULL;
    TRY(expect_msg(sub, 2000, 14, 1, 1, 0, &m));
    int64_t t0 = h_now_ms();
    /* working on it: progress at 600 ms and 1200 ms, beyond the first ack_wait */
    natsStatus st = NATS_OK;
    for (int i = 0; i < 2 && st == NATS_OK; i++) {
        natsMsg *early = NULL;
        natsStatus nst = natsSubscription_NextMsg(&early, sub, 600);
        natsMsg_Destroy(early);
        if (nst != NATS_TIMEOUT) {
            natsMsg_Destroy(m);
            CHECKF(nst == NATS_TIMEOUT, "redelivered while in progress, after %" PRId64 " ms",
                   h_now_ms() - t0);
        }
        st = natsMsg_InProgress(m, NULL);
    }
    int64_t last_wpi = h_now_ms();
    natsMsg_Destroy(m);
    CHECK(st == NATS_OK);
    /* no more progress: redelivered one ack_wait after the last +WPI */
    TRY(expect_msg(sub, 3000, 14, 2, 2, 0, &m));
    int64_t after = h_now_ms() - last_wpi;
    jsErrCode ec = 0;
    st = natsMsg_AckSync(m, NULL, &ec);
    natsMsg_Destroy(m);
    CHECK(st == NATS_OK);
    CHECKF(after >= 800, "redelivered %" PRId64 " ms after the last +WPI (ack_wait 1000)", after);
    unsub(sub);
}

/* 4. backoff [200ms, 600ms] with max_deliver 3. */
static void backoff(void)
{
    CHECK(js);
    CHECK(add_stream("BO", "bo.>") == NATS_OK);
    natsSubscription *sub = NULL;
    jsSubOptions so;
    jsSubOptions_Init(&so);
    int64_t bo[2] = {200 * MS, 600 * MS};
    so.Config.AckPolicy = js_AckExplicit;
    so.Config.BackOff = bo;
    so.Config.BackOffLen = 2;
    so.Config.MaxDeliver = 3;
    TRY(sub_sync(&sub, "BO", "bo.x", &so));
    jsConsumerInfo *ci = sub_info(sub);
    CHECK(ci);
    /* the first backoff is the ack_wait */
    bool ok = ci->Config->AckWait == 200 * MS && ci->Config->BackOffLen == 2 &&
              ci->Config->BackOff[1] == 600 * MS && ci->Config->MaxDeliver == 3;
    jsConsumerInfo_Destroy(ci);
    CHECK(ok);
    CHECK(publish("bo.x", "b") == NATS_OK);
    TRY(expect_msg(sub, 2000, 1, 1, 1, 0, NULL));
    int64_t t0 = h_now_ms();
    TRY(expect_msg(sub, 2000, 1, 2, 2, 0, NULL));
    int64_t t1 = h_now_ms();
    TRY(expect_msg(sub, 3000, 1, 3, 3, 0, NULL));
    int64_t t2 = h_now_ms();
    CHECKF(t1 - t0 >= 150 && t1 - t0 < 1500 && t2 - t1 >= 480 && t2 - t1 < 2500,
           "redeliveries after %" PRId64 " ms and %" PRId64 " ms (backoff 200, 600)", t1 - t0,
           t2 - t1);
    TRY(expect_none(sub, 1500, "after max_deliver 3"));
    unsub(sub);
}

/* 5. max_ack_pending 5: five out, then one more for each ack. */
static void max_ack_pending(void)
{
    CHECK(js);
    CHECK(add_stream("MAP", "map.>") == NATS_OK);
    CHECK(publish_n("map.a", "m", 12) == NATS_OK);
    natsSubscription *sub = NULL;
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Config.AckPolicy = js_AckExplicit;
    so.Config.MaxAckPending = 5;
    TRY(sub_sync(&sub, "MAP", "map.a", &so));
    natsMsg *out[12] = {0};
    for (int i = 0; i < 5; i++)
        TRY(expect_msg(sub, 2000, (uint64_t)i + 1, (uint64_t)i + 1, 1, (uint64_t)(11 - i),
                       &out[i]));
    TRY(expect_none(sub, 400, "five unacked"));
    jsConsumerInfo *ci = sub_info(sub);
    CHECK(ci);
    bool ok = ci->NumAckPending == 5 && ci->NumPending == 7 && ci->Delivered.Stream == 5;
    jsConsumerInfo_Destroy(ci);
    CHECK(ok);
    /* two acks: exactly two more */
    jsErrCode ec = 0;
    CHECK(natsMsg_AckSync(out[0], NULL, &ec) == NATS_OK);
    CHECK(natsMsg_AckSync(out[1], NULL, &ec) == NATS_OK);
    for (int i = 5; i < 7; i++)
        TRY(expect_msg(sub, 2000, (uint64_t)i + 1, (uint64_t)i + 1, 1, (uint64_t)(11 - i),
                       &out[i]));
    TRY(expect_none(sub, 400, "five unacked again"));
    /* all acked: the rest */
    for (int i = 2; i < 7; i++)
        CHECK(natsMsg_AckSync(out[i], NULL, &ec) == NATS_OK);
    for (int i = 7; i < 12; i++)
        TRY(expect_msg(sub, 2000, (uint64_t)i + 1, (uint64_t)i + 1, 1, (uint64_t)(11 - i),
                       &out[i]));
    for (int i = 7; i < 12; i++)
        CHECK(natsMsg_AckSync(out[i], NULL, &ec) == NATS_OK);
    for (int i = 0; i < 12; i++)
        natsMsg_Destroy(out[i]);
    ci = sub_info(sub);
    CHECK(ci);
    ok = ci->NumAckPending == 0 && ci->AckFloor.Stream == 12 && ci->Delivered.Consumer == 12 &&
         ci->Config->MaxAckPending == 5;
    jsConsumerInfo_Destroy(ci);
    CHECK(ok);
    unsub(sub);
}

/* 6. A deliver group with two members: every message exactly once across both. */
static void deliver_group(void)
{
    CHECK(js);
    CHECK(add_stream("QG", "qg.>") == NATS_OK);
    static collector c1, c2;
    collector_init(&c1, false);
    collector_init(&c2, false);
    natsSubscription *s1 = NULL, *s2 = NULL;
    collector *cs[2] = {&c1, &c2};
    natsSubscription **ss[2] = {&s1, &s2};
    for (int i = 0; i < 2; i++) {
        jsSubOptions so;
        jsSubOptions_Init(&so);
        so.Stream = "QG";
        so.Queue = "workers"; /* also the durable's name */
        so.Config.AckPolicy = js_AckExplicit;
        jsErrCode ec = 0;
        natsStatus st = js_Subscribe(ss[i], js, "qg.>", on_msg, cs[i], NULL, &so, &ec);
        CHECKF(st == NATS_OK, "member %d: status %d err_code %d: %.100s", i + 1, st, (int)ec,
               nats_GetLastError(NULL));
    }
    jsConsumerInfo *ci = NULL;
    jsErrCode ec = 0;
    CHECK(js_GetConsumerInfo(&ci, js, "QG", "workers", NULL, &ec) == NATS_OK);
    bool ok = ci->Config->DeliverGroup && strcmp(ci->Config->DeliverGroup, "workers") == 0 &&
              ci->PushBound;
    jsConsumerInfo_Destroy(ci);
    CHECK(ok);
    CHECK(publish_n("qg.a", "w", 40) == NATS_OK);
    int got = wait_collected(&c1, &c2, 40, 5000);
    h_sleep_ms(300); /* any duplicate would come now */
    got = collected(&c1) + collected(&c2);
    CHECKF(got == 40, "received %d (%d + %d), expected 40", got, c1.n, c2.n);
    int seen[41] = {0};
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < cs[k]->n; i++) {
            uint64_t s = cs[k]->r[i].md.sseq;
            CHECKF(s >= 1 && s <= 40, "stream seq %" PRIu64, s);
            seen[s]++;
            CHECKF(cs[k]->r[i].md.dc == 1, "seq %" PRIu64 " delivered %" PRIu64 " times", s,
                   cs[k]->r[i].md.dc);
        }
    for (int s = 1; s <= 40; s++)
        CHECKF(seen[s] == 1, "stream seq %d delivered %d times", s, seen[s]);
    CHECKF(c1.n > 0 && c2.n > 0, "one member got everything: %d + %d", c1.n, c2.n);
    /* libnats acks after each callback */
    ok = false;
    for (int64_t deadline = h_now_ms() + 2000; !ok && h_now_ms() < deadline;) {
        CHECK(js_GetConsumerInfo(&ci, js, "QG", "workers", NULL, &ec) == NATS_OK);
        ok = ci->NumAckPending == 0 && ci->AckFloor.Stream == 40 && ci->Delivered.Stream == 40;
        jsConsumerInfo_Destroy(ci);
        if (!ok)
            h_sleep_ms(20);
    }
    CHECK(ok);
    natsSubscription_Unsubscribe(s1);
    natsSubscription_Destroy(s1);
    natsSubscription_Destroy(s2);
    pthread_mutex_destroy(&c1.mu);
    pthread_mutex_destroy(&c2.mu);
    js_DeleteConsumer(js, "QG", "workers", NULL, &ec);
}

/* 7. headers_only: the headers and Nats-Msg-Size, no body. */
static void headers_only(void)
{
    CHECK(js);
    CHECK(add_stream("HO", "ho.>") == NATS_OK);
    for (int i = 0; i < 3; i++) {
        char body[200], foo[16];
        memset(body, 'a' + i, sizeof body);
        snprintf(foo, sizeof foo, "bar-%d", i);
        natsMsg *m = NULL;
        CHECK(natsMsg_Create(&m, "ho.h", NULL, body, 100 + i) == NATS_OK);
        natsMsgHeader_Set(m, "Foo", foo);
        jsErrCode ec = 0;
        natsStatus st = js_PublishMsg(NULL, js, m, NULL, &ec);
        natsMsg_Destroy(m);
        CHECK(st == NATS_OK);
    }
    CHECK(publish("ho.plain", "no hdrs") == NATS_OK); /* 7 bytes */
    natsSubscription *sub = NULL;
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Config.AckPolicy = js_AckNone;
    so.Config.HeadersOnly = true;
    TRY(sub_sync(&sub, "HO", "ho.>", &so));
    for (int i = 0; i < 4; i++) {
        natsMsg *m = NULL;
        TRY(expect_msg(sub, 2000, (uint64_t)i + 1, (uint64_t)i + 1, 1, (uint64_t)(3 - i), &m));
        const char *size = NULL, *foo = NULL;
        char want_size[16], want_foo[16];
        snprintf(want_size, sizeof want_size, "%d", i < 3 ? 100 + i : 7);
        snprintf(want_foo, sizeof want_foo, "bar-%d", i);
        natsMsgHeader_Get(m, "Nats-Msg-Size", &size);
        natsStatus fst = natsMsgHeader_Get(m, "Foo", &foo);
        bool ok = natsMsg_GetDataLength(m) == 0 && size && strcmp(size, want_size) == 0 &&
                  (i < 3 ? fst == NATS_OK && foo && strcmp(foo, want_foo) == 0
                         : fst == NATS_NOT_FOUND);
        int len = natsMsg_GetDataLength(m);
        char sz[32];
        snprintf(sz, sizeof sz, "%s", size ? size : "(none)");
        natsMsg_Destroy(m);
        CHECKF(ok, "message %d: body %d bytes, Nats-Msg-Size %.100s, Foo status %d", i + 1, len, sz,
               fst);
    }
    unsub(sub);
}

/* ---- 8. on the wire: a raw connection as the push consumer's subscriber ---- */

typedef struct rawmsg {
    char subject[128], sid[16], reply[192];
    char hdr[1024];   /* header block (NUL-terminated, truncated), "" for MSG */
    size_t plen;      /* payload bytes (after the headers) */
} rawmsg;

static char raw_body[70000 + 4096];

/* Reads the next MSG or HMSG (skipping +OK/PONG). 0, H_TIMEOUT, H_CLOSED or H_ERROR. */
static int raw_next(h_raw *r, rawmsg *m, int timeout_ms)
{
    char line[512];
    for (;;) {
        int n = h_raw_readline(r, line, sizeof line, timeout_ms);
        if (n < 0)
            return n;
        if (n == 0 || strcmp(line, "+OK") == 0 || strcmp(line, "PONG") == 0)
            continue;
        char *tok[7];
        int nt = 0;
        char *save = NULL;
        for (char *t = strtok_r(line, " ", &save); t && nt < 7; t = strtok_r(NULL, " ", &save))
            tok[nt++] = t;
        bool hmsg = nt > 0 && strcmp(tok[0], "HMSG") == 0;
        if (nt < 4 || (!hmsg && strcmp(tok[0], "MSG") != 0)) {
            fprintf(stderr, "raw: unexpected line '%s'\n", line);
            return H_ERROR;
        }
        int sizes = hmsg ? 2 : 1; /* trailing size tokens */
        if (nt != 3 + sizes && nt != 4 + sizes)
            return H_ERROR;
        snprintf(m->subject, sizeof m->subject, "%s", tok[1]);
        snprintf(m->sid, sizeof m->sid, "%s", tok[2]);
        snprintf(m->reply, sizeof m->reply, "%s", nt == 4 + sizes ? tok[3] : "");
        size_t hlen = hmsg ? strtoul(tok[nt - 2], NULL, 10) : 0;
        size_t tlen = strtoul(tok[nt - 1], NULL, 10);
        if (tlen + 2 > sizeof raw_body || hlen > tlen)
            return H_ERROR;
        int rc = h_raw_read_n(r, raw_body, tlen + 2, timeout_ms);
        if (rc != 0)
            return rc;
        size_t hcopy = hlen < sizeof m->hdr - 1 ? hlen : sizeof m->hdr - 1;
        memcpy(m->hdr, raw_body, hcopy);
        m->hdr[hcopy] = 0;
        m->plen = tlen - hlen;
        return 0;
    }
}

/* The value of a header line "Name: value" in a header block, "" when absent. */
static const char *hdr_value(const char *hdr, const char *name, char *out, size_t cap)
{
    out[0] = 0;
    size_t nl = strlen(name);
    for (const char *p = strstr(hdr, "\r\n"); p; p = strstr(p, "\r\n")) {
        p += 2;
        if (strncmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (*v == ' ')
                v++;
            size_t n = strcspn(v, "\r\n");
            if (n >= cap)
                n = cap - 1;
            memcpy(out, v, n);
            out[n] = 0;
            break;
        }
    }
    return out;
}

/* The stream sequence in a $JS.ACK reply subject (v1: 9 tokens, v2: 11 or 12), 0 if none. */
static uint64_t ack_sseq(const char *reply)
{
    if (strncmp(reply, "$JS.ACK.", 8) != 0)
        return 0;
    char copy[192];
    snprintf(copy, sizeof copy, "%s", reply);
    char *tok[12];
    int nt = 0;
    char *save = NULL;
    for (char *t = strtok_r(copy, ".", &save); t && nt < 12; t = strtok_r(NULL, ".", &save))
        tok[nt++] = t;
    if (nt == 9)
        return strtoull(tok[5], NULL, 10);
    if (nt >= 11)
        return strtoull(tok[7], NULL, 10);
    return 0;
}

static bool is_status(const rawmsg *m, const char *status_line)
{
    return strncmp(m->hdr, status_line, strlen(status_line)) == 0 &&
           (m->hdr[strlen(status_line)] == '\r');
}

#define WIRE_MSGS 48
#define WIRE_SIZE 65536

static void wire_heartbeat_flow_control(void)
{
    CHECK(js);
    CHECK(add_stream("WIRE", "wire.>") == NATS_OK);
    static h_raw r;
    CHECK(h_raw_handshake(&r, srv.port, NULL, NULL, 0) == 0);
    CHECK(h_raw_sends(&r, "SUB dlv 1\r\nSUB _R.api 2\r\n") == 0);
    const char *req = "{\"stream_name\":\"WIRE\",\"config\":{\"durable_name\":\"HB\","
                      "\"deliver_subject\":\"dlv\",\"flow_control\":true,"
                      "\"idle_heartbeat\":500000000,\"ack_policy\":\"none\","
                      "\"deliver_policy\":\"all\"}}";
    CHECK(h_raw_sendf(&r, "PUB $JS.API.CONSUMER.DURABLE.CREATE.WIRE.HB _R.api %zu\r\n%s\r\n",
                      strlen(req), req) == 0);
    rawmsg m;
    int rc = raw_next(&r, &m, 2000);
    CHECKF(rc == 0 && strcmp(m.subject, "_R.api") == 0, "create reply: rc %d subject %.100s", rc,
           rc == 0 ? m.subject : "");
    raw_body[m.plen] = 0;
    CHECKF(strstr(raw_body, "\"error\"") == NULL && strstr(raw_body, "\"flow_control\":true"),
           "create: %.100s", raw_body);

    /* idle: a heartbeat within about 500 ms, nothing delivered yet */
    int64_t t0 = h_now_ms();
    rc = raw_next(&r, &m, 2000);
    int64_t waited = h_now_ms() - t0;
    char v1[64], v2[64], v3[192];
    CHECKF(rc == 0 && strcmp(m.subject, "dlv") == 0 && m.plen == 0 && m.reply[0] == 0 &&
               is_status(&m, "NATS/1.0 100 Idle Heartbeat"),
           "expected an idle heartbeat: rc %d subject '%.100s' header '%.60s'", rc,
           rc == 0 ? m.subject : "", rc == 0 ? m.hdr : "");
    CHECKF(strcmp(hdr_value(m.hdr, "Nats-Last-Consumer", v1, sizeof v1), "0") == 0 &&
               strcmp(hdr_value(m.hdr, "Nats-Last-Stream", v2, sizeof v2), "0") == 0 &&
               hdr_value(m.hdr, "Nats-Consumer-Stalled", v3, sizeof v3)[0] == 0,
           "heartbeat headers: last consumer '%.100s' last stream '%.100s' stalled '%.100s'", v1, v2, v3);
    CHECKF(waited >= 300 && waited < 1800, "first heartbeat after %" PRId64 " ms", waited);

    /* 3 MiB in 64 KiB messages: a flow control request at half the window, the stall at the
     * window (nats-server: 2 MiB to start with), which idle heartbeats then report */
    static char big[WIRE_SIZE];
    for (int i = 0; i < WIRE_MSGS; i++) {
        memset(big, 'A' + i % 26, sizeof big);
        jsErrCode ec = 0;
        CHECK(js_Publish(NULL, js, "wire.data", big, sizeof big, NULL, &ec) == NATS_OK);
    }
    int data = 0;
    size_t bytes = 0;
    uint64_t last_sseq = 0;
    char fc[192] = "";
    bool stalled_hb = false;
    int64_t deadline = h_now_ms() + 4000;
    while (!stalled_hb && h_now_ms() < deadline) {
        rc = raw_next(&r, &m, 1500);
        CHECKF(rc == 0, "phase 1: rc %d after %d messages", rc, data);
        bool hb = is_status(&m, "NATS/1.0 100 Idle Heartbeat");
        bool fcr = is_status(&m, "NATS/1.0 100 FlowControl Request");
        /* data keeps the subject it was published with; statuses come on the deliver subject */
        CHECKF(strcmp(m.sid, "1") == 0 && strcmp(m.subject, hb || fcr ? "dlv" : "wire.data") == 0,
               "phase 1: message on '%.100s' sid %.100s reply '%.100s' header '%.60s'", m.subject, m.sid,
               m.reply, m.hdr);
        if (!hb && !fcr) {
            uint64_t s = ack_sseq(m.reply);
            CHECKF(s == last_sseq + 1 && m.plen == WIRE_SIZE,
                   "data message %d: reply '%.100s' (expected stream seq %" PRIu64 ") %zu bytes",
                   data + 1, m.reply, last_sseq + 1, m.plen);
            last_sseq = s;
            data++;
            bytes += m.plen;
        } else if (fcr) {
            CHECKF(strncmp(m.reply, "$JS.FC.", 7) == 0 && m.plen == 0,
                   "flow control reply subject '%.100s'", m.reply);
            snprintf(fc, sizeof fc, "%s", m.reply); /* not answered */
        } else {
            hdr_value(m.hdr, "Nats-Consumer-Stalled", v3, sizeof v3);
            if (v3[0]) {
                stalled_hb = true;
                hdr_value(m.hdr, "Nats-Last-Stream", v2, sizeof v2);
                CHECKF(strcmp(v3, fc) == 0 && strtoull(v2, NULL, 10) == last_sseq,
                       "stalled heartbeat: stalled '%.100s' (last request '%.100s'), last stream %.100s "
                       "(delivered up to %" PRIu64 ")", v3, fc, v2, last_sseq);
            }
        }
    }
    CHECKF(fc[0] && stalled_hb, "flow control request '%.100s', stalled heartbeat %d", fc,
           stalled_hb);
    CHECKF(data > 0 && data < WIRE_MSGS && bytes <= 2560 * 1024,
           "stalled after %d messages, %zu bytes", data, bytes);
    /* still stalled a moment later */
    t0 = h_now_ms();
    while (h_now_ms() - t0 < 700) {
        rc = raw_next(&r, &m, 700);
        if (rc == H_TIMEOUT)
            break;
        CHECK(rc == 0);
        CHECKF(m.reply[0] == 0 || strncmp(m.reply, "$JS.FC.", 7) == 0,
               "delivered while stalled: '%.100s'", m.reply);
        if (m.reply[0])
            snprintf(fc, sizeof fc, "%s", m.reply);
    }

    /* answer: deliveries go on to the end, every further request answered at once */
    CHECK(h_raw_sendf(&r, "PUB %s 0\r\n\r\n", fc) == 0);
    int answered_at = 0; /* messages read since the last answer */
    int hb_after = 0;
    deadline = h_now_ms() + 5000;
    while ((data < WIRE_MSGS || hb_after < 2) && h_now_ms() < deadline) {
        rc = raw_next(&r, &m, 1500);
        CHECKF(rc == 0, "phase 2: rc %d after %d messages", rc, data);
        answered_at++;
        if (is_status(&m, "NATS/1.0 100 FlowControl Request")) {
            CHECK(h_raw_sendf(&r, "PUB %s 0\r\n\r\n", m.reply) == 0);
            answered_at = 0;
            hb_after = 0;
        } else if (is_status(&m, "NATS/1.0 100 Idle Heartbeat")) {
            if (data == WIRE_MSGS && answered_at > 0 && ++hb_after == 2) {
                hdr_value(m.hdr, "Nats-Last-Consumer", v1, sizeof v1);
                hdr_value(m.hdr, "Nats-Last-Stream", v2, sizeof v2);
                hdr_value(m.hdr, "Nats-Consumer-Stalled", v3, sizeof v3);
                CHECKF(strcmp(v1, "48") == 0 && strcmp(v2, "48") == 0 && v3[0] == 0,
                       "final heartbeat: last consumer '%.100s' last stream '%.100s' stalled '%.100s'", v1,
                       v2, v3);
            }
        } else {
            uint64_t s = ack_sseq(m.reply);
            CHECKF(s == last_sseq + 1 && m.plen == WIRE_SIZE &&
                       strcmp(m.subject, "wire.data") == 0 && strcmp(m.sid, "1") == 0,
                   "data message %d: subject '%.100s' reply '%.100s' %zu bytes", data + 1, m.subject,
                   m.reply, m.plen);
            last_sseq = s;
            data++;
            bytes += m.plen;
        }
    }
    CHECKF(data == WIRE_MSGS && bytes == (size_t)WIRE_MSGS * WIRE_SIZE && hb_after == 2,
           "delivered %d messages, %zu bytes; heartbeats after the end %d", data, bytes,
           hb_after);
    h_raw_close(&r);
    jsErrCode ec = 0;
    js_DeleteConsumer(js, "WIRE", "HB", NULL, &ec);
}

/* 9. Ordered consumer: in order, and again in order after its consumer is deleted. */
static void ordered_consumer(void)
{
    CHECK(js);
    CHECK(add_stream("ORD", "ord.>") == NATS_OK);
    CHECK(publish_n("ord.a", "o", 20) == NATS_OK);
    static collector c;
    collector_init(&c, false);
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = "ORD";
    so.Ordered = true;
    so.Config.Heartbeat = 250 * MS;
    natsSubscription *sub = NULL;
    jsErrCode ec = 0;
    natsStatus st = js_Subscribe(&sub, js, "ord.>", on_msg, &c, NULL, &so, &ec);
    CHECKF(st == NATS_OK, "js_Subscribe ordered: status %d err_code %d: %.100s", st, (int)ec,
           nats_GetLastError(NULL));
    int got = wait_collected(&c, NULL, 20, 3000);
    CHECKF(got == 20, "received %d of 20", got);
    for (int i = 0; i < 20; i++)
        CHECKF(c.r[i].md.sseq == (uint64_t)i + 1 && c.r[i].md.cseq == (uint64_t)i + 1 &&
                   c.r[i].md.dc == 1 && c.r[i].md.pending == (uint64_t)(19 - i),
               "message %d: sseq %" PRIu64 " cseq %" PRIu64 " pending %" PRIu64, i,
               c.r[i].md.sseq, c.r[i].md.cseq, c.r[i].md.pending);
    jsConsumerInfo *ci = sub_info(sub);
    CHECK(ci);
    char name[128];
    snprintf(name, sizeof name, "%s", ci->Name);
    bool ok = ci->Config->AckPolicy == js_AckNone && ci->Config->FlowControl &&
              ci->Config->Heartbeat == 250 * MS && ci->Config->MaxDeliver == 1 &&
              (ci->Config->Durable == NULL || ci->Config->Durable[0] == 0);
    jsConsumerInfo_Destroy(ci);
    CHECK(ok);

    /* more while it runs */
    CHECK(publish_n("ord.b", "p", 5) == NATS_OK);
    got = wait_collected(&c, NULL, 25, 3000);
    CHECKF(got == 25, "received %d of 25", got);

    /* delete the consumer by hand: after missed heartbeats libnats makes a new one that
     * starts after the last stream sequence it saw */
    char subj[192], resp[1024];
    snprintf(subj, sizeof subj, "$JS.API.CONSUMER.DELETE.ORD.%s", name);
    CHECK(api(subj, "", resp, sizeof resp) == NATS_OK);
    CHECKF(strstr(resp, "\"success\":true"), "delete: %.100s", resp);
    CHECK(publish_n("ord.c", "q", 15) == NATS_OK);
    got = wait_collected(&c, NULL, 40, 6000);
    h_sleep_ms(200);
    got = collected(&c);
    CHECKF(got == 40, "received %d of 40 after the consumer was deleted", got);
    for (int i = 0; i < 40; i++)
        CHECKF(c.r[i].md.sseq == (uint64_t)i + 1,
               "position %d: stream seq %" PRIu64 " (gap or duplicate)", i, c.r[i].md.sseq);
    /* the new consumer counts from 1 again */
    CHECKF(c.r[25].md.cseq == 1 && c.r[39].md.cseq == 15 && c.r[39].md.pending == 0,
           "after reset: cseq %" PRIu64 " .. %" PRIu64 " pending %" PRIu64, c.r[25].md.cseq,
           c.r[39].md.cseq, c.r[39].md.pending);
    ci = sub_info(sub);
    CHECK(ci);
    ok = strcmp(ci->Name, name) != 0 && ci->Delivered.Stream == 40;
    jsConsumerInfo_Destroy(ci);
    CHECK(ok);
    unsub(sub);
    pthread_mutex_destroy(&c.mu);
}

/* 11. Push configurations nats-server refuses, with its err_code. */
static void bad_push_config(void)
{
    CHECK(js);
    CHECK(add_stream("BAD", "bad.>") == NATS_OK);
    struct {
        const char *what, *config;
        long long err_code;
    } cases[] = {
        {"wildcard deliver subject", "\"deliver_subject\":\"dlv.*\"", 10079},
        {"deliver subject in the stream", "\"deliver_subject\":\"bad.loop\"", 10081},
        {"flow control without heartbeat", "\"deliver_subject\":\"dlv.b\",\"flow_control\":true",
         10108},
        {"max_waiting on push", "\"deliver_subject\":\"dlv.b\",\"max_waiting\":5", 10080},
        {"heartbeat under 100ms", "\"deliver_subject\":\"dlv.b\",\"idle_heartbeat\":50000000",
         10083},
        {"max_ack_pending with ack none",
         "\"deliver_subject\":\"dlv.b\",\"ack_policy\":\"none\",\"max_ack_pending\":5", 10082},
        {"backoff longer than max_deliver",
         "\"deliver_subject\":\"dlv.b\",\"ack_policy\":\"explicit\",\"max_deliver\":2,"
         "\"backoff\":[100000000,200000000]", 10116},
        {"heartbeat on pull", "\"ack_policy\":\"explicit\",\"idle_heartbeat\":1000000000", 10088},
        {"flow control on pull", "\"ack_policy\":\"explicit\",\"flow_control\":true", 10089},
        {"rate limit on pull", "\"ack_policy\":\"explicit\",\"rate_limit_bps\":1000", 10086},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char body[512], resp[1024];
        snprintf(body, sizeof body,
                 "{\"stream_name\":\"BAD\",\"config\":{\"durable_name\":\"B%zu\","
                 "\"deliver_policy\":\"all\",%s%s}}",
                 i, strstr(cases[i].config, "ack_policy") ? "" : "\"ack_policy\":\"none\",",
                 cases[i].config);
        char subj[96];
        snprintf(subj, sizeof subj, "$JS.API.CONSUMER.DURABLE.CREATE.BAD.B%zu", i);
        CHECKF(api(subj, body, resp, sizeof resp) == NATS_OK, "%.100s: no reply", cases[i].what);
        long long code = json_int(resp, "err_code");
        CHECKF(code == cases[i].err_code && json_int(resp, "code") == 400,
               "%.100s: expected err_code %lld, got %.100s", cases[i].what, cases[i].err_code, resp);
    }
    /* none of them exists */
    jsErrCode ec = 0;
    jsStreamInfo *si = NULL;
    CHECK(js_GetStreamInfo(&si, js, "BAD", NULL, &ec) == NATS_OK);
    int consumers = si->State.Consumers;
    jsStreamInfo_Destroy(si);
    CHECKF(consumers == 0, "%d consumers on BAD", consumers);
    /* and libnats's own call reports the same code */
    jsConsumerConfig cc;
    jsConsumerConfig_Init(&cc);
    cc.Durable = "LIB";
    cc.DeliverSubject = "dlv.lib";
    cc.AckPolicy = js_AckNone;
    cc.FlowControl = true;
    ec = 0;
    CHECK(js_AddConsumer(NULL, js, "BAD", &cc, NULL, &ec) != NATS_OK);
    CHECKF(ec == 10108, "js_AddConsumer: err_code %d", (int)ec);
}

/* 12a. rate_limit_bps 100 KiB/s: 300 KiB take about 3 s. */
/* A push consumer someone receives cannot be moved to another deliver subject (10013, as the
 * concurrent js_Subscribe calls of nats.c's tests expect); once nobody receives, it can. The
 * requested num_replicas is shown back (ordered consumers ask for 1). */
static void deliver_subject_in_use(void)
{
    CHECK(js);
    CHECK(add_stream("DSU", "dsu.>") == NATS_OK);
    char resp[2048];
    natsSubscription *a = NULL;
    CHECK(natsConnection_SubscribeSync(&a, nc, "dsuin.a") == NATS_OK);
    CHECK(natsConnection_Flush(nc) == NATS_OK);
    const char *mk = "{\"stream_name\":\"DSU\",\"config\":{\"durable_name\":\"D\","
                     "\"deliver_subject\":\"%s\",\"ack_policy\":\"explicit\","
                     "\"num_replicas\":1}}";
    char body[512];
    snprintf(body, sizeof body, mk, "dsuin.a");
    CHECK(api("$JS.API.CONSUMER.DURABLE.CREATE.DSU.D", body, resp, sizeof resp) == NATS_OK);
    CHECKF(json_int(resp, "num_replicas") == 1 && !strstr(resp, "\"error\""), "%.300s", resp);
    snprintf(body, sizeof body, mk, "dsuin.b");
    CHECK(api("$JS.API.CONSUMER.DURABLE.CREATE.DSU.D", body, resp, sizeof resp) == NATS_OK);
    CHECKF(json_int(resp, "err_code") == 10013, "moved while bound: %.300s", resp);
    natsSubscription_Destroy(a);
    CHECK(natsConnection_Flush(nc) == NATS_OK);
    CHECK(api("$JS.API.CONSUMER.DURABLE.CREATE.DSU.D", body, resp, sizeof resp) == NATS_OK);
    CHECKF(strstr(resp, "\"deliver_subject\":\"dsuin.b\"") != NULL, "moved: %.300s", resp);
}

/* A subscriber of the deliver subject makes the consumer push bound at once: consumer info
 * asked for in the same breath as the creation (one write: SUB, create, info) says
 * push_bound, as with nats-server; clients decide from it whether they may attach. */
static void push_bound_at_once(void)
{
    CHECK(js);
    CHECK(add_stream("PBA", "pba.>") == NATS_OK);
    static h_raw r;
    CHECK(h_raw_handshake(&r, srv.port, NULL, NULL, 0) == 0);
    const char *req = "{\"stream_name\":\"PBA\",\"config\":{\"durable_name\":\"PB\","
                      "\"deliver_subject\":\"pbadlv\",\"ack_policy\":\"explicit\"}}";
    CHECK(h_raw_sendf(&r,
                      "SUB pbadlv 1\r\nSUB _R.pba.* 2\r\n"
                      "PUB $JS.API.CONSUMER.DURABLE.CREATE.PBA.PB _R.pba.1 %zu\r\n%s\r\n"
                      "PUB $JS.API.CONSUMER.INFO.PBA.PB _R.pba.2 0\r\n\r\n",
                      strlen(req), req) == 0);
    bool created = false, bound = false;
    for (int i = 0; i < 2; i++) {
        rawmsg m;
        int rc = raw_next(&r, &m, 2000);
        CHECKF(rc == 0, "reply %d: rc %d", i + 1, rc);
        raw_body[m.plen] = 0;
        if (strcmp(m.subject, "_R.pba.1") == 0)
            created = strstr(raw_body, "\"error\"") == NULL;
        else if (strcmp(m.subject, "_R.pba.2") == 0)
            bound = strstr(raw_body, "\"push_bound\":true") != NULL;
        CHECKF(strcmp(m.subject, "_R.pba.2") || bound, "info: %.300s", raw_body);
    }
    CHECK(created && bound);
    h_raw_close(&r);
}

typedef struct race {
    pthread_mutex_t mu;
    int attached, refused;
    natsSubscription *subs[10];
} race;

static void race_msg(natsConnection *c, natsSubscription *sub, natsMsg *m, void *closure)
{
    natsMsg_Destroy(m);
}

static void *race_subscribe(void *arg)
{
    race *rc = arg;
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = "RACE";
    so.Config.Durable = "shared";
    natsSubscription *sub = NULL;
    natsStatus st = js_Subscribe(&sub, js, "race.x", race_msg, NULL, NULL, &so, NULL);
    pthread_mutex_lock(&rc->mu);
    if (st == NATS_OK)
        rc->subs[rc->attached++] = sub;
    else
        rc->refused++;
    pthread_mutex_unlock(&rc->mu);
    return NULL;
}

/* Ten threads subscribe to the same new durable push consumer at once (nats.c's
 * JetStreamSubscribe does): exactly one gets it, the others are told it is bound. Several
 * rounds, since the threads' requests interleave differently each time. */
static void concurrent_durable_subscribe(void)
{
    CHECK(js);
    for (int round = 0; round < 8; round++) {
        jsErrCode ec = 0;
        js_DeleteStream(js, "RACE", NULL, &ec);
        CHECK(add_stream("RACE", "race.>") == NATS_OK);
        race rc = {.attached = 0, .refused = 0};
        pthread_mutex_init(&rc.mu, NULL);
        pthread_t t[10];
        for (int i = 0; i < 10; i++)
            CHECK(pthread_create(&t[i], NULL, race_subscribe, &rc) == 0);
        for (int i = 0; i < 10; i++)
            pthread_join(t[i], NULL);
        for (int i = 0; i < rc.attached; i++)
            natsSubscription_Destroy(rc.subs[i]);
        pthread_mutex_destroy(&rc.mu);
        CHECKF(rc.attached == 1 && rc.refused == 9, "round %d: %d attached, %d refused", round,
               rc.attached, rc.refused);
    }
}

static void rate_limit(void)
{
    CHECK(js);
    /* the limiter's burst is the stream's max_msg_size (else the 1 MB max payload) */
    CHECK(add_stream2("RL", "rl.>", NULL, 2048) == NATS_OK);
    static char kib[1024];
    memset(kib, 'r', sizeof kib);
    for (int i = 0; i < 300; i++) {
        jsErrCode ec = 0;
        CHECK(js_Publish(NULL, js, "rl.x", kib, sizeof kib, NULL, &ec) == NATS_OK);
    }
    natsSubscription *sub = NULL;
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Config.AckPolicy = js_AckNone;
    so.Config.RateLimit = 8 * 100 * 1024;
    int64_t t0 = h_now_ms();
    TRY(sub_sync(&sub, "RL", "rl.x", &so));
    for (int i = 0; i < 300; i++)
        TRY(expect_msg(sub, 3000, (uint64_t)i + 1, (uint64_t)i + 1, 1, (uint64_t)(299 - i),
                       NULL));
    int64_t took = h_now_ms() - t0;
    jsConsumerInfo *ci = sub_info(sub);
    bool ok = ci && ci->Config->RateLimit == 8 * 100 * 1024;
    jsConsumerInfo_Destroy(ci);
    unsub(sub);
    CHECK(ok);
    CHECKF(took >= 2000 && took < 15000, "300 KiB at 100 KiB/s took %" PRId64 " ms", took);
}

/* 12b. replay_policy original: the gaps between publishes come back. */
static void replay_original(void)
{
    CHECK(js);
    CHECK(add_stream("RP", "rp.>") == NATS_OK);
    for (int i = 0; i < 4; i++) {
        if (i)
            h_sleep_ms(300);
        char data[8];
        snprintf(data, sizeof data, "r%d", i + 1);
        CHECK(publish("rp.x", data) == NATS_OK);
    }
    natsSubscription *sub = NULL;
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Config.AckPolicy = js_AckNone;
    so.Config.ReplayPolicy = js_ReplayOriginal;
    TRY(sub_sync(&sub, "RP", "rp.x", &so));
    int64_t at[4];
    for (int i = 0; i < 4; i++) {
        TRY(expect_msg(sub, 3000, (uint64_t)i + 1, (uint64_t)i + 1, 1, (uint64_t)(3 - i), NULL));
        at[i] = h_now_ms();
    }
    unsub(sub);
    for (int i = 1; i < 4; i++)
        CHECKF(at[i] - at[i - 1] >= 200 && at[i] - at[i - 1] < 2000,
               "gap %d: %" PRId64 " ms (published 300 ms apart)", i, at[i] - at[i - 1]);
}

static void reconnect(void)
{
    jsCtx_Destroy(js);
    js = NULL;
    natsConnection_Destroy(nc);
    nc = NULL;
    if (h_connect(&srv, NULL, &nc, NULL, 0) == NATS_OK)
        natsConnection_JetStream(&js, nc, NULL);
}

/* 10. A chat user's durable push consumer: reads and acks three messages, leaves (the
 * subscription destroyed, the durable kept), the server restarts, four more come in, and on
 * resubscribing she gets exactly those four, in order. */
static void chat_durable_resume(void)
{
    CHECK(js);
    CHECK(add_stream("CHAT", "chat.room.*") == NATS_OK);
    CHECK(publish_n("chat.room.1", "hi", 3) == NATS_OK); /* 1..3 */
    CHECK(publish("chat.room.2", "elsewhere") == NATS_OK); /* 4 */
    natsSubscription *sub = NULL;
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Config.Durable = "alice";
    so.Config.AckPolicy = js_AckExplicit;
    TRY(sub_sync(&sub, "CHAT", "chat.room.1", &so));
    jsErrCode ec = 0;
    for (int i = 0; i < 3; i++) {
        natsMsg *m = NULL;
        TRY(expect_msg(sub, 2000, (uint64_t)i + 1, (uint64_t)i + 1, 1, (uint64_t)(2 - i), &m));
        char want[16];
        snprintf(want, sizeof want, "hi%d", i + 1);
        bool ok = data_is(m, want) && natsMsg_AckSync(m, NULL, &ec) == NATS_OK;
        natsMsg_Destroy(m);
        CHECK(ok);
    }
    /* leave without deleting the consumer (libnats 3.4: Destroy does not delete it) */
    natsSubscription_Destroy(sub);
    sub = NULL;
    natsConnection_Flush(nc);
    jsConsumerInfo *ci = NULL;
    CHECK(js_GetConsumerInfo(&ci, js, "CHAT", "alice", NULL, &ec) == NATS_OK);
    /* stream seq 4 (the other room) counts as passed once the consumer has looked at it:
     * nats-server reports delivered stream 4 and ack floor 4, 3 would do as well */
    bool ok = ci->Delivered.Consumer == 3 && ci->AckFloor.Consumer == 3 &&
              (ci->AckFloor.Stream == 3 || ci->AckFloor.Stream == 4) &&
              (ci->Delivered.Stream == 3 || ci->Delivered.Stream == 4) &&
              ci->NumAckPending == 0 && ci->NumPending == 0 && ci->Config->DeliverSubject;
    int64_t v[5] = {(int64_t)ci->Delivered.Consumer, (int64_t)ci->Delivered.Stream,
                    (int64_t)ci->AckFloor.Stream, ci->NumAckPending, (int64_t)ci->NumPending};
    jsConsumerInfo_Destroy(ci);
    CHECKF(ok, "after leaving: delivered %" PRId64 "/%" PRId64 " ack floor %" PRId64
           " ack pending %" PRId64 " pending %" PRId64, v[0], v[1], v[2], v[3], v[4]);

    jsCtx_Destroy(js);
    js = NULL;
    natsConnection_Destroy(nc);
    nc = NULL;
    CHECK(h_server_restart(&srv) == 0);
    reconnect();
    CHECK(js);
    CHECK(publish("chat.room.1", "new1") == NATS_OK); /* 5 */
    CHECK(publish("chat.room.1", "new2") == NATS_OK); /* 6 */
    CHECK(publish("chat.room.2", "other") == NATS_OK); /* 7 */
    CHECK(publish("chat.room.1", "new3") == NATS_OK); /* 8 */
    CHECK(publish("chat.room.1", "new4") == NATS_OK); /* 9 */
    CHECK(js_GetConsumerInfo(&ci, js, "CHAT", "alice", NULL, &ec) == NATS_OK);
    ok = ci->Delivered.Consumer == 3 && ci->AckFloor.Consumer == 3 && ci->NumPending == 4 &&
         !ci->PushBound;
    uint64_t pend = ci->NumPending;
    jsConsumerInfo_Destroy(ci);
    CHECKF(ok, "after restart: pending %" PRIu64, pend);

    /* back: bound to the existing durable by its name */
    jsSubOptions_Init(&so);
    so.Config.Durable = "alice";
    so.Config.AckPolicy = js_AckExplicit;
    TRY(sub_sync(&sub, "CHAT", "chat.room.1", &so));
    const uint64_t seqs[] = {5, 6, 8, 9};
    for (int i = 0; i < 4; i++) {
        natsMsg *m = NULL;
        TRY(expect_msg(sub, 2000, seqs[i], (uint64_t)i + 4, 1, (uint64_t)(3 - i), &m));
        char want[16];
        snprintf(want, sizeof want, "new%d", i + 1);
        ok = data_is(m, want) && natsMsg_AckSync(m, NULL, &ec) == NATS_OK;
        natsMsg_Destroy(m);
        CHECKF(ok, "message %d", i + 1);
    }
    TRY(expect_none(sub, 400, "after the unread ones"));
    /* (natsSubscription_GetConsumerInfo refuses a subscription bound this way in libnats 3.4) */
    CHECK(js_GetConsumerInfo(&ci, js, "CHAT", "alice", NULL, &ec) == NATS_OK);
    ok = ci->NumAckPending == 0 && ci->NumPending == 0 && ci->AckFloor.Stream == 9 &&
         ci->AckFloor.Consumer == 7 && ci->PushBound;
    jsConsumerInfo_Destroy(ci);
    CHECK(ok);
    natsSubscription_Destroy(sub);
}

int main(void)
{
    h_init();
    h_start_js(&srv, &nc, &js);
    RUN(push_async_durable);
    RUN(deliver_policies);
    RUN(ack_none);
    RUN(ack_all);
    RUN(ack_wait_max_deliver);
    RUN(nak_delay);
    RUN(term);
    RUN(in_progress);
    RUN(backoff);
    RUN(max_ack_pending);
    RUN(deliver_group);
    RUN(headers_only);
    RUN(wire_heartbeat_flow_control);
    RUN(ordered_consumer);
    RUN(bad_push_config);
    RUN(deliver_subject_in_use);
    RUN(push_bound_at_once);
    RUN(concurrent_durable_subscribe);
    RUN(rate_limit);
    RUN(replay_original);
    RUN(chat_durable_resume);
    return h_end_js(&srv, nc, js, testlib_failed_cases);
}

/*
 * test_iop_retention.c — stream retention and consumer management through libnats's JetStream
 * API and raw JSON API requests: interest retention (no consumers, two consumers, filtered
 * consumers, deleting a consumer, ack policy none), workqueue retention (removal on ack, the
 * consumer rules with their err_codes, partitions by filter), consumer updates (what may change
 * and what is refused, the create / update actions), the pull request limits of a consumer
 * (max_batch, max_expires, max_bytes, max_waiting), consumer pause (nats-server 2.11; run only
 * against weir), and pull consumers that deliver by start time or last per subject.
 *
 * Every case except consumer_pause passes against nats-server 2.9 too
 * (WEIR_SERVER=/usr/sbin/nats-server). Behaviour newer than 2.9 (the create / update actions)
 * is checked only when INFO.version is 2.10 or later; there 2.9's own answer is asserted
 * instead. Where nats-server versions give different texts for the same request, either text
 * is accepted (noted at the place).
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "test/interop/harness.h"
#include "test/testlib.h"

static h_server srv;
static natsConnection *nc;
static jsCtx *js;
static int server_minor; /* nats-server 2.<minor> that the server is or emulates */

/* ---- helpers ---- */

static json_int_t jint(json_t *j, const char *path1, const char *path2)
{
    json_t *v = json_object_get(j, path1);
    if (path2)
        v = json_object_get(v, path2);
    return json_is_integer(v) ? json_integer_value(v) : -999999;
}

static const char *jstr(json_t *j, const char *path1, const char *path2)
{
    json_t *v = json_object_get(j, path1);
    if (path2)
        v = json_object_get(v, path2);
    return json_is_string(v) ? json_string_value(v) : "";
}

static int err_code(json_t *j)
{
    return (int)jint(json_object_get(j, "error"), "err_code", NULL);
}

static const char *err_desc(json_t *j)
{
    return jstr(json_object_get(j, "error"), "description", NULL);
}

/* Creates (or updates) consumer `name` of `stream` with a raw CONSUMER.CREATE request; cfg is
 * the inside of the config object without the durable name, action the action or NULL. */
static json_t *create_raw(const char *stream, const char *name, const char *action, const char *cfg)
{
    char subj[256], body[2048];
    snprintf(subj, sizeof subj, "$JS.API.CONSUMER.CREATE.%s.%s", stream, name);
    char act[64] = "";
    if (action)
        snprintf(act, sizeof act, ",\"action\":\"%s\"", action);
    snprintf(body, sizeof body,
             "{\"stream_name\":\"%s\"%s,\"config\":{\"durable_name\":\"%s\"%s%s}}", stream, act,
             name, cfg[0] ? "," : "", cfg);
    return h_js_api(nc, subj, body);
}

/* 0 when a raw create succeeded, else its err_code (-1: no reply). */
static int create_code(const char *stream, const char *name, const char *action, const char *cfg,
                       char *desc, size_t cap)
{
    json_t *j = create_raw(stream, name, action, cfg);
    if (!j)
        return -1;
    int code = json_object_get(j, "error") ? err_code(j) : 0;
    if (desc)
        snprintf(desc, cap, "%s", err_desc(j));
    if (code == 0 && strcmp(jstr(j, "name", NULL), name) != 0)
        code = -2;
    json_decref(j);
    return code;
}

static natsStatus add_stream(const char *name, const char *subject, jsRetentionPolicy ret)
{
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = name;
    const char *subjects[1] = {subject};
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    cfg.Retention = ret;
    jsErrCode ec = 0;
    return js_AddStream(NULL, js, &cfg, NULL, &ec);
}

/* Publishes and returns the acked sequence (0 on failure). */
static uint64_t pub(const char *subject, const char *data)
{
    jsPubAck *pa = NULL;
    jsErrCode ec = 0;
    uint64_t seq = 0;
    if (js_Publish(&pa, js, subject, data, (int)strlen(data), NULL, &ec) == NATS_OK)
        seq = pa->Sequence;
    jsPubAck_Destroy(pa);
    return seq;
}

static natsStatus add_pull(const char *stream, const char *durable, const char *filter,
                           jsAckPolicy ack)
{
    jsConsumerConfig cc;
    jsConsumerConfig_Init(&cc);
    cc.Durable = durable;
    cc.AckPolicy = ack;
    cc.FilterSubject = filter;
    jsErrCode ec = 0;
    return js_AddConsumer(NULL, js, stream, &cc, NULL, &ec);
}

/* A libnats pull subscription bound to an existing consumer. */
static natsSubscription *bind_pull(const char *stream, const char *consumer)
{
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = stream;
    so.Consumer = consumer;
    natsSubscription *sub = NULL;
    jsErrCode ec = 0;
    if (js_PullSubscribe(&sub, js, NULL, NULL, NULL, &so, &ec) != NATS_OK) {
        fprintf(stderr, "bind %s/%s failed: %s (%d)\n", stream, consumer, nats_GetLastError(NULL),
                (int)ec);
        return NULL;
    }
    return sub;
}

/* Expect the stream to hold msgs messages, first..last (0: not checked). */
#define CHECK_STATE(name, m, f, l)                                                                 \
    do {                                                                                           \
        h_stream_state s_;                                                                         \
        bool w_ = h_wait_stream_state(js, name, m, 0, 1500, &s_);                                  \
        CHECKF(w_ && ((f) == 0 || s_.first == (uint64_t)(f)) &&                                    \
                   ((l) == 0 || s_.last == (uint64_t)(l)),                                         \
               "%s: msgs %" PRIu64 " first %" PRIu64 " last %" PRIu64 ", want %d %d %d", name,     \
               s_.msgs, s_.first, s_.last, (int)(m), (int)(f), (int)(l));                          \
    } while (0)

/* The fields of an ack reply subject: $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.
 * <ts>.<pending>, or the form with domain and account hash ahead of the stream (12 tokens). */
static bool parse_ack(const char *reply, uint64_t *dc, uint64_t *sseq, uint64_t *pending)
{
    if (!reply)
        return false;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", reply);
    char *tok[16];
    int n = 0;
    for (char *save = NULL, *t = strtok_r(buf, ".", &save); t && n < 16;
         t = strtok_r(NULL, ".", &save))
        tok[n++] = t;
    int base;
    if (n == 9)
        base = 2;
    else if (n >= 11)
        base = 4;
    else
        return false;
    if (strcmp(tok[0], "$JS") != 0 || strcmp(tok[1], "ACK") != 0)
        return false;
    *dc = strtoull(tok[base + 2], NULL, 10);
    *sseq = strtoull(tok[base + 3], NULL, 10);
    *pending = strtoull(tok[base + 6], NULL, 10);
    return true;
}

static uint64_t msg_sseq(natsMsg *m)
{
    uint64_t dc, sseq, pend;
    return parse_ack(natsMsg_GetReply(m), &dc, &sseq, &pend) ? sseq : 0;
}

static uint64_t msg_pending(natsMsg *m)
{
    uint64_t dc, sseq, pend;
    return parse_ack(natsMsg_GetReply(m), &dc, &sseq, &pend) ? pend : UINT64_MAX;
}

/* Acks a message by a request to its reply subject and waits for the server's answer. */
static natsStatus ack_raw(natsMsg *m)
{
    natsMsg *r = NULL;
    natsStatus st = natsConnection_RequestString(&r, nc, natsMsg_GetReply(m), "+ACK", 2000);
    natsMsg_Destroy(r);
    return st;
}

/* What a raw pull request got: messages until `want` came or a status (not 100) arrived. */
typedef struct pulled {
    int n;
    natsMsg *m[32];
    char status[8];
    char desc[128];
} pulled;

static void pulled_free(pulled *p)
{
    for (int i = 0; i < p->n; i++)
        natsMsg_Destroy(p->m[i]);
    p->n = 0;
}

static const char *hdr(natsMsg *m, const char *key)
{
    const char *v = NULL;
    if (natsMsgHeader_Get(m, key, &v) != NATS_OK || !v)
        return "";
    return v;
}

static bool is_status(natsMsg *m)
{
    return natsMsg_GetDataLength(m) == 0 && hdr(m, "Status")[0] != 0;
}

/* Sends a pull request with `body` for stream/consumer to a fresh inbox and collects what comes
 * within timeout_ms. */
static int pull_raw(pulled *p, const char *stream, const char *consumer, const char *body,
                    int want, int timeout_ms)
{
    memset(p, 0, sizeof *p);
    char subj[256];
    snprintf(subj, sizeof subj, "$JS.API.CONSUMER.MSG.NEXT.%s.%s", stream, consumer);
    natsInbox *inbox = NULL;
    natsSubscription *sub = NULL;
    if (natsInbox_Create(&inbox) != NATS_OK)
        return -1;
    natsStatus st = natsConnection_SubscribeSync(&sub, nc, inbox);
    if (st == NATS_OK)
        st = natsConnection_PublishRequestString(nc, subj, inbox, body);
    int64_t deadline = h_now_ms() + timeout_ms;
    while (st == NATS_OK && p->n < want && p->n < 32) {
        int64_t left = deadline - h_now_ms();
        if (left <= 0)
            break;
        natsMsg *m = NULL;
        if (natsSubscription_NextMsg(&m, sub, left) != NATS_OK)
            break;
        if (is_status(m)) {
            if (strcmp(hdr(m, "Status"), "100") == 0) {
                natsMsg_Destroy(m);
                continue;
            }
            snprintf(p->status, sizeof p->status, "%s", hdr(m, "Status"));
            snprintf(p->desc, sizeof p->desc, "%s", hdr(m, "Description"));
            natsMsg_Destroy(m);
            break;
        }
        p->m[p->n++] = m;
    }
    natsSubscription_Destroy(sub);
    natsInbox_Destroy(inbox);
    return st == NATS_OK ? p->n : -1;
}

/* "s1,s2,..." of the pulled messages' stream sequences. */
static const char *seqs(const pulled *p, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = 0;
    for (int i = 0; i < p->n && o < cap; i++)
        o += (size_t)snprintf(out + o, cap - o, "%s%" PRIu64, i ? "," : "", msg_sseq(p->m[i]));
    return out;
}

/* Fetches up to n with libnats and acks each (AckSync); the stream sequences into out. */
static int fetch_ack(natsSubscription *sub, int n, uint64_t *out, bool ack)
{
    natsMsgList l = {0};
    jsErrCode ec = 0;
    if (natsSubscription_Fetch(&l, sub, n, 1000, &ec) != NATS_OK)
        return -1;
    int count = l.Count;
    for (int i = 0; i < l.Count; i++) {
        jsMsgMetaData *md = NULL;
        if (natsMsg_GetMetaData(&md, l.Msgs[i]) == NATS_OK)
            out[i] = md->Sequence.Stream;
        jsMsgMetaData_Destroy(md);
        if (ack && natsMsg_AckSync(l.Msgs[i], NULL, &ec) != NATS_OK)
            count = -1;
    }
    natsMsgList_Destroy(&l);
    return count;
}

static bool consumer_info(const char *stream, const char *name, jsConsumerInfo **ci)
{
    jsErrCode ec = 0;
    *ci = NULL;
    return js_GetConsumerInfo(ci, js, stream, name, NULL, &ec) == NATS_OK;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* RFC 3339 with nanoseconds in UTC, as Go formats it (the caller keeps the last digit non-zero
 * so that Go's trimming of trailing zeros changes nothing). */
static void rfc3339(int64_t ns, char *out, size_t cap)
{
    time_t secs = (time_t)(ns / 1000000000LL);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, cap, "%.20s.%09ldZ", base, (long)(ns % 1000000000LL));
}

/* ---- interest retention ---- */

static void interest_no_consumers(void)
{
    CHECK(js);
    CHECK(add_stream("INT0", "int0.>", js_InterestPolicy) == NATS_OK);
    CHECK(pub("int0.a", "one") == 1);
    CHECK(pub("int0.b", "two") == 2);
    CHECK(pub("int0.a", "three") == 3);
    h_sleep_ms(50);
    CHECK_STATE("INT0", 0, 4, 3);
    jsStreamInfo *si = NULL;
    jsErrCode ec = 0;
    CHECK(js_GetStreamInfo(&si, js, "INT0", NULL, &ec) == NATS_OK);
    bool ok = si->Config->Retention == js_InterestPolicy && si->State.Bytes == 0 &&
              si->State.Consumers == 0;
    jsStreamInfo_Destroy(si);
    CHECK(ok);
    /* a consumer made now sees nothing of them */
    CHECK(add_pull("INT0", "LATE", NULL, js_AckExplicit) == NATS_OK);
    jsConsumerInfo *ci = NULL;
    CHECK(consumer_info("INT0", "LATE", &ci));
    ok = ci->NumPending == 0 && ci->NumAckPending == 0;
    jsConsumerInfo_Destroy(ci);
    CHECK(ok);
    CHECK(pub("int0.a", "four") == 4);
    CHECK_STATE("INT0", 1, 4, 4);
}

static void interest_two_consumers(void)
{
    CHECK(js);
    CHECK(add_stream("INT2", "int2.>", js_InterestPolicy) == NATS_OK);
    CHECK(add_pull("INT2", "C1", NULL, js_AckExplicit) == NATS_OK);
    CHECK(add_pull("INT2", "C2", NULL, js_AckExplicit) == NATS_OK);
    for (int i = 0; i < 3; i++)
        CHECK(pub("int2.x", "m") == (uint64_t)i + 1);
    CHECK_STATE("INT2", 3, 1, 3);
    pulled a, b;
    char sq[64];
    CHECK(pull_raw(&a, "INT2", "C1", "{\"batch\":3,\"expires\":1000000000}", 3, 2000) == 3);
    CHECKF(strcmp(seqs(&a, sq, sizeof sq), "1,2,3") == 0, "C1 got %s", sq);
    CHECK(pull_raw(&b, "INT2", "C2", "{\"batch\":3,\"expires\":1000000000}", 3, 2000) == 3);
    CHECKF(strcmp(seqs(&b, sq, sizeof sq), "1,2,3") == 0, "C2 got %s", sq);
    /* C1 acks 1: C2 still wants it */
    CHECK(ack_raw(a.m[0]) == NATS_OK);
    h_sleep_ms(50);
    CHECK_STATE("INT2", 3, 1, 3);
    /* now C2 too: gone */
    CHECK(ack_raw(b.m[0]) == NATS_OK);
    CHECK_STATE("INT2", 2, 2, 3);
    /* 3 by both, out of order: 2 stays */
    CHECK(ack_raw(b.m[2]) == NATS_OK);
    h_sleep_ms(50);
    CHECK_STATE("INT2", 2, 2, 3);
    CHECK(ack_raw(a.m[2]) == NATS_OK);
    CHECK_STATE("INT2", 1, 2, 3);
    CHECK(ack_raw(a.m[1]) == NATS_OK);
    h_sleep_ms(50);
    CHECK_STATE("INT2", 1, 2, 3);
    CHECK(ack_raw(b.m[1]) == NATS_OK);
    CHECK_STATE("INT2", 0, 4, 3);
    pulled_free(&a);
    pulled_free(&b);
    jsConsumerInfo *ci = NULL;
    CHECK(consumer_info("INT2", "C2", &ci));
    bool ok = ci->NumAckPending == 0 && ci->NumPending == 0 && ci->AckFloor.Stream == 3 &&
              ci->Delivered.Stream == 3;
    jsConsumerInfo_Destroy(ci);
    CHECK(ok);
    /* with libnats: a new message, acked by both */
    CHECK(pub("int2.y", "m4") == 4);
    natsSubscription *s1 = bind_pull("INT2", "C1"), *s2 = bind_pull("INT2", "C2");
    CHECK(s1 && s2);
    uint64_t got[4] = {0};
    CHECK(fetch_ack(s1, 1, got, true) == 1 && got[0] == 4);
    h_sleep_ms(50);
    CHECK_STATE("INT2", 1, 4, 4);
    CHECK(fetch_ack(s2, 1, got, true) == 1 && got[0] == 4);
    CHECK_STATE("INT2", 0, 5, 4);
    natsSubscription_Destroy(s1);
    natsSubscription_Destroy(s2);
}

static void interest_filtered(void)
{
    CHECK(js);
    CHECK(add_stream("INF", "inf.>", js_InterestPolicy) == NATS_OK);
    CHECK(add_pull("INF", "F", "inf.a", js_AckExplicit) == NATS_OK);
    /* only F: inf.b has no interest and is not kept */
    CHECK(pub("inf.b", "b1") == 1);
    CHECK(pub("inf.a", "a1") == 2);
    h_sleep_ms(50);
    CHECK_STATE("INF", 1, 2, 2);
    CHECK(add_pull("INF", "U", NULL, js_AckExplicit) == NATS_OK);
    CHECK(pub("inf.b", "b2") == 3);
    CHECK(pub("inf.a", "a2") == 4);
    CHECK_STATE("INF", 3, 2, 4);
    jsConsumerInfo *ci = NULL;
    CHECK(consumer_info("INF", "F", &ci));
    uint64_t np = ci->NumPending;
    jsConsumerInfo_Destroy(ci);
    CHECKF(np == 2, "F num_pending %" PRIu64, np);
    CHECK(consumer_info("INF", "U", &ci));
    np = ci->NumPending;
    jsConsumerInfo_Destroy(ci);
    CHECKF(np == 3, "U num_pending %" PRIu64, np);
    /* U acks everything: inf.b (3) goes, the inf.a ones stay for F */
    natsSubscription *su = bind_pull("INF", "U");
    CHECK(su);
    uint64_t got[4] = {0};
    int n = fetch_ack(su, 3, got, true);
    natsSubscription_Destroy(su);
    CHECKF(n == 3 && got[0] == 2 && got[1] == 3 && got[2] == 4, "U fetched %d: %" PRIu64
           " %" PRIu64 " %" PRIu64, n, got[0], got[1], got[2]);
    CHECK_STATE("INF", 2, 2, 4);
    pulled f;
    char sq[64];
    CHECK(pull_raw(&f, "INF", "F", "{\"batch\":2,\"expires\":1000000000}", 2, 2000) == 2);
    CHECKF(strcmp(seqs(&f, sq, sizeof sq), "2,4") == 0, "F got %s", sq);
    CHECK(msg_pending(f.m[0]) == 1 && msg_pending(f.m[1]) == 0);
    CHECK(ack_raw(f.m[1]) == NATS_OK);
    CHECK_STATE("INF", 1, 2, 4);
    CHECK(ack_raw(f.m[0]) == NATS_OK);
    CHECK_STATE("INF", 0, 5, 4);
    pulled_free(&f);
}

static void interest_delete_consumer(void)
{
    CHECK(js);
    CHECK(add_stream("INDEL", "indel.>", js_InterestPolicy) == NATS_OK);
    CHECK(add_pull("INDEL", "K1", NULL, js_AckExplicit) == NATS_OK);
    CHECK(add_pull("INDEL", "K2", NULL, js_AckExplicit) == NATS_OK);
    for (int i = 0; i < 3; i++)
        CHECK(pub("indel.x", "m") == (uint64_t)i + 1);
    pulled a, b;
    CHECK(pull_raw(&a, "INDEL", "K1", "{\"batch\":3,\"expires\":1000000000}", 3, 2000) == 3);
    CHECK(pull_raw(&b, "INDEL", "K2", "{\"batch\":3,\"expires\":1000000000}", 3, 2000) == 3);
    /* K1 acked 1, K2 acked 2: every message is still wanted by someone */
    CHECK(ack_raw(a.m[0]) == NATS_OK);
    CHECK(ack_raw(b.m[1]) == NATS_OK);
    h_sleep_ms(50);
    CHECK_STATE("INDEL", 3, 1, 3);
    /* without K2, message 1 (which only K2 still needed) goes; 2 and 3 stay for K1 */
    jsErrCode ec = 0;
    CHECK(js_DeleteConsumer(js, "INDEL", "K2", NULL, &ec) == NATS_OK);
    CHECK_STATE("INDEL", 2, 2, 3);
    CHECK(ack_raw(a.m[2]) == NATS_OK);
    CHECK_STATE("INDEL", 1, 2, 3);
    /* without K1 too: nothing is wanted any more */
    CHECK(js_DeleteConsumer(js, "INDEL", "K1", NULL, &ec) == NATS_OK);
    CHECK_STATE("INDEL", 0, 4, 3);
    pulled_free(&a);
    pulled_free(&b);
}

static void interest_ack_none(void)
{
    CHECK(js);
    CHECK(add_stream("INN", "inn.>", js_InterestPolicy) == NATS_OK);
    CHECK(add_pull("INN", "N", NULL, js_AckNone) == NATS_OK);
    CHECK(add_pull("INN", "E", NULL, js_AckExplicit) == NATS_OK);
    CHECK(pub("inn.x", "1") == 1);
    CHECK(pub("inn.x", "2") == 2);
    pulled p;
    char sq[64];
    CHECK(pull_raw(&p, "INN", "N", "{\"batch\":2,\"expires\":1000000000}", 2, 2000) == 2);
    CHECKF(strcmp(seqs(&p, sq, sizeof sq), "1,2") == 0, "N got %s", sq);
    pulled_free(&p);
    /* delivered to N is done for N; E still wants both */
    h_sleep_ms(50);
    CHECK_STATE("INN", 2, 1, 2);
    jsConsumerInfo *ci = NULL;
    CHECK(consumer_info("INN", "N", &ci));
    bool ok = ci->NumAckPending == 0 && ci->NumPending == 0 && ci->Delivered.Stream == 2 &&
              ci->AckFloor.Stream == 2 && ci->Config->AckPolicy == js_AckNone;
    jsConsumerInfo_Destroy(ci);
    CHECK(ok);
    natsSubscription *se = bind_pull("INN", "E");
    CHECK(se);
    uint64_t got[4] = {0};
    int n = fetch_ack(se, 2, got, true);
    CHECKF(n == 2 && got[0] == 1 && got[1] == 2, "E fetched %d", n);
    CHECK_STATE("INN", 0, 3, 2);
    /* the other order: E acks first, the message waits for N's delivery */
    CHECK(pub("inn.x", "3") == 3);
    n = fetch_ack(se, 1, got, true);
    natsSubscription_Destroy(se);
    CHECKF(n == 1 && got[0] == 3, "E fetched %d", n);
    h_sleep_ms(50);
    CHECK_STATE("INN", 1, 3, 3);
    CHECK(pull_raw(&p, "INN", "N", "{\"batch\":1,\"expires\":1000000000}", 1, 2000) == 1);
    CHECK(msg_sseq(p.m[0]) == 3);
    pulled_free(&p);
    CHECK_STATE("INN", 0, 4, 3);
}

/* ---- workqueue retention ---- */

static void workqueue_ack_removes(void)
{
    CHECK(js);
    CHECK(add_stream("WQ", "wq.>", js_WorkQueuePolicy) == NATS_OK);
    /* without consumers a workqueue keeps its messages */
    for (int i = 0; i < 3; i++)
        CHECK(pub("wq.job", "j") == (uint64_t)i + 1);
    h_sleep_ms(50);
    CHECK_STATE("WQ", 3, 1, 3);
    CHECK(add_pull("WQ", "W", NULL, js_AckExplicit) == NATS_OK);
    natsSubscription *sub = bind_pull("WQ", "W");
    CHECK(sub);
    natsMsgList l = {0};
    jsErrCode ec = 0;
    natsStatus st = natsSubscription_Fetch(&l, sub, 2, 1000, &ec);
    CHECKF(st == NATS_OK && l.Count == 2, "fetch: status %d count %d", st, l.Count);
    /* delivered but not acked: still there */
    h_sleep_ms(50);
    CHECK_STATE("WQ", 3, 1, 3);
    bool ok = natsMsg_AckSync(l.Msgs[1], NULL, &ec) == NATS_OK;
    CHECK(ok);
    CHECK_STATE("WQ", 2, 1, 3);
    ok = natsMsg_AckSync(l.Msgs[0], NULL, &ec) == NATS_OK;
    natsMsgList_Destroy(&l);
    CHECK(ok);
    CHECK_STATE("WQ", 1, 3, 3);
    /* a nak keeps it, the ack after the redelivery removes it */
    st = natsSubscription_Fetch(&l, sub, 1, 1000, &ec);
    ok = st == NATS_OK && l.Count == 1 && natsMsg_Nak(l.Msgs[0], NULL) == NATS_OK;
    natsMsgList_Destroy(&l);
    CHECK(ok);
    h_sleep_ms(50);
    CHECK_STATE("WQ", 1, 3, 3);
    st = natsSubscription_Fetch(&l, sub, 1, 1000, &ec);
    jsMsgMetaData *md = NULL;
    ok = st == NATS_OK && l.Count == 1 && natsMsg_GetMetaData(&md, l.Msgs[0]) == NATS_OK &&
         md->Sequence.Stream == 3 && md->NumDelivered == 2 &&
         natsMsg_AckSync(l.Msgs[0], NULL, &ec) == NATS_OK;
    jsMsgMetaData_Destroy(md);
    natsMsgList_Destroy(&l);
    natsSubscription_Destroy(sub);
    CHECK(ok);
    CHECK_STATE("WQ", 0, 4, 3);
    jsConsumerInfo *ci = NULL;
    CHECK(consumer_info("WQ", "W", &ci));
    ok = ci->NumAckPending == 0 && ci->NumPending == 0 && ci->AckFloor.Stream == 3 &&
         ci->NumRedelivered == 0;
    jsConsumerInfo_Destroy(ci);
    CHECK(ok);
}

#define WQ_PULL_ACK_OLD "consumer in pull mode requires ack policy"
#define WQ_PULL_ACK_NEW "consumer in pull mode requires explicit ack policy on workqueue stream"

static void workqueue_consumer_rules(void)
{
    CHECK(js);
    CHECK(add_stream("WQR", "wqr.>", js_WorkQueuePolicy) == NATS_OK);
    char d[256];
    int code;
    /* ack policies */
    code = create_code("WQR", "N0", NULL, "\"ack_policy\":\"none\"", d, sizeof d);
    CHECKF(code == 10084 && (!strcmp(d, WQ_PULL_ACK_OLD) || !strcmp(d, WQ_PULL_ACK_NEW)),
           "pull ack none: %d %s", code, d);
    code = create_code("WQR", "A0", NULL, "\"ack_policy\":\"all\"", d, sizeof d);
    CHECKF(code == 10098 && !strcmp(d, "workqueue stream requires explicit ack"),
           "pull ack all: %d %s", code, d);
    code = create_code("WQR", "P0", NULL, "\"ack_policy\":\"none\",\"deliver_subject\":\"dlv.p0\"",
                       d, sizeof d);
    CHECKF(code == 10098 && !strcmp(d, "workqueue stream requires explicit ack"),
           "push ack none: %d %s", code, d);
    code = create_code("WQR", "P1", NULL, "\"ack_policy\":\"all\",\"deliver_subject\":\"dlv.p1\"",
                       d, sizeof d);
    CHECKF(code == 10098, "push ack all: %d %s", code, d);
    /* deliver policies other than all */
    code = create_code("WQR", "L0", NULL, "\"ack_policy\":\"explicit\",\"deliver_policy\":\"last\"",
                       d, sizeof d);
    CHECKF(code == 10101 && !strcmp(d, "consumer must be deliver all on workqueue stream"),
           "deliver last: %d %s", code, d);
    code = create_code("WQR", "L1", NULL, "\"ack_policy\":\"explicit\",\"deliver_policy\":\"new\"",
                       d, sizeof d);
    CHECKF(code == 10101, "deliver new: %d %s", code, d);
    code = create_code("WQR", "L2", NULL,
                       "\"ack_policy\":\"explicit\",\"deliver_policy\":\"by_start_sequence\","
                       "\"opt_start_seq\":1",
                       d, sizeof d);
    CHECKF(code == 10101, "deliver by_start_sequence: %d %s", code, d);
    /* libnats reports the same codes */
    jsConsumerConfig cc;
    jsConsumerConfig_Init(&cc);
    cc.Durable = "N1";
    cc.AckPolicy = js_AckNone;
    jsErrCode ec = 0;
    CHECK(js_AddConsumer(NULL, js, "WQR", &cc, NULL, &ec) != NATS_OK);
    CHECKF(ec == 10084, "libnats ack none: %d", (int)ec);
    cc.AckPolicy = js_AckAll;
    ec = 0;
    CHECK(js_AddConsumer(NULL, js, "WQR", &cc, NULL, &ec) != NATS_OK);
    CHECKF(ec == 10098, "libnats ack all: %d", (int)ec);
    /* one unfiltered consumer, then no other */
    CHECK(create_code("WQR", "W1", NULL, "\"ack_policy\":\"explicit\"", d, sizeof d) == 0);
    /* the same config again is not a second consumer */
    CHECK(create_code("WQR", "W1", NULL, "\"ack_policy\":\"explicit\"", d, sizeof d) == 0);
    code = create_code("WQR", "W2", NULL, "\"ack_policy\":\"explicit\"", d, sizeof d);
    CHECKF(code == 10099 &&
               !strcmp(d, "multiple non-filtered consumers not allowed on workqueue stream"),
           "second unfiltered: %d %s", code, d);
    code = create_code("WQR", "W3", NULL,
                       "\"ack_policy\":\"explicit\",\"filter_subject\":\"wqr.a\"", d, sizeof d);
    CHECKF(code == 10100 && !strcmp(d, "filtered consumer not unique on workqueue stream"),
           "filtered beside unfiltered: %d %s", code, d);
    cc.Durable = "W4";
    cc.AckPolicy = js_AckExplicit;
    ec = 0;
    CHECK(js_AddConsumer(NULL, js, "WQR", &cc, NULL, &ec) != NATS_OK);
    CHECKF(ec == 10099, "libnats second unfiltered: %d", (int)ec);
    ec = 0;
    CHECK(js_DeleteConsumer(js, "WQR", "W1", NULL, &ec) == NATS_OK);
    /* filtered ones that do not overlap */
    CHECK(create_code("WQR", "A", NULL, "\"ack_policy\":\"explicit\",\"filter_subject\":\"wqr.a\"",
                      d, sizeof d) == 0);
    CHECK(create_code("WQR", "B", NULL,
                      "\"ack_policy\":\"explicit\",\"filter_subject\":\"wqr.b.*\"", d,
                      sizeof d) == 0);
    /* (not "wqr.*.x": it collides with "wqr.b.*" without either being a subset of the other,
     * which nats-server up to 2.10 lets through and later versions refuse) */
    const char *overlapping[] = {"wqr.*", "wqr.>", "wqr.b.x", "wqr.a"};
    for (size_t i = 0; i < sizeof overlapping / sizeof overlapping[0]; i++) {
        char cfg[128];
        snprintf(cfg, sizeof cfg, "\"ack_policy\":\"explicit\",\"filter_subject\":\"%s\"",
                 overlapping[i]);
        code = create_code("WQR", "O", NULL, cfg, d, sizeof d);
        CHECKF(code == 10100 && !strcmp(d, "filtered consumer not unique on workqueue stream"),
               "filter %s: %d %s", overlapping[i], code, d);
    }
    code = create_code("WQR", "U", NULL, "\"ack_policy\":\"explicit\"", d, sizeof d);
    CHECKF(code == 10099, "unfiltered beside filtered: %d %s", code, d);
    /* a unique filter but not deliver all */
    code = create_code("WQR", "C", NULL,
                       "\"ack_policy\":\"explicit\",\"filter_subject\":\"wqr.c\","
                       "\"deliver_policy\":\"last\"",
                       d, sizeof d);
    CHECKF(code == 10101, "filtered deliver last: %d %s", code, d);
    CHECK(create_code("WQR", "C", NULL, "\"ack_policy\":\"explicit\",\"filter_subject\":\"wqr.c\"",
                      d, sizeof d) == 0);
    jsConsumerNamesList *nl = NULL;
    CHECK(js_ConsumerNames(&nl, js, "WQR", NULL, &ec) == NATS_OK);
    int count = nl->Count;
    jsConsumerNamesList_Destroy(nl);
    CHECKF(count == 3, "consumers %d", count);
}

static void workqueue_partitions(void)
{
    CHECK(js);
    CHECK(add_stream("WQP", "wqp.>", js_WorkQueuePolicy) == NATS_OK);
    CHECK(add_pull("WQP", "PA", "wqp.a", js_AckExplicit) == NATS_OK);
    CHECK(add_pull("WQP", "PB", "wqp.b", js_AckExplicit) == NATS_OK);
    CHECK(pub("wqp.a", "a1") == 1);
    CHECK(pub("wqp.b", "b1") == 2);
    CHECK(pub("wqp.a", "a2") == 3);
    CHECK(pub("wqp.c", "c1") == 4);
    jsConsumerInfo *ci = NULL;
    CHECK(consumer_info("WQP", "PA", &ci));
    uint64_t np = ci->NumPending;
    jsConsumerInfo_Destroy(ci);
    CHECKF(np == 2, "PA num_pending %" PRIu64, np);
    pulled a, b;
    char sq[64];
    CHECK(pull_raw(&a, "WQP", "PA", "{\"batch\":5,\"expires\":300000000}", 5, 2000) == 2);
    CHECKF(strcmp(seqs(&a, sq, sizeof sq), "1,3") == 0 && !strcmp(a.status, "408"),
           "PA got %s status %s", sq, a.status);
    CHECK(pull_raw(&b, "WQP", "PB", "{\"batch\":5,\"expires\":300000000}", 5, 2000) == 1);
    CHECKF(strcmp(seqs(&b, sq, sizeof sq), "2") == 0 && !strcmp(b.status, "408"),
           "PB got %s status %s", sq, b.status);
    CHECK(ack_raw(a.m[0]) == NATS_OK && ack_raw(a.m[1]) == NATS_OK && ack_raw(b.m[0]) == NATS_OK);
    pulled_free(&a);
    pulled_free(&b);
    /* wqp.c is nobody's yet and stays */
    CHECK_STATE("WQP", 1, 4, 4);
    CHECK(add_pull("WQP", "PC", "wqp.c", js_AckExplicit) == NATS_OK);
    natsSubscription *sc = bind_pull("WQP", "PC");
    CHECK(sc);
    uint64_t got[2] = {0};
    int n = fetch_ack(sc, 1, got, true);
    natsSubscription_Destroy(sc);
    CHECKF(n == 1 && got[0] == 4, "PC fetched %d", n);
    CHECK_STATE("WQP", 0, 5, 4);
}

/* ---- consumer updates ---- */

static void consumer_update_allowed(void)
{
    CHECK(js);
    CHECK(add_stream("UPD", "upd.>", js_LimitsPolicy) == NATS_OK);
    CHECK(pub("upd.a", "a1") == 1);
    CHECK(pub("upd.a", "a2") == 2);
    CHECK(pub("upd.b", "b1") == 3);
    CHECK(pub("upd.b", "b2") == 4);
    CHECK(pub("upd.b", "b3") == 5);
    jsConsumerConfig cc;
    jsConsumerConfig_Init(&cc);
    cc.Durable = "U1";
    cc.AckPolicy = js_AckExplicit;
    cc.FilterSubject = "upd.a";
    jsConsumerInfo *ci = NULL;
    jsErrCode ec = 0;
    CHECK(js_AddConsumer(&ci, js, "UPD", &cc, NULL, &ec) == NATS_OK);
    bool ok = ci->NumPending == 2 && ci->Config->AckWait == 30000000000LL &&
              ci->Config->MaxDeliver == -1 && ci->Config->MaxAckPending == 1000 &&
              (ci->Config->Description == NULL || ci->Config->Description[0] == 0);
    jsConsumerInfo_Destroy(ci);
    CHECK(ok);
    cc.Description = "billing jobs";
    cc.AckWait = 5000000000LL;
    cc.MaxDeliver = 7;
    cc.MaxAckPending = 50;
    cc.FilterSubject = "upd.b";
    ci = NULL;
    natsStatus st = js_UpdateConsumer(&ci, js, "UPD", &cc, NULL, &ec);
    CHECKF(st == NATS_OK, "update: %s (%d)", nats_GetLastError(NULL), (int)ec);
    ok = ci->Config->Description && !strcmp(ci->Config->Description, "billing jobs") &&
         ci->Config->AckWait == 5000000000LL && ci->Config->MaxDeliver == 7 &&
         ci->Config->MaxAckPending == 50 && !strcmp(ci->Config->FilterSubject, "upd.b") &&
         ci->Config->AckPolicy == js_AckExplicit && ci->Config->DeliverPolicy == js_DeliverAll;
    uint64_t np = ci->NumPending;
    jsConsumerInfo_Destroy(ci);
    CHECK(ok);
    CHECKF(np == 3, "num_pending after the filter change: %" PRIu64, np);
    CHECK(consumer_info("UPD", "U1", &ci));
    ok = ci->Config->Description && !strcmp(ci->Config->Description, "billing jobs") &&
         ci->Config->AckWait == 5000000000LL && ci->Config->MaxDeliver == 7 &&
         ci->Config->MaxAckPending == 50 && !strcmp(ci->Config->FilterSubject, "upd.b") &&
         ci->NumPending == 3;
    jsConsumerInfo_Destroy(ci);
    CHECK(ok);
    /* the new filter decides what comes */
    pulled p;
    char sq[64];
    CHECK(pull_raw(&p, "UPD", "U1", "{\"batch\":5,\"expires\":300000000}", 5, 2000) == 3);
    CHECKF(strcmp(seqs(&p, sq, sizeof sq), "3,4,5") == 0, "got %s", sq);
    CHECK(msg_pending(p.m[0]) == 2 && msg_pending(p.m[2]) == 0);
    pulled_free(&p);
    CHECK(pub("upd.a", "a3") == 6);
    CHECK(pub("upd.b", "b4") == 7);
    CHECK(consumer_info("UPD", "U1", &ci));
    np = ci->NumPending;
    int64_t ap = ci->NumAckPending;
    jsConsumerInfo_Destroy(ci);
    CHECKF(np == 1 && ap == 3, "num_pending %" PRIu64 " ack pending %" PRId64, np, ap);
    /* max_ack_pending lowered to 3: with 3 unacked, the next one waits */
    cc.MaxAckPending = 3;
    CHECK(js_UpdateConsumer(NULL, js, "UPD", &cc, NULL, &ec) == NATS_OK);
    CHECK(pull_raw(&p, "UPD", "U1", "{\"batch\":1,\"expires\":300000000}", 1, 2000) == 0);
    CHECKF(!strcmp(p.status, "408"), "max_ack_pending reached: status %s %s", p.status,
           p.desc);
    cc.MaxAckPending = 50;
    CHECK(js_UpdateConsumer(NULL, js, "UPD", &cc, NULL, &ec) == NATS_OK);
    CHECK(pull_raw(&p, "UPD", "U1", "{\"batch\":1,\"expires\":1000000000}", 1, 2000) == 1);
    CHECK(msg_sseq(p.m[0]) == 7);
    pulled_free(&p);
}

static void consumer_update_refused(void)
{
    CHECK(js);
    CHECK(add_stream("UPR", "upr.>", js_LimitsPolicy) == NATS_OK);
    const char *base = "\"ack_policy\":\"explicit\",\"filter_subject\":\"upr.a\"";
    char d[256];
    CHECK(create_code("UPR", "R1", NULL, base, d, sizeof d) == 0);
    /* (pull to push: nats-server up to 2.10 compares max_waiting first, 512 against the push
     * consumer's 0; 2.11 names the change of kind; either text is nats-server's answer) */
    struct {
        const char *cfg, *desc, *alt;
    } refused[] = {
        {"\"ack_policy\":\"explicit\",\"filter_subject\":\"upr.a\",\"deliver_policy\":\"last\"",
         "deliver policy can not be updated", NULL},
        {"\"ack_policy\":\"explicit\",\"filter_subject\":\"upr.a\",\"deliver_policy\":\"new\"",
         "deliver policy can not be updated", NULL},
        {"\"ack_policy\":\"all\",\"filter_subject\":\"upr.a\"", "ack policy can not be updated",
         NULL},
        {"\"ack_policy\":\"explicit\",\"filter_subject\":\"upr.a\",\"replay_policy\":\"original\"",
         "replay policy can not be updated", NULL},
        {"\"ack_policy\":\"explicit\",\"filter_subject\":\"upr.a\",\"max_waiting\":5",
         "max waiting can not be updated", NULL},
        {"\"ack_policy\":\"explicit\",\"filter_subject\":\"upr.a\",\"deliver_subject\":\"dlv.r1\"",
         "can not update pull consumer to push based", "max waiting can not be updated"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        int code = create_code("UPR", "R1", NULL, refused[i].cfg, d, sizeof d);
        CHECKF(code == 10012 &&
                   (!strcmp(d, refused[i].desc) || (refused[i].alt && !strcmp(d, refused[i].alt))),
               "%s: %d \"%s\"", refused[i].cfg, code, d);
    }
    /* through libnats */
    jsConsumerConfig cc;
    jsConsumerConfig_Init(&cc);
    cc.Durable = "R1";
    cc.AckPolicy = js_AckExplicit;
    cc.FilterSubject = "upr.a";
    cc.DeliverPolicy = js_DeliverLast;
    jsErrCode ec = 0;
    CHECK(js_UpdateConsumer(NULL, js, "UPR", &cc, NULL, &ec) != NATS_OK);
    CHECKF(ec == 10012 && strstr(nats_GetLastError(NULL), "deliver policy can not be updated"),
           "libnats: %d %s", (int)ec, nats_GetLastError(NULL));
    cc.DeliverPolicy = js_DeliverAll;
    cc.AckPolicy = js_AckNone;
    ec = 0;
    CHECK(js_UpdateConsumer(NULL, js, "UPR", &cc, NULL, &ec) != NATS_OK);
    CHECKF(ec == 10012, "libnats ack none: %d", (int)ec);
    /* nothing of it stuck */
    jsConsumerInfo *ci = NULL;
    CHECK(consumer_info("UPR", "R1", &ci));
    bool ok = ci->Config->DeliverPolicy == js_DeliverAll &&
              ci->Config->AckPolicy == js_AckExplicit &&
              ci->Config->ReplayPolicy == js_ReplayInstant && ci->Config->MaxWaiting == 512 &&
              (ci->Config->DeliverSubject == NULL || !ci->Config->DeliverSubject[0]);
    jsConsumerInfo_Destroy(ci);
    CHECK(ok);
    /* updating a consumer that does not exist through js_UpdateConsumer: libnats sends no action,
     * so the server creates it */
    cc.Durable = "R2";
    cc.AckPolicy = js_AckExplicit;
    ec = 0;
    CHECK(js_UpdateConsumer(NULL, js, "UPR", &cc, NULL, &ec) == NATS_OK);
}

static void consumer_create_action(void)
{
    CHECK(js);
    CHECK(add_stream("ACT", "act.>", js_LimitsPolicy) == NATS_OK);
    char d[256];
    int code = create_code("ACT", "A1", "create", "\"ack_policy\":\"explicit\"", d, sizeof d);
    CHECKF(code == 0, "create: %d %s", code, d);
    /* the same config again, action create: fine */
    code = create_code("ACT", "A1", "create", "\"ack_policy\":\"explicit\"", d, sizeof d);
    CHECKF(code == 0, "create again: %d %s", code, d);
    /* another config, action create */
    code = create_code("ACT", "A1", "create",
                       "\"ack_policy\":\"explicit\",\"description\":\"changed\"", d, sizeof d);
    json_t *j = h_js_api(nc, "$JS.API.CONSUMER.INFO.ACT.A1", "");
    const char *desc = jstr(json_object_get(j, "config"), "description", NULL);
    bool changed = !strcmp(desc, "changed");
    json_decref(j);
    if (server_minor >= 10)
        CHECKF(code == 10148 && !strcmp(d, "consumer already exists") && !changed,
               "create a different one: %d %s (changed %d)", code, d, changed);
    else /* 2.9 knows no action: an update */
        CHECKF(code == 0 && changed, "2.9 create a different one: %d %s", code, d);
    /* action update */
    code = create_code("ACT", "A1", "update",
                       "\"ack_policy\":\"explicit\",\"description\":\"updated\"", d, sizeof d);
    CHECKF(code == 0, "update: %d %s", code, d);
    j = h_js_api(nc, "$JS.API.CONSUMER.INFO.ACT.A1", "");
    changed = !strcmp(jstr(json_object_get(j, "config"), "description", NULL), "updated");
    json_decref(j);
    CHECK(changed);
    code = create_code("ACT", "A2", "update", "\"ack_policy\":\"explicit\"", d, sizeof d);
    j = h_js_api(nc, "$JS.API.CONSUMER.INFO.ACT.A2", "");
    int info_code = err_code(j);
    json_decref(j);
    if (server_minor >= 10)
        CHECKF(code == 10149 && !strcmp(d, "consumer does not exist") && info_code == 10014,
               "update a missing one: %d %s (info %d)", code, d, info_code);
    else
        CHECKF(code == 0 && info_code == -999999, "2.9 update a missing one: %d %s", code, d);
}

/* ---- pull request limits ---- */

static void pull_request_limits(void)
{
    CHECK(js);
    CHECK(add_stream("PL", "pl.>", js_LimitsPolicy) == NATS_OK);
    jsConsumerConfig cc;
    jsConsumerConfig_Init(&cc);
    cc.Durable = "L";
    cc.AckPolicy = js_AckExplicit;
    cc.MaxRequestBatch = 10;
    cc.MaxRequestExpires = 1000000000LL;
    cc.MaxRequestMaxBytes = 100;
    cc.MaxWaiting = 1;
    jsConsumerInfo *ci = NULL;
    jsErrCode ec = 0;
    CHECK(js_AddConsumer(&ci, js, "PL", &cc, NULL, &ec) == NATS_OK);
    bool ok = ci->Config->MaxRequestBatch == 10 && ci->Config->MaxRequestExpires == 1000000000LL &&
              ci->Config->MaxRequestMaxBytes == 100 && ci->Config->MaxWaiting == 1;
    jsConsumerInfo_Destroy(ci);
    CHECK(ok);
    /* libnats: a fetch of 20 fails with the server's text */
    natsSubscription *sub = bind_pull("PL", "L");
    CHECK(sub);
    natsMsgList l = {0};
    natsStatus st = natsSubscription_Fetch(&l, sub, 20, 500, &ec);
    const char *le = nats_GetLastError(NULL);
    int count = l.Count;
    ok = st != NATS_OK && count == 0 && le && strstr(le, "Exceeded MaxRequestBatch of 10");
    natsMsgList_Destroy(&l);
    natsSubscription_Destroy(sub);
    CHECKF(ok, "fetch 20: status %d count %d error %s", st, count, le ? le : "");
    /* raw requests: the 409s */
    struct {
        const char *body, *desc;
    } bad[] = {
        {"{\"batch\":20,\"expires\":500000000}", "Exceeded MaxRequestBatch of 10"},
        {"{\"batch\":11}", "Exceeded MaxRequestBatch of 10"},
        {"{\"batch\":5,\"expires\":2000000000}", "Exceeded MaxRequestExpires of 1s"},
        {"{\"batch\":5,\"expires\":1500000000}", "Exceeded MaxRequestExpires of 1s"},
        {"{\"batch\":5,\"max_bytes\":200,\"expires\":500000000}",
         "Exceeded MaxRequestMaxBytes of 100"},
    };
    pulled p;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(pull_raw(&p, "PL", "L", bad[i].body, 10, 2000) == 0);
        CHECKF(!strcmp(p.status, "409") && !strcmp(p.desc, bad[i].desc), "%s: %s \"%s\"",
               bad[i].body, p.status, p.desc);
    }
    /* at the limits: fine */
    /* 30 bytes of data: with the subject and the ack reply one message is about 75 bytes */
    for (int i = 0; i < 12; i++)
        CHECK(pub("pl.a", "012345678901234567890123456789") == (uint64_t)i + 1);
    char sq[128];
    CHECK(pull_raw(&p, "PL", "L", "{\"batch\":10,\"expires\":1000000000}", 10, 2000) == 10);
    CHECKF(strcmp(seqs(&p, sq, sizeof sq), "1,2,3,4,5,6,7,8,9,10") == 0, "got %s", sq);
    pulled_free(&p);
    /* max_bytes 100 (the limit): one message fits, two do not */
    int n = pull_raw(&p, "PL", "L", "{\"batch\":10,\"max_bytes\":100,\"expires\":1000000000}",
                     10, 2000);
    CHECKF(n == 1, "max_bytes: got %d %s %s (%s)", n, seqs(&p, sq, sizeof sq), p.status, p.desc);
    CHECKF(msg_sseq(p.m[0]) == 11 && !strcmp(p.status, "409") &&
               !strcmp(p.desc, "Message Size Exceeds MaxBytes"),
           "max_bytes: seq %" PRIu64 " %s \"%s\"", msg_sseq(p.m[0]), p.status, p.desc);
    pulled_free(&p);
    /* max_waiting 1: a request waits for 5 (it gets 12 at once), a second is refused */
    natsInbox *inbox = NULL;
    natsSubscription *w = NULL;
    CHECK(natsInbox_Create(&inbox) == NATS_OK);
    CHECK(natsConnection_SubscribeSync(&w, nc, inbox) == NATS_OK);
    CHECK(natsConnection_PublishRequestString(nc, "$JS.API.CONSUMER.MSG.NEXT.PL.L", inbox,
                                              "{\"batch\":5,\"expires\":1000000000}") == NATS_OK);
    natsMsg *m = NULL;
    CHECK(natsSubscription_NextMsg(&m, w, 2000) == NATS_OK);
    ok = msg_sseq(m) == 12;
    natsMsg_Destroy(m);
    CHECK(ok);
    CHECK(pull_raw(&p, "PL", "L", "{\"batch\":1,\"expires\":500000000}", 1, 2000) == 0);
    CHECKF(!strcmp(p.status, "409") && !strcmp(p.desc, "Exceeded MaxWaiting"),
           "second waiting: %s \"%s\"", p.status, p.desc);
    /* the first one still waits and gets the next ones */
    for (int i = 0; i < 4; i++)
        CHECK(pub("pl.b", "z") == (uint64_t)i + 13);
    for (int i = 0; i < 4; i++) {
        m = NULL;
        CHECK(natsSubscription_NextMsg(&m, w, 2000) == NATS_OK);
        uint64_t s = msg_sseq(m);
        natsMsg_Destroy(m);
        CHECKF(s == (uint64_t)i + 13, "waiting request got %" PRIu64, s);
    }
    natsSubscription_Destroy(w);
    natsInbox_Destroy(inbox);
    /* done with that request: a new one may wait */
    CHECK(pull_raw(&p, "PL", "L", "{\"batch\":1,\"expires\":200000000}", 1, 2000) == 0);
    CHECKF(!strcmp(p.status, "408"), "after: %s \"%s\"", p.status, p.desc);
}

/* ---- consumer pause (nats-server 2.11) ---- */

static bool is_weir(void)
{
    const char *s = getenv("WEIR_SERVER");
    if (!s || !*s)
        return true;
    size_t n = strlen(s);
    return n >= 11 && strcmp(s + n - 11, "weir-server") == 0;
}

static void consumer_pause(void)
{
    CHECK(js);
    CHECK(add_stream("PAU", "pau.>", js_LimitsPolicy) == NATS_OK);
    CHECK(add_pull("PAU", "P", NULL, js_AckExplicit) == NATS_OK);
    int64_t until = now_ns() + 1500000000LL;
    until = until - until % 10 + 7; /* no trailing zeros */
    char ts[64], body[128];
    rfc3339(until, ts, sizeof ts);
    snprintf(body, sizeof body, "{\"pause_until\":\"%s\"}", ts);
    int64_t t0 = h_now_ms();
    json_t *j = h_js_api(nc, "$JS.API.CONSUMER.PAUSE.PAU.P", body);
    CHECK(j);
    bool ok = json_is_true(json_object_get(j, "paused")) &&
              !strcmp(jstr(j, "pause_until", NULL), ts) &&
              jint(j, "pause_remaining", NULL) > 1000000000LL &&
              jint(j, "pause_remaining", NULL) <= 1500000000LL &&
              !strcmp(jstr(j, "type", NULL), "io.nats.jetstream.api.v1.consumer_pause_response");
    char *dump = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    CHECKF(ok, "pause: %s", dump ? dump : "?");
    free(dump);
    j = h_js_api(nc, "$JS.API.CONSUMER.INFO.PAU.P", "");
    ok = json_is_true(json_object_get(j, "paused")) &&
         jint(j, "pause_remaining", NULL) > 500000000LL &&
         jint(j, "pause_remaining", NULL) <= 1500000000LL &&
         !strcmp(jstr(json_object_get(j, "config"), "pause_until", NULL), ts);
    dump = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    CHECKF(ok, "info while paused: %s", dump ? dump : "?");
    free(dump);
    /* a waiting request gets nothing until the pause ends */
    natsInbox *inbox = NULL;
    natsSubscription *w = NULL;
    CHECK(natsInbox_Create(&inbox) == NATS_OK);
    CHECK(natsConnection_SubscribeSync(&w, nc, inbox) == NATS_OK);
    CHECK(natsConnection_PublishRequestString(nc, "$JS.API.CONSUMER.MSG.NEXT.PAU.P", inbox,
                                              "{\"batch\":2,\"expires\":4000000000}") == NATS_OK);
    CHECK(pub("pau.a", "p1") == 1);
    CHECK(pub("pau.a", "p2") == 2);
    natsMsg *m = NULL;
    natsStatus st = natsSubscription_NextMsg(&m, w, 1000);
    const char *stat = m ? hdr(m, "Status") : "";
    natsMsg_Destroy(m);
    CHECKF(st == NATS_TIMEOUT, "delivered while paused after %d ms (status %s)",
           (int)(h_now_ms() - t0), stat);
    int got = 0;
    int64_t first_at = 0;
    for (int i = 0; i < 2; i++) {
        m = NULL;
        if (natsSubscription_NextMsg(&m, w, 2000) != NATS_OK)
            break;
        if (!is_status(m)) {
            if (!got)
                first_at = h_now_ms() - t0;
            got += msg_sseq(m) == (uint64_t)i + 1;
        }
        natsMsg_Destroy(m);
    }
    natsSubscription_Destroy(w);
    natsInbox_Destroy(inbox);
    CHECKF(got == 2 && first_at >= 1400 && first_at < 2500,
           "after the pause: got %d, first at %d ms", got, (int)first_at);
    j = h_js_api(nc, "$JS.API.CONSUMER.INFO.PAU.P", "");
    ok = !json_is_true(json_object_get(j, "paused")) && !json_object_get(j, "pause_remaining");
    json_decref(j);
    CHECK(ok);
    /* a long pause, resumed early with {} */
    until = now_ns() + 10000000000LL;
    until = until - until % 10 + 3;
    rfc3339(until, ts, sizeof ts);
    snprintf(body, sizeof body, "{\"pause_until\":\"%s\"}", ts);
    j = h_js_api(nc, "$JS.API.CONSUMER.PAUSE.PAU.P", body);
    ok = json_is_true(json_object_get(j, "paused"));
    json_decref(j);
    CHECK(ok);
    CHECK(pub("pau.b", "p3") == 3);
    CHECK(natsInbox_Create(&inbox) == NATS_OK);
    CHECK(natsConnection_SubscribeSync(&w, nc, inbox) == NATS_OK);
    CHECK(natsConnection_PublishRequestString(nc, "$JS.API.CONSUMER.MSG.NEXT.PAU.P", inbox,
                                              "{\"batch\":1,\"expires\":3000000000}") == NATS_OK);
    m = NULL;
    st = natsSubscription_NextMsg(&m, w, 300);
    natsMsg_Destroy(m);
    CHECKF(st == NATS_TIMEOUT, "delivered during the long pause");
    j = h_js_api(nc, "$JS.API.CONSUMER.PAUSE.PAU.P", "{}");
    ok = j && json_object_get(j, "paused") && !json_is_true(json_object_get(j, "paused")) &&
         !json_object_get(j, "error");
    dump = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    CHECKF(ok, "resume: %s", dump ? dump : "?");
    free(dump);
    m = NULL;
    st = natsSubscription_NextMsg(&m, w, 1000);
    ok = st == NATS_OK && !is_status(m) && msg_sseq(m) == 3;
    natsMsg_Destroy(m);
    natsSubscription_Destroy(w);
    natsInbox_Destroy(inbox);
    CHECKF(ok, "after resume: status %d", st);
    j = h_js_api(nc, "$JS.API.CONSUMER.INFO.PAU.P", "");
    ok = !json_is_true(json_object_get(j, "paused"));
    json_decref(j);
    CHECK(ok);
    /* a pause of a consumer that does not exist */
    j = h_js_api(nc, "$JS.API.CONSUMER.PAUSE.PAU.NOPE", body);
    int code = err_code(j);
    json_decref(j);
    CHECKF(code == 10014, "missing consumer: %d", code);
}

/* ---- deliver policies ---- */

/* The current time, waited for until its fraction of a second is between 0.15 and 0.9 and its
 * last digit is not 0: libnats 3.4 mangles start times whose fraction starts with a 0
 * (".074864342" comes back as .748643420), and Go trims trailing zeros. */
static int64_t tidy_now(void)
{
    for (;;) {
        int64_t t = now_ns();
        int64_t frac = t % 1000000000LL;
        if (frac >= 150000000LL && frac <= 900000000LL)
            return t - t % 10 + 1;
        h_sleep_ms(20);
    }
}

static void deliver_by_start_time(void)
{
    CHECK(js);
    CHECK(add_stream("BST", "bst.>", js_LimitsPolicy) == NATS_OK);
    for (int i = 0; i < 3; i++)
        CHECK(pub("bst.a", "early") == (uint64_t)i + 1);
    h_sleep_ms(30);
    int64_t mid = tidy_now();
    int64_t before = mid - 2000000000LL;
    h_sleep_ms(30);
    CHECK(pub("bst.a", "late") == 4);
    CHECK(pub("bst.b", "late") == 5);
    CHECK(pub("bst.a", "late") == 6);
    struct {
        const char *name;
        int64_t start;
        const char *filter;
        uint64_t pending;
        const char *seqs;
    } cases[] = {
        {"T_MID", mid, NULL, 3, "4,5,6"},
        {"T_BEFORE", before, NULL, 6, "1,2,3,4,5,6"},
        {"T_MID_A", mid, "bst.a", 2, "4,6"},
        {"T_FUTURE", mid + 3600LL * 1000000000LL, NULL, 0, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        jsConsumerConfig cc;
        jsConsumerConfig_Init(&cc);
        cc.Durable = cases[i].name;
        cc.AckPolicy = js_AckExplicit;
        cc.DeliverPolicy = js_DeliverByStartTime;
        cc.OptStartTime = cases[i].start;
        cc.FilterSubject = cases[i].filter;
        jsConsumerInfo *ci = NULL;
        jsErrCode ec = 0;
        CHECKF(js_AddConsumer(&ci, js, "BST", &cc, NULL, &ec) == NATS_OK, "%s: %d",
               cases[i].name, (int)ec);
        uint64_t np = ci->NumPending;
        int64_t start = ci->Config->OptStartTime;
        bool ok = ci->Config->DeliverPolicy == js_DeliverByStartTime && start == cases[i].start;
        jsConsumerInfo_Destroy(ci);
        CHECKF(np == cases[i].pending && ok, "%s: num_pending %" PRIu64 " start %" PRId64
               " (sent %" PRId64 ")", cases[i].name, np, start, cases[i].start);
        pulled p;
        char sq[64];
        CHECK(pull_raw(&p, "BST", cases[i].name, "{\"batch\":10,\"no_wait\":true}", 10, 2000) >=
              0);
        seqs(&p, sq, sizeof sq);
        bool last_pending_ok = p.n == 0 || msg_pending(p.m[p.n - 1]) == 0;
        pulled_free(&p);
        CHECKF(!strcmp(sq, cases[i].seqs) && last_pending_ok, "%s: got %s", cases[i].name, sq);
    }
    /* the future start time: the consumer starts after the last message, so a new one comes */
    CHECK(pub("bst.c", "new") == 7);
    pulled p;
    CHECK(pull_raw(&p, "BST", "T_FUTURE", "{\"batch\":1,\"expires\":1000000000}", 1, 2000) == 1);
    uint64_t s = msg_sseq(p.m[0]);
    pulled_free(&p);
    CHECKF(s == 7, "T_FUTURE then got %" PRIu64, s);
}

static void deliver_last_per_subject(void)
{
    CHECK(js);
    CHECK(add_stream("LPS", "lps.>", js_LimitsPolicy) == NATS_OK);
    /* a1 b1 c1 b2 a2 c2 a3: the last of each are 4 (b), 6 (c), 7 (a) */
    const char *subj[] = {"lps.a", "lps.b", "lps.c", "lps.b", "lps.a", "lps.c", "lps.a"};
    for (int i = 0; i < 7; i++)
        CHECK(pub(subj[i], subj[i]) == (uint64_t)i + 1);
    struct {
        const char *name, *filter;
        uint64_t pending;
        const char *seqs;
    } cases[] = {
        {"LAST_ALL", "lps.>", 3, "4,6,7"},
        {"LAST_STAR", "lps.*", 3, "4,6,7"},
        {"LAST_B", "lps.b", 1, "4"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        jsConsumerConfig cc;
        jsConsumerConfig_Init(&cc);
        cc.Durable = cases[i].name;
        cc.AckPolicy = js_AckExplicit;
        cc.DeliverPolicy = js_DeliverLastPerSubject;
        cc.FilterSubject = cases[i].filter;
        jsConsumerInfo *ci = NULL;
        jsErrCode ec = 0;
        natsStatus st = js_AddConsumer(&ci, js, "LPS", &cc, NULL, &ec);
        CHECKF(st == NATS_OK, "%s: %d", cases[i].name, (int)ec);
        uint64_t np = ci->NumPending;
        jsConsumerInfo_Destroy(ci);
        CHECKF(np == cases[i].pending, "%s: num_pending %" PRIu64, cases[i].name, np);
        pulled p;
        char sq[64];
        CHECK(pull_raw(&p, "LPS", cases[i].name, "{\"batch\":10,\"no_wait\":true}", 10, 2000) >=
              0);
        seqs(&p, sq, sizeof sq);
        /* the pending count in the last one's reply subject */
        uint64_t lp = p.n ? msg_pending(p.m[p.n - 1]) : 0;
        pulled_free(&p);
        CHECKF(!strcmp(sq, cases[i].seqs) && lp == 0, "%s: got %s (last pending %" PRIu64 ")",
               cases[i].name, sq, lp);
    }
    /* last_per_subject needs a filter */
    char d[256];
    int code = create_code("LPS", "LAST_NOFILTER", NULL,
                           "\"ack_policy\":\"explicit\",\"deliver_policy\":\"last_per_subject\"", d,
                           sizeof d);
    CHECKF(code == 10094 && !strcmp(d, "consumer delivery policy is deliver last per subject, "
                                        "but optional filter subject is not set"),
           "without a filter: %d \"%s\"", code, d);
    /* afterwards new messages come as they are published */
    CHECK(pub("lps.b", "b3") == 8);
    CHECK(pub("lps.d", "d1") == 9);
    jsConsumerInfo *ci = NULL;
    CHECK(consumer_info("LPS", "LAST_ALL", &ci));
    uint64_t np = ci->NumPending;
    uint64_t dseq = ci->Delivered.Stream;
    jsConsumerInfo_Destroy(ci);
    CHECKF(np == 2 && dseq == 7, "LAST_ALL after: num_pending %" PRIu64 " delivered %" PRIu64, np,
           dseq);
    pulled p;
    char sq[64];
    CHECK(pull_raw(&p, "LPS", "LAST_ALL", "{\"batch\":10,\"no_wait\":true}", 10, 2000) >= 0);
    seqs(&p, sq, sizeof sq);
    pulled_free(&p);
    CHECKF(!strcmp(sq, "8,9"), "LAST_ALL after: got %s", sq);
    CHECK(consumer_info("LPS", "LAST_B", &ci));
    np = ci->NumPending;
    jsConsumerInfo_Destroy(ci);
    CHECKF(np == 1, "LAST_B after: num_pending %" PRIu64, np);
}

/* Reads INFO.version. */
int main(void)
{
    h_init();
    if (h_start_js(&srv, &nc, &js) == 0)
        server_minor = h_server_minor(&srv);
    RUN(interest_no_consumers);
    RUN(interest_two_consumers);
    RUN(interest_filtered);
    RUN(interest_delete_consumer);
    RUN(interest_ack_none);
    RUN(workqueue_ack_removes);
    RUN(workqueue_consumer_rules);
    RUN(workqueue_partitions);
    RUN(consumer_update_allowed);
    RUN(consumer_update_refused);
    RUN(consumer_create_action);
    RUN(pull_request_limits);
    if (is_weir())
        RUN(consumer_pause);
    RUN(deliver_by_start_time);
    RUN(deliver_last_per_subject);
    return h_end_js(&srv, nc, js, testlib_failed_cases);
}

/*
 * test_iop_pubsub.c — core NATS messaging through the C client libnats: publish/subscribe,
 * wildcards, queue groups, request/reply, headers, no-responders, auto-unsubscribe, max_payload
 * (client side and on the wire), ordering of 100,000 messages, and no-echo.
 */
#include "test/interop/harness.h"
#include "test/testlib.h"

#include <pthread.h>

static h_server srv;       /* plain server for most cases */
static natsConnection *nc; /* connection to srv shared by cases that need one */

/* Receives the next message or fails the case. */
#define NEXT(m, sub, ms)                                                                   \
    do {                                                                                   \
        natsStatus st_ = natsSubscription_NextMsg(&(m), (sub), (ms));                      \
        CHECKF(st_ == NATS_OK, "NextMsg: %s", natsStatus_GetText(st_));                    \
    } while (0)

static bool msg_is(natsMsg *m, const char *subject, const char *data)
{
    return strcmp(natsMsg_GetSubject(m), subject) == 0 &&
           natsMsg_GetDataLength(m) == (int)strlen(data) &&
           memcmp(natsMsg_GetData(m), data, strlen(data)) == 0;
}

static void pubsub_basic(void)
{
    CHECK(nc);
    natsSubscription *sub = NULL;
    CHECK(natsConnection_SubscribeSync(&sub, nc, "iop.basic") == NATS_OK);
    CHECK(natsConnection_PublishString(nc, "iop.basic", "one") == NATS_OK);
    CHECK(natsConnection_PublishString(nc, "iop.basic", "two") == NATS_OK);
    CHECK(natsConnection_Publish(nc, "iop.basic", NULL, 0) == NATS_OK);
    CHECK(natsConnection_Flush(nc) == NATS_OK);
    natsMsg *m = NULL;
    int ok = 1;
    const char *want[] = {"one", "two", ""};
    for (int i = 0; i < 3 && ok; i++) {
        if (natsSubscription_NextMsg(&m, sub, 2000) != NATS_OK)
            ok = 0;
        else if (!msg_is(m, "iop.basic", want[i]))
            ok = 0;
        natsMsg_Destroy(m);
        m = NULL;
    }
    natsSubscription_Destroy(sub);
    CHECKF(ok, "did not receive one, two, <empty> in order");
}

/* Publishes each subject (data = subject) then a sentinel that matches, and checks that exactly
 * the expected subjects arrive before the sentinel. */
static int wildcard_case(const char *filter, const char *const *subjects, int nsubjects,
                         const char *sentinel, const char *const *expect, int nexpect,
                         char *why, size_t whycap)
{
    natsSubscription *sub = NULL;
    int rc = -1;
    if (natsConnection_SubscribeSync(&sub, nc, filter) != NATS_OK) {
        snprintf(why, whycap, "subscribe %s failed", filter);
        return -1;
    }
    for (int i = 0; i < nsubjects; i++)
        natsConnection_PublishString(nc, subjects[i], subjects[i]);
    natsConnection_PublishString(nc, sentinel, "sentinel");
    natsConnection_Flush(nc);
    int got = 0;
    for (;;) {
        natsMsg *m = NULL;
        if (natsSubscription_NextMsg(&m, sub, 2000) != NATS_OK) {
            snprintf(why, whycap, "%s: sentinel never arrived", filter);
            break;
        }
        if (strcmp(natsMsg_GetSubject(m), sentinel) == 0 &&
            strcmp(natsMsg_GetData(m), "sentinel") == 0) {
            natsMsg_Destroy(m);
            if (got == nexpect)
                rc = 0;
            else
                snprintf(why, whycap, "%s: got %d messages, want %d", filter, got, nexpect);
            break;
        }
        if (got >= nexpect || strcmp(natsMsg_GetSubject(m), expect[got]) != 0 ||
            strcmp(natsMsg_GetData(m), expect[got]) != 0) {
            snprintf(why, whycap, "%s: unexpected message on '%s' (#%d)", filter,
                     natsMsg_GetSubject(m), got);
            natsMsg_Destroy(m);
            break;
        }
        got++;
        natsMsg_Destroy(m);
    }
    natsSubscription_Destroy(sub);
    return rc;
}

static void wildcard_star(void)
{
    CHECK(nc);
    const char *pubs[] = {"iop.star.a.x", "iop.star.a.b.x", "iop.star.x", "iop.star.b.y",
                          "iop.star.b.x", "iop.star.a.x.y"};
    const char *want[] = {"iop.star.a.x", "iop.star.b.x"};
    char why[256] = "";
    int rc = wildcard_case("iop.star.*.x", pubs, 6, "iop.star.z.x", want, 2, why, sizeof why);
    CHECKF(rc == 0, "%.300s", why);
}

static void wildcard_gt(void)
{
    CHECK(nc);
    const char *pubs[] = {"iop.gt", "iop.gt.a", "iop.gtx.a", "iop.gt.a.b.c", "iop.other.a"};
    const char *want[] = {"iop.gt.a", "iop.gt.a.b.c"};
    char why[256] = "";
    int rc = wildcard_case("iop.gt.>", pubs, 5, "iop.gt.end", want, 2, why, sizeof why);
    CHECKF(rc == 0, "%.300s", why);
    /* '*' and '>' combined */
    const char *pubs2[] = {"iop.mix.a", "iop.mix.a.b", "iop.mix.b.c", "iop.mix.a.b.c",
                           "iop.mox.a.b", "iop.mix.x.a.b"};
    const char *want2[] = {"iop.mix.a.b", "iop.mix.a.b.c", "iop.mox.a.b"};
    rc = wildcard_case("iop.*.a.>", pubs2, 6, "iop.mix.a.z", want2, 3, why, sizeof why);
    CHECKF(rc == 0, "%.300s", why);
}

#define QG_MEMBERS 5
#define QG_MSGS 2000

static void queue_group(void)
{
    CHECK(nc);
    natsConnection *pub = NULL;
    CHECK(h_connect(&srv, NULL, &pub, NULL, 0) == NATS_OK);
    natsSubscription *members[QG_MEMBERS] = {0}, *plain = NULL, *other_group = NULL;
    int count[QG_MEMBERS] = {0};
    static unsigned char seen[QG_MSGS];
    memset(seen, 0, sizeof seen);
    int ok = 1;
    for (int i = 0; i < QG_MEMBERS; i++) {
        ok &= natsConnection_QueueSubscribeSync(&members[i], nc, "iop.qg", "workers") == NATS_OK;
        if (members[i])
            natsSubscription_SetPendingLimits(members[i], -1, -1);
    }
    ok &= natsConnection_SubscribeSync(&plain, nc, "iop.qg") == NATS_OK;
    ok &= natsConnection_QueueSubscribeSync(&other_group, nc, "iop.qg", "auditors") == NATS_OK;
    if (plain)
        natsSubscription_SetPendingLimits(plain, -1, -1);
    if (other_group)
        natsSubscription_SetPendingLimits(other_group, -1, -1);
    ok &= natsConnection_Flush(nc) == NATS_OK;
    char buf[32];
    for (int i = 0; ok && i < QG_MSGS; i++) {
        snprintf(buf, sizeof buf, "%d", i);
        ok &= natsConnection_PublishString(pub, "iop.qg", buf) == NATS_OK;
    }
    ok &= natsConnection_Flush(pub) == NATS_OK;
    ok &= natsConnection_Flush(nc) == NATS_OK;

    int total = 0, dup = 0, bad = 0, plain_n = 0, other_n = 0;
    int64_t deadline = h_now_ms() + 10000;
    while (ok && (total < QG_MSGS || plain_n < QG_MSGS || other_n < QG_MSGS) &&
           h_now_ms() < deadline) {
        for (int i = 0; i < QG_MEMBERS; i++) {
            natsMsg *m = NULL;
            while (natsSubscription_NextMsg(&m, members[i], 5) == NATS_OK) {
                int k = atoi(natsMsg_GetData(m));
                if (k < 0 || k >= QG_MSGS)
                    bad++;
                else if (seen[k]++)
                    dup++;
                count[i]++;
                total++;
                natsMsg_Destroy(m);
            }
        }
        natsMsg *m = NULL;
        while (natsSubscription_NextMsg(&m, plain, 5) == NATS_OK) {
            plain_n++;
            natsMsg_Destroy(m);
        }
        while (natsSubscription_NextMsg(&m, other_group, 5) == NATS_OK) {
            other_n++;
            natsMsg_Destroy(m);
        }
    }
    /* nothing more may come */
    natsMsg *extra = NULL;
    int extras = 0;
    for (int i = 0; i < QG_MEMBERS; i++)
        if (members[i] && natsSubscription_NextMsg(&extra, members[i], 20) == NATS_OK) {
            extras++;
            natsMsg_Destroy(extra);
        }
    int empty_members = 0;
    for (int i = 0; i < QG_MEMBERS; i++)
        if (count[i] == 0)
            empty_members++;
    for (int i = 0; i < QG_MEMBERS; i++)
        natsSubscription_Destroy(members[i]);
    natsSubscription_Destroy(plain);
    natsSubscription_Destroy(other_group);
    natsConnection_Destroy(pub);
    CHECK(ok);
    CHECKF(bad == 0 && dup == 0 && extras == 0, "bad %d, duplicates %d, extra %d", bad, dup,
           extras);
    CHECKF(total == QG_MSGS, "group members got %d of %d messages", total, QG_MSGS);
    CHECKF(plain_n == QG_MSGS, "plain subscriber got %d of %d", plain_n, QG_MSGS);
    CHECKF(other_n == QG_MSGS, "second group got %d of %d", other_n, QG_MSGS);
    /* with random choice among 5 members, one member getting none of 2000 is ~1e-190 */
    CHECKF(empty_members == 0, "%d members got nothing: not distributed", empty_members);
}

static void responder(natsConnection *c, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)sub;
    (void)closure;
    char buf[256];
    snprintf(buf, sizeof buf, "re:%.*s", natsMsg_GetDataLength(msg), natsMsg_GetData(msg));
    if (natsMsg_GetReply(msg))
        natsConnection_PublishString(c, natsMsg_GetReply(msg), buf);
    natsMsg_Destroy(msg);
}

static void request_reply(void)
{
    CHECK(nc);
    natsConnection *svc = NULL;
    CHECK(h_connect(&srv, NULL, &svc, NULL, 0) == NATS_OK);
    natsSubscription *sub = NULL;
    natsStatus st = natsConnection_Subscribe(&sub, svc, "iop.svc", responder, NULL);
    if (st == NATS_OK)
        st = natsConnection_Flush(svc);
    int ok = st == NATS_OK, bad = -1;
    for (int i = 0; ok && i < 20; i++) {
        char req[32], want[40];
        snprintf(req, sizeof req, "q%d", i);
        snprintf(want, sizeof want, "re:q%d", i);
        natsMsg *reply = NULL;
        st = natsConnection_RequestString(&reply, nc, "iop.svc", req, 3000);
        if (st != NATS_OK || natsMsg_GetDataLength(reply) != (int)strlen(want) ||
            memcmp(natsMsg_GetData(reply), want, strlen(want)) != 0) {
            ok = 0;
            bad = i;
        }
        natsMsg_Destroy(reply);
    }
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(svc);
    CHECKF(ok, "request %d failed: %s", bad, natsStatus_GetText(st));
}

static void headers_roundtrip(void)
{
    CHECK(nc);
    natsSubscription *sub = NULL;
    CHECK(natsConnection_SubscribeSync(&sub, nc, "iop.hdr") == NATS_OK);
    natsMsg *out = NULL;
    CHECK(natsMsg_Create(&out, "iop.hdr", "iop.hdr.reply", "body", 4) == NATS_OK);
    CHECK(natsMsgHeader_Set(out, "X-One", "1") == NATS_OK);
    CHECK(natsMsgHeader_Add(out, "X-Multi", "a") == NATS_OK);
    CHECK(natsMsgHeader_Add(out, "X-Multi", "b b") == NATS_OK);
    CHECK(natsMsgHeader_Add(out, "X-Multi", "c:c") == NATS_OK);
    CHECK(natsMsgHeader_Set(out, "Content-Type", "text/plain; charset=utf-8") == NATS_OK);
    natsStatus st = natsConnection_PublishMsg(nc, out);
    natsMsg_Destroy(out);
    CHECK(st == NATS_OK);
    /* a header-only message */
    natsMsg *empty = NULL;
    CHECK(natsMsg_Create(&empty, "iop.hdr", NULL, NULL, 0) == NATS_OK);
    CHECK(natsMsgHeader_Set(empty, "X-Only", "yes") == NATS_OK);
    st = natsConnection_PublishMsg(nc, empty);
    natsMsg_Destroy(empty);
    CHECK(st == NATS_OK);
    CHECK(natsConnection_Flush(nc) == NATS_OK);

    natsMsg *in = NULL, *in2 = NULL;
    st = natsSubscription_NextMsg(&in, sub, 2000);
    if (st == NATS_OK)
        st = natsSubscription_NextMsg(&in2, sub, 2000);
    natsSubscription_Destroy(sub);
    const char *v1 = NULL, *ct = NULL, *only = NULL, *missing = NULL;
    const char **vals = NULL;
    int nvals = 0;
    int ok = st == NATS_OK;
    ok = ok && natsMsgHeader_Get(in, "X-One", &v1) == NATS_OK && strcmp(v1, "1") == 0;
    ok = ok && natsMsgHeader_Get(in, "Content-Type", &ct) == NATS_OK &&
         strcmp(ct, "text/plain; charset=utf-8") == 0;
    ok = ok && natsMsgHeader_Values(in, "X-Multi", &vals, &nvals) == NATS_OK && nvals == 3 &&
         strcmp(vals[0], "a") == 0 && strcmp(vals[1], "b b") == 0 && strcmp(vals[2], "c:c") == 0;
    ok = ok && natsMsgHeader_Get(in, "X-Missing", &missing) == NATS_NOT_FOUND;
    ok = ok && natsMsg_GetDataLength(in) == 4 && memcmp(natsMsg_GetData(in), "body", 4) == 0;
    ok = ok && natsMsg_GetReply(in) && strcmp(natsMsg_GetReply(in), "iop.hdr.reply") == 0;
    ok = ok && natsMsgHeader_Get(in2, "X-Only", &only) == NATS_OK && strcmp(only, "yes") == 0 &&
         natsMsg_GetDataLength(in2) == 0;
    free((void *)vals);
    natsMsg_Destroy(in);
    natsMsg_Destroy(in2);
    CHECKF(ok, "headers did not round-trip (status %s)", natsStatus_GetText(st));
}

static void no_responders(void)
{
    CHECK(nc);
    natsMsg *reply = NULL;
    int64_t t0 = h_now_ms();
    natsStatus st = natsConnection_RequestString(&reply, nc, "iop.nobody.home", "hi", 5000);
    int64_t took = h_now_ms() - t0;
    natsMsg_Destroy(reply);
    CHECKF(st == NATS_NO_RESPONDERS, "request got %s, want NATS_NO_RESPONDERS",
           natsStatus_GetText(st));
    CHECKF(took < 2000, "no-responders answer took %lld ms (should be immediate)",
           (long long)took);
}

static void auto_unsubscribe(void)
{
    CHECK(nc);
    natsSubscription *sub = NULL;
    CHECK(natsConnection_SubscribeSync(&sub, nc, "iop.auto") == NATS_OK);
    CHECK(natsSubscription_AutoUnsubscribe(sub, 5) == NATS_OK);
    for (int i = 0; i < 10; i++)
        natsConnection_PublishString(nc, "iop.auto", "x");
    CHECK(natsConnection_Flush(nc) == NATS_OK);
    int got = 0;
    natsMsg *m = NULL;
    natsStatus st;
    while ((st = natsSubscription_NextMsg(&m, sub, 300)) == NATS_OK) {
        got++;
        natsMsg_Destroy(m);
        m = NULL;
    }
    bool valid = natsSubscription_IsValid(sub);
    natsSubscription_Destroy(sub);
    CHECKF(got == 5, "got %d messages, want exactly 5", got);
    CHECK(!valid);
    /* a second subscription on the same subject still gets messages: the server's interest
     * for the auto-unsubscribed one is gone, not the subject's */
    CHECK(h_nc_roundtrip(nc, "iop.auto") == 0);
}

static void max_payload_client(void)
{
    h_server mp = {0};
    CHECK(h_server_start(&mp, "max_payload: 1024\n", NULL) == 0);
    natsConnection *c = NULL;
    natsSubscription *sub = NULL;
    natsMsg *m = NULL;
    char *big = calloc(1, 1025);
    natsStatus st = h_connect(&mp, NULL, &c, NULL, 0);
    int64_t maxp = c ? natsConnection_GetMaxPayload(c) : -1;
    natsStatus st_at = NATS_ERR, st_over = NATS_ERR, st_recv = NATS_ERR;
    int len_ok = 0;
    if (st == NATS_OK && big) {
        memset(big, 'p', 1025);
        natsConnection_SubscribeSync(&sub, c, "iop.mp");
        st_at = natsConnection_Publish(c, "iop.mp", big, 1024);
        st_over = natsConnection_Publish(c, "iop.mp", big, 1025);
        natsConnection_Flush(c);
        st_recv = natsSubscription_NextMsg(&m, sub, 2000);
        len_ok = st_recv == NATS_OK && natsMsg_GetDataLength(m) == 1024;
    }
    int alive = c && natsConnection_Status(c) == NATS_CONN_STATUS_CONNECTED;
    natsMsg_Destroy(m);
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(c);
    free(big);
    h_server_free(&mp);
    CHECKF(st == NATS_OK, "connect: %s", natsStatus_GetText(st));
    CHECKF(maxp == 1024, "INFO max_payload as seen by libnats: %lld", (long long)maxp);
    CHECKF(st_at == NATS_OK, "1024-byte publish: %s", natsStatus_GetText(st_at));
    CHECKF(st_over == NATS_MAX_PAYLOAD, "1025-byte publish: %s", natsStatus_GetText(st_over));
    CHECKF(len_ok, "1024-byte message not received (%s)", natsStatus_GetText(st_recv));
    CHECK(alive);
}

static void max_payload_wire(void)
{
    h_server mp = {0};
    CHECK(h_server_start(&mp, "max_payload: 1024\n", NULL) == 0);
    h_raw *r = calloc(1, sizeof *r);
    char *payload = malloc(1100), *got = malloc(4096);
    char esc[512];
    int hs = -1, ok_at = 0, closed_ok = 0, witness_ok = 0;
    bool closed = false;
    size_t n = 0;
    natsConnection *w = NULL;
    if (r && payload && got) {
        memset(payload, 'w', 1100);
        hs = h_raw_handshake(r, mp.port, NULL, NULL, 0);
        h_connect(&mp, NULL, &w, NULL, 0);
    }
    if (hs == 0) {
        /* exactly at the limit: delivered */
        h_raw_sends(r, "SUB iop.mpw 1\r\nPUB iop.mpw 1024\r\n");
        h_raw_send(r, payload, 1024);
        h_raw_sends(r, "\r\nPING\r\n");
        n = h_raw_read_until(r, got, 4096, "PONG\r\n", 3000, &closed);
        ok_at = n == 20 + 1024 + 2 + 6 && memcmp(got, "MSG iop.mpw 1 1024\r\n", 20) == 0;
        /* one byte over: the server answers on the control line and closes */
        h_raw_sends(r, "PUB iop.mpw 1025\r\n");
        h_raw_send(r, payload, 1025);
        h_raw_sends(r, "\r\n");
        n = h_raw_read_until(r, got, 4096, NULL, 3000, &closed);
        closed_ok = closed && strcmp(got, "-ERR 'Maximum Payload Violation'\r\n") == 0;
        witness_ok = w && h_nc_roundtrip(w, "iop.mpw.witness") == 0;
    }
    natsConnection_Destroy(w);
    if (r)
        h_raw_close(r);
    h_server_free(&mp);
    int hs_ok = hs == 0;
    if (!closed_ok && got)
        h_escape(got, strlen(got), esc, sizeof esc);
    free(r);
    free(payload);
    free(got);
    CHECK(hs_ok);
    CHECKF(ok_at, "1024-byte PUB not delivered as MSG");
    CHECKF(closed_ok, "over max_payload: got '%.200s', closed=%d", esc, closed);
    CHECK(witness_ok);
}

#define ORDER_N 100000

static void ordered_100k(void)
{
    CHECK(nc);
    natsConnection *pub = NULL;
    CHECK(h_connect(&srv, NULL, &pub, NULL, 0) == NATS_OK);
    natsSubscription *sub = NULL;
    natsStatus st = natsConnection_SubscribeSync(&sub, nc, "iop.order");
    if (st == NATS_OK)
        st = natsSubscription_SetPendingLimits(sub, -1, -1);
    if (st == NATS_OK)
        st = natsConnection_Flush(nc);
    char buf[32];
    for (int i = 0; st == NATS_OK && i < ORDER_N; i++) {
        int len = snprintf(buf, sizeof buf, "%d", i);
        st = natsConnection_Publish(pub, "iop.order", buf, len);
    }
    if (st == NATS_OK)
        st = natsConnection_Flush(pub);
    int next = 0, wrong = -1;
    int64_t dropped = 0;
    while (st == NATS_OK && next < ORDER_N) {
        natsMsg *m = NULL;
        st = natsSubscription_NextMsg(&m, sub, 5000);
        if (st != NATS_OK)
            break;
        if (atoi(natsMsg_GetData(m)) != next && wrong < 0)
            wrong = next;
        next++;
        natsMsg_Destroy(m);
    }
    if (sub)
        natsSubscription_GetDropped(sub, &dropped);
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(pub);
    CHECKF(st == NATS_OK, "after %d messages: %s", next, natsStatus_GetText(st));
    CHECKF(wrong < 0, "message %d out of order", wrong);
    CHECKF(next == ORDER_N && dropped == 0, "got %d, dropped %lld", next, (long long)dropped);
}

static void no_echo(void)
{
    h_conn_opts o = {.no_echo = true};
    natsConnection *quiet = NULL, *other = NULL;
    natsSubscription *qs = NULL, *os = NULL;
    natsMsg *m = NULL;
    CHECK(h_connect(&srv, &o, &quiet, NULL, 0) == NATS_OK);
    natsStatus st = h_connect(&srv, NULL, &other, NULL, 0);
    if (st == NATS_OK)
        st = natsConnection_SubscribeSync(&qs, quiet, "iop.echo");
    if (st == NATS_OK)
        st = natsConnection_SubscribeSync(&os, other, "iop.echo");
    if (st == NATS_OK)
        st = natsConnection_Flush(quiet);
    if (st == NATS_OK)
        st = natsConnection_Flush(other);
    if (st == NATS_OK)
        st = natsConnection_PublishString(quiet, "iop.echo", "from-self");
    if (st == NATS_OK)
        st = natsConnection_Flush(quiet);
    if (st == NATS_OK)
        st = natsConnection_PublishString(other, "iop.echo", "from-other");
    if (st == NATS_OK)
        st = natsConnection_Flush(other);
    int quiet_first = 0, quiet_more = 0, other_both = 0;
    if (st == NATS_OK) {
        if (natsSubscription_NextMsg(&m, qs, 2000) == NATS_OK)
            quiet_first = msg_is(m, "iop.echo", "from-other");
        natsMsg_Destroy(m);
        m = NULL;
        if (natsSubscription_NextMsg(&m, qs, 200) == NATS_OK)
            quiet_more = 1;
        natsMsg_Destroy(m);
        m = NULL;
        natsMsg *a = NULL, *b = NULL;
        if (natsSubscription_NextMsg(&a, os, 2000) == NATS_OK &&
            natsSubscription_NextMsg(&b, os, 2000) == NATS_OK)
            other_both = msg_is(a, "iop.echo", "from-self") && msg_is(b, "iop.echo", "from-other");
        natsMsg_Destroy(a);
        natsMsg_Destroy(b);
    }
    natsSubscription_Destroy(qs);
    natsSubscription_Destroy(os);
    natsConnection_Destroy(quiet);
    natsConnection_Destroy(other);
    CHECKF(st == NATS_OK, "%s", natsStatus_GetText(st));
    CHECKF(quiet_first, "no-echo connection did not get the other's message first");
    CHECKF(!quiet_more, "no-echo connection received its own message");
    CHECKF(other_both, "echo connection did not get both messages");
}

int main(void)
{
    h_init();
    if (h_server_start(&srv, NULL, NULL) == 0) {
        char err[256];
        if (h_connect(&srv, NULL, &nc, err, sizeof err) != NATS_OK)
            fprintf(stderr, "connect: %s\n", err);
    }
    RUN(pubsub_basic);
    RUN(wildcard_star);
    RUN(wildcard_gt);
    RUN(queue_group);
    RUN(request_reply);
    RUN(headers_roundtrip);
    RUN(no_responders);
    RUN(auto_unsubscribe);
    RUN(max_payload_client);
    RUN(max_payload_wire);
    RUN(ordered_100k);
    RUN(no_echo);
    natsConnection_Destroy(nc);
    if (testlib_failed_cases)
        h_server_dump(&srv, 20);
    h_server_free(&srv);
    h_done();
    TESTLIB_EXIT();
}

/*
 * test_iop_pull.c — pull consumers through libnats's JetStream API: js_PullSubscribe and
 * natsSubscription_Fetch, the ack reply subject's metadata (natsMsg_GetMetaData: sequences,
 * delivery count, pending), acks (Ack, AckSync, Nak, InProgress, Term), redelivery after
 * ack_wait with a rising delivery count, fetch with nothing to get, consumer info / names /
 * list / delete, consumer counts in stream and account info, and the pull statuses of ADR-13
 * (404 No Messages, 408 Request Timeout with Nats-Pending-Messages, 409 Exceeded MaxWaiting)
 * on raw requests, and a durable consumer resuming exactly after a server restart.
 *
 * Every case passes against nats-server too (WEIR_SERVER=/usr/sbin/nats-server).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test/interop/harness.h"
#include "test/testlib.h"

static h_server srv;
static natsConnection *nc;
static jsCtx *js;

static natsStatus add_stream(const char *name, const char *subject)
{
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = name;
    const char *subjects[1] = {subject};
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    jsErrCode ec = 0;
    return js_AddStream(NULL, js, &cfg, NULL, &ec);
}

static natsStatus publish_n(const char *subject, int n)
{
    for (int i = 0; i < n; i++) {
        char data[32];
        snprintf(data, sizeof data, "m%d", i + 1);
        jsErrCode ec = 0;
        natsStatus st = js_Publish(NULL, js, subject, data, (int)strlen(data), NULL, &ec);
        if (st != NATS_OK)
            return st;
    }
    return NATS_OK;
}

static natsStatus pull_sub(natsSubscription **sub, const char *stream, const char *subject,
                           const char *durable, int64_t ack_wait_ns)
{
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = stream;
    so.Config.AckPolicy = js_AckExplicit;
    if (ack_wait_ns)
        so.Config.AckWait = ack_wait_ns;
    jsErrCode ec = 0;
    return js_PullSubscribe(sub, js, subject, durable, NULL, &so, &ec);
}

static bool meta_is(natsMsg *m, uint64_t sseq, uint64_t cseq, uint64_t dc, uint64_t pending)
{
    jsMsgMetaData *md = NULL;
    if (natsMsg_GetMetaData(&md, m) != NATS_OK)
        return false;
    bool ok = md->Sequence.Stream == sseq && (cseq == 0 || md->Sequence.Consumer == cseq) &&
              md->NumDelivered == dc && md->NumPending == pending && md->Timestamp > 0;
    if (!ok)
        fprintf(stderr, "meta: sseq %" PRIu64 " cseq %" PRIu64 " dc %" PRIu64
                " pending %" PRIu64 "\n", md->Sequence.Stream, md->Sequence.Consumer,
                md->NumDelivered, md->NumPending);
    jsMsgMetaData_Destroy(md);
    return ok;
}

static bool data_is(natsMsg *m, const char *text)
{
    return natsMsg_GetDataLength(m) == (int)strlen(text) &&
           memcmp(natsMsg_GetData(m), text, strlen(text)) == 0;
}

/* ---- cases ---- */

static void fetch_and_ack(void)
{
    CHECK(js);
    CHECK(add_stream("PULL", "pull.>") == NATS_OK);
    CHECK(publish_n("pull.a", 5) == NATS_OK);
    natsSubscription *sub = NULL;
    CHECK(pull_sub(&sub, "PULL", "pull.>", "D1", 0) == NATS_OK);
    natsMsgList l = {0};
    jsErrCode ec = 0;
    natsStatus st = natsSubscription_Fetch(&l, sub, 3, 2000, &ec);
    bool ok = st == NATS_OK && l.Count == 3 && data_is(l.Msgs[0], "m1") &&
              data_is(l.Msgs[2], "m3") && meta_is(l.Msgs[0], 1, 1, 1, 4) &&
              meta_is(l.Msgs[1], 2, 2, 1, 3) && meta_is(l.Msgs[2], 3, 3, 1, 2);
    if (ok)
        ok = natsMsg_Ack(l.Msgs[0], NULL) == NATS_OK &&
             natsMsg_AckSync(l.Msgs[1], NULL, &ec) == NATS_OK &&
             natsMsg_AckSync(l.Msgs[2], NULL, &ec) == NATS_OK;
    natsMsgList_Destroy(&l);
    CHECKF(ok, "first fetch: status %d count %d", st, l.Count);

    jsConsumerInfo *ci = NULL;
    CHECK(js_GetConsumerInfo(&ci, js, "PULL", "D1", NULL, &ec) == NATS_OK);
    ok = ci->NumAckPending == 0 && ci->NumPending == 2 && ci->Delivered.Stream == 3 &&
         ci->Delivered.Consumer == 3 && ci->AckFloor.Stream == 3 && ci->AckFloor.Consumer == 3 &&
         ci->Config->AckPolicy == js_AckExplicit && strcmp(ci->Name, "D1") == 0;
    jsConsumerInfo_Destroy(ci);
    CHECK(ok);

    /* ask for more than there is: the two left, then the request times out */
    st = natsSubscription_Fetch(&l, sub, 5, 500, &ec);
    ok = l.Count == 2 && meta_is(l.Msgs[0], 4, 4, 1, 1) && meta_is(l.Msgs[1], 5, 5, 1, 0);
    for (int i = 0; ok && i < l.Count; i++)
        ok = natsMsg_AckSync(l.Msgs[i], NULL, &ec) == NATS_OK;
    natsMsgList_Destroy(&l);
    CHECKF(ok, "second fetch: status %d count %d", st, l.Count);

    /* nothing left: a timeout with no messages */
    st = natsSubscription_Fetch(&l, sub, 1, 300, &ec);
    ok = st == NATS_TIMEOUT && l.Count == 0;
    natsMsgList_Destroy(&l);
    CHECKF(ok, "empty fetch: status %d", st);

    /* new messages wake a waiting fetch */
    CHECK(publish_n("pull.b", 1) == NATS_OK);
    st = natsSubscription_Fetch(&l, sub, 1, 2000, &ec);
    ok = st == NATS_OK && l.Count == 1 && meta_is(l.Msgs[0], 6, 6, 1, 0) &&
         natsMsg_Ack(l.Msgs[0], NULL) == NATS_OK;
    natsMsgList_Destroy(&l);
    natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
    CHECK(ok);
}

static void redelivery(void)
{
    CHECK(js);
    CHECK(add_stream("REDO", "redo.>") == NATS_OK);
    CHECK(publish_n("redo.x", 2) == NATS_OK);
    natsSubscription *sub = NULL;
    CHECK(pull_sub(&sub, "REDO", "redo.>", "R1", 300 * 1000000LL) == NATS_OK);
    natsMsgList l = {0};
    jsErrCode ec = 0;
    natsStatus st = natsSubscription_Fetch(&l, sub, 1, 2000, &ec);
    bool ok = st == NATS_OK && l.Count == 1 && meta_is(l.Msgs[0], 1, 1, 1, 1);
    natsMsgList_Destroy(&l);
    CHECK(ok);
    /* not acked: after ack_wait it comes again, delivered twice */
    h_sleep_ms(700);
    st = natsSubscription_Fetch(&l, sub, 1, 2000, &ec);
    ok = st == NATS_OK && l.Count == 1 && meta_is(l.Msgs[0], 1, 2, 2, 1);
    if (ok)
        ok = natsMsg_Nak(l.Msgs[0], NULL) == NATS_OK;
    natsMsgList_Destroy(&l);
    CHECK(ok);
    h_sleep_ms(100); /* nats-server handles acks on a queue of their own */
    jsConsumerInfo *ci = NULL;
    /* a nak: at once again, three times now */
    st = natsSubscription_Fetch(&l, sub, 1, 2000, &ec);
    ok = st == NATS_OK && l.Count == 1 && meta_is(l.Msgs[0], 1, 3, 3, 1) &&
         natsMsg_InProgress(l.Msgs[0], NULL) == NATS_OK;
    if (ok) {
        CHECK(js_GetConsumerInfo(&ci, js, "REDO", "R1", NULL, &ec) == NATS_OK);
        ok = ci->NumRedelivered == 1 && ci->NumAckPending == 1 && ci->NumPending == 1;
        jsConsumerInfo_Destroy(ci);
    }
    if (ok)
        ok = natsMsg_Term(l.Msgs[0], NULL) == NATS_OK;
    natsMsgList_Destroy(&l);
    CHECK(ok);
    h_sleep_ms(100);
    /* terminated: the next one is message 2 (its consumer sequence is 4 in nats-server 2.10+,
     * 3 in 2.9, so it is not checked) */
    st = natsSubscription_Fetch(&l, sub, 1, 2000, &ec);
    ok = st == NATS_OK && l.Count == 1 && meta_is(l.Msgs[0], 2, 0, 1, 0) &&
         natsMsg_AckSync(l.Msgs[0], NULL, &ec) == NATS_OK;
    natsMsgList_Destroy(&l);
    CHECK(ok);
    CHECK(js_GetConsumerInfo(&ci, js, "REDO", "R1", NULL, &ec) == NATS_OK);
    ok = ci->NumAckPending == 0 && ci->NumPending == 0 && ci->AckFloor.Stream == 2;
    jsConsumerInfo_Destroy(ci);
    natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
    CHECK(ok);
}

static bool status_is(natsMsg *m, const char *code)
{
    const char *v = NULL;
    return m && natsMsgHeader_Get(m, "Status", &v) == NATS_OK && v && strcmp(v, code) == 0;
}

static void pull_statuses(void)
{
    CHECK(js);
    CHECK(add_stream("STAT", "stat.>") == NATS_OK);
    jsConsumerConfig cc;
    jsConsumerConfig_Init(&cc);
    cc.Durable = "S1";
    cc.AckPolicy = js_AckExplicit;
    cc.MaxWaiting = 1;
    jsErrCode ec = 0;
    CHECK(js_AddConsumer(NULL, js, "STAT", &cc, NULL, &ec) == NATS_OK);
    natsMsg *m = NULL;
    /* no_wait with nothing: 404 */
    CHECK(natsConnection_RequestString(&m, nc, "$JS.API.CONSUMER.MSG.NEXT.STAT.S1",
                                       "{\"batch\":1,\"no_wait\":true}", 2000) == NATS_OK);
    bool ok = status_is(m, "404");
    natsMsg_Destroy(m);
    CHECK(ok);
    /* expires: 408 with the messages still wanted */
    natsSubscription *inbox = NULL;
    CHECK(natsConnection_SubscribeSync(&inbox, nc, "pull.inbox.1") == NATS_OK);
    CHECK(natsConnection_PublishRequestString(nc, "$JS.API.CONSUMER.MSG.NEXT.STAT.S1",
                                              "pull.inbox.1",
                                              "{\"batch\":3,\"expires\":300000000}") == NATS_OK);
    /* a second waiting request exceeds max_waiting 1: 409 */
    CHECK(natsConnection_RequestString(&m, nc, "$JS.API.CONSUMER.MSG.NEXT.STAT.S1",
                                       "{\"batch\":1,\"expires\":1000000000}", 2000) == NATS_OK);
    const char *desc = NULL;
    ok = status_is(m, "409") && natsMsgHeader_Get(m, "Description", &desc) == NATS_OK &&
         strcmp(desc, "Exceeded MaxWaiting") == 0;
    natsMsg_Destroy(m);
    CHECK(ok);
    m = NULL;
    CHECK(natsSubscription_NextMsg(&m, inbox, 2000) == NATS_OK);
    const char *pend = NULL;
    ok = status_is(m, "408") &&
         natsMsgHeader_Get(m, "Nats-Pending-Messages", &pend) == NATS_OK && strcmp(pend, "3") == 0;
    natsMsg_Destroy(m);
    CHECK(ok);
    /* idle heartbeats while nothing comes, then the timeout */
    CHECK(natsConnection_PublishRequestString(
              nc, "$JS.API.CONSUMER.MSG.NEXT.STAT.S1", "pull.inbox.1",
              "{\"batch\":1,\"expires\":600000000,\"idle_heartbeat\":150000000}") == NATS_OK);
    int heartbeats = 0;
    bool timeout = false;
    for (int i = 0; i < 10 && !timeout; i++) {
        m = NULL;
        if (natsSubscription_NextMsg(&m, inbox, 2000) != NATS_OK)
            break;
        const char *last = NULL;
        if (status_is(m, "100") &&
            natsMsgHeader_Get(m, "Nats-Last-Consumer", &last) == NATS_OK && !strcmp(last, "0"))
            heartbeats++;
        timeout = status_is(m, "408");
        natsMsg_Destroy(m);
    }
    natsSubscription_Destroy(inbox);
    CHECKF(heartbeats >= 2 && timeout, "heartbeats %d timeout %d", heartbeats, timeout);
    CHECK(natsConnection_RequestString(
              &m, nc, "$JS.API.CONSUMER.MSG.NEXT.STAT.S1",
              "{\"batch\":1,\"expires\":100000000,\"idle_heartbeat\":90000000}", 2000) ==
          NATS_OK);
    ok = status_is(m, "400") && natsMsgHeader_Get(m, "Description", &desc) == NATS_OK &&
         strcmp(desc, "Bad Request - heartbeat value too large") == 0;
    natsMsg_Destroy(m);
    CHECK(ok);
    /* max_bytes: messages while they fit (subject + ack reply + data), then 409 */
    CHECK(publish_n("stat.a", 5) == NATS_OK);
    CHECK(natsConnection_SubscribeSync(&inbox, nc, "pull.inbox.2") == NATS_OK);
    CHECK(natsConnection_PublishRequestString(
              nc, "$JS.API.CONSUMER.MSG.NEXT.STAT.S1", "pull.inbox.2",
              "{\"batch\":10,\"expires\":2000000000,\"max_bytes\":150}") == NATS_OK);
    int got = 0, sum = 0, last = 0;
    bool exceeded = false;
    for (int i = 0; i < 12 && !exceeded; i++) {
        m = NULL;
        if (natsSubscription_NextMsg(&m, inbox, 2000) != NATS_OK)
            break;
        if (status_is(m, "409")) {
            exceeded = natsMsgHeader_Get(m, "Description", &desc) == NATS_OK &&
                       strcmp(desc, "Message Size Exceeds MaxBytes") == 0;
        } else if (natsMsg_GetReply(m)) {
            last = (int)(strlen(natsMsg_GetSubject(m)) + strlen(natsMsg_GetReply(m)) +
                         (size_t)natsMsg_GetDataLength(m));
            sum += last;
            got++;
        }
        natsMsg_Destroy(m);
    }
    natsSubscription_Destroy(inbox);
    CHECKF(exceeded && got >= 1 && got < 5 && sum <= 150 && sum + last > 150,
           "exceeded %d got %d sum %d last %d", exceeded, got, sum, last);
    /* a missing consumer: nobody answers */
    natsStatus st = natsConnection_RequestString(&m, nc, "$JS.API.CONSUMER.MSG.NEXT.STAT.NOPE",
                                                 "1", 1000);
    CHECKF(st == NATS_NO_RESPONDERS || st == NATS_TIMEOUT, "status %d", st);
}

static void info_names_list_delete(void)
{
    CHECK(js);
    CHECK(add_stream("NAMES", "names.>") == NATS_OK);
    CHECK(publish_n("names.a", 3) == NATS_OK);
    const char *names[] = {"C1", "C2"};
    jsErrCode ec = 0;
    for (int i = 0; i < 2; i++) {
        jsConsumerConfig cc;
        jsConsumerConfig_Init(&cc);
        cc.Durable = names[i];
        cc.AckPolicy = js_AckExplicit;
        cc.FilterSubject = "names.a";
        jsConsumerInfo *ci = NULL;
        CHECK(js_AddConsumer(&ci, js, "NAMES", &cc, NULL, &ec) == NATS_OK);
        bool ok = ci->NumPending == 3 && strcmp(ci->Stream, "NAMES") == 0 &&
                  ci->Config->MaxAckPending == 1000 && ci->Config->MaxWaiting == 512 &&
                  ci->Config->AckWait == 30000000000LL;
        jsConsumerInfo_Destroy(ci);
        CHECK(ok);
    }
    jsConsumerNamesList *nl = NULL;
    CHECK(js_ConsumerNames(&nl, js, "NAMES", NULL, &ec) == NATS_OK);
    bool ok = nl->Count == 2;
    jsConsumerNamesList_Destroy(nl);
    CHECK(ok);
    jsConsumerInfoList *il = NULL;
    CHECK(js_Consumers(&il, js, "NAMES", NULL, &ec) == NATS_OK);
    ok = il->Count == 2 && il->List[0]->NumPending == 3;
    jsConsumerInfoList_Destroy(il);
    CHECK(ok);
    jsStreamInfo *si = NULL;
    CHECK(js_GetStreamInfo(&si, js, "NAMES", NULL, &ec) == NATS_OK);
    ok = si->State.Consumers == 2;
    jsStreamInfo_Destroy(si);
    CHECK(ok);
    CHECK(js_DeleteConsumer(js, "NAMES", "C1", NULL, &ec) == NATS_OK);
    jsConsumerInfo *ci = NULL;
    ec = 0;
    CHECK(js_GetConsumerInfo(&ci, js, "NAMES", "C1", NULL, &ec) != NATS_OK);
    CHECKF(ec == 10014, "err_code %d", (int)ec);
    ec = 0;
    CHECK(js_DeleteConsumer(js, "NAMES", "C1", NULL, &ec) != NATS_OK && ec == 10014);
    /* deleting the stream takes its consumers */
    CHECK(js_DeleteStream(js, "NAMES", NULL, &ec) == NATS_OK);
    CHECK(add_stream("NAMES", "names.>") == NATS_OK);
    nl = NULL;
    natsStatus st = js_ConsumerNames(&nl, js, "NAMES", NULL, &ec);
    /* libnats reports an empty list as NATS_NOT_FOUND */
    ok = st == NATS_NOT_FOUND || (st == NATS_OK && nl->Count == 0);
    jsConsumerNamesList_Destroy(nl);
    CHECKF(ok, "status %d", st);
}

static void deliver_policies(void)
{
    CHECK(js);
    CHECK(add_stream("POL", "pol.>") == NATS_OK);
    CHECK(publish_n("pol.a", 4) == NATS_OK);
    struct {
        const char *name;
        jsDeliverPolicy dp;
        uint64_t start;
        uint64_t first_seq; /* 0: nothing */
    } cases[] = {{"ALL", js_DeliverAll, 0, 1},
                 {"LAST", js_DeliverLast, 0, 4},
                 {"NEW", js_DeliverNew, 0, 0},
                 {"SEQ", js_DeliverByStartSequence, 3, 3}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        jsSubOptions so;
        jsSubOptions_Init(&so);
        so.Stream = "POL";
        so.Config.AckPolicy = js_AckExplicit;
        so.Config.DeliverPolicy = cases[i].dp;
        so.Config.OptStartSeq = cases[i].start;
        natsSubscription *sub = NULL;
        jsErrCode ec = 0;
        CHECKF(js_PullSubscribe(&sub, js, "pol.>", cases[i].name, NULL, &so, &ec) == NATS_OK,
               "%s: ec %d", cases[i].name, (int)ec);
        natsMsgList l = {0};
        natsStatus st = natsSubscription_Fetch(&l, sub, 1, 300, &ec);
        jsMsgMetaData *md = NULL;
        bool ok = cases[i].first_seq == 0
                      ? st == NATS_TIMEOUT && l.Count == 0
                      : st == NATS_OK && l.Count == 1 &&
                            natsMsg_GetMetaData(&md, l.Msgs[0]) == NATS_OK &&
                            md->Sequence.Stream == cases[i].first_seq;
        jsMsgMetaData_Destroy(md);
        natsMsgList_Destroy(&l);
        natsSubscription_Unsubscribe(sub);
        natsSubscription_Destroy(sub);
        CHECKF(ok, "%s: status %d", cases[i].name, st);
    }
}

static void purge_clears_pending(void)
{
    CHECK(js);
    CHECK(add_stream("PUR", "pur.>") == NATS_OK);
    CHECK(publish_n("pur.a", 3) == NATS_OK);
    jsConsumerConfig cc;
    jsConsumerConfig_Init(&cc);
    cc.Durable = "P1";
    cc.AckPolicy = js_AckExplicit;
    jsErrCode ec = 0;
    CHECK(js_AddConsumer(NULL, js, "PUR", &cc, NULL, &ec) == NATS_OK);
    natsSubscription *sub = NULL;
    CHECK(pull_sub(&sub, "PUR", "pur.>", "P1", 0) == NATS_OK);
    natsMsgList l = {0};
    natsStatus st = natsSubscription_Fetch(&l, sub, 2, 2000, &ec);
    int count = l.Count;
    natsMsgList_Destroy(&l);
    CHECKF(st == NATS_OK && count == 2, "status %d count %d", st, count);
    CHECK(js_PurgeStream(js, "PUR", NULL, &ec) == NATS_OK);
    jsConsumerInfo *ci = NULL;
    CHECK(js_GetConsumerInfo(&ci, js, "PUR", "P1", NULL, &ec) == NATS_OK);
    bool ok = ci->NumAckPending == 0 && ci->NumPending == 0 && ci->AckFloor.Stream == 3;
    int64_t v[3] = {ci->NumAckPending, (int64_t)ci->NumPending, (int64_t)ci->AckFloor.Stream};
    jsConsumerInfo_Destroy(ci);
    CHECKF(ok, "ack pending %" PRId64 " pending %" PRId64 " floor %" PRId64, v[0], v[1], v[2]);
    CHECK(publish_n("pur.a", 1) == NATS_OK);
    st = natsSubscription_Fetch(&l, sub, 1, 2000, &ec);
    ok = st == NATS_OK && l.Count == 1 && meta_is(l.Msgs[0], 4, 0, 1, 0);
    natsMsgList_Destroy(&l);
    natsSubscription_Destroy(sub);
    CHECK(ok);
}

static void account_counts(void)
{
    CHECK(js);
    jsAccountInfo *ai = NULL;
    jsErrCode ec = 0;
    CHECK(js_GetAccountInfo(&ai, js, NULL, &ec) == NATS_OK);
    /* S1 and P1: the consumers js_PullSubscribe made went with natsSubscription_Unsubscribe,
     * those of NAMES with their stream */
    bool ok = ai->Consumers == 2;
    int n = ai->Consumers;
    jsAccountInfo_Destroy(ai);
    CHECKF(ok, "consumers %d", n);
}

/* A chat user's durable consumer: reads two messages, leaves one unacked, misses two more, and
 * after a server restart gets exactly the unread ones (the unacked one delivered again). */
static void durable_resume(void)
{
    CHECK(js);
    CHECK(add_stream("CHAT", "chat.room.*") == NATS_OK);
    jsConsumerConfig cc;
    jsConsumerConfig_Init(&cc);
    cc.Durable = "alice";
    cc.AckPolicy = js_AckExplicit;
    cc.FilterSubject = "chat.room.1";
    cc.AckWait = 1000 * 1000000LL;
    jsErrCode ec = 0;
    CHECK(js_AddConsumer(NULL, js, "CHAT", &cc, NULL, &ec) == NATS_OK);
    CHECK(publish_n("chat.room.1", 3) == NATS_OK);
    CHECK(publish_n("chat.room.2", 1) == NATS_OK);
    natsSubscription *sub = NULL;
    CHECK(pull_sub(&sub, "CHAT", "chat.room.1", "alice", 1000 * 1000000LL) == NATS_OK);
    natsMsgList l = {0};
    natsStatus st = natsSubscription_Fetch(&l, sub, 3, 2000, &ec);
    bool ok = st == NATS_OK && l.Count == 3 && natsMsg_AckSync(l.Msgs[0], NULL, &ec) == NATS_OK &&
              natsMsg_AckSync(l.Msgs[1], NULL, &ec) == NATS_OK;
    natsMsgList_Destroy(&l);
    natsSubscription_Destroy(sub);
    CHECKF(ok, "fetch: status %d", st);
    /* away: two more in the room, one elsewhere */
    CHECK(publish_n("chat.room.1", 2) == NATS_OK);
    CHECK(publish_n("chat.room.2", 1) == NATS_OK);
    h_sleep_ms(200);
    CHECK(h_restart_js(&srv, &nc, &js) == 0);
    jsConsumerInfo *ci = NULL;
    CHECK(js_GetConsumerInfo(&ci, js, "CHAT", "alice", NULL, &ec) == NATS_OK);
    /* the delivered stream sequence may already have moved past room 2's message 4 (nats-server
     * does so when its consumer scanned it) */
    ok = (ci->Delivered.Stream == 3 || ci->Delivered.Stream == 4) && ci->Delivered.Consumer == 3 &&
         ci->AckFloor.Stream == 2 &&
         ci->NumAckPending == 1 && ci->NumPending == 2;
    jsConsumerInfo_Destroy(ci);
    CHECK(ok);
    CHECK(pull_sub(&sub, "CHAT", "chat.room.1", "alice", 1000 * 1000000LL) == NATS_OK);
    /* the two new ones (stream 5 and 6) and, once its ack_wait passed, the unacked third */
    /* libnats's Fetch returns what is there at once, so fetch until all three came */
    int seen = 0, count = 0;
    int64_t deadline = h_now_ms() + 5000;
    st = NATS_OK;
    while (count < 3 && h_now_ms() < deadline) {
        natsStatus fst = natsSubscription_Fetch(&l, sub, 3 - count, 1000, &ec);
        if (fst != NATS_OK && fst != NATS_TIMEOUT)
            st = fst;
        for (int i = 0; fst == NATS_OK && i < l.Count; i++) {
            jsMsgMetaData *md = NULL;
            if (natsMsg_GetMetaData(&md, l.Msgs[i]) != NATS_OK)
                continue;
            if (md->Sequence.Stream == 3 && md->NumDelivered == 2)
                seen |= 1;
            else if (md->Sequence.Stream == 5 && md->NumDelivered == 1)
                seen |= 2;
            else if (md->Sequence.Stream == 6 && md->NumDelivered == 1)
                seen |= 4;
            jsMsgMetaData_Destroy(md);
            natsMsg_AckSync(l.Msgs[i], NULL, &ec);
            count++;
        }
        natsMsgList_Destroy(&l);
    }
    natsSubscription_Destroy(sub);
    CHECKF(st == NATS_OK && count == 3 && seen == 7, "status %d count %d seen %d", st, count, seen);
    CHECK(js_GetConsumerInfo(&ci, js, "CHAT", "alice", NULL, &ec) == NATS_OK);
    /* the floor moves past the other room's message 7 too, once the consumer scanned it */
    ok = ci->NumAckPending == 0 && ci->NumPending == 0 && ci->AckFloor.Stream == 7;
    int64_t v[3] = {ci->NumAckPending, (int64_t)ci->NumPending, (int64_t)ci->AckFloor.Stream};
    jsConsumerInfo_Destroy(ci);
    CHECKF(ok, "ack pending %" PRId64 " pending %" PRId64 " floor %" PRId64, v[0], v[1], v[2]);
}

/* The next message on sub within ms: a delivery (its stream sequence) or a status (-code). */
static long next_of(natsSubscription *sub, int ms)
{
    natsMsg *m = NULL;
    if (natsSubscription_NextMsg(&m, sub, ms) != NATS_OK)
        return 0;
    const char *v = NULL;
    long r = -1;
    jsMsgMetaData *md = NULL;
    if (natsMsgHeader_Get(m, "Status", &v) == NATS_OK && v)
        r = -strtol(v, NULL, 10);
    else if (natsMsg_GetMetaData(&md, m) == NATS_OK)
        r = (long)md->Sequence.Stream;
    jsMsgMetaData_Destroy(md);
    natsMsg_Destroy(m);
    return r;
}

/* nats-server 2.10's no_wait rules and its lazy interest check: a no_wait request that got part
 * of its batch ends with 408 (pending count), one held back by max_ack_pending waits for acks,
 * and a request whose requester resubscribes (a reconnect) still gets its messages. */
static void no_wait_and_resubscribe(void)
{
    CHECK(js);
    CHECK(add_stream("NW", "nw.>") == NATS_OK);
    jsConsumerConfig cc;
    jsConsumerConfig_Init(&cc);
    cc.Durable = "N1";
    cc.AckPolicy = js_AckExplicit;
    cc.MaxAckPending = 2;
    jsErrCode ec = 0;
    CHECK(js_AddConsumer(NULL, js, "NW", &cc, NULL, &ec) == NATS_OK);
    CHECK(publish_n("nw.a", 1) == NATS_OK);
    natsSubscription *in = NULL;
    CHECK(natsConnection_SubscribeSync(&in, nc, "nwin.1") == NATS_OK);
    CHECK(natsConnection_PublishRequestString(nc, "$JS.API.CONSUMER.MSG.NEXT.NW.N1", "nwin.1",
                                              "{\"batch\":4,\"no_wait\":true}") == NATS_OK);
    long a = next_of(in, 2000), b = next_of(in, 2000);
    CHECKF(a == 1 && b == -408, "partial no_wait: %ld %ld", a, b);
    /* max_ack_pending 2 (1 unacked): the second arrives, then the request waits */
    CHECK(publish_n("nw.a", 3) == NATS_OK);
    CHECK(natsConnection_PublishRequestString(nc, "$JS.API.CONSUMER.MSG.NEXT.NW.N1", "nwin.1",
                                              "{\"batch\":3,\"no_wait\":true}") == NATS_OK);
    a = next_of(in, 2000);
    b = next_of(in, 500);
    CHECKF(a == 2 && b == 0, "held by max_ack_pending: %ld then %ld", a, b);
    natsMsg *r = NULL;
    CHECK(natsConnection_RequestString(&r, nc, "$JS.ACK.NW.N1.1.1.1.0.0", "+ACK", 2000) ==
          NATS_OK);
    natsMsg_Destroy(r);
    a = next_of(in, 2000);
    CHECKF(a == 3, "after an ack: %ld", a);
    natsSubscription_Destroy(in);
    /* the requester goes away and comes back before a message is there for it */
    CHECK(js_DeleteConsumer(js, "NW", "N1", NULL, &ec) == NATS_OK);
    cc.Durable = "N2";
    cc.DeliverPolicy = js_DeliverNew;
    cc.MaxAckPending = 0;
    CHECK(js_AddConsumer(NULL, js, "NW", &cc, NULL, &ec) == NATS_OK);
    CHECK(natsConnection_SubscribeSync(&in, nc, "nwin.2") == NATS_OK);
    CHECK(natsConnection_PublishRequestString(nc, "$JS.API.CONSUMER.MSG.NEXT.NW.N2", "nwin.2",
                                              "{\"batch\":1,\"expires\":3000000000}") ==
          NATS_OK);
    CHECK(natsConnection_Flush(nc) == NATS_OK);
    natsSubscription_Destroy(in);
    CHECK(natsConnection_Flush(nc) == NATS_OK);
    h_sleep_ms(300);
    CHECK(natsConnection_SubscribeSync(&in, nc, "nwin.2") == NATS_OK);
    CHECK(natsConnection_Flush(nc) == NATS_OK);
    CHECK(publish_n("nw.b", 1) == NATS_OK);
    a = next_of(in, 2000);
    natsSubscription_Destroy(in);
    CHECKF(a == 5, "after resubscribing: %ld", a);
}

/* An ephemeral consumer is kept like a durable one (as nats-server recovers it) and comes back
 * after a restart where it stood; one that nobody uses goes after its inactive_threshold. A
 * mem_storage consumer (what ordered consumers ask for) is not kept. */
static void ephemeral_survives_restart(void)
{
    CHECK(js);
    CHECK(add_stream("EPH", "eph.>") == NATS_OK);
    CHECK(publish_n("eph.a", 4) == NATS_OK);
    const char *req = "{\"stream_name\":\"EPH\",\"config\":{\"name\":\"e1\","
                      "\"ack_policy\":\"explicit\",\"inactive_threshold\":3000000000}}";
    natsMsg *reply = NULL;
    CHECK(natsConnection_RequestString(&reply, nc, "$JS.API.CONSUMER.CREATE.EPH.e1", req, 2000) ==
          NATS_OK);
    CHECKF(strstr(natsMsg_GetData(reply), "\"error\"") == NULL, "%s", natsMsg_GetData(reply));
    natsMsg_Destroy(reply);
    req = "{\"stream_name\":\"EPH\",\"config\":{\"name\":\"m1\",\"mem_storage\":true,"
          "\"ack_policy\":\"none\",\"inactive_threshold\":3000000000}}";
    CHECK(natsConnection_RequestString(&reply, nc, "$JS.API.CONSUMER.CREATE.EPH.m1", req, 2000) ==
          NATS_OK);
    natsMsg_Destroy(reply);
    /* take two, ack one */
    natsInbox *inbox = NULL;
    natsSubscription *sub = NULL;
    CHECK(natsInbox_Create(&inbox) == NATS_OK);
    CHECK(natsConnection_SubscribeSync(&sub, nc, inbox) == NATS_OK);
    CHECK(natsConnection_PublishRequestString(nc, "$JS.API.CONSUMER.MSG.NEXT.EPH.e1", inbox,
                                              "2") == NATS_OK);
    natsMsg *m1 = NULL, *m2 = NULL;
    CHECK(natsSubscription_NextMsg(&m1, sub, 2000) == NATS_OK &&
          natsSubscription_NextMsg(&m2, sub, 2000) == NATS_OK);
    CHECK(meta_is(m1, 1, 1, 1, 3));
    natsMsg *acked = NULL; /* a double ack: answered once the ack is stored */
    CHECK(natsConnection_RequestString(&acked, nc, natsMsg_GetReply(m1), "+ACK", 2000) ==
          NATS_OK);
    natsMsg_Destroy(acked);
    natsMsg_Destroy(m1);
    natsMsg_Destroy(m2);
    natsSubscription_Destroy(sub);
    natsInbox_Destroy(inbox);
    CHECK(h_restart_js(&srv, &nc, &js) == 0);
    jsConsumerInfo *ci = NULL;
    jsErrCode ec = 0;
    CHECK(js_GetConsumerInfo(&ci, js, "EPH", "e1", NULL, &ec) == NATS_OK);
    bool ok = ci->Delivered.Stream == 2 && ci->AckFloor.Stream == 1 && ci->NumAckPending == 1 &&
              ci->NumPending == 2 && ci->Config->Durable == NULL;
    jsConsumerInfo_Destroy(ci);
    CHECK(ok);
    CHECK(js_GetConsumerInfo(&ci, js, "EPH", "m1", NULL, &ec) != NATS_OK &&
          ec == JSConsumerNotFoundErr);
    /* nobody comes back for it: gone after its 3 s threshold */
    int64_t deadline = h_now_ms() + 6000;
    natsStatus st = NATS_OK;
    while (h_now_ms() < deadline &&
           (st = js_GetConsumerInfo(&ci, js, "EPH", "e1", NULL, &ec)) == NATS_OK) {
        jsConsumerInfo_Destroy(ci);
        h_sleep_ms(250);
    }
    CHECKF(st != NATS_OK && ec == JSConsumerNotFoundErr, "status %d err_code %d", st, (int)ec);
}

int main(void)
{
    h_init();
    h_start_js(&srv, &nc, &js);
    RUN(fetch_and_ack);
    RUN(redelivery);
    RUN(pull_statuses);
    RUN(info_names_list_delete);
    RUN(deliver_policies);
    RUN(purge_clears_pending);
    RUN(account_counts);
    RUN(durable_resume);
    RUN(no_wait_and_resubscribe);
    RUN(ephemeral_survives_restart);
    return h_end_js(&srv, nc, js, testlib_failed_cases);
}

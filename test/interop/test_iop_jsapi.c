/*
 * test_iop_jsapi.c — the JetStream API for streams through libnats's JetStream calls and raw
 * requests: create / update / info (subjects filter, deleted details) / delete / purge (filter,
 * sequence, keep) / names / list, publish with acks (sync and async, expected last sequence,
 * expected stream, message ids), message get (by sequence, last by subject), direct get (by
 * sequence, last and next by subject, the subject-appended form, batches), message delete and
 * erase, account info, the server-wide storage limits, bad requests, and a restart.
 *
 * Every case asserts what nats-server answers; they pass against nats-server too
 * (WEIR_SERVER=/usr/sbin/nats-server). Behaviour newer than nats-server 2.9 is checked only
 * when the server announces it: 2.10's answers to unknown subjects and "invalid JSON: <why>"
 * texts when INFO.version is 2.10 or later, and 2.11's batched direct gets when $JS.API.INFO
 * announces api.level >= 1 (ADR-44).
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "test/interop/harness.h"
#include "test/testlib.h"

static h_server srv;
static natsConnection *nc;
static jsCtx *js;
static int server_minor;   /* nats-server 2.<minor> that the server is or emulates */
static int api_level = -1; /* $JS.API.INFO api.level; 0 when not announced */

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

/* Creates a stream with the given subjects (NULL-terminated) and options. */
static natsStatus add_stream(const char *name, bool allow_direct, jsErrCode *ec, ...)
{
    const char *subjects[8];
    int n = 0;
    va_list ap;
    va_start(ap, ec);
    for (const char *s; n < 8 && (s = va_arg(ap, const char *)) != NULL;)
        subjects[n++] = s;
    va_end(ap);
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = name;
    cfg.Subjects = subjects;
    cfg.SubjectsLen = n;
    cfg.AllowDirect = allow_direct;
    jsStreamInfo *si = NULL;
    natsStatus st = js_AddStream(&si, js, &cfg, NULL, ec);
    jsStreamInfo_Destroy(si);
    return st;
}

static natsStatus publish(const char *subject, const char *data, uint64_t *seq)
{
    jsPubAck *pa = NULL;
    jsErrCode ec = 0;
    natsStatus st = js_Publish(&pa, js, subject, data, (int)strlen(data), NULL, &ec);
    if (st == NATS_OK && seq)
        *seq = pa->Sequence;
    jsPubAck_Destroy(pa);
    return st;
}

static bool msg_data_is(natsMsg *m, const char *data)
{
    return natsMsg_GetDataLength(m) == (int)strlen(data) &&
           memcmp(natsMsg_GetData(m), data, strlen(data)) == 0;
}

static const char *hdr(natsMsg *m, const char *key)
{
    const char *v = NULL;
    if (natsMsgHeader_Get(m, key, &v) != NATS_OK)
        return "";
    return v;
}

/* ---- cases ---- */

static void create_and_info(void)
{
    CHECK(js);
    const char *subjects[] = {"orders.*", "audit.>"};
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = "ORDERS";
    cfg.Description = "order events";
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 2;
    cfg.MaxMsgsPerSubject = 5;
    cfg.AllowDirect = true;
    jsStreamInfo *si = NULL;
    jsErrCode ec = 0;
    natsStatus st = js_AddStream(&si, js, &cfg, NULL, &ec);
    CHECKF(st == NATS_OK, "js_AddStream: %s (%d)", natsStatus_GetText(st), (int)ec);
    CHECK(si && si->Config && strcmp(si->Config->Name, "ORDERS") == 0);
    CHECK(si->Config->SubjectsLen == 2 && strcmp(si->Config->Subjects[0], "orders.*") == 0 &&
          strcmp(si->Config->Subjects[1], "audit.>") == 0);
    CHECK(strcmp(si->Config->Description, "order events") == 0);
    CHECK(si->Config->MaxMsgsPerSubject == 5 && si->Config->MaxMsgs == -1 &&
          si->Config->MaxBytes == -1 && si->Config->MaxMsgSize == -1);
    CHECK(si->Config->Retention == js_LimitsPolicy && si->Config->Storage == js_FileStorage &&
          si->Config->Discard == js_DiscardOld && si->Config->Replicas == 1);
    CHECK(si->Config->Duplicates == INT64_C(120000000000) && si->Config->AllowDirect);
    CHECK(si->State.Msgs == 0 && si->State.Bytes == 0 && si->State.FirstSeq == 0 &&
          si->State.LastSeq == 0);
    int64_t created = si->Created;
    CHECK(created > 0);
    jsStreamInfo_Destroy(si);
    si = NULL;

    /* the same configuration again is fine and changes nothing */
    st = js_AddStream(&si, js, &cfg, NULL, &ec);
    CHECKF(st == NATS_OK, "identical create: %s (%d)", natsStatus_GetText(st), (int)ec);
    CHECK(si->Created == created);
    jsStreamInfo_Destroy(si);
    si = NULL;

    /* a different one under the same name is not */
    cfg.MaxMsgsPerSubject = 6;
    ec = 0;
    st = js_AddStream(&si, js, &cfg, NULL, &ec);
    CHECKF(st != NATS_OK && ec == JSStreamNameExistErr, "name in use: got %d", (int)ec);

    /* nor are subjects another stream captures */
    ec = 0;
    st = add_stream("ORDERS2", false, &ec, "orders.new", NULL);
    CHECKF(st != NATS_OK && ec == JSStreamSubjectOverlapErr, "overlap: got %d", (int)ec);

    st = js_GetStreamInfo(&si, js, "ORDERS", NULL, &ec);
    CHECKF(st == NATS_OK, "info: %s", natsStatus_GetText(st));
    CHECK(si->Config->MaxMsgsPerSubject == 5 && si->Created == created);
    if (server_minor >= 10)
        CHECK(si->Cluster && si->Cluster->Leader && si->Cluster->Leader[0]);
    jsStreamInfo_Destroy(si);
    si = NULL;

    ec = 0;
    st = js_GetStreamInfo(&si, js, "NOPE", NULL, &ec);
    CHECKF(st == NATS_NOT_FOUND || ec == JSStreamNotFoundErr, "missing stream: %s (%d)",
           natsStatus_GetText(st), (int)ec);
}

static void publish_and_state(void)
{
    CHECK(js);
    jsErrCode ec = 0;
    CHECK(add_stream("EVENTS", true, &ec, "ev.>", NULL) == NATS_OK);
    int64_t before = (int64_t)time(NULL) * 1000000000LL;
    for (int i = 1; i <= 10; i++) {
        char subj[32], data[32];
        snprintf(subj, sizeof subj, "ev.%s", i % 2 ? "odd" : "even");
        snprintf(data, sizeof data, "event %d", i);
        uint64_t seq = 0;
        CHECK(publish(subj, data, &seq) == NATS_OK);
        CHECKF(seq == (uint64_t)i, "pub ack seq %" PRIu64 " for message %d", seq, i);
    }
    for (int i = 0; i < 200; i++) {
        char data[32];
        snprintf(data, sizeof data, "async %d", i);
        CHECK(js_PublishAsync(js, i % 3 ? "ev.async.a" : "ev.async.b", data, (int)strlen(data),
                              NULL) == NATS_OK);
    }
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = 5000;
    CHECK(js_PublishAsyncComplete(js, &po) == NATS_OK);

    jsOptions o;
    jsOptions_Init(&o);
    o.Stream.Info.SubjectsFilter = ">";
    jsStreamInfo *si = NULL;
    CHECK(js_GetStreamInfo(&si, js, "EVENTS", &o, &ec) == NATS_OK);
    CHECKF(si->State.Msgs == 210 && si->State.FirstSeq == 1 && si->State.LastSeq == 210,
           "state %" PRIu64 " msgs %" PRIu64 "..%" PRIu64, si->State.Msgs, si->State.FirstSeq,
           si->State.LastSeq);
    CHECK(si->State.NumSubjects == 4 && si->State.Bytes > 210 * 20);
    CHECK(si->State.FirstTime >= before - 5000000000LL && si->State.LastTime >= si->State.FirstTime);
    CHECK(si->State.Subjects && si->State.Subjects->Count == 4);
    uint64_t total = 0, odd = 0, a = 0;
    for (int i = 0; i < si->State.Subjects->Count; i++) {
        jsStreamStateSubject *s = &si->State.Subjects->List[i];
        total += s->Msgs;
        if (strcmp(s->Subject, "ev.odd") == 0)
            odd = s->Msgs;
        if (strcmp(s->Subject, "ev.async.a") == 0)
            a = s->Msgs;
    }
    jsStreamInfo_Destroy(si);
    CHECK(total == 210 && odd == 5 && a == 133);

    /* a wildcard filter picks its subjects */
    json_t *j = h_js_api(nc, "$JS.API.STREAM.INFO.EVENTS", "{\"subjects_filter\":\"ev.async.*\"}");
    CHECK(j);
    json_t *subs = json_object_get(json_object_get(j, "state"), "subjects");
    bool ok = json_object_size(subs) == 2 && jint(subs, "ev.async.b", NULL) == 67 &&
              jint(j, "total", NULL) == 2 && jint(j, "limit", NULL) == 100000;
    /* a page past the first subject */
    json_decref(j);
    CHECK(ok);
    j = h_js_api(nc, "$JS.API.STREAM.INFO.EVENTS", "{\"subjects_filter\":\"ev.*\",\"offset\":1}");
    CHECK(j);
    subs = json_object_get(json_object_get(j, "state"), "subjects");
    ok = json_object_size(subs) == 1 && jint(subs, "ev.odd", NULL) == 5 &&
         jint(j, "offset", NULL) == 1 && jint(j, "total", NULL) == 2;
    json_decref(j);
    CHECK(ok);
}

static void publish_expectations(void)
{
    CHECK(js);
    jsErrCode ec = 0;
    CHECK(add_stream("EXPECT", false, &ec, "exp.>", NULL) == NATS_OK);
    CHECK(publish("exp.a", "1", NULL) == NATS_OK);
    CHECK(publish("exp.b", "2", NULL) == NATS_OK);

    jsPubOptions po;
    jsPubOptions_Init(&po);
    jsPubAck *pa = NULL;
    po.ExpectLastSeq = 1; /* it is 2 */
    natsStatus st = js_Publish(&pa, js, "exp.a", "x", 1, &po, &ec);
    CHECKF(st != NATS_OK && ec == JSStreamWrongLastSequenceErr, "wrong last seq: %d", (int)ec);
    CHECK(pa == NULL);
    po.ExpectLastSeq = 2;
    st = js_Publish(&pa, js, "exp.a", "x", 1, &po, &ec);
    CHECKF(st == NATS_OK && pa->Sequence == 3, "right last seq: %s", natsStatus_GetText(st));
    jsPubAck_Destroy(pa);
    pa = NULL;

    jsPubOptions_Init(&po);
    po.ExpectStream = "OTHER";
    st = js_Publish(&pa, js, "exp.a", "x", 1, &po, &ec);
    CHECKF(st != NATS_OK && ec == JSStreamNotMatchErr, "expected stream: %d", (int)ec);

    jsPubOptions_Init(&po);
    po.ExpectLastSubjectSeq = 2; /* exp.b's last is 2 */
    st = js_Publish(&pa, js, "exp.b", "y", 1, &po, &ec);
    CHECKF(st == NATS_OK && pa->Sequence == 4, "last subject seq: %s", natsStatus_GetText(st));
    jsPubAck_Destroy(pa);
    pa = NULL;

    jsPubOptions_Init(&po);
    po.MsgId = "order-1";
    st = js_Publish(&pa, js, "exp.a", "first", 5, &po, &ec);
    CHECK(st == NATS_OK && pa->Sequence == 5 && !pa->Duplicate);
    jsPubAck_Destroy(pa);
    pa = NULL;
    st = js_Publish(&pa, js, "exp.a", "again", 5, &po, &ec);
    CHECKF(st == NATS_OK && pa->Sequence == 5 && pa->Duplicate, "duplicate: %s",
           natsStatus_GetText(st));
    CHECK(strcmp(pa->Stream, "EXPECT") == 0);
    jsPubAck_Destroy(pa);

    jsStreamInfo *si = NULL;
    CHECK(js_GetStreamInfo(&si, js, "EXPECT", NULL, &ec) == NATS_OK);
    CHECK(si->State.Msgs == 5 && si->State.LastSeq == 5);
    jsStreamInfo_Destroy(si);
}

static void get_msg(void)
{
    CHECK(js);
    jsErrCode ec = 0;
    CHECK(add_stream("GETS", false, &ec, "get.>", NULL) == NATS_OK);
    natsMsg *m = NULL;
    CHECK(natsMsg_Create(&m, "get.hdr", NULL, "with header", 11) == NATS_OK);
    CHECK(natsMsgHeader_Set(m, "X-Trace", "abc 123") == NATS_OK);
    jsPubAck *pa = NULL;
    CHECK(js_PublishMsg(&pa, js, m, NULL, &ec) == NATS_OK && pa->Sequence == 1);
    jsPubAck_Destroy(pa);
    natsMsg_Destroy(m);
    CHECK(publish("get.a", "a1", NULL) == NATS_OK);
    CHECK(publish("get.b", "b1", NULL) == NATS_OK);
    CHECK(publish("get.a", "a2", NULL) == NATS_OK);
    CHECK(publish("get.empty", "", NULL) == NATS_OK);

    m = NULL;
    natsStatus st = js_GetMsg(&m, js, "GETS", 1, NULL, &ec);
    CHECKF(st == NATS_OK, "js_GetMsg: %s (%d)", natsStatus_GetText(st), (int)ec);
    bool ok = strcmp(natsMsg_GetSubject(m), "get.hdr") == 0 && msg_data_is(m, "with header") &&
              strcmp(hdr(m, "X-Trace"), "abc 123") == 0 && natsMsg_GetSequence(m) == 1 &&
              natsMsg_GetTime(m) > 0;
    natsMsg_Destroy(m);
    CHECK(ok);

    m = NULL;
    CHECK(js_GetLastMsg(&m, js, "GETS", "get.a", NULL, &ec) == NATS_OK);
    ok = msg_data_is(m, "a2") && natsMsg_GetSequence(m) == 4;
    natsMsg_Destroy(m);
    CHECK(ok);

    m = NULL;
    CHECK(js_GetMsg(&m, js, "GETS", 5, NULL, &ec) == NATS_OK);
    ok = natsMsg_GetDataLength(m) == 0 && strcmp(natsMsg_GetSubject(m), "get.empty") == 0;
    natsMsg_Destroy(m);
    CHECK(ok);

    m = NULL;
    ec = 0;
    st = js_GetMsg(&m, js, "GETS", 99, NULL, &ec);
    CHECKF(st != NATS_OK && ec == JSNoMessageFoundErr, "missing seq: %d", (int)ec);
    ec = 0;
    st = js_GetLastMsg(&m, js, "GETS", "get.none", NULL, &ec);
    CHECKF(st != NATS_OK && ec == JSNoMessageFoundErr, "missing subject: %d", (int)ec);
    ec = 0;
    st = js_GetMsg(&m, js, "NOPE", 1, NULL, &ec);
    CHECKF(st != NATS_OK && ec == JSStreamNotFoundErr, "missing stream: %d", (int)ec);

    /* next_by_subj from a sequence, through the raw API */
    json_t *j = h_js_api(nc, "$JS.API.STREAM.MSG.GET.GETS", "{\"seq\":3,\"next_by_subj\":\"get.a\"}");
    CHECK(j);
    ok = jint(j, "message", "seq") == 4 && strcmp(jstr(j, "message", "subject"), "get.a") == 0 &&
         strcmp(jstr(j, "message", "data"), "YTI=") == 0 &&
         strcmp(jstr(j, "type", NULL), "io.nats.jetstream.api.v1.stream_msg_get_response") == 0;
    json_decref(j);
    CHECK(ok);
    /* seq together with last_by_subj is a bad request */
    j = h_js_api(nc, "$JS.API.STREAM.MSG.GET.GETS", "{\"seq\":1,\"last_by_subj\":\"get.a\"}");
    CHECK(j);
    int code = err_code(j);
    json_decref(j);
    CHECKF(code == 10003, "seq+last_by_subj: %d", code);
}

static void direct_get(void)
{
    CHECK(js);
    jsErrCode ec = 0;
    CHECK(add_stream("KVLIKE", true, &ec, "kv.>", NULL) == NATS_OK);
    CHECK(add_stream("NODIRECT", false, &ec, "nd.>", NULL) == NATS_OK);
    natsMsg *pm = NULL;
    CHECK(natsMsg_Create(&pm, "kv.k1", NULL, "v1", 2) == NATS_OK);
    CHECK(natsMsgHeader_Set(pm, "X-Own", "kept") == NATS_OK);
    jsPubAck *pa = NULL;
    CHECK(js_PublishMsg(&pa, js, pm, NULL, &ec) == NATS_OK);
    jsPubAck_Destroy(pa);
    natsMsg_Destroy(pm);
    CHECK(publish("kv.k2", "v2", NULL) == NATS_OK);
    CHECK(publish("kv.k1", "v3", NULL) == NATS_OK);
    CHECK(publish("nd.x", "x", NULL) == NATS_OK);

    jsDirectGetMsgOptions dg;
    jsDirectGetMsgOptions_Init(&dg);
    dg.Sequence = 1;
    natsMsg *m = NULL;
    natsStatus st = js_DirectGetMsg(&m, js, "KVLIKE", NULL, &dg);
    CHECKF(st == NATS_OK, "direct get seq: %s", natsStatus_GetText(st));
    bool ok = msg_data_is(m, "v1") && strcmp(natsMsg_GetSubject(m), "kv.k1") == 0 &&
              natsMsg_GetSequence(m) == 1 && strcmp(hdr(m, "Nats-Stream"), "KVLIKE") == 0 &&
              strcmp(hdr(m, "Nats-Sequence"), "1") == 0 &&
              strcmp(hdr(m, "Nats-Subject"), "kv.k1") == 0 &&
              strlen(hdr(m, "Nats-Time-Stamp")) >= 20 && strcmp(hdr(m, "X-Own"), "kept") == 0;
    natsMsg_Destroy(m);
    CHECKF(ok, "direct get by sequence: wrong message or headers");

    jsDirectGetMsgOptions_Init(&dg);
    dg.LastBySubject = "kv.k1";
    m = NULL;
    CHECK(js_DirectGetMsg(&m, js, "KVLIKE", NULL, &dg) == NATS_OK);
    ok = msg_data_is(m, "v3") && natsMsg_GetSequence(m) == 3;
    natsMsg_Destroy(m);
    CHECKF(ok, "direct get last by subject");

    jsDirectGetMsgOptions_Init(&dg);
    dg.Sequence = 2;
    dg.NextBySubject = "kv.k1";
    m = NULL;
    CHECK(js_DirectGetMsg(&m, js, "KVLIKE", NULL, &dg) == NATS_OK);
    ok = msg_data_is(m, "v3") && natsMsg_GetSequence(m) == 3;
    natsMsg_Destroy(m);
    CHECKF(ok, "direct get next by subject");

    jsDirectGetMsgOptions_Init(&dg);
    dg.Sequence = 42;
    m = NULL;
    st = js_DirectGetMsg(&m, js, "KVLIKE", NULL, &dg);
    CHECKF(st == NATS_NOT_FOUND, "missing message: %s", natsStatus_GetText(st));

    /* the subject-appended form: the last message on that subject, no body allowed */
    natsMsg *reply = NULL;
    st = natsConnection_Request(&reply, nc, "$JS.API.DIRECT.GET.KVLIKE.kv.k2", NULL, 0, 2000);
    CHECKF(st == NATS_OK, "subject-appended get: %s", natsStatus_GetText(st));
    ok = msg_data_is(reply, "v2") && strcmp(hdr(reply, "Nats-Sequence"), "2") == 0;
    natsMsg_Destroy(reply);
    CHECK(ok);
    reply = NULL;
    st = natsConnection_RequestString(&reply, nc, "$JS.API.DIRECT.GET.KVLIKE.kv.k2", "{}", 2000);
    CHECK(st == NATS_OK);
    const char *desc = NULL;
    ok = natsMsg_GetDataLength(reply) == 0 &&
         natsMsgHeader_Get(reply, "Status", &desc) == NATS_OK && strcmp(desc, "408") == 0;
    natsMsg_Destroy(reply);
    CHECKF(ok, "a body on the subject-appended form must give 408");
    reply = NULL;
    st = natsConnection_Request(&reply, nc, "$JS.API.DIRECT.GET.KVLIKE", NULL, 0, 2000);
    CHECK(st == NATS_OK);
    ok = natsMsgHeader_Get(reply, "Status", &desc) == NATS_OK && strcmp(desc, "408") == 0;
    natsMsg_Destroy(reply);
    CHECKF(ok, "an empty request must give 408");

    /* no allow_direct: nobody answers (no responders, or a timeout from nats-server 2.9) */
    jsOptions o;
    jsOptions_Init(&o);
    o.Wait = 500;
    jsDirectGetMsgOptions_Init(&dg);
    dg.Sequence = 1;
    m = NULL;
    st = js_DirectGetMsg(&m, js, "NODIRECT", &o, &dg);
    CHECKF(st == NATS_NO_RESPONDERS || st == NATS_TIMEOUT, "no allow_direct: %s",
           natsStatus_GetText(st));
    natsMsg_Destroy(m);
}

/* Collects the replies of a request that answers with several messages, up to the EOB. */
static int collect(const char *subject, const char *body, natsMsg **out, int max)
{
    char inbox[64];
    snprintf(inbox, sizeof inbox, "_INBOX.jsapi.%" PRId64, h_now_ms());
    natsSubscription *sub = NULL;
    if (natsConnection_SubscribeSync(&sub, nc, inbox) != NATS_OK)
        return -1;
    natsConnection_PublishRequestString(nc, subject, inbox, body);
    int n = 0;
    while (n < max) {
        natsMsg *m = NULL;
        if (natsSubscription_NextMsg(&m, sub, 1000) != NATS_OK)
            break;
        out[n++] = m;
        const char *status = NULL;
        if (natsMsgHeader_Get(m, "Status", &status) == NATS_OK)
            break; /* EOB or an error status ends it */
    }
    natsSubscription_Destroy(sub);
    return n;
}

static void direct_get_batch(void)
{
    CHECK(js);
    if (api_level < 1) {
        printf("info: batched direct get needs api level 1 (nats-server 2.11); skipped\n");
        return;
    }
    jsErrCode ec = 0;
    CHECK(add_stream("BATCH", true, &ec, "b.>", NULL) == NATS_OK);
    const char *subjects[] = {"b.x", "b.y", "b.x", "b.z", "b.x"};
    for (int i = 0; i < 5; i++)
        CHECK(publish(subjects[i], subjects[i], NULL) == NATS_OK);

    natsMsg *msgs[16] = {0};
    int n = collect("$JS.API.DIRECT.GET.BATCH", "{\"seq\":2,\"batch\":2,\"next_by_subj\":\"b.x\"}",
                    msgs, 16);
    bool ok = n == 3 && strcmp(hdr(msgs[0], "Nats-Sequence"), "3") == 0 &&
              strcmp(hdr(msgs[0], "Nats-Num-Pending"), "2") == 0 &&
              strcmp(hdr(msgs[0], "Nats-Last-Sequence"), "0") == 0 &&
              strcmp(hdr(msgs[1], "Nats-Sequence"), "5") == 0 &&
              strcmp(hdr(msgs[1], "Nats-Last-Sequence"), "3") == 0 &&
              strcmp(hdr(msgs[2], "Status"), "204") == 0 &&
              strcmp(hdr(msgs[2], "Nats-Num-Pending"), "0") == 0 &&
              strcmp(hdr(msgs[2], "Nats-Last-Sequence"), "5") == 0;
    for (int i = 0; i < n; i++)
        natsMsg_Destroy(msgs[i]);
    CHECKF(ok, "batch of next_by_subj: %d replies", n);

    n = collect("$JS.API.DIRECT.GET.BATCH", "{\"multi_last\":[\"b.*\"]}", msgs, 16);
    ok = n == 4 && strcmp(hdr(msgs[0], "Nats-Sequence"), "2") == 0 &&
         strcmp(hdr(msgs[1], "Nats-Sequence"), "4") == 0 &&
         strcmp(hdr(msgs[2], "Nats-Sequence"), "5") == 0 &&
         strcmp(hdr(msgs[3], "Status"), "204") == 0 &&
         strcmp(hdr(msgs[3], "Nats-UpTo-Sequence"), "5") == 0;
    for (int i = 0; i < n; i++)
        natsMsg_Destroy(msgs[i]);
    CHECKF(ok, "multi_last: %d replies", n);

    /* as the stream was at sequence 3 */
    n = collect("$JS.API.DIRECT.GET.BATCH", "{\"multi_last\":[\"b.x\",\"b.y\"],\"up_to_seq\":3}",
                msgs, 16);
    ok = n == 3 && strcmp(hdr(msgs[0], "Nats-Sequence"), "2") == 0 &&
         strcmp(hdr(msgs[1], "Nats-Sequence"), "3") == 0 &&
         strcmp(hdr(msgs[2], "Nats-UpTo-Sequence"), "3") == 0;
    for (int i = 0; i < n; i++)
        natsMsg_Destroy(msgs[i]);
    CHECKF(ok, "multi_last up_to_seq: %d replies", n);

    n = collect("$JS.API.DIRECT.GET.BATCH", "{\"multi_last\":[\"nothing.*\"]}", msgs, 16);
    ok = n == 1 && strcmp(hdr(msgs[0], "Status"), "404") == 0;
    for (int i = 0; i < n; i++)
        natsMsg_Destroy(msgs[i]);
    CHECKF(ok, "multi_last without matches");
}

static void delete_msg(void)
{
    CHECK(js);
    jsErrCode ec = 0;
    CHECK(add_stream("DEL", false, &ec, "del.>", NULL) == NATS_OK);
    for (int i = 1; i <= 6; i++)
        CHECK(publish("del.x", "payload", NULL) == NATS_OK);
    natsStatus st = js_DeleteMsg(js, "DEL", 2, NULL, &ec);
    CHECKF(st == NATS_OK, "js_DeleteMsg: %s (%d)", natsStatus_GetText(st), (int)ec);
    st = js_EraseMsg(js, "DEL", 4, NULL, &ec);
    CHECKF(st == NATS_OK, "js_EraseMsg: %s (%d)", natsStatus_GetText(st), (int)ec);
    ec = 0;
    st = js_DeleteMsg(js, "DEL", 4, NULL, &ec);
    CHECKF(st != NATS_OK && ec == JSSequenceNotFoundErr, "deleting twice: %d", (int)ec);
    natsMsg *m = NULL;
    ec = 0;
    st = js_GetMsg(&m, js, "DEL", 2, NULL, &ec);
    CHECK(st != NATS_OK && ec == JSNoMessageFoundErr);

    jsOptions o;
    jsOptions_Init(&o);
    o.Stream.Info.DeletedDetails = true;
    jsStreamInfo *si = NULL;
    CHECK(js_GetStreamInfo(&si, js, "DEL", &o, &ec) == NATS_OK);
    bool ok = si->State.Msgs == 4 && si->State.NumDeleted == 2 && si->State.DeletedLen == 2 &&
              si->State.Deleted[0] == 2 && si->State.Deleted[1] == 4 && si->State.FirstSeq == 1 &&
              si->State.LastSeq == 6;
    jsStreamInfo_Destroy(si);
    CHECKF(ok, "state after deletes");

    /* deleting the first message moves first_seq */
    CHECK(js_DeleteMsg(js, "DEL", 1, NULL, &ec) == NATS_OK);
    si = NULL;
    CHECK(js_GetStreamInfo(&si, js, "DEL", NULL, &ec) == NATS_OK);
    ok = si->State.FirstSeq == 3 && si->State.NumDeleted == 1 && si->State.Msgs == 3;
    jsStreamInfo_Destroy(si);
    CHECKF(ok, "first_seq after deleting the first message");
    /* below the first sequence: the file store says it has no such message */
    ec = 0;
    st = js_DeleteMsg(js, "DEL", 1, NULL, &ec);
    CHECKF(st != NATS_OK && ec == JSStreamMsgDeleteFailed, "deleting below first: %d", (int)ec);

    json_t *j = h_js_api(nc, "$JS.API.STREAM.MSG.DELETE.DEL", "");
    CHECK(j);
    int code = err_code(j);
    json_decref(j);
    CHECKF(code == 10003, "empty delete request: %d", code);
}

static uint64_t msgs_of(const char *stream)
{
    jsStreamInfo *si = NULL;
    jsErrCode ec = 0;
    if (js_GetStreamInfo(&si, js, stream, NULL, &ec) != NATS_OK)
        return UINT64_MAX;
    uint64_t n = si->State.Msgs;
    jsStreamInfo_Destroy(si);
    return n;
}

static void purge(void)
{
    CHECK(js);
    jsErrCode ec = 0;
    CHECK(add_stream("PURGE", false, &ec, "pg.>", NULL) == NATS_OK);
    for (int i = 0; i < 10; i++)
        CHECK(publish(i % 2 ? "pg.a" : "pg.b", "x", NULL) == NATS_OK); /* b: 1,3,..9 a: 2,..10 */

    jsOptions o;
    jsOptions_Init(&o);
    o.Stream.Purge.Subject = "pg.a";
    o.Stream.Purge.Keep = 2;
    natsStatus st = js_PurgeStream(js, "PURGE", &o, &ec);
    CHECKF(st == NATS_OK, "purge filter+keep: %s (%d)", natsStatus_GetText(st), (int)ec);
    CHECK(msgs_of("PURGE") == 7);

    jsOptions_Init(&o);
    o.Stream.Purge.Sequence = 5; /* everything below 5 */
    CHECK(js_PurgeStream(js, "PURGE", &o, &ec) == NATS_OK);
    jsStreamInfo *si = NULL;
    CHECK(js_GetStreamInfo(&si, js, "PURGE", NULL, &ec) == NATS_OK);
    bool ok = si->State.Msgs == 5 && si->State.FirstSeq == 5;
    jsStreamInfo_Destroy(si);
    CHECKF(ok, "after purge below 5");

    json_t *j = h_js_api(nc, "$JS.API.STREAM.PURGE.PURGE", "{\"seq\":3,\"keep\":1}");
    CHECK(j);
    int code = err_code(j);
    json_decref(j);
    CHECKF(code == 10003, "seq and keep together: %d", code);

    j = h_js_api(nc, "$JS.API.STREAM.PURGE.PURGE", "{\"filter\":\"pg.b\"}");
    CHECK(j);
    ok = json_is_true(json_object_get(j, "success")) && jint(j, "purged", NULL) == 3;
    json_decref(j);
    CHECKF(ok, "purge of a subject reports what it removed");

    CHECK(js_PurgeStream(js, "PURGE", NULL, &ec) == NATS_OK);
    si = NULL;
    CHECK(js_GetStreamInfo(&si, js, "PURGE", NULL, &ec) == NATS_OK);
    ok = si->State.Msgs == 0 && si->State.FirstSeq == 11 && si->State.LastSeq == 10;
    jsStreamInfo_Destroy(si);
    CHECKF(ok, "after a full purge");

    ec = 0;
    st = js_PurgeStream(js, "NOPE", NULL, &ec);
    CHECKF(st != NATS_OK && ec == JSStreamNotFoundErr, "purge of a missing stream: %d", (int)ec);
}

static void update(void)
{
    CHECK(js);
    jsErrCode ec = 0;
    CHECK(add_stream("UPD", false, &ec, "upd.a", NULL) == NATS_OK);
    for (int i = 0; i < 5; i++)
        CHECK(publish("upd.a", "x", NULL) == NATS_OK);
    const char *subjects[] = {"upd.a", "upd.b"};
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = "UPD";
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 2;
    cfg.MaxMsgs = 3;
    jsStreamInfo *si = NULL;
    natsStatus st = js_UpdateStream(&si, js, &cfg, NULL, &ec);
    CHECKF(st == NATS_OK, "js_UpdateStream: %s (%d)", natsStatus_GetText(st), (int)ec);
    bool ok = si->Config->SubjectsLen == 2 && si->Config->MaxMsgs == 3 && si->State.Msgs == 3 &&
              si->State.FirstSeq == 3;
    jsStreamInfo_Destroy(si);
    CHECKF(ok, "the new limit applies at once");
    /* the new subject is captured */
    uint64_t seq = 0;
    CHECK(publish("upd.b", "new", &seq) == NATS_OK && seq == 6);

    si = NULL;
    cfg.Storage = js_MemoryStorage;
    ec = 0;
    st = js_UpdateStream(&si, js, &cfg, NULL, &ec);
    CHECKF(st != NATS_OK && ec == JSStreamInvalidConfig, "storage change: %d", (int)ec);

    cfg.Name = "NOPE";
    cfg.Storage = js_FileStorage;
    const char *other[] = {"nope.x"};
    cfg.Subjects = other;
    cfg.SubjectsLen = 1;
    ec = 0;
    st = js_UpdateStream(&si, js, &cfg, NULL, &ec);
    CHECKF(st != NATS_OK && ec == JSStreamNotFoundErr, "update of a missing stream: %d", (int)ec);

    json_t *j = h_js_api(nc, "$JS.API.STREAM.UPDATE.UPD", "{\"name\":\"OTHER\"}");
    CHECK(j);
    int code = err_code(j);
    json_decref(j);
    CHECKF(code == 10056, "name mismatch on update: %d", code);
}

static void names_and_list(void)
{
    CHECK(js);
    jsErrCode ec = 0;
    CHECK(add_stream("LST_B", false, &ec, "lst.b", NULL) == NATS_OK);
    CHECK(add_stream("LST_A", false, &ec, "lst.a", NULL) == NATS_OK);
    jsStreamNamesList *names = NULL;
    natsStatus st = js_StreamNames(&names, js, NULL, &ec);
    CHECKF(st == NATS_OK, "js_StreamNames: %s", natsStatus_GetText(st));
    int ia = -1, ib = -1;
    for (int i = 0; i < names->Count; i++) {
        if (strcmp(names->List[i], "LST_A") == 0)
            ia = i;
        if (strcmp(names->List[i], "LST_B") == 0)
            ib = i;
    }
    int count = names->Count;
    jsStreamNamesList_Destroy(names);
    /* (libnats collects the names in a hash: their order is checked on the raw reply below) */
    CHECKF(ia >= 0 && ib >= 0, "names missing (%d, %d)", ia, ib);

    jsStreamInfoList *list = NULL;
    CHECK(js_Streams(&list, js, NULL, &ec) == NATS_OK);
    bool ok = list->Count == count;
    for (int i = 0; i < list->Count && ok; i++)
        ok = list->List[i]->Config && list->List[i]->Config->Name;
    jsStreamInfoList_Destroy(list);
    CHECK(ok);

    /* a subject filter and paging */
    json_t *j = h_js_api(nc, "$JS.API.STREAM.NAMES", "{\"subject\":\"lst.*\"}");
    CHECK(j);
    json_t *arr = json_object_get(j, "streams");
    ok = json_array_size(arr) == 2 && jint(j, "total", NULL) == 2 &&
         jint(j, "limit", NULL) == 1024 &&
         strcmp(json_string_value(json_array_get(arr, 0)), "LST_A") == 0;
    json_decref(j);
    CHECK(ok);
    j = h_js_api(nc, "$JS.API.STREAM.LIST", "{\"subject\":\"lst.*\",\"offset\":1}");
    CHECK(j);
    arr = json_object_get(j, "streams");
    ok = json_array_size(arr) == 1 && jint(j, "offset", NULL) == 1 &&
         jint(j, "limit", NULL) == 256 &&
         strcmp(jstr(json_array_get(arr, 0), "config", "name"), "LST_B") == 0;
    json_decref(j);
    CHECK(ok);
}

static void delete_stream(void)
{
    CHECK(js);
    jsErrCode ec = 0;
    CHECK(add_stream("GONE", false, &ec, "gone.>", NULL) == NATS_OK);
    CHECK(publish("gone.x", "x", NULL) == NATS_OK);
    natsStatus st = js_DeleteStream(js, "GONE", NULL, &ec);
    CHECKF(st == NATS_OK, "js_DeleteStream: %s", natsStatus_GetText(st));
    ec = 0;
    st = js_DeleteStream(js, "GONE", NULL, &ec);
    CHECKF(st != NATS_OK && ec == JSStreamNotFoundErr, "second delete: %d", (int)ec);
    /* nothing captures the subject any more */
    natsMsg *reply = NULL;
    st = natsConnection_RequestString(&reply, nc, "gone.x", "x", 1000);
    CHECKF(st == NATS_NO_RESPONDERS, "publish after delete: %s", natsStatus_GetText(st));
    /* the name can be used again, empty */
    CHECK(add_stream("GONE", false, &ec, "gone.>", NULL) == NATS_OK);
    CHECK(msgs_of("GONE") == 0);
    json_t *j = h_js_api(nc, "$JS.API.STREAM.DELETE.GONE", "{\"x\":1}");
    CHECK(j);
    int code = err_code(j);
    json_decref(j);
    CHECKF(code == 10038, "delete with a body: %d", code);
}

static void account_info(void)
{
    CHECK(js);
    jsAccountInfo *ai = NULL;
    jsErrCode ec = 0;
    natsStatus st = js_GetAccountInfo(&ai, js, NULL, &ec);
    CHECKF(st == NATS_OK, "js_GetAccountInfo: %s", natsStatus_GetText(st));
    jsStreamNamesList *names = NULL;
    CHECK(js_StreamNames(&names, js, NULL, &ec) == NATS_OK);
    bool ok = ai->Streams == names->Count && ai->Store > 0 && ai->Memory == 0 &&
              ai->Limits.MaxMemory == -1 && ai->Limits.MaxStore == -1 &&
              ai->Limits.MaxStreams == -1 && ai->Limits.MaxConsumers == -1 && ai->API.Total > 0 &&
              ai->API.Errors > 0;
    jsStreamNamesList_Destroy(names);
    jsAccountInfo_Destroy(ai);
    CHECKF(ok, "account info");
    if (api_level >= 1) {
        json_t *j = h_js_api(nc, "$JS.API.INFO", "");
        CHECK(j);
        ok = jint(j, "api", "level") >= 1 &&
             strcmp(jstr(j, "type", NULL), "io.nats.jetstream.api.v1.account_info_response") == 0;
        json_decref(j);
        CHECK(ok);
    }
}

static void bad_requests(void)
{
    CHECK(nc);
    json_t *j = h_js_api(nc, "$JS.API.STREAM.CREATE.BAD", "{\"name\":");
    CHECK(j);
    int code = err_code(j);
    const char *d = jstr(j, "error", "description");
    bool ok = code == 10025 && strncmp(d, "invalid JSON", 12) == 0 &&
              (server_minor < 11 || strcmp(d, "invalid JSON: unexpected end of JSON input") == 0);
    json_decref(j);
    CHECKF(ok, "truncated JSON: %d", code);

    j = h_js_api(nc, "$JS.API.STREAM.CREATE.BAD", "{\"name\":\"OTHER\"}");
    CHECK(j);
    code = err_code(j);
    json_decref(j);
    CHECKF(code == 10056, "name mismatch: %d", code);

    j = h_js_api(nc, "$JS.API.STREAM.CREATE.BAD", "{\"name\":\"BAD\",\"max_msgs\":\"many\"}");
    CHECK(j);
    code = err_code(j);
    json_decref(j);
    CHECKF(code == 10025, "wrong type: %d", code);

    j = h_js_api(nc, "$JS.API.STREAM.INFO.BAD", "");
    CHECK(j);
    code = err_code(j);
    ok = strcmp(jstr(j, "type", NULL), "io.nats.jetstream.api.v1.stream_info_response") == 0;
    json_decref(j);
    CHECKF(code == 10059 && ok, "info of a missing stream: %d", code);

    j = h_js_api(nc, "$JS.API.STREAM.MSG.GET.BAD", "{\"seq\":-1}");
    CHECK(j);
    code = err_code(j);
    json_decref(j);
    CHECKF(code == 10025, "negative sequence: %d", code);

    if (server_minor >= 10) {
        /* 2.10+: an unknown API subject is a bad request (2.9 did not answer) */
        j = h_js_api(nc, "$JS.API.STREAM.FROB", "");
        CHECK(j);
        code = err_code(j);
        ok = strcmp(jstr(j, "type", NULL), "io.nats.jetstream.api.v1.system_response") == 0;
        json_decref(j);
        CHECKF(code == 10003 && ok, "unknown endpoint: %d", code);
        j = h_js_api(nc, "$JS.API.STREAM.LEADER.STEPDOWN.ORDERS", "");
        CHECK(j);
        code = err_code(j);
        json_decref(j);
        CHECKF(code == 10010, "leader stepdown without a cluster: %d", code);
    }
}

static void storage_limits(void)
{
    h_server lim = {0};
    CHECK(h_server_start(&lim, "jetstream {\n  max_file_store: 1048576\n  max_memory_store: 65536\n}\n",
                         NULL) == 0);
    natsConnection *c = NULL;
    jsCtx *j2 = NULL;
    bool ok = h_connect(&lim, NULL, &c, NULL, 0) == NATS_OK &&
              natsConnection_JetStream(&j2, c, NULL) == NATS_OK;
    jsErrCode e1 = 0, e2 = 0, e3 = 0, e4 = 0;
    natsStatus s1 = NATS_ERR, s2 = NATS_ERR, s3 = NATS_ERR, s4 = NATS_ERR;
    if (ok) {
        jsStreamConfig cfg;
        jsStreamInfo *si = NULL;
        jsStreamConfig_Init(&cfg);
        cfg.Name = "TOOBIG";
        cfg.MaxBytes = 2 * 1048576;
        s1 = js_AddStream(&si, j2, &cfg, NULL, &e1);
        jsStreamInfo_Destroy(si);
        si = NULL;
        cfg.Name = "HALF1";
        cfg.MaxBytes = 600 * 1024;
        s2 = js_AddStream(&si, j2, &cfg, NULL, &e2);
        jsStreamInfo_Destroy(si);
        si = NULL;
        cfg.Name = "HALF2";
        s3 = js_AddStream(&si, j2, &cfg, NULL, &e3);
        jsStreamInfo_Destroy(si);
        si = NULL;
        cfg.Name = "MEM";
        cfg.Storage = js_MemoryStorage;
        cfg.MaxBytes = 128 * 1024;
        s4 = js_AddStream(&si, j2, &cfg, NULL, &e4);
        jsStreamInfo_Destroy(si);
    }
    jsCtx_Destroy(j2);
    natsConnection_Destroy(c);
    h_server_free(&lim);
    CHECK(ok);
    CHECKF(s1 != NATS_OK && e1 == JSStorageResourcesExceededErr, "over max_file_store: %d", (int)e1);
    CHECKF(s2 == NATS_OK, "within max_file_store: %d", (int)e2);
    CHECKF(s3 != NATS_OK && e3 == JSStorageResourcesExceededErr, "reservations add up: %d",
           (int)e3);
    CHECKF(s4 != NATS_OK && e4 == 10028, "over max_memory_store: %d", (int)e4);
}

static void survives_restart(void)
{
    CHECK(js);
    jsErrCode ec = 0;
    CHECK(add_stream("KEEP", true, &ec, "keep.>", NULL) == NATS_OK);
    CHECK(publish("keep.a", "one", NULL) == NATS_OK);
    CHECK(publish("keep.b", "two", NULL) == NATS_OK);
    CHECK(h_restart_js(&srv, &nc, &js) == 0);
    jsStreamInfo *si = NULL;
    CHECK(js_GetStreamInfo(&si, js, "KEEP", NULL, &ec) == NATS_OK);
    bool ok = si->State.Msgs == 2 && si->State.LastSeq == 2 && si->Config->AllowDirect;
    jsStreamInfo_Destroy(si);
    CHECK(ok);
    natsMsg *m = NULL;
    CHECK(js_GetLastMsg(&m, js, "KEEP", "keep.b", NULL, &ec) == NATS_OK);
    ok = msg_data_is(m, "two");
    natsMsg_Destroy(m);
    CHECK(ok);
    uint64_t seq = 0;
    CHECK(publish("keep.a", "three", &seq) == NATS_OK && seq == 3);
}

/* Reads INFO.version and $JS.API.INFO's api.level. */
static void detect_server(void)
{
    h_raw r;
    char info[4096] = "";
    if (h_raw_handshake(&r, srv.port, NULL, info, sizeof info) == 0) {
        json_error_t jerr;
        json_t *j = json_loads(info, 0, &jerr);
        const char *v = jstr(j, "version", NULL);
        int major = 0, minor = 0;
        if (sscanf(v, "%d.%d", &major, &minor) == 2)
            server_minor = major > 2 ? 99 : minor;
        json_decref(j);
    }
    h_raw_close(&r);
    json_t *ai = h_js_api(nc, "$JS.API.INFO", "");
    json_t *level = json_object_get(json_object_get(ai, "api"), "level");
    api_level = json_is_integer(level) ? (int)json_integer_value(level) : 0;
    json_decref(ai);
    printf("info: server version 2.%d, api level %d\n", server_minor, api_level);
}

/* A stream's subject_transform (nats-server 2.10): messages are stored under the transformed
 * subject, which is what reads and consumers see. nats-server 2.9 ignores the field. */
static void subject_transform(void)
{
    CHECK(js);
    if (server_minor < 10)
        return;
    natsMsg *m = NULL;
    const char *req = "{\"name\":\"TR\",\"subjects\":[\"tin.>\"],"
                      "\"subject_transform\":{\"src\":\"tin.*.>\",\"dest\":\"stored.$1.>\"}}";
    CHECK(natsConnection_RequestString(&m, nc, "$JS.API.STREAM.CREATE.TR", req, 2000) == NATS_OK);
    CHECKF(strstr(natsMsg_GetData(m), "\"error\"") == NULL, "%s", natsMsg_GetData(m));
    natsMsg_Destroy(m);
    jsErrCode ec = 0;
    jsPubAck *pa = NULL;
    CHECK(js_Publish(&pa, js, "tin.eu.orders.1", "x", 1, NULL, &ec) == NATS_OK && pa->Sequence == 1);
    jsPubAck_Destroy(pa);
    natsMsg *got = NULL;
    CHECK(js_GetMsg(&got, js, "TR", 1, NULL, &ec) == NATS_OK);
    CHECKF(got && !strcmp(natsMsg_GetSubject(got), "stored.eu.orders.1"), "stored as %s",
           got ? natsMsg_GetSubject(got) : "(none)");
    natsMsg_Destroy(got);
    /* a subject the source does not match is stored as published */
    CHECK(js_Publish(NULL, js, "tin.x", "y", 1, NULL, &ec) == NATS_OK);
    CHECK(js_GetLastMsg(&got, js, "TR", "tin.x", NULL, &ec) == NATS_OK);
    natsMsg_Destroy(got);
    CHECK(js_DeleteStream(js, "TR", NULL, &ec) == NATS_OK);
}

/* jetstream { domain: ABC }: the API answers on $JS.ABC.API.> (clients with a domain option)
 * and still on $JS.API.>; account info and PubAcks carry the domain; another domain gets no
 * responders. Its own server. */
static void domain(void)
{
    h_server d = {0};
    natsConnection *dc = NULL;
    jsCtx *dj = NULL;
    CHECK(h_server_start(&d, "jetstream { domain: ABC }\n", "-js", NULL) == 0);
    CHECK(h_connect(&d, NULL, &dc, NULL, 0) == NATS_OK);
    jsOptions o;
    jsOptions_Init(&o);
    o.Domain = "ABC";
    CHECK(natsConnection_JetStream(&dj, dc, &o) == NATS_OK);
    jsStreamConfig sc;
    jsStreamConfig_Init(&sc);
    sc.Name = "DOM";
    const char *subj[] = {"dom.>"};
    sc.Subjects = subj;
    sc.SubjectsLen = 1;
    jsErrCode ec = 0;
    jsStreamInfo *si = NULL;
    CHECK(js_AddStream(&si, dj, &sc, NULL, &ec) == NATS_OK);
    jsStreamInfo_Destroy(si);
    jsPubAck *pa = NULL;
    CHECK(js_Publish(&pa, dj, "dom.x", "1", 1, NULL, &ec) == NATS_OK);
    CHECKF(pa && pa->Sequence == 1 && pa->Domain && !strcmp(pa->Domain, "ABC"), "puback domain %s",
           pa && pa->Domain ? pa->Domain : "(none)");
    jsPubAck_Destroy(pa);
    jsAccountInfo *ai = NULL;
    CHECK(js_GetAccountInfo(&ai, dj, NULL, &ec) == NATS_OK);
    CHECKF(ai->Domain && !strcmp(ai->Domain, "ABC") && ai->Streams == 1, "account domain %s",
           ai->Domain ? ai->Domain : "(none)");
    jsAccountInfo_Destroy(ai);
    natsMsg *m = NULL;
    CHECK(natsConnection_RequestString(&m, dc, "$JS.API.INFO", "", 2000) == NATS_OK);
    CHECK(strstr(natsMsg_GetData(m), "\"domain\":\"ABC\"") != NULL);
    natsMsg_Destroy(m);
    m = NULL;
    CHECK(natsConnection_RequestString(&m, dc, "$JS.DEF.API.INFO", "", 1000) ==
          NATS_NO_RESPONDERS);
    natsMsg_Destroy(m);
    jsCtx_Destroy(dj);
    natsConnection_Destroy(dc);
    h_server_free(&d);
}

int main(void)
{
    h_init();
    if (h_start_js(&srv, &nc, &js) == 0)
        detect_server();
    RUN(create_and_info);
    RUN(publish_and_state);
    RUN(publish_expectations);
    RUN(get_msg);
    RUN(direct_get);
    RUN(direct_get_batch);
    RUN(delete_msg);
    RUN(purge);
    RUN(update);
    RUN(names_and_list);
    RUN(delete_stream);
    RUN(account_info);
    RUN(bad_requests);
    RUN(storage_limits);
    RUN(survives_restart);
    RUN(subject_transform);
    RUN(domain);
    return h_end_js(&srv, nc, js, testlib_failed_cases);
}

/*
 * test_iop_kv.c — Key-Value buckets through libnats's kvStore API (libnats 3.4): bucket create /
 * bind / delete / status and the stream config a bucket is made of, bucket names, put / get /
 * get by revision (1 MiB values too, with max_payload 8 MB), create-if-absent and
 * compare-and-set updates (10071 "wrong last sequence"), delete and purge markers, purge of
 * markers, history depth (3 and 64), 10,000 keys, watchers (initial values, the NULL "initial
 * values done" entry, live updates, key and wildcard filters, IgnoreDeletes, IncludeHistory,
 * MetaOnly, idle heartbeats and flow control seen by a sniffer on "_INBOX.>"), republish,
 * bucket TTL, a restart keeping everything, and errors (max value size 10054, max bytes 10077,
 * deny delete 10057, a deleted bucket, a stream that is no bucket).
 *
 * libnats 3.4 has no bucket list, keys filter, UpdatesOnly or ResumeFromRevision: those are
 * tested on the wire as the newer clients do them (stream names filtered by "$KV.*.>", ordered
 * consumers with deliver policy new / by_start_sequence / headers_only on "$KV.<bucket>.>").
 * Its Keys/History with a Timeout give up too early (fixed in nats.c 3.11), so the 10,000 keys
 * are listed without one, under a watchdog. Checks that libnats makes on its own before sending
 * anything (key and bucket names, history over 64, revision 0) are kept to one short case.
 *
 * Every case passes against nats-server too (WEIR_SERVER=/usr/sbin/nats-server). Where servers
 * differ on purpose: a max_bytes bucket at its limit refuses a new key in nats-server 2.10+ (and
 * weir) but drops old messages in 2.9 (told apart by the INFO version).
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "test/interop/harness.h"
#include "test/testlib.h"

#define SEC 1000000000LL

static h_server srv;
static natsConnection *nc;
static jsCtx *js;
static int srv_minor = -1; /* the minor version the server announces (9 for nats-server 2.9.x) */

/* ---- a watchdog for calls that cannot be given a timeout ---- */

static const char *watchdog_what = "";

static void watchdog_fire(int sig)
{
    (void)sig;
    const char *p = "FAIL (watchdog): hung in ";
    if (write(1, p, strlen(p)) < 0 || write(1, watchdog_what, strlen(watchdog_what)) < 0 ||
        write(1, "\n", 1) < 0) {
    }
    if (srv.pid > 0)
        kill(srv.pid, SIGKILL);
    _exit(1);
}

static void watchdog_arm(unsigned seconds, const char *what)
{
    watchdog_what = what;
    signal(SIGALRM, watchdog_fire);
    alarm(seconds);
}

static void watchdog_disarm(void)
{
    alarm(0);
}

/* ---- helpers ---- */

/* A second connection seeing every message sent to an inbox: what the server sends a watcher
 * besides the entries (idle heartbeats, flow control requests). */
typedef struct sniffer {
    natsConnection *nc;
    natsSubscription *sub;
} sniffer;

static natsStatus sniff_start(sniffer *sn)
{
    memset(sn, 0, sizeof *sn);
    natsStatus st = h_connect(&srv, NULL, &sn->nc, NULL, 0);
    if (st == NATS_OK)
        st = natsConnection_SubscribeSync(&sn->sub, sn->nc, "_INBOX.>");
    if (st == NATS_OK)
        st = natsSubscription_SetPendingLimits(sn->sub, -1, -1);
    if (st == NATS_OK)
        st = natsConnection_Flush(sn->nc);
    return st;
}

static void sniff_stop(sniffer *sn)
{
    natsSubscription_Destroy(sn->sub);
    natsConnection_Destroy(sn->nc);
    memset(sn, 0, sizeof *sn);
}

typedef struct ctl_counts {
    int heartbeats, flow_control, entries;
    char last_consumer[24], last_stream[24]; /* of the last heartbeat */
    char fc_reply[128];                      /* of the last flow control request */
} ctl_counts;

/* Reads what came within ms (or until stop_after_hb heartbeats came). */
static void sniff_count(sniffer *sn, int ms, int stop_after_hb, ctl_counts *c)
{
    int64_t deadline = h_now_ms() + ms;
    for (;;) {
        int64_t left = deadline - h_now_ms();
        if (left <= 0)
            break;
        natsMsg *m = NULL;
        if (natsSubscription_NextMsg(&m, sn->sub, left) != NATS_OK)
            break;
        const char *status = NULL, *desc = NULL, *v = NULL;
        if (natsMsgHeader_Get(m, "Status", &status) == NATS_OK && strcmp(status, "100") == 0) {
            natsMsgHeader_Get(m, "Description", &desc);
            if (desc && strcmp(desc, "Idle Heartbeat") == 0) {
                c->heartbeats++;
                if (natsMsgHeader_Get(m, "Nats-Last-Consumer", &v) == NATS_OK)
                    snprintf(c->last_consumer, sizeof c->last_consumer, "%s", v);
                if (natsMsgHeader_Get(m, "Nats-Last-Stream", &v) == NATS_OK)
                    snprintf(c->last_stream, sizeof c->last_stream, "%s", v);
            } else if (desc && strcmp(desc, "FlowControl Request") == 0) {
                c->flow_control++;
                snprintf(c->fc_reply, sizeof c->fc_reply, "%s",
                         natsMsg_GetReply(m) ? natsMsg_GetReply(m) : "");
            }
        } else if (natsMsg_GetReply(m) && strncmp(natsMsg_GetReply(m), "$JS.ACK.", 8) == 0) {
            c->entries++;
        }
        natsMsg_Destroy(m);
        if (stop_after_hb && c->heartbeats >= stop_after_hb)
            break;
    }
}

static natsStatus kv_make(kvStore **kv, const char *bucket, int history, int64_t ttl_ns,
                          int32_t max_value_size, int64_t max_bytes, const char *desc)
{
    kvConfig kc;
    kvConfig_Init(&kc);
    kc.Bucket = bucket;
    kc.History = (uint8_t)history;
    kc.TTL = ttl_ns;
    kc.MaxValueSize = max_value_size;
    kc.MaxBytes = max_bytes;
    kc.Description = desc;
    return js_CreateKeyValue(kv, js, &kc);
}

static const char *last_err(void)
{
    const char *t = nats_GetLastError(NULL);
    return t ? t : "";
}

static int64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * SEC + ts.tv_nsec;
}

/* An entry with this key, value (NULL: empty), revision and operation; prints what it was
 * otherwise. */
static bool entry_is(kvEntry *e, const char *key, const char *value, uint64_t rev, kvOperation op)
{
    if (!e) {
        fprintf(stderr, "entry: NULL, wanted %s rev %" PRIu64 "\n", key, rev);
        return false;
    }
    size_t vlen = value ? strlen(value) : 0;
    bool ok = strcmp(kvEntry_Key(e), key) == 0 && kvEntry_Revision(e) == rev &&
              kvEntry_Operation(e) == op && kvEntry_ValueLen(e) == (int)vlen &&
              (vlen == 0 || memcmp(kvEntry_Value(e), value, vlen) == 0) && kvEntry_Created(e) > 0;
    if (!ok)
        fprintf(stderr, "entry: key %s rev %" PRIu64 " op %d len %d created %" PRId64
                        "; wanted %s rev %" PRIu64 " op %d value \"%s\"\n",
                kvEntry_Key(e), kvEntry_Revision(e), (int)kvEntry_Operation(e),
                kvEntry_ValueLen(e), kvEntry_Created(e), key, rev, (int)op, value ? value : "");
    return ok;
}

/* kvStore_Get: status and, when found, the entry checked. */
static bool get_is(kvStore *kv, const char *key, const char *value, uint64_t rev)
{
    kvEntry *e = NULL;
    natsStatus st = kvStore_Get(&e, kv, key);
    bool ok = st == NATS_OK && entry_is(e, key, value, rev, kvOp_Put) && kvEntry_Delta(e) == 0;
    if (st != NATS_OK)
        fprintf(stderr, "get %s: status %d (%s)\n", key, st, last_err());
    kvEntry_Destroy(e);
    return ok;
}

static natsStatus get_status(kvStore *kv, const char *key)
{
    kvEntry *e = NULL;
    natsStatus st = kvStore_Get(&e, kv, key);
    kvEntry_Destroy(e);
    return st;
}

/* The next watcher entry, checked; delta (>= 0) checked too. */
static bool next_is(kvWatcher *w, const char *key, const char *value, uint64_t rev, kvOperation op,
                    int64_t delta)
{
    kvEntry *e = NULL;
    natsStatus st = kvWatcher_Next(&e, w, 3000);
    bool ok = st == NATS_OK && entry_is(e, key, value, rev, op) &&
              (delta < 0 || kvEntry_Delta(e) == (uint64_t)delta);
    if (st != NATS_OK)
        fprintf(stderr, "watch next (wanted %s rev %" PRIu64 "): status %d (%s)\n", key, rev, st,
                last_err());
    else if (e && delta >= 0 && kvEntry_Delta(e) != (uint64_t)delta)
        fprintf(stderr, "watch %s rev %" PRIu64 ": delta %" PRIu64 ", wanted %" PRId64 "\n", key,
                rev, kvEntry_Delta(e), delta);
    kvEntry_Destroy(e);
    return ok;
}

/* The NULL entry that ends the initial values. */
static bool next_is_marker(kvWatcher *w)
{
    kvEntry *e = NULL;
    natsStatus st = kvWatcher_Next(&e, w, 3000);
    if (st != NATS_OK || e) {
        fprintf(stderr, "watch: wanted the initial-values-done NULL entry, got status %d entry %s "
                        "rev %" PRIu64 "\n",
                st, e ? kvEntry_Key(e) : "(null)", e ? kvEntry_Revision(e) : 0);
        kvEntry_Destroy(e);
        return false;
    }
    return true;
}

/* Nothing more within ms. */
static bool next_none(kvWatcher *w, int ms)
{
    kvEntry *e = NULL;
    natsStatus st = kvWatcher_Next(&e, w, ms);
    if (st != NATS_TIMEOUT)
        fprintf(stderr, "watch: wanted nothing, got status %d entry %s rev %" PRIu64 "\n", st,
                e ? kvEntry_Key(e) : "(null)", e ? kvEntry_Revision(e) : 0);
    kvEntry_Destroy(e);
    return st == NATS_TIMEOUT;
}

static natsStatus put(kvStore *kv, const char *key, const char *value, uint64_t *rev)
{
    return kvStore_PutString(rev, kv, key, value);
}

/* fileStoreMsgSize of nats-server: what one stored message adds to the stream's bytes. */
static uint64_t rec_size(const char *bucket, const char *key, size_t hdr, size_t len)
{
    size_t subj = strlen("$KV.") + strlen(bucket) + 1 + strlen(key);
    return 22 + subj + (hdr ? 4 + hdr : 0) + len + 8;
}

/* ---- 1. buckets ---- */

static void bucket_create_status(void)
{
    CHECK(js);
    kvStore *kv = NULL;
    CHECK(kv_make(&kv, "CFG", 5, 3600 * SEC, 1024, 1 << 20, "settings of the app") == NATS_OK);
    CHECK(strcmp(kvStore_Bucket(kv), "CFG") == 0);
    uint64_t r[3] = {0};
    CHECK(put(kv, "a", "1", &r[0]) == NATS_OK && put(kv, "b", "22", &r[1]) == NATS_OK &&
          put(kv, "a", "333", &r[2]) == NATS_OK);
    CHECKF(r[0] == 1 && r[1] == 2 && r[2] == 3, "revisions %" PRIu64 " %" PRIu64 " %" PRIu64,
           r[0], r[1], r[2]);

    kvStatus *sts = NULL;
    CHECK(kvStore_Status(&sts, kv) == NATS_OK);
    bool ok = strcmp(kvStatus_Bucket(sts), "CFG") == 0 && kvStatus_History(sts) == 5 &&
              kvStatus_TTL(sts) == 3600 * SEC && kvStatus_Values(sts) == 3 &&
              kvStatus_Replicas(sts) == 1;
    int64_t v[4] = {kvStatus_History(sts), kvStatus_TTL(sts), (int64_t)kvStatus_Values(sts),
                    kvStatus_Replicas(sts)};
    kvStatus_Destroy(sts);
    CHECKF(ok, "status: history %" PRId64 " ttl %" PRId64 " values %" PRId64 " replicas %" PRId64,
           v[0], v[1], v[2], v[3]);

    /* the stream a bucket is made of, as the clients create it */
    jsStreamInfo *si = NULL;
    jsErrCode ec = 0;
    CHECK(js_GetStreamInfo(&si, js, "KV_CFG", NULL, &ec) == NATS_OK);
    jsStreamConfig *c = si->Config;
    uint64_t want_bytes = rec_size("CFG", "a", 0, 1) + rec_size("CFG", "b", 0, 2) +
                          rec_size("CFG", "a", 0, 3);
    ok = c->Description && strcmp(c->Description, "settings of the app") == 0 &&
         c->SubjectsLen == 1 && strcmp(c->Subjects[0], "$KV.CFG.>") == 0 &&
         c->MaxMsgsPerSubject == 5 && c->MaxAge == 3600 * SEC && c->MaxMsgSize == 1024 &&
         c->MaxBytes == 1 << 20 && c->Discard == js_DiscardNew && c->AllowRollup &&
         c->DenyDelete && c->AllowDirect && c->Storage == js_FileStorage &&
         si->State.Msgs == 3 && si->State.FirstSeq == 1 && si->State.LastSeq == 3 &&
         si->State.Bytes == want_bytes;
    uint64_t got_bytes = si->State.Bytes;
    int64_t mmps = c->MaxMsgsPerSubject;
    jsStreamInfo_Destroy(si);
    CHECKF(ok, "stream KV_CFG: bytes %" PRIu64 " (want %" PRIu64 "), max_msgs_per_subject %" PRId64,
           got_bytes, want_bytes, mmps);

    /* bind by name */
    kvStore *kv2 = NULL;
    CHECK(js_KeyValue(&kv2, js, "CFG") == NATS_OK);
    ok = get_is(kv2, "a", "333", 3) && get_is(kv2, "b", "22", 2);
    kvStore_Destroy(kv2);
    CHECK(ok);
    /* create again with the same config binds; with another config it is refused */
    kv2 = NULL;
    natsStatus st = kv_make(&kv2, "CFG", 5, 3600 * SEC, 1024, 1 << 20, "settings of the app");
    ok = st == NATS_OK && get_is(kv2, "a", "333", 3);
    kvStore_Destroy(kv2);
    CHECKF(ok, "same config: status %d (%s)", st, last_err());
    kv2 = NULL;
    st = kv_make(&kv2, "CFG", 2, 3600 * SEC, 1024, 1 << 20, "settings of the app");
    CHECKF(st == NATS_ERR && strstr(last_err(), "Existing configuration is different"),
           "other config: status %d (%s)", st, last_err());
    kvStore_Destroy(kv2);
    /* the stream's own create gives the JetStream error libnats hides: 10058 */
    jsStreamConfig sc;
    jsStreamConfig_Init(&sc);
    sc.Name = "KV_CFG";
    const char *subj[1] = {"$KV.CFG.>"};
    sc.Subjects = subj;
    sc.SubjectsLen = 1;
    sc.MaxMsgsPerSubject = 2;
    ec = 0;
    CHECK(js_AddStream(NULL, js, &sc, NULL, &ec) != NATS_OK);
    CHECKF(ec == 10058, "err_code %d", (int)ec);

    /* a missing bucket */
    kv2 = NULL;
    st = js_KeyValue(&kv2, js, "NOPE");
    CHECKF(st == NATS_NOT_FOUND && kv2 == NULL, "missing bucket: status %d", st);

    /* bucket names: streams capturing $KV.*.> (what newer clients' KeyValueStoreNames ask) */
    kvStore *kv3 = NULL;
    CHECK(kv_make(&kv3, "CFG2", 1, 0, 0, 0, NULL) == NATS_OK);
    kvStore_Destroy(kv3);
    jsStreamConfig oc;
    jsStreamConfig_Init(&oc);
    oc.Name = "OTHER";
    const char *osubj[1] = {"other.>"};
    oc.Subjects = osubj;
    oc.SubjectsLen = 1;
    CHECK(js_AddStream(NULL, js, &oc, NULL, &ec) == NATS_OK);
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Stream.Info.SubjectsFilter = "$KV.*.>";
    jsStreamNamesList *nl = NULL;
    CHECK(js_StreamNames(&nl, js, &jo, &ec) == NATS_OK);
    int seen = 0, foreign = 0;
    for (int i = 0; i < nl->Count; i++) {
        if (strcmp(nl->List[i], "KV_CFG") == 0)
            seen |= 1;
        else if (strcmp(nl->List[i], "KV_CFG2") == 0)
            seen |= 2;
        else if (strncmp(nl->List[i], "KV_", 3) != 0)
            foreign++;
    }
    int count = nl->Count;
    jsStreamNamesList_Destroy(nl);
    CHECKF(seen == 3 && foreign == 0 && count == 2, "names: count %d seen %d foreign %d", count,
           seen, foreign);
    /* and with the infos */
    jsStreamInfoList *il = NULL;
    CHECK(js_Streams(&il, js, &jo, &ec) == NATS_OK);
    ok = il->Count == 2;
    for (int i = 0; ok && i < il->Count; i++)
        ok = strncmp(il->List[i]->Config->Name, "KV_", 3) == 0 &&
             il->List[i]->Config->MaxMsgsPerSubject >= 1;
    count = il->Count;
    jsStreamInfoList_Destroy(il);
    CHECKF(ok, "stream infos: count %d", count);

    /* delete a bucket: gone for binds, a second delete is refused */
    CHECK(js_DeleteKeyValue(js, "CFG2") == NATS_OK);
    kv2 = NULL;
    st = js_KeyValue(&kv2, js, "CFG2");
    CHECKF(st == NATS_NOT_FOUND, "deleted bucket bind: status %d", st);
    st = js_DeleteKeyValue(js, "CFG2");
    CHECKF(st == NATS_NOT_FOUND, "second delete: status %d (%s)", st, last_err());
    CHECK(js_DeleteStream(js, "OTHER", NULL, &ec) == NATS_OK);
    kvStore_Destroy(kv);
}

/* ---- 2. put / get ---- */

static void put_get_revisions(void)
{
    CHECK(js);
    kvStore *kv = NULL;
    CHECK(kv_make(&kv, "PG", 10, 0, 0, 0, NULL) == NATS_OK);
    int64_t t0 = wall_ns();
    uint64_t r1 = 0, r2 = 0, r3 = 0;
    CHECK(put(kv, "k1", "v1", &r1) == NATS_OK);
    CHECK(put(kv, "k2", "v2", &r2) == NATS_OK);
    CHECK(put(kv, "k1", "v1b", &r3) == NATS_OK);
    int64_t t1 = wall_ns();
    CHECKF(r1 == 1 && r2 == 2 && r3 == 3, "revisions %" PRIu64 " %" PRIu64 " %" PRIu64, r1, r2,
           r3);
    CHECK(get_is(kv, "k1", "v1b", 3));
    CHECK(get_is(kv, "k2", "v2", 2));

    kvEntry *e[3] = {0};
    CHECK(kvStore_GetRevision(&e[0], kv, "k1", 1) == NATS_OK);
    CHECK(kvStore_GetRevision(&e[1], kv, "k2", 2) == NATS_OK);
    CHECK(kvStore_GetRevision(&e[2], kv, "k1", 3) == NATS_OK);
    bool ok = entry_is(e[0], "k1", "v1", 1, kvOp_Put) && entry_is(e[1], "k2", "v2", 2, kvOp_Put) &&
              entry_is(e[2], "k1", "v1b", 3, kvOp_Put) &&
              strcmp(kvEntry_Bucket(e[0]), "PG") == 0;
    int64_t c[3];
    for (int i = 0; i < 3; i++) {
        c[i] = kvEntry_Created(e[i]);
        kvEntry_Destroy(e[i]);
    }
    CHECK(ok);
    /* timestamps: ordered, and within the time the puts took (1 s of clock slack) */
    CHECKF(c[0] <= c[1] && c[1] <= c[2] && c[0] >= t0 - SEC && c[2] <= t1 + SEC,
           "created %" PRId64 " %" PRId64 " %" PRId64 " (puts between %" PRId64 " and %" PRId64
           ")",
           c[0], c[1], c[2], t0, t1);
    /* a revision of another key, or past the end, is not found */
    kvEntry *x = NULL;
    natsStatus st = kvStore_GetRevision(&x, kv, "k1", 2);
    CHECKF(st == NATS_NOT_FOUND && x == NULL, "rev 2 of k1: status %d", st);
    st = kvStore_GetRevision(&x, kv, "k1", 99);
    CHECKF(st == NATS_NOT_FOUND && x == NULL, "rev 99: status %d", st);
    st = kvStore_Get(&x, kv, "never");
    CHECKF(st == NATS_NOT_FOUND && x == NULL, "missing key: status %d", st);

    /* empty and binary values, keys with every allowed character */
    uint64_t r = 0;
    CHECK(kvStore_Put(&r, kv, "empty", "", 0) == NATS_OK && r == 4);
    CHECK(get_is(kv, "empty", NULL, 4));
    unsigned char bin[256];
    for (int i = 0; i < 256; i++)
        bin[i] = (unsigned char)i;
    CHECK(kvStore_Put(&r, kv, "bin", bin, 256) == NATS_OK && r == 5);
    CHECK(kvStore_Get(&x, kv, "bin") == NATS_OK);
    ok = kvEntry_ValueLen(x) == 256 && memcmp(kvEntry_Value(x), bin, 256) == 0;
    kvEntry_Destroy(x);
    CHECK(ok);
    const char *odd = "A-z_0.9/=\\x";
    CHECK(put(kv, odd, "odd", &r) == NATS_OK && r == 6);
    CHECK(get_is(kv, odd, "odd", 6));

    /* 1 MiB (the server runs with max_payload 8 MB) */
    size_t big_n = 1 << 20;
    char *big = malloc(big_n);
    CHECK(big);
    for (size_t i = 0; i < big_n; i++)
        big[i] = (char)('a' + (i * 7 + i / 1000) % 26);
    st = kvStore_Put(&r, kv, "big", big, (int)big_n);
    if (st != NATS_OK)
        free(big);
    CHECKF(st == NATS_OK && r == 7, "1 MiB put: status %d rev %" PRIu64 " (%s)", st, r,
           last_err());
    x = NULL;
    st = kvStore_Get(&x, kv, "big");
    ok = st == NATS_OK && kvEntry_ValueLen(x) == (int)big_n &&
         memcmp(kvEntry_Value(x), big, big_n) == 0 && kvEntry_Revision(x) == 7;
    kvEntry_Destroy(x);
    x = NULL;
    if (ok)
        ok = kvStore_GetRevision(&x, kv, "big", 7) == NATS_OK &&
             kvEntry_ValueLen(x) == (int)big_n && memcmp(kvEntry_Value(x), big, big_n) == 0;
    kvEntry_Destroy(x);
    CHECKF(ok, "1 MiB get: status %d", st);
    /* and through a watcher (a push consumer with flow control), twice: initial and live */
    kvWatcher *w = NULL;
    st = kvStore_Watch(&w, kv, "big", NULL);
    x = NULL;
    if (st == NATS_OK)
        st = kvWatcher_Next(&x, w, 5000);
    ok = st == NATS_OK && x && kvEntry_ValueLen(x) == (int)big_n &&
         memcmp(kvEntry_Value(x), big, big_n) == 0 && kvEntry_Revision(x) == 7;
    kvEntry_Destroy(x);
    x = NULL;
    if (ok) {
        big[0] = 'Z';
        ok = next_is_marker(w) && kvStore_Put(&r, kv, "big", big, (int)big_n) == NATS_OK &&
             r == 8 && kvWatcher_Next(&x, w, 5000) == NATS_OK && x &&
             kvEntry_ValueLen(x) == (int)big_n && memcmp(kvEntry_Value(x), big, big_n) == 0 &&
             kvEntry_Revision(x) == 8;
    }
    kvEntry_Destroy(x);
    kvWatcher_Destroy(w);
    free(big);
    CHECKF(ok, "1 MiB watch: status %d", st);
    kvStore_Destroy(kv);
}

/* ---- 3. create / update ---- */

static void create_update(void)
{
    CHECK(js);
    kvStore *kv = NULL;
    CHECK(kv_make(&kv, "CU", 5, 0, 0, 0, NULL) == NATS_OK);
    uint64_t r = 0;
    CHECK(kvStore_CreateString(&r, kv, "k", "a") == NATS_OK && r == 1);
    /* create of a key with a value: the server's 10071 */
    r = 99;
    natsStatus st = kvStore_CreateString(&r, kv, "k", "b");
    CHECKF(st == NATS_ERR && r == 0 && strstr(last_err(), "wrong last sequence: 1"),
           "create on existing: status %d (%s)", st, last_err());
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.ExpectNoMessage = true; /* what kvStore_Create sends */
    jsErrCode ec = 0;
    CHECK(js_Publish(NULL, js, "$KV.CU.k", "b", 1, &po, &ec) == NATS_ERR);
    CHECKF(ec == 10071, "err_code %d", (int)ec);
    CHECK(get_is(kv, "k", "a", 1));

    /* update: the right revision, then a stale one */
    CHECK(kvStore_UpdateString(&r, kv, "k", "b", 1) == NATS_OK && r == 2);
    st = kvStore_UpdateString(&r, kv, "k", "c", 1);
    CHECKF(st == NATS_ERR && strstr(last_err(), "wrong last sequence: 2"),
           "stale update: status %d (%s)", st, last_err());
    jsPubOptions_Init(&po);
    po.ExpectLastSubjectSeq = 1;
    ec = 0;
    CHECK(js_Publish(NULL, js, "$KV.CU.k", "c", 1, &po, &ec) == NATS_ERR);
    CHECKF(ec == 10071, "err_code %d", (int)ec);
    /* the revision of another key is no good either */
    CHECK(put(kv, "other", "o", &r) == NATS_OK && r == 3);
    st = kvStore_UpdateString(&r, kv, "k", "c", 3);
    CHECKF(st == NATS_ERR && strstr(last_err(), "wrong last sequence: 2"),
           "update with another key's revision: status %d (%s)", st, last_err());
    CHECK(get_is(kv, "k", "b", 2));
    /* an update of a key never written */
    st = kvStore_UpdateString(&r, kv, "fresh", "x", 2);
    CHECKF(st == NATS_ERR && strstr(last_err(), "wrong last sequence: 0"),
           "update of a missing key: status %d (%s)", st, last_err());

    /* create after delete (libnats retries as an update of the marker's revision) */
    CHECK(kvStore_Delete(kv, "k") == NATS_OK); /* rev 4 */
    CHECK(kvStore_CreateString(&r, kv, "k", "d") == NATS_OK);
    CHECKF(r == 5, "create after delete: rev %" PRIu64, r);
    CHECK(get_is(kv, "k", "d", 5));
    /* and after purge */
    CHECK(kvStore_Purge(kv, "k", NULL) == NATS_OK); /* rev 6 */
    CHECK(kvStore_CreateString(&r, kv, "k", "e") == NATS_OK);
    CHECKF(r == 7, "create after purge: rev %" PRIu64, r);
    CHECK(get_is(kv, "k", "e", 7));
    /* update of a deleted key with the marker's revision */
    CHECK(kvStore_Delete(kv, "k") == NATS_OK); /* rev 8 */
    CHECK(kvStore_UpdateString(&r, kv, "k", "f", 8) == NATS_OK && r == 9);
    CHECK(get_is(kv, "k", "f", 9));
    kvStore_Destroy(kv);
}

/* ---- 4. delete / purge ---- */

static bool history_ops(kvStore *kv, const char *key, int n, const uint64_t *revs,
                        const kvOperation *ops, const char *const *values)
{
    kvEntryList l = {0};
    kvWatchOptions o;
    kvWatchOptions_Init(&o);
    o.Timeout = 5000;
    natsStatus st = kvStore_History(&l, kv, key, &o);
    bool ok = st == NATS_OK && l.Count == n;
    for (int i = 0; ok && i < n; i++)
        ok = entry_is(l.Entries[i], key, values ? values[i] : NULL, revs[i], ops[i]) &&
             (i == 0 || kvEntry_Created(l.Entries[i]) >= kvEntry_Created(l.Entries[i - 1]));
    if (!ok)
        fprintf(stderr, "history %s: status %d count %d (want %d)\n", key, st, l.Count, n);
    kvEntryList_Destroy(&l);
    return ok;
}

static uint64_t stream_msgs(const char *stream)
{
    jsStreamInfo *si = NULL;
    jsErrCode ec = 0;
    if (js_GetStreamInfo(&si, js, stream, NULL, &ec) != NATS_OK)
        return UINT64_MAX;
    uint64_t n = si->State.Msgs;
    jsStreamInfo_Destroy(si);
    return n;
}

static void delete_purge(void)
{
    CHECK(js);
    kvStore *kv = NULL;
    CHECK(kv_make(&kv, "DP", 10, 0, 0, 0, NULL) == NATS_OK);
    uint64_t r = 0;
    CHECK(put(kv, "x", "1", &r) == NATS_OK && put(kv, "x", "2", &r) == NATS_OK && r == 2);
    CHECK(kvStore_Delete(kv, "x") == NATS_OK); /* rev 3 */
    natsStatus st = get_status(kv, "x");
    CHECKF(st == NATS_NOT_FOUND, "get of a deleted key: status %d", st);
    kvEntry *e = NULL;
    CHECK(kvStore_GetRevision(&e, kv, "x", 2) == NATS_OK);
    bool ok = entry_is(e, "x", "2", 2, kvOp_Put);
    kvEntry_Destroy(e);
    CHECK(ok);
    st = kvStore_GetRevision(&e, kv, "x", 3); /* the marker itself reads as not found */
    CHECKF(st == NATS_NOT_FOUND, "get of the marker's revision: status %d", st);
    {
        uint64_t revs[] = {1, 2, 3};
        kvOperation ops[] = {kvOp_Put, kvOp_Put, kvOp_Delete};
        const char *vals[] = {"1", "2", NULL};
        CHECK(history_ops(kv, "x", 3, revs, ops, vals));
    }
    /* the marker on the wire: an empty message with KV-Operation: DEL */
    natsMsg *m = NULL;
    CHECK(js_GetMsg(&m, js, "KV_DP", 3, NULL, NULL) == NATS_OK);
    const char *op = NULL;
    ok = natsMsg_GetDataLength(m) == 0 &&
         natsMsgHeader_Get(m, "KV-Operation", &op) == NATS_OK && strcmp(op, "DEL") == 0 &&
         strcmp(natsMsg_GetSubject(m), "$KV.DP.x") == 0;
    natsMsg_Destroy(m);
    CHECK(ok);

    /* purge: older values go, one PURGE marker stays */
    CHECK(put(kv, "y", "a", &r) == NATS_OK && put(kv, "y", "b", &r) == NATS_OK && r == 5);
    CHECK(kvStore_Purge(kv, "y", NULL) == NATS_OK); /* rev 6 */
    {
        uint64_t revs[] = {6};
        kvOperation ops[] = {kvOp_Purge};
        CHECK(history_ops(kv, "y", 1, revs, ops, NULL));
    }
    st = get_status(kv, "y");
    CHECKF(st == NATS_NOT_FOUND, "get of a purged key: status %d", st);
    CHECK(put(kv, "z", "keep", &r) == NATS_OK && r == 7);
    kvStatus *sts = NULL;
    CHECK(kvStore_Status(&sts, kv) == NATS_OK);
    uint64_t values = kvStatus_Values(sts);
    kvStatus_Destroy(sts);
    CHECKF(values == 5, "values %" PRIu64 " (x: 3, y: 1, z: 1)", values);

    /* purge deletes: by default markers younger than 30 minutes stay (the older values of
     * their key go) */
    CHECK(kvStore_Delete(kv, "z") == NATS_OK); /* rev 8 */
    CHECK(kvStore_PurgeDeletes(kv, NULL) == NATS_OK);
    {
        uint64_t revs[] = {3};
        kvOperation ops[] = {kvOp_Delete};
        CHECK(history_ops(kv, "x", 1, revs, ops, NULL));
        uint64_t zrevs[] = {8};
        CHECK(history_ops(kv, "z", 1, zrevs, ops, NULL));
    }
    uint64_t msgs = stream_msgs("KV_DP");
    CHECKF(msgs == 3, "after purge deletes (keep markers): %" PRIu64 " messages", msgs);
    /* markers of any age: all gone */
    kvPurgeOptions po;
    kvPurgeOptions_Init(&po);
    po.DeleteMarkersOlderThan = -1;
    CHECK(kvStore_PurgeDeletes(kv, &po) == NATS_OK);
    kvEntryList l = {0};
    st = kvStore_History(&l, kv, "x", NULL);
    int n = l.Count;
    kvEntryList_Destroy(&l);
    CHECKF(st == NATS_NOT_FOUND && n == 0, "history after purge deletes: status %d count %d", st,
           n);
    msgs = stream_msgs("KV_DP");
    CHECKF(msgs == 0, "after purge deletes: %" PRIu64 " messages", msgs);
    /* the key can be created again, the revisions go on */
    CHECK(kvStore_CreateString(&r, kv, "x", "again") == NATS_OK && r == 9);
    kvStore_Destroy(kv);
}

/* ---- 5. history depth ---- */

static void history_depth(void)
{
    CHECK(js);
    kvStore *kv = NULL;
    CHECK(kv_make(&kv, "H3", 3, 0, 0, 0, NULL) == NATS_OK);
    uint64_t r = 0;
    for (int i = 1; i <= 5; i++) {
        char v[16];
        snprintf(v, sizeof v, "v%d", i);
        CHECK(put(kv, "h", v, &r) == NATS_OK && r == (uint64_t)i);
    }
    CHECK(put(kv, "g", "other", &r) == NATS_OK && r == 6);
    uint64_t revs[] = {3, 4, 5};
    kvOperation ops[] = {kvOp_Put, kvOp_Put, kvOp_Put};
    const char *vals[] = {"v3", "v4", "v5"};
    CHECK(history_ops(kv, "h", 3, revs, ops, vals));
    kvEntry *e = NULL;
    natsStatus st = kvStore_GetRevision(&e, kv, "h", 2);
    CHECKF(st == NATS_NOT_FOUND, "dropped revision: status %d", st);
    kvStatus *sts = NULL;
    CHECK(kvStore_Status(&sts, kv) == NATS_OK);
    uint64_t values = kvStatus_Values(sts);
    kvStatus_Destroy(sts);
    CHECKF(values == 4, "values %" PRIu64, values);
    /* a marker counts as a revision: after two more puts and a delete, v6, v7 and DEL */
    CHECK(put(kv, "h", "v6", &r) == NATS_OK && put(kv, "h", "v7", &r) == NATS_OK && r == 8);
    CHECK(kvStore_Delete(kv, "h") == NATS_OK);
    uint64_t revs2[] = {7, 8, 9};
    kvOperation ops2[] = {kvOp_Put, kvOp_Put, kvOp_Delete};
    const char *vals2[] = {"v6", "v7", NULL};
    CHECK(history_ops(kv, "h", 3, revs2, ops2, vals2));
    /* history 64 is the most */
    kvStore *k64 = NULL;
    CHECK(kv_make(&k64, "H64", 64, 0, 0, 0, NULL) == NATS_OK);
    kvStatus *s64 = NULL;
    CHECK(kvStore_Status(&s64, k64) == NATS_OK);
    int64_t h = kvStatus_History(s64);
    kvStatus_Destroy(s64);
    CHECKF(h == 64, "history %" PRId64, h);
    bool ok = true;
    for (int i = 1; ok && i <= 70; i++) {
        char v[16];
        snprintf(v, sizeof v, "%d", i);
        ok = put(k64, "deep", v, &r) == NATS_OK && r == (uint64_t)i;
    }
    kvEntryList l = {0};
    natsStatus st2 = ok ? kvStore_History(&l, k64, "deep", NULL) : NATS_ERR;
    ok = st2 == NATS_OK && l.Count == 64;
    for (int i = 0; ok && i < 64; i++) {
        char v[16];
        snprintf(v, sizeof v, "%d", i + 7);
        ok = entry_is(l.Entries[i], "deep", v, (uint64_t)i + 7, kvOp_Put) &&
             kvEntry_Delta(l.Entries[i]) == (uint64_t)(63 - i);
    }
    int n64 = l.Count;
    kvEntryList_Destroy(&l);
    kvStore_Destroy(k64);
    CHECKF(ok, "history of 64: status %d count %d", st2, n64);
    kvStore_Destroy(kv);
}

/* ---- 6. keys ---- */

#define NKEYS 10000

static void keys_many(void)
{
    CHECK(js);
    kvStore *kv = NULL;
    CHECK(kv_make(&kv, "KEYS", 2, 0, 0, 0, NULL) == NATS_OK);
    /* an empty bucket has no keys */
    kvKeysList kl = {0};
    kvWatchOptions o;
    kvWatchOptions_Init(&o);
    o.Timeout = 20000;
    natsStatus st = kvStore_Keys(&kl, kv, &o);
    CHECKF((st == NATS_OK || st == NATS_NOT_FOUND) && kl.Count == 0,
           "keys of an empty bucket: status %d count %d", st, kl.Count);
    kvKeysList_Destroy(&kl);

    /* 10,000 keys, published asynchronously to keep the test quick */
    jsCtx *ajs = NULL;
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.PublishAsync.MaxPending = 1000;
    jo.PublishAsync.StallWait = 5000;
    CHECK(natsConnection_JetStream(&ajs, nc, &jo) == NATS_OK);
    st = NATS_OK;
    for (int i = 0; st == NATS_OK && i < NKEYS; i++) {
        char subj[64];
        snprintf(subj, sizeof subj, "$KV.KEYS.k.%05d", i);
        st = js_PublishAsync(ajs, subj, "v", 1, NULL);
    }
    if (st == NATS_OK) {
        jsPubOptions po;
        jsPubOptions_Init(&po);
        po.MaxWait = 20000;
        st = js_PublishAsyncComplete(ajs, &po);
    }
    jsCtx_Destroy(ajs);
    CHECKF(st == NATS_OK, "async puts: status %d (%s)", st, last_err());
    uint64_t r = 0;
    /* a key with two revisions is listed once */
    CHECK(put(kv, "k.00000", "again", &r) == NATS_OK && r == NKEYS + 1);
    CHECK(put(kv, "other.1", "o", &r) == NATS_OK && put(kv, "other.2", "o", &r) == NATS_OK &&
          put(kv, "other.3", "o", &r) == NATS_OK && put(kv, "other.3.deep", "o", &r) == NATS_OK);
    uint64_t msgs = stream_msgs("KV_KEYS");
    CHECKF(msgs == NKEYS + 5, "messages %" PRIu64, msgs);

    /* libnats before 3.11 subtracts the time since the start from the timeout after every
     * entry (nats.c 265328e0), so a Timeout runs out after some hundreds of keys: no Timeout,
     * and a watchdog instead */
    sniffer sn;
    CHECK(sniff_start(&sn) == NATS_OK);
    int64_t t0 = h_now_ms();
    watchdog_arm(30, "kvStore_Keys of 10,000 keys");
    st = kvStore_Keys(&kl, kv, NULL);
    watchdog_disarm();
    int64_t took = h_now_ms() - t0;
    ctl_counts cc = {0};
    sniff_count(&sn, 300, 0, &cc);
    sniff_stop(&sn);
    /* the watcher under kvStore_Keys is an ordered consumer with flow control: each entry once,
     * and (1 MB of headers) at least one flow control request on the way */
    CHECKF(cc.entries == NKEYS + 4 && cc.flow_control >= 1 &&
               strncmp(cc.fc_reply, "$JS.FC.KV_KEYS.", 15) == 0,
           "keys: %d entries sent, %d flow control requests (last reply %s)", cc.entries,
           cc.flow_control, cc.fc_reply);
    unsigned char *seen = calloc(NKEYS, 1);
    CHECK(seen);
    int others = 0, dup = 0, bad = 0;
    for (int i = 0; st == NATS_OK && i < kl.Count; i++) {
        const char *k = kl.Keys[i];
        if (strncmp(k, "k.", 2) == 0 && strlen(k) == 7) {
            int n = atoi(k + 2);
            if (n < 0 || n >= NKEYS)
                bad++;
            else if (seen[n]++)
                dup++;
        } else if (!strcmp(k, "other.1") || !strcmp(k, "other.2") || !strcmp(k, "other.3") ||
                   !strcmp(k, "other.3.deep")) {
            others++;
        } else {
            bad++;
        }
    }
    int count = kl.Count, missing = 0;
    for (int i = 0; i < NKEYS; i++)
        missing += !seen[i];
    kvKeysList_Destroy(&kl);
    CHECKF(st == NATS_OK && count == NKEYS + 4 && others == 4 && dup == 0 && bad == 0 &&
               missing == 0,
           "keys: status %d count %d others %d dup %d bad %d missing %d (%" PRId64 " ms)", st,
           count, others, dup, bad, missing, took);

    /* deleted and purged keys are not listed */
    for (int i = 1; i <= 10; i++) {
        char k[16];
        snprintf(k, sizeof k, "k.%05d", i);
        CHECK(kvStore_Delete(kv, k) == NATS_OK);
    }
    CHECK(kvStore_Purge(kv, "other.1", NULL) == NATS_OK);
    memset(seen, 0, NKEYS);
    watchdog_arm(30, "kvStore_Keys after deletes");
    st = kvStore_Keys(&kl, kv, NULL);
    watchdog_disarm();
    int listed_deleted = 0;
    for (int i = 0; st == NATS_OK && i < kl.Count; i++) {
        const char *k = kl.Keys[i];
        if (!strcmp(k, "other.1"))
            listed_deleted++;
        else if (strncmp(k, "k.", 2) == 0) {
            int n = atoi(k + 2);
            if (n >= 1 && n <= 10)
                listed_deleted++;
        }
    }
    count = kl.Count;
    kvKeysList_Destroy(&kl);
    free(seen);
    CHECKF(st == NATS_OK && count == NKEYS + 4 - 11 && listed_deleted == 0,
           "keys after deletes: status %d count %d deleted listed %d", st, count, listed_deleted);

    /* keys with a filter (newer clients' ListKeysFiltered): a meta-only watch of "other.*"
     * that ignores deletes, to the end of the initial values */
    kvWatchOptions fo;
    kvWatchOptions_Init(&fo);
    fo.MetaOnly = true;
    fo.IgnoreDeletes = true;
    kvWatcher *w = NULL;
    CHECK(kvStore_Watch(&w, kv, "other.*", &fo) == NATS_OK);
    bool ok = next_is(w, "other.2", NULL, NKEYS + 3, kvOp_Put, 2) &&
              next_is(w, "other.3", NULL, NKEYS + 4, kvOp_Put, 1) && next_is_marker(w);
    kvWatcher_Destroy(w);
    CHECK(ok);
    kvStore_Destroy(kv);
}

/* ---- 7. watchers ---- */

static void watch_all(void)
{
    CHECK(js);
    kvStore *kv = NULL;
    CHECK(kv_make(&kv, "W", 5, 0, 0, 0, NULL) == NATS_OK);
    uint64_t r = 0;
    CHECK(put(kv, "a", "1", &r) == NATS_OK && put(kv, "b", "2", &r) == NATS_OK &&
          put(kv, "a", "3", &r) == NATS_OK && put(kv, "c", "4", &r) == NATS_OK && r == 4);
    CHECK(kvStore_Delete(kv, "c") == NATS_OK); /* rev 5 */
    kvWatcher *w = NULL;
    CHECK(kvStore_WatchAll(&w, kv, NULL) == NATS_OK);
    /* the last entry of every key in stream order, pending counting down, then NULL */
    bool ok = next_is(w, "b", "2", 2, kvOp_Put, 2) && next_is(w, "a", "3", 3, kvOp_Put, 1) &&
              next_is(w, "c", NULL, 5, kvOp_Delete, 0) && next_is_marker(w) && next_none(w, 300);
    if (!ok)
        kvWatcher_Destroy(w);
    CHECK(ok);
    /* live: put, delete, purge, put, in order */
    int64_t t0 = wall_ns() - SEC;
    ok = put(kv, "d", "5", &r) == NATS_OK && r == 6 && kvStore_Delete(kv, "a") == NATS_OK &&
         kvStore_Purge(kv, "b", NULL) == NATS_OK && put(kv, "a", "6", &r) == NATS_OK && r == 9;
    if (!ok)
        kvWatcher_Destroy(w);
    CHECK(ok);
    int64_t prev = t0;
    const char *keys[] = {"d", "a", "b", "a"};
    const char *vals[] = {"5", NULL, NULL, "6"};
    kvOperation ops[] = {kvOp_Put, kvOp_Delete, kvOp_Purge, kvOp_Put};
    for (int i = 0; ok && i < 4; i++) {
        kvEntry *e = NULL;
        natsStatus st = kvWatcher_Next(&e, w, 3000);
        ok = st == NATS_OK && entry_is(e, keys[i], vals[i], 6 + (uint64_t)i, ops[i]) &&
             kvEntry_Delta(e) == 0 && kvEntry_Created(e) >= prev &&
             strcmp(kvEntry_Bucket(e), "W") == 0;
        if (!ok)
            fprintf(stderr, "live %d: status %d (%s) delta %" PRIu64 " created %" PRId64
                            " prev %" PRId64 "\n",
                    i, st, last_err(), e ? kvEntry_Delta(e) : 0, e ? kvEntry_Created(e) : 0,
                    prev);
        if (e)
            prev = kvEntry_Created(e);
        kvEntry_Destroy(e);
    }
    if (ok)
        ok = next_none(w, 200);
    /* a stopped watcher answers ILLEGAL_STATE */
    if (ok) {
        kvWatcher_Stop(w);
        kvEntry *e = NULL;
        ok = kvWatcher_Next(&e, w, 100) == NATS_ILLEGAL_STATE;
    }
    kvWatcher_Destroy(w);
    CHECK(ok);

    /* an empty bucket: NULL at once, then live entries */
    kvStore *ke = NULL;
    CHECK(kv_make(&ke, "WE", 1, 0, 0, 0, NULL) == NATS_OK);
    CHECK(kvStore_WatchAll(&w, ke, NULL) == NATS_OK);
    ok = next_is_marker(w) && put(ke, "first", "1", &r) == NATS_OK &&
         next_is(w, "first", "1", 1, kvOp_Put, 0);
    kvWatcher_Destroy(w);
    kvStore_Destroy(ke);
    kvStore_Destroy(kv);
    CHECK(ok);
}

static void watch_key_and_wildcards(void)
{
    CHECK(js);
    kvStore *kv = NULL;
    CHECK(kv_make(&kv, "WK", 5, 0, 0, 0, NULL) == NATS_OK);
    uint64_t r = 0;
    CHECK(put(kv, "a", "1", &r) == NATS_OK && put(kv, "x.1", "2", &r) == NATS_OK &&
          put(kv, "y.1", "3", &r) == NATS_OK && put(kv, "x.2", "4", &r) == NATS_OK &&
          put(kv, "x.1.deep", "5", &r) == NATS_OK && put(kv, "a", "6", &r) == NATS_OK && r == 6);
    /* one key */
    kvWatcher *w = NULL;
    CHECK(kvStore_Watch(&w, kv, "a", NULL) == NATS_OK);
    bool ok = next_is(w, "a", "6", 6, kvOp_Put, 0) && next_is_marker(w) &&
              put(kv, "x.1", "7", &r) == NATS_OK && r == 7 && next_none(w, 300) &&
              put(kv, "a", "8", &r) == NATS_OK && next_is(w, "a", "8", 8, kvOp_Put, 0);
    kvWatcher_Destroy(w);
    CHECK(ok);
    /* a key never written: NULL at once */
    CHECK(kvStore_Watch(&w, kv, "nobody", NULL) == NATS_OK);
    ok = next_is_marker(w) && next_none(w, 200);
    kvWatcher_Destroy(w);
    CHECK(ok);
    /* "x.*": one token only */
    CHECK(kvStore_Watch(&w, kv, "x.*", NULL) == NATS_OK);
    ok = next_is(w, "x.2", "4", 4, kvOp_Put, 1) && next_is(w, "x.1", "7", 7, kvOp_Put, 0) &&
         next_is_marker(w) && put(kv, "y.2", "9", &r) == NATS_OK &&
         put(kv, "x.1.deep", "10", &r) == NATS_OK && put(kv, "x.3", "11", &r) == NATS_OK &&
         r == 11 && next_is(w, "x.3", "11", 11, kvOp_Put, 0) && next_none(w, 200);
    kvWatcher_Destroy(w);
    CHECK(ok);
    /* "x.>": every depth */
    CHECK(kvStore_Watch(&w, kv, "x.>", NULL) == NATS_OK);
    ok = next_is(w, "x.2", "4", 4, kvOp_Put, 3) && next_is(w, "x.1", "7", 7, kvOp_Put, 2) &&
         next_is(w, "x.1.deep", "10", 10, kvOp_Put, 1) && next_is(w, "x.3", "11", 11, kvOp_Put, 0) &&
         next_is_marker(w);
    kvWatcher_Destroy(w);
    CHECK(ok);
    /* "*.1", alongside a watcher of everything: each sees its own */
    CHECK(kvStore_Watch(&w, kv, "*.1", NULL) == NATS_OK);
    kvWatcher *all = NULL;
    ok = kvStore_WatchAll(&all, kv, NULL) == NATS_OK;
    ok = ok && next_is(w, "y.1", "3", 3, kvOp_Put, 1) && next_is(w, "x.1", "7", 7, kvOp_Put, 0) &&
         next_is_marker(w);
    for (int i = 0; ok && i < 7; i++) { /* y.1, x.2, x.1, a, y.2, x.1.deep, x.3 */
        kvEntry *e = NULL;
        ok = kvWatcher_Next(&e, all, 3000) == NATS_OK && e != NULL &&
             kvEntry_Delta(e) == (uint64_t)(6 - i);
        kvEntry_Destroy(e);
    }
    ok = ok && next_is_marker(all) && put(kv, "z.1", "12", &r) == NATS_OK && r == 12 &&
         next_is(w, "z.1", "12", 12, kvOp_Put, 0) && next_is(all, "z.1", "12", 12, kvOp_Put, 0) &&
         put(kv, "z.2", "13", &r) == NATS_OK && next_is(all, "z.2", "13", 13, kvOp_Put, 0) &&
         next_none(w, 200);
    kvWatcher_Destroy(w);
    kvWatcher_Destroy(all);
    kvStore_Destroy(kv);
    CHECK(ok);
    /* a destroyed watcher takes its consumer with it */
    int consumers = -1;
    for (int i = 0; i < 20; i++) {
        jsStreamInfo *si = NULL;
        jsErrCode ec = 0;
        if (js_GetStreamInfo(&si, js, "KV_WK", NULL, &ec) == NATS_OK)
            consumers = (int)si->State.Consumers;
        jsStreamInfo_Destroy(si);
        if (consumers == 0)
            break;
        h_sleep_ms(50);
    }
    CHECKF(consumers == 0, "consumers left: %d", consumers);
}

static void watch_options(void)
{
    CHECK(js);
    kvStore *kv = NULL;
    CHECK(kv_make(&kv, "WO", 5, 0, 0, 0, NULL) == NATS_OK);
    uint64_t r = 0;
    CHECK(put(kv, "k", "1", &r) == NATS_OK && put(kv, "k", "2", &r) == NATS_OK &&
          put(kv, "j", "3", &r) == NATS_OK && r == 3);
    CHECK(kvStore_Delete(kv, "k") == NATS_OK); /* 4 */
    CHECK(put(kv, "m", "4", &r) == NATS_OK && r == 5);
    CHECK(kvStore_Purge(kv, "m", NULL) == NATS_OK); /* 6: m's value goes */
    CHECK(put(kv, "n", "7", &r) == NATS_OK && r == 7);

    /* IncludeHistory: every entry kept, in order */
    kvWatchOptions o;
    kvWatchOptions_Init(&o);
    o.IncludeHistory = true;
    kvWatcher *w = NULL;
    CHECK(kvStore_WatchAll(&w, kv, &o) == NATS_OK);
    bool ok = next_is(w, "k", "1", 1, kvOp_Put, 5) && next_is(w, "k", "2", 2, kvOp_Put, 4) &&
              next_is(w, "j", "3", 3, kvOp_Put, 3) && next_is(w, "k", NULL, 4, kvOp_Delete, 2) &&
              next_is(w, "m", NULL, 6, kvOp_Purge, 1) && next_is(w, "n", "7", 7, kvOp_Put, 0) &&
              next_is_marker(w);
    kvWatcher_Destroy(w);
    CHECK(ok);

    /* IgnoreDeletes: no markers, neither initial nor live */
    kvWatchOptions_Init(&o);
    o.IgnoreDeletes = true;
    CHECK(kvStore_WatchAll(&w, kv, &o) == NATS_OK);
    ok = next_is(w, "j", "3", 3, kvOp_Put, 3) && next_is(w, "n", "7", 7, kvOp_Put, 0) &&
         next_is_marker(w) && kvStore_Delete(kv, "j") == NATS_OK && next_none(w, 300) &&
         put(kv, "p", "9", &r) == NATS_OK && r == 9 && next_is(w, "p", "9", 9, kvOp_Put, 0);
    kvWatcher_Destroy(w);
    CHECK(ok);

    /* MetaOnly: entries without values */
    kvWatchOptions_Init(&o);
    o.MetaOnly = true;
    CHECK(kvStore_WatchAll(&w, kv, &o) == NATS_OK);
    ok = next_is(w, "k", NULL, 4, kvOp_Delete, 4) && next_is(w, "m", NULL, 6, kvOp_Purge, 3) &&
         next_is(w, "n", NULL, 7, kvOp_Put, 2) && next_is(w, "j", NULL, 8, kvOp_Delete, 1) &&
         next_is(w, "p", NULL, 9, kvOp_Put, 0) && next_is_marker(w) &&
         put(kv, "n", "hello", &r) == NATS_OK && r == 10 &&
         next_is(w, "n", NULL, 10, kvOp_Put, 0);
    kvWatcher_Destroy(w);
    CHECK(ok);

    /* MetaOnly + IncludeHistory on one key */
    kvWatchOptions_Init(&o);
    o.MetaOnly = true;
    o.IncludeHistory = true;
    CHECK(kvStore_Watch(&w, kv, "n", &o) == NATS_OK);
    ok = next_is(w, "n", NULL, 7, kvOp_Put, 1) && next_is(w, "n", NULL, 10, kvOp_Put, 0) &&
         next_is_marker(w);
    kvWatcher_Destroy(w);
    kvStore_Destroy(kv);
    CHECK(ok);
}

/* An idle watcher gets the ordered consumer's heartbeats (every 5 s as libnats asks), which
 * tell where the consumer stands; the watcher goes on without a reset afterwards. */
static void watch_heartbeat(void)
{
    CHECK(js);
    kvStore *kv = NULL;
    CHECK(kv_make(&kv, "HB", 1, 0, 0, 0, NULL) == NATS_OK);
    uint64_t r = 0;
    CHECK(put(kv, "a", "1", &r) == NATS_OK && put(kv, "b", "2", &r) == NATS_OK && r == 2);
    sniffer sn;
    CHECK(sniff_start(&sn) == NATS_OK);
    kvWatcher *w = NULL;
    CHECK(kvStore_WatchAll(&w, kv, NULL) == NATS_OK);
    int64_t t0 = h_now_ms();
    bool ok = next_is(w, "a", "1", 1, kvOp_Put, 1) && next_is(w, "b", "2", 2, kvOp_Put, 0) &&
              next_is_marker(w) && put(kv, "c", "3", &r) == NATS_OK && r == 3 &&
              next_is(w, "c", "3", 3, kvOp_Put, 0);
    ctl_counts cc = {0};
    if (ok)
        sniff_count(&sn, 7500, 1, &cc);
    int64_t at = h_now_ms() - t0;
    sniff_stop(&sn);
    if (!ok)
        kvWatcher_Destroy(w);
    CHECK(ok);
    ok = cc.heartbeats == 1 && cc.entries == 3 && strcmp(cc.last_consumer, "3") == 0 &&
         strcmp(cc.last_stream, "3") == 0 && at >= 4000;
    if (!ok)
        kvWatcher_Destroy(w);
    CHECKF(ok, "after %" PRId64 " ms: %d heartbeats (Nats-Last-Consumer %s, Nats-Last-Stream %s), "
               "%d entries",
           at, cc.heartbeats, cc.last_consumer, cc.last_stream, cc.entries);
    ok = put(kv, "d", "4", &r) == NATS_OK && r == 4 && next_is(w, "d", "4", 4, kvOp_Put, 0) &&
         next_none(w, 200);
    jsStreamInfo *si = NULL;
    jsErrCode ec = 0;
    if (ok)
        ok = js_GetStreamInfo(&si, js, "KV_HB", NULL, &ec) == NATS_OK &&
             si->State.Consumers == 1;
    jsStreamInfo_Destroy(si);
    kvWatcher_Destroy(w);
    kvStore_Destroy(kv);
    CHECK(ok);
}

/* UpdatesOnly, ResumeFromRevision and MetaOnly's Nats-Msg-Size are not in libnats 3.4: the
 * ordered consumers newer clients make for them. */
static void watch_wire_options(void)
{
    CHECK(js);
    kvStore *kv = NULL;
    CHECK(kv_make(&kv, "WR", 5, 0, 0, 0, NULL) == NATS_OK);
    uint64_t r = 0;
    CHECK(put(kv, "a", "one", &r) == NATS_OK && put(kv, "b", "two", &r) == NATS_OK &&
          put(kv, "a", "three", &r) == NATS_OK && r == 3);
    CHECK(kvStore_Delete(kv, "b") == NATS_OK); /* 4 */

    /* updates only: deliver policy new */
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Ordered = true;
    so.Config.DeliverPolicy = js_DeliverNew;
    natsSubscription *sub = NULL;
    jsErrCode ec = 0;
    CHECK(js_SubscribeSync(&sub, js, "$KV.WR.>", NULL, &so, &ec) == NATS_OK);
    natsMsg *m = NULL;
    natsStatus st = natsSubscription_NextMsg(&m, sub, 300);
    natsMsg_Destroy(m);
    m = NULL;
    bool ok = st == NATS_TIMEOUT && put(kv, "c", "four", &r) == NATS_OK && r == 5 &&
              natsSubscription_NextMsg(&m, sub, 3000) == NATS_OK &&
              strcmp(natsMsg_GetSubject(m), "$KV.WR.c") == 0 && natsMsg_GetDataLength(m) == 4;
    if (ok) {
        jsMsgMetaData *md = NULL;
        ok = natsMsg_GetMetaData(&md, m) == NATS_OK && md->Sequence.Stream == 5 &&
             md->NumPending == 0;
        jsMsgMetaData_Destroy(md);
    }
    natsMsg_Destroy(m);
    natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
    CHECKF(ok, "updates only: first next %d", st);

    /* resume from revision 3, with the history */
    jsSubOptions_Init(&so);
    so.Ordered = true;
    so.Config.DeliverPolicy = js_DeliverByStartSequence;
    so.Config.OptStartSeq = 3;
    CHECK(js_SubscribeSync(&sub, js, "$KV.WR.>", NULL, &so, &ec) == NATS_OK);
    const char *subj[] = {"$KV.WR.a", "$KV.WR.b", "$KV.WR.c"};
    for (int i = 0; ok && i < 3; i++) {
        m = NULL;
        ok = natsSubscription_NextMsg(&m, sub, 3000) == NATS_OK &&
             strcmp(natsMsg_GetSubject(m), subj[i]) == 0;
        jsMsgMetaData *md = NULL;
        if (ok)
            ok = natsMsg_GetMetaData(&md, m) == NATS_OK &&
                 md->Sequence.Stream == 3 + (uint64_t)i && md->NumPending == 2 - (uint64_t)i;
        jsMsgMetaData_Destroy(md);
        natsMsg_Destroy(m);
    }
    natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
    CHECK(ok);

    /* headers only, last per subject: Nats-Msg-Size carries the value's size */
    jsSubOptions_Init(&so);
    so.Ordered = true;
    so.Config.DeliverPolicy = js_DeliverLastPerSubject;
    so.Config.HeadersOnly = true;
    CHECK(js_SubscribeSync(&sub, js, "$KV.WR.>", NULL, &so, &ec) == NATS_OK);
    const char *want_subj[] = {"$KV.WR.a", "$KV.WR.b", "$KV.WR.c"};
    const char *want_size[] = {"5", "0", "4"};
    for (int i = 0; ok && i < 3; i++) {
        m = NULL;
        const char *size = NULL;
        ok = natsSubscription_NextMsg(&m, sub, 3000) == NATS_OK &&
             strcmp(natsMsg_GetSubject(m), want_subj[i]) == 0 && natsMsg_GetDataLength(m) == 0 &&
             natsMsgHeader_Get(m, "Nats-Msg-Size", &size) == NATS_OK &&
             strcmp(size, want_size[i]) == 0;
        if (!ok)
            fprintf(stderr, "headers only %d: subject %s size %s\n", i,
                    m ? natsMsg_GetSubject(m) : "-", size ? size : "-");
        natsMsg_Destroy(m);
    }
    natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
    kvStore_Destroy(kv);
    CHECK(ok);
}

/* A bucket that republishes its writes (kvConfig.RePublish, nats-server 2.9+): every put,
 * delete and purge goes out again on the destination with the stream's headers. */
static bool repub_is(natsSubscription *sub, const char *subject, const char *data,
                     const char *seq, const char *last_seq, const char *op)
{
    natsMsg *m = NULL;
    if (natsSubscription_NextMsg(&m, sub, 3000) != NATS_OK) {
        fprintf(stderr, "republish: nothing on %s\n", subject);
        return false;
    }
    const char *stream = NULL, *subj = NULL, *sq = NULL, *lsq = NULL, *o = NULL;
    natsMsgHeader_Get(m, "Nats-Stream", &stream);
    natsMsgHeader_Get(m, "Nats-Subject", &subj);
    natsMsgHeader_Get(m, "Nats-Sequence", &sq);
    natsMsgHeader_Get(m, "Nats-Last-Sequence", &lsq);
    natsMsgHeader_Get(m, "KV-Operation", &o);
    size_t dl = strlen(data);
    bool ok = strcmp(natsMsg_GetSubject(m), subject) == 0 &&
              natsMsg_GetDataLength(m) == (int)dl && memcmp(natsMsg_GetData(m), data, dl) == 0 &&
              stream && strcmp(stream, "KV_RP") == 0 && subj &&
              strncmp(subj, "$KV.RP.", 7) == 0 && strcmp(subj + 7, subject + 6) == 0 && sq &&
              strcmp(sq, seq) == 0 && lsq && strcmp(lsq, last_seq) == 0 &&
              (op ? o && strcmp(o, op) == 0 : o == NULL);
    if (!ok)
        fprintf(stderr, "republish: subject %s len %d Nats-Stream %s Nats-Subject %s "
                        "Nats-Sequence %s Nats-Last-Sequence %s KV-Operation %s\n",
                natsMsg_GetSubject(m), natsMsg_GetDataLength(m), stream ? stream : "-",
                subj ? subj : "-", sq ? sq : "-", lsq ? lsq : "-", o ? o : "-");
    natsMsg_Destroy(m);
    return ok;
}

static void republish(void)
{
    CHECK(js);
    natsSubscription *sub = NULL;
    CHECK(natsConnection_SubscribeSync(&sub, nc, "repub.>") == NATS_OK);
    CHECK(natsConnection_Flush(nc) == NATS_OK);
    jsRePublish rp = {.Source = "$KV.RP.>", .Destination = "repub.>", .HeadersOnly = false};
    kvConfig kc;
    kvConfig_Init(&kc);
    kc.Bucket = "RP";
    kc.History = 3;
    kc.RePublish = &rp;
    kvStore *kv = NULL;
    natsStatus st = js_CreateKeyValue(&kv, js, &kc);
    if (st != NATS_OK)
        natsSubscription_Destroy(sub);
    CHECKF(st == NATS_OK, "create: status %d (%s)", st, last_err());
    uint64_t r = 0;
    /* Nats-Last-Sequence: the previous message on the same subject (0: none) */
    bool ok = put(kv, "a", "1", &r) == NATS_OK && repub_is(sub, "repub.a", "1", "1", "0", NULL) &&
              put(kv, "b", "2", &r) == NATS_OK && repub_is(sub, "repub.b", "2", "2", "0", NULL) &&
              kvStore_Delete(kv, "a") == NATS_OK &&
              repub_is(sub, "repub.a", "", "3", "1", "DEL") &&
              kvStore_Purge(kv, "b", NULL) == NATS_OK &&
              repub_is(sub, "repub.b", "", "4", "2", "PURGE");
    natsSubscription_Destroy(sub);
    kvStore_Destroy(kv);
    CHECK(ok);
}

/* ---- 8. TTL ---- */

static void ttl_expiry(void)
{
    CHECK(js);
    kvStore *kv = NULL;
    CHECK(kv_make(&kv, "TTL", 1, 1 * SEC, 0, 0, NULL) == NATS_OK);
    kvStatus *sts = NULL;
    CHECK(kvStore_Status(&sts, kv) == NATS_OK);
    int64_t ttl = kvStatus_TTL(sts);
    kvStatus_Destroy(sts);
    CHECKF(ttl == SEC, "ttl %" PRId64, ttl);
    /* the duplicate window follows a ttl under 2 minutes */
    jsStreamInfo *si = NULL;
    jsErrCode ec = 0;
    CHECK(js_GetStreamInfo(&si, js, "KV_TTL", NULL, &ec) == NATS_OK);
    int64_t dup = si->Config->Duplicates;
    jsStreamInfo_Destroy(si);
    CHECKF(dup == SEC, "duplicate window %" PRId64, dup);
    uint64_t r = 0;
    int64_t t0 = h_now_ms();
    CHECK(put(kv, "t", "short-lived", &r) == NATS_OK && r == 1);
    CHECK(get_is(kv, "t", "short-lived", 1));
    natsStatus st = NATS_OK;
    int64_t gone = -1;
    while (h_now_ms() - t0 < 4000) {
        st = get_status(kv, "t");
        if (st == NATS_NOT_FOUND) {
            gone = h_now_ms() - t0;
            break;
        }
        h_sleep_ms(50);
    }
    CHECKF(gone >= 900 && gone <= 3000, "expired after %" PRId64 " ms (status %d)", gone, st);
    uint64_t msgs = stream_msgs("KV_TTL");
    CHECKF(msgs == 0, "messages %" PRIu64, msgs);
    /* the revisions go on */
    CHECK(put(kv, "t", "again", &r) == NATS_OK && r == 2);
    CHECK(get_is(kv, "t", "again", 2));
    kvStore_Destroy(kv);
}

/* ---- 9. restart ---- */

static void restart_keeps(void)
{
    CHECK(js);
    kvStore *kv = NULL;
    CHECK(kv_make(&kv, "RS", 3, 0, 0, 0, "kept") == NATS_OK);
    uint64_t r = 0;
    CHECK(put(kv, "p", "1", &r) == NATS_OK && put(kv, "p", "2", &r) == NATS_OK &&
          put(kv, "q", "3", &r) == NATS_OK && r == 3);
    CHECK(kvStore_Delete(kv, "q") == NATS_OK); /* 4 */
    CHECK(put(kv, "s", "x", &r) == NATS_OK && r == 5);
    CHECK(kvStore_Purge(kv, "s", NULL) == NATS_OK); /* 6 */
    kvEntry *e = NULL;
    CHECK(kvStore_Get(&e, kv, "p") == NATS_OK);
    int64_t created = kvEntry_Created(e);
    kvEntry_Destroy(e);
    kvStore_Destroy(kv);
    kv = NULL;
    CHECK(h_restart_js(&srv, &nc, &js) == 0);

    CHECK(js_KeyValue(&kv, js, "RS") == NATS_OK);
    bool ok = get_is(kv, "p", "2", 2);
    e = NULL;
    if (ok)
        ok = kvStore_Get(&e, kv, "p") == NATS_OK && kvEntry_Created(e) == created;
    kvEntry_Destroy(e);
    e = NULL;
    if (ok)
        ok = kvStore_GetRevision(&e, kv, "p", 1) == NATS_OK && entry_is(e, "p", "1", 1, kvOp_Put);
    kvEntry_Destroy(e);
    if (!ok)
        kvStore_Destroy(kv);
    CHECKF(ok, "values after restart (created %" PRId64 ")", created);
    natsStatus st = get_status(kv, "q");
    if (st != NATS_NOT_FOUND)
        kvStore_Destroy(kv);
    CHECKF(st == NATS_NOT_FOUND, "deleted key after restart: status %d", st);
    {
        uint64_t revs[] = {3, 4};
        kvOperation ops[] = {kvOp_Put, kvOp_Delete};
        const char *vals[] = {"3", NULL};
        ok = history_ops(kv, "q", 2, revs, ops, vals);
        uint64_t srevs[] = {6};
        kvOperation sops[] = {kvOp_Purge};
        ok = ok && history_ops(kv, "s", 1, srevs, sops, NULL);
    }
    kvStatus *sts = NULL;
    if (ok) {
        ok = kvStore_Status(&sts, kv) == NATS_OK && kvStatus_Values(sts) == 5 &&
             kvStatus_History(sts) == 3;
        kvStatus_Destroy(sts);
    }
    if (!ok)
        kvStore_Destroy(kv);
    CHECK(ok);
    /* a watcher after the restart: initial values, then live ones with the sequence going on */
    kvWatcher *w = NULL;
    st = kvStore_WatchAll(&w, kv, NULL);
    if (st != NATS_OK)
        kvStore_Destroy(kv);
    CHECKF(st == NATS_OK, "watch: status %d", st);
    ok = next_is(w, "p", "2", 2, kvOp_Put, 2) && next_is(w, "q", NULL, 4, kvOp_Delete, 1) &&
         next_is(w, "s", NULL, 6, kvOp_Purge, 0) && next_is_marker(w) &&
         put(kv, "r", "7", &r) == NATS_OK && r == 7 && next_is(w, "r", "7", 7, kvOp_Put, 0);
    kvWatcher_Destroy(w);
    if (ok) {
        /* compare-and-set still knows the last revisions */
        ok = kvStore_CreateString(&r, kv, "p", "no") == NATS_ERR &&
             kvStore_UpdateString(&r, kv, "p", "3", 2) == NATS_OK && r == 8 &&
             kvStore_CreateString(&r, kv, "q", "back") == NATS_OK && r == 9;
    }
    kvStore_Destroy(kv);
    CHECKF(ok, "after restart: %s", last_err());
}

/* ---- 10. errors ---- */

static void errors(void)
{
    CHECK(js);
    /* client-side checks (nothing is sent): key and bucket names, history, revision 0 */
    kvStore *kv = NULL;
    CHECK(kv_make(&kv, "ERR", 1, 0, 16, 300, NULL) == NATS_OK);
    const char *bad_keys[] = {"a..b", ".a", "a.", "a b", "", "a*", "a>", "ä"};
    for (size_t i = 0; i < sizeof bad_keys / sizeof bad_keys[0]; i++) {
        natsStatus st = put(kv, bad_keys[i], "v", NULL);
        if (st != NATS_INVALID_ARG)
            kvStore_Destroy(kv);
        CHECKF(st == NATS_INVALID_ARG, "put \"%s\": status %d", bad_keys[i], st);
    }
    kvStore *bad = NULL;
    const char *bad_buckets[] = {"a.b", "a b", "", "a*", "a>"};
    for (size_t i = 0; i < sizeof bad_buckets / sizeof bad_buckets[0]; i++) {
        natsStatus st = kv_make(&bad, bad_buckets[i], 1, 0, 0, 0, NULL);
        if (st != NATS_INVALID_ARG)
            kvStore_Destroy(kv);
        CHECKF(st == NATS_INVALID_ARG, "bucket \"%s\": status %d", bad_buckets[i], st);
    }
    natsStatus st = kv_make(&bad, "H65", 65, 0, 0, 0, NULL);
    if (st != NATS_INVALID_ARG)
        kvStore_Destroy(kv);
    CHECKF(st == NATS_INVALID_ARG, "history 65: status %d", st);
    kvEntry *e = NULL;
    st = kvStore_GetRevision(&e, kv, "k", 0);
    if (st != NATS_INVALID_ARG)
        kvStore_Destroy(kv);
    CHECKF(st == NATS_INVALID_ARG, "revision 0: status %d", st);

    /* the server: max value size (10054), then max bytes with discard new (10077) */
    char v16[17] = "0123456789abcdef", v17[18] = "0123456789abcdefg";
    uint64_t r = 0;
    bool ok = put(kv, "k", v16, &r) == NATS_OK && r == 1;
    st = put(kv, "k", v17, &r);
    ok = ok && st == NATS_ERR && strstr(last_err(), "message size exceeds maximum allowed");
    jsErrCode ec = 0;
    if (ok)
        ok = js_Publish(NULL, js, "$KV.ERR.k", v17, 17, NULL, &ec) == NATS_ERR && ec == 10054;
    if (!ok)
        kvStore_Destroy(kv);
    CHECKF(ok, "max value size: status %d err_code %d (%s)", st, (int)ec, last_err());
    /* history 1: the bucket holds one message per key; "$KV.ERR.kN" with 16 bytes is
     * 22+10+16+8 = 56 bytes as nats-server counts them (k: 55), so k and k1..k4 fit in 300 bytes
     * and k5 does not. nats-server 2.10+ refuses it (discard new: 10077 "maximum bytes
     * exceeded"); 2.9 takes it and drops the oldest messages instead, as if discard old. */
    int stored = 1;
    for (int i = 1; i < 10; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", i);
        st = put(kv, k, v16, &r);
        if (st != NATS_OK)
            break;
        stored++;
    }
    char why[256];
    snprintf(why, sizeof why, "%s", st == NATS_OK ? "" : last_err());
    jsStreamInfo *si = NULL;
    ok = js_GetStreamInfo(&si, js, "KV_ERR", NULL, &ec) == NATS_OK;
    uint64_t bytes = ok ? si->State.Bytes : 0, msgs = ok ? si->State.Msgs : 0;
    jsStreamInfo_Destroy(si);
    if (srv_minor == 9) {
        ok = ok && stored == 10 && msgs == 5 && bytes == 280;
    } else {
        ok = ok && st == NATS_ERR && strstr(why, "maximum bytes exceeded") && stored == 5 &&
             msgs == 5 && bytes == 279;
        if (ok) {
            ec = 0;
            ok = js_Publish(NULL, js, "$KV.ERR.k9", v16, 16, NULL, &ec) == NATS_ERR && ec == 10077;
        }
    }
    if (!ok)
        kvStore_Destroy(kv);
    CHECKF(ok, "max bytes: stored %d status %d err_code %d (%s), stream has %" PRIu64
               " messages, %" PRIu64 " bytes",
           stored, st, (int)ec, why, msgs, bytes);

    /* deny_delete: the stream's message delete is refused */
    st = js_DeleteMsg(js, "KV_ERR", 1, NULL, &ec);
    if (st == NATS_OK)
        kvStore_Destroy(kv);
    CHECKF(st == NATS_ERR && ec == 10057 && strstr(last_err(), "message delete not permitted"),
           "message delete: status %d err_code %d (%s)", st, (int)ec, last_err());

    /* a handle on a bucket deleted behind it: nothing answers puts, gets find nothing */
    CHECK(js_DeleteKeyValue(js, "ERR") == NATS_OK);
    st = put(kv, "k", "v", &r);
    natsStatus gst = get_status(kv, "k");
    kvStore_Destroy(kv);
    CHECKF(st == NATS_NO_RESPONDERS, "put to a deleted bucket: status %d (%s)", st, last_err());
    CHECKF(gst != NATS_OK, "get from a deleted bucket: status %d", gst);

    /* a stream named like a bucket but keeping no message per subject is not a bucket */
    jsStreamConfig sc;
    jsStreamConfig_Init(&sc);
    sc.Name = "KV_FAKE";
    const char *subj[1] = {"$KV.FAKE.>"};
    sc.Subjects = subj;
    sc.SubjectsLen = 1;
    CHECK(js_AddStream(NULL, js, &sc, NULL, &ec) == NATS_OK);
    kv = NULL;
    st = js_KeyValue(&kv, js, "FAKE");
    kvStore_Destroy(kv);
    CHECKF(st == NATS_INVALID_ARG && strstr(last_err(), "bucket"), "fake bucket: status %d (%s)",
           st, last_err());
    CHECK(js_DeleteStream(js, "KV_FAKE", NULL, &ec) == NATS_OK);
}

int main(void)
{
    h_init();
    /* 8 MB payloads for the 1 MiB value (nats-server's default max_payload is 1 MB) */
    if (h_server_start(&srv, "max_payload: 8388608\n", "-js", NULL) == 0) {
        char err[256], info[4096];
        h_raw r = {.fd = -1};
        if (h_raw_handshake(&r, srv.port, NULL, info, sizeof info) == 0) {
            const char *v = strstr(info, "\"version\":\"2.");
            if (v)
                srv_minor = atoi(v + strlen("\"version\":\"2."));
        }
        h_raw_close(&r);
        if (h_connect(&srv, NULL, &nc, err, sizeof err) != NATS_OK)
            fprintf(stderr, "connect: %s\n", err);
        else if (natsConnection_JetStream(&js, nc, NULL) != NATS_OK)
            fprintf(stderr, "natsConnection_JetStream failed\n");
    }
    RUN(bucket_create_status);
    RUN(put_get_revisions);
    RUN(create_update);
    RUN(delete_purge);
    RUN(history_depth);
    RUN(keys_many);
    RUN(watch_all);
    RUN(watch_key_and_wildcards);
    RUN(watch_options);
    RUN(watch_heartbeat);
    RUN(watch_wire_options);
    RUN(republish);
    RUN(ttl_expiry);
    RUN(restart_keeps);
    RUN(errors);
    return h_end_js(&srv, nc, js, testlib_failed_cases);
}

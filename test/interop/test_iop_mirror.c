/*
 * test_iop_mirror.c — JetStream stream mirrors through libnats (libnats 3.4):
 *   - a mirror of an existing origin copies every message at the origin's sequence with the
 *     same subject, data, headers and timestamp; its stream info has a mirror block (origin
 *     name, lag 0 once caught up); messages published to the origin later follow;
 *   - gaps in the origin (deleted messages, a purged head) stay gaps in the mirror;
 *   - a mirror from a start sequence, and one of a filter's subjects (at origin sequences);
 *   - configuration errors and their err_codes: subjects 10034, sources 10031, a changed mirror
 *     on update 10055, first_seq 10143; a start sequence together with a start time is
 *     accepted (the sequence wins), as every nats-server does although 10032 exists;
 *   - a mirror made before its origin exists;
 *   - a KV bucket mirrored with mirror_direct: kvStore_Get through direct gets (nats.c's
 *     KeyValueMirrorDirectGet), and the mirror answering direct gets on the origin's subject;
 *   - a restart resuming without duplicates; a mirror keeping its messages when its origin is
 *     deleted.
 *
 * Every case passes against nats-server 2.9 too (WEIR_SERVER=/usr/sbin/nats-server). 2.9 knows
 * no first_seq (it ignores the field), so that case runs only when INFO.version is 2.10+.
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

static int64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Publishes the i-th message of an origin whose subjects are "<prefix>.>": subject
 * "<prefix>.a.<i>" for odd i and "<prefix>.b.<i>" for even i, data "<prefix>-<i>", and every
 * third one with headers (X-Seq: i; X-Multi: one, two). Returns the acked sequence (0: failed). */
static uint64_t pub_nth(const char *prefix, int i)
{
    char subj[128], data[128], num[32];
    snprintf(subj, sizeof subj, "%s.%s.%d", prefix, i % 2 ? "a" : "b", i);
    snprintf(data, sizeof data, "%s-%d", prefix, i);
    snprintf(num, sizeof num, "%d", i);
    natsMsg *m = NULL;
    if (natsMsg_Create(&m, subj, NULL, data, (int)strlen(data)) != NATS_OK)
        return 0;
    if (i % 3 == 0 && (natsMsgHeader_Set(m, "X-Seq", num) != NATS_OK ||
                       natsMsgHeader_Add(m, "X-Multi", "one") != NATS_OK ||
                       natsMsgHeader_Add(m, "X-Multi", "two") != NATS_OK)) {
        natsMsg_Destroy(m);
        return 0;
    }
    jsPubAck *pa = NULL;
    jsErrCode ec = 0;
    uint64_t seq = 0;
    if (js_PublishMsg(&pa, js, m, NULL, &ec) == NATS_OK)
        seq = pa->Sequence;
    else
        fprintf(stderr, "publish %s: %s (%d)\n", subj, nats_GetLastError(NULL), (int)ec);
    jsPubAck_Destroy(pa);
    natsMsg_Destroy(m);
    return seq;
}

/* Publishes messages from..to of an origin (see pub_nth); true when each got sequence i. */
static bool pub_range(const char *prefix, int from, int to)
{
    for (int i = from; i <= to; i++)
        if (pub_nth(prefix, i) != (uint64_t)i)
            return false;
    return true;
}

/* An origin stream `name` on "<prefix>.>". */
static natsStatus add_origin(const char *name, const char *prefix)
{
    char subj[128];
    snprintf(subj, sizeof subj, "%s.>", prefix);
    const char *subjects[1] = {subj};
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = name;
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    jsErrCode ec = 0;
    natsStatus st = js_AddStream(NULL, js, &cfg, NULL, &ec);
    if (st != NATS_OK)
        fprintf(stderr, "add stream %s: %s (%d)\n", name, nats_GetLastError(NULL), (int)ec);
    return st;
}

/* A mirror `name` of `origin`, from start_seq (0: all) and only `filter` (NULL: all). The
 * err_code in *ec (may be NULL). */
static natsStatus add_mirror(const char *name, const char *origin, uint64_t start_seq,
                             const char *filter, bool direct, jsErrCode *ec)
{
    jsStreamSource m;
    jsStreamSource_Init(&m);
    m.Name = origin;
    m.OptStartSeq = start_seq;
    m.FilterSubject = filter;
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = name;
    cfg.Mirror = &m;
    cfg.MirrorDirect = direct;
    jsErrCode e = 0;
    natsStatus st = js_AddStream(NULL, js, &cfg, NULL, &e);
    if (ec)
        *ec = e;
    return st;
}

/* Polls until a mirror's info block shows lag 0 (its state may be complete before the
 * upstream consumer's pending count is seen). */
static bool wait_lag0(const char *name, int timeout_ms, h_stream_state *s)
{
    int64_t deadline = h_now_ms() + timeout_ms;
    for (;;) {
        bool ok = h_get_stream_state(js, name, s);
        if (ok && s->mirror && s->lag == 0)
            return true;
        if (h_now_ms() >= deadline)
            return false;
        h_sleep_ms(20);
    }
}

/* The headers of a and b are the same keys with the same values in the same order. */
static bool same_headers(natsMsg *a, natsMsg *b, char *why, size_t cap)
{
    const char **ka = NULL, **kb = NULL;
    int na = 0, nb = 0;
    natsStatus sa = natsMsgHeader_Keys(a, &ka, &na);
    natsStatus sb = natsMsgHeader_Keys(b, &kb, &nb);
    bool ok = sa == sb && na == nb;
    if (!ok)
        snprintf(why, cap, "header keys: %d vs %d", na, nb);
    for (int i = 0; ok && i < na; i++) {
        const char **va = NULL, **vb = NULL;
        int ca = 0, cb = 0;
        ok = natsMsgHeader_Values(a, ka[i], &va, &ca) == NATS_OK &&
             natsMsgHeader_Values(b, ka[i], &vb, &cb) == NATS_OK && ca == cb;
        for (int j = 0; ok && j < ca; j++)
            ok = strcmp(va[j], vb[j]) == 0;
        if (!ok)
            snprintf(why, cap, "header %s differs", ka[i]);
        free((void *)va);
        free((void *)vb);
    }
    free((void *)ka);
    free((void *)kb);
    return ok;
}

/* Message seq of `mirror` is message seq of `origin`: subject, data, headers, timestamp. */
static bool same_msg(const char *origin, const char *mirror, uint64_t seq, char *why, size_t cap)
{
    natsMsg *a = NULL, *b = NULL;
    jsErrCode ec = 0;
    bool ok = false;
    if (js_GetMsg(&a, js, origin, seq, NULL, &ec) != NATS_OK)
        snprintf(why, cap, "%s seq %" PRIu64 ": get failed (%d)", origin, seq, (int)ec);
    else if (js_GetMsg(&b, js, mirror, seq, NULL, &ec) != NATS_OK)
        snprintf(why, cap, "%s seq %" PRIu64 ": get failed (%d)", mirror, seq, (int)ec);
    else if (strcmp(natsMsg_GetSubject(a), natsMsg_GetSubject(b)) != 0)
        snprintf(why, cap, "seq %" PRIu64 ": subject %s vs %s", seq, natsMsg_GetSubject(a),
                 natsMsg_GetSubject(b));
    else if (natsMsg_GetDataLength(a) != natsMsg_GetDataLength(b) ||
             memcmp(natsMsg_GetData(a), natsMsg_GetData(b), (size_t)natsMsg_GetDataLength(a)))
        snprintf(why, cap, "seq %" PRIu64 ": data differs", seq);
    else if (natsMsg_GetSequence(b) != seq)
        snprintf(why, cap, "seq %" PRIu64 ": mirror says seq %" PRIu64, seq,
                 natsMsg_GetSequence(b));
    else if (natsMsg_GetTime(a) != natsMsg_GetTime(b) || natsMsg_GetTime(a) <= 0)
        snprintf(why, cap, "seq %" PRIu64 ": time %" PRId64 " vs %" PRId64, seq,
                 natsMsg_GetTime(a), natsMsg_GetTime(b));
    else if (!same_headers(a, b, why, cap))
        ;
    else
        ok = true;
    natsMsg_Destroy(a);
    natsMsg_Destroy(b);
    return ok;
}

/* Every sequence in from..to is the same in the mirror as in the origin. */
static bool same_range(const char *origin, const char *mirror, uint64_t from, uint64_t to,
                       char *why, size_t cap)
{
    for (uint64_t q = from; q <= to; q++)
        if (!same_msg(origin, mirror, q, why, cap))
            return false;
    return true;
}

/* The status of js_GetMsg on stream/seq (NATS_NOT_FOUND for a missing message). */
static natsStatus get_status(const char *stream, uint64_t seq)
{
    natsMsg *m = NULL;
    jsErrCode ec = 0;
    natsStatus st = js_GetMsg(&m, js, stream, seq, NULL, &ec);
    natsMsg_Destroy(m);
    return st;
}

/* ---- 1. a mirror of an existing origin ---- */

static void mirror_existing(void)
{
    CHECK(js);
    CHECK(add_origin("ORIG", "orig") == NATS_OK);
    CHECK(pub_range("orig", 1, 10));
    jsErrCode ec = 0;
    natsStatus st = add_mirror("M", "ORIG", 0, NULL, false, &ec);
    CHECKF(st == NATS_OK, "create mirror: %s (%d)", nats_GetLastError(NULL), (int)ec);
    h_stream_state s;
    CHECKF(h_wait_stream_state(js, "M", 10, 10, 5000, &s), "M: " H_STATE_FMT, H_STATE_ARGS(s));
    CHECKF(s.first == 1 && s.deleted == 0, "M: " H_STATE_FMT, H_STATE_ARGS(s));
    char why[256] = "";
    CHECKF(same_range("ORIG", "M", 1, 10, why, sizeof why), "%s", why);
    CHECKF(wait_lag0("M", 3000, &s), "mirror block: %d name \"%s\" lag %" PRIu64, s.mirror,
           s.mirror_name, s.lag);
    CHECKF(!strcmp(s.mirror_name, "ORIG"), "mirror name \"%s\"", s.mirror_name);
    /* the config too: a mirror of ORIG, no subjects */
    jsStreamInfo *si = NULL;
    CHECK(js_GetStreamInfo(&si, js, "M", NULL, &ec) == NATS_OK);
    bool cfg_ok = si->Config->Mirror && si->Config->Mirror->Name &&
                  !strcmp(si->Config->Mirror->Name, "ORIG") && si->Config->SubjectsLen == 0;
    jsStreamInfo_Destroy(si);
    CHECK(cfg_ok);
    /* the origin has no mirror block */
    CHECK(h_get_stream_state(js, "ORIG", &s) && !s.mirror && s.msgs == 10);
}

/* ---- 2. live mirroring ---- */

static void mirror_live(void)
{
    CHECK(js);
    h_stream_state s;
    CHECKF(h_get_stream_state(js, "M", &s) && s.msgs == 10, "M before: " H_STATE_FMT,
           H_STATE_ARGS(s));
    CHECK(pub_range("orig", 11, 15));
    CHECKF(h_wait_stream_state(js, "M", 15, 15, 5000, &s), "M: " H_STATE_FMT, H_STATE_ARGS(s));
    CHECKF(s.first == 1, "M: " H_STATE_FMT, H_STATE_ARGS(s));
    char why[256] = "";
    CHECKF(same_range("ORIG", "M", 1, 15, why, sizeof why), "%s", why);
    CHECKF(wait_lag0("M", 3000, &s), "lag %" PRIu64, s.lag);
}

/* ---- 3. gaps in the origin ---- */

static void mirror_gaps(void)
{
    CHECK(js);
    /* GAP: 10 messages, 4 and 7 deleted */
    CHECK(add_origin("GAP", "gap") == NATS_OK);
    CHECK(pub_range("gap", 1, 10));
    jsErrCode ec = 0;
    CHECK(js_DeleteMsg(js, "GAP", 4, NULL, &ec) == NATS_OK);
    CHECK(js_DeleteMsg(js, "GAP", 7, NULL, &ec) == NATS_OK);
    CHECK(add_mirror("MGAP", "GAP", 0, NULL, false, &ec) == NATS_OK);
    h_stream_state s;
    CHECKF(h_wait_stream_state(js, "MGAP", 8, 10, 5000, &s), "MGAP: " H_STATE_FMT, H_STATE_ARGS(s));
    CHECKF(s.first == 1 && s.deleted == 2, "MGAP: " H_STATE_FMT, H_STATE_ARGS(s));
    char why[256] = "";
    uint64_t kept[] = {1, 2, 3, 5, 6, 8, 9, 10};
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++)
        CHECKF(same_msg("GAP", "MGAP", kept[i], why, sizeof why), "%s", why);
    CHECK(get_status("MGAP", 4) == NATS_NOT_FOUND && get_status("MGAP", 7) == NATS_NOT_FOUND);

    /* HEAD: 10 messages, the first 6 purged */
    CHECK(add_origin("HEAD", "head") == NATS_OK);
    CHECK(pub_range("head", 1, 10));
    jsOptions o;
    jsOptions_Init(&o);
    o.Stream.Purge.Sequence = 7; /* up to, not including, 7 */
    CHECK(js_PurgeStream(js, "HEAD", &o, &ec) == NATS_OK);
    CHECKF(h_get_stream_state(js, "HEAD", &s) && s.msgs == 4 && s.first == 7,
           "HEAD: " H_STATE_FMT, H_STATE_ARGS(s));
    CHECK(add_mirror("MHEAD", "HEAD", 0, NULL, false, &ec) == NATS_OK);
    CHECKF(h_wait_stream_state(js, "MHEAD", 4, 10, 5000, &s), "MHEAD: " H_STATE_FMT,
           H_STATE_ARGS(s));
    CHECKF(s.first == 7, "MHEAD: " H_STATE_FMT, H_STATE_ARGS(s));
    CHECKF(same_range("HEAD", "MHEAD", 7, 10, why, sizeof why), "%s", why);
    CHECK(get_status("MHEAD", 6) == NATS_NOT_FOUND);
    /* the sequence goes on from the origin's */
    CHECK(pub_nth("head", 11) == 11);
    CHECKF(h_wait_stream_state(js, "MHEAD", 5, 11, 5000, &s), "MHEAD: " H_STATE_FMT,
           H_STATE_ARGS(s));
    CHECKF(same_msg("HEAD", "MHEAD", 11, why, sizeof why), "%s", why);
}

/* ---- 4. start sequence and filter ---- */

static void mirror_start_and_filter(void)
{
    CHECK(js);
    h_stream_state s;
    CHECKF(h_get_stream_state(js, "ORIG", &s) && s.msgs == 15 && s.last == 15,
           "ORIG: " H_STATE_FMT, H_STATE_ARGS(s));
    jsErrCode ec = 0;
    natsStatus st = add_mirror("MSTART", "ORIG", 5, NULL, false, &ec);
    CHECKF(st == NATS_OK, "create: %s (%d)", nats_GetLastError(NULL), (int)ec);
    CHECKF(h_wait_stream_state(js, "MSTART", 11, 15, 5000, &s), "MSTART: " H_STATE_FMT,
           H_STATE_ARGS(s));
    CHECKF(s.first == 5, "MSTART: " H_STATE_FMT, H_STATE_ARGS(s));
    char why[256] = "";
    CHECKF(same_range("ORIG", "MSTART", 5, 15, why, sizeof why), "%s", why);
    CHECK(get_status("MSTART", 4) == NATS_NOT_FOUND);
    jsStreamInfo *si = NULL;
    CHECK(js_GetStreamInfo(&si, js, "MSTART", NULL, &ec) == NATS_OK);
    uint64_t cfg_start = si->Config->Mirror ? si->Config->Mirror->OptStartSeq : 0;
    jsStreamInfo_Destroy(si);
    CHECKF(cfg_start == 5, "config opt_start_seq %" PRIu64, cfg_start);

    /* only orig.a.>: the odd sequences 1..15 */
    st = add_mirror("MFILT", "ORIG", 0, "orig.a.>", false, &ec);
    CHECKF(st == NATS_OK, "create: %s (%d)", nats_GetLastError(NULL), (int)ec);
    CHECKF(h_wait_stream_state(js, "MFILT", 8, 15, 5000, &s), "MFILT: " H_STATE_FMT,
           H_STATE_ARGS(s));
    CHECKF(s.first == 1, "MFILT: " H_STATE_FMT, H_STATE_ARGS(s));
    for (uint64_t q = 1; q <= 15; q++) {
        if (q % 2)
            CHECKF(same_msg("ORIG", "MFILT", q, why, sizeof why), "%s", why);
        else
            CHECKF(get_status("MFILT", q) == NATS_NOT_FOUND, "MFILT has seq %" PRIu64, q);
    }
    /* a new matching message follows, a new other one does not */
    CHECK(pub_nth("orig", 16) == 16); /* orig.b.16 */
    CHECK(pub_nth("orig", 17) == 17); /* orig.a.17 */
    CHECKF(h_wait_stream_state(js, "MFILT", 9, 17, 5000, &s), "MFILT: " H_STATE_FMT,
           H_STATE_ARGS(s));
    CHECKF(same_msg("ORIG", "MFILT", 17, why, sizeof why), "%s", why);
    CHECK(get_status("MFILT", 16) == NATS_NOT_FOUND);
    /* and M follows too: 17 */
    CHECKF(h_wait_stream_state(js, "M", 17, 17, 5000, &s), "M: " H_STATE_FMT, H_STATE_ARGS(s));
}

/* ---- 5. configuration errors ---- */

static void mirror_config_subjects(void)
{
    CHECK(js);
    jsStreamSource m;
    jsStreamSource_Init(&m);
    m.Name = "ORIG";
    const char *subjects[1] = {"msub.>"};
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = "BAD1";
    cfg.Mirror = &m;
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    jsErrCode ec = 0;
    natsStatus st = js_AddStream(NULL, js, &cfg, NULL, &ec);
    CHECKF(st != NATS_OK && ec == 10034, "mirror with subjects: %d %d", st, (int)ec);
    jsStreamInfo *si = NULL;
    CHECK(js_GetStreamInfo(&si, js, "BAD1", NULL, &ec) == NATS_NOT_FOUND);
    /* nor can an existing stream with subjects become a mirror: the config check (10034)
     * comes before the update rules */
    m.Name = "GAP";
    subjects[0] = "orig.>";
    cfg.Name = "ORIG";
    ec = 0;
    st = js_UpdateStream(NULL, js, &cfg, NULL, &ec);
    CHECKF(st != NATS_OK && ec == 10034, "origin to mirror: %d %d", st, (int)ec);
}

static void mirror_config_sources(void)
{
    CHECK(js);
    jsStreamSource m, src;
    jsStreamSource_Init(&m);
    m.Name = "ORIG";
    jsStreamSource_Init(&src);
    src.Name = "GAP";
    jsStreamSource *sources[1] = {&src};
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = "BAD2";
    cfg.Mirror = &m;
    cfg.Sources = sources;
    cfg.SourcesLen = 1;
    jsErrCode ec = 0;
    natsStatus st = js_AddStream(NULL, js, &cfg, NULL, &ec);
    CHECKF(st != NATS_OK && ec == 10031, "mirror with sources: %d %d (%s)", st, (int)ec,
           nats_GetLastError(NULL));
    jsStreamInfo *si = NULL;
    CHECK(js_GetStreamInfo(&si, js, "BAD2", NULL, &ec) == NATS_NOT_FOUND);
}

/* err_code 10032 (both start seq and start time) exists, but no nats-server refuses such a
 * mirror (2.9.10 through 2.14 accept it): the start sequence wins. The start time is an hour
 * ahead, so by time the mirror would get nothing. */
static void mirror_config_start_seq_and_time(void)
{
    CHECK(js);
    jsStreamSource m;
    jsStreamSource_Init(&m);
    m.Name = "ORIG";
    m.OptStartSeq = 3;
    m.OptStartTime = wall_ns() + 3600LL * 1000000000LL;
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = "BOTH";
    cfg.Mirror = &m;
    jsErrCode ec = 0;
    natsStatus st = js_AddStream(NULL, js, &cfg, NULL, &ec);
    CHECKF(st == NATS_OK, "start seq and time: %d %d (%s)", st, (int)ec, nats_GetLastError(NULL));
    h_stream_state s;
    CHECKF(h_wait_stream_state(js, "BOTH", 15, 17, 5000, &s), "BOTH: " H_STATE_FMT,
           H_STATE_ARGS(s));
    CHECKF(s.first == 3, "BOTH: " H_STATE_FMT, H_STATE_ARGS(s));
    CHECK(js_DeleteStream(js, "BOTH", NULL, &ec) == NATS_OK);
}

static void mirror_config_update(void)
{
    CHECK(js);
    jsErrCode ec = 0;
    /* another origin, or the same one with a filter: 10055 */
    const char *origins[2] = {"GAP", "ORIG"};
    const char *filters[2] = {NULL, "orig.a.>"};
    for (int i = 0; i < 2; i++) {
        jsStreamSource m;
        jsStreamSource_Init(&m);
        m.Name = origins[i];
        m.FilterSubject = filters[i];
        jsStreamConfig cfg;
        jsStreamConfig_Init(&cfg);
        cfg.Name = "M";
        cfg.Mirror = &m;
        ec = 0;
        natsStatus st = js_UpdateStream(NULL, js, &cfg, NULL, &ec);
        CHECKF(st != NATS_OK && ec == 10055, "update %d: %d %d", i, st, (int)ec);
    }
    /* the same mirror with another description may be updated */
    jsStreamSource m;
    jsStreamSource_Init(&m);
    m.Name = "ORIG";
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = "M";
    cfg.Mirror = &m;
    cfg.Description = "still a mirror";
    jsStreamInfo *si = NULL;
    ec = 0;
    natsStatus st = js_UpdateStream(&si, js, &cfg, NULL, &ec);
    CHECKF(st == NATS_OK, "same mirror update: %s (%d)", nats_GetLastError(NULL), (int)ec);
    bool ok = si->Config->Mirror && !strcmp(si->Config->Mirror->Name, "ORIG") &&
              si->Config->Description && !strcmp(si->Config->Description, "still a mirror");
    jsStreamInfo_Destroy(si);
    CHECK(ok);
}

/* first_seq: libnats 3.4 cannot express it, so a raw request; nats-server 2.9 knows no
 * first_seq (it ignores the field), so this is checked against 2.10+ only. */
static void mirror_config_first_seq(void)
{
    CHECK(js);
    if (server_minor < 10)
        return;
    json_t *j = h_js_api(nc, "$JS.API.STREAM.CREATE.BAD4",
                    "{\"name\":\"BAD4\",\"mirror\":{\"name\":\"ORIG\"},\"first_seq\":5}");
    CHECK(j);
    json_t *code = json_object_get(json_object_get(j, "error"), "err_code");
    int c = json_is_integer(code) ? (int)json_integer_value(code) : 0;
    json_decref(j);
    CHECKF(c == 10143, "mirror with first_seq: err_code %d", c);
    jsStreamInfo *si = NULL;
    jsErrCode ec = 0;
    CHECK(js_GetStreamInfo(&si, js, "BAD4", NULL, &ec) == NATS_NOT_FOUND);
}

/* ---- 6. a mirror made before its origin ---- */

static void mirror_before_origin(void)
{
    CHECK(js);
    jsErrCode ec = 0;
    natsStatus st = add_mirror("MLATER", "LATER", 0, NULL, false, &ec);
    CHECKF(st == NATS_OK, "create: %s (%d)", nats_GetLastError(NULL), (int)ec);
    h_stream_state s;
    CHECKF(h_get_stream_state(js, "MLATER", &s) && s.msgs == 0 && s.mirror &&
               !strcmp(s.mirror_name, "LATER"),
           "MLATER: " H_STATE_FMT " mirror %d \"%s\"", H_STATE_ARGS(s), s.mirror, s.mirror_name);
    CHECK(add_origin("LATER", "later") == NATS_OK);
    CHECK(pub_range("later", 1, 3));
    /* nats-server retries the upstream consumer on a timer: allow for that */
    CHECKF(h_wait_stream_state(js, "MLATER", 3, 3, 15000, &s), "MLATER: " H_STATE_FMT,
           H_STATE_ARGS(s));
    CHECKF(s.first == 1, "MLATER: " H_STATE_FMT, H_STATE_ARGS(s));
    char why[256] = "";
    CHECKF(same_range("LATER", "MLATER", 1, 3, why, sizeof why), "%s", why);
    CHECK(pub_nth("later", 4) == 4);
    CHECKF(h_wait_stream_state(js, "MLATER", 4, 4, 5000, &s), "MLATER: " H_STATE_FMT,
           H_STATE_ARGS(s));
}

/* ---- 7. a KV bucket mirrored with mirror_direct (nats.c KeyValueMirrorDirectGet) ---- */

static void mirror_kv_direct_get(void)
{
    CHECK(js);
    kvStore *kv = NULL;
    kvConfig kc;
    kvConfig_Init(&kc);
    kc.Bucket = "DG";
    CHECK(js_CreateKeyValue(&kv, js, &kc) == NATS_OK);
    jsErrCode ec = 0;
    natsStatus st = add_mirror("MIRROR", "KV_DG", 0, NULL, true, &ec);
    if (st != NATS_OK)
        kvStore_Destroy(kv);
    CHECKF(st == NATS_OK, "create: %s (%d)", nats_GetLastError(NULL), (int)ec);
    bool ok = true;
    char key[32], why[128] = "";
    for (int i = 0; ok && i < 100; i++) {
        snprintf(key, sizeof key, "KEY.%d", i);
        ok = kvStore_PutString(NULL, kv, key, key) == NATS_OK;
    }
    for (int i = 0; ok && i < 100; i++) {
        kvEntry *e = NULL;
        st = kvStore_Get(&e, kv, "KEY.22");
        ok = st == NATS_OK && !strcmp(kvEntry_ValueString(e), "KEY.22") &&
             kvEntry_Revision(e) == 23;
        if (!ok)
            snprintf(why, sizeof why, "get %d: status %d", i, st);
        kvEntry_Destroy(e);
    }
    kvStore_Destroy(kv);
    CHECKF(ok, "%s", why);
    h_stream_state s;
    CHECKF(h_wait_stream_state(js, "MIRROR", 100, 100, 5000, &s), "MIRROR: " H_STATE_FMT,
           H_STATE_ARGS(s));
    CHECKF(same_msg("KV_DG", "MIRROR", 23, why, sizeof why), "%s", why);
    jsStreamInfo *si = NULL;
    CHECK(js_GetStreamInfo(&si, js, "MIRROR", NULL, &ec) == NATS_OK);
    bool direct = si->Config->MirrorDirect;
    jsStreamInfo_Destroy(si);
    CHECK(direct);
    /* the mirror answers direct gets on the origin's subject too: the reply's Nats-Stream
     * header names the stream that answered; among 40 requests, both answer */
    int by_origin = 0, by_mirror = 0;
    for (int i = 0; i < 40; i++) {
        natsMsg *r = NULL;
        st = natsConnection_RequestString(&r, nc, "$JS.API.DIRECT.GET.KV_DG.$KV.DG.KEY.22", "",
                                          2000);
        const char *name = NULL;
        if (st == NATS_OK && natsMsgHeader_Get(r, "Nats-Stream", &name) == NATS_OK && name) {
            by_origin += !strcmp(name, "KV_DG");
            by_mirror += !strcmp(name, "MIRROR");
        }
        bool data_ok = st == NATS_OK && natsMsg_GetDataLength(r) == 6 &&
                       !memcmp(natsMsg_GetData(r), "KEY.22", 6);
        natsMsg_Destroy(r);
        CHECKF(data_ok, "direct get %d: status %d", i, st);
    }
    CHECKF(by_origin + by_mirror == 40 && by_mirror > 0,
           "answered by origin %d, by mirror %d (of 40)", by_origin, by_mirror);
}

/* ---- 8. restart ---- */

static void mirror_restart(void)
{
    CHECK(js);
    CHECK(add_origin("RST", "rst") == NATS_OK);
    CHECK(pub_range("rst", 1, 5));
    jsErrCode ec = 0;
    CHECK(add_mirror("MRST", "RST", 0, NULL, false, &ec) == NATS_OK);
    h_stream_state s;
    CHECKF(h_wait_stream_state(js, "MRST", 5, 5, 5000, &s), "MRST: " H_STATE_FMT, H_STATE_ARGS(s));
    CHECKF(wait_lag0("MRST", 3000, &s), "lag %" PRIu64, s.lag);

    CHECK(h_restart_js(&srv, &nc, &js) == 0);

    CHECKF(h_get_stream_state(js, "MRST", &s) && s.msgs == 5 && s.first == 1 && s.last == 5 &&
               s.mirror && !strcmp(s.mirror_name, "RST"),
           "MRST after restart: " H_STATE_FMT, H_STATE_ARGS(s));
    CHECK(pub_range("rst", 6, 7));
    CHECKF(h_wait_stream_state(js, "MRST", 7, 7, 10000, &s), "MRST: " H_STATE_FMT, H_STATE_ARGS(s));
    CHECKF(s.first == 1 && s.deleted == 0, "MRST: " H_STATE_FMT, H_STATE_ARGS(s));
    char why[256] = "";
    CHECKF(same_range("RST", "MRST", 1, 7, why, sizeof why), "%s", why);
    /* no duplicates come late either */
    CHECKF(wait_lag0("MRST", 3000, &s), "lag %" PRIu64, s.lag);
    h_sleep_ms(200);
    CHECKF(h_get_stream_state(js, "MRST", &s) && s.msgs == 7 && s.last == 7,
           "MRST later: " H_STATE_FMT, H_STATE_ARGS(s));
    /* the mirrors made before the restart go on too */
    CHECK(pub_nth("orig", 18) == 18);
    CHECKF(h_wait_stream_state(js, "M", 18, 18, 10000, &s), "M: " H_STATE_FMT, H_STATE_ARGS(s));
    CHECKF(same_msg("ORIG", "M", 18, why, sizeof why), "%s", why);
}

/* ---- 9. deleting the origin ---- */

static void mirror_origin_deleted(void)
{
    CHECK(js);
    CHECK(add_origin("GONE", "gone") == NATS_OK);
    CHECK(pub_range("gone", 1, 6));
    jsErrCode ec = 0;
    CHECK(add_mirror("MGONE", "GONE", 0, NULL, false, &ec) == NATS_OK);
    h_stream_state s;
    CHECKF(h_wait_stream_state(js, "MGONE", 6, 6, 5000, &s), "MGONE: " H_STATE_FMT,
           H_STATE_ARGS(s));
    CHECK(js_DeleteStream(js, "GONE", NULL, &ec) == NATS_OK);
    jsStreamInfo *si = NULL;
    CHECK(js_GetStreamInfo(&si, js, "GONE", NULL, &ec) == NATS_NOT_FOUND);
    /* still there a moment later, every message readable */
    h_sleep_ms(300);
    CHECKF(h_get_stream_state(js, "MGONE", &s) && s.msgs == 6 && s.first == 1 && s.last == 6 &&
               s.mirror && !strcmp(s.mirror_name, "GONE"),
           "MGONE: " H_STATE_FMT, H_STATE_ARGS(s));
    for (uint64_t q = 1; q <= 6; q++) {
        natsMsg *m = NULL;
        char want[32], subj[32];
        snprintf(want, sizeof want, "gone-%" PRIu64, q);
        snprintf(subj, sizeof subj, "gone.%s.%" PRIu64, q % 2 ? "a" : "b", q);
        natsStatus st = js_GetMsg(&m, js, "MGONE", q, NULL, &ec);
        bool ok = st == NATS_OK && !strcmp(natsMsg_GetSubject(m), subj) &&
                  natsMsg_GetDataLength(m) == (int)strlen(want) &&
                  !memcmp(natsMsg_GetData(m), want, strlen(want));
        natsMsg_Destroy(m);
        CHECKF(ok, "MGONE seq %" PRIu64 ": status %d", q, st);
    }
}

/* Reads INFO.version. */
int main(void)
{
    h_init();
    if (h_start_js(&srv, &nc, &js) == 0)
        server_minor = h_server_minor(&srv);
    RUN(mirror_existing);
    RUN(mirror_live);
    RUN(mirror_gaps);
    RUN(mirror_start_and_filter);
    RUN(mirror_config_subjects);
    RUN(mirror_config_sources);
    RUN(mirror_config_start_seq_and_time);
    RUN(mirror_config_update);
    RUN(mirror_config_first_seq);
    RUN(mirror_before_origin);
    RUN(mirror_kv_direct_get);
    RUN(mirror_restart);
    RUN(mirror_origin_deleted);
    return h_end_js(&srv, nc, js, testlib_failed_cases);
}

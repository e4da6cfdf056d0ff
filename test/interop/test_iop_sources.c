/*
 * test_iop_sources.c — JetStream stream sources through libnats (libnats 3.4):
 *   - a stream sourcing two others (one through a filter) holds every message of both under its
 *     own sequences 1..N, each with the origin's subject, data and headers and a
 *     Nats-Stream-Source header naming the origin and its sequence; its stream info lists the
 *     sources (lag 0 once caught up);
 *   - a sourcing stream with subjects of its own stores its publishes and the sourced ones;
 *   - a source from a start sequence; a source made before its origin exists;
 *   - an update adding a source; a restart resuming without duplicates;
 *   - nats-server 2.10's config checks (duplicate source 10140, invalid name 10141).
 *
 * Every case passes against nats-server 2.9 too (WEIR_SERVER=/usr/sbin/nats-server), except the
 * 2.10 checks and header format, which run or are asserted in full only when INFO.version is
 * 2.10+ (2.9 writes "Nats-Stream-Source: A 3", 2.10 "A 3 > >").
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
static int server_minor; /* nats-server 2.<minor> that the server is or emulates */

static natsStatus add_stream(const char *name, const char *subject, jsStreamSource **sources,
                             int nsources, jsErrCode *ec)
{
    const char *subjects[1] = {subject};
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = name;
    cfg.Subjects = subject ? subjects : NULL;
    cfg.SubjectsLen = subject ? 1 : 0;
    cfg.Sources = sources;
    cfg.SourcesLen = nsources;
    jsErrCode e = 0;
    natsStatus st = js_AddStream(NULL, js, &cfg, NULL, &e);
    if (ec)
        *ec = e;
    return st;
}

/* Publishes data on subj (with an X-Test header when hdr); returns the acked sequence. */
static uint64_t pub(const char *subj, const char *data, const char *hdr)
{
    natsMsg *m = NULL;
    if (natsMsg_Create(&m, subj, NULL, data, (int)strlen(data)) != NATS_OK)
        return 0;
    if (hdr && natsMsgHeader_Set(m, "X-Test", hdr) != NATS_OK) {
        natsMsg_Destroy(m);
        return 0;
    }
    jsPubAck *pa = NULL;
    uint64_t seq = 0;
    if (js_PublishMsg(&pa, js, m, NULL, NULL) == NATS_OK)
        seq = pa->Sequence;
    jsPubAck_Destroy(pa);
    natsMsg_Destroy(m);
    return seq;
}

static uint64_t msgs_of(const char *name, uint64_t *last)
{
    jsStreamInfo *si = NULL;
    uint64_t n = UINT64_MAX;
    if (js_GetStreamInfo(&si, js, name, NULL, NULL) == NATS_OK) {
        n = si->State.Msgs;
        if (last)
            *last = si->State.LastSeq;
    }
    jsStreamInfo_Destroy(si);
    return n;
}

/* Polls (every 20 ms, up to 5 s) until the stream holds n messages; then 200 ms more to see
 * that no more come. */
static bool settles_at(const char *name, uint64_t n)
{
    int64_t deadline = h_now_ms() + 5000;
    while (msgs_of(name, NULL) != n && h_now_ms() < deadline)
        h_sleep_ms(20);
    h_sleep_ms(200);
    return msgs_of(name, NULL) == n;
}

/* "subject|data|X-Test|Nats-Stream-Source" of the message at seq ("" for absent headers). */
static const char *show(const char *stream, uint64_t seq, char *out, size_t cap)
{
    natsMsg *m = NULL;
    out[0] = 0;
    if (js_GetMsg(&m, js, stream, seq, NULL, NULL) != NATS_OK)
        return out;
    const char *x = NULL, *src = NULL;
    natsMsgHeader_Get(m, "X-Test", &x);
    natsMsgHeader_Get(m, "Nats-Stream-Source", &src);
    snprintf(out, cap, "%s|%.*s|%s|%s", natsMsg_GetSubject(m), natsMsg_GetDataLength(m),
             natsMsg_GetData(m), x ? x : "", src ? src : "");
    natsMsg_Destroy(m);
    return out;
}

/* The Nats-Stream-Source value expected for origin's sequence seq (through filter, or all). */
static void source_value(const char *origin, uint64_t seq, const char *filter, char *out,
                         size_t cap)
{
    if (server_minor >= 10)
        snprintf(out, cap, "%s %" PRIu64 " %s >", origin, seq, filter ? filter : ">");
    else
        snprintf(out, cap, "%s %" PRIu64, origin, seq);
}

/* The stream holds exactly the lines in want (each "subject|data|X-Test|source"), in any
 * order, at sequences 1..n. */
static bool holds(const char *stream, const char **want, size_t n, char *why, size_t cap)
{
    bool *seen = calloc(n, sizeof *seen);
    bool ok = seen != NULL;
    for (uint64_t seq = 1; ok && seq <= n; seq++) {
        char got[200];
        show(stream, seq, got, sizeof got);
        size_t i = 0;
        while (i < n && (seen[i] || strcmp(want[i], got) != 0))
            i++;
        if (i == n) {
            snprintf(why, cap, "%s seq %" PRIu64 ": unexpected %.200s", stream, seq, got);
            ok = false;
        } else {
            seen[i] = true;
        }
    }
    free(seen);
    return ok;
}

static void sources_aggregate(void)
{
    CHECK(js);
    CHECK(add_stream("SA", "sa.>", NULL, 0, NULL) == NATS_OK);
    CHECK(add_stream("SB", "sb.>", NULL, 0, NULL) == NATS_OK);
    CHECK(pub("sa.1", "a1", "h1") == 1);
    CHECK(pub("sb.1", "b1", NULL) == 1);
    CHECK(pub("sa.2", "a2", NULL) == 2);
    CHECK(pub("sb.2", "b2", "h2") == 2);
    CHECK(pub("sa.3", "a3", NULL) == 3);
    jsStreamSource a, b;
    jsStreamSource_Init(&a);
    jsStreamSource_Init(&b);
    a.Name = "SA";
    b.Name = "SB";
    b.FilterSubject = "sb.>";
    jsErrCode ec = 0;
    CHECKF(add_stream("AGG", NULL, (jsStreamSource *[2]){&a, &b}, 2, &ec) == NATS_OK,
           "create: %d", (int)ec);
    CHECKF(settles_at("AGG", 5), "AGG holds %" PRIu64, msgs_of("AGG", NULL));
    char v[5][64], want[5][256];
    const char *w[5];
    source_value("SA", 1, NULL, v[0], sizeof v[0]);
    source_value("SA", 2, NULL, v[1], sizeof v[1]);
    source_value("SA", 3, NULL, v[2], sizeof v[2]);
    source_value("SB", 1, "sb.>", v[3], sizeof v[3]);
    source_value("SB", 2, "sb.>", v[4], sizeof v[4]);
    snprintf(want[0], sizeof want[0], "sa.1|a1|h1|%s", v[0]);
    snprintf(want[1], sizeof want[1], "sa.2|a2||%s", v[1]);
    snprintf(want[2], sizeof want[2], "sa.3|a3||%s", v[2]);
    snprintf(want[3], sizeof want[3], "sb.1|b1||%s", v[3]);
    snprintf(want[4], sizeof want[4], "sb.2|b2|h2|%s", v[4]);
    for (int i = 0; i < 5; i++)
        w[i] = want[i];
    char why[600] = "";
    CHECKF(holds("AGG", w, 5, why, sizeof why), "%.300s", why);
    /* the stream info lists both sources, caught up */
    int64_t deadline = h_now_ms() + 3000;
    bool listed = false;
    while (!listed && h_now_ms() < deadline) {
        jsStreamInfo *si = NULL;
        if (js_GetStreamInfo(&si, js, "AGG", NULL, NULL) == NATS_OK && si->SourcesLen == 2) {
            bool sa = false, sb = false;
            for (int i = 0; i < 2; i++) {
                sa |= !strcmp(si->Sources[i]->Name, "SA") && si->Sources[i]->Lag == 0;
                sb |= !strcmp(si->Sources[i]->Name, "SB") && si->Sources[i]->Lag == 0;
            }
            listed = sa && sb;
        }
        jsStreamInfo_Destroy(si);
        if (!listed)
            h_sleep_ms(20);
    }
    CHECKF(listed, "AGG's info does not list SA and SB with lag 0");
    /* live */
    CHECK(pub("sb.3", "b3", NULL) == 3);
    CHECKF(settles_at("AGG", 6), "AGG holds %" PRIu64, msgs_of("AGG", NULL));
    char got[200], wl[150];
    source_value("SB", 3, "sb.>", v[0], sizeof v[0]);
    snprintf(wl, sizeof wl, "sb.3|b3||%s", v[0]);
    CHECKF(strcmp(show("AGG", 6, got, sizeof got), wl) == 0, "6: %.200s, want %.200s", got, wl);
}

static void sources_own_subjects_and_start(void)
{
    CHECK(js);
    jsStreamSource a;
    jsStreamSource_Init(&a);
    a.Name = "SA";
    a.OptStartSeq = 3;
    CHECK(add_stream("OWN", "own.>", (jsStreamSource *[1]){&a}, 1, NULL) == NATS_OK);
    CHECKF(settles_at("OWN", 1), "OWN holds %" PRIu64, msgs_of("OWN", NULL));
    CHECK(pub("own.x", "mine", NULL) == 2);
    CHECK(pub("sa.4", "a4", NULL) == 4);
    CHECKF(settles_at("OWN", 3), "OWN holds %" PRIu64, msgs_of("OWN", NULL));
    char got[200], v[64], want[256];
    source_value("SA", 3, NULL, v, sizeof v);
    snprintf(want, sizeof want, "sa.3|a3||%s", v);
    CHECKF(strcmp(show("OWN", 1, got, sizeof got), want) == 0, "1: %.200s, want %.200s", got, want);
    CHECKF(strcmp(show("OWN", 2, got, sizeof got), "own.x|mine||") == 0, "2: %.200s", got);
    source_value("SA", 4, NULL, v, sizeof v);
    snprintf(want, sizeof want, "sa.4|a4||%s", v);
    CHECKF(strcmp(show("OWN", 3, got, sizeof got), want) == 0, "3: %.200s, want %.200s", got, want);
}

static void sources_before_origin_and_update(void)
{
    CHECK(js);
    jsStreamSource l;
    jsStreamSource_Init(&l);
    l.Name = "LATE";
    CHECK(add_stream("EARLY", NULL, (jsStreamSource *[1]){&l}, 1, NULL) == NATS_OK);
    CHECK(add_stream("LATE", "late.>", NULL, 0, NULL) == NATS_OK);
    CHECK(pub("late.1", "l1", NULL) == 1);
    CHECKF(settles_at("EARLY", 1), "EARLY holds %" PRIu64, msgs_of("EARLY", NULL));
    /* an update adding a source: its messages arrive, the first source's are not copied again */
    CHECK(add_stream("MORE", "more.>", NULL, 0, NULL) == NATS_OK);
    CHECK(pub("more.1", "m1", NULL) == 1);
    CHECK(pub("more.2", "m2", NULL) == 2);
    jsStreamSource m;
    jsStreamSource_Init(&m);
    m.Name = "MORE";
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = "EARLY";
    cfg.Sources = (jsStreamSource *[2]){&l, &m};
    cfg.SourcesLen = 2;
    jsErrCode ec = 0;
    CHECKF(js_UpdateStream(NULL, js, &cfg, NULL, &ec) == NATS_OK, "update: %d", (int)ec);
    CHECKF(settles_at("EARLY", 3), "EARLY holds %" PRIu64, msgs_of("EARLY", NULL));
    char got[200], v[64], want[256];
    source_value("MORE", 2, NULL, v, sizeof v);
    snprintf(want, sizeof want, "more.2|m2||%s", v);
    CHECKF(strcmp(show("EARLY", 3, got, sizeof got), want) == 0, "3: %.200s, want %.200s", got, want);
}

static void sources_config_errors(void)
{
    CHECK(js);
    if (server_minor < 10) {
        printf("info: sources_config_errors: 2.10 checks, skipped on 2.%d\n", server_minor);
        return;
    }
    jsStreamSource a, a2, bad;
    jsStreamSource_Init(&a);
    jsStreamSource_Init(&a2);
    jsStreamSource_Init(&bad);
    a.Name = "SA";
    a2.Name = "SA";
    bad.Name = "S.A";
    jsErrCode ec = 0;
    CHECK(add_stream("DUP", NULL, (jsStreamSource *[2]){&a, &a2}, 2, &ec) != NATS_OK);
    CHECKF(ec == 10140, "duplicate source: %d", (int)ec);
    CHECK(add_stream("BADNAME", NULL, (jsStreamSource *[1]){&bad}, 1, &ec) != NATS_OK);
    CHECKF(ec == 10141, "invalid source name: %d", (int)ec);
}

static void sources_restart(void)
{
    CHECK(js);
    uint64_t last = 0, before = msgs_of("AGG", &last);
    CHECK(before == 7 && last == 7); /* the aggregate case's 6 and sa.4 of the next case */
    jsCtx_Destroy(js);
    js = NULL;
    natsConnection_Destroy(nc);
    nc = NULL;
    CHECK(h_server_stop(&srv) == 0);
    CHECK(h_server_restart(&srv) == 0);
    CHECK(h_connect(&srv, NULL, &nc, NULL, 0) == NATS_OK);
    CHECK(natsConnection_JetStream(&js, nc, NULL) == NATS_OK);
    CHECKF(settles_at("AGG", 7), "AGG after restart %" PRIu64, msgs_of("AGG", NULL));
    CHECK(pub("sa.5", "a5", NULL) == 5);
    CHECKF(settles_at("AGG", 8), "AGG holds %" PRIu64, msgs_of("AGG", NULL));
    char got[200], v[64], want[150];
    source_value("SA", 5, NULL, v, sizeof v);
    snprintf(want, sizeof want, "sa.5|a5||%s", v);
    CHECKF(strcmp(show("AGG", 8, got, sizeof got), want) == 0, "8: %.200s, want %.200s", got, want);
}

int main(void)
{
    h_init();
    if (h_start_js(&srv, &nc, &js) == 0)
        server_minor = h_server_minor(&srv);
    RUN(sources_aggregate);
    RUN(sources_own_subjects_and_start);
    RUN(sources_before_origin_and_update);
    RUN(sources_config_errors);
    RUN(sources_restart);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    if (testlib_failed_cases)
        h_server_dump(&srv, 30);
    h_server_free(&srv);
    h_done();
    TESTLIB_EXIT();
}

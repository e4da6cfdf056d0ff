/*
 * js_bench — a JetStream load generator built on the C client libnats.
 *
 * The same binary is pointed at weir-server and at nats-server
 * (bench/js_compare.sh) and the figures are compared side by side.  Every
 * mode creates its own file stream (--stream, subjects "PREFIX.>", messages
 * published to "PREFIX.data") and deletes it at the end (unless --keep).
 * Modes:
 *
 *   apub   js_PublishAsync of N messages of S bytes with at most
 *          --max-pending PubAcks outstanding, then js_PublishAsyncComplete.
 *          The clock stops when the last PubAck arrived.  Any PubAck error
 *          fails the run, and the stream must then hold exactly N messages.
 *          Reports msgs/s and MB/s.
 *   spub   js_Publish one message at a time (each waits for its PubAck),
 *          after --warmup unmeasured ones.  Reports ops/s and latency
 *          percentiles (µs).  With --client raw the publishes go through a
 *          plain blocking socket instead (PUB with a reply subject, then the
 *          PubAck read on the same thread; the stream is still created with
 *          libnats): libnats hands every request to its flusher and reader
 *          threads, whose wake-ups cost more than the server's own work, so
 *          this shows the servers with as little client in the way as a
 *          NATS client can have.
 *   floor  natsConnection_Request to PREFIX.nobody, which no one subscribes
 *          to, one at a time: each server answers at once with a 503 "no
 *          responders" status. No stream, no storage: the round trip of one
 *          libnats request with nothing in it for the server to do, the
 *          lower bound of every libnats request/reply workload (sync publish,
 *          KV put and get) on this machine. Reports ops/s and latency.
 *   pull   the stream is first filled with N messages (js_PublishAsync, not
 *          measured); then a durable pull consumer (--ack explicit|all|none)
 *          is read with natsSubscription_Fetch in batches of --batch.  With
 *          ack explicit every message gets natsMsg_Ack, with ack all only
 *          the last one of each batch.  The clock runs from the first fetch
 *          to the arrival of the N-th message; every message is checked (a
 *          sequence number in the first 8 payload bytes must come in order).
 *          Afterwards the consumer's ack floor must reach N (not measured).
 *          Reports msgs/s.
 *   slow   "slow reader memory": the stream is filled with N messages of S
 *          bytes (e.g. 16384 x 64 KiB = 1 GiB, js_PublishAsync, window
 *          --max-pending), then a durable pull consumer (ack explicit) is
 *          read in batches of --batch with a sleep after each batch so that
 *          the read takes about --slow-secs.  With --pid the server's VmRSS
 *          (/proc/PID/status) is sampled every 200 ms; the peak during the
 *          fill and during the read are reported.
 *
 * With --pid PID the CPU time (user + system) the server process used during
 * the measured part is reported too (srv_cpu_s, from /proc/PID/stat).
 *
 * Output: human-readable lines on stderr and one line on stdout:
 *   RESULT mode=apub msgs=... size=... secs=... msgs_per_s=... ...
 * or "ERROR mode=... reason=..." with exit status 1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <nats/nats.h>

#include "bench/bench_nats.h"

typedef struct js_cfg {
    const char *url;
    const char *mode;
    const char *stream;
    const char *prefix;
    int64_t     msgs;
    int         size;
    int64_t     max_pending;  /* apub / fills: PubAcks outstanding */
    int         batch;        /* pull / slow: fetch batch */
    const char *ack;          /* pull: explicit | all | none */
    int64_t     warmup;       /* spub: unmeasured publishes */
    const char *client;       /* spub: libnats | raw */
    double      slow_secs;    /* slow: target duration of the read */
    int         pid;          /* server process, 0 = unknown */
    int         timeout_s;
    bool        keep;
} js_cfg;

/* ---- async publish (apub, and the fills of pull / slow) ------------------- */

static void stream_create(const js_cfg *cfg, jsCtx *js)
{
    char subj[256];
    const char *subjects[1] = {subj};
    snprintf(subj, sizeof subj, "%s.>", cfg->prefix);
    jsStreamConfig sc;
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    BENCH_CHECK(jsStreamConfig_Init(&sc), "stream config");
    sc.Name = cfg->stream;
    sc.Subjects = subjects;
    sc.SubjectsLen = 1;
    sc.Storage = js_FileStorage;
    /* Remove a leftover of an earlier run (ignore "not found"). */
    js_DeleteStream(js, cfg->stream, NULL, NULL);
    natsStatus s = js_AddStream(&si, js, &sc, NULL, &jerr);
    if (s != NATS_OK) {
        fprintf(stderr, "js_bench: add stream: jerr %d\n", (int)jerr);
        bench_fail("add stream", s);
    }
    jsStreamInfo_Destroy(si);
}

static void stream_delete(const js_cfg *cfg, jsCtx *js)
{
    if (cfg->keep)
        return;
    natsStatus s = js_DeleteStream(js, cfg->stream, NULL, NULL);
    if (s != NATS_OK)
        fprintf(stderr, "js_bench: delete stream: %s\n", natsStatus_GetText(s));
}

static uint64_t stream_msgs(const js_cfg *cfg, jsCtx *js)
{
    jsStreamInfo *si = NULL;
    BENCH_CHECK(js_GetStreamInfo(&si, js, cfg->stream, NULL, NULL), "stream info");
    uint64_t n = si->State.Msgs;
    jsStreamInfo_Destroy(si);
    return n;
}

/* Publishes msgs messages asynchronously and waits for every PubAck. The
 * first 8 payload bytes carry the message's index. */
static void publish_async(const js_cfg *cfg, jsCtx *js, const char *subj, char *payload,
                          int64_t msgs)
{
    for (int64_t i = 0; i < msgs; i++) {
        if (cfg->size >= 8) {
            uint64_t seq = (uint64_t)i;
            memcpy(payload, &seq, sizeof seq);
        }
        natsStatus s = js_PublishAsync(js, subj, payload, cfg->size, NULL);
        if (s != NATS_OK)
            bench_fail("js_PublishAsync", s);
        if (atomic_load(&bench_conn_lost))
            bench_fail("connection lost", NATS_OK);
    }
    jsPubOptions po;
    BENCH_CHECK(jsPubOptions_Init(&po), "pub options");
    po.MaxWait = (int64_t)cfg->timeout_s * 1000 * 6;
    BENCH_CHECK(js_PublishAsyncComplete(js, &po), "js_PublishAsyncComplete");
    if (atomic_load(&bench_pub_errors) > 0)
        bench_fail("PubAck errors", NATS_OK);
}

static int mode_apub(const js_cfg *cfg)
{
    natsConnection *nc = bench_connect(cfg->url, "js_bench apub", 1 << 20, false);
    jsCtx *js = bench_js_context(nc, cfg->timeout_s, cfg->max_pending);
    stream_create(cfg, js);
    char subj[256];
    snprintf(subj, sizeof subj, "%s.data", cfg->prefix);
    char *payload = calloc(1, (size_t)cfg->size + 8);
    if (payload == NULL)
        bench_fail("out of memory", NATS_OK);
    bench_fill_payload(payload, cfg->size);

    double sc0 = bench_server_cpu(cfg->pid), c0 = bench_cpu(), t0 = bench_now();
    publish_async(cfg, js, subj, payload, cfg->msgs);
    double secs = bench_now() - t0, cpu = bench_cpu() - c0, sc1 = bench_server_cpu(cfg->pid);

    uint64_t stored = stream_msgs(cfg, js);
    if (stored != (uint64_t)cfg->msgs) {
        fprintf(stderr, "js_bench: stream holds %" PRIu64 " messages, expected %" PRId64 "\n",
                stored, cfg->msgs);
        bench_fail("stream message count differs", NATS_OK);
    }
    double rate = (double)cfg->msgs / secs;
    fprintf(stderr, "apub: %" PRId64 " msgs of %d B in %.3f s: %.0f msgs/s, %.1f MB/s\n",
            cfg->msgs, cfg->size, secs, rate, rate * cfg->size / 1e6);
    printf("RESULT mode=apub msgs=%" PRId64 " size=%d max_pending=%" PRId64 " secs=%.4f"
           " msgs_per_s=%.0f mb_per_s=%.2f client_cpu_s=%.3f srv_cpu_s=%.3f\n",
           cfg->msgs, cfg->size, cfg->max_pending, secs, rate, rate * cfg->size / 1e6, cpu,
           sc0 >= 0 && sc1 >= 0 ? sc1 - sc0 : -1.0);

    stream_delete(cfg, js);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    free(payload);
    return 0;
}

/* ---- sync publish --------------------------------------------------------- */

/* One js_Publish; returns its latency in ns. The PubAck's sequence must be
 * the next one. */
static int64_t sync_publish_one(jsCtx *js, const char *subj, const char *payload, int size,
                                uint64_t *expect_seq)
{
    jsPubAck *pa = NULL;
    jsErrCode jerr = 0;
    int64_t a = bench_now_ns();
    natsStatus s = js_Publish(&pa, js, subj, payload, size, NULL, &jerr);
    int64_t b = bench_now_ns();
    if (s != NATS_OK) {
        fprintf(stderr, "js_bench: js_Publish: jerr %d\n", (int)jerr);
        bench_fail("js_Publish", s);
    }
    if (pa->Sequence != *expect_seq) {
        fprintf(stderr, "js_bench: PubAck seq %" PRIu64 ", expected %" PRIu64 "\n",
                pa->Sequence, *expect_seq);
        bench_fail("PubAck sequence out of order", NATS_OK);
    }
    (*expect_seq)++;
    jsPubAck_Destroy(pa);
    return b - a;
}

/* ---- sync publish through a plain socket (--client raw) ------------------ */

typedef struct raw_conn {
    int fd;
    char buf[65536];
    size_t len;
} raw_conn;

/* Reads until buf holds a complete "MSG <subj> <sid> <n>\r\n<payload>\r\n"; returns the
 * payload (NUL-terminated in buf) and drops anything before it (PONG, +OK, INFO). */
static const char *raw_read_msg(raw_conn *r)
{
    for (;;) {
        r->buf[r->len] = 0;
        char *m = strstr(r->buf, "MSG ");
        char *eol = m ? strstr(m, "\r\n") : NULL;
        if (eol) {
            char *sp = eol;
            while (sp > m && sp[-1] != ' ')
                sp--;
            size_t n = (size_t)strtoul(sp, NULL, 10);
            char *payload = eol + 2;
            if ((size_t)(payload - r->buf) + n + 2 <= r->len) {
                payload[n] = 0;
                size_t used = (size_t)(payload - r->buf) + n + 2;
                static char out[4096];
                snprintf(out, sizeof out, "%s", payload);
                memmove(r->buf, r->buf + used, r->len - used);
                r->len -= used;
                return out;
            }
        }
        if (r->len + 1 >= sizeof r->buf)
            bench_fail("raw client: reply too long", NATS_OK);
        ssize_t got = read(r->fd, r->buf + r->len, sizeof r->buf - 1 - r->len);
        if (got <= 0)
            bench_fail("raw client: connection closed", NATS_OK);
        r->len += (size_t)got;
    }
}

static void raw_write(raw_conn *r, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(r->fd, p, n);
        if (w <= 0)
            bench_fail("raw client: write failed", NATS_OK);
        p += w;
        n -= (size_t)w;
    }
}

/* Connects to the host:port of a nats://host:port URL and subscribes to _RAW.> for the acks. */
static void raw_connect(raw_conn *r, const char *url)
{
    char host[256] = "127.0.0.1";
    int port = 4222;
    const char *hp = strstr(url, "://") ? strstr(url, "://") + 3 : url;
    const char *colon = strrchr(hp, ':');
    if (colon) {
        snprintf(host, sizeof host, "%.*s", (int)(colon - hp), hp);
        port = atoi(colon + 1);
    }
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    r->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (r->fd < 0 || inet_pton(AF_INET, strcmp(host, "localhost") ? host : "127.0.0.1",
                               &a.sin_addr) != 1 ||
        connect(r->fd, (struct sockaddr *)&a, sizeof a) != 0)
        bench_fail("raw client: cannot connect (an IPv4 address is needed)", NATS_OK);
    int one = 1;
    setsockopt(r->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    const char *hello = "CONNECT {\"verbose\":false,\"pedantic\":false,\"headers\":true}\r\n"
                        "SUB _RAW.> 1\r\nPING\r\n";
    raw_write(r, hello, strlen(hello));
    for (;;) { /* INFO, then the PONG that says the SUB is in place */
        r->buf[r->len] = 0;
        char *pong = strstr(r->buf, "PONG\r\n");
        if (pong) {
            size_t used = (size_t)(pong + 6 - r->buf);
            memmove(r->buf, r->buf + used, r->len - used);
            r->len -= used;
            return;
        }
        ssize_t got = read(r->fd, r->buf + r->len, sizeof r->buf - 1 - r->len);
        if (got <= 0)
            bench_fail("raw client: no PONG", NATS_OK);
        r->len += (size_t)got;
    }
}

/* One publish with a reply subject and its PubAck, which must carry the next sequence;
 * returns the latency in ns. */
static int64_t raw_publish_one(raw_conn *r, const char *subj, const char *payload, int size,
                               uint64_t *expect_seq)
{
    static char frame[1 << 20];
    int n = snprintf(frame, sizeof frame, "PUB %s _RAW.%" PRIu64 " %d\r\n", subj, *expect_seq,
                     size);
    if (n < 0 || (size_t)n + (size_t)size + 2 > sizeof frame)
        bench_fail("raw client: message too large", NATS_OK);
    memcpy(frame + n, payload, (size_t)size);
    memcpy(frame + n + size, "\r\n", 2);
    int64_t a = bench_now_ns();
    raw_write(r, frame, (size_t)n + (size_t)size + 2);
    const char *ack = raw_read_msg(r);
    int64_t b = bench_now_ns();
    char want[48];
    snprintf(want, sizeof want, "\"seq\":%" PRIu64 "}", *expect_seq);
    if (!strstr(ack, want)) {
        fprintf(stderr, "js_bench: PubAck %s, expected seq %" PRIu64 "\n", ack, *expect_seq);
        bench_fail("PubAck sequence out of order", NATS_OK);
    }
    (*expect_seq)++;
    return b - a;
}

/* A filled payload (*payload) and room for every round trip's latency (returned). */
static int64_t *alloc_rounds(const js_cfg *cfg, char **payload)
{
    *payload = calloc(1, (size_t)cfg->size + 8);
    int64_t *lat = malloc((size_t)cfg->msgs * sizeof *lat);
    if (*payload == NULL || lat == NULL)
        bench_fail("out of memory", NATS_OK);
    bench_fill_payload(*payload, cfg->size);
    return lat;
}

/* Prints the round trips' rate and latency percentiles (sorts lat). */
static void report_rounds(const char *mode, const char *client, const js_cfg *cfg, int64_t *lat,
                          double secs, double cpu, double sc0, double sc1)
{
    qsort(lat, (size_t)cfg->msgs, sizeof *lat, bench_cmp_i64);
    double p50 = bench_pct_us(lat, cfg->msgs, 50), p99 = bench_pct_us(lat, cfg->msgs, 99);
    double p999 = bench_pct_us(lat, cfg->msgs, 99.9), pmax = (double)lat[cfg->msgs - 1] / 1000.0;
    double rate = (double)cfg->msgs / secs;
    fprintf(stderr, "%s: %" PRId64 " round trips of %d B in %.3f s: %.0f ops/s;"
            " latency us: p50 %.1f p99 %.1f p99.9 %.1f max %.1f\n",
            mode, cfg->msgs, cfg->size, secs, rate, p50, p99, p999, pmax);
    printf("RESULT mode=%s client=%s msgs=%" PRId64 " size=%d secs=%.4f ops_per_s=%.0f"
           " p50_us=%.1f p99_us=%.1f p999_us=%.1f max_us=%.1f client_cpu_s=%.3f"
           " srv_cpu_s=%.3f\n",
           mode, client, cfg->msgs, cfg->size, secs, rate, p50, p99, p999, pmax, cpu,
           sc0 >= 0 && sc1 >= 0 ? sc1 - sc0 : -1.0);
}

static int mode_spub(const js_cfg *cfg)
{
    natsConnection *nc = bench_connect(cfg->url, "js_bench spub", 1 << 20, false);
    jsCtx *js = bench_js_context(nc, cfg->timeout_s, cfg->max_pending);
    stream_create(cfg, js);
    bool raw = strcmp(cfg->client, "raw") == 0;
    raw_conn *rc = raw ? calloc(1, sizeof *rc) : NULL;
    if (raw && !rc)
        bench_fail("out of memory", NATS_OK);
    if (raw)
        raw_connect(rc, cfg->url);
    char subj[256];
    snprintf(subj, sizeof subj, "%s.data", cfg->prefix);
    char *payload;
    int64_t *lat = alloc_rounds(cfg, &payload);

    uint64_t expect_seq = 1;
    for (int64_t i = 0; i < cfg->warmup; i++)
        if (raw)
            raw_publish_one(rc, subj, payload, cfg->size, &expect_seq);
        else
            sync_publish_one(js, subj, payload, cfg->size, &expect_seq);

    double sc0 = bench_server_cpu(cfg->pid), c0 = bench_cpu(), t0 = bench_now();
    for (int64_t i = 0; i < cfg->msgs; i++)
        lat[i] = raw ? raw_publish_one(rc, subj, payload, cfg->size, &expect_seq)
                     : sync_publish_one(js, subj, payload, cfg->size, &expect_seq);
    double secs = bench_now() - t0, cpu = bench_cpu() - c0, sc1 = bench_server_cpu(cfg->pid);

    report_rounds("spub", cfg->client, cfg, lat, secs, cpu, sc0, sc1);

    if (rc) {
        close(rc->fd);
        free(rc);
    }
    stream_delete(cfg, js);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    free(lat);
    free(payload);
    return 0;
}

/* One request to a subject nobody subscribes to: the server answers at once with a 503 status
 * (no responders). The round trip of a client call with no server work in it. */
static int64_t floor_request_one(natsConnection *nc, const char *subj, const char *payload,
                                 int size)
{
    natsMsg *reply = NULL;
    int64_t a = bench_now_ns();
    natsStatus s = natsConnection_Request(&reply, nc, subj, payload, size, 5000);
    int64_t b = bench_now_ns();
    natsMsg_Destroy(reply);
    if (s != NATS_NO_RESPONDERS)
        bench_fail("request without responders: expected the 503 status", s);
    return b - a;
}

static int mode_floor(const js_cfg *cfg)
{
    natsConnection *nc = bench_connect(cfg->url, "js_bench floor", 1 << 20, false);
    char subj[256];
    snprintf(subj, sizeof subj, "%s.nobody", cfg->prefix);
    char *payload;
    int64_t *lat = alloc_rounds(cfg, &payload);
    for (int64_t i = 0; i < cfg->warmup; i++)
        floor_request_one(nc, subj, payload, cfg->size);
    double sc0 = bench_server_cpu(cfg->pid), c0 = bench_cpu(), t0 = bench_now();
    for (int64_t i = 0; i < cfg->msgs; i++)
        lat[i] = floor_request_one(nc, subj, payload, cfg->size);
    double secs = bench_now() - t0, cpu = bench_cpu() - c0, sc1 = bench_server_cpu(cfg->pid);
    report_rounds("floor", "libnats", cfg, lat, secs, cpu, sc0, sc1);
    natsConnection_Destroy(nc);
    free(lat);
    free(payload);
    return 0;
}

/* ---- RSS sampler (slow) --------------------------------------------------- */

typedef struct rss_sampler {
    int             pid;
    atomic_int      phase;     /* 0 before fill, 1 fill, 2 read, 3 stop */
    _Atomic long    peak[3];   /* kB, per phase */
    _Atomic long    last;
    pthread_t       thread;
} rss_sampler;

static void *rss_loop(void *arg)
{
    rss_sampler *rs = arg;
    for (;;) {
        int ph = atomic_load(&rs->phase);
        if (ph >= 3)
            break;
        long kb = bench_status_kb(rs->pid, "VmRSS");
        if (kb >= 0) {
            atomic_store(&rs->last, kb);
            if (kb > atomic_load(&rs->peak[ph]))
                atomic_store(&rs->peak[ph], kb);
        }
        usleep(200 * 1000);
    }
    return NULL;
}

/* ---- pull consumer reading (pull, slow) ----------------------------------- */

static natsSubscription *pull_consumer(const js_cfg *cfg, jsCtx *js, jsAckPolicy ap)
{
    jsConsumerConfig cc;
    jsConsumerInfo *ci = NULL;
    jsErrCode jerr = 0;
    BENCH_CHECK(jsConsumerConfig_Init(&cc), "consumer config");
    cc.Durable = "BENCH";
    cc.AckPolicy = ap;
    cc.DeliverPolicy = js_DeliverAll;
    /* Both servers default to 1000; keep it clear of the batch so that the
     * window of unacknowledged messages is never what limits a fetch. */
    if (ap != js_AckNone)
        cc.MaxAckPending = 20000;
    natsStatus s = js_AddConsumer(&ci, js, cfg->stream, &cc, NULL, &jerr);
    if (s != NATS_OK) {
        fprintf(stderr, "js_bench: add consumer: jerr %d\n", (int)jerr);
        bench_fail("add consumer", s);
    }
    jsConsumerInfo_Destroy(ci);

    jsSubOptions so;
    natsSubscription *sub = NULL;
    BENCH_CHECK(jsSubOptions_Init(&so), "sub options");
    so.Stream = cfg->stream;
    so.Consumer = "BENCH";
    char subj[256];
    snprintf(subj, sizeof subj, "%s.>", cfg->prefix);
    s = js_PullSubscribe(&sub, js, subj, "BENCH", NULL, &so, &jerr);
    if (s != NATS_OK) {
        fprintf(stderr, "js_bench: pull subscribe: jerr %d\n", (int)jerr);
        bench_fail("pull subscribe", s);
    }
    return sub;
}

typedef struct read_stats {
    int64_t got;
    int64_t fetches;
    int64_t empty_fetches;
    double  secs;
} read_stats;

/* Reads cfg->msgs messages; sleep_s after each batch (slow reader). */
static read_stats pull_read(const js_cfg *cfg, natsSubscription *sub, jsAckPolicy ap,
                            double sleep_s)
{
    read_stats rs = {0};
    double t0 = 0, last_progress = bench_now();
    while (rs.got < cfg->msgs) {
        natsMsgList list = {0};
        jsErrCode jerr = 0;
        int want = cfg->batch;
        if (want > cfg->msgs - rs.got)
            want = (int)(cfg->msgs - rs.got);
        if (rs.fetches == 0)
            t0 = bench_now();
        natsStatus s = natsSubscription_Fetch(&list, sub, want, 5000, &jerr);
        rs.fetches++;
        if (s == NATS_TIMEOUT || (s == NATS_OK && list.Count == 0)) {
            rs.empty_fetches++;
            if (bench_now() - last_progress > cfg->timeout_s)
                bench_fail("fetch: no messages (stalled)", s);
            natsMsgList_Destroy(&list);
            continue;
        }
        if (s != NATS_OK) {
            fprintf(stderr, "js_bench: fetch: jerr %d\n", (int)jerr);
            bench_fail("fetch", s);
        }
        last_progress = bench_now();
        for (int i = 0; i < list.Count; i++) {
            natsMsg *m = list.Msgs[i];
            if (natsMsg_GetDataLength(m) != cfg->size)
                bench_fail("message of the wrong size", NATS_OK);
            if (cfg->size >= 8) {
                uint64_t seq;
                memcpy(&seq, natsMsg_GetData(m), sizeof seq);
                if ((int64_t)seq != rs.got) {
                    fprintf(stderr, "js_bench: got message %" PRIu64 ", expected %" PRId64 "\n",
                            seq, rs.got);
                    bench_fail("messages out of order or duplicated", NATS_OK);
                }
            }
            rs.got++;
            if (ap == js_AckExplicit || (ap == js_AckAll && i == list.Count - 1))
                BENCH_CHECK(natsMsg_Ack(m, NULL), "ack");
        }
        if (rs.got == cfg->msgs)
            rs.secs = bench_now() - t0;
        natsMsgList_Destroy(&list);
        if (atomic_load(&bench_conn_lost))
            bench_fail("connection lost", NATS_OK);
        if (sleep_s > 0 && rs.got < cfg->msgs)
            usleep((useconds_t)(sleep_s * 1e6));
    }
    return rs;
}

/* Waits (unmeasured) until the server has processed every ack. */
static void wait_acked(const js_cfg *cfg, natsConnection *nc, jsCtx *js)
{
    BENCH_CHECK(natsConnection_FlushTimeout(nc, 5000), "flush acks");
    double t0 = bench_now();
    for (;;) {
        jsConsumerInfo *ci = NULL;
        BENCH_CHECK(js_GetConsumerInfo(&ci, js, cfg->stream, "BENCH", NULL, NULL), "consumer info");
        uint64_t floor = ci->AckFloor.Stream;
        int64_t pending = ci->NumAckPending;
        jsConsumerInfo_Destroy(ci);
        if (floor == (uint64_t)cfg->msgs && pending == 0)
            return;
        if (bench_now() - t0 > cfg->timeout_s) {
            fprintf(stderr, "js_bench: ack floor %" PRIu64 ", ack pending %" PRId64 "\n", floor,
                    pending);
            bench_fail("acks not all processed", NATS_OK);
        }
        usleep(20 * 1000);
    }
}

static jsAckPolicy parse_ack(const char *a)
{
    if (strcmp(a, "explicit") == 0)
        return js_AckExplicit;
    if (strcmp(a, "all") == 0)
        return js_AckAll;
    if (strcmp(a, "none") == 0)
        return js_AckNone;
    fprintf(stderr, "js_bench: --ack must be explicit, all or none\n");
    exit(2);
}

static int mode_pull(const js_cfg *cfg)
{
    jsAckPolicy ap = parse_ack(cfg->ack);
    natsConnection *nc = bench_connect(cfg->url, "js_bench pull", 1 << 20, false);
    jsCtx *js = bench_js_context(nc, cfg->timeout_s, cfg->max_pending);
    stream_create(cfg, js);
    char subj[256];
    snprintf(subj, sizeof subj, "%s.data", cfg->prefix);
    char *payload = calloc(1, (size_t)cfg->size + 8);
    if (payload == NULL)
        bench_fail("out of memory", NATS_OK);
    bench_fill_payload(payload, cfg->size);

    double f0 = bench_now();
    publish_async(cfg, js, subj, payload, cfg->msgs);
    double fill_secs = bench_now() - f0;
    if (stream_msgs(cfg, js) != (uint64_t)cfg->msgs)
        bench_fail("stream message count differs after the fill", NATS_OK);
    fprintf(stderr, "pull: filled %" PRId64 " msgs in %.3f s\n", cfg->msgs, fill_secs);

    natsSubscription *sub = pull_consumer(cfg, js, ap);
    double sc0 = bench_server_cpu(cfg->pid), c0 = bench_cpu();
    read_stats rs = pull_read(cfg, sub, ap, 0);
    double cpu = bench_cpu() - c0, sc1 = bench_server_cpu(cfg->pid);
    if (ap != js_AckNone)
        wait_acked(cfg, nc, js);

    double rate = (double)cfg->msgs / rs.secs;
    fprintf(stderr, "pull: %" PRId64 " msgs of %d B, ack %s, batch %d, in %.3f s: %.0f msgs/s"
            " (%" PRId64 " fetches, %" PRId64 " empty)\n",
            cfg->msgs, cfg->size, cfg->ack, cfg->batch, rs.secs, rate, rs.fetches,
            rs.empty_fetches);
    printf("RESULT mode=pull msgs=%" PRId64 " size=%d ack=%s batch=%d secs=%.4f msgs_per_s=%.0f"
           " mb_per_s=%.2f fetches=%" PRId64 " empty_fetches=%" PRId64 " fill_secs=%.3f"
           " client_cpu_s=%.3f srv_cpu_s=%.3f\n",
           cfg->msgs, cfg->size, cfg->ack, cfg->batch, rs.secs, rate, rate * cfg->size / 1e6,
           rs.fetches, rs.empty_fetches, fill_secs, cpu,
           sc0 >= 0 && sc1 >= 0 ? sc1 - sc0 : -1.0);

    natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
    stream_delete(cfg, js);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    free(payload);
    return 0;
}

static int mode_slow(const js_cfg *cfg)
{
    static rss_sampler rs;
    rs.pid = cfg->pid;
    if (cfg->pid > 0) {
        atomic_store(&rs.phase, 0);
        if (pthread_create(&rs.thread, NULL, rss_loop, &rs) != 0)
            bench_fail("pthread_create", NATS_OK);
    }
    long rss_start = cfg->pid > 0 ? bench_status_kb(cfg->pid, "VmRSS") : -1;

    natsConnection *nc = bench_connect(cfg->url, "js_bench slow", 1 << 20, false);
    jsCtx *js = bench_js_context(nc, cfg->timeout_s, cfg->max_pending);
    stream_create(cfg, js);
    char subj[256];
    snprintf(subj, sizeof subj, "%s.data", cfg->prefix);
    char *payload = calloc(1, (size_t)cfg->size + 8);
    if (payload == NULL)
        bench_fail("out of memory", NATS_OK);
    bench_fill_payload(payload, cfg->size);

    atomic_store(&rs.phase, 1);
    double f0 = bench_now();
    publish_async(cfg, js, subj, payload, cfg->msgs);
    double fill_secs = bench_now() - f0;
    if (stream_msgs(cfg, js) != (uint64_t)cfg->msgs)
        bench_fail("stream message count differs after the fill", NATS_OK);
    double fill_mb = (double)cfg->msgs * cfg->size / 1e6;
    long rss_filled = cfg->pid > 0 ? bench_status_kb(cfg->pid, "VmRSS") : -1;
    fprintf(stderr, "slow: filled %" PRId64 " msgs of %d B (%.0f MB) in %.2f s (%.1f MB/s);"
            " server RSS %ld kB\n",
            cfg->msgs, cfg->size, fill_mb, fill_secs, fill_mb / fill_secs, rss_filled);

    atomic_store(&rs.phase, 2);
    natsSubscription *sub = pull_consumer(cfg, js, js_AckExplicit);
    double batches = (double)(cfg->msgs + cfg->batch - 1) / cfg->batch;
    double sleep_s = batches > 1 ? cfg->slow_secs / batches : 0;
    read_stats r = pull_read(cfg, sub, js_AckExplicit, sleep_s);
    wait_acked(cfg, nc, js);
    long rss_end = cfg->pid > 0 ? bench_status_kb(cfg->pid, "VmRSS") : -1;
    long hwm = cfg->pid > 0 ? bench_status_kb(cfg->pid, "VmHWM") : -1;
    atomic_store(&rs.phase, 3);
    if (cfg->pid > 0)
        pthread_join(rs.thread, NULL);

    /* The main thread's own readings count too: a fill shorter than the
     * sampling interval would otherwise have no sample at all. */
    long pk_fill = atomic_load(&rs.peak[1]), pk_read = atomic_load(&rs.peak[2]);
    if (rss_filled > pk_fill)
        pk_fill = rss_filled;
    if (rss_end > pk_read)
        pk_read = rss_end;
    fprintf(stderr, "slow: read %" PRId64 " msgs in batches of %d in %.1f s (sleep %.3f s a"
            " batch); server RSS kB: start %ld, peak during fill %ld, after fill %ld,"
            " peak during read %ld, end %ld, VmHWM %ld\n",
            r.got, cfg->batch, r.secs, sleep_s, rss_start, pk_fill, rss_filled, pk_read,
            rss_end, hwm);
    printf("RESULT mode=slow msgs=%" PRId64 " size=%d batch=%d fill_secs=%.3f fill_mb_per_s=%.1f"
           " read_secs=%.2f rss_start_mb=%.1f rss_fill_peak_mb=%.1f rss_filled_mb=%.1f"
           " rss_read_peak_mb=%.1f rss_end_mb=%.1f hwm_mb=%.1f\n",
           cfg->msgs, cfg->size, cfg->batch, fill_secs, fill_mb / fill_secs, r.secs,
           rss_start / 1024.0, pk_fill / 1024.0, rss_filled / 1024.0, pk_read / 1024.0,
           rss_end / 1024.0, hwm / 1024.0);

    natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
    stream_delete(cfg, js);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    free(payload);
    return 0;
}

/* ---- main ----------------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: js_bench --mode apub|spub|floor|pull|slow [options]\n"
            "  --url URL          server (default nats://127.0.0.1:4222)\n"
            "  --stream NAME      stream to create (default BENCH; deleted at the end)\n"
            "  --prefix P         stream subjects P.>, messages go to P.data (default bench)\n"
            "  --msgs N           messages (default apub/pull 200000, spub/floor 20000, slow 16384)\n"
            "  --size S           payload bytes (default 128; slow 65536)\n"
            "  --max-pending N    async publish window (default 4000; slow 256)\n"
            "  --batch N          fetch batch (default pull 500, slow 100)\n"
            "  --ack A            pull: explicit | all | none (default explicit)\n"
            "  --warmup N         spub, floor: unmeasured round trips first (default 1000)\n"
            "  --client C         spub: libnats (default) | raw (a plain blocking socket)\n"
            "  --slow-secs S      slow: target duration of the read (default 60)\n"
            "  --pid PID          server process: its CPU time, and RSS samples in slow mode\n"
            "  --timeout SECS     fail after this long without progress (default 30)\n"
            "  --keep 1           do not delete the stream at the end\n");
}

int main(int argc, char **argv)
{
    bench_prog = "js_bench";
    js_cfg cfg = {
        .url = "nats://127.0.0.1:4222", .stream = "BENCH", .prefix = "bench", .msgs = -1,
        .size = -1, .max_pending = -1, .batch = -1, .ack = "explicit", .warmup = 1000, .client = "libnats",
        .slow_secs = 60, .pid = 0, .timeout_s = 30, .keep = false,
    };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (i + 1 >= argc) {
            usage(stderr);
            return 2;
        }
        const char *v = argv[++i];
        if (strcmp(a, "--url") == 0)
            cfg.url = v;
        else if (strcmp(a, "--mode") == 0)
            cfg.mode = v;
        else if (strcmp(a, "--stream") == 0)
            cfg.stream = v;
        else if (strcmp(a, "--prefix") == 0)
            cfg.prefix = v;
        else if (strcmp(a, "--msgs") == 0)
            cfg.msgs = bench_parse_i64(a, v, 1);
        else if (strcmp(a, "--size") == 0)
            cfg.size = (int)bench_parse_i64(a, v, 0);
        else if (strcmp(a, "--max-pending") == 0)
            cfg.max_pending = bench_parse_i64(a, v, 1);
        else if (strcmp(a, "--batch") == 0)
            cfg.batch = (int)bench_parse_i64(a, v, 1);
        else if (strcmp(a, "--client") == 0)
            cfg.client = v;
        else if (strcmp(a, "--ack") == 0)
            cfg.ack = v;
        else if (strcmp(a, "--warmup") == 0)
            cfg.warmup = bench_parse_i64(a, v, 0);
        else if (strcmp(a, "--slow-secs") == 0)
            cfg.slow_secs = strtod(v, NULL);
        else if (strcmp(a, "--pid") == 0)
            cfg.pid = (int)bench_parse_i64(a, v, 0);
        else if (strcmp(a, "--timeout") == 0)
            cfg.timeout_s = (int)bench_parse_i64(a, v, 1);
        else if (strcmp(a, "--keep") == 0)
            cfg.keep = bench_parse_i64(a, v, 0) != 0;
        else {
            fprintf(stderr, "js_bench: unknown flag %s\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (cfg.mode == NULL) {
        usage(stderr);
        return 2;
    }
    bench_mode = cfg.mode;
    if (strcmp(cfg.client, "libnats") != 0 && strcmp(cfg.client, "raw") != 0) {
        fprintf(stderr, "js_bench: --client must be libnats or raw\n");
        return 2;
    }
    bool slow = strcmp(cfg.mode, "slow") == 0;
    if (cfg.msgs < 0)
        cfg.msgs = strcmp(cfg.mode, "spub") == 0 || strcmp(cfg.mode, "floor") == 0 ? 20000
                   : slow                                                      ? 16384
                                                                               : 200000;
    if (cfg.size < 0)
        cfg.size = slow ? 65536 : 128;
    if (cfg.max_pending < 0)
        cfg.max_pending = slow ? 256 : 4000;
    if (cfg.batch < 0)
        cfg.batch = slow ? 100 : 500;
    if (cfg.size > 8 * 1024 * 1024) {
        fprintf(stderr, "js_bench: --size too large\n");
        return 2;
    }

    int rc;
    if (strcmp(cfg.mode, "apub") == 0)
        rc = mode_apub(&cfg);
    else if (strcmp(cfg.mode, "spub") == 0)
        rc = mode_spub(&cfg);
    else if (strcmp(cfg.mode, "floor") == 0)
        rc = mode_floor(&cfg);
    else if (strcmp(cfg.mode, "pull") == 0)
        rc = mode_pull(&cfg);
    else if (slow)
        rc = mode_slow(&cfg);
    else {
        fprintf(stderr, "js_bench: unknown mode %s\n", cfg.mode);
        usage(stderr);
        return 2;
    }
    fflush(stdout);
    nats_Close();
    return rc;
}

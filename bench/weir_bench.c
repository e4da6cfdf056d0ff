/*
 * weir_bench — a NATS load generator built on the C client libnats.
 *
 * It measures what a libnats client sees from a NATS server, so the same
 * binary is pointed at weir-server and at nats-server (bench/compare.sh) and
 * the figures are compared side by side.  Modes:
 *
 *   pub     core PUB of N messages of S bytes on one connection, no
 *           subscriber, then a flush (PING/PONG) so that every byte reached
 *           the server.  Reports msgs/s and MB/s (payload bytes, 1 MB = 1e6 B).
 *   pubsub  a publisher and a subscriber on two connections.  The run ends
 *           when the subscriber has received all N messages; the count and
 *           the order (a sequence number in the first 8 payload bytes) are
 *           checked exactly.  A lost, duplicated or reordered message, a
 *           client-side drop or a slow-consumer cut is an error (exit 1).
 *           At most --window messages are in flight between publish and
 *           receive (0 = no limit), so the test measures throughput, not how
 *           much a server is willing to buffer.
 *   req     sequential request/reply: a responder connection whose
 *           subscription replies to each request with the same payload, and
 *           a requester doing natsConnection_Request one at a time.  Reports
 *           ops/s and latency percentiles (p50, p99, p99.9, max) in µs.
 *
 * Output: human-readable lines on stderr and one machine-readable line on
 * stdout, e.g.
 *   RESULT mode=pub msgs=2000000 size=128 secs=1.234 msgs_per_s=... mb_per_s=... client_cpu_s=...
 * client_cpu_s is the CPU time this client used during the measured part; when
 * it is close to secs (or to secs x threads) the client, not the server, is
 * the limit.
 * On failure the stdout line is "ERROR mode=... reason=..." and the exit
 * status is 1.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <nats/nats.h>

#include "bench/bench_nats.h"

#define BENCH_DEFAULT_URL     "nats://127.0.0.1:4222"
#define BENCH_DEFAULT_SUBJECT "weir.bench"

typedef struct bench_cfg {
    const char *url;
    const char *mode;
    const char *subject;
    int64_t     msgs;
    int         size;
    int64_t     window;      /* pubsub: max messages in flight, 0 = unbounded */
    int64_t     warmup;      /* req: requests before measuring, -1 = auto */
    int         iobuf;       /* libnats socket buffer size in bytes */
    int         timeout_s;   /* give up after this long without progress */
} bench_cfg;

/* ---- pub ------------------------------------------------------------------ */

static int bench_pub(const bench_cfg *cfg)
{
    natsConnection *nc = bench_connect(cfg->url, "weir_bench pub", cfg->iobuf, false);
    char *payload = malloc((size_t)cfg->size + 1);
    if (payload == NULL)
        bench_fail("out of memory", NATS_OK);
    bench_fill_payload(payload, cfg->size);

    double c0 = bench_cpu();
    double t0 = bench_now();
    for (int64_t i = 0; i < cfg->msgs; i++) {
        natsStatus s = natsConnection_Publish(nc, cfg->subject, payload, cfg->size);
        if (s != NATS_OK)
            bench_fail("publish", s);
    }
    BENCH_CHECK(natsConnection_FlushTimeout(nc, (int64_t)cfg->timeout_s * 1000), "final flush");
    double secs = bench_now() - t0;
    double cpu = bench_cpu() - c0;

    if (atomic_load(&bench_conn_lost))
        bench_fail("connection lost", NATS_OK);

    double rate = (double)cfg->msgs / secs;
    double mbps = rate * cfg->size / 1e6;
    fprintf(stderr, "pub: %" PRId64 " msgs of %d B in %.3f s: %.0f msgs/s, %.1f MB/s\n",
            cfg->msgs, cfg->size, secs, rate, mbps);
    printf("RESULT mode=pub msgs=%" PRId64 " size=%d secs=%.4f msgs_per_s=%.0f mb_per_s=%.2f"
           " client_cpu_s=%.3f\n",
           cfg->msgs, cfg->size, secs, rate, mbps, cpu);

    natsConnection_Destroy(nc);
    free(payload);
    return 0;
}

/* ---- pubsub --------------------------------------------------------------- */

typedef struct pubsub_state {
    _Atomic int64_t received;
    _Atomic int64_t bad_order;     /* messages whose sequence was not the next */
    _Atomic int64_t bad_size;      /* messages of the wrong length */
    _Atomic int     pub_waiting;   /* publisher sleeps until received >= wait_for */
    _Atomic int64_t wait_for;
    _Atomic int64_t done_ns;       /* time the last message arrived */
    int64_t         total;
    int             size;
    pthread_mutex_t mu;
    pthread_cond_t  cond;
} pubsub_state;

static void pubsub_wake(pubsub_state *st)
{
    pthread_mutex_lock(&st->mu);
    pthread_cond_broadcast(&st->cond);
    pthread_mutex_unlock(&st->mu);
}

static void pubsub_on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    pubsub_state *st = closure;
    int64_t n = atomic_load_explicit(&st->received, memory_order_relaxed);
    int len = natsMsg_GetDataLength(msg);

    if (len != st->size) {
        atomic_fetch_add(&st->bad_size, 1);
    } else if (len >= 8) {
        uint64_t seq;
        memcpy(&seq, natsMsg_GetData(msg), sizeof seq);
        if ((int64_t)seq != n)
            atomic_fetch_add(&st->bad_order, 1);
    }
    natsMsg_Destroy(msg);

    n++;
    atomic_store_explicit(&st->received, n, memory_order_release);
    if (n == st->total) {
        atomic_store(&st->done_ns, bench_now_ns());
        pubsub_wake(st);
    } else if (atomic_load_explicit(&st->pub_waiting, memory_order_acquire) &&
               n >= atomic_load_explicit(&st->wait_for, memory_order_relaxed)) {
        pubsub_wake(st);
    }
}

/* Waits until the subscriber has received at least `target` messages.
 * Fails the run when nothing arrives for cfg->timeout_s seconds. */
static void pubsub_wait(pubsub_state *st, const bench_cfg *cfg, int64_t target)
{
    int64_t last = -1;
    double last_progress = bench_now();

    pthread_mutex_lock(&st->mu);
    atomic_store_explicit(&st->wait_for, target, memory_order_relaxed);
    atomic_store_explicit(&st->pub_waiting, 1, memory_order_release);
    for (;;) {
        int64_t n = atomic_load_explicit(&st->received, memory_order_acquire);
        if (n >= target)
            break;
        if (atomic_load(&bench_conn_lost) || atomic_load(&bench_slow_consumer))
            break;
        double now = bench_now();
        if (n != last) {
            last = n;
            last_progress = now;
        } else if (now - last_progress > cfg->timeout_s) {
            break;
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100 * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&st->cond, &st->mu, &ts);
    }
    atomic_store_explicit(&st->pub_waiting, 0, memory_order_relaxed);
    pthread_mutex_unlock(&st->mu);
}

static int bench_pubsub(const bench_cfg *cfg)
{
    static pubsub_state st;
    st.total = cfg->msgs;
    st.size = cfg->size;
    pthread_mutex_init(&st.mu, NULL);
    pthread_cond_init(&st.cond, NULL);

    natsConnection *snc = bench_connect(cfg->url, "weir_bench sub", cfg->iobuf, false);
    natsConnection *pnc = bench_connect(cfg->url, "weir_bench pub", cfg->iobuf, false);

    natsSubscription *sub = NULL;
    BENCH_CHECK(natsConnection_Subscribe(&sub, snc, cfg->subject, pubsub_on_msg, &st), "subscribe");
    BENCH_CHECK(natsSubscription_SetPendingLimits(sub, -1, -1), "pending limits");
    /* The SUB must have reached the server before the first PUB. */
    BENCH_CHECK(natsConnection_FlushTimeout(snc, 5000), "subscriber flush");

    char *payload = malloc((size_t)cfg->size + 8);
    if (payload == NULL)
        bench_fail("out of memory", NATS_OK);
    bench_fill_payload(payload, cfg->size);

    /* The window counts messages; keep it under 32 MB of payload so that large
     * messages do not meet a server's per-connection pending limit (64 MB in
     * nats-server) merely because the benchmark let too many fly. */
    int64_t window = cfg->window > 0 ? cfg->window : INT64_MAX;
    int64_t max_bytes = 32 * 1024 * 1024;
    if (cfg->window > 0 && cfg->size > 0 && window > max_bytes / cfg->size)
        window = max_bytes / cfg->size > 2 ? max_bytes / cfg->size : 2;
    double c0 = bench_cpu();
    double t0 = bench_now();
    int64_t t0_ns = bench_now_ns();
    for (int64_t i = 0; i < cfg->msgs; i++) {
        if (i - atomic_load_explicit(&st.received, memory_order_relaxed) >= window) {
            /* Let the subscriber catch up to half the window. */
            pubsub_wait(&st, cfg, i - window / 2);
            if (atomic_load(&bench_conn_lost))
                bench_fail("connection lost (slow consumer?)", NATS_OK);
            if (atomic_load(&bench_slow_consumer))
                bench_fail("slow consumer", NATS_OK);
            if (i - atomic_load(&st.received) >= window)
                bench_fail("subscriber stalled", NATS_OK);
        }
        if (cfg->size >= 8) {
            uint64_t seq = (uint64_t)i;
            memcpy(payload, &seq, sizeof seq);
        }
        natsStatus s = natsConnection_Publish(pnc, cfg->subject, payload, cfg->size);
        if (s != NATS_OK)
            bench_fail("publish", s);
    }
    BENCH_CHECK(natsConnection_FlushTimeout(pnc, (int64_t)cfg->timeout_s * 1000), "publisher flush");
    pubsub_wait(&st, cfg, cfg->msgs);
    double wall = bench_now() - t0;
    double cpu = bench_cpu() - c0;

    int64_t got = atomic_load(&st.received);
    int64_t dropped = 0;
    natsSubscription_GetDropped(sub, &dropped);
    int64_t done_ns = atomic_load(&st.done_ns);
    double secs = done_ns > 0 ? (double)(done_ns - t0_ns) / 1e9 : wall;

    fprintf(stderr, "pubsub: sent %" PRId64 ", received %" PRId64 ", out of order %" PRId64
            ", wrong size %" PRId64 ", dropped by client %" PRId64 "\n",
            cfg->msgs, got, atomic_load(&st.bad_order), atomic_load(&st.bad_size), dropped);

    if (atomic_load(&bench_slow_consumer) || dropped > 0)
        bench_fail("slow consumer (client dropped messages)", NATS_OK);
    if (got != cfg->msgs) {
        if (atomic_load(&bench_conn_lost))
            bench_fail("connection lost before all messages arrived (slow consumer?)", NATS_OK);
        bench_fail(got < cfg->msgs ? "messages lost" : "too many messages", NATS_OK);
    }
    if (atomic_load(&st.bad_order) || atomic_load(&st.bad_size))
        bench_fail("messages reordered, duplicated or corrupted", NATS_OK);
    if (atomic_load(&bench_conn_lost))
        bench_fail("connection lost", NATS_OK);

    double rate = (double)cfg->msgs / secs;
    double mbps = rate * cfg->size / 1e6;
    fprintf(stderr, "pubsub: %" PRId64 " msgs of %d B end to end in %.3f s: %.0f msgs/s, %.1f MB/s\n",
            cfg->msgs, cfg->size, secs, rate, mbps);
    printf("RESULT mode=pubsub msgs=%" PRId64 " size=%d secs=%.4f msgs_per_s=%.0f mb_per_s=%.2f"
           " received=%" PRId64 " window=%" PRId64 " client_cpu_s=%.3f\n",
           cfg->msgs, cfg->size, secs, rate, mbps, got, cfg->window > 0 ? window : 0, cpu);

    natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(pnc);
    natsConnection_Destroy(snc);
    free(payload);
    return 0;
}

/* ---- req ------------------------------------------------------------------ */

static void req_on_request(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    const char *reply = natsMsg_GetReply(msg);
    if (reply != NULL) {
        natsStatus s = natsConnection_Publish(nc, reply, natsMsg_GetData(msg),
                                              natsMsg_GetDataLength(msg));
        if (s != NATS_OK)
            fprintf(stderr, "weir_bench: responder publish: %s\n", natsStatus_GetText(s));
    }
    natsMsg_Destroy(msg);
}

static int bench_req(const bench_cfg *cfg)
{
    /* send_asap: the responder's reply leaves at once instead of waiting for
     * libnats' flusher thread (which would add ~1 ms); Request() flushes the
     * request itself. */
    natsConnection *rnc = bench_connect(cfg->url, "weir_bench responder", cfg->iobuf, true);
    natsConnection *qnc = bench_connect(cfg->url, "weir_bench requester", cfg->iobuf, true);

    natsSubscription *sub = NULL;
    BENCH_CHECK(natsConnection_Subscribe(&sub, rnc, cfg->subject, req_on_request, NULL), "subscribe");
    BENCH_CHECK(natsConnection_FlushTimeout(rnc, 5000), "responder flush");

    char *payload = malloc((size_t)cfg->size + 1);
    int64_t *lat = malloc((size_t)cfg->msgs * sizeof *lat);
    if (payload == NULL || lat == NULL)
        bench_fail("out of memory", NATS_OK);
    bench_fill_payload(payload, cfg->size);

    int64_t warmup = cfg->warmup >= 0 ? cfg->warmup : (cfg->msgs / 10 < 1000 ? cfg->msgs / 10 : 1000);
    int64_t timeout_ms = (int64_t)cfg->timeout_s * 1000;
    for (int64_t i = 0; i < warmup; i++) {
        natsMsg *reply = NULL;
        BENCH_CHECK(natsConnection_Request(&reply, qnc, cfg->subject, payload, cfg->size, timeout_ms),
              "warm-up request");
        natsMsg_Destroy(reply);
    }

    double c0 = bench_cpu();
    double t0 = bench_now();
    for (int64_t i = 0; i < cfg->msgs; i++) {
        natsMsg *reply = NULL;
        int64_t a = bench_now_ns();
        natsStatus s = natsConnection_Request(&reply, qnc, cfg->subject, payload, cfg->size,
                                              timeout_ms);
        lat[i] = bench_now_ns() - a;
        if (s != NATS_OK)
            bench_fail("request", s);
        if (natsMsg_GetDataLength(reply) != cfg->size ||
            memcmp(natsMsg_GetData(reply), payload, (size_t)cfg->size) != 0)
            bench_fail("reply payload differs from request", NATS_OK);
        natsMsg_Destroy(reply);
    }
    double secs = bench_now() - t0;
    double cpu = bench_cpu() - c0;
    if (atomic_load(&bench_conn_lost))
        bench_fail("connection lost", NATS_OK);

    qsort(lat, (size_t)cfg->msgs, sizeof *lat, bench_cmp_i64);
    double p50 = bench_pct_us(lat, cfg->msgs, 50), p99 = bench_pct_us(lat, cfg->msgs, 99);
    double p999 = bench_pct_us(lat, cfg->msgs, 99.9), pmax = (double)lat[cfg->msgs - 1] / 1000.0;
    double rate = (double)cfg->msgs / secs;

    fprintf(stderr, "req: %" PRId64 " requests of %d B in %.3f s: %.0f ops/s; latency us:"
            " p50 %.1f p99 %.1f p99.9 %.1f max %.1f\n",
            cfg->msgs, cfg->size, secs, rate, p50, p99, p999, pmax);
    printf("RESULT mode=req msgs=%" PRId64 " size=%d secs=%.4f ops_per_s=%.0f p50_us=%.1f"
           " p99_us=%.1f p999_us=%.1f max_us=%.1f client_cpu_s=%.3f\n",
           cfg->msgs, cfg->size, secs, rate, p50, p99, p999, pmax, cpu);

    natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(qnc);
    natsConnection_Destroy(rnc);
    free(lat);
    free(payload);
    return 0;
}

/* ---- main ----------------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: weir_bench --mode pub|pubsub|req [options]\n"
            "  --url URL         server (default " BENCH_DEFAULT_URL ")\n"
            "  --msgs N          messages / requests (default 1000000; req: 50000)\n"
            "  --size S          payload bytes (default 128)\n"
            "  --subject SUBJ    subject (default " BENCH_DEFAULT_SUBJECT ")\n"
            "  --window W        pubsub: max messages in flight, 0 = unbounded (default 100000,\n"
            "                    lowered so that W x S stays under 32 MB)\n"
            "  --warmup N        req: unmeasured requests first (default min(1000, N/10))\n"
            "  --iobuf BYTES     libnats read/write buffer (default 1048576)\n"
            "  --timeout SECS    fail after this long without progress (default 10)\n");
}

int main(int argc, char **argv)
{
    bench_prog = "weir_bench";
    bench_cfg cfg = {
        .url = BENCH_DEFAULT_URL, .mode = NULL, .subject = BENCH_DEFAULT_SUBJECT,
        .msgs = -1, .size = 128, .window = 100000, .warmup = -1, .iobuf = 1 << 20,
        .timeout_s = 10,
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
        else if (strcmp(a, "--subject") == 0)
            cfg.subject = v;
        else if (strcmp(a, "--msgs") == 0)
            cfg.msgs = bench_parse_i64(a, v, 1);
        else if (strcmp(a, "--size") == 0)
            cfg.size = (int)bench_parse_i64(a, v, 0);
        else if (strcmp(a, "--window") == 0)
            cfg.window = bench_parse_i64(a, v, 0);
        else if (strcmp(a, "--warmup") == 0)
            cfg.warmup = bench_parse_i64(a, v, 0);
        else if (strcmp(a, "--iobuf") == 0)
            cfg.iobuf = (int)bench_parse_i64(a, v, 0);
        else if (strcmp(a, "--timeout") == 0)
            cfg.timeout_s = (int)bench_parse_i64(a, v, 1);
        else {
            fprintf(stderr, "weir_bench: unknown flag %s\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (cfg.mode == NULL) {
        usage(stderr);
        return 2;
    }
    if (cfg.size > 64 * 1024 * 1024) {
        fprintf(stderr, "weir_bench: --size too large\n");
        return 2;
    }
    bench_mode = cfg.mode;
    if (cfg.msgs < 0)
        cfg.msgs = strcmp(cfg.mode, "req") == 0 ? 50000 : 1000000;

    int rc;
    if (strcmp(cfg.mode, "pub") == 0)
        rc = bench_pub(&cfg);
    else if (strcmp(cfg.mode, "pubsub") == 0)
        rc = bench_pubsub(&cfg);
    else if (strcmp(cfg.mode, "req") == 0)
        rc = bench_req(&cfg);
    else {
        fprintf(stderr, "weir_bench: unknown mode %s\n", cfg.mode);
        usage(stderr);
        return 2;
    }
    fflush(stdout);
    nats_Close();
    return rc;
}

/*
 * bench_nats.h — what the libnats load generators (weir_bench, js_bench, kv_bench) share:
 * clocks, the CPU time of this process and of the server (/proc/PID), the failure that prints
 * the `ERROR mode=... reason=...` line the compare scripts read, one way to connect (no
 * reconnect: a drop fails the run; large buffers; drops and slow-consumer reports recorded),
 * the JetStream context with its async publish window, latency percentiles, and option values.
 *
 * Header-only, every function static: each load generator is one file that includes it.
 * Set bench_prog (the program's name in messages) and bench_mode (the mode being run) first.
 */
#ifndef WEIR_BENCH_NATS_H
#define WEIR_BENCH_NATS_H

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <nats/nats.h>

static const char *bench_prog = "bench";
static const char *bench_mode = "?";
static atomic_int bench_conn_lost;      /* a connection was closed or dropped */
static atomic_int bench_slow_consumer;  /* libnats reported a slow consumer */
static atomic_llong bench_pub_errors;   /* PubAck errors of async publishes */

static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline int64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* CPU seconds (user + system, all threads) this client process has used. */
static inline double bench_cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* CPU seconds (user + system, all threads) of process pid, -1 if unknown. */
static inline double bench_server_cpu(int pid)
{
    if (pid <= 0)
        return -1;
    char path[64], buf[2048];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')'); /* the command name may contain spaces */
    if (p == NULL)
        return -1;
    p += 2;
    /* fields from 3 (state) on; utime is field 14, stime 15 */
    unsigned long long ut = 0, st = 0;
    int field = 3;
    for (char *tok = strtok(p, " "); tok != NULL; tok = strtok(NULL, " "), field++) {
        if (field == 14)
            ut = strtoull(tok, NULL, 10);
        else if (field == 15) {
            st = strtoull(tok, NULL, 10);
            break;
        }
    }
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* A "Key:   N kB" line of /proc/PID/status, in kB; -1 if unknown. */
static inline long bench_status_kb(int pid, const char *key)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    long v = -1;
    size_t kl = strlen(key);
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
            v = strtol(line + kl + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return v;
}

/* Says why on stderr, prints the ERROR line for the compare scripts and exits 1. */
static inline void bench_fail(const char *reason, natsStatus s)
{
    if (s != NATS_OK) {
        fprintf(stderr, "%s: %s: %s\n", bench_prog, reason, natsStatus_GetText(s));
        nats_PrintLastErrorStack(stderr);
    } else {
        fprintf(stderr, "%s: %s\n", bench_prog, reason);
    }
    /* spaces would break the line's key=value parsing */
    char buf[256];
    snprintf(buf, sizeof buf, "%s%s%s", reason, s != NATS_OK ? ":" : "",
             s != NATS_OK ? natsStatus_GetText(s) : "");
    for (char *p = buf; *p; p++)
        if (*p == ' ')
            *p = '_';
    printf("ERROR mode=%s reason=%s\n", bench_mode, buf);
    fflush(stdout);
    exit(1);
}

#define BENCH_CHECK(call, what)               \
    do {                                      \
        natsStatus s_ = (call);               \
        if (s_ != NATS_OK)                    \
            bench_fail((what), s_);           \
    } while (0)

static inline void bench_on_disconnected(natsConnection *nc, void *closure)
{
    (void)nc;
    (void)closure;
    atomic_store(&bench_conn_lost, 1);
}

static inline void bench_on_error(natsConnection *nc, natsSubscription *sub, natsStatus err,
                                  void *closure)
{
    (void)nc;
    (void)sub;
    (void)closure;
    if (err == NATS_SLOW_CONSUMER)
        atomic_store(&bench_slow_consumer, 1);
    else
        fprintf(stderr, "%s: async error: %s\n", bench_prog, natsStatus_GetText(err));
}

/* One benchmark connection: no reconnect (a drop is a failure, not something to paper over),
 * iobuf bytes of buffers, no client-side pending limit (the benchmark wants every message; the
 * server decides when a consumer is too slow), callbacks that record drops. */
static inline natsConnection *bench_connect(const char *url, const char *name, int iobuf,
                                            bool send_asap)
{
    natsOptions *o = NULL;
    natsConnection *nc = NULL;
    BENCH_CHECK(natsOptions_Create(&o), "options");
    BENCH_CHECK(natsOptions_SetURL(o, url), "options url");
    BENCH_CHECK(natsOptions_SetName(o, name), "options name");
    BENCH_CHECK(natsOptions_SetAllowReconnect(o, false), "options reconnect");
    BENCH_CHECK(natsOptions_SetIOBufSize(o, iobuf), "options iobuf");
    BENCH_CHECK(natsOptions_SetTimeout(o, 5000), "options timeout");
    BENCH_CHECK(natsOptions_SetMaxPendingMsgs(o, 10 * 1000 * 1000), "options max pending");
    BENCH_CHECK(natsOptions_SetSendAsap(o, send_asap), "options send asap");
    BENCH_CHECK(natsOptions_SetDisconnectedCB(o, bench_on_disconnected, NULL),
                "options disconnected cb");
    BENCH_CHECK(natsOptions_SetErrorHandler(o, bench_on_error, NULL), "options error handler");
    BENCH_CHECK(natsConnection_Connect(&nc, o), "connect");
    natsOptions_Destroy(o);
    return nc;
}

static inline void bench_on_pub_err(jsCtx *js, jsPubAckErr *pae, void *closure)
{
    (void)js;
    (void)closure;
    if (atomic_fetch_add(&bench_pub_errors, 1) < 5)
        fprintf(stderr, "%s: PubAck error: %s (%d) %s\n", bench_prog,
                natsStatus_GetText(pae->Err), (int)pae->ErrCode,
                pae->ErrText ? pae->ErrText : "");
}

/* A JetStream context whose API calls wait timeout_s and whose async publishes keep at most
 * max_pending PubAcks outstanding (PubAck errors counted in bench_pub_errors). */
static inline jsCtx *bench_js_context(natsConnection *nc, int timeout_s, int64_t max_pending)
{
    jsOptions jo;
    jsCtx *js = NULL;
    BENCH_CHECK(jsOptions_Init(&jo), "js options");
    jo.Wait = (int64_t)timeout_s * 1000;
    jo.PublishAsync.MaxPending = max_pending;
    jo.PublishAsync.ErrHandler = bench_on_pub_err;
    /* how long js_PublishAsync may block on a full window before it gives up: generous, a
     * fsync or a compaction must not fail the run */
    jo.PublishAsync.StallWait = (int64_t)timeout_s * 1000;
    BENCH_CHECK(natsConnection_JetStream(&js, nc, &jo), "jetstream context");
    return js;
}

static inline void bench_fill_payload(char *buf, int size)
{
    for (int i = 0; i < size; i++)
        buf[i] = (char)('a' + i % 26);
}

static inline int bench_cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The p-th percentile (nearest rank) of n sorted latencies in ns, in µs. */
static inline double bench_pct_us(const int64_t *sorted, int64_t n, double p)
{
    int64_t rank = (int64_t)(p / 100.0 * (double)n + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return (double)sorted[rank - 1] / 1000.0;
}

/* The integer value v of option flag, at least min; exits 2 with a message otherwise. */
static inline int64_t bench_parse_i64(const char *flag, const char *v, int64_t min)
{
    char *end = NULL;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || x < min) {
        fprintf(stderr, "%s: bad value for %s: %s\n", bench_prog, flag, v);
        exit(2);
    }
    return (int64_t)x;
}

#endif

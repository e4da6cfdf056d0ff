/*
 * kv_bench — a Key-Value load generator built on libnats's kvStore API.
 *
 * The same binary is pointed at weir-server and at nats-server
 * (bench/kv_compare.sh) and the figures are compared side by side.  Every
 * mode creates its own file bucket (--bucket, js_CreateKeyValue with
 * --history) and deletes it at the end (unless --keep).  Keys are
 * "k0000000" ... (the key index in 7 digits); every value is --size bytes
 * whose first 8 carry the index of the put that wrote it.  Modes:
 *
 *   put    kvStore_Put of N values, one at a time (each waits for its
 *          PubAck), to key i % --keys (default --keys N: every key
 *          distinct; e.g. --keys 1000 cycles over 1000 keys).  Every
 *          returned revision must be the next one, and afterwards the bucket
 *          must hold the expected number of values (kvStore_Status).
 *          Reports ops/s and latency percentiles (µs).
 *   get    the bucket is filled with --keys keys (js_PublishAsync to
 *          $KV.BUCKET.KEY, which is what kvStore_Put sends; not measured),
 *          then N kvStore_Get of keys drawn at random (splitmix64, --seed).
 *          Every entry's revision, size and payload index are checked.
 *          Reports ops/s and latency percentiles (µs).
 *   watch  one connection watches the empty bucket (kvStore_WatchAll; libnats
 *          3.4 has no "updates only" option, so the initial NULL marker is
 *          awaited first), another one puts N values to distinct keys
 *          (--put async: js_PublishAsync with --max-pending PubAcks in
 *          flight; --put sync: kvStore_Put one at a time).  The clock runs
 *          from the first put to the arrival of the N-th update; every update
 *          must come in order (key, revision, payload index).  Reports
 *          updates/s.
 *   keys   the bucket is filled with N keys (as in get, not measured), then
 *          one kvStore_Keys (no Timeout option: libnats 3.4.1 fails with a
 *          false NATS_TIMEOUT after a few hundred keys when one is given).
 *          The list must hold every key exactly once.  Reports the seconds
 *          and keys/s.
 *
 * With --pid PID the CPU time (user + system) the server process used during
 * the measured part is reported too (srv_cpu_s, from /proc/PID/stat, and
 * srv_us_per_op: that divided by the operations measured).
 *
 * Output: human-readable lines on stderr and one line on stdout:
 *   RESULT mode=put msgs=... size=... secs=... ops_per_s=... ...
 * or "ERROR mode=... reason=..." with exit status 1.
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
#include <unistd.h>

#include <nats/nats.h>

#include "bench/bench_nats.h"

typedef struct kv_cfg {
    const char *url;
    const char *mode;
    const char *bucket;
    int64_t     msgs;         /* operations measured */
    int64_t     keys;         /* put: distinct keys cycled; get: keys filled */
    int         size;
    int         history;
    int64_t     max_pending;  /* fills, watch --put async: PubAcks outstanding */
    const char *put;          /* watch: async | sync */
    uint64_t    seed;         /* get: random keys */
    int         pid;          /* server process, 0 = unknown */
    int         timeout_s;
    bool        keep;
} kv_cfg;

/* ---- bucket, keys, values ------------------------------------------------- */

static kvStore *bucket_create(const kv_cfg *cfg, jsCtx *js)
{
    kvConfig kc;
    kvStore *kv = NULL;
    BENCH_CHECK(kvConfig_Init(&kc), "kv config");
    kc.Bucket = cfg->bucket;
    kc.History = (uint8_t)cfg->history;
    kc.StorageType = js_FileStorage;
    /* Remove a leftover of an earlier run (ignore "not found"). */
    js_DeleteKeyValue(js, cfg->bucket);
    BENCH_CHECK(js_CreateKeyValue(&kv, js, &kc), "js_CreateKeyValue");
    return kv;
}

static void bucket_delete(const kv_cfg *cfg, jsCtx *js)
{
    if (cfg->keep)
        return;
    natsStatus s = js_DeleteKeyValue(js, cfg->bucket);
    if (s != NATS_OK)
        fprintf(stderr, "kv_bench: delete bucket: %s\n", natsStatus_GetText(s));
}

static uint64_t bucket_values(kvStore *kv)
{
    kvStatus *st = NULL;
    BENCH_CHECK(kvStore_Status(&st, kv), "kvStore_Status");
    uint64_t n = kvStatus_Values(st);
    kvStatus_Destroy(st);
    return n;
}

#define KEY_FMT "k%07" PRId64

static void key_name(char *buf, size_t n, int64_t idx)
{
    snprintf(buf, n, KEY_FMT, idx);
}

/* The index of a key "k0000042", -1 if it is not one of ours. */
static int64_t key_index(const char *key)
{
    if (key == NULL || key[0] != 'k' || key[1] == '\0')
        return -1;
    char *end = NULL;
    errno = 0;
    long long x = strtoll(key + 1, &end, 10);
    if (errno != 0 || *end != '\0' || x < 0 || strlen(key) != 8)
        return -1;
    return (int64_t)x;
}

static char *new_payload(const kv_cfg *cfg)
{
    char *buf = calloc(1, (size_t)cfg->size + 8);
    if (buf == NULL)
        bench_fail("out of memory", NATS_OK);
    for (int i = 0; i < cfg->size; i++)
        buf[i] = (char)('a' + i % 26);
    return buf;
}

static void payload_set(const kv_cfg *cfg, char *payload, int64_t idx)
{
    if (cfg->size >= 8) {
        uint64_t v = (uint64_t)idx;
        memcpy(payload, &v, sizeof v);
    }
}

/* Checks an entry: operation put, the key's index, the revision and the
 * payload index (the put that wrote it).  what names the caller. */
static void entry_check(const kv_cfg *cfg, kvEntry *e, int64_t key_idx, uint64_t rev,
                        int64_t put_idx, const char *what)
{
    if (kvEntry_Operation(e) != kvOp_Put)
        bench_fail("entry is not a put", NATS_OK);
    if (key_index(kvEntry_Key(e)) != key_idx) {
        fprintf(stderr, "kv_bench: %s: key %s, expected " KEY_FMT "\n", what, kvEntry_Key(e),
                key_idx);
        bench_fail("wrong key", NATS_OK);
    }
    if (kvEntry_Revision(e) != rev) {
        fprintf(stderr, "kv_bench: %s: key %s revision %" PRIu64 ", expected %" PRIu64 "\n",
                what, kvEntry_Key(e), kvEntry_Revision(e), rev);
        bench_fail("wrong revision", NATS_OK);
    }
    if (kvEntry_ValueLen(e) != cfg->size)
        bench_fail("value of the wrong size", NATS_OK);
    if (cfg->size >= 8) {
        uint64_t v;
        memcpy(&v, kvEntry_Value(e), sizeof v);
        if ((int64_t)v != put_idx) {
            fprintf(stderr, "kv_bench: %s: key %s holds put %" PRIu64 ", expected %" PRId64 "\n",
                    what, kvEntry_Key(e), v, put_idx);
            bench_fail("wrong value", NATS_OK);
        }
    }
}

/* Puts values to keys 0 .. n-1 asynchronously (js_PublishAsync to
 * $KV.BUCKET.KEY, what kvStore_Put sends) and waits for every PubAck.  The
 * value of key i carries i, and its revision is i + 1 in an empty bucket. */
static void fill_async(const kv_cfg *cfg, jsCtx *js, char *payload, int64_t n)
{
    char subj[256];
    int pre = snprintf(subj, sizeof subj, "$KV.%s.", cfg->bucket);
    for (int64_t i = 0; i < n; i++) {
        key_name(subj + pre, sizeof subj - (size_t)pre, i);
        payload_set(cfg, payload, i);
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

/* Fills keys 0 .. n-1 (unmeasured) and checks the bucket holds them. */
static void fill_bucket(const kv_cfg *cfg, jsCtx *js, kvStore *kv, int64_t n)
{
    char *payload = new_payload(cfg);
    double f0 = bench_now();
    fill_async(cfg, js, payload, n);
    double secs = bench_now() - f0;
    uint64_t have = bucket_values(kv);
    if (have != (uint64_t)n) {
        fprintf(stderr, "kv_bench: bucket holds %" PRIu64 " values, expected %" PRId64 "\n",
                have, n);
        bench_fail("value count differs after the fill", NATS_OK);
    }
    fprintf(stderr, "%s: filled %" PRId64 " keys in %.3f s\n", bench_mode, n, secs);
    free(payload);
}

/* ---- latencies ------------------------------------------------------------ */

typedef struct measure {
    double sc0, c0, t0;          /* server CPU, client CPU, wall clock at the start */
    double secs, cpu, srv_cpu;   /* the measured part */
} measure;

static measure measure_start(const kv_cfg *cfg)
{
    measure m = {0};
    m.sc0 = bench_server_cpu(cfg->pid);
    m.c0 = bench_cpu();
    m.t0 = bench_now();
    return m;
}

/* Stops the clock; t_end <= 0 means now. */
static void measure_stop(const kv_cfg *cfg, measure *m, double t_end)
{
    double t = bench_now();
    m->secs = (t_end > 0 ? t_end : t) - m->t0;
    m->cpu = bench_cpu() - m->c0;
    double sc1 = bench_server_cpu(cfg->pid);
    m->srv_cpu = m->sc0 >= 0 && sc1 >= 0 ? sc1 - m->sc0 : -1.0;
}

/* The common tail of every RESULT line: client and server CPU. */
static void print_cpu(const measure *m, int64_t ops)
{
    printf(" client_cpu_s=%.3f srv_cpu_s=%.3f srv_us_per_op=%.3f\n", m->cpu, m->srv_cpu,
           m->srv_cpu >= 0 ? m->srv_cpu * 1e6 / (double)ops : -1.0);
}

/* Sorts lat[0..n) and prints " ops_per_s=... p50_us=..." (RESULT) and a
 * human-readable line. */
static void print_ops_latency(const kv_cfg *cfg, const measure *m, int64_t *lat, int64_t n,
                              const char *what)
{
    qsort(lat, (size_t)n, sizeof *lat, bench_cmp_i64);
    double p50 = bench_pct_us(lat, n, 50), p99 = bench_pct_us(lat, n, 99);
    double p999 = bench_pct_us(lat, n, 99.9), pmax = (double)lat[n - 1] / 1000.0;
    double rate = (double)n / m->secs;
    fprintf(stderr, "%s: %" PRId64 " %s of %d B in %.3f s: %.0f ops/s;"
            " latency us: p50 %.1f p99 %.1f p99.9 %.1f max %.1f\n",
            bench_mode, n, what, cfg->size, m->secs, rate, p50, p99, p999, pmax);
    printf(" secs=%.4f ops_per_s=%.0f p50_us=%.1f p99_us=%.1f p999_us=%.1f max_us=%.1f",
           m->secs, rate, p50, p99, p999, pmax);
}

/* ---- put ------------------------------------------------------------------ */

static int mode_put(const kv_cfg *cfg)
{
    natsConnection *nc = bench_connect(cfg->url, "kv_bench put", 1 << 20, false);
    jsCtx *js = bench_js_context(nc, cfg->timeout_s, cfg->max_pending);
    kvStore *kv = bucket_create(cfg, js);
    char *payload = new_payload(cfg);
    int64_t *lat = malloc((size_t)cfg->msgs * sizeof *lat);
    if (lat == NULL)
        bench_fail("out of memory", NATS_OK);
    char key[32];

    measure m = measure_start(cfg);
    for (int64_t i = 0; i < cfg->msgs; i++) {
        uint64_t rev = 0;
        key_name(key, sizeof key, i % cfg->keys);
        payload_set(cfg, payload, i);
        int64_t a = bench_now_ns();
        natsStatus s = kvStore_Put(&rev, kv, key, payload, cfg->size);
        lat[i] = bench_now_ns() - a;
        if (s != NATS_OK)
            bench_fail("kvStore_Put", s);
        if (rev != (uint64_t)i + 1) {
            fprintf(stderr, "kv_bench: put %" PRId64 ": revision %" PRIu64 "\n", i, rev);
            bench_fail("revision out of order", NATS_OK);
        }
    }
    measure_stop(cfg, &m, 0);

    /* Values kept: per key min(puts to it, history). */
    uint64_t expect = 0;
    int64_t nkeys = cfg->keys < cfg->msgs ? cfg->keys : cfg->msgs;
    for (int64_t k = 0; k < nkeys; k++) {
        int64_t puts = cfg->msgs / cfg->keys + (k < cfg->msgs % cfg->keys ? 1 : 0);
        expect += (uint64_t)(puts < cfg->history ? puts : cfg->history);
    }
    uint64_t have = bucket_values(kv);
    if (have != expect) {
        fprintf(stderr, "kv_bench: bucket holds %" PRIu64 " values, expected %" PRIu64 "\n",
                have, expect);
        bench_fail("value count differs", NATS_OK);
    }
    /* The last put of the last key must be what a get sees. */
    kvEntry *e = NULL;
    int64_t last = cfg->msgs - 1;
    key_name(key, sizeof key, last % cfg->keys);
    BENCH_CHECK(kvStore_Get(&e, kv, key), "kvStore_Get after the puts");
    entry_check(cfg, e, last % cfg->keys, (uint64_t)cfg->msgs, last, "get after the puts");
    kvEntry_Destroy(e);

    printf("RESULT mode=put msgs=%" PRId64 " keys=%" PRId64 " size=%d history=%d", cfg->msgs,
           cfg->keys, cfg->size, cfg->history);
    print_ops_latency(cfg, &m, lat, cfg->msgs, "puts");
    print_cpu(&m, cfg->msgs);

    bucket_delete(cfg, js);
    kvStore_Destroy(kv);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    free(lat);
    free(payload);
    return 0;
}

/* ---- get ------------------------------------------------------------------ */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static int mode_get(const kv_cfg *cfg)
{
    natsConnection *nc = bench_connect(cfg->url, "kv_bench get", 1 << 20, false);
    jsCtx *js = bench_js_context(nc, cfg->timeout_s, cfg->max_pending);
    kvStore *kv = bucket_create(cfg, js);
    fill_bucket(cfg, js, kv, cfg->keys);
    int64_t *lat = malloc((size_t)cfg->msgs * sizeof *lat);
    if (lat == NULL)
        bench_fail("out of memory", NATS_OK);
    char key[32];
    uint64_t rng = cfg->seed;

    measure m = measure_start(cfg);
    for (int64_t i = 0; i < cfg->msgs; i++) {
        int64_t k = (int64_t)(splitmix64(&rng) % (uint64_t)cfg->keys);
        kvEntry *e = NULL;
        key_name(key, sizeof key, k);
        int64_t a = bench_now_ns();
        natsStatus s = kvStore_Get(&e, kv, key);
        lat[i] = bench_now_ns() - a;
        if (s != NATS_OK) {
            fprintf(stderr, "kv_bench: get %s\n", key);
            bench_fail("kvStore_Get", s);
        }
        entry_check(cfg, e, k, (uint64_t)k + 1, k, "get");
        kvEntry_Destroy(e);
    }
    measure_stop(cfg, &m, 0);

    printf("RESULT mode=get msgs=%" PRId64 " keys=%" PRId64 " size=%d seed=%" PRIu64, cfg->msgs,
           cfg->keys, cfg->size, cfg->seed);
    print_ops_latency(cfg, &m, lat, cfg->msgs, "gets");
    print_cpu(&m, cfg->msgs);

    bucket_delete(cfg, js);
    kvStore_Destroy(kv);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    free(lat);
    return 0;
}

/* ---- watch ---------------------------------------------------------------- */

typedef struct watch_state {
    const kv_cfg *cfg;
    kvWatcher    *w;
    pthread_t     thread;
    int64_t       got;
    double        t_last;     /* when the N-th update arrived */
} watch_state;

static void *watch_loop(void *arg)
{
    watch_state *ws = arg;
    const kv_cfg *cfg = ws->cfg;
    double last_progress = bench_now();
    while (ws->got < cfg->msgs) {
        kvEntry *e = NULL;
        natsStatus s = kvWatcher_Next(&e, ws->w, 1000);
        if (s == NATS_TIMEOUT) {
            if (bench_now() - last_progress > cfg->timeout_s) {
                fprintf(stderr, "kv_bench: watcher got %" PRId64 " of %" PRId64 " updates\n",
                        ws->got, cfg->msgs);
                bench_fail("watch: no updates (stalled)", s);
            }
            continue;
        }
        if (s != NATS_OK)
            bench_fail("kvWatcher_Next", s);
        if (e == NULL)
            bench_fail("watch: a second NULL marker", NATS_OK);
        entry_check(cfg, e, ws->got, (uint64_t)ws->got + 1, ws->got, "watch");
        kvEntry_Destroy(e);
        ws->got++;
        last_progress = bench_now();
    }
    ws->t_last = bench_now();
    return NULL;
}

static int mode_watch(const kv_cfg *cfg)
{
    bool sync_put = strcmp(cfg->put, "sync") == 0;
    if (!sync_put && strcmp(cfg->put, "async") != 0) {
        fprintf(stderr, "kv_bench: --put must be async or sync\n");
        exit(2);
    }
    natsConnection *wnc = bench_connect(cfg->url, "kv_bench watcher", 1 << 20, false);
    jsCtx *wjs = bench_js_context(wnc, cfg->timeout_s, cfg->max_pending);
    kvStore *wkv = bucket_create(cfg, wjs);
    natsConnection *pnc = bench_connect(cfg->url, "kv_bench putter", 1 << 20, false);
    jsCtx *pjs = bench_js_context(pnc, cfg->timeout_s, cfg->max_pending);
    kvStore *pkv = NULL;
    BENCH_CHECK(js_KeyValue(&pkv, pjs, cfg->bucket), "js_KeyValue");

    static watch_state ws;
    ws.cfg = cfg;
    BENCH_CHECK(kvStore_WatchAll(&ws.w, wkv, NULL), "kvStore_WatchAll");
    kvEntry *e = NULL;
    BENCH_CHECK(kvWatcher_Next(&e, ws.w, 5000), "kvWatcher_Next (initial marker)");
    if (e != NULL)
        bench_fail("watch: the empty bucket sent an entry before the initial marker", NATS_OK);
    if (pthread_create(&ws.thread, NULL, watch_loop, &ws) != 0)
        bench_fail("pthread_create", NATS_OK);

    char *payload = new_payload(cfg);
    char key[32];
    measure m = measure_start(cfg);
    if (sync_put) {
        for (int64_t i = 0; i < cfg->msgs; i++) {
            uint64_t rev = 0;
            key_name(key, sizeof key, i);
            payload_set(cfg, payload, i);
            BENCH_CHECK(kvStore_Put(&rev, pkv, key, payload, cfg->size), "kvStore_Put");
            if (rev != (uint64_t)i + 1)
                bench_fail("revision out of order", NATS_OK);
        }
    } else {
        fill_async(cfg, pjs, payload, cfg->msgs);
    }
    double put_secs = bench_now() - m.t0;
    pthread_join(ws.thread, NULL);
    measure_stop(cfg, &m, ws.t_last);

    double rate = (double)cfg->msgs / m.secs;
    fprintf(stderr, "watch: %" PRId64 " updates of %d B (puts %s) in %.3f s: %.0f updates/s;"
            " the puts took %.3f s\n",
            cfg->msgs, cfg->size, cfg->put, m.secs, rate, put_secs);
    printf("RESULT mode=watch msgs=%" PRId64 " size=%d put=%s max_pending=%" PRId64
           " secs=%.4f updates_per_s=%.0f put_secs=%.4f",
           cfg->msgs, cfg->size, cfg->put, cfg->max_pending, m.secs, rate, put_secs);
    print_cpu(&m, cfg->msgs);

    kvWatcher_Stop(ws.w);
    kvWatcher_Destroy(ws.w);
    kvStore_Destroy(pkv);
    jsCtx_Destroy(pjs);
    natsConnection_Destroy(pnc);
    bucket_delete(cfg, wjs);
    kvStore_Destroy(wkv);
    jsCtx_Destroy(wjs);
    natsConnection_Destroy(wnc);
    free(payload);
    return 0;
}

/* ---- keys ----------------------------------------------------------------- */

static int mode_keys(const kv_cfg *cfg)
{
    natsConnection *nc = bench_connect(cfg->url, "kv_bench keys", 1 << 20, false);
    jsCtx *js = bench_js_context(nc, cfg->timeout_s, cfg->max_pending);
    kvStore *kv = bucket_create(cfg, js);
    fill_bucket(cfg, js, kv, cfg->msgs);

    kvKeysList list = {0};
    measure m = measure_start(cfg);
    BENCH_CHECK(kvStore_Keys(&list, kv, NULL), "kvStore_Keys");
    measure_stop(cfg, &m, 0);

    if (list.Count != cfg->msgs) {
        fprintf(stderr, "kv_bench: kvStore_Keys returned %d keys, expected %" PRId64 "\n",
                list.Count, cfg->msgs);
        bench_fail("wrong number of keys", NATS_OK);
    }
    unsigned char *seen = calloc((size_t)cfg->msgs, 1);
    if (seen == NULL)
        bench_fail("out of memory", NATS_OK);
    for (int i = 0; i < list.Count; i++) {
        int64_t k = key_index(list.Keys[i]);
        if (k < 0 || k >= cfg->msgs || seen[k]) {
            fprintf(stderr, "kv_bench: key %s unexpected or repeated\n", list.Keys[i]);
            bench_fail("wrong key list", NATS_OK);
        }
        seen[k] = 1;
    }
    free(seen);
    kvKeysList_Destroy(&list);

    double rate = (double)cfg->msgs / m.secs;
    fprintf(stderr, "keys: %" PRId64 " keys listed in %.3f s: %.0f keys/s\n", cfg->msgs, m.secs,
            rate);
    printf("RESULT mode=keys msgs=%" PRId64 " size=%d secs=%.4f keys_per_s=%.0f", cfg->msgs,
           cfg->size, m.secs, rate);
    print_cpu(&m, cfg->msgs);

    bucket_delete(cfg, js);
    kvStore_Destroy(kv);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    return 0;
}

/* ---- main ----------------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: kv_bench --mode put|get|watch|keys [options]\n"
            "  --url URL          server (default nats://127.0.0.1:4222)\n"
            "  --bucket NAME      bucket to create (default BENCH; deleted at the end)\n"
            "  --msgs N           puts / gets / updates / keys listed (default 100000)\n"
            "  --keys K           put: keys cycled (default N, all distinct);\n"
            "                     get: keys filled first (default 100000)\n"
            "  --size S           value bytes (default 128)\n"
            "  --history H        bucket history, 1..64 (default 1)\n"
            "  --max-pending N    async fills and watch --put async: window (default 4000)\n"
            "  --put P            watch: async (js_PublishAsync) | sync (kvStore_Put)\n"
            "                     (default async)\n"
            "  --seed X           get: random key sequence (default 1)\n"
            "  --pid PID          server process: its CPU time during the measured part\n"
            "  --timeout SECS     fail after this long without progress (default 30)\n"
            "  --keep 1           do not delete the bucket at the end\n");
}

int main(int argc, char **argv)
{
    bench_prog = "kv_bench";
    kv_cfg cfg = {
        .url = "nats://127.0.0.1:4222", .bucket = "BENCH", .msgs = 100000, .keys = -1,
        .size = 128, .history = 1, .max_pending = 4000, .put = "async", .seed = 1, .pid = 0,
        .timeout_s = 30, .keep = false,
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
        else if (strcmp(a, "--bucket") == 0)
            cfg.bucket = v;
        else if (strcmp(a, "--msgs") == 0)
            cfg.msgs = bench_parse_i64(a, v, 1);
        else if (strcmp(a, "--keys") == 0)
            cfg.keys = bench_parse_i64(a, v, 1);
        else if (strcmp(a, "--size") == 0)
            cfg.size = (int)bench_parse_i64(a, v, 0);
        else if (strcmp(a, "--history") == 0)
            cfg.history = (int)bench_parse_i64(a, v, 1);
        else if (strcmp(a, "--max-pending") == 0)
            cfg.max_pending = bench_parse_i64(a, v, 1);
        else if (strcmp(a, "--put") == 0)
            cfg.put = v;
        else if (strcmp(a, "--seed") == 0)
            cfg.seed = (uint64_t)bench_parse_i64(a, v, 0);
        else if (strcmp(a, "--pid") == 0)
            cfg.pid = (int)bench_parse_i64(a, v, 0);
        else if (strcmp(a, "--timeout") == 0)
            cfg.timeout_s = (int)bench_parse_i64(a, v, 1);
        else if (strcmp(a, "--keep") == 0)
            cfg.keep = bench_parse_i64(a, v, 0) != 0;
        else {
            fprintf(stderr, "kv_bench: unknown flag %s\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (cfg.mode == NULL) {
        usage(stderr);
        return 2;
    }
    bench_mode = cfg.mode;
    if (cfg.keys < 0)
        cfg.keys = strcmp(cfg.mode, "get") == 0 ? 100000 : cfg.msgs;
    if (cfg.history > 64) {
        fprintf(stderr, "kv_bench: --history must be 1..64\n");
        return 2;
    }
    if (cfg.size > 8 * 1024 * 1024) {
        fprintf(stderr, "kv_bench: --size too large\n");
        return 2;
    }
    if (cfg.keys > 9999999 || (strcmp(cfg.mode, "put") != 0 && cfg.msgs > 9999999)) {
        fprintf(stderr, "kv_bench: at most 9999999 keys\n");
        return 2;
    }

    int rc;
    if (strcmp(cfg.mode, "put") == 0)
        rc = mode_put(&cfg);
    else if (strcmp(cfg.mode, "get") == 0)
        rc = mode_get(&cfg);
    else if (strcmp(cfg.mode, "watch") == 0)
        rc = mode_watch(&cfg);
    else if (strcmp(cfg.mode, "keys") == 0)
        rc = mode_keys(&cfg);
    else {
        fprintf(stderr, "kv_bench: unknown mode %s\n", cfg.mode);
        usage(stderr);
        return 2;
    }
    fflush(stdout);
    nats_Close();
    return rc;
}

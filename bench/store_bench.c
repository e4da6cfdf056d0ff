/*
 * store_bench — the stream store (stream/stream.h) against the ceiling of its design: a raw
 * RocksDB WriteBatch loop writing the same keys and record sizes with the same options.
 *
 *   append    For each case (payload size, fsync or not) ROUNDS rounds; each round runs the raw
 *             loop and weir back to back, the side that goes first alternating, each in a fresh
 *             database that is removed afterwards. Both write N records of the same size under
 *             'M' + big-endian sequence into one stream column family, BATCH appends per
 *             rocksdb_write / store_commit, WAL on, fsync only with --sync (sync_always). The
 *             raw side opens RocksDB with store.c's db_open options and column families
 *             (default, meta, stream:BENCH) and puts the same record bytes (26-byte header
 *             and subject encoded once, only the timestamp changing, plus the payload as a
 *             second slice: no copy of its own); weir calls stream_append (publish
 *             rules, per-subject index, record encoding) and store_commit. Payloads are taken
 *             from a pool of random bytes at a moving offset (no compression gains, no copy in
 *             the raw loop). The clock runs from the first append to the last commit's return.
 *             Reported: medians of msgs/s, MB/s (payload, 10^6 B) and CPU us/msg (all threads,
 *             RocksDB's included), the ratio weir/raw of the medians (the bar: >= 0.70) and the
 *             lowest and highest per-round ratio (the noise band).
 *   startup   Builds a store of STREAMS streams holding MSGS 128-byte messages in all (10
 *             subjects per stream), closes it, then opens it OPENS times, each in a fresh
 *             process (this binary with --open-only) so that RSS is the open's alone:
 *             store_open time, VmRSS after it and VmHWM. The first open after the build replays
 *             the write-ahead log; later ones read the table files. The messages go through
 *             stream_append / store_commit; of the streams only the last API_STREAMS are
 *             created with store_stream_create (timed: the cost of one create when ~STREAMS
 *             exist), the others are written directly in store.c's layout (seed_streams),
 *             since RocksDB makes N creates O(N^2) (--api-streams 1000: about 200 s).
 *
 * Every phase also prints the share of the CPUs other processes used meanwhile (/proc/stat
 * minus this process), since the machine is shared. stdout: a table and RESULT lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <jansson.h>
#include <rocksdb/c.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stream/record.h"
#include "stream/stream.h"

extern char **environ;

#define POOL_SIZE (4u << 20)
#define SUBJECT "bench.data"
#define MAX_ROUNDS 64

typedef struct opts {
    const char *dir;
    const char *mode;
    int rounds;
    long small_msgs, large_msgs, sync_msgs, sync_large_msgs;
    int small_size, large_size;
    int batch;
    int streams;
    long startup_msgs;
    int opens;
    int api_streams; /* of the startup streams, created through the API (the rest seeded) */
    const char *side; /* both, raw or weir (one side alone: for profiling) */
} opts;

static uint8_t *POOL;

/* ---------------- clocks, load, memory ---------------- */

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t real_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static double cpu_self(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* Busy and total CPU seconds of the whole machine (all CPUs) from /proc/stat. */
static void machine_cpu(double *busy, double *total)
{
    *busy = *total = 0;
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return;
    unsigned long long v[10] = {0};
    if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
               &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]) >= 8) {
        double hz = (double)sysconf(_SC_CLK_TCK);
        unsigned long long idle = v[3] + v[4], all = 0;
        for (int i = 0; i < 8; i++) /* guest time is already in user */
            all += v[i];
        *busy = (double)(all - idle) / hz;
        *total = (double)all / hz;
    }
    fclose(f);
}

/* Measures what other processes (and children) did to the CPUs between begin and end. */
typedef struct load_probe {
    double busy, total, self;
    double children;
} load_probe;

static double cpu_children(void)
{
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void load_begin(load_probe *p)
{
    machine_cpu(&p->busy, &p->total);
    p->self = cpu_self();
    p->children = cpu_children();
}

/* Percent of all CPUs used by other processes since begin. */
static double load_other_pct(const load_probe *p)
{
    double busy, total;
    machine_cpu(&busy, &total);
    double mine = (cpu_self() - p->self) + (cpu_children() - p->children);
    double t = total - p->total;
    if (t <= 0)
        return 0;
    double other = (busy - p->busy - mine) / t * 100.0;
    return other < 0 ? 0 : other;
}

static long status_kb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long kb = -1;
    size_t n = strlen(field);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0 && line[n] == ':') {
            kb = strtol(line + n + 1, NULL, 10);
            break;
        }
    fclose(f);
    return kb;
}

/* ---------------- temporary directories ---------------- */

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(path) < 0 ? -1 : 0;
}

static void rm_tree(const char *dir)
{
    if (nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0)
        fprintf(stderr, "store_bench: cannot remove %s: %s\n", dir, strerror(errno));
}

static char *tmp_dir(const opts *o, const char *what)
{
    char *d = malloc(4096);
    snprintf(d, 4096, "%s/weir-store-bench-%s-XXXXXX", o->dir, what);
    if (!mkdtemp(d)) {
        fprintf(stderr, "store_bench: mkdtemp %s: %s\n", d, strerror(errno));
        exit(2);
    }
    return d;
}

static void die(const char *what, const char *why)
{
    fprintf(stderr, "store_bench: %s: %s\n", what, why ? why : "failed");
    exit(2);
}

/* ---------------- one run ---------------- */

typedef struct run_result {
    double secs, cpu;
} run_result;

static const uint8_t *payload_at(long i, int size)
{
    return POOL + ((size_t)i * 4099u) % (POOL_SIZE - (size_t)size);
}

/* The raw ceiling: store.c's db_open options and column families, pre-encoded records. */
static run_result run_raw(const opts *o, long n, int size, bool sync)
{
    char *dir = tmp_dir(o, "raw");
    char path[4200];
    snprintf(path, sizeof path, "%s/rocksdb", dir);
    rocksdb_options_t *ro = rocksdb_options_create();
    rocksdb_options_set_create_if_missing(ro, 1);
    rocksdb_options_set_create_missing_column_families(ro, 1);
    rocksdb_options_increase_parallelism(ro, 2);
    rocksdb_options_set_max_background_jobs(ro, 2);
    const char *names[3] = {"default", "meta", "stream:BENCH"};
    const rocksdb_options_t *cfo[3] = {ro, ro, ro};
    rocksdb_column_family_handle_t *h[3];
    char *err = NULL;
    rocksdb_t *db = rocksdb_open_column_families(ro, path, 3, names, cfo, h, &err);
    if (err)
        die("raw open", err);
    rocksdb_writeoptions_t *wo = rocksdb_writeoptions_create();
    rocksdb_writeoptions_set_sync(wo, sync);
    rocksdb_writebatch_t *b = rocksdb_writebatch_create();

    /* the record's header and subject, encoded once; the payload is a second slice */
    size_t hlen = record_size(strlen(SUBJECT), 0, 0);
    uint8_t *rec = malloc(hlen);
    record_view r = {.subject = SUBJECT, .subject_len = strlen(SUBJECT)};
    record_encode(rec, &r);
    uint8_t key[RECORD_KEY_SIZE];
    const char *kp[1] = {(const char *)key}, *vp[2] = {(const char *)rec, NULL};
    size_t ks[1] = {sizeof key}, vs[2] = {hlen, (size_t)size};

    double t0 = mono(), c0 = cpu_self();
    for (long i = 0; i < n; i++) {
        int64_t ts = real_ns();
        for (int k = 0; k < 8; k++)
            rec[2 + k] = (uint8_t)((uint64_t)ts >> (8 * k));
        record_key((uint64_t)i + 1, key);
        /* the same payload bytes as weir's; RocksDB copies both slices into the batch */
        vp[1] = (const char *)payload_at(i, size);
        rocksdb_writebatch_putv_cf(b, h[2], 1, kp, ks, 2, vp, vs);
        if ((i + 1) % o->batch == 0 || i + 1 == n) {
            rocksdb_write(db, wo, b, &err);
            if (err)
                die("raw write", err);
            rocksdb_writebatch_clear(b);
        }
    }
    run_result res = {mono() - t0, cpu_self() - c0};

    rocksdb_writebatch_destroy(b);
    rocksdb_writeoptions_destroy(wo);
    for (int i = 0; i < 3; i++)
        rocksdb_column_family_handle_destroy(h[i]);
    rocksdb_close(db);
    rocksdb_options_destroy(ro);
    free(rec);
    rm_tree(dir);
    free(dir);
    return res;
}

static stream *create_stream(store *st, const char *json)
{
    json_error_t je;
    json_t *j = json_loads(json, 0, &je);
    stream_config cfg;
    jserr e;
    if (!j || stream_config_from_json(j, &cfg, &e) < 0)
        die("stream config", json);
    json_decref(j);
    stream *s = NULL;
    if (store_stream_create(st, &cfg, &s, &e) < 0)
        die("store_stream_create", json);
    stream_config_free(&cfg);
    return s;
}

static store *open_store(const char *dir, bool sync)
{
    char err[512];
    store_options so = {.dir = dir, .sync_interval_ms = 120000, .sync_always = sync};
    store *st = store_open(&so, err, sizeof err);
    if (!st)
        die("store_open", err);
    return st;
}

static run_result run_weir(const opts *o, long n, int size, bool sync)
{
    char *dir = tmp_dir(o, "weir");
    store *st = open_store(dir, sync);
    stream *s = create_stream(st, "{\"name\":\"BENCH\",\"subjects\":[\"bench.>\"]}");
    char err[512];
    stream_ack ack;
    jserr je;
    size_t slen = strlen(SUBJECT);

    double t0 = mono(), c0 = cpu_self();
    for (long i = 0; i < n; i++) {
        if (stream_append(s, SUBJECT, slen, NULL, 0, (const char *)payload_at(i, size),
                          (size_t)size, real_ns(), &ack, &je) < 0)
            die("stream_append", "refused");
        if ((i + 1) % o->batch == 0 || i + 1 == n)
            if (store_commit(st, err, sizeof err) < 0)
                die("store_commit", err);
    }
    run_result res = {mono() - t0, cpu_self() - c0};

    stream_state ss;
    stream_get_state(s, &ss);
    if (ss.msgs != (uint64_t)n)
        die("weir run", "wrong message count");
    store_close(st);
    rm_tree(dir);
    free(dir);
    return res;
}

/* ---------------- the append cases ---------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
    double t[MAX_ROUNDS];
    memcpy(t, v, (size_t)n * sizeof *t);
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

static void fmt_rate(double v, char *out, size_t cap)
{
    if (v >= 1e6)
        snprintf(out, cap, "%.3fM", v / 1e6);
    else if (v >= 1e3)
        snprintf(out, cap, "%.1fk", v / 1e3);
    else
        snprintf(out, cap, "%.1f", v);
}

static void append_case(const opts *o, long n, int size, bool sync)
{
    if (n <= 0)
        return;
    double rate[2][MAX_ROUNDS], cpu[2][MAX_ROUNDS], ratio[MAX_ROUNDS];
    load_probe lp;
    load_begin(&lp);
    double t0 = mono();
    for (int r = 0; r < o->rounds; r++) {
        for (int k = 0; k < 2; k++) {
            int side = (r % 2) ^ k; /* 0 = raw, 1 = weir */
            if (strcmp(o->side, "both") && strcmp(o->side, side ? "weir" : "raw")) {
                rate[side][r] = cpu[side][r] = 1; /* not run */
                continue;
            }
            run_result res = side ? run_weir(o, n, size, sync) : run_raw(o, n, size, sync);
            rate[side][r] = (double)n / res.secs;
            cpu[side][r] = res.cpu / (double)n * 1e6;
        }
        ratio[r] = rate[1][r] / rate[0][r];
        if (strcmp(o->side, "both"))
            continue;
        fprintf(stderr, "  %s %dB round %d: raw %.0f msgs/s, weir %.0f msgs/s, ratio %.2f\n",
                sync ? "sync" : "append", size, r + 1, rate[0][r], rate[1][r], ratio[r]);
    }
    double other = load_other_pct(&lp);
    double lo = ratio[0], hi = ratio[0];
    for (int r = 1; r < o->rounds; r++) {
        lo = ratio[r] < lo ? ratio[r] : lo;
        hi = ratio[r] > hi ? ratio[r] : hi;
    }
    double mr = median(rate[0], o->rounds), mw = median(rate[1], o->rounds);
    double cr = median(cpu[0], o->rounds), cw = median(cpu[1], o->rounds);
    char name[64], a[32], b[32];
    if (size >= 1024 && size % 1024 == 0)
        snprintf(name, sizeof name, "%dKiB%s", size / 1024, sync ? " fsync" : "");
    else
        snprintf(name, sizeof name, "%dB%s", size, sync ? " fsync" : "");
    fmt_rate(mr, a, sizeof a);
    fmt_rate(mw, b, sizeof b);
    if (strcmp(o->side, "both")) { /* one side alone */
        bool w = !strcmp(o->side, "weir");
        printf("%-12s %s alone: %s msgs/s, %.1f MB/s, CPU %.3f us/msg, %.1f s, other processes "
               "%.0f%% of the CPUs\n",
               name, o->side, w ? b : a, (w ? mw : mr) * size / 1e6, w ? cw : cr, mono() - t0,
               other);
        fflush(stdout);
        return;
    }
    printf("%-12s msgs/s        %10s %10s   %5.2f   %.2f-%.2f\n", name, a, b, mw / mr, lo, hi);
    printf("%-12s MB/s          %10.1f %10.1f   %5.2f\n", name, mr * size / 1e6, mw * size / 1e6,
           mw / mr);
    printf("%-12s CPU us/msg    %10.3f %10.3f   %5.2f   (raw/weir)\n", name, cr, cw, cr / cw);
    printf("%-12s %ld msgs x %d rounds, %.1f s, other processes %.0f%% of the CPUs\n", name, n,
           o->rounds, mono() - t0, other);
    printf("RESULT case=append size=%d sync=%d msgs=%ld rounds=%d raw_msgs_per_s=%.0f "
           "weir_msgs_per_s=%.0f raw_mb_per_s=%.2f weir_mb_per_s=%.2f ratio=%.3f ratio_lo=%.3f "
           "ratio_hi=%.3f raw_cpu_us=%.3f weir_cpu_us=%.3f other_load_pct=%.1f\n",
           size, sync, n, o->rounds, mr, mw, mr * size / 1e6, mw * size / 1e6, mw / mr, lo, hi, cr,
           cw, other);
    fflush(stdout);
}

/* ---------------- startup ---------------- */

/* The startup store's stream i: S<i> capturing s.<i>.> (the definition JSON). */
static void startup_json(int i, char *out, size_t cap)
{
    snprintf(out, cap, "{\"name\":\"S%04d\",\"subjects\":[\"s.%04d.>\"]}", i, i);
}

/* Writes n empty streams (0..n-1) the way store_stream_create leaves them, in one go: their
 * column families "stream:<name>" created at one open and their plain definitions
 * (stream_config_to_json) under "stream:<name>" in `meta` (store.c's layout). Through the API
 * each create rewrites and re-parses RocksDB's OPTIONS file, which lists every column family,
 * so n creates cost O(n^2): about 200 s for 1,000 here. */
static void seed_streams(const char *dir, int n)
{
    if (n <= 0)
        return;
    char path[4200];
    snprintf(path, sizeof path, "%s/rocksdb", dir);
    rocksdb_options_t *ro = rocksdb_options_create();
    rocksdb_options_set_create_if_missing(ro, 1);
    rocksdb_options_set_create_missing_column_families(ro, 1);
    rocksdb_options_increase_parallelism(ro, 2);
    rocksdb_options_set_max_background_jobs(ro, 2);
    int total = n + 2;
    char **names = calloc((size_t)total, sizeof *names);
    const rocksdb_options_t **cfo = calloc((size_t)total, sizeof *cfo);
    rocksdb_column_family_handle_t **h = calloc((size_t)total, sizeof *h);
    names[0] = strdup("default");
    names[1] = strdup("meta");
    for (int i = 0; i < n; i++) {
        names[i + 2] = malloc(32);
        snprintf(names[i + 2], 32, "stream:S%04d", i);
    }
    for (int i = 0; i < total; i++)
        cfo[i] = ro;
    char *err = NULL;
    rocksdb_t *db = rocksdb_open_column_families(ro, path, total, (const char *const *)names, cfo,
                                                 h, &err);
    if (err)
        die("seed open", err);
    rocksdb_writebatch_t *b = rocksdb_writebatch_create();
    char json[256], key[64];
    for (int i = 0; i < n; i++) {
        startup_json(i, json, sizeof json);
        json_error_t je;
        json_t *j = json_loads(json, 0, &je);
        stream_config cfg;
        jserr e;
        if (!j || stream_config_from_json(j, &cfg, &e) < 0 || stream_config_check(&cfg, &e) < 0)
            die("seed config", json);
        json_decref(j);
        j = stream_config_to_json(&cfg);
        char *text = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        int kl = snprintf(key, sizeof key, "stream:%s", cfg.name);
        rocksdb_writebatch_put_cf(b, h[1], key, (size_t)kl, text, strlen(text));
        free(text);
        stream_config_free(&cfg);
    }
    rocksdb_writeoptions_t *wo = rocksdb_writeoptions_create();
    rocksdb_writeoptions_set_sync(wo, 1);
    rocksdb_write(db, wo, b, &err);
    if (err)
        die("seed write", err);
    rocksdb_writeoptions_destroy(wo);
    rocksdb_writebatch_destroy(b);
    for (int i = 0; i < total; i++) {
        rocksdb_column_family_handle_destroy(h[i]);
        free(names[i]);
    }
    rocksdb_close(db);
    rocksdb_options_destroy(ro);
    free(names);
    free(cfo);
    free(h);
}

/* The startup store: STREAMS streams (the last API_STREAMS created through the API, the others
 * seeded), MSGS 128-byte messages spread evenly, 10 subjects a stream, appended through the
 * API stream by stream with a commit every 4096 appends. */
static void build_store(const opts *o, const char *dir)
{
    int api = o->api_streams < o->streams ? o->api_streams : o->streams;
    double t0 = mono();
    seed_streams(dir, o->streams - api);
    double t1 = mono();
    store *st = open_store(dir, false);
    double t2 = mono();
    char err[512], json[256], subj[64];
    stream_ack ack;
    jserr je;
    stream **ss = calloc((size_t)o->streams, sizeof *ss);
    for (int i = 0; i < o->streams - api; i++) {
        snprintf(json, sizeof json, "S%04d", i);
        if (!(ss[i] = store_stream_find(st, json)))
            die("startup store", "a seeded stream did not load");
    }
    double create_max = 0;
    for (int i = o->streams - api; i < o->streams; i++) {
        startup_json(i, json, sizeof json);
        double c0 = mono();
        ss[i] = create_stream(st, json);
        double c = mono() - c0;
        create_max = c > create_max ? c : create_max;
    }
    double t3 = mono();
    long done = 0;
    for (int i = 0; i < o->streams; i++) {
        long n = o->startup_msgs / o->streams + (i < o->startup_msgs % o->streams);
        for (long m = 0; m < n; m++, done++) {
            int sl = snprintf(subj, sizeof subj, "s.%04d.k%ld", i, m % 10);
            if (stream_append(ss[i], subj, (size_t)sl, NULL, 0, (const char *)payload_at(done, 128),
                              128, real_ns(), &ack, &je) < 0)
                die("stream_append", "refused");
            if ((done + 1) % 4096 == 0 && store_commit(st, err, sizeof err) < 0)
                die("store_commit", err);
        }
    }
    if (store_commit(st, err, sizeof err) < 0)
        die("store_commit", err);
    double t4 = mono();
    long rss = status_kb("VmRSS"); /* the memtables hold what the WAL holds */
    store_close(st);
    free(ss);
    printf("startup store: %d streams seeded in %.2f s (one RocksDB open), store_open of them "
           "%.2f s\n",
           o->streams - api, t1 - t0, t2 - t1);
    if (api > 0)
        printf("startup store: %d streams created through store_stream_create in %.2f s: %.0f ms "
               "each, slowest %.0f ms (with %d streams already there)\n",
               api, t3 - t2, (t3 - t2) / api * 1e3, create_max * 1e3, o->streams - 1);
    printf("startup store: %ld messages appended in %.2f s (%.0f msgs/s), RSS then %.1f MB, "
           "closed in %.2f s\n",
           done, t4 - t3, (double)done / (t4 - t3), rss / 1024.0, mono() - t4);
    printf("RESULT case=build streams=%d api_streams=%d api_create_ms=%.1f api_create_max_ms=%.1f "
           "append_msgs_per_s=%.0f\n",
           o->streams, api, api ? (t3 - t2) / api * 1e3 : 0.0, create_max * 1e3,
           (double)done / (t4 - t3));
}

/* --open-only: one timed open in this fresh process. */
static int open_only(const char *dir)
{
    long before = status_kb("VmRSS");
    double t0 = mono();
    store *st = open_store(dir, false);
    double secs = mono() - t0;
    long rss = status_kb("VmRSS"), hwm = status_kb("VmHWM");
    uint64_t msgs = 0;
    for (size_t i = 0; i < store_stream_count(st); i++) {
        stream_state s;
        stream_get_state(store_stream_at(st, i), &s);
        msgs += s.msgs;
    }
    size_t n = store_stream_count(st);
    double t1 = mono();
    store_close(st);
    printf("OPEN secs=%.3f close_secs=%.3f rss_before_kb=%ld rss_kb=%ld hwm_kb=%ld streams=%zu "
           "msgs=%" PRIu64 "\n",
           secs, mono() - t1, before, rss, hwm, n, msgs);
    return 0;
}

static int spawn_open(const char *dir, double *secs, long *rss, long *hwm, long *before,
                      long *msgs, long *nstreams)
{
    int fd[2];
    if (pipe(fd) < 0)
        return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fd[1], 1);
    posix_spawn_file_actions_addclose(&fa, fd[0]);
    char *argv[] = {"store_bench", "--open-only", (char *)dir, NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fd[1]);
    if (rc != 0) {
        close(fd[0]);
        return -1;
    }
    char buf[1024] = {0};
    size_t got = 0;
    ssize_t k;
    while (got < sizeof buf - 1 && (k = read(fd[0], buf + got, sizeof buf - 1 - got)) > 0)
        got += (size_t)k;
    close(fd[0]);
    int status;
    waitpid(pid, &status, 0);
    double close_secs;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
        sscanf(buf, "OPEN secs=%lf close_secs=%lf rss_before_kb=%ld rss_kb=%ld hwm_kb=%ld "
                    "streams=%ld msgs=%ld",
               secs, &close_secs, before, rss, hwm, nstreams, msgs) != 7)
        return -1;
    return 0;
}

static void startup_case(const opts *o)
{
    if (o->streams <= 0 || o->opens <= 0)
        return;
    char *dir = tmp_dir(o, "startup");
    load_probe lp;
    load_begin(&lp);
    build_store(o, dir);
    double build_other = load_other_pct(&lp);
    double secs[MAX_ROUNDS];
    long rss[MAX_ROUNDS], hwm[MAX_ROUNDS], before = 0, msgs = 0, nstreams = 0;
    int opens = o->opens < MAX_ROUNDS ? o->opens : MAX_ROUNDS;
    load_begin(&lp);
    for (int i = 0; i < opens; i++) {
        if (spawn_open(dir, &secs[i], &rss[i], &hwm[i], &before, &msgs, &nstreams) < 0)
            die("open", "the --open-only child failed");
        if (msgs != o->startup_msgs || nstreams != o->streams)
            die("open", "the reopened store does not hold what was written");
        printf("open %d%s: %.3f s, RSS %.1f MB after open (%.1f MB before), peak %.1f MB\n", i + 1,
               i == 0 ? " (replays the WAL)" : "", secs[i], rss[i] / 1024.0, before / 1024.0,
               hwm[i] / 1024.0);
    }
    double other = load_other_pct(&lp);
    double later = opens > 1 ? median(secs + 1, opens - 1) : secs[0];
    long rss_max = 0;
    for (int i = 0; i < opens; i++)
        rss_max = rss[i] > rss_max ? rss[i] : rss_max;
    printf("startup: %d streams, %ld msgs: first open %.3f s, later opens %.3f s (median), RSS "
           "after open up to %.1f MB; other processes %.0f%% (build %.0f%%) of the CPUs\n",
           o->streams, msgs, secs[0], later, rss_max / 1024.0, other, build_other);
    printf("RESULT case=startup streams=%d msgs=%ld first_open_s=%.3f open_s=%.3f rss_mb=%.1f "
           "hwm_mb=%.1f base_rss_mb=%.1f other_load_pct=%.1f\n",
           o->streams, msgs, secs[0], later, rss_max / 1024.0, hwm[opens - 1] / 1024.0,
           before / 1024.0, other);
    fflush(stdout);
    rm_tree(dir);
    free(dir);
}

/* ---------------- main ---------------- */

static void usage(void)
{
    fprintf(stderr,
            "usage: store_bench [--mode all|append|startup] [--dir DIR] [--rounds N] [--batch N]\n"
            "                   [--small-msgs N] [--large-msgs N] [--sync-msgs N]\n"
            "                   [--sync-large-msgs N] [--small-size B] [--large-size B]\n"
            "                   [--streams N] [--startup-msgs N] [--opens N] [--api-streams N]\n"
            "                   [--side both|raw|weir]   (one side alone, for profiling)\n"
            "       store_bench --open-only STORE_DIR    (one timed open; what startup runs)\n"
            "       store_bench [...] --build-only NEW_DIR  (builds the startup store there and\n"
            "                   keeps it, e.g. to profile --open-only on it)\n"
            "A count of 0 skips that case. See the top of bench/store_bench.c.\n");
}

int main(int argc, char **argv)
{
    const char *build_only = NULL;
    /* the defaults are bench/store.sh's */
    opts o = {.dir = "/tmp", .mode = "all", .rounds = 7, .small_msgs = 1000000,
              .large_msgs = 30000, .sync_msgs = 300000, .sync_large_msgs = 10000,
              .small_size = 128, .large_size = 16384, .batch = 256, .streams = 250,
              .startup_msgs = 1000000, .opens = 3, .api_streams = 10, .side = "both"};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--open-only") && v)
            return open_only(v);
        if (!strcmp(a, "--build-only") && v) {
            build_only = v;
            i++;
            continue;
        }
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage();
            return 0;
        }
        if (!v) {
            usage();
            return 2;
        }
        i++;
        if (!strcmp(a, "--mode")) o.mode = v;
        else if (!strcmp(a, "--dir")) o.dir = v;
        else if (!strcmp(a, "--rounds")) o.rounds = atoi(v);
        else if (!strcmp(a, "--batch")) o.batch = atoi(v);
        else if (!strcmp(a, "--small-msgs")) o.small_msgs = atol(v);
        else if (!strcmp(a, "--large-msgs")) o.large_msgs = atol(v);
        else if (!strcmp(a, "--sync-msgs")) o.sync_msgs = atol(v);
        else if (!strcmp(a, "--sync-large-msgs")) o.sync_large_msgs = atol(v);
        else if (!strcmp(a, "--small-size")) o.small_size = atoi(v);
        else if (!strcmp(a, "--large-size")) o.large_size = atoi(v);
        else if (!strcmp(a, "--streams")) o.streams = atoi(v);
        else if (!strcmp(a, "--startup-msgs")) o.startup_msgs = atol(v);
        else if (!strcmp(a, "--opens")) o.opens = atoi(v);
        else if (!strcmp(a, "--side")) o.side = v;
        else if (!strcmp(a, "--api-streams")) o.api_streams = atoi(v);
        else {
            usage();
            return 2;
        }
    }
    if (o.rounds < 1 || o.rounds > MAX_ROUNDS || o.batch < 1 || o.small_size < 1 ||
        o.large_size < 1 || (size_t)o.large_size > POOL_SIZE / 2 ||
        (size_t)o.small_size > POOL_SIZE / 2 ||
        (strcmp(o.side, "both") && strcmp(o.side, "raw") && strcmp(o.side, "weir"))) {
        usage();
        return 2;
    }
    POOL = malloc(POOL_SIZE);
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < POOL_SIZE; i++) { /* xorshift64: incompressible payloads */
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        POOL[i] = (uint8_t)(x >> 24);
    }
    bool append = !strcmp(o.mode, "all") || !strcmp(o.mode, "append");
    bool startup = !strcmp(o.mode, "all") || !strcmp(o.mode, "startup");
    if (!append && !startup) {
        usage();
        return 2;
    }
    if (build_only) {
        if (mkdir(build_only, 0750) < 0)
            die(build_only, strerror(errno));
        build_store(&o, build_only);
        free(POOL);
        return 0;
    }
    double t0 = mono();
    double la[3] = {0};
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf %lf %lf", &la[0], &la[1], &la[2]) != 3)
            la[0] = la[1] = la[2] = 0;
        fclose(f);
    }
    printf("store_bench: %ld CPUs, loadavg %.2f %.2f %.2f at start, batch %d, dir %s\n",
           sysconf(_SC_NPROCESSORS_ONLN), la[0], la[1], la[2], o.batch, o.dir);
    if (append) {
        printf("\ncase         metric               raw       weir   ratio   per round\n");
        printf("----         ------               ---       ----   -----   ---------\n");
        append_case(&o, o.small_msgs, o.small_size, false);
        append_case(&o, o.large_msgs, o.large_size, false);
        append_case(&o, o.sync_msgs, o.small_size, true);
        append_case(&o, o.sync_large_msgs, o.large_size, true);
    }
    if (startup) {
        printf("\n");
        startup_case(&o);
    }
    printf("\nstore_bench: %.1f s in all\n", mono() - t0);
    free(POOL);
    return 0;
}

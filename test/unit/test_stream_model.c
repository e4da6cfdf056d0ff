/*
 * test_stream_model.c — a model test of the stream store: random appends (a few subjects,
 * random Nats-Msg-Id, expected-last-sequence, expected-last-subject-sequence, expected-last-msg-id
 * and rollup headers), deletes, every purge variant, commits at random points and close+reopen,
 * applied both to the store and to a simple in-memory model (an array of messages with
 * nats-server's rules written out plainly). After each step the state, the per-subject counts
 * and a sample of reads agree; after every reopen and every 50 steps, every message does.
 *
 * Fixed seeds, one per stream configuration (limits, discard policies, memory storage). Every
 * run is done twice: without and with an encryption key (sealed records and definitions).
 */
#include "stream/stream.h"
#include "test/testlib.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SEC 1000000000LL
#define NSUBJ 5
#define NIDS 24
#define MAXMSG 20000

static const char *SUBJ[NSUBJ] = {"m.a", "m.b", "m.c", "m.d.x", "m.d.y"};

/* ---------------- the model ---------------- */

typedef struct mmsg {
    uint64_t seq;
    int subj;
    char hdr[320];
    char data[40];
    int64_t ts;
    int id; /* Nats-Msg-Id index, -1 none */
    int ttl; /* Nats-TTL seconds, -1 never, 0 none */
    bool live;
} mmsg;

typedef struct model {
    mmsg *m; /* m[i].seq == i + base_seq */
    size_t n;
    uint64_t base;
    uint64_t first, last;
    /* dedup: id -> seq and timestamp (seq 0 = none) */
    uint64_t dd_seq[NIDS];
    int64_t dd_ts[NIDS];
    int last_id; /* -1 none */
    /* config */
    int64_t max_msgs, max_bytes, max_per, window, max_age;
    bool discard_new, new_per, memory, rollups, allow_ttl;
} model;

static uint64_t rng_state;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static unsigned rn(unsigned n)
{
    return (unsigned)(rnd() % n);
}

static mmsg *mget(model *md, uint64_t seq)
{
    if (seq < md->base || seq >= md->base + md->n)
        return NULL;
    mmsg *x = &md->m[seq - md->base];
    return x->live ? x : NULL;
}

static uint64_t msize(const model *md, const mmsg *x)
{
    size_t s = strlen(SUBJ[x->subj]), h = strlen(x->hdr), d = strlen(x->data);
    if (md->memory)
        return s + h + d + 16;
    return 22 + s + (h ? 4 + h : 0) + d + 8;
}

typedef struct mstate {
    uint64_t msgs, bytes, nsubj;
    uint64_t per[NSUBJ];
} mstate;

static void mstat(const model *md, mstate *o)
{
    memset(o, 0, sizeof *o);
    for (size_t i = 0; i < md->n; i++) {
        const mmsg *x = &md->m[i];
        if (!x->live)
            continue;
        o->msgs++;
        o->bytes += msize(md, x);
        o->per[x->subj]++;
    }
    for (int i = 0; i < NSUBJ; i++)
        o->nsubj += o->per[i] > 0;
}

static void mfix_first(model *md)
{
    for (size_t i = 0; i < md->n; i++)
        if (md->m[i].live) {
            md->first = md->m[i].seq;
            return;
        }
    md->first = md->last + 1;
}

static void mremove(model *md, uint64_t seq)
{
    mmsg *x = mget(md, seq);
    if (x)
        x->live = false;
}

static uint64_t msubj_first(model *md, int subj)
{
    for (size_t i = 0; i < md->n; i++)
        if (md->m[i].live && md->m[i].subj == subj)
            return md->m[i].seq;
    return 0;
}

static uint64_t msubj_last(model *md, int subj)
{
    for (size_t i = md->n; i-- > 0;)
        if (md->m[i].live && md->m[i].subj == subj)
            return md->m[i].seq;
    return 0;
}

static uint64_t mcount_subj(model *md, int subj)
{
    uint64_t n = 0;
    for (size_t i = 0; i < md->n; i++)
        n += md->m[i].live && md->m[i].subj == subj;
    return n;
}

static bool subj_matches(const char *filter, int subj)
{
    if (!filter)
        return true;
    if (strcmp(filter, "m.d.*") == 0)
        return subj >= 3;
    if (strcmp(filter, "m.*") == 0)
        return subj < 3;
    if (strcmp(filter, "m.>") == 0 || strcmp(filter, ">") == 0)
        return true;
    return strcmp(filter, SUBJ[subj]) == 0;
}

/* nats-server's PurgeEx on the model. */
static uint64_t mpurge(model *md, const char *filter, uint64_t seq, uint64_t keep)
{
    uint64_t n = 0;
    if (seq == 1)
        return 0;
    bool all = !filter || strcmp(filter, ">") == 0;
    if (all && !keep && (!seq || seq > md->last)) {
        for (size_t i = 0; i < md->n; i++)
            if (md->m[i].live) {
                md->m[i].live = false;
                n++;
            }
        if (seq > md->last + 1)
            md->last = seq - 1;
        md->first = md->last + 1;
        return n;
    }
    if (all && seq > 1) {
        for (size_t i = 0; i < md->n; i++)
            if (md->m[i].live && md->m[i].seq < seq) {
                md->m[i].live = false;
                n++;
            }
        mfix_first(md);
        return n;
    }
    uint64_t total = 0;
    for (size_t i = 0; i < md->n; i++)
        total += md->m[i].live && subj_matches(filter, md->m[i].subj);
    if (total == 0 || (keep && keep >= total))
        return 0;
    uint64_t maxp = keep ? total - keep : 0;
    for (size_t i = 0; i < md->n; i++) {
        mmsg *x = &md->m[i];
        if (!x->live || !subj_matches(filter, x->subj) || (seq && x->seq >= seq))
            continue;
        x->live = false;
        if (++n == maxp)
            break;
    }
    mfix_first(md);
    return n;
}

/* The outcome the model expects for an append: the sequence (dup set for a duplicate), or 0
 * with the expected err_code. */
typedef struct mappend {
    int subj;
    const char *hdr;
    const char *data;
    int id;         /* -1 none */
    int els;        /* expected last sequence: -1 none, else value in els_v */
    uint64_t els_v;
    int elss;       /* expected last subject sequence */
    uint64_t elss_v;
    int elmi;       /* expected last msg id: -1 none, else id index, NIDS = an unknown id */
    int rollup;     /* 0 none, 1 sub, 2 all */
    int ttl;        /* 0 none, -1 never, else seconds */
    int64_t ts;
} mappend;

static uint64_t mappend_do(model *md, const mappend *a, bool *dup, int *code)
{
    *dup = false;
    *code = 0;
    if (a->ttl && !md->allow_ttl) {
        *code = 10166;
        return 0;
    }
    if (a->elss >= 0) {
        uint64_t have = msubj_last(md, a->subj);
        if (have != a->elss_v) {
            *code = 10071;
            return 0;
        }
    }
    if (a->els >= 0 && a->els_v != md->last) {
        *code = 10071;
        return 0;
    }
    if (a->id >= 0 && md->dd_seq[a->id] && a->ts - md->dd_ts[a->id] < md->window) {
        *dup = true;
        return md->dd_seq[a->id];
    }
    if (a->elmi >= 0 && a->elmi != md->last_id) {
        *code = 10070;
        return 0;
    }
    if (a->rollup && !md->rollups) {
        *code = 10111;
        return 0;
    }
    mmsg x = {.subj = a->subj, .ts = a->ts, .id = a->id, .ttl = a->ttl, .live = true};
    snprintf(x.hdr, sizeof x.hdr, "%s", a->hdr ? a->hdr : "");
    snprintf(x.data, sizeof x.data, "%s", a->data);
    uint64_t size = msize(md, &x);
    mstate st;
    mstat(md, &st);
    if (md->discard_new) {
        bool asl = md->max_per > 0 && st.per[a->subj] >= (uint64_t)md->max_per;
        if (asl && md->new_per && !a->rollup) {
            *code = 10077;
            return 0;
        }
        if (md->max_msgs > 0 && st.msgs >= (uint64_t)md->max_msgs && !asl) {
            *code = 10077;
            return 0;
        }
        if (md->max_bytes > 0 && st.bytes + size > (uint64_t)md->max_bytes) {
            mmsg *f = asl ? mget(md, msubj_first(md, a->subj)) : NULL;
            if (!f || msize(md, f) < size) {
                *code = 10077;
                return 0;
            }
        }
    }
    x.seq = md->last + 1;
    if (md->n == 0)
        md->base = x.seq;
    if (md->n == MAXMSG) {
        fprintf(stderr, "model full\n");
        exit(2);
    }
    /* the array is indexed by sequence: fill gaps (purges beyond the end) with dead entries */
    while (md->base + md->n < x.seq) {
        mmsg gap = {.seq = md->base + md->n, .live = false};
        md->m[md->n++] = gap;
    }
    md->m[md->n++] = x;
    if (md->first > md->last || mget(md, md->first) == NULL)
        md->first = x.seq;
    md->last = x.seq;
    md->last_id = a->id;
    if (a->id >= 0) {
        md->dd_seq[a->id] = x.seq;
        md->dd_ts[a->id] = a->ts;
    }
    /* per-subject limit, then messages and bytes with discard old */
    while (md->max_per > 0 && mcount_subj(md, a->subj) > (uint64_t)md->max_per)
        mremove(md, msubj_first(md, a->subj));
    mfix_first(md);
    if (!md->discard_new) {
        for (;;) {
            mstat(md, &st);
            if (!((md->max_msgs > 0 && st.msgs > (uint64_t)md->max_msgs) ||
                  (md->max_bytes > 0 && st.bytes > (uint64_t)md->max_bytes && st.msgs > 0)))
                break;
            mremove(md, md->first);
            mfix_first(md);
        }
    }
    if (a->rollup == 1)
        mpurge(md, SUBJ[a->subj], 0, 1);
    else if (a->rollup == 2)
        mpurge(md, NULL, 0, 1);
    mfix_first(md);
    return x.seq;
}

/* store_expire at now: per-message TTLs, then max_age (sparing "never"). */
static void mexpire(model *md, int64_t now)
{
    for (size_t i = 0; i < md->n; i++) {
        mmsg *x = &md->m[i];
        if (x->live && x->ttl > 0 && x->ts + x->ttl * SEC <= now)
            x->live = false;
    }
    if (md->max_age > 0) {
        for (size_t i = 0; i < md->n; i++) {
            mmsg *x = &md->m[i];
            if (!x->live)
                continue;
            if (x->ts > now - md->max_age)
                break;
            if (x->ttl >= 0)
                x->live = false;
        }
    }
    mfix_first(md);
}

static void mreopen(model *md)
{
    if (md->memory) {
        md->n = 0;
        md->first = 1;
        md->last = 0;
        memset(md->dd_seq, 0, sizeof md->dd_seq);
        md->last_id = -1;
        return;
    }
    /* the dedup window is rebuilt from the records there (all inside the window here) */
    memset(md->dd_seq, 0, sizeof md->dd_seq);
    for (size_t i = 0; i < md->n; i++) {
        mmsg *x = &md->m[i];
        if (x->live && x->id >= 0) {
            md->dd_seq[x->id] = x->seq;
            md->dd_ts[x->id] = x->ts;
        }
    }
    mmsg *l = mget(md, md->last);
    md->last_id = l ? l->id : -1;
}

/* ---------------- checks ---------------- */

static store *ST;
static char DIR_[64];
static const char *NAME = "MODEL";

static void count_cb(const char *subject, size_t len, uint64_t count, void *arg)
{
    uint64_t *per = arg;
    for (int i = 0; i < NSUBJ; i++)
        if (strlen(SUBJ[i]) == len && memcmp(SUBJ[i], subject, len) == 0)
            per[i] = count;
}

static bool same_msg(const stream_msg *m, const mmsg *x)
{
    size_t hl = strlen(x->hdr);
    return m->seq == x->seq && m->subject_len == strlen(SUBJ[x->subj]) &&
           memcmp(m->subject, SUBJ[x->subj], m->subject_len) == 0 && m->data_len == strlen(x->data) &&
           memcmp(m->data, x->data, m->data_len) == 0 && m->hdr_len == hl &&
           (hl == 0 || memcmp(m->hdr, x->hdr, hl) == 0) && m->ts_ns == x->ts;
}

static char WHY[256];

static bool check_state(stream *s, model *md)
{
    stream_state st;
    stream_get_state(s, &st);
    mstate ms;
    mstat(md, &ms);
    uint64_t ndel = ms.msgs ? md->last - md->first + 1 - ms.msgs : 0;
    if (st.msgs != ms.msgs || st.bytes != ms.bytes || st.first_seq != md->first ||
        st.last_seq != md->last || st.num_subjects != ms.nsubj || st.num_deleted != ndel) {
        snprintf(WHY, sizeof WHY,
                 "state %" PRIu64 "/%" PRIu64 " msgs %" PRIu64 " bytes %" PRIu64 " subj %" PRIu64
                 " del %" PRIu64 "; model %" PRIu64 "/%" PRIu64 " msgs %" PRIu64 " bytes %" PRIu64
                 " subj %" PRIu64 " del %" PRIu64,
                 st.first_seq, st.last_seq, st.msgs, st.bytes, st.num_subjects, st.num_deleted,
                 md->first, md->last, ms.msgs, ms.bytes, ms.nsubj, ndel);
        return false;
    }
    if (ms.msgs) {
        mmsg *f = mget(md, md->first);
        if (!f || st.first_ts_ns != f->ts) {
            snprintf(WHY, sizeof WHY, "first_ts %" PRId64, st.first_ts_ns);
            return false;
        }
    }
    uint64_t per[NSUBJ] = {0};
    stream_subject_totals(s, NULL, count_cb, per);
    for (int i = 0; i < NSUBJ; i++)
        if (per[i] != ms.per[i]) {
            snprintf(WHY, sizeof WHY, "subject %s: %" PRIu64 " vs model %" PRIu64, SUBJ[i], per[i],
                     ms.per[i]);
            return false;
        }
    uint64_t wc = stream_count_matching(s, "m.d.*", 0);
    if (wc != ms.per[3] + ms.per[4]) {
        snprintf(WHY, sizeof WHY, "count m.d.* %" PRIu64, wc);
        return false;
    }
    return true;
}

static bool check_get(stream *s, model *md, uint64_t seq)
{
    stream_msg m;
    jserr e;
    mmsg *x = mget(md, seq);
    int rc = stream_get(s, seq, &m, &e);
    if ((rc == 0) != (x != NULL) || (x && !same_msg(&m, x)) || (rc < 0 && e.err_code != 10037)) {
        snprintf(WHY, sizeof WHY, "get %" PRIu64 ": rc %d model %s", seq, rc, x ? "live" : "gone");
        if (rc == 0)
            stream_msg_free(&m);
        return false;
    }
    if (rc == 0)
        stream_msg_free(&m);
    return true;
}

static const char *FILTERS[] = {NULL, ">", "m.a", "m.b", "m.c", "m.d.x", "m.d.y", "m.d.*", "m.*", "m.zz"};
#define NFILTERS (sizeof FILTERS / sizeof *FILTERS)

static bool check_next(stream *s, model *md, uint64_t from, const char *filter)
{
    const mmsg *want = NULL;
    for (size_t i = 0; i < md->n; i++)
        if (md->m[i].live && md->m[i].seq >= from && subj_matches(filter, md->m[i].subj) &&
            strcmp(filter ? filter : "", "m.zz") != 0) {
            want = &md->m[i];
            break;
        }
    stream_msg m;
    jserr e;
    int rc = stream_get_next(s, from, filter, &m, &e);
    bool ok = (rc == 0) == (want != NULL) && (!want || same_msg(&m, want));
    if (!ok)
        snprintf(WHY, sizeof WHY, "next from %" PRIu64 " on %s: got %" PRIu64 " want %" PRIu64, from,
                 filter ? filter : "NULL", rc == 0 ? m.seq : 0, want ? want->seq : 0);
    if (rc == 0)
        stream_msg_free(&m);
    return ok;
}

static bool check_last(stream *s, model *md, const char *filter)
{
    const mmsg *want = NULL;
    for (size_t i = md->n; i-- > 0;)
        if (md->m[i].live && subj_matches(filter, md->m[i].subj) && strcmp(filter, "m.zz") != 0) {
            want = &md->m[i];
            break;
        }
    stream_msg m;
    jserr e;
    int rc = stream_get_last(s, filter, &m, &e);
    bool ok = (rc == 0) == (want != NULL) && (!want || same_msg(&m, want));
    if (!ok)
        snprintf(WHY, sizeof WHY, "last on %s: got %" PRIu64 " want %" PRIu64, filter,
                 rc == 0 ? m.seq : 0, want ? want->seq : 0);
    if (rc == 0)
        stream_msg_free(&m);
    return ok;
}

static bool check_all(stream *s, model *md)
{
    if (!check_state(s, md))
        return false;
    uint64_t lo = md->first > 2 ? md->first - 2 : 0;
    for (uint64_t seq = lo; seq <= md->last + 2; seq++)
        if (!check_get(s, md, seq))
            return false;
    for (size_t f = 1; f < NFILTERS; f++)
        if (!check_last(s, md, FILTERS[f]))
            return false;
    for (size_t f = 0; f < NFILTERS; f++)
        if (!check_next(s, md, 0, FILTERS[f]))
            return false;
    return true;
}

static bool check_sample(stream *s, model *md)
{
    if (!check_state(s, md))
        return false;
    uint64_t span = md->last + 3 - (md->first > 2 ? md->first - 2 : 0);
    uint64_t lo = md->first > 2 ? md->first - 2 : 0;
    for (int i = 0; i < 3; i++) {
        uint64_t seq = lo + rnd() % span;
        if (!check_get(s, md, seq) || !check_next(s, md, seq, FILTERS[rn(NFILTERS)]))
            return false;
    }
    return check_last(s, md, FILTERS[1 + rn(NFILTERS - 1)]);
}

/* ---------------- the run ---------------- */

static int64_t real_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * SEC + ts.tv_nsec;
}

static const char *KEY_; /* the store's encryption key in the current run, or NULL */

static store *open_store(void)
{
    char err[256];
    store_options o = {.dir = DIR_, .sync_interval_ms = 120000, .key = KEY_};
    store *st = store_open(&o, err, sizeof err);
    if (!st) {
        fprintf(stderr, "store_open: %s\n", err);
        exit(2);
    }
    return st;
}

typedef struct run_cfg {
    const char *json;
    uint64_t seed;
    int ops;
} run_cfg;

static void build_hdr(char *out, size_t cap, mappend *a, model *md)
{
    size_t o = 0;
    out[0] = 0;
    bool any = false;
    char line[128];
#define ADD(...)                                                            \
    do {                                                                    \
        if (!any)                                                           \
            o += (size_t)snprintf(out + o, cap - o, "NATS/1.0\r\n");        \
        any = true;                                                         \
        snprintf(line, sizeof line, __VA_ARGS__);                           \
        o += (size_t)snprintf(out + o, cap - o, "%s\r\n", line);            \
    } while (0)
    if (a->id >= 0)
        ADD("Nats-Msg-Id: id%d", a->id);
    if (a->els >= 0)
        ADD("Nats-Expected-Last-Sequence: %" PRIu64, a->els_v);
    if (a->elss >= 0)
        ADD("Nats-Expected-Last-Subject-Sequence: %" PRIu64, a->elss_v);
    if (a->elmi >= 0)
        ADD("Nats-Expected-Last-Msg-Id: id%d", a->elmi);
    if (a->rollup)
        ADD("Nats-Rollup: %s", a->rollup == 1 ? "sub" : "all");
    if (a->ttl < 0)
        ADD("Nats-TTL: never");
    else if (a->ttl > 0)
        ADD(rn(2) ? "Nats-TTL: %ds" : "Nats-TTL: %d", a->ttl);
    if (rn(10) == 0)
        ADD("X-Pad: %0*d", (int)rn(40), 7);
    if (any)
        snprintf(out + o, cap - o, "\r\n");
#undef ADD
}

static int run_failed;

static void run_one(const run_cfg *rc)
{
    rng_state = rc->seed;
    snprintf(DIR_, sizeof DIR_, "/tmp/weir-model-XXXXXX");
    if (!mkdtemp(DIR_)) {
        perror("mkdtemp");
        exit(2);
    }
    ST = open_store();
    json_error_t je;
    json_t *j = json_loads(rc->json, 0, &je);
    stream_config cfg;
    jserr e;
    stream *s = NULL;
    if (!j || stream_config_from_json(j, &cfg, &e) < 0) {
        fprintf(stderr, "bad config %s\n", rc->json);
        exit(2);
    }
    json_decref(j);
    if (store_stream_create(ST, &cfg, &s, &e) < 0) {
        fprintf(stderr, "create: %s\n", e.description);
        exit(2);
    }
    model *md = calloc(1, sizeof *md);
    md->m = calloc(MAXMSG, sizeof *md->m);
    md->first = 1;
    md->last = 0;
    md->last_id = -1;
    md->max_msgs = cfg.max_msgs;
    md->max_bytes = cfg.max_bytes;
    md->max_per = cfg.max_msgs_per_subject;
    md->window = cfg.duplicate_window_ns;
    md->discard_new = cfg.discard == STREAM_DISCARD_NEW;
    md->new_per = cfg.discard_new_per_subject;
    md->memory = cfg.storage == STREAM_STORAGE_MEMORY;
    md->rollups = cfg.allow_rollup_hdrs && !cfg.deny_purge;
    md->allow_ttl = cfg.allow_msg_ttl;
    md->max_age = cfg.max_age_ns;
    stream_config_free(&cfg);

    /* a clock ahead of the real one: every record is inside the window at a reopen */
    int64_t clock = real_now() + 3600 * SEC;
    int reopens = 0, appends = 0, dups = 0, refused = 0, deletes = 0, purges = 0;
    const char *why = NULL;
    int step;
    for (step = 0; step < rc->ops && !why; step++) {
        unsigned op = rn(100);
        clock += (int64_t)rn(200) * 1000000; /* up to 200ms */
        if (op < 62) {
            mappend a = {.subj = (int)rn(NSUBJ), .id = -1, .els = -1, .elss = -1, .elmi = -1, .ts = clock};
            if (rn(3) == 0)
                a.id = (int)rn(NIDS);
            if (rn(20) == 0) {
                a.els = 1;
                a.els_v = md->last + (rn(2) ? 0 : 1);
            }
            if (rn(20) == 0) {
                a.elss = 1;
                a.elss_v = msubj_last(md, a.subj) + (rn(3) ? 0 : 1);
            }
            if (rn(20) == 0) {
                /* the right one, the id of the newest message still there, or any */
                unsigned how = rn(3);
                const mmsg *l = NULL;
                for (size_t i = md->n; how == 1 && i-- > 0;)
                    if (md->m[i].live && md->m[i].id >= 0) {
                        l = &md->m[i];
                        break;
                    }
                if (how == 0)
                    a.elmi = md->last_id >= 0 ? md->last_id : NIDS;
                else if (l)
                    a.elmi = l->id;
                else
                    a.elmi = (int)rn(NIDS + 1);
            }
            if (rn(30) == 0)
                a.rollup = rn(3) == 0 ? 2 : 1;
            if (rn(md->allow_ttl ? 4 : 40) == 0)
                a.ttl = rn(5) == 0 ? -1 : 1 + (int)rn(30);
            char hdr[512], data[40];
            build_hdr(hdr, sizeof hdr, &a, md);
            snprintf(data, sizeof data, "d%d-%u", step, rn(1000));
            a.hdr = hdr;
            a.data = data;
            bool dup;
            int code;
            uint64_t want = mappend_do(md, &a, &dup, &code);
            stream_ack ack;
            jserr err;
            int r = stream_append(s, SUBJ[a.subj], strlen(SUBJ[a.subj]), hdr, strlen(hdr), data,
                                  strlen(data), clock, &ack, &err);
            if (want == 0) {
                refused++;
                if (r == 0 || err.err_code != code) {
                    snprintf(WHY, sizeof WHY, "append refused by model (%d) got rc %d err %d %.100s", code, r,
                             err.err_code, err.description);
                    why = WHY;
                }
            } else if (r < 0 || ack.seq != want || ack.duplicate != dup) {
                snprintf(WHY, sizeof WHY, "append: rc %d seq %" PRIu64 " dup %d (%.100s), model %" PRIu64 " dup %d",
                         r, ack.seq, ack.duplicate, r < 0 ? err.description : "", want, dup);
                why = WHY;
            }
            appends++;
            dups += dup;
        } else if (op < 72) {
            uint64_t seq = md->first + rnd() % (md->last - md->first + 3);
            if (seq > 0 && rn(4) == 0)
                seq--;
            bool live = mget(md, seq) != NULL;
            jserr err;
            int r = stream_delete_msg(s, seq, rn(4) == 0, &err);
            if ((r == 0) != live) {
                snprintf(WHY, sizeof WHY, "delete %" PRIu64 ": rc %d, model %d", seq, r, live);
                why = WHY;
            }
            mremove(md, seq);
            mfix_first(md);
            deletes++;
        } else if (op < 76) {
            stream_purge_req req = {0};
            unsigned kind = rn(6);
            const char *f = FILTERS[2 + rn(NFILTERS - 2)];
            uint64_t span = md->last - md->first + 3;
            if (kind == 1 || kind == 4 || kind == 5)
                req.filter = f;
            if (kind == 2 || kind == 5)
                req.seq = md->first + rnd() % span + (rn(10) == 0 ? 5 : 0);
            if (kind == 3 || kind == 4)
                req.keep = rn(6);
            uint64_t n;
            jserr err;
            uint64_t want = mpurge(md, req.filter, req.seq, req.keep);
            int r = stream_purge(s, &req, &n, &err);
            if (r < 0 || n != want) {
                snprintf(WHY, sizeof WHY, "purge %s seq %" PRIu64 " keep %" PRIu64 ": rc %d n %" PRIu64 " want %" PRIu64,
                         req.filter ? req.filter : "-", req.seq, req.keep, r, n, want);
                why = WHY;
            }
            purges++;
        } else if (op < 82 && (md->allow_ttl || md->max_age)) {
            int64_t next = store_expire(ST, clock);
            mexpire(md, clock);
            if (next <= clock) {
                snprintf(WHY, sizeof WHY, "store_expire returned %" PRId64 " <= now", next);
                why = WHY;
            }
        } else if (op < 93) {
            char err[256];
            if (store_commit(ST, err, sizeof err) < 0) {
                snprintf(WHY, sizeof WHY, "commit: %.200s", err);
                why = WHY;
            }
        } else if (op < 94) {
            store_close(ST);
            ST = open_store();
            s = store_stream_find(ST, NAME);
            mreopen(md);
            reopens++;
            if (!s) {
                why = "stream gone after reopen";
            } else if (!check_all(s, md)) {
                why = WHY;
            }
            continue;
        } else {
            /* reads in between, before any commit */
        }
        if (!why && !check_sample(s, md))
            why = WHY;
        if (!why && step % 50 == 0 && !check_all(s, md))
            why = WHY;
    }
    if (!why) {
        store_close(ST);
        ST = open_store();
        s = store_stream_find(ST, NAME);
        mreopen(md);
        if (!s || !check_all(s, md))
            why = s ? WHY : "stream gone after reopen";
    }
    if (why) {
        printf("FAIL model %s%s seed %" PRIu64 " step %d: %s\n", rc->json,
               KEY_ ? " (encrypted)" : "", rc->seed, step, why);
        run_failed = 1;
    } else {
        printf("# %s%s: %d appends (%d duplicates, %d refused), %d deletes, %d purges, %d reopens, last seq %" PRIu64 "\n",
               rc->json, KEY_ ? " (encrypted)" : "", appends, dups, refused, deletes, purges, reopens, md->last);
    }
    free(md->m);
    free(md);
    store_close(ST);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", DIR_);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", DIR_);
}

static const run_cfg RUNS[] = {
    {"{\"name\":\"MODEL\",\"subjects\":[\"m.>\"],\"duplicate_window\":2000000000,\"allow_rollup_hdrs\":true}", 0x9e3779b97f4a7c15ULL, 1500},
    {"{\"name\":\"MODEL\",\"subjects\":[\"m.>\"],\"max_msgs\":40}", 0x1234567ULL, 1500},
    {"{\"name\":\"MODEL\",\"subjects\":[\"m.>\"],\"max_msgs_per_subject\":5,\"allow_rollup_hdrs\":true,\"duplicate_window\":1000000000}", 0xabcdefULL, 1500},
    {"{\"name\":\"MODEL\",\"subjects\":[\"m.>\"],\"max_bytes\":3000,\"discard\":\"new\"}", 0x5151ULL, 1500},
    {"{\"name\":\"MODEL\",\"subjects\":[\"m.>\"],\"storage\":\"memory\",\"max_msgs\":30,\"max_msgs_per_subject\":4,\"allow_rollup_hdrs\":true}", 0x777ULL, 1500},
    {"{\"name\":\"MODEL\",\"subjects\":[\"m.>\"],\"discard\":\"new\",\"max_msgs\":30,\"max_msgs_per_subject\":4,\"max_bytes\":4000}", 0x4242ULL, 1500},
    {"{\"name\":\"MODEL\",\"subjects\":[\"m.>\"],\"max_msgs_per_subject\":1100,\"max_bytes\":9000,\"allow_rollup_hdrs\":true}", 0x31337ULL, 1500},
    {"{\"name\":\"MODEL\",\"subjects\":[\"m.>\"],\"discard\":\"new\",\"discard_new_per_subject\":true,\"max_msgs_per_subject\":3,\"allow_rollup_hdrs\":true}", 0x2718ULL, 1500},
    {"{\"name\":\"MODEL\",\"subjects\":[\"m.>\"],\"max_bytes\":2500,\"storage\":\"memory\",\"duplicate_window\":500000000}", 0x8888ULL, 1500},
    {"{\"name\":\"MODEL\",\"subjects\":[\"m.>\"],\"allow_msg_ttl\":true,\"max_age\":3000000000,\"max_msgs\":200,\"allow_rollup_hdrs\":true}", 0xfeedULL, 1500},
    {"{\"name\":\"MODEL\",\"subjects\":[\"m.>\"],\"allow_msg_ttl\":true,\"storage\":\"memory\",\"max_msgs\":50}", 0xbeefULL, 1500},
};

static void test_model(void)
{
    KEY_ = NULL;
    for (size_t i = 0; i < sizeof RUNS / sizeof *RUNS; i++)
        run_one(&RUNS[i]);
    CHECK(!run_failed);
}

/* The same runs on an encrypted store: every read, trim, purge and reload path opens sealed
 * records. */
static void test_model_encrypted(void)
{
    KEY_ = "model test key";
    for (size_t i = 0; i < sizeof RUNS / sizeof *RUNS; i++)
        run_one(&RUNS[i]);
    KEY_ = NULL;
    CHECK(!run_failed);
}

int main(void)
{
    RUN(test_model);
    RUN(test_model_encrypted);
    TESTLIB_EXIT();
}

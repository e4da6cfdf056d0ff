/*
 * test_kv.c — unit tests of Key-Value (kv/kv.h) over a real store: names, the stream config of a
 * bucket, put/get/create/update/delete/purge with the exact revisions, operations and error
 * kinds (and the JetStream errors behind them), history depth, keys over 10,000 keys, 1 MiB
 * values, watches (initial values, the marker, live changes, wildcards, updates_only,
 * ignore_deletes, include_history, resume, meta_only) with their deltas, TTLs with a synthetic
 * clock, limits, purge of delete markers, and a restart. The messages kv/ writes are checked
 * byte for byte against what the clients publish, and messages appended as a client would
 * (stream_append with the clients' headers) are read back through kv/, so the in-process API
 * and the wire agree.
 *
 * Each case runs in a fresh store under a mkdtemp directory that is removed afterwards.
 */
#include "kv/kv.h"
#include "test/testlib.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEC 1000000000LL

/* ---------------- fixture ---------------- */

#define FIXTURE_NAME "kv"
#include "store_fixture.h"

/* The handles a case opened, closed after it (a failed CHECK returns early). */
static kv *HANDLES[8];
static kv_watch *WATCHES[8];

static kv *track(kv *b)
{
    for (int i = 0; i < 8; i++)
        if (!HANDLES[i]) {
            HANDLES[i] = b;
            break;
        }
    return b;
}

static kv_watch *trackw(kv_watch *w)
{
    for (int i = 0; i < 8; i++)
        if (!WATCHES[i]) {
            WATCHES[i] = w;
            break;
        }
    return w;
}

static void untrack_all(void)
{
    for (int i = 0; i < 8; i++) {
        kv_watch_close(WATCHES[i]);
        WATCHES[i] = NULL;
        kv_close(HANDLES[i]);
        HANDLES[i] = NULL;
    }
}

#define T(fn)            \
    do {                 \
        fx_begin();      \
        RUN(fn);         \
        untrack_all();   \
        fx_end();        \
    } while (0)

static void reopen_store(void)
{
    untrack_all();
    char err[256];
    if (store_commit(ST, err, sizeof err) < 0)
        fprintf(stderr, "commit: %s\n", err);
    store_close(ST);
    ST = open_at(DIR_);
    if (!ST)
        exit(2);
}

static int commit(void)
{
    char err[256];
    return store_commit(ST, err, sizeof err);
}

/* A bucket with the synthetic clock. */
static kv *mkb(const kv_config *cfg)
{
    kv *b = NULL;
    if (kv_bucket_create(ST, cfg, &b, &E) != KV_OK)
        return NULL;
    kv_set_clock(b, fake_now, NULL);
    return track(b);
}

static kv *mk(const char *bucket, int64_t history)
{
    kv_config c = {.bucket = bucket, .history = history};
    return mkb(&c);
}

static kv *openb(const char *bucket)
{
    kv *b = NULL;
    if (kv_bucket_open(ST, bucket, &b, &E) != KV_OK)
        return NULL;
    kv_set_clock(b, fake_now, NULL);
    return track(b);
}

static uint64_t REV;

/* put → revision (0 on error, E set) */
static uint64_t put(kv *b, const char *key, const char *val)
{
    if (kv_put(b, key, val, strlen(val), &REV, &E) != KV_OK)
        return 0;
    return REV;
}

static uint64_t del(kv *b, const char *key)
{
    if (kv_delete(b, key, 0, &REV, &E) != KV_OK)
        return 0;
    return REV;
}

static uint64_t purge(kv *b, const char *key)
{
    if (kv_purge(b, key, 0, 0, &REV, &E) != KV_OK)
        return 0;
    return REV;
}

/* True when key's current value is val at revision rev. */
static bool has(kv *b, const char *key, const char *val, uint64_t rev)
{
    kv_entry e;
    kv_status st = kv_get(b, key, &e, &E);
    bool ok = st == KV_OK && e.op == KV_OP_PUT && e.revision == rev &&
              e.value_len == strlen(val) && (e.value_len == 0 || memcmp(e.value, val, e.value_len) == 0) &&
              strcmp(e.key, key) == 0 && strcmp(e.bucket, kv_bucket_name(b)) == 0;
    kv_entry_free(&e);
    return ok;
}

static kv_status get_status(kv *b, const char *key, uint64_t *rev, kv_op *op)
{
    kv_entry e;
    kv_status st = kv_get(b, key, &e, &E);
    if (rev)
        *rev = e.revision;
    if (op)
        *op = e.op;
    kv_entry_free(&e);
    return st;
}

#define CHECK_ERR(code, desc)                                                                   \
    CHECKF(E.err_code == (code) && strcmp(E.description, (desc)) == 0,                          \
           "error %d \"%.200s\", want %d \"%.200s\"", E.err_code, E.description, (code), (desc))

/* True when the entry's value is v (NULL: any value). */
static bool val_is(const kv_entry *e, const char *v)
{
    if (!v)
        return true;
    size_t n = strlen(v);
    return e->value_len == n && (n == 0 || memcmp(e->value, v, n) == 0);
}

/* Next watch event: returns the event, entry in *e (freed by the caller). */
static kv_event wnext(kv_watch *w, kv_entry *e)
{
    kv_event ev;
    if (kv_watch_next(w, e, &ev) != KV_OK)
        return (kv_event)-1;
    return ev;
}

/* Checks the next watch event is an entry with key, op, revision, delta (value when not NULL). */
#define CHECK_W(w, k, o, r, d, v)                                                               \
    do {                                                                                        \
        kv_entry e_;                                                                            \
        kv_event ev_ = wnext((w), &e_);                                                         \
        bool ok_ = ev_ == KV_EV_ENTRY && strcmp(e_.key, (k)) == 0 && e_.op == (o) &&            \
                   e_.revision == (uint64_t)(r) && e_.delta == (uint64_t)(d) &&                 \
                   val_is(&e_, (v));                                                            \
        char got_[160];                                                                         \
        snprintf(got_, sizeof got_, "ev %d key %s op %d rev %" PRIu64 " delta %" PRIu64,        \
                 (int)ev_, ev_ == KV_EV_ENTRY ? e_.key : "-", (int)e_.op, e_.revision,          \
                 e_.delta);                                                                     \
        kv_entry_free(&e_);                                                                     \
        CHECKF(ok_, "%s, want key %s op %d rev %d delta %d", got_, (k), (int)(o), (int)(r),     \
               (int)(d));                                                                       \
    } while (0)

#define CHECK_WEV(w, want)                                                                      \
    do {                                                                                        \
        kv_entry e_;                                                                            \
        kv_event ev_ = wnext((w), &e_);                                                         \
        uint64_t r_ = e_.revision;                                                              \
        kv_entry_free(&e_);                                                                     \
        CHECKF(ev_ == (want), "event %d (rev %" PRIu64 "), want %d", (int)ev_, r_, (int)(want)); \
    } while (0)

static kv_watch *watch(kv *b, const char *pattern, const kv_watch_options *o)
{
    kv_watch *w = NULL;
    if (kv_watch_open(b, pattern, o, &w) != KV_OK)
        return NULL;
    return trackw(w);
}

/* ---------------- names ---------------- */

static void test_names(void)
{
    CHECK(kv_bucket_valid("abc") && kv_bucket_valid("A-b_9"));
    CHECK(!kv_bucket_valid("") && !kv_bucket_valid(NULL) && !kv_bucket_valid("a.b") &&
          !kv_bucket_valid("a b") && !kv_bucket_valid("a*") && !kv_bucket_valid("a>") &&
          !kv_bucket_valid("a/b"));
    CHECK(kv_key_valid("a") && kv_key_valid("a.b.c") && kv_key_valid("-/_=.aZ9") &&
          kv_key_valid("_kv.x"));
    CHECK(!kv_key_valid("") && !kv_key_valid(NULL) && !kv_key_valid(".a") &&
          !kv_key_valid("a.") && !kv_key_valid("a..b") && !kv_key_valid("a b") &&
          !kv_key_valid("a*") && !kv_key_valid("*") && !kv_key_valid(">") &&
          !kv_key_valid("a:b") && !kv_key_valid("é"));
    CHECK(kv_key_writable("a.b") && !kv_key_writable("_kv") && !kv_key_writable("_kvx.y") &&
          kv_key_writable("_k") && kv_key_writable("x_kv"));
    CHECK(kv_key_pattern_valid(">") && kv_key_pattern_valid("a.*") &&
          kv_key_pattern_valid("a.*.c") && kv_key_pattern_valid("a.>") &&
          kv_key_pattern_valid("a.b"));
    CHECK(!kv_key_pattern_valid("a*") && !kv_key_pattern_valid("a.>.b") &&
          !kv_key_pattern_valid(".a") && !kv_key_pattern_valid("a.") &&
          !kv_key_pattern_valid("a..*") && !kv_key_pattern_valid("a b"));
    CHECK(strcmp(kv_strerror(KV_ERR_NOT_FOUND), "key not found") == 0);
    CHECK(strcmp(kv_strerror(KV_ERR_BAD_KEY), "invalid key") == 0);
    CHECK(strcmp(kv_strerror(KV_ERR_BAD_BUCKET), "invalid bucket name") == 0);
    CHECK(strcmp(kv_op_name(KV_OP_DEL), "DEL") == 0 && strcmp(kv_op_name(KV_OP_PURGE), "PURGE") == 0);
}

/* ---------------- buckets ---------------- */

static void test_bucket_config(void)
{
    json_t *md = json_pack("{s:s}", "owner", "team");
    kv_config c = {.bucket = "cfg", .description = "d", .history = 5, .ttl_ns = 30 * SEC,
                   .max_bytes = 1 << 20, .max_value_size = 4096, .metadata = md};
    kv *b = mkb(&c);
    /* create again: identical binds */
    kv *again = NULL;
    kv_status again_st = kv_bucket_create(ST, &c, &again, &E);
    track(again);
    json_decref(md);
    c.metadata = NULL;
    CHECK(b);
    CHECK(again_st == KV_OK && again);
    stream *s = kv_stream(b);
    CHECK(s && strcmp(stream_name(s), "KV_cfg") == 0);
    const stream_config *sc = stream_get_config(s);
    CHECK(sc->nsubjects == 1 && strcmp(sc->subjects[0], "$KV.cfg.>") == 0);
    CHECK(sc->max_msgs_per_subject == 5 && sc->max_bytes == 1 << 20 && sc->max_age_ns == 30 * SEC);
    CHECK(sc->max_msg_size == 4096 && sc->discard == STREAM_DISCARD_NEW && sc->deny_delete);
    CHECK(sc->allow_rollup_hdrs && sc->allow_direct && !sc->deny_purge && !sc->allow_msg_ttl);
    CHECK(sc->duplicate_window_ns == 30 * SEC); /* ttl < 2 min */
    CHECK(sc->max_msgs == -1 && sc->max_consumers == -1 && sc->num_replicas == 1);
    CHECK(sc->storage == STREAM_STORAGE_FILE && sc->retention == STREAM_RETENTION_LIMITS);
    CHECK(sc->description && strcmp(sc->description, "d") == 0);
    CHECK(sc->metadata && strcmp(json_string_value(json_object_get(sc->metadata, "owner")), "team") == 0);

    /* defaults: history 1, everything unlimited, duplicate window 2 min */
    kv *d = mk("dflt", 0);
    CHECK(d);
    sc = stream_get_config(kv_stream(d));
    CHECK(sc->max_msgs_per_subject == 1 && sc->max_bytes == -1 && sc->max_msg_size == -1);
    CHECK(sc->max_age_ns == 0 && sc->duplicate_window_ns == 120 * SEC && !sc->description);
    kv_config lt = {.bucket = "long", .ttl_ns = 3600 * SEC};
    CHECK(mkb(&lt));
    CHECK(stream_get_config(kv_stream(HANDLES[2]))->duplicate_window_ns == 120 * SEC);

    /* different refuses (the metadata differs too now) */
    c.history = 6;
    kv *diff = NULL;
    CHECK(kv_bucket_create(ST, &c, &diff, &E) == KV_ERR_BUCKET_EXISTS && !diff);
    CHECK_ERR(10058, "stream name already in use with a different configuration");
    c.history = 65;
    CHECK(kv_bucket_create(ST, &c, &diff, &E) == KV_ERR_HISTORY_TOO_LARGE);
    c.history = 64;
    c.bucket = "bad.name";
    CHECK(kv_bucket_create(ST, &c, &diff, &E) == KV_ERR_BAD_BUCKET);
    kv_config neg = {.bucket = "neg", .ttl_ns = -1};
    CHECK(kv_bucket_create(ST, &neg, &diff, &E) == KV_ERR_BAD_CONFIG && E.code != 0);

    /* open */
    CHECK(kv_bucket_open(ST, "nope", &diff, &E) == KV_ERR_BUCKET_NOT_FOUND && !diff);
    CHECK_ERR(10059, "stream not found");
    CHECK(kv_bucket_open(ST, "a.b", &diff, &E) == KV_ERR_BAD_BUCKET);
    CHECK(openb("cfg") && strcmp(kv_bucket_name(HANDLES[4]), "cfg") == 0);

    /* a stream named like a bucket that keeps no message per subject is not a bucket */
    stream_config raw;
    json_t *j = json_loads("{\"name\":\"KV_raw\",\"subjects\":[\"$KV.raw.>\"]}", 0, NULL);
    CHECK(stream_config_from_json(j, &raw, &E) == 0);
    json_decref(j);
    stream *rs = NULL;
    int rc = store_stream_create(ST, &raw, &rs, &E);
    stream_config_free(&raw);
    CHECK(rc == 0);
    CHECK(kv_bucket_open(ST, "raw", &diff, &E) == KV_ERR_NOT_KV_BUCKET && !diff);

    /* update the bucket: history and ttl change */
    kv_config u = {.bucket = "dflt", .history = 10, .ttl_ns = 60 * SEC};
    CHECK(kv_bucket_update(ST, &u, &E) == KV_OK);
    sc = stream_get_config(kv_stream(d));
    CHECK(sc->max_msgs_per_subject == 10 && sc->max_age_ns == 60 * SEC);
    u.bucket = "none";
    CHECK(kv_bucket_update(ST, &u, &E) == KV_ERR_BUCKET_NOT_FOUND);

    /* delete: handles then answer bucket not found */
    CHECK(put(d, "k", "v") == 1);
    CHECK(kv_bucket_delete(ST, "dflt", &E) == KV_OK);
    CHECK(kv_stream(d) == NULL);
    CHECK(get_status(d, "k", NULL, NULL) == KV_ERR_BUCKET_NOT_FOUND);
    CHECK(kv_put(d, "k", "v", 1, NULL, &E) == KV_ERR_BUCKET_NOT_FOUND);
    CHECK_ERR(10059, "stream not found");
    CHECK(kv_bucket_delete(ST, "dflt", &E) == KV_ERR_BUCKET_NOT_FOUND);
    CHECK(kv_bucket_delete(ST, "x.y", &E) == KV_ERR_BAD_BUCKET);
    /* recreated empty */
    d = mk("dflt", 1);
    CHECK(d && get_status(d, "k", NULL, NULL) == KV_ERR_NOT_FOUND);
}

static void test_status(void)
{
    kv_config c = {.bucket = "st", .history = 3, .ttl_ns = 90 * SEC};
    kv *b = mkb(&c);
    CHECK(b);
    CHECK(put(b, "a", "1") == 1 && put(b, "a", "22") == 2 && put(b, "b", "333") == 3);
    CHECK(del(b, "b") == 4);
    kv_bucket_status s;
    CHECK(kv_get_status(b, &s) == KV_OK);
    CHECK(strcmp(s.bucket, "st") == 0 && s.values == 4 && s.history == 3 && s.ttl_ns == 90 * SEC);
    CHECK(!s.is_compressed && strcmp(s.backing_store, "JetStream") == 0 && s.replicas == 1);
    CHECK(s.max_bytes == -1 && s.max_value_size == -1 && s.storage == STREAM_STORAGE_FILE);
    /* bytes as nats-server counts a file store: 22 + subject + hdr(+4) + data + 8 per message */
    uint64_t want = (22 + 8 + 1 + 8) + (22 + 8 + 2 + 8) + (22 + 8 + 3 + 8) +
                    (22 + 8 + 4 + strlen("NATS/1.0\r\nKV-Operation: DEL\r\n\r\n") + 8);
    CHECKF(s.bytes == want, "bytes %" PRIu64 ", want %" PRIu64, s.bytes, want);
    stream_state ss;
    stream_get_state(kv_stream(b), &ss);
    CHECK(ss.bytes == s.bytes && ss.msgs == s.values);
}

/* ---------------- put / get / create / update / delete / purge ---------------- */

static void test_put_get(void)
{
    kv *b = mk("b", 1);
    CHECK(b);
    CHECK(put(b, "a", "one") == 1);
    int64_t t1 = CLOCK_;
    CHECK(put(b, "b.c", "two") == 2);
    CHECK(put(b, "a", "three") == 3);
    CHECK(has(b, "a", "three", 3) && has(b, "b.c", "two", 2));
    kv_entry e;
    CHECK(kv_get(b, "b.c", &e, &E) == KV_OK);
    CHECK(e.created_ns == t1 + 1000 && e.delta == 0 && e.op == KV_OP_PUT);
    kv_entry_free(&e);
    /* history 1: the old value of a is gone */
    CHECK(kv_get_revision(b, "a", 1, &e, &E) == KV_ERR_NOT_FOUND);
    CHECK_ERR(10037, "no message found");
    kv_entry_free(&e);
    CHECK(kv_get_revision(b, "a", 3, &e, &E) == KV_OK && e.revision == 3 && e.value_len == 5);
    kv_entry_free(&e);
    /* a revision of another key is not found */
    CHECK(kv_get_revision(b, "a", 2, &e, &E) == KV_ERR_NOT_FOUND);
    CHECK(kv_get_revision(b, "b", 2, &e, &E) == KV_ERR_NOT_FOUND);
    CHECK(kv_get_revision(b, "a", 0, &e, &E) == KV_ERR_BAD_REVISION);
    CHECK(kv_get_revision(b, "a", 99, &e, &E) == KV_ERR_NOT_FOUND);
    /* never existed: not found, with the stream's error */
    CHECK(kv_get(b, "zz", &e, &E) == KV_ERR_NOT_FOUND && e.key == NULL);
    CHECK_ERR(10037, "no message found");
    /* empty value */
    CHECK(put(b, "empty", "") == 4);
    CHECK(has(b, "empty", "", 4));
    /* bad keys, reserved keys */
    CHECK(kv_put(b, "a..b", "x", 1, &REV, &E) == KV_ERR_BAD_KEY && E.code == 0 && REV == 4);
    CHECK(kv_put(b, ".a", "x", 1, NULL, &E) == KV_ERR_BAD_KEY);
    CHECK(kv_put(b, "a*", "x", 1, NULL, &E) == KV_ERR_BAD_KEY);
    CHECK(kv_put(b, "_kv.x", "x", 1, NULL, &E) == KV_ERR_BAD_KEY);
    CHECK(kv_delete(b, "_kvx", 0, NULL, &E) == KV_ERR_BAD_KEY);
    CHECK(kv_get(b, "a b", &e, &E) == KV_ERR_BAD_KEY);
    CHECK(kv_get(b, "_kv.x", &e, &E) == KV_ERR_NOT_FOUND); /* reads of reserved keys are fine */
    CHECK(kv_get(b, "a.>", &e, &E) == KV_ERR_BAD_KEY);
    /* NULL err and rev are accepted */
    CHECK(kv_put(b, "n", "v", 1, NULL, NULL) == KV_OK && has(b, "n", "v", 5));
    CHECK(commit() == 0);
}

static void test_create_update(void)
{
    kv *b = mk("b", 5);
    CHECK(b);
    CHECK(kv_create(b, "k", "v1", 2, 0, &REV, &E) == KV_OK && REV == 1);
    /* create of a key with a value: key exists, with the wire's error */
    CHECK(kv_create(b, "k", "v2", 2, 0, &REV, &E) == KV_ERR_KEY_EXISTS && REV == 0);
    CHECK_ERR(10071, "wrong last sequence: 1");
    CHECK(has(b, "k", "v1", 1));
    /* update with the right revision, then a stale one */
    CHECK(kv_update(b, "k", "v2", 2, 1, 0, &REV, &E) == KV_OK && REV == 2);
    CHECK(kv_update(b, "k", "v3", 2, 1, 0, &REV, &E) == KV_ERR_WRONG_LAST_SEQUENCE && REV == 0);
    CHECK_ERR(10071, "wrong last sequence: 2");
    CHECK(kv_update(b, "k", "v3", 2, 0, 0, &REV, &E) == KV_ERR_WRONG_LAST_SEQUENCE);
    CHECK(kv_update(b, "k", "v3", 2, 3, 0, &REV, &E) == KV_ERR_WRONG_LAST_SEQUENCE);
    CHECK(has(b, "k", "v2", 2));
    /* update with 0 creates a key that never existed */
    CHECK(kv_update(b, "new", "n", 1, 0, 0, &REV, &E) == KV_OK && REV == 3);
    /* the revision of another key does not count */
    CHECK(kv_update(b, "new", "n", 1, 2, 0, &REV, &E) == KV_ERR_WRONG_LAST_SEQUENCE);
    CHECK_ERR(10071, "wrong last sequence: 3");

    /* create after delete: the DEL marker is updated over */
    CHECK(del(b, "k") == 4);
    uint64_t rev;
    kv_op op;
    CHECK(get_status(b, "k", &rev, &op) == KV_ERR_DELETED && rev == 4 && op == KV_OP_DEL);
    CHECK(kv_create(b, "k", "again", 5, 0, &REV, &E) == KV_OK && REV == 5);
    CHECK(has(b, "k", "again", 5));
    CHECK(kv_create(b, "k", "x", 1, 0, &REV, &E) == KV_ERR_KEY_EXISTS);
    CHECK_ERR(10071, "wrong last sequence: 5");
    /* create after purge */
    CHECK(purge(b, "k") == 6);
    CHECK(get_status(b, "k", &rev, &op) == KV_ERR_DELETED && rev == 6 && op == KV_OP_PURGE);
    CHECK(kv_create(b, "k", "third", 5, 0, &REV, &E) == KV_OK && REV == 7);
    /* update over a marker with its revision, as a client would */
    CHECK(del(b, "new") == 8);
    CHECK(kv_update(b, "new", "m", 1, 8, 0, &REV, &E) == KV_OK && REV == 9);
    /* delete / purge with an expected last revision */
    CHECK(kv_delete(b, "new", 8, NULL, &E) == KV_ERR_WRONG_LAST_SEQUENCE);
    CHECK_ERR(10071, "wrong last sequence: 9");
    CHECK(kv_delete(b, "new", 9, &REV, &E) == KV_OK && REV == 10);
    CHECK(kv_purge(b, "new", 9, 0, NULL, &E) == KV_ERR_WRONG_LAST_SEQUENCE);
    CHECK(kv_purge(b, "new", 10, 0, &REV, &E) == KV_OK && REV == 11);
    /* a deleted key still gives its marker with get_revision, and the old values */
    kv_entry e;
    CHECK(kv_get_revision(b, "new", 11, &e, &E) == KV_ERR_DELETED && e.op == KV_OP_PURGE);
    kv_entry_free(&e);
    CHECK(kv_get_revision(b, "new", 10, &e, &E) == KV_ERR_NOT_FOUND); /* rolled up */
    kv_entry_free(&e);
    CHECK(del(b, "k") == 12);
    CHECK(kv_get_revision(b, "k", 12, &e, &E) == KV_ERR_DELETED && e.op == KV_OP_DEL);
    kv_entry_free(&e);
    CHECK(kv_get_revision(b, "k", 7, &e, &E) == KV_OK && e.value_len == 5);
    kv_entry_free(&e);
}

static void test_history_depth(void)
{
    kv *b = mk("h", 3);
    CHECK(b);
    char v[32];
    for (int i = 1; i <= 5; i++) {
        snprintf(v, sizeof v, "v%d", i);
        CHECK(put(b, "k", v) == (uint64_t)i);
    }
    CHECK(put(b, "other", "o") == 6);
    kv_entry_list l;
    CHECK(kv_history(b, "k", &l, &E) == KV_OK);
    CHECKF(l.count == 3, "history count %zu", l.count);
    for (size_t i = 0; i < 3; i++) {
        snprintf(v, sizeof v, "v%zu", i + 3);
        CHECK(l.entries[i].revision == i + 3 && l.entries[i].op == KV_OP_PUT);
        CHECK(l.entries[i].value_len == 2 && memcmp(l.entries[i].value, v, 2) == 0);
        CHECK(strcmp(l.entries[i].key, "k") == 0 && l.entries[i].delta == 2 - i);
    }
    kv_entry_list_free(&l);
    CHECK(l.entries == NULL && l.count == 0);
    /* a delete is part of the history and pushes the oldest out */
    CHECK(del(b, "k") == 7);
    CHECK(kv_history(b, "k", &l, &E) == KV_OK && l.count == 3);
    CHECK(l.entries[0].revision == 4 && l.entries[2].revision == 7 && l.entries[2].op == KV_OP_DEL);
    CHECK(l.entries[2].value == NULL && l.entries[2].value_len == 0);
    kv_entry_list_free(&l);
    /* history of a pattern, and of nothing */
    CHECK(kv_history(b, ">", &l, &E) == KV_OK && l.count == 4);
    CHECK(l.entries[0].revision == 4 && l.entries[1].revision == 5 &&
          l.entries[2].revision == 6 && strcmp(l.entries[2].key, "other") == 0);
    kv_entry_list_free(&l);
    CHECK(kv_history(b, "none", &l, &E) == KV_ERR_NOT_FOUND && l.count == 0);
    CHECK(kv_history(b, "a..b", &l, &E) == KV_ERR_BAD_KEY);
    /* purge keeps one marker */
    CHECK(purge(b, "k") == 8);
    CHECK(kv_history(b, "k", &l, &E) == KV_OK && l.count == 1);
    CHECK(l.entries[0].revision == 8 && l.entries[0].op == KV_OP_PURGE);
    kv_entry_list_free(&l);
    kv_bucket_status s;
    CHECK(kv_get_status(b, &s) == KV_OK && s.values == 2);
    /* history of 64 */
    kv *big = mk("big", 64);
    CHECK(big);
    for (int i = 0; i < 70; i++)
        CHECK(put(big, "k", "x") == (uint64_t)i + 1);
    CHECK(kv_history(big, "k", &l, &E) == KV_OK && l.count == 64);
    CHECK(l.entries[0].revision == 7 && l.entries[63].revision == 70);
    kv_entry_list_free(&l);
}

static void test_purge_keeps_one_marker(void)
{
    kv *b = mk("p", 10);
    CHECK(b);
    CHECK(put(b, "k", "1") == 1 && put(b, "k", "2") == 2 && put(b, "j", "x") == 3);
    CHECK(put(b, "k", "3") == 4 && del(b, "k") == 5);
    CHECK(purge(b, "k") == 6);
    stream *s = kv_stream(b);
    CHECK(stream_count_matching(s, "$KV.p.k", 0) == 1);
    CHECK(stream_count_matching(s, "$KV.p.j", 0) == 1);
    uint64_t rev;
    kv_op op;
    CHECK(get_status(b, "k", &rev, &op) == KV_ERR_DELETED && rev == 6 && op == KV_OP_PURGE);
    /* a second purge replaces the marker */
    CHECK(purge(b, "k") == 7 && stream_count_matching(s, "$KV.p.k", 0) == 1);
    CHECK(has(b, "j", "x", 3));
}

/* ---------------- the wire agrees ---------------- */

/* The messages kv/ stores are the ones the clients publish; messages published as a client
 * would are read by kv/ as the clients read them. */
static void test_wire_messages(void)
{
    kv *b = mk("w", 5);
    CHECK(b);
    stream *s = kv_stream(b);
    CHECK(put(b, "k", "v") == 1);
    CHECK(del(b, "k") == 2);
    CHECK(purge(b, "j") == 3);
    CHECK(kv_update(b, "u", "x", 1, 0, 0, NULL, &E) == KV_OK);
    stream_msg m;
    CHECK(stream_get(s, 1, &m, &E) == 0);
    CHECK(m.hdr_len == 0 && m.subject_len == 7 && memcmp(m.subject, "$KV.w.k", 7) == 0);
    CHECK(m.data_len == 1 && m.data[0] == 'v');
    stream_msg_free(&m);
    CHECK(stream_get(s, 2, &m, &E) == 0);
    const char *del_hdr = "NATS/1.0\r\nKV-Operation: DEL\r\n\r\n";
    CHECK(m.hdr_len == strlen(del_hdr) && memcmp(m.hdr, del_hdr, m.hdr_len) == 0 && m.data_len == 0);
    stream_msg_free(&m);
    CHECK(stream_get(s, 3, &m, &E) == 0);
    const char *purge_hdr = "NATS/1.0\r\nKV-Operation: PURGE\r\nNats-Rollup: sub\r\n\r\n";
    CHECK(m.hdr_len == strlen(purge_hdr) && memcmp(m.hdr, purge_hdr, m.hdr_len) == 0);
    stream_msg_free(&m);
    CHECK(stream_get(s, 4, &m, &E) == 0);
    const char *upd_hdr = "NATS/1.0\r\nNats-Expected-Last-Subject-Sequence: 0\r\n\r\n";
    CHECK(m.hdr_len == strlen(upd_hdr) && memcmp(m.hdr, upd_hdr, m.hdr_len) == 0);
    stream_msg_free(&m);

    /* published as nats.go / nats.c would (HPUB on $KV.w.<key>) */
    stream_ack ack;
    const char *h = "NATS/1.0\r\nKV-Operation: DEL\r\n\r\n";
    CHECK(stream_append(s, "$KV.w.x", 7, NULL, 0, "val", 3, T0 + 5 * SEC, &ack, &E) == 0 &&
          ack.seq == 5);
    CHECK(has(b, "x", "val", 5));
    CHECK(stream_append(s, "$KV.w.x", 7, h, strlen(h), NULL, 0, T0 + 6 * SEC, &ack, &E) == 0);
    uint64_t rev;
    kv_op op;
    CHECK(get_status(b, "x", &rev, &op) == KV_ERR_DELETED && rev == 6 && op == KV_OP_DEL);
    /* a client's create over it: expected 0 refused, then update of the marker */
    const char *c0 = "NATS/1.0\r\nNats-Expected-Last-Subject-Sequence: 0\r\n\r\n";
    CHECK(stream_append(s, "$KV.w.x", 7, c0, strlen(c0), "n", 1, T0 + 7 * SEC, &ack, &E) < 0);
    CHECK_ERR(10071, "wrong last sequence: 6");
    CHECK(kv_create(b, "x", "n", 1, 0, &REV, &E) == KV_OK && REV == 7);
    /* a subject delete marker of the stream layer reads like the clients read it */
    const char *mk_age = "NATS/1.0\r\nNats-Marker-Reason: MaxAge\r\n\r\n";
    const char *mk_rm = "NATS/1.0\r\nNats-Marker-Reason: Remove\r\n\r\n";
    CHECK(stream_append(s, "$KV.w.y", 7, mk_age, strlen(mk_age), NULL, 0, T0 + 8 * SEC, &ack, &E) == 0);
    CHECK(get_status(b, "y", &rev, &op) == KV_ERR_DELETED && op == KV_OP_PURGE && rev == 8);
    CHECK(stream_append(s, "$KV.w.z", 7, mk_rm, strlen(mk_rm), NULL, 0, T0 + 9 * SEC, &ack, &E) == 0);
    CHECK(get_status(b, "z", &rev, &op) == KV_ERR_DELETED && op == KV_OP_DEL && rev == 9);
}

/* ---------------- sizes and limits ---------------- */

static void test_large_values(void)
{
    kv *b = mk("big", 2);
    CHECK(b);
    size_t n = 1 << 20;
    char *v = malloc(n);
    CHECK(v);
    for (size_t i = 0; i < n; i++)
        v[i] = (char)(i * 31 + 7);
    kv_status st = kv_put(b, "blob", v, n, &REV, &E);
    if (st != KV_OK)
        free(v);
    CHECK(st == KV_OK && REV == 1);
    v[0] ^= 1;
    st = kv_put(b, "blob", v, n, &REV, &E);
    CHECK(commit() == 0);
    kv_entry e;
    st = kv_get(b, "blob", &e, &E);
    bool same = st == KV_OK && e.revision == 2 && e.value_len == n && memcmp(e.value, v, n) == 0;
    kv_entry_free(&e);
    st = kv_get_revision(b, "blob", 1, &e, &E);
    v[0] ^= 1;
    bool same1 = st == KV_OK && e.value_len == n && memcmp(e.value, v, n) == 0;
    kv_entry_free(&e);
    free(v);
    CHECK(same && same1);

    /* max_value_size */
    kv_config c = {.bucket = "small", .max_value_size = 1024};
    kv *s = mkb(&c);
    CHECK(s);
    char buf[2048];
    memset(buf, 'x', sizeof buf);
    CHECK(kv_put(s, "k", buf, 1024, &REV, &E) == KV_OK && REV == 1);
    CHECK(kv_put(s, "k", buf, 1025, &REV, &E) == KV_ERR_VALUE_TOO_LARGE);
    CHECK_ERR(10054, "message size exceeds maximum allowed");
    /* max_bytes with discard new refuses */
    kv_config m = {.bucket = "mb", .max_bytes = 200, .history = 5};
    kv *mb = mkb(&m);
    CHECK(mb);
    CHECK(kv_put(mb, "k", buf, 100, &REV, &E) == KV_OK);
    CHECK(kv_put(mb, "k", buf, 100, &REV, &E) == KV_ERR_LIMIT);
    CHECK_ERR(10077, "maximum bytes exceeded");
    CHECK(kv_get_status(mb, &(kv_bucket_status){0}) == KV_OK);
}

/* ---------------- keys ---------------- */

static void test_keys_10000(void)
{
    kv *b = mk("keys", 1);
    CHECK(b);
    char k[32];
    for (int i = 0; i < 10000; i++) {
        snprintf(k, sizeof k, "g%d.k%05d", i % 4, i);
        CHECK(put(b, k, "v") == (uint64_t)i + 1);
    }
    /* every 10th deleted, every 100th (offset 5) purged; key 7 rewritten at the end */
    uint64_t rev = 10000;
    for (int i = 0; i < 10000; i += 10) {
        snprintf(k, sizeof k, "g%d.k%05d", i % 4, i);
        CHECK(del(b, k) == ++rev);
    }
    for (int i = 5; i < 10000; i += 100) {
        snprintf(k, sizeof k, "g%d.k%05d", i % 4, i);
        CHECK(purge(b, k) == ++rev);
    }
    CHECK(put(b, "g3.k00007", "w") == ++rev);
    CHECK(commit() == 0);

    kv_keys *it;
    CHECK(kv_keys_open(b, NULL, &it) == KV_OK);
    const char *key;
    size_t n = 0;
    bool order_ok = true, last_is_7 = false;
    int prev = -1;
    char *seen = calloc(10000, 1);
    kv_status st;
    while ((st = kv_keys_next(it, &key)) == KV_OK && key) {
        int g, i;
        if (sscanf(key, "g%d.k%d", &g, &i) != 2 || i < 0 || i >= 10000 || seen[i] ||
            g != i % 4 || i % 10 == 0 || i % 100 == 5) {
            order_ok = false;
            break;
        }
        seen[i] = 1;
        /* revision order: increasing key numbers, with key 7 (rewritten) last */
        if (i == 7)
            last_is_7 = true;
        else if (last_is_7 || i < prev)
            order_ok = false;
        else
            prev = i;
        n++;
    }
    kv_keys_close(it);
    free(seen);
    CHECK(st == KV_OK && order_ok && last_is_7);
    CHECKF(n == 10000 - 1000 - 100, "keys %zu", n);

    /* a pattern: only g2 keys */
    CHECK(kv_keys_open(b, "g2.*", &it) == KV_OK);
    n = 0;
    bool only = true;
    while (kv_keys_next(it, &key) == KV_OK && key) {
        only = only && strncmp(key, "g2.", 3) == 0;
        n++;
    }
    kv_keys_close(it);
    /* g2: 2500 keys, i%4==2; deleted i%10==0 → i%20==10: 500; purged i%100==5 → odd: none */
    CHECKF(only && n == 2000, "g2 keys %zu", n);
    CHECK(kv_keys_open(b, "g2.k00002", &it) == KV_OK);
    CHECK(kv_keys_next(it, &key) == KV_OK && key && strcmp(key, "g2.k00002") == 0);
    CHECK(kv_keys_next(it, &key) == KV_OK && !key);
    kv_keys_close(it);
    CHECK(kv_keys_open(b, "g2.k00010", &it) == KV_OK); /* deleted */
    CHECK(kv_keys_next(it, &key) == KV_OK && !key);
    kv_keys_close(it);
    CHECK(kv_keys_open(b, "a*", &it) == KV_ERR_BAD_KEY);
    /* empty bucket */
    kv *e = mk("empty", 1);
    CHECK(e && kv_keys_open(e, ">", &it) == KV_OK);
    CHECK(kv_keys_next(it, &key) == KV_OK && !key);
    kv_keys_close(it);
}

/* ---------------- watch ---------------- */

static void test_watch_initial_then_live(void)
{
    kv *b = mk("w", 5);
    CHECK(b);
    CHECK(put(b, "a", "1") == 1 && put(b, "b", "2") == 2 && put(b, "c", "3") == 3);
    CHECK(put(b, "a", "4") == 4 && del(b, "c") == 5);
    kv_watch *w = watch(b, NULL, NULL);
    CHECK(w);
    /* last per key in revision order: b(2), a(4), c(5, DEL) */
    CHECK_W(w, "b", KV_OP_PUT, 2, 2, "2");
    CHECK_W(w, "a", KV_OP_PUT, 4, 1, "4");
    CHECK_W(w, "c", KV_OP_DEL, 5, 0, "");
    CHECK_WEV(w, KV_EV_INIT_DONE);
    CHECK_WEV(w, KV_EV_NONE);
    CHECK_WEV(w, KV_EV_NONE);
    /* live: put, delete, purge in order, with deltas */
    CHECK(put(b, "d", "5") == 6 && del(b, "a") == 7 && purge(b, "b") == 8);
    CHECK_W(w, "d", KV_OP_PUT, 6, 2, "5");
    CHECK_W(w, "a", KV_OP_DEL, 7, 1, "");
    CHECK_W(w, "b", KV_OP_PURGE, 8, 0, "");
    CHECK_WEV(w, KV_EV_NONE);
    CHECK(put(b, "e", "x") == 9);
    CHECK(commit() == 0);
    CHECK_W(w, "e", KV_OP_PUT, 9, 0, "x");
    CHECK_WEV(w, KV_EV_NONE);
    /* an entry's timestamp */
    CHECK(put(b, "t", "y") == 10);
    kv_entry e;
    CHECK(wnext(w, &e) == KV_EV_ENTRY && e.created_ns == CLOCK_ && strcmp(e.bucket, "w") == 0);
    kv_entry_free(&e);

    /* an empty bucket: the marker comes first */
    kv *empty = mk("empty", 1);
    kv_watch *we = watch(empty, ">", NULL);
    CHECK(we);
    CHECK_WEV(we, KV_EV_INIT_DONE);
    CHECK_WEV(we, KV_EV_NONE);
    CHECK(put(empty, "k", "v") == 1);
    CHECK_W(we, "k", KV_OP_PUT, 1, 0, "v");

    /* changes between open and the first next: initial values end at open, deltas count them */
    kv_watch *w2 = watch(b, NULL, NULL);
    CHECK(w2);
    CHECK(put(b, "z", "late") == 11);
    /* last per key at open: c5 d6 a7 b8 e9 t10 */
    CHECK_W(w2, "c", KV_OP_DEL, 5, 6, NULL);
    CHECK_W(w2, "d", KV_OP_PUT, 6, 5, NULL);
    CHECK_W(w2, "a", KV_OP_DEL, 7, 4, NULL);
    CHECK_W(w2, "b", KV_OP_PURGE, 8, 3, NULL);
    CHECK_W(w2, "e", KV_OP_PUT, 9, 2, NULL);
    CHECK_W(w2, "t", KV_OP_PUT, 10, 1, NULL);
    CHECK_WEV(w2, KV_EV_INIT_DONE);
    CHECK_W(w2, "z", KV_OP_PUT, 11, 0, "late");
    CHECK_WEV(w2, KV_EV_NONE);
}

static void test_watch_wildcard(void)
{
    kv *b = mk("w", 1);
    CHECK(b);
    CHECK(put(b, "users.1", "a") == 1 && put(b, "orders.1", "b") == 2);
    CHECK(put(b, "users.2", "c") == 3 && put(b, "users.2.x", "d") == 4);
    kv_watch *w = watch(b, "users.*", NULL);
    CHECK(w);
    CHECK_W(w, "users.1", KV_OP_PUT, 1, 1, "a");
    CHECK_W(w, "users.2", KV_OP_PUT, 3, 0, "c");
    CHECK_WEV(w, KV_EV_INIT_DONE);
    CHECK(put(b, "orders.2", "e") == 5 && put(b, "users.3", "f") == 6);
    CHECK(put(b, "users.3.y", "g") == 7 && del(b, "users.1") == 8);
    CHECK_W(w, "users.3", KV_OP_PUT, 6, 1, "f");
    CHECK_W(w, "users.1", KV_OP_DEL, 8, 0, "");
    CHECK_WEV(w, KV_EV_NONE);
    /* ">" under a prefix */
    kv_watch *w2 = watch(b, "users.>", NULL);
    CHECK(w2);
    CHECK_W(w2, "users.2", KV_OP_PUT, 3, 4, NULL);
    CHECK_W(w2, "users.2.x", KV_OP_PUT, 4, 3, NULL);
    CHECK_W(w2, "users.3", KV_OP_PUT, 6, 2, NULL);
    CHECK_W(w2, "users.3.y", KV_OP_PUT, 7, 1, NULL);
    CHECK_W(w2, "users.1", KV_OP_DEL, 8, 0, NULL);
    CHECK_WEV(w2, KV_EV_INIT_DONE);
    /* a literal key */
    kv_watch *w3 = watch(b, "orders.2", NULL);
    CHECK(w3);
    CHECK_W(w3, "orders.2", KV_OP_PUT, 5, 0, "e");
    CHECK_WEV(w3, KV_EV_INIT_DONE);
    CHECK(put(b, "orders.1", "x") == 9 && put(b, "orders.2", "y") == 10);
    CHECK_W(w3, "orders.2", KV_OP_PUT, 10, 0, "y");
    CHECK_WEV(w3, KV_EV_NONE);
    kv_watch *bad = NULL;
    CHECK(kv_watch_open(b, "a*", NULL, &bad) == KV_ERR_BAD_KEY && !bad);
    CHECK(kv_watch_open(b, "a.>.b", NULL, &bad) == KV_ERR_BAD_KEY);
}

static void test_watch_updates_only(void)
{
    kv *b = mk("w", 1);
    CHECK(b);
    CHECK(put(b, "a", "1") == 1 && put(b, "b", "2") == 2);
    kv_watch_options o = {.updates_only = true};
    kv_watch *w = watch(b, ">", &o);
    CHECK(w);
    CHECK_WEV(w, KV_EV_NONE); /* no initial values, no marker */
    CHECK(put(b, "a", "3") == 3 && del(b, "b") == 4);
    CHECK_W(w, "a", KV_OP_PUT, 3, 1, "3");
    CHECK_W(w, "b", KV_OP_DEL, 4, 0, "");
    CHECK_WEV(w, KV_EV_NONE);
    /* on an empty bucket too */
    kv *e = mk("e", 1);
    kv_watch *we = watch(e, NULL, &o);
    CHECK(we);
    CHECK_WEV(we, KV_EV_NONE);
}

static void test_watch_ignore_deletes(void)
{
    kv *b = mk("w", 1);
    CHECK(b);
    CHECK(put(b, "a", "1") == 1 && put(b, "b", "2") == 2 && put(b, "c", "3") == 3);
    CHECK(del(b, "a") == 4 && purge(b, "c") == 5);
    kv_watch_options o = {.ignore_deletes = true};
    kv_watch *w = watch(b, NULL, &o);
    CHECK(w);
    CHECK_W(w, "b", KV_OP_PUT, 2, 2, "2"); /* deltas still count the markers, as num_pending */
    CHECK_WEV(w, KV_EV_INIT_DONE);
    CHECK(del(b, "b") == 6 && put(b, "d", "4") == 7 && purge(b, "c") == 8 && put(b, "e", "5") == 9);
    CHECK_W(w, "d", KV_OP_PUT, 7, 2, "4");
    CHECK_W(w, "e", KV_OP_PUT, 9, 0, "5");
    CHECK_WEV(w, KV_EV_NONE);
    /* only markers: the marker still comes */
    kv *m = mk("m", 1);
    CHECK(del(m, "x") == 1);
    kv_watch *wm = watch(m, NULL, &o);
    CHECK(wm);
    CHECK_WEV(wm, KV_EV_INIT_DONE);
    CHECK_WEV(wm, KV_EV_NONE);
}

static void test_watch_include_history(void)
{
    kv *b = mk("w", 3);
    CHECK(b);
    CHECK(put(b, "a", "1") == 1 && put(b, "b", "2") == 2 && put(b, "a", "3") == 3);
    CHECK(del(b, "b") == 4 && put(b, "a", "5") == 5 && put(b, "a", "6") == 6);
    /* a keeps 3, 5, 6 (1 went by history 3) */
    kv_watch_options o = {.include_history = true};
    kv_watch *w = watch(b, ">", &o);
    CHECK(w);
    CHECK_W(w, "b", KV_OP_PUT, 2, 4, "2");
    CHECK_W(w, "a", KV_OP_PUT, 3, 3, "3");
    CHECK_W(w, "b", KV_OP_DEL, 4, 2, "");
    CHECK_W(w, "a", KV_OP_PUT, 5, 1, "5");
    CHECK_W(w, "a", KV_OP_PUT, 6, 0, "6");
    CHECK_WEV(w, KV_EV_INIT_DONE);
    CHECK(put(b, "c", "7") == 7);
    CHECK_W(w, "c", KV_OP_PUT, 7, 0, "7");
    /* one key's history */
    kv_watch *wa = watch(b, "a", &o);
    CHECK(wa);
    CHECK_W(wa, "a", KV_OP_PUT, 3, 2, NULL);
    CHECK_W(wa, "a", KV_OP_PUT, 5, 1, NULL);
    CHECK_W(wa, "a", KV_OP_PUT, 6, 0, NULL);
    CHECK_WEV(wa, KV_EV_INIT_DONE);
    /* meta_only: no values */
    kv_watch_options mo = {.include_history = true, .meta_only = true};
    kv_watch *wm = watch(b, "a", &mo);
    CHECK(wm);
    kv_entry e;
    CHECK(wnext(wm, &e) == KV_EV_ENTRY && e.revision == 3 && e.value == NULL && e.value_len == 0);
    kv_entry_free(&e);
}

static void test_watch_resume(void)
{
    kv *b = mk("w", 5);
    CHECK(b);
    for (int i = 1; i <= 6; i++)
        CHECK(put(b, i % 2 ? "odd" : "even", "v") == (uint64_t)i);
    /* from revision 3: every message from 3 on (deliver by start sequence) */
    kv_watch_options o = {.resume_from_revision = 3};
    kv_watch *w = watch(b, NULL, &o);
    CHECK(w);
    CHECK_W(w, "odd", KV_OP_PUT, 3, 3, NULL);
    CHECK_W(w, "even", KV_OP_PUT, 4, 2, NULL);
    CHECK_W(w, "odd", KV_OP_PUT, 5, 1, NULL);
    CHECK_W(w, "even", KV_OP_PUT, 6, 0, NULL);
    CHECK_WEV(w, KV_EV_INIT_DONE);
    CHECK(put(b, "odd", "x") == 7);
    CHECK_W(w, "odd", KV_OP_PUT, 7, 0, "x");
    /* with a filter, and overriding updates_only */
    kv_watch_options o2 = {.resume_from_revision = 2, .updates_only = true};
    kv_watch *w2 = watch(b, "even", &o2);
    CHECK(w2);
    CHECK_W(w2, "even", KV_OP_PUT, 2, 2, NULL);
    CHECK_W(w2, "even", KV_OP_PUT, 4, 1, NULL);
    CHECK_W(w2, "even", KV_OP_PUT, 6, 0, NULL);
    CHECK_WEV(w2, KV_EV_INIT_DONE);
    CHECK_WEV(w2, KV_EV_NONE);
    /* beyond the end: marker first, then what comes from that revision */
    kv_watch_options o3 = {.resume_from_revision = 9};
    kv_watch *w3 = watch(b, NULL, &o3);
    CHECK(w3);
    CHECK_WEV(w3, KV_EV_INIT_DONE);
    CHECK(put(b, "even", "8") == 8);
    CHECK_WEV(w3, KV_EV_NONE);
    CHECK(put(b, "even", "9") == 9);
    CHECK_W(w3, "even", KV_OP_PUT, 9, 0, "9");
}

static void test_watch_removed_and_deleted_bucket(void)
{
    kv *b = mk("w", 1);
    CHECK(b);
    CHECK(put(b, "a", "1") == 1 && put(b, "b", "2") == 2 && put(b, "c", "3") == 3);
    kv_watch *w = watch(b, NULL, NULL);
    CHECK(w);
    CHECK_W(w, "a", KV_OP_PUT, 1, 2, "1");
    /* b is replaced before the cursor reaches it: its old value is gone, the new one is live */
    CHECK(put(b, "b", "22") == 4);
    CHECK_W(w, "c", KV_OP_PUT, 3, 1, "3");
    CHECK_WEV(w, KV_EV_INIT_DONE);
    CHECK_W(w, "b", KV_OP_PUT, 4, 0, "22");
    /* a message removed by the rollup of a purge before the cursor reaches it is not given */
    CHECK(put(b, "x", "1") == 5 && purge(b, "x") == 6);
    CHECK_W(w, "x", KV_OP_PURGE, 6, 0, "");
    CHECK_WEV(w, KV_EV_NONE);
    CHECK(kv_bucket_delete(ST, "w", &E) == KV_OK);
    kv_entry e;
    kv_event ev;
    CHECK(kv_watch_next(w, &e, &ev) == KV_ERR_BUCKET_NOT_FOUND && ev == KV_EV_NONE);
}

typedef struct rec {
    char log[512];
    size_t n;
} rec;

static void record_cb(void *arg, const kv_entry *e)
{
    rec *r = arg;
    char one[64];
    if (e)
        snprintf(one, sizeof one, "%s:%s:%" PRIu64 ":%" PRIu64 " ", kv_op_name(e->op), e->key,
                 e->revision, e->delta);
    else
        snprintf(one, sizeof one, "DONE ");
    strncat(r->log, one, sizeof r->log - strlen(r->log) - 1);
    r->n++;
}

static void test_watch_drain(void)
{
    kv *b = mk("w", 1);
    CHECK(b);
    CHECK(put(b, "a", "1") == 1 && put(b, "b", "2") == 2);
    kv_watch *w = watch(b, NULL, NULL);
    CHECK(w);
    rec r = {{0}, 0};
    size_t calls;
    CHECK(kv_watch_drain(w, record_cb, &r, 0, &calls) == KV_OK && calls == 3);
    CHECKF(strcmp(r.log, "PUT:a:1:1 PUT:b:2:0 DONE ") == 0, "log %.200s", r.log);
    CHECK(kv_watch_drain(w, record_cb, &r, 0, &calls) == KV_OK && calls == 0);
    CHECK(put(b, "c", "3") == 3 && del(b, "a") == 4 && purge(b, "b") == 5);
    r.log[0] = 0;
    CHECK(kv_watch_drain(w, record_cb, &r, 2, &calls) == KV_OK && calls == 2);
    CHECK(kv_watch_drain(w, record_cb, &r, 0, &calls) == KV_OK && calls == 1);
    CHECKF(strcmp(r.log, "PUT:c:3:2 DEL:a:4:1 PURGE:b:5:0 ") == 0, "log %.200s", r.log);
}

/* ---------------- TTLs ---------------- */

static void test_ttl_expiry(void)
{
    kv_config c = {.bucket = "ttl", .ttl_ns = 10 * SEC, .history = 3};
    kv *b = mkb(&c);
    CHECK(b);
    CHECK(put(b, "a", "1") == 1);
    CLOCK_ = T0 + 5 * SEC;
    CHECK(put(b, "b", "2") == 2);
    CHECK(commit() == 0);
    int64_t next = store_expire(ST, T0 + 9 * SEC);
    CHECK(next == T0 + 1000 + 10 * SEC);
    CHECK(has(b, "a", "1", 1));
    store_expire(ST, T0 + 11 * SEC);
    uint64_t rev;
    CHECK(get_status(b, "a", &rev, NULL) == KV_ERR_NOT_FOUND);
    CHECK(has(b, "b", "2", 2));
    kv_entry_list l;
    CHECK(kv_history(b, "a", &l, &E) == KV_ERR_NOT_FOUND);
    /* create works again on an expired key */
    CLOCK_ = T0 + 11 * SEC;
    CHECK(kv_create(b, "a", "new", 3, 0, &REV, &E) == KV_OK && REV == 3);
    store_expire(ST, T0 + 16 * SEC);
    kv_bucket_status s;
    CHECK(kv_get_status(b, &s) == KV_OK && s.values == 1 && s.ttl_ns == 10 * SEC);
    CHECK(get_status(b, "b", NULL, NULL) == KV_ERR_NOT_FOUND && has(b, "a", "new", 3));
    /* a watch opened now sees only a */
    kv_watch *w = watch(b, NULL, NULL);
    CHECK(w);
    CHECK_W(w, "a", KV_OP_PUT, 3, 0, "new");
    CHECK_WEV(w, KV_EV_INIT_DONE);
}

static void test_per_key_ttl_and_markers(void)
{
    kv_config c = {.bucket = "lm", .history = 2, .limit_marker_ttl_ns = 60 * SEC};
    kv *b = mkb(&c);
    CHECK(b);
    const stream_config *sc = stream_get_config(kv_stream(b));
    CHECK(sc->allow_msg_ttl && sc->subject_delete_marker_ttl_ns == 60 * SEC);
    CHECK(kv_create(b, "k", "v", 1, 5 * SEC, &REV, &E) == KV_OK && REV == 1);
    /* the TTL rides in Nats-TTL as nats.go writes it */
    stream_msg m;
    CHECK(stream_get(kv_stream(b), 1, &m, &E) == 0);
    bool ttl_hdr = m.hdr_len > 0 && strstr(m.hdr, "Nats-TTL: ") != NULL;
    stream_msg_free(&m);
    CHECK(ttl_hdr);
    CHECK(kv_create(b, "k", "v", 1, -1, &REV, &E) == KV_ERR_INVALID_ARG);
    CHECK(commit() == 0);
    /* with history > 1, the TTL is raised to the markers' TTL (ADR-43) */
    store_expire(ST, T0 + 61 * SEC);
    uint64_t rev;
    kv_op op;
    kv_status st = get_status(b, "k", &rev, &op);
    CHECKF(st == KV_ERR_DELETED && op == KV_OP_PURGE && rev == 2, "status %d op %d rev %" PRIu64,
           (int)st, (int)op, rev);
    /* create over the limit marker */
    CLOCK_ = T0 + 62 * SEC;
    CHECK(kv_create(b, "k", "again", 5, 0, &REV, &E) == KV_OK && REV == 3);
    CHECK(has(b, "k", "again", 3));
    /* a bucket without limit markers refuses per-key TTLs with the server's error */
    kv *plain = mk("plain", 1);
    CHECK(plain);
    CHECK(kv_create(plain, "k", "v", 1, 5 * SEC, &REV, &E) == KV_ERR_STREAM);
    CHECK_ERR(10166, "per-message TTL is disabled");
    /* purge with a TTL (raised to the markers' 60 s): when the purge marker expires, the
     * stream leaves a MaxAge marker in its place (it carries no Nats-Marker-Reason itself, as
     * in nats-server), which expires in turn and leaves nothing */
    CHECK(kv_purge(b, "k", 0, 2 * SEC, &REV, &E) == KV_OK && REV == 4);
    CHECK(commit() == 0);
    store_expire(ST, T0 + 62 * SEC + 61 * SEC);
    st = get_status(b, "k", &rev, &op);
    CHECKF(st == KV_ERR_DELETED && op == KV_OP_PURGE && rev == 5, "status %d op %d rev %" PRIu64,
           (int)st, (int)op, rev);
    store_expire(ST, T0 + 62 * SEC + 122 * SEC);
    CHECK(get_status(b, "k", NULL, NULL) == KV_ERR_NOT_FOUND);
}

static void test_purge_deletes(void)
{
    kv *b = mk("pd", 5);
    CHECK(b);
    CHECK(put(b, "a", "1") == 1 && put(b, "a", "2") == 2 && del(b, "a") == 3);
    CHECK(put(b, "b", "1") == 4 && purge(b, "b") == 5);
    CHECK(put(b, "c", "1") == 6);
    CLOCK_ = T0 + 3600 * SEC;
    CHECK(put(b, "d", "1") == 7 && del(b, "d") == 8); /* recent */
    uint64_t n;
    /* default threshold 30 minutes: a and b go entirely, d keeps only its marker */
    CHECK(kv_purge_deletes(b, 0, &n, &E) == KV_OK && n == 3);
    kv_entry_list l;
    CHECK(kv_history(b, "a", &l, &E) == KV_ERR_NOT_FOUND);
    CHECK(kv_history(b, "b", &l, &E) == KV_ERR_NOT_FOUND);
    CHECK(kv_history(b, "d", &l, &E) == KV_OK && l.count == 1 && l.entries[0].revision == 8);
    kv_entry_list_free(&l);
    CHECK(has(b, "c", "1", 6));
    /* negative: every marker goes */
    CHECK(kv_purge_deletes(b, -1, &n, &E) == KV_OK && n == 1);
    CHECK(kv_history(b, "d", &l, &E) == KV_ERR_NOT_FOUND);
    kv_bucket_status s;
    CHECK(kv_get_status(b, &s) == KV_OK && s.values == 1);
}

/* ---------------- restart ---------------- */

static void test_restart(void)
{
    kv_config c = {.bucket = "r", .history = 4, .description = "keep"};
    kv *b = mkb(&c);
    CHECK(b);
    CHECK(put(b, "a", "1") == 1 && put(b, "a", "2") == 2 && put(b, "b", "3") == 3);
    CHECK(del(b, "b") == 4 && put(b, "c.d", "5") == 5 && purge(b, "e") == 6);
    reopen_store();
    b = openb("r");
    CHECK(b);
    CHECK(has(b, "a", "2", 2) && has(b, "c.d", "5", 5));
    uint64_t rev;
    kv_op op;
    CHECK(get_status(b, "b", &rev, &op) == KV_ERR_DELETED && rev == 4 && op == KV_OP_DEL);
    CHECK(get_status(b, "e", &rev, &op) == KV_ERR_DELETED && rev == 6 && op == KV_OP_PURGE);
    kv_entry_list l;
    CHECK(kv_history(b, "a", &l, &E) == KV_OK && l.count == 2 && l.entries[0].revision == 1);
    kv_entry_list_free(&l);
    kv_bucket_status s;
    CHECK(kv_get_status(b, &s) == KV_OK && s.values == 6 && s.history == 4);
    const stream_config *sc = stream_get_config(kv_stream(b));
    CHECK(sc->description && strcmp(sc->description, "keep") == 0 && sc->discard == STREAM_DISCARD_NEW);
    /* rules still hold: create after delete, stale update refused, revisions continue */
    CHECK(kv_create(b, "b", "new", 3, 0, &REV, &E) == KV_OK && REV == 7);
    CHECK(kv_update(b, "a", "x", 1, 1, 0, &REV, &E) == KV_ERR_WRONG_LAST_SEQUENCE);
    CHECK_ERR(10071, "wrong last sequence: 2");
    CHECK(kv_create(b, "a", "x", 1, 0, &REV, &E) == KV_ERR_KEY_EXISTS);
    kv_keys *it;
    const char *key;
    CHECK(kv_keys_open(b, NULL, &it) == KV_OK);
    char got[64] = "";
    while (kv_keys_next(it, &key) == KV_OK && key) {
        strcat(got, key);
        strcat(got, " ");
    }
    kv_keys_close(it);
    CHECKF(strcmp(got, "a c.d b ") == 0, "keys %s", got);
    /* a watch after restart */
    kv_watch *w = watch(b, NULL, NULL);
    CHECK(w);
    CHECK_W(w, "a", KV_OP_PUT, 2, 3, "2");
    CHECK_W(w, "c.d", KV_OP_PUT, 5, 2, "5");
    CHECK_W(w, "e", KV_OP_PURGE, 6, 1, "");
    CHECK_W(w, "b", KV_OP_PUT, 7, 0, "new");
    CHECK_WEV(w, KV_EV_INIT_DONE);
    /* and twice more, with the handle reopened */
    reopen_store();
    b = openb("r");
    CHECK(b && has(b, "b", "new", 7));
    CHECK(put(b, "f", "8") == 8);
}

int main(void)
{
    T(test_names);
    T(test_bucket_config);
    T(test_status);
    T(test_put_get);
    T(test_create_update);
    T(test_history_depth);
    T(test_purge_keeps_one_marker);
    T(test_wire_messages);
    T(test_large_values);
    T(test_keys_10000);
    T(test_watch_initial_then_live);
    T(test_watch_wildcard);
    T(test_watch_updates_only);
    T(test_watch_ignore_deletes);
    T(test_watch_include_history);
    T(test_watch_resume);
    T(test_watch_removed_and_deleted_bucket);
    T(test_watch_drain);
    T(test_ttl_expiry);
    T(test_per_key_ttl_and_markers);
    T(test_purge_deletes);
    T(test_restart);
    TESTLIB_EXIT();
}

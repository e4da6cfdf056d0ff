/*
 * test_objstore.c — unit tests of the Object Store (objstore/objstore.h) over a real store:
 * names and subjects, the stream config of a bucket, objects of 0 B, 1 B, one chunk exactly,
 * one chunk plus one byte and 10 MiB of random bytes (bytes and SHA-256 compared, chunking with
 * odd-sized reads, the periodic commit of a large put), info fields, list, delete, overwrite
 * freeing the old chunks (stream state asserted to the byte), links, watch, seal, limits,
 * reader and writer failures, meta updates, and a restart. The messages objstore/ writes are
 * checked byte for byte against what nats.go publishes, and objects written as the clients
 * write them (stream_append of chunks and meta JSON, nats.go's and nats.js's shapes) are read
 * back through objstore/, including a digest mismatch detected on get.
 *
 * Each case runs in a fresh store under a mkdtemp directory that is removed afterwards.
 */
#include "objstore/objstore.h"
#include "test/testlib.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KIB 1024u
#define MIB (1024u * 1024u)
#define CHUNK OBS_DEFAULT_CHUNK_SIZE
#define ROLLUP "NATS/1.0\r\nNats-Rollup: sub\r\n\r\n"

/* ---------------- fixture ---------------- */

#define FIXTURE_NAME "obs"
#include "store_fixture.h"

/* What a case opened, released after it (a failed CHECK returns early). */
#define NTRACK 8
static obs *HANDLES[NTRACK];
static obs_watch *WATCHES[NTRACK];
static obs_info INFOS[NTRACK];
static void *BUFS[NTRACK];

static obs *track(obs *b)
{
    for (int i = 0; i < NTRACK; i++)
        if (!HANDLES[i]) {
            HANDLES[i] = b;
            break;
        }
    return b;
}

static obs_watch *trackw(obs_watch *w)
{
    for (int i = 0; i < NTRACK; i++)
        if (!WATCHES[i]) {
            WATCHES[i] = w;
            break;
        }
    return w;
}

/* An obs_info slot freed after the case. */
static obs_info *info_slot(void)
{
    for (int i = 0; i < NTRACK; i++)
        if (!INFOS[i].name && !INFOS[i].bucket && !INFOS[i].nuid)
            return &INFOS[i];
    return &INFOS[NTRACK - 1];
}

static void *trackbuf(void *p)
{
    for (int i = 0; i < NTRACK; i++)
        if (!BUFS[i]) {
            BUFS[i] = p;
            break;
        }
    return p;
}

/* Closes the handles and watches (a restart needs that; buffers and infos stay). */
static void untrack_handles(void)
{
    for (int i = 0; i < NTRACK; i++) {
        obs_watch_close(WATCHES[i]);
        WATCHES[i] = NULL;
        obs_close(HANDLES[i]);
        HANDLES[i] = NULL;
    }
}

static void untrack_all(void)
{
    untrack_handles();
    for (int i = 0; i < NTRACK; i++) {
        obs_info_free(&INFOS[i]);
        free(BUFS[i]);
        BUFS[i] = NULL;
    }
}

#define T(fn)            \
    do {                 \
        fx_begin();      \
        RUN(fn);         \
        untrack_all();   \
        fx_end();        \
    } while (0)

static int commit(void)
{
    char err[256];
    int r = store_commit(ST, err, sizeof err);
    if (r < 0)
        fprintf(stderr, "commit: %s\n", err);
    return r;
}

static void reopen_store(void)
{
    untrack_handles();
    commit();
    store_close(ST);
    ST = open_at(DIR_);
    if (!ST)
        exit(2);
}

static obs *mkb(const obs_config *cfg)
{
    obs *b = NULL;
    if (obs_bucket_create(ST, cfg, &b, &E) != OBS_OK)
        return NULL;
    obs_set_clock(b, fake_now, NULL);
    return track(b);
}

static obs *mk(const char *bucket)
{
    obs_config c = {.bucket = bucket};
    return mkb(&c);
}

static obs *openb(const char *bucket)
{
    obs *b = NULL;
    if (obs_bucket_open(ST, bucket, &b, &E) != OBS_OK)
        return NULL;
    obs_set_clock(b, fake_now, NULL);
    return track(b);
}

/* ---------------- readers, writers, digests ---------------- */

/* Reads from memory in pieces of at most `step` bytes (0: as much as asked). */
typedef struct mreader {
    const unsigned char *p;
    size_t left, step;
    size_t calls;
    long fail_after; /* > 0: return -1 once this many bytes were given */
    size_t given;
    bool saw_no_pending; /* the store had nothing pending at some call after the first */
} mreader;

static long mread(void *arg, void *buf, size_t cap)
{
    mreader *r = arg;
    if (r->calls++ > 0 && !store_has_pending(ST))
        r->saw_no_pending = true;
    if (r->fail_after > 0 && r->given >= (size_t)r->fail_after)
        return -1;
    size_t n = r->left < cap ? r->left : cap;
    if (r->step && n > r->step)
        n = r->step;
    memcpy(buf, r->p, n);
    r->p += n;
    r->left -= n;
    r->given += n;
    return (long)n;
}

/* Collects what a get writes. */
typedef struct mwriter {
    unsigned char *p;
    size_t len, cap;
    size_t calls, largest;
    size_t stop_after; /* > 0: ask to stop at this call */
} mwriter;

static int mwrite(void *arg, const void *data, size_t len)
{
    mwriter *w = arg;
    w->calls++;
    if (len > w->largest)
        w->largest = len;
    if (w->stop_after && w->calls >= w->stop_after)
        return 1;
    if (w->len + len > w->cap) {
        size_t cap = w->cap ? w->cap : 4096;
        while (w->len + len > cap)
            cap *= 2;
        unsigned char *p = realloc(w->p, cap);
        if (!p)
            return 1;
        w->p = p;
        w->cap = cap;
    }
    memcpy(w->p + w->len, data, len);
    w->len += len;
    return 0;
}

static void mw_free(mwriter *w)
{
    free(w->p);
    memset(w, 0, sizeof *w);
}

/* "SHA-256=" + base64url of the data's sum, computed independently of objstore/. */
static void digest_of(const void *data, size_t len, char out[64])
{
    unsigned char sum[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(sum, data, len);
    char b64[48];
    sodium_bin2base64(b64, sizeof b64, sum, sizeof sum, sodium_base64_VARIANT_URLSAFE);
    snprintf(out, 64, "SHA-256=%s", b64);
}

static unsigned char *random_bytes(size_t n)
{
    unsigned char *p = malloc(n ? n : 1);
    if (p)
        randombytes_buf(p, n);
    return trackbuf(p);
}

/* The bytes nats-server counts for one message of a file stream. */
static uint64_t msg_bytes(size_t subj, size_t hdr, size_t data)
{
    return 22 + subj + (hdr ? 4 + hdr : 0) + data + 8;
}

static stream_state state_of(obs *b)
{
    stream_state s;
    memset(&s, 0, sizeof s);
    stream *st = obs_stream(b);
    if (st)
        stream_get_state(st, &s);
    return s;
}

/* The number of messages on a literal subject. */
static uint64_t count_on(obs *b, const char *subject)
{
    return stream_count_matching(obs_stream(b), subject, 0);
}

/* Puts data under name with the given chunk size through a reader of `step`-byte reads. */
static obs_status put_with(obs *b, const char *name, const void *data, size_t len,
                           uint32_t chunk, size_t step, obs_info *out)
{
    mreader r = {.p = data, .left = len, .step = step};
    obs_meta m = {.name = name, .chunk_size = chunk};
    return obs_put(b, &m, mread, &r, out, &E);
}

/* Gets name and compares with data (NULL: only status). */
static obs_status get_cmp(obs *b, const char *name, const void *data, size_t len, bool *same)
{
    mwriter w = {0};
    obs_status st = obs_get(b, name, mwrite, &w, NULL, &E);
    if (same)
        *same = w.len == len && (len == 0 || memcmp(w.p, data, len) == 0);
    mw_free(&w);
    return st;
}

#define CHECK_ST(expr, want)                                                                 \
    do {                                                                                     \
        obs_status st_ = (expr);                                                             \
        CHECKF(st_ == (want), "%.160s = %d (%s, err %d %.120s), want %d (%s)", #expr, (int)st_,      \
               obs_strerror(st_), E.err_code, E.description, (int)(want),                    \
               obs_strerror(want));                                                          \
    } while (0)

/* ---------------- names ---------------- */

static void test_names(void)
{
    CHECK(obs_bucket_valid("abc") && obs_bucket_valid("A-b_9"));
    CHECK(!obs_bucket_valid("") && !obs_bucket_valid(NULL) && !obs_bucket_valid("a.b") &&
          !obs_bucket_valid("a b") && !obs_bucket_valid("a*") && !obs_bucket_valid("a>"));
    /* base64url with padding, like nats.go base64.URLEncoding */
    char *e = obs_name_encode("hello.txt");
    CHECK(e && strcmp(e, "aGVsbG8udHh0") == 0);
    free(e);
    e = obs_name_encode("\xfb\xff");
    CHECK(e && strcmp(e, "-_8=") == 0);
    free(e);
    e = obs_name_encode("a/b?c");
    CHECK(e && strcmp(e, "YS9iP2M=") == 0);
    free(e);
    char n1[OBS_NUID_LEN + 1], n2[OBS_NUID_LEN + 1];
    obs_nuid_next(n1);
    obs_nuid_next(n2);
    CHECK(strlen(n1) == 22 && strcmp(n1, n2) != 0);
    for (int i = 0; i < 22; i++)
        CHECK((n1[i] >= '0' && n1[i] <= '9') || (n1[i] >= 'a' && n1[i] <= 'z') ||
              (n1[i] >= 'A' && n1[i] <= 'Z'));
    CHECK(strcmp(obs_strerror(OBS_ERR_NOT_FOUND), "object not found") == 0);
    CHECK(strcmp(obs_strerror(OBS_ERR_DIGEST_MISMATCH),
                 "received a corrupt object, digests do not match") == 0);
    CHECK(strcmp(obs_strerror(OBS_ERR_BAD_BUCKET), "invalid object-store name") == 0);
}

/* ---------------- buckets ---------------- */

static void test_bucket_config(void)
{
    json_t *md = json_pack("{s:s}", "owner", "infra");
    obs_config c = {.bucket = "MY-STORE", .description = "d", .ttl_ns = 3600000000000LL,
                    .max_bytes = 1 << 30, .metadata = md};
    obs *b = mkb(&c);
    obs *again = NULL;
    obs_status again_st = obs_bucket_create(ST, &c, &again, &E);
    track(again);
    json_decref(md);
    c.metadata = NULL;
    CHECK(b);
    CHECK(again_st == OBS_OK && again);
    stream *s = obs_stream(b);
    CHECK(s && strcmp(stream_name(s), "OBJ_MY-STORE") == 0);
    const stream_config *sc = stream_get_config(s);
    CHECK(sc->nsubjects == 2 && strcmp(sc->subjects[0], "$O.MY-STORE.C.>") == 0 &&
          strcmp(sc->subjects[1], "$O.MY-STORE.M.>") == 0);
    CHECK(sc->discard == STREAM_DISCARD_NEW && sc->allow_rollup_hdrs && sc->allow_direct);
    CHECK(!sc->deny_delete && !sc->deny_purge && !sc->sealed);
    CHECK(sc->max_age_ns == 3600000000000LL && sc->max_bytes == 1 << 30);
    CHECK(sc->max_msgs == -1 && sc->max_msgs_per_subject == -1 && sc->max_msg_size == -1);
    CHECK(sc->num_replicas == 1 && sc->storage == STREAM_STORAGE_FILE);
    CHECK(sc->retention == STREAM_RETENTION_LIMITS);
    CHECK(sc->description && strcmp(sc->description, "d") == 0);
    CHECK(sc->metadata &&
          strcmp(json_string_value(json_object_get(sc->metadata, "owner")), "infra") == 0);

    obs *d = mk("dflt");
    CHECK(d);
    sc = stream_get_config(obs_stream(d));
    CHECK(sc->max_bytes == -1 && sc->max_age_ns == 0 && !sc->description && !sc->metadata);
    CHECK(sc->duplicate_window_ns == 120000000000LL);

    /* different config refuses; bad names */
    c.max_bytes = 1 << 20;
    obs *x = NULL;
    CHECK_ST(obs_bucket_create(ST, &c, &x, &E), OBS_ERR_BUCKET_EXISTS);
    CHECK(!x && E.err_code == 10058);
    c.bucket = "a.b";
    CHECK_ST(obs_bucket_create(ST, &c, &x, &E), OBS_ERR_BAD_BUCKET);
    CHECK_ST(obs_bucket_open(ST, "nope", &x, &E), OBS_ERR_BUCKET_NOT_FOUND);
    CHECK(!x && E.err_code == 10059);
    CHECK_ST(obs_bucket_open(ST, "a b", &x, &E), OBS_ERR_BAD_BUCKET);
    CHECK(openb("MY-STORE") && strcmp(obs_bucket_name(HANDLES[3]), "MY-STORE") == 0);

    /* update: max_bytes may change */
    c.bucket = "MY-STORE";
    CHECK_ST(obs_bucket_update(ST, &c, &E), OBS_OK);
    CHECK(stream_get_config(obs_stream(b))->max_bytes == 1 << 20);

    /* delete: handles then answer bucket not found */
    CHECK_ST(obs_put_bytes(d, "o", "x", 1, NULL, &E), OBS_OK);
    CHECK_ST(obs_bucket_delete(ST, "dflt", &E), OBS_OK);
    CHECK(obs_stream(d) == NULL);
    obs_info *i = info_slot();
    CHECK_ST(obs_get_info(d, "o", false, i, &E), OBS_ERR_BUCKET_NOT_FOUND);
    CHECK_ST(obs_put_bytes(d, "o", "x", 1, NULL, &E), OBS_ERR_BUCKET_NOT_FOUND);
    CHECK_ST(obs_bucket_delete(ST, "dflt", &E), OBS_ERR_BUCKET_NOT_FOUND);
}

static void test_status(void)
{
    json_t *md = json_pack("{s:s}", "k", "v");
    obs_config c = {.bucket = "st", .description = "desc", .ttl_ns = 60000000000LL,
                    .storage = STREAM_STORAGE_MEMORY, .metadata = md};
    obs *b = mkb(&c);
    json_decref(md);
    CHECK(b);
    CHECK_ST(obs_put_bytes(b, "a", "abc", 3, NULL, &E), OBS_OK);
    obs_bucket_status s;
    CHECK_ST(obs_get_status(b, &s), OBS_OK);
    CHECK(strcmp(s.bucket, "st") == 0 && strcmp(s.description, "desc") == 0);
    CHECK(s.ttl_ns == 60000000000LL && s.storage == STREAM_STORAGE_MEMORY && s.replicas == 1);
    CHECK(!s.sealed && !s.is_compressed && strcmp(s.backing_store, "JetStream") == 0);
    CHECK(s.max_bytes == -1 && s.msgs == 2);
    CHECK(s.metadata && strcmp(json_string_value(json_object_get(s.metadata, "k")), "v") == 0);
    stream_state ss = state_of(b);
    CHECK(s.size == ss.bytes && s.size > 0);
}

/* ---------------- objects by size ---------------- */

/* Puts and gets one object of len random bytes, checking everything about it. */
static void check_size(obs *b, const char *name, size_t len, uint32_t want_chunks, size_t step)
{
    unsigned char *data = random_bytes(len);
    CHECK(data);
    char want_digest[64];
    digest_of(data, len, want_digest);
    stream_state before = state_of(b);
    obs_info *i = info_slot();
    CHECK_ST(put_with(b, name, data, len, 0, step, i), OBS_OK);
    CHECKF(i->size == len && i->chunks == want_chunks, "%s: size %" PRIu64 " chunks %u", name,
           i->size, i->chunks);
    CHECK(strcmp(i->digest, want_digest) == 0);
    CHECK(strcmp(i->name, name) == 0 && strcmp(i->bucket, obs_bucket_name(b)) == 0);
    CHECK(strlen(i->nuid) == OBS_NUID_LEN && i->chunk_size == CHUNK && !i->deleted);
    CHECK(i->revision > 0 && i->mtime_ns > T0);
    /* one message per chunk plus the meta */
    stream_state after = state_of(b);
    CHECKF(after.msgs == before.msgs + want_chunks + 1, "msgs %" PRIu64, after.msgs);
    char subj[128];
    snprintf(subj, sizeof subj, "$O.%s.C.%s", obs_bucket_name(b), i->nuid);
    CHECK(count_on(b, subj) == want_chunks);

    mwriter w = {0};
    obs_info got = {0};
    obs_status st = obs_get(b, name, mwrite, &w, &got, &E);
    bool same = w.len == len && (len == 0 || memcmp(w.p, data, len) == 0);
    size_t calls = w.calls, largest = w.largest;
    mw_free(&w);
    bool info_ok = got.size == len && got.revision == i->revision && got.mtime_ns == i->mtime_ns &&
                   got.digest && strcmp(got.digest, want_digest) == 0;
    obs_info_free(&got);
    CHECK_ST(st, OBS_OK);
    CHECK(same && info_ok);
    CHECKF(calls == want_chunks && largest <= CHUNK, "calls %zu largest %zu", calls, largest);
    obs_info_free(i);
}

static void test_sizes(void)
{
    obs *b = mk("sizes");
    CHECK(b);
    check_size(b, "zero", 0, 0, 0);
    CHECK(!testlib_case_failed);
    check_size(b, "one", 1, 1, 0);
    CHECK(!testlib_case_failed);
    check_size(b, "chunk", CHUNK, 1, 0);
    CHECK(!testlib_case_failed);
    check_size(b, "chunk+1", CHUNK + 1, 2, 0);
    CHECK(!testlib_case_failed);
    /* reads of odd sizes still fill whole chunks */
    check_size(b, "odd-reads", 3 * CHUNK + 5, 4, 7777);
    CHECK(!testlib_case_failed);
    /* the 0 B object: the digest of nothing, no chunk, get writes nothing */
    obs_info *i = info_slot();
    CHECK_ST(obs_get_info(b, "zero", false, i, &E), OBS_OK);
    CHECK(i->size == 0 && i->chunks == 0 &&
          strcmp(i->digest, "SHA-256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU=") == 0);
}

static void test_10mib_random(void)
{
    obs *b = mk("big");
    CHECK(b);
    size_t len = 10 * MIB;
    unsigned char *data = random_bytes(len);
    CHECK(data);
    char want[64];
    digest_of(data, len, want);
    mreader r = {.p = data, .left = len, .step = 100000};
    obs_meta m = {.name = "big.bin"};
    obs_info *i = info_slot();
    CHECK_ST(obs_put(b, &m, mread, &r, i, &E), OBS_OK);
    CHECK(i->size == len && i->chunks == 80 && strcmp(i->digest, want) == 0);
    /* the pending batch was committed along the way (OBS_COMMIT_BYTES) */
    CHECK(r.saw_no_pending);
    CHECK(state_of(b).msgs == 81);

    mwriter w = {0};
    obs_status st = obs_get(b, "big.bin", mwrite, &w, NULL, &E);
    bool same = w.len == len && memcmp(w.p, data, len) == 0;
    size_t calls = w.calls, largest = w.largest;
    mw_free(&w);
    CHECK_ST(st, OBS_OK);
    CHECK(same && calls == 80 && largest == CHUNK);

    /* a custom chunk size: 1 MiB chunks */
    mreader r2 = {.p = data, .left = len};
    obs_meta m2 = {.name = "big-1m", .chunk_size = MIB};
    obs_info *i2 = info_slot();
    CHECK_ST(obs_put(b, &m2, mread, &r2, i2, &E), OBS_OK);
    CHECK(i2->chunks == 10 && i2->chunk_size == MIB && strcmp(i2->digest, want) == 0);
    bool same2;
    CHECK_ST(get_cmp(b, "big-1m", data, len, &same2), OBS_OK);
    CHECK(same2);
    /* small chunks: the batch is committed by chunk count too */
    mreader r4 = {.p = data, .left = MIB};
    obs_meta m4 = {.name = "small-chunks", .chunk_size = 512};
    obs_info *i4 = info_slot();
    CHECK_ST(obs_put(b, &m4, mread, &r4, i4, &E), OBS_OK);
    CHECK(i4->chunks == 2048 && r4.saw_no_pending);
    CHECK_ST(get_cmp(b, "small-chunks", data, MIB, &same2), OBS_OK);
    CHECK(same2);
    /* chunk sizes beyond nats-server's max_payload ceiling are refused */
    m2.chunk_size = OBS_MAX_CHUNK_SIZE + 1;
    mreader r3 = {.p = data, .left = 10};
    CHECK_ST(obs_put(b, &m2, mread, &r3, NULL, &E), OBS_ERR_INVALID_ARG);
}

/* ---------------- info ---------------- */

static void test_info_fields(void)
{
    obs *b = mk("info");
    CHECK(b);
    json_t *hdr = json_pack("{s:[s],s:[s,s]}", "Content-Type", "text/plain", "X-Multi", "a", "b");
    json_t *md = json_pack("{s:s,s:s}", "owner", "me", "a", "1");
    obs_meta m = {.name = "doc.txt", .description = "a document", .headers = hdr,
                  .metadata = md, .chunk_size = 4};
    mreader r = {.p = (const unsigned char *)"0123456789", .left = 10};
    int64_t clock_before = CLOCK_;
    obs_info *put = info_slot();
    obs_status st = obs_put(b, &m, mread, &r, put, &E);
    json_decref(hdr);
    json_decref(md);
    CHECK_ST(st, OBS_OK);
    CHECK(put->size == 10 && put->chunks == 3 && put->chunk_size == 4);
    obs_info *i = info_slot();
    CHECK_ST(obs_get_info(b, "doc.txt", false, i, &E), OBS_OK);
    CHECK(strcmp(i->name, "doc.txt") == 0 && strcmp(i->description, "a document") == 0);
    CHECK(strcmp(i->bucket, "info") == 0 && strcmp(i->nuid, put->nuid) == 0);
    CHECK(i->size == 10 && i->chunks == 3 && i->chunk_size == 4 && !i->deleted);
    char want[64];
    digest_of("0123456789", 10, want);
    CHECK(strcmp(i->digest, want) == 0);
    /* mtime is the meta message's time: the clock's last tick of the put */
    CHECK(i->mtime_ns == put->mtime_ns && i->mtime_ns == CLOCK_ && i->mtime_ns > clock_before);
    CHECK(i->revision == 4 && put->revision == 4);
    json_t *ct = json_object_get(i->headers, "Content-Type");
    json_t *xm = json_object_get(i->headers, "X-Multi");
    CHECK(ct && json_array_size(ct) == 1 &&
          strcmp(json_string_value(json_array_get(ct, 0)), "text/plain") == 0);
    CHECK(xm && json_array_size(xm) == 2 &&
          strcmp(json_string_value(json_array_get(xm, 1)), "b") == 0);
    CHECK(strcmp(json_string_value(json_object_get(i->metadata, "owner")), "me") == 0);
    CHECK(!obs_info_is_link(i) && !i->link_name);
    /* no such object; names required */
    obs_info *n = info_slot();
    CHECK_ST(obs_get_info(b, "nope", true, n, &E), OBS_ERR_NOT_FOUND);
    CHECK_ST(obs_get_info(b, "", false, n, &E), OBS_ERR_NAME_REQUIRED);
    CHECK_ST(obs_put_bytes(b, "", "x", 1, NULL, &E), OBS_ERR_NAME_REQUIRED);
    /* malformed headers are refused */
    json_t *bad = json_pack("{s:s}", "h", "not-an-array");
    obs_meta mb = {.name = "bad", .headers = bad};
    mreader rb = {.p = (const unsigned char *)"x", .left = 1};
    st = obs_put(b, &mb, mread, &rb, NULL, &E);
    json_decref(bad);
    CHECK_ST(st, OBS_ERR_INVALID_ARG);
}

/* ---------------- the wire: what we write ---------------- */

static void test_wire_messages(void)
{
    obs *b = mk("B");
    CHECK(b);
    obs_info *i = info_slot();
    CHECK_ST(obs_put_bytes(b, "hello.txt", "hello", 5, i, &E), OBS_OK);
    stream *s = obs_stream(b);
    /* the chunk: on $O.B.C.<nuid>, no header */
    stream_msg m;
    CHECK(stream_get(s, 1, &m, &E) == 0);
    char subj[64];
    snprintf(subj, sizeof subj, "$O.B.C.%s", i->nuid);
    bool chunk_ok = m.subject_len == strlen(subj) && memcmp(m.subject, subj, m.subject_len) == 0 &&
                    m.hdr_len == 0 && m.data_len == 5 && memcmp(m.data, "hello", 5) == 0;
    stream_msg_free(&m);
    CHECK(chunk_ok);
    /* the meta: nats.go's json.Marshal of ObjectInfo, rolled up */
    CHECK(stream_get_last(s, "$O.B.M.aGVsbG8udHh0", &m, &E) == 0);
    char want[512];
    snprintf(want, sizeof want,
             "{\"name\":\"hello.txt\",\"options\":{\"max_chunk_size\":131072},\"bucket\":\"B\","
             "\"nuid\":\"%s\",\"size\":5,\"mtime\":\"0001-01-01T00:00:00Z\",\"chunks\":1,"
             "\"digest\":\"SHA-256=LPJNul-wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=\"}",
             i->nuid);
    bool meta_ok = m.seq == 2 && m.data_len == strlen(want) && memcmp(m.data, want, m.data_len) == 0 &&
                   m.hdr_len == strlen(ROLLUP) && memcmp(m.hdr, ROLLUP, m.hdr_len) == 0;
    char got[512];
    snprintf(got, sizeof got, "%.*s", (int)m.data_len, m.data);
    stream_msg_free(&m);
    CHECKF(meta_ok, "meta %.400s", got);

    /* every field, Go's escaping (<, >, & and control characters), sorted map keys */
    json_t *hdr = json_pack("{s:[s],s:[s]}", "Z", "z", "A", "a<b>");
    json_t *md = json_pack("{s:s,s:s}", "y", "2", "x", "1&");
    obs_meta full = {.name = "<n>\t\xe2\x80\xa8", .description = "d\"q", .headers = hdr,
                     .metadata = md, .chunk_size = 10};
    mreader r = {.p = (const unsigned char *)"", .left = 0};
    obs_info *fi = info_slot();
    obs_status st = obs_put(b, &full, mread, &r, fi, &E);
    json_decref(hdr);
    json_decref(md);
    CHECK_ST(st, OBS_OK);
    size_t len;
    char *j = obs_info_to_json(fi, false, &len);
    CHECK(j);
    snprintf(want, sizeof want,
             "{\"name\":\"\\u003cn\\u003e\\t\\u2028\",\"description\":\"d\\\"q\","
             "\"headers\":{\"A\":[\"a\\u003cb\\u003e\"],\"Z\":[\"z\"]},"
             "\"metadata\":{\"x\":\"1\\u0026\",\"y\":\"2\"},\"options\":{\"max_chunk_size\":10},"
             "\"bucket\":\"B\",\"nuid\":\"%s\",\"size\":0,\"mtime\":\"0001-01-01T00:00:00Z\","
             "\"chunks\":0,\"digest\":\"SHA-256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU=\"}",
             fi->nuid);
    bool full_ok = strcmp(j, want) == 0 && len == strlen(want);
    snprintf(got, sizeof got, "%s", j);
    free(j);
    CHECKF(full_ok, "json %.400s", got);
    /* and it reads back the same */
    obs_info *back = info_slot();
    CHECK_ST(obs_get_info(b, full.name, false, back, &E), OBS_OK);
    CHECK(strcmp(back->name, full.name) == 0 && strcmp(back->description, "d\"q") == 0);
    CHECK(json_equal(back->headers, fi->headers) && json_equal(back->metadata, fi->metadata));
    /* with_mtime writes the time for display */
    j = obs_info_to_json(back, true, &len);
    CHECK(j && strstr(j, "\"mtime\":\"2023-11-14T22:13:20.") != NULL);
    free(j);

    /* a delete marker: deleted, size and chunks 0, no digest */
    CHECK_ST(obs_delete(b, "hello.txt", &E), OBS_OK);
    CHECK(stream_get_last(s, "$O.B.M.aGVsbG8udHh0", &m, &E) == 0);
    snprintf(want, sizeof want,
             "{\"name\":\"hello.txt\",\"options\":{\"max_chunk_size\":131072},\"bucket\":\"B\","
             "\"nuid\":\"%s\",\"size\":0,\"mtime\":\"0001-01-01T00:00:00Z\",\"chunks\":0,"
             "\"deleted\":true}",
             i->nuid);
    meta_ok = m.data_len == strlen(want) && memcmp(m.data, want, m.data_len) == 0 &&
              m.hdr_len == strlen(ROLLUP);
    snprintf(got, sizeof got, "%.*s", (int)m.data_len, m.data);
    stream_msg_free(&m);
    CHECKF(meta_ok, "delete meta %.400s", got);
}

/* ---------------- the wire: what the clients write ---------------- */

/* Appends a message as a client's publish would arrive. */
static int pub(obs *b, const char *subj, const char *hdr, const void *data, size_t len)
{
    stream_ack ack;
    return stream_append(obs_stream(b), subj, strlen(subj), hdr, hdr ? strlen(hdr) : 0, data, len,
                         fake_now(NULL), &ack, &E);
}

static void test_client_written_objects(void)
{
    obs *b = mk("cw");
    CHECK(b);
    size_t len = 300000;
    unsigned char *data = random_bytes(len);
    CHECK(data);
    char digest[64];
    digest_of(data, len, digest);
    /* nats.go: 128 KiB chunks, then the meta with its zero mtime */
    const char *nuid = "ABCDEFGHIJKLMNOPQRSTUV";
    for (size_t off = 0; off < len; off += CHUNK) {
        size_t n = len - off < CHUNK ? len - off : CHUNK;
        CHECK(pub(b, "$O.cw.C.ABCDEFGHIJKLMNOPQRSTUV", NULL, data + off, n) == 0);
    }
    char meta[1024];
    int ml = snprintf(meta, sizeof meta,
                      "{\"name\":\"go.bin\",\"options\":{\"max_chunk_size\":131072},"
                      "\"bucket\":\"cw\",\"nuid\":\"%s\",\"size\":%zu,"
                      "\"mtime\":\"0001-01-01T00:00:00Z\",\"chunks\":3,\"digest\":\"%s\"}",
                      nuid, len, digest);
    CHECK(pub(b, "$O.cw.M.Z28uYmlu", ROLLUP, meta, (size_t)ml) == 0);
    bool same;
    CHECK_ST(get_cmp(b, "go.bin", data, len, &same), OBS_OK);
    CHECK(same);

    /* nats.js: description "", an ISO mtime, deleted false, a revision field, small chunks */
    const char *js_nuid = "JSJSJSJSJSJSJSJSJSJSJS";
    for (size_t off = 0; off < 1000; off += 300) {
        size_t n = 1000 - off < 300 ? 1000 - off : 300;
        CHECK(pub(b, "$O.cw.C.JSJSJSJSJSJSJSJSJSJSJS", NULL, data + off, n) == 0);
    }
    char d2[64];
    digest_of(data, 1000, d2);
    ml = snprintf(meta, sizeof meta,
                  "{\"bucket\":\"cw\",\"nuid\":\"%s\",\"size\":1000,\"chunks\":4,"
                  "\"name\":\"js.bin\",\"description\":\"\",\"options\":{\"max_chunk_size\":300},"
                  "\"metadata\":{\"m\":\"1\"},\"headers\":{\"H\":[\"v\"]},"
                  "\"mtime\":\"2024-05-01T10:00:00.123Z\",\"digest\":\"%s\",\"deleted\":false,"
                  "\"revision\":0}",
                  js_nuid, d2);
    CHECK(pub(b, "$O.cw.M.anMuYmlu", ROLLUP, meta, (size_t)ml) == 0);
    mwriter w = {0};
    obs_info got = {0};
    obs_status st = obs_get(b, "js.bin", mwrite, &w, &got, &E);
    bool js_ok = w.len == 1000 && memcmp(w.p, data, 1000) == 0 && w.calls == 4 &&
                 got.chunk_size == 300 && !got.description && !got.deleted &&
                 strcmp(got.nuid, js_nuid) == 0 && got.revision == 9;
    mw_free(&w);
    obs_info_free(&got);
    CHECK_ST(st, OBS_OK);
    CHECK(js_ok);

    /* our put over a client's object frees the client's chunks */
    CHECK_ST(obs_put_bytes(b, "go.bin", "new", 3, NULL, &E), OBS_OK);
    CHECK(count_on(b, "$O.cw.C.ABCDEFGHIJKLMNOPQRSTUV") == 0);
    CHECK_ST(get_cmp(b, "go.bin", "new", 3, &same), OBS_OK);
    CHECK(same);

    /* a client's delete is seen as a delete */
    ml = snprintf(meta, sizeof meta,
                  "{\"name\":\"js.bin\",\"bucket\":\"cw\",\"nuid\":\"%s\",\"size\":0,"
                  "\"mtime\":\"0001-01-01T00:00:00Z\",\"chunks\":0,\"deleted\":true}",
                  js_nuid);
    CHECK(pub(b, "$O.cw.M.anMuYmlu", ROLLUP, meta, (size_t)ml) == 0);
    CHECK_ST(get_cmp(b, "js.bin", NULL, 0, NULL), OBS_ERR_NOT_FOUND);

    /* meta that Go's decoder refuses reads as bad meta */
    static const char *bad[] = {
        "not json", "[1]", "{\"name\":5}", "{\"name\":\"x\",\"size\":-1}",
        "{\"name\":\"x\",\"size\":1.5}", "{\"name\":\"x\",\"chunks\":4294967296}",
        "{\"name\":\"x\",\"deleted\":\"yes\"}", "{\"name\":\"x\",\"mtime\":\"yesterday\"}",
        "{\"name\":\"x\",\"headers\":{\"h\":\"v\"}}", "{\"name\":\"x\",\"metadata\":{\"h\":1}}",
        "{\"name\":\"x\",\"options\":{\"max_chunk_size\":-1}}",
        "{\"name\":\"x\",\"options\":{\"link\":\"b\"}}"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        obs_info x;
        CHECKF(obs_info_from_json(bad[k], strlen(bad[k]), &x) == OBS_ERR_BAD_META, "%s", bad[k]);
    }
    /* field names match case-insensitively, unknown fields are ignored */
    const char *odd = "{\"NAME\":\"n\",\"Size\":7,\"nuid\":\"u\",\"bucket\":\"b\",\"extra\":[1]}";
    obs_info x;
    CHECK_ST(obs_info_from_json(odd, strlen(odd), &x), OBS_OK);
    bool odd_ok = strcmp(x.name, "n") == 0 && x.size == 7 && strcmp(x.nuid, "u") == 0;
    obs_info_free(&x);
    CHECK(odd_ok);
    /* a name whose meta is bad: info, get and put refuse */
    CHECK(pub(b, "$O.cw.M.YmFk", ROLLUP, "{\"name\":5}", 10) == 0);
    obs_info *bi = info_slot();
    CHECK_ST(obs_get_info(b, "bad", false, bi, &E), OBS_ERR_BAD_META);
    CHECK_ST(get_cmp(b, "bad", NULL, 0, NULL), OBS_ERR_BAD_META);
    CHECK_ST(obs_put_bytes(b, "bad", "x", 1, NULL, &E), OBS_ERR_BAD_META);
    /* meta without a nuid: get refuses */
    CHECK(pub(b, "$O.cw.M.bm9udWlk", ROLLUP, "{\"name\":\"nonuid\",\"size\":1}", 26) == 0);
    CHECK_ST(get_cmp(b, "nonuid", NULL, 0, NULL), OBS_ERR_BAD_META);
}

static void test_digest_mismatch(void)
{
    obs *b = mk("dm");
    CHECK(b);
    unsigned char *data = random_bytes(CHUNK + 10);
    CHECK(data);
    obs_info *i = info_slot();
    CHECK_ST(obs_put_bytes(b, "obj", data, CHUNK + 10, i, &E), OBS_OK);
    bool same;
    CHECK_ST(get_cmp(b, "obj", data, CHUNK + 10, &same), OBS_OK);
    CHECK(same);

    /* a chunk appended behind the meta's back */
    char subj[64];
    snprintf(subj, sizeof subj, "$O.dm.C.%s", i->nuid);
    CHECK(pub(b, subj, NULL, "evil", 4) == 0);
    mwriter w = {0};
    obs_info got = {0};
    obs_status st = obs_get(b, "obj", mwrite, &w, &got, &E);
    size_t wlen = w.len;
    bool info_ok = got.size == CHUNK + 10;
    mw_free(&w);
    obs_info_free(&got);
    CHECK_ST(st, OBS_ERR_DIGEST_MISMATCH);
    CHECK(wlen == CHUNK + 14 && info_ok); /* the bytes were written: the caller discards them */

    /* a meta written with a wrong digest */
    CHECK_ST(obs_put_bytes(b, "obj2", "payload", 7, NULL, &E), OBS_OK);
    obs_info *i2 = info_slot();
    CHECK_ST(obs_get_info(b, "obj2", false, i2, &E), OBS_OK);
    char wrong[64];
    digest_of("PAYLOAD", 7, wrong);
    free(i2->digest);
    i2->digest = strdup(wrong);
    size_t len;
    char *j = obs_info_to_json(i2, false, &len);
    CHECK(j);
    int r = pub(b, "$O.dm.M.b2JqMg==", ROLLUP, j, len);
    free(j);
    CHECK(r == 0);
    CHECK_ST(get_cmp(b, "obj2", NULL, 0, NULL), OBS_ERR_DIGEST_MISMATCH);

    /* a digest in other encodings still verifies (std base64, unpadded, hex: nats.js) */
    static const char *forms[] = {"std", "nopad", "hex"};
    for (int k = 0; k < 3; k++) {
        unsigned char sum[32];
        crypto_hash_sha256(sum, (const unsigned char *)"payload", 7);
        char enc[80];
        if (k == 0)
            sodium_bin2base64(enc, sizeof enc, sum, 32, sodium_base64_VARIANT_ORIGINAL);
        else if (k == 1)
            sodium_bin2base64(enc, sizeof enc, sum, 32, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        else
            sodium_bin2hex(enc, sizeof enc, sum, 32);
        free(i2->digest);
        char dv[96];
        snprintf(dv, sizeof dv, "SHA-256=%s", enc);
        i2->digest = strdup(dv);
        j = obs_info_to_json(i2, false, &len);
        CHECK(j);
        r = pub(b, "$O.dm.M.b2JqMg==", ROLLUP, j, len);
        free(j);
        CHECK(r == 0);
        CHECKF(get_cmp(b, "obj2", "payload", 7, &same) == OBS_OK && same, "form %s", forms[k]);
    }

    /* a digest that does not parse: refused before anything is written */
    free(i2->digest);
    i2->digest = strdup("MD5=abc");
    j = obs_info_to_json(i2, false, &len);
    CHECK(j);
    r = pub(b, "$O.dm.M.b2JqMg==", ROLLUP, j, len);
    free(j);
    CHECK(r == 0);
    w = (mwriter){0};
    st = obs_get(b, "obj2", mwrite, &w, NULL, &E);
    size_t calls = w.calls;
    mw_free(&w);
    CHECK_ST(st, OBS_ERR_BAD_DIGEST_FORMAT);
    CHECK(calls == 0);
}

/* ---------------- list, delete, overwrite ---------------- */

typedef struct names {
    char list[16][32];
    bool deleted[16];
    size_t n;
} names;

static void collect(void *arg, const obs_info *i)
{
    names *n = arg;
    if (n->n < 16) {
        snprintf(n->list[n->n], sizeof n->list[0], "%s", i->name);
        n->deleted[n->n] = i->deleted;
        n->n++;
    }
}

static void test_list(void)
{
    obs *b = mk("ls");
    CHECK(b);
    names n = {0};
    size_t count = 99;
    CHECK_ST(obs_list(b, false, collect, &n, &count), OBS_ERR_NO_OBJECTS);
    CHECK(count == 0 && n.n == 0);
    CHECK_ST(obs_put_bytes(b, "a", "1", 1, NULL, &E), OBS_OK);
    CHECK_ST(obs_put_bytes(b, "b", "22", 2, NULL, &E), OBS_OK);
    CHECK_ST(obs_put_bytes(b, "c", "333", 3, NULL, &E), OBS_OK);
    CHECK_ST(obs_put_bytes(b, "a", "4444", 4, NULL, &E), OBS_OK); /* a moves last */
    CHECK_ST(obs_delete(b, "b", &E), OBS_OK);
    CHECK_ST(obs_list(b, false, collect, &n, &count), OBS_OK);
    CHECK(count == 2 && n.n == 2 && strcmp(n.list[0], "c") == 0 && strcmp(n.list[1], "a") == 0);
    memset(&n, 0, sizeof n);
    CHECK_ST(obs_list(b, true, collect, &n, &count), OBS_OK);
    CHECK(count == 3 && strcmp(n.list[0], "c") == 0 && strcmp(n.list[1], "a") == 0 &&
          strcmp(n.list[2], "b") == 0 && n.deleted[2] && !n.deleted[0]);
    /* only deleted objects: none to list */
    CHECK_ST(obs_delete(b, "a", &E), OBS_OK);
    CHECK_ST(obs_delete(b, "c", &E), OBS_OK);
    memset(&n, 0, sizeof n);
    CHECK_ST(obs_list(b, false, collect, &n, &count), OBS_ERR_NO_OBJECTS);
}

static void test_delete(void)
{
    obs *b = mk("del");
    CHECK(b);
    unsigned char *data = random_bytes(3 * CHUNK);
    CHECK(data);
    obs_info *i = info_slot();
    CHECK_ST(obs_put_bytes(b, "x", data, 3 * CHUNK, i, &E), OBS_OK);
    CHECK_ST(obs_put_bytes(b, "keep", "k", 1, NULL, &E), OBS_OK);
    CHECK(state_of(b).msgs == 3 + 1 + 2);
    CHECK_ST(obs_delete(b, "x", &E), OBS_OK);
    CHECK_ST(get_cmp(b, "x", NULL, 0, NULL), OBS_ERR_NOT_FOUND);
    obs_info *g = info_slot();
    CHECK_ST(obs_get_info(b, "x", false, g, &E), OBS_ERR_NOT_FOUND);
    CHECK_ST(obs_get_info(b, "x", true, g, &E), OBS_OK);
    CHECK(g->deleted && g->size == 0 && g->chunks == 0 && !g->digest &&
          strcmp(g->nuid, i->nuid) == 0);
    /* the chunks are gone: the meta of x (rolled up to the marker) and keep's two messages */
    char subj[64];
    snprintf(subj, sizeof subj, "$O.del.C.%s", i->nuid);
    CHECK(count_on(b, subj) == 0);
    CHECK(state_of(b).msgs == 1 + 2);
    /* deleting again publishes the marker again (nats.go); an unknown name is not found */
    CHECK_ST(obs_delete(b, "x", &E), OBS_OK);
    CHECK(state_of(b).msgs == 1 + 2);
    CHECK_ST(obs_delete(b, "never", &E), OBS_ERR_NOT_FOUND);
    CHECK_ST(obs_delete(b, NULL, &E), OBS_ERR_NAME_REQUIRED);
    /* the other object is intact, and a deleted name can be put again */
    bool same;
    CHECK_ST(get_cmp(b, "keep", "k", 1, &same), OBS_OK);
    CHECK(same);
    CHECK_ST(obs_put_bytes(b, "x", "back", 4, NULL, &E), OBS_OK);
    CHECK_ST(get_cmp(b, "x", "back", 4, &same), OBS_OK);
    CHECK(same);
}

static void test_overwrite_frees_old_chunks(void)
{
    obs *b = mk("ow");
    CHECK(b);
    unsigned char *d1 = random_bytes(3 * CHUNK);
    unsigned char *d2 = random_bytes(CHUNK + 7);
    CHECK(d1 && d2);
    obs_info *i1 = info_slot();
    CHECK_ST(obs_put_bytes(b, "obj", d1, 3 * CHUNK, i1, &E), OBS_OK);
    stream_state s1 = state_of(b);
    CHECK(s1.msgs == 4);
    obs_info *i2 = info_slot();
    CHECK_ST(obs_put_bytes(b, "obj", d2, CHUNK + 7, i2, &E), OBS_OK);
    CHECK(strcmp(i1->nuid, i2->nuid) != 0);
    /* exactly the new object's two chunks and one meta remain, to the byte */
    stream_state s2 = state_of(b);
    const size_t csubj = strlen("$O.ow.C.") + OBS_NUID_LEN;
    const size_t msubj = strlen("$O.ow.M.b2Jq");
    size_t len;
    char *j = obs_info_to_json(i2, false, &len);
    CHECK(j);
    free(j);
    uint64_t want = msg_bytes(csubj, 0, CHUNK) + msg_bytes(csubj, 0, 7) +
                    msg_bytes(msubj, strlen(ROLLUP), len);
    CHECKF(s2.msgs == 3 && s2.bytes == want, "msgs %" PRIu64 " bytes %" PRIu64 " want %" PRIu64,
           s2.msgs, s2.bytes, want);
    char subj[64];
    snprintf(subj, sizeof subj, "$O.ow.C.%s", i1->nuid);
    CHECK(count_on(b, subj) == 0);
    bool same;
    CHECK_ST(get_cmp(b, "obj", d2, CHUNK + 7, &same), OBS_OK);
    CHECK(same);
    /* a put over a deleted object leaves nothing of the old one either */
    CHECK_ST(obs_delete(b, "obj", &E), OBS_OK);
    CHECK_ST(obs_put_bytes(b, "obj", "z", 1, NULL, &E), OBS_OK);
    CHECK(state_of(b).msgs == 2);
}

/* ---------------- links ---------------- */

static void test_links(void)
{
    obs *a = mk("A");
    obs *o = mk("O");
    CHECK(a && o);
    unsigned char *data = random_bytes(CHUNK * 2 + 3);
    CHECK(data);
    obs_info *target = info_slot();
    CHECK_ST(obs_put_bytes(o, "target", data, CHUNK * 2 + 3, target, &E), OBS_OK);
    CHECK_ST(obs_put_bytes(a, "local", "loc", 3, NULL, &E), OBS_OK);

    /* a link to an object of another bucket */
    obs_info *l = info_slot();
    CHECK_ST(obs_add_link(a, "ln", target, l, &E), OBS_OK);
    CHECK(obs_info_is_link(l) && strcmp(l->link_bucket, "O") == 0 &&
          strcmp(l->link_name, "target") == 0 && strcmp(l->bucket, "A") == 0);
    CHECK(l->size == 0 && l->chunks == 0 && !l->digest && strlen(l->nuid) == OBS_NUID_LEN);
    stream_msg m;
    CHECK(stream_get_last(obs_stream(a), "$O.A.M.bG4=", &m, &E) == 0);
    char want[512];
    snprintf(want, sizeof want,
             "{\"name\":\"ln\",\"options\":{\"link\":{\"bucket\":\"O\",\"name\":\"target\"}},"
             "\"bucket\":\"A\",\"nuid\":\"%s\",\"size\":0,\"mtime\":\"0001-01-01T00:00:00Z\","
             "\"chunks\":0}",
             l->nuid);
    bool wire_ok = m.data_len == strlen(want) && memcmp(m.data, want, m.data_len) == 0 &&
                   m.hdr_len == strlen(ROLLUP);
    stream_msg_free(&m);
    CHECK(wire_ok);
    /* get through it: the target's bytes and info */
    mwriter w = {0};
    obs_info got = {0};
    obs_status st = obs_get(a, "ln", mwrite, &w, &got, &E);
    bool ok = w.len == CHUNK * 2 + 3 && memcmp(w.p, data, w.len) == 0 &&
              got.name && strcmp(got.name, "target") == 0 && strcmp(got.bucket, "O") == 0;
    mw_free(&w);
    obs_info_free(&got);
    CHECK_ST(st, OBS_OK);
    CHECK(ok);

    /* a link within the bucket */
    obs_info *loc = info_slot();
    CHECK_ST(obs_get_info(a, "local", false, loc, &E), OBS_OK);
    CHECK_ST(obs_add_link(a, "ln2", loc, NULL, &E), OBS_OK);
    bool same;
    CHECK_ST(get_cmp(a, "ln2", "loc", 3, &same), OBS_OK);
    CHECK(same);

    /* refusals */
    CHECK_ST(obs_add_link(a, "x", l, NULL, &E), OBS_ERR_LINK_TO_LINK);
    CHECK_ST(obs_add_link(a, "x", NULL, NULL, &E), OBS_ERR_OBJECT_REQUIRED);
    CHECK_ST(obs_add_link(a, "", target, NULL, &E), OBS_ERR_NAME_REQUIRED);
    CHECK_ST(obs_add_link(a, "local", target, NULL, &E), OBS_ERR_EXISTS);
    obs_info dead = {0};
    CHECK_ST(obs_put_bytes(o, "dead", "d", 1, NULL, &E), OBS_OK);
    CHECK_ST(obs_delete(o, "dead", &E), OBS_OK);
    CHECK_ST(obs_get_info(o, "dead", true, &dead, &E), OBS_OK);
    st = obs_add_link(a, "x", &dead, NULL, &E);
    obs_info_free(&dead);
    CHECK_ST(st, OBS_ERR_LINK_TO_DELETED);
    /* a link may replace a link and a deleted object */
    CHECK_ST(obs_add_link(a, "ln2", target, NULL, &E), OBS_OK);
    CHECK_ST(get_cmp(a, "ln2", data, CHUNK * 2 + 3, &same), OBS_OK);
    CHECK(same);
    CHECK_ST(obs_delete(a, "local", &E), OBS_OK);
    CHECK_ST(obs_add_link(a, "local", target, NULL, &E), OBS_OK);

    /* a bucket link: get refuses; unknown bucket refused */
    obs_info *bl = info_slot();
    CHECK_ST(obs_add_bucket_link(a, "bucket", "O", bl, &E), OBS_OK);
    CHECK(obs_info_is_link(bl) && strcmp(bl->link_bucket, "O") == 0 && !bl->link_name);
    CHECK_ST(get_cmp(a, "bucket", NULL, 0, NULL), OBS_ERR_LINK_IS_BUCKET);
    CHECK_ST(obs_add_bucket_link(a, "b2", "nope", NULL, &E), OBS_ERR_BUCKET_NOT_FOUND);
    CHECK_ST(obs_add_bucket_link(a, "b2", "a.b", NULL, &E), OBS_ERR_BAD_BUCKET);
    CHECK(stream_get_last(obs_stream(a), "$O.A.M.YnVja2V0", &m, &E) == 0);
    const char *bl_want = "{\"name\":\"bucket\",\"options\":{\"link\":{\"bucket\":\"O\"}},";
    ok = m.data_len > strlen(bl_want) && memcmp(m.data, bl_want, strlen(bl_want)) == 0;
    stream_msg_free(&m);
    CHECK(ok);

    /* the target deleted: the link's get is not found; a deleted link is not found */
    CHECK_ST(obs_delete(o, "target", &E), OBS_OK);
    CHECK_ST(get_cmp(a, "ln", NULL, 0, NULL), OBS_ERR_NOT_FOUND);
    CHECK_ST(obs_delete(a, "ln2", &E), OBS_OK);
    CHECK_ST(get_cmp(a, "ln2", NULL, 0, NULL), OBS_ERR_NOT_FOUND);
    /* a link whose bucket is gone */
    CHECK_ST(obs_bucket_delete(ST, "O", &E), OBS_OK);
    CHECK_ST(get_cmp(a, "local", NULL, 0, NULL), OBS_ERR_BUCKET_NOT_FOUND);
}

/* ---------------- watch ---------------- */

static obs_event wnext(obs_watch *w, obs_info *i)
{
    obs_event ev;
    if (obs_watch_next(w, i, &ev) != OBS_OK)
        return (obs_event)-1;
    return ev;
}

#define CHECK_WI(w, nm, del)                                                                    \
    do {                                                                                        \
        obs_info i_;                                                                            \
        obs_event ev_ = wnext((w), &i_);                                                        \
        bool ok_ = ev_ == OBS_EV_INFO && strcmp(i_.name, (nm)) == 0 && i_.deleted == (del);     \
        char got_[80];                                                                          \
        snprintf(got_, sizeof got_, "ev %d name %s deleted %d", (int)ev_,                       \
                 ev_ == OBS_EV_INFO ? i_.name : "-", (int)i_.deleted);                          \
        obs_info_free(&i_);                                                                     \
        CHECKF(ok_, "%s, want %s deleted %d", got_, (nm), (int)(del));                          \
    } while (0)

#define CHECK_WEV(w, want)                                                                      \
    do {                                                                                        \
        obs_info i_;                                                                            \
        obs_event ev_ = wnext((w), &i_);                                                        \
        obs_info_free(&i_);                                                                     \
        CHECKF(ev_ == (want), "event %d, want %d", (int)ev_, (int)(want));                      \
    } while (0)

static obs_watch *watch(obs *b, const obs_watch_options *o)
{
    obs_watch *w = NULL;
    if (obs_watch_open(b, o, &w) != OBS_OK)
        return NULL;
    return trackw(w);
}

static void test_watch(void)
{
    obs *b = mk("w");
    CHECK(b);
    /* empty bucket: the marker at once */
    obs_watch *w0 = watch(b, NULL);
    CHECK(w0);
    CHECK_WEV(w0, OBS_EV_INIT_DONE);
    CHECK_WEV(w0, OBS_EV_NONE);

    /* the first watch sees the changes live */
    CHECK_ST(obs_put_bytes(b, "a", "1", 1, NULL, &E), OBS_OK);
    CHECK_WI(w0, "a", false);
    CHECK_ST(obs_put_bytes(b, "b", "2", 1, NULL, &E), OBS_OK);
    CHECK_WI(w0, "b", false);
    CHECK_WEV(w0, OBS_EV_NONE);
    CHECK_ST(obs_put_bytes(b, "a", "3", 1, NULL, &E), OBS_OK);
    CHECK_ST(obs_delete(b, "b", &E), OBS_OK);
    /* changes read later: a meta message rolled up before the cursor reached it is not given */
    CHECK_WI(w0, "a", false);
    CHECK_WI(w0, "b", true);
    CHECK_WEV(w0, OBS_EV_NONE);

    /* default: the last meta of each object, then the marker, then live */
    obs_watch *w = watch(b, NULL);
    CHECK(w);
    CHECK_WI(w, "a", false);
    CHECK_WI(w, "b", true);
    CHECK_WEV(w, OBS_EV_INIT_DONE);
    CHECK_WEV(w, OBS_EV_NONE);
    obs_watch_options ig = {.ignore_deletes = true};
    obs_watch *wi = watch(b, &ig);
    obs_watch_options uo = {.updates_only = true};
    obs_watch *wu = watch(b, &uo);
    obs_watch_options hi = {.include_history = true};
    obs_watch *wh = watch(b, &hi);
    CHECK(wi && wu && wh);
    CHECK_WI(wi, "a", false);
    CHECK_WEV(wi, OBS_EV_INIT_DONE);
    CHECK_WEV(wu, OBS_EV_NONE);
    /* history: every meta message still stored (rollups leave one per object) */
    CHECK_WI(wh, "a", false);
    CHECK_WI(wh, "b", true);
    CHECK_WEV(wh, OBS_EV_INIT_DONE);

    /* a put and a delete are seen by all, deletes not by ignore_deletes */
    unsigned char *big = random_bytes(5 * CHUNK);
    CHECK(big);
    CHECK_ST(obs_put_bytes(b, "c", big, 5 * CHUNK, NULL, &E), OBS_OK);
    CHECK_ST(obs_delete(b, "a", &E), OBS_OK);
    CHECK_WI(w, "c", false);
    CHECK_WI(w, "a", true);
    CHECK_WEV(w, OBS_EV_NONE);
    CHECK_WI(wi, "c", false);
    CHECK_WEV(wi, OBS_EV_NONE);
    CHECK_WI(wu, "c", false);
    CHECK_WI(wu, "a", true);
    CHECK_WEV(wu, OBS_EV_NONE);
    CHECK_WI(wh, "c", false);
    CHECK_WI(wh, "a", true);
    CHECK_WEV(wh, OBS_EV_NONE);
    /* watch infos carry the message's time and sequence */
    CHECK_ST(obs_put_bytes(b, "d", "4", 1, NULL, &E), OBS_OK);
    obs_info i;
    CHECK(wnext(w, &i) == OBS_EV_INFO);
    bool ok = strcmp(i.name, "d") == 0 && i.revision == state_of(b).last_seq && i.mtime_ns == CLOCK_;
    obs_info_free(&i);
    CHECK(ok);
    /* the bucket deleted under the watch */
    CHECK_ST(obs_bucket_delete(ST, "w", &E), OBS_OK);
    obs_event ev;
    CHECK_ST(obs_watch_next(w, &i, &ev), OBS_ERR_BUCKET_NOT_FOUND);
}

/* ---------------- seal, limits, failures ---------------- */

static void test_seal(void)
{
    obs *b = mk("sealme");
    CHECK(b);
    CHECK_ST(obs_put_bytes(b, "a", "abc", 3, NULL, &E), OBS_OK);
    CHECK_ST(obs_seal(b, &E), OBS_OK);
    obs_bucket_status s;
    CHECK_ST(obs_get_status(b, &s), OBS_OK);
    CHECK(s.sealed);
    stream_state before = state_of(b);
    unsigned char *data = random_bytes(2 * CHUNK);
    CHECK(data);
    CHECK_ST(obs_put_bytes(b, "b", data, 2 * CHUNK, NULL, &E), OBS_ERR_SEALED);
    CHECK(E.err_code == 10109);
    CHECK_ST(obs_put_bytes(b, "a", "x", 1, NULL, &E), OBS_ERR_SEALED);
    CHECK_ST(obs_delete(b, "a", &E), OBS_ERR_SEALED);
    obs_info *i = info_slot();
    CHECK_ST(obs_get_info(b, "a", false, i, &E), OBS_OK);
    CHECK_ST(obs_add_link(b, "l", i, NULL, &E), OBS_ERR_SEALED);
    stream_state after = state_of(b);
    CHECK(after.msgs == before.msgs && after.bytes == before.bytes);
    bool same;
    CHECK_ST(get_cmp(b, "a", "abc", 3, &same), OBS_OK);
    CHECK(same);
}

static void test_limits_and_failures(void)
{
    obs_config c = {.bucket = "lim", .max_bytes = 4 * CHUNK};
    obs *b = mkb(&c);
    CHECK(b);
    CHECK_ST(obs_put_bytes(b, "small", "s", 1, NULL, &E), OBS_OK);
    stream_state before = state_of(b);
    unsigned char *data = random_bytes(6 * CHUNK);
    CHECK(data);
    /* discard new refuses a chunk: the partial chunks are purged */
    CHECK_ST(obs_put_bytes(b, "big", data, 6 * CHUNK, NULL, &E), OBS_ERR_LIMIT);
    CHECK(E.err_code == 10077);
    stream_state after = state_of(b);
    CHECK(after.msgs == before.msgs && after.bytes == before.bytes);
    obs_info *i = info_slot();
    CHECK_ST(obs_get_info(b, "big", true, i, &E), OBS_ERR_NOT_FOUND);

    /* a reader failing after two chunks: nothing changes, the old object stays */
    mreader r = {.p = data, .left = 3 * CHUNK, .fail_after = 2 * CHUNK};
    obs_meta m = {.name = "small"};
    CHECK_ST(obs_put(b, &m, mread, &r, NULL, &E), OBS_ERR_READ);
    after = state_of(b);
    CHECK(after.msgs == before.msgs && after.bytes == before.bytes);
    bool same;
    CHECK_ST(get_cmp(b, "small", "s", 1, &same), OBS_OK);
    CHECK(same);

    /* a writer that stops */
    CHECK_ST(obs_put_bytes(b, "three", data, 3 * CHUNK, NULL, &E), OBS_OK);
    mwriter w = {.stop_after = 2};
    obs_status st = obs_get(b, "three", mwrite, &w, NULL, &E);
    size_t calls = w.calls;
    mw_free(&w);
    CHECK_ST(st, OBS_ERR_WRITE);
    CHECK(calls == 2);
    CHECK_ST(obs_put(b, &m, NULL, NULL, NULL, &E), OBS_ERR_INVALID_ARG);
    CHECK_ST(obs_get(b, "three", NULL, NULL, NULL, &E), OBS_ERR_INVALID_ARG);
}

/* ---------------- meta updates ---------------- */

static void test_update_meta(void)
{
    obs *b = mk("um");
    CHECK(b);
    CHECK_ST(obs_put_bytes(b, "a", "data", 4, NULL, &E), OBS_OK);
    CHECK_ST(obs_put_bytes(b, "b", "other", 5, NULL, &E), OBS_OK);
    json_t *md = json_pack("{s:s}", "k", "v");
    obs_meta m = {.description = "described", .metadata = md};
    obs_status st = obs_update_meta(b, "a", &m, &E);
    json_decref(md);
    CHECK_ST(st, OBS_OK);
    obs_info *i = info_slot();
    CHECK_ST(obs_get_info(b, "a", false, i, &E), OBS_OK);
    CHECK(strcmp(i->description, "described") == 0 && i->size == 4 && i->chunk_size == CHUNK &&
          strcmp(json_string_value(json_object_get(i->metadata, "k")), "v") == 0);
    /* rename: onto a live object refused; to a free name moves the meta */
    obs_meta r = {.name = "b"};
    CHECK_ST(obs_update_meta(b, "a", &r, &E), OBS_ERR_EXISTS);
    r.name = "renamed";
    CHECK_ST(obs_update_meta(b, "a", &r, &E), OBS_OK);
    obs_info *g = info_slot();
    CHECK_ST(obs_get_info(b, "a", true, g, &E), OBS_ERR_NOT_FOUND);
    bool same;
    CHECK_ST(get_cmp(b, "renamed", "data", 4, &same), OBS_OK);
    CHECK(same);
    CHECK(count_on(b, "$O.um.M.YQ==") == 0);
    /* deleted or absent objects cannot be updated */
    CHECK_ST(obs_delete(b, "b", &E), OBS_OK);
    CHECK_ST(obs_update_meta(b, "b", &r, &E), OBS_ERR_UPDATE_DELETED);
    CHECK_ST(obs_update_meta(b, "zz", &r, &E), OBS_ERR_UPDATE_DELETED);
    /* renaming onto a deleted name is allowed */
    obs_meta r2 = {.name = "b"};
    CHECK_ST(obs_update_meta(b, "renamed", &r2, &E), OBS_OK);
    CHECK_ST(get_cmp(b, "b", "data", 4, &same), OBS_OK);
    CHECK(same);
}

/* ---------------- restart ---------------- */

static void test_restart(void)
{
    obs *b = mk("rs");
    obs *o = mk("rs2");
    CHECK(b && o);
    size_t len = 2 * MIB + 123;
    unsigned char *data = random_bytes(len);
    CHECK(data);
    obs_info *i = info_slot();
    CHECK_ST(obs_put_bytes(b, "big", data, len, i, &E), OBS_OK);
    char digest[64];
    snprintf(digest, sizeof digest, "%s", i->digest);
    json_t *hdr = json_pack("{s:[s]}", "H", "v");
    obs_meta m = {.name = "meta", .description = "dd", .headers = hdr};
    mreader r = {.p = (const unsigned char *)"xyz", .left = 3};
    obs_status st = obs_put(b, &m, mread, &r, NULL, &E);
    json_decref(hdr);
    CHECK_ST(st, OBS_OK);
    CHECK_ST(obs_put_bytes(b, "gone", "g", 1, NULL, &E), OBS_OK);
    CHECK_ST(obs_delete(b, "gone", &E), OBS_OK);
    CHECK_ST(obs_put_bytes(o, "t", "target", 6, NULL, &E), OBS_OK);
    obs_info *t = info_slot();
    CHECK_ST(obs_get_info(o, "t", false, t, &E), OBS_OK);
    CHECK_ST(obs_add_link(b, "link", t, NULL, &E), OBS_OK);
    CHECK_ST(obs_seal(o, &E), OBS_OK);
    stream_state before = state_of(b);

    reopen_store();
    b = openb("rs");
    o = openb("rs2");
    CHECK(b && o);
    stream_state after = state_of(b);
    CHECK(after.msgs == before.msgs && after.bytes == before.bytes &&
          after.last_seq == before.last_seq);
    bool same;
    CHECK_ST(get_cmp(b, "big", data, len, &same), OBS_OK);
    CHECK(same);
    obs_info *g = info_slot();
    CHECK_ST(obs_get_info(b, "big", false, g, &E), OBS_OK);
    CHECK(strcmp(g->digest, digest) == 0 && g->size == len);
    obs_info *mi = info_slot();
    CHECK_ST(obs_get_info(b, "meta", false, mi, &E), OBS_OK);
    CHECK(strcmp(mi->description, "dd") == 0 && json_object_get(mi->headers, "H"));
    CHECK_ST(get_cmp(b, "gone", NULL, 0, NULL), OBS_ERR_NOT_FOUND);
    CHECK_ST(get_cmp(b, "link", "target", 6, &same), OBS_OK);
    CHECK(same);
    names n = {0};
    size_t count;
    CHECK_ST(obs_list(b, false, collect, &n, &count), OBS_OK);
    CHECK(count == 3 && strcmp(n.list[0], "big") == 0 && strcmp(n.list[1], "meta") == 0 &&
          strcmp(n.list[2], "link") == 0);
    obs_bucket_status s;
    CHECK_ST(obs_get_status(o, &s), OBS_OK);
    CHECK(s.sealed);
    CHECK_ST(obs_put_bytes(o, "t2", "x", 1, NULL, &E), OBS_ERR_SEALED);
    /* puts go on after the restart */
    CHECK_ST(obs_put_bytes(b, "big", "small now", 9, NULL, &E), OBS_OK);
    CHECK(state_of(b).msgs == before.msgs - 17 + 1);
}

int main(void)
{
    if (sodium_init() < 0)
        return 2;
    T(test_names);
    T(test_bucket_config);
    T(test_status);
    T(test_sizes);
    T(test_10mib_random);
    T(test_info_fields);
    T(test_wire_messages);
    T(test_client_written_objects);
    T(test_digest_mismatch);
    T(test_list);
    T(test_delete);
    T(test_overwrite_frees_old_chunks);
    T(test_links);
    T(test_watch);
    T(test_seal);
    T(test_limits_and_failures);
    T(test_update_meta);
    T(test_restart);
    TESTLIB_EXIT();
}

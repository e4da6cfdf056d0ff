/*
 * test_stream_crypt.c — encryption at rest in the stream store (stream/stream_crypt.c): a store
 * written with a key reopens with it (every message, the state, the dedup window and the
 * per-subject index identical); a wrong key, no key, and a key on a store that already holds
 * unencrypted streams each fail store_open with a clear message; no payload, subject, header
 * or stream-definition bytes appear in any file of an encrypted store (WAL, table files,
 * MANIFEST, LOG: every file under the directory), while the same check on an unencrypted store
 * finds them, in both the WAL and a table file, so the search is shown to look in the right
 * places. Secure erase still works on sealed records; memory streams keep working under a key.
 *
 * Each case runs under its own mkdtemp directory that is removed afterwards.
 */
#include "stream/stream.h"
#include "test/testlib.h"

#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#define KEY "correct horse battery staple, but long and random in production"
#define WRONG_KEY "correct horse battery stapler"

/* Byte strings that must never be found in an encrypted store's files. */
#define PAYLOAD_MARK "PAYLOAD-4d1f8a-plaintext"
#define SUBJECT_MARK "SUBJECTMARK7c2e"
#define HEADER_MARK "HEADER-VALUE-93be51"
#define DESC_MARK "DESCRIPTION-MARK-0a6f"
#define NMSGS 300

static char DIR_[64];
static jserr E;
static int64_t T0; /* the first message's timestamp: now, so the dedup window covers them */

static void dir_new(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    T0 = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
    snprintf(DIR_, sizeof DIR_, "/tmp/weir-crypt-XXXXXX");
    if (!mkdtemp(DIR_)) {
        perror("mkdtemp");
        exit(2);
    }
}

static void dir_remove(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", DIR_);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", DIR_);
}

#define T(fn)             \
    do {                  \
        dir_new();        \
        RUN(fn);          \
        dir_remove();     \
    } while (0)

static char ERR[320];

static store *open_key(const char *key)
{
    store_options o = {.dir = DIR_, .sync_interval_ms = 120000, .key = key};
    ERR[0] = 0;
    return store_open(&o, ERR, sizeof ERR);
}

static stream *mk_in(store *st, const char *json)
{
    json_error_t je;
    json_t *j = json_loads(json, 0, &je);
    stream_config cfg;
    if (!j || stream_config_from_json(j, &cfg, &E) < 0) {
        fprintf(stderr, "bad test json: %s\n", json);
        exit(2);
    }
    json_decref(j);
    stream *s = NULL;
    int rc = store_stream_create(st, &cfg, &s, &E);
    stream_config_free(&cfg);
    return rc == 0 ? s : NULL;
}

static const char *STREAM_JSON =
    "{\"name\":\"VAULT\",\"subjects\":[\"vault." SUBJECT_MARK ".>\"],"
    "\"description\":\"" DESC_MARK "\",\"duplicate_window\":3600000000000}";

static void subject_of(int i, char *out, size_t cap)
{
    snprintf(out, cap, "vault." SUBJECT_MARK ".%d", i % 5);
}

static void payload_of(int i, char *out, size_t cap)
{
    snprintf(out, cap, PAYLOAD_MARK " number %d", i);
}

static void header_of(int i, char *out, size_t cap)
{
    snprintf(out, cap, "NATS/1.0\r\nX-Secret: " HEADER_MARK "\r\nNats-Msg-Id: id-%d\r\n\r\n", i);
}

/* Appends NMSGS recognisable messages (timestamps from T0 up, so none expires) and commits. */
static int fill(store *st, stream *s)
{
    for (int i = 0; i < NMSGS; i++) {
        char subj[64], data[64], hdr[128];
        subject_of(i, subj, sizeof subj);
        payload_of(i, data, sizeof data);
        header_of(i, hdr, sizeof hdr);
        stream_ack ack;
        if (stream_append(s, subj, strlen(subj), hdr, strlen(hdr), data, strlen(data),
                          T0 + i * 1000LL, &ack, &E) < 0 || ack.seq != (uint64_t)i + 1)
            return -1;
    }
    char err[256];
    return store_commit(st, err, sizeof err);
}

/* Message i at seq i + 1 has exactly its subject, header and payload. 0 or -1. */
static int check_msg(stream *s, int i)
{
    stream_msg m;
    if (stream_get(s, (uint64_t)i + 1, &m, &E) < 0)
        return -1;
    char subj[64], data[64], hdr[128];
    subject_of(i, subj, sizeof subj);
    payload_of(i, data, sizeof data);
    header_of(i, hdr, sizeof hdr);
    bool same = m.subject_len == strlen(subj) && memcmp(m.subject, subj, m.subject_len) == 0 &&
                m.hdr_len == strlen(hdr) && memcmp(m.hdr, hdr, m.hdr_len) == 0 &&
                m.data_len == strlen(data) && memcmp(m.data, data, m.data_len) == 0 &&
                m.ts_ns == T0 + i * 1000LL;
    stream_msg_free(&m);
    return same ? 0 : -1;
}

static bool state_equal(const stream_state *a, const stream_state *b)
{
    return a->msgs == b->msgs && a->bytes == b->bytes && a->first_seq == b->first_seq &&
           a->first_ts_ns == b->first_ts_ns && a->last_seq == b->last_seq &&
           a->last_ts_ns == b->last_ts_ns && a->num_subjects == b->num_subjects &&
           a->num_deleted == b->num_deleted;
}

/* ---------------- searching the files ---------------- */

#define NMARKS 4
static const char *const MARKS[NMARKS] = {PAYLOAD_MARK, SUBJECT_MARK, HEADER_MARK, DESC_MARK};

typedef struct scan_result {
    int files;              /* regular files looked at */
    int sst_files;          /* of which table files */
    int hits;               /* files holding at least one marker */
    int sst_hits;           /* table files holding one */
    int log_hits;           /* write-ahead logs (NNNNNN.log) holding one */
    int mark_files[NMARKS]; /* files holding each marker */
    char first[256];        /* the first file with a hit, and which marker */
} scan_result;

static scan_result SCAN;

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int scan_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    if (type != FTW_F)
        return 0;
    SCAN.files++;
    bool sst = ends_with(path, ".sst");
    SCAN.sst_files += sst;
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t cap = (size_t)sb->st_size + 1, n = 0;
    char *buf = malloc(cap);
    if (buf)
        n = fread(buf, 1, cap, f);
    fclose(f);
    const char *found = NULL;
    for (size_t i = 0; buf && i < NMARKS; i++) {
        if (memmem(buf, n, MARKS[i], strlen(MARKS[i]))) {
            SCAN.mark_files[i]++;
            if (!found)
                found = MARKS[i];
        }
    }
    free(buf);
    if (found) {
        if (!SCAN.hits++)
            snprintf(SCAN.first, sizeof SCAN.first, "%s holds %s", path, found);
        SCAN.sst_hits += sst;
        SCAN.log_hits += ends_with(path, ".log") && !strstr(path, "/LOG");
    }
    return 0;
}

static scan_result scan_dir(void)
{
    memset(&SCAN, 0, sizeof SCAN);
    nftw(DIR_, scan_one, 16, FTW_PHYS);
    return SCAN;
}

/* Writes the recognisable messages, erases one (an erasing delete compacts the record's range:
 * RocksDB flushes the memtable into a table file first, so the records are in both the WAL and
 * a .sst), closes, and scans every file. */
static int write_and_scan(const char *key, scan_result *out)
{
    store *st = open_key(key);
    if (!st)
        return -1;
    stream *s = mk_in(st, STREAM_JSON);
    int rc = s ? fill(st, s) : -1;
    if (rc == 0)
        rc = stream_delete_msg(s, 2, true, &E);
    store_close(st);
    *out = scan_dir();
    return rc;
}

/* ---------------- cases ---------------- */

static void reopen_with_the_same_key(void)
{
    store *st = open_key(KEY);
    CHECKF(st, "store_open: %s", ERR);
    stream *s = mk_in(st, STREAM_JSON);
    CHECK(s);
    CHECK(fill(st, s) == 0);
    CHECK(stream_delete_msg(s, 7, false, &E) == 0);
    stream_purge_req pr = {.filter = "vault." SUBJECT_MARK ".4", .keep = 10};
    uint64_t purged = 0;
    CHECK(stream_purge(s, &pr, &purged, &E) == 0 && purged == NMSGS / 5 - 10);
    stream_state before, after;
    stream_get_state(s, &before);
    uint64_t on3 = stream_count_matching(s, "vault.*.3", 0);
    store_close(st);

    st = open_key(KEY);
    CHECKF(st, "reopen with the same key: %s", ERR);
    s = store_stream_find(st, "VAULT");
    CHECK(s);
    CHECK(stream_get_config(s)->description &&
          strcmp(stream_get_config(s)->description, DESC_MARK) == 0);
    stream_get_state(s, &after);
    CHECK(state_equal(&before, &after));
    CHECK(after.msgs == NMSGS - 1 - purged && after.num_subjects == 5);
    CHECK(stream_count_matching(s, "vault.*.3", 0) == on3 && on3 == NMSGS / 5);
    int present = 0;
    for (int i = 0; i < NMSGS; i++) {
        bool gone = i == 6 || (i % 5 == 4 && i < NMSGS - 50);
        if (gone) {
            stream_msg m;
            CHECKF(stream_get(s, (uint64_t)i + 1, &m, &E) < 0, "message %d is back", i);
        } else {
            CHECKF(check_msg(s, i) == 0, "message %d differs after reopen", i);
            present++;
        }
    }
    CHECK((uint64_t)present == after.msgs);
    /* the last message on a subject and the next one after a sequence, through the index */
    stream_msg m;
    CHECK(stream_get_last(s, "vault." SUBJECT_MARK ".1", &m, &E) == 0 && m.seq == NMSGS - 3);
    stream_msg_free(&m);
    CHECK(stream_get_next(s, 7, "vault.*.1", &m, &E) == 0 && m.seq == 12); /* 7 was deleted */
    stream_msg_free(&m);
    /* the dedup window came back from the sealed headers */
    stream_ack ack;
    char hdr[128];
    header_of(10, hdr, sizeof hdr);
    CHECK(stream_append(s, "vault." SUBJECT_MARK ".0", strlen("vault." SUBJECT_MARK ".0"), hdr,
                        strlen(hdr), "x", 1, T0 + NMSGS * 1000LL, &ack, &E) == 0);
    CHECK(ack.duplicate && ack.seq == 11);
    store_close(st);
}

static void wrong_key_fails_clearly(void)
{
    store *st = open_key(KEY);
    CHECKF(st, "store_open: %s", ERR);
    stream *s = mk_in(st, STREAM_JSON);
    CHECK(s && fill(st, s) == 0);
    store_close(st);
    st = open_key(WRONG_KEY);
    CHECK(st == NULL);
    store_close(st);
    CHECKF(strstr(ERR, "encryption key does not match the one this store was written with"),
           "message: %s", ERR);
    /* the right key still works afterwards: nothing was changed by the failed open */
    st = open_key(KEY);
    CHECKF(st, "store_open after a wrong key: %s", ERR);
    s = store_stream_find(st, "VAULT");
    CHECK(s && check_msg(s, NMSGS - 1) == 0);
    store_close(st);
}

static void no_key_fails_clearly(void)
{
    store *st = open_key(KEY);
    CHECKF(st, "store_open: %s", ERR);
    store_close(st); /* even an empty store is encrypted once created with a key */
    CHECK(open_key(NULL) == NULL);
    CHECKF(strstr(ERR, "store is encrypted: configure jetstream.key"), "message: %s", ERR);
    CHECK(open_key("") == NULL); /* an empty key is no key */
    CHECKF(strstr(ERR, "store is encrypted"), "message: %s", ERR);
    st = open_key(KEY);
    CHECKF(st, "store_open: %s", ERR);
    CHECK(mk_in(st, STREAM_JSON) && fill(st, store_stream_find(st, "VAULT")) == 0);
    store_close(st);
    CHECK(open_key(NULL) == NULL);
    CHECKF(strstr(ERR, "store is encrypted: configure jetstream.key"), "message: %s", ERR);
}

static void key_on_unencrypted_streams_refused(void)
{
    store *st = open_key(NULL);
    CHECKF(st, "store_open: %s", ERR);
    stream *s = mk_in(st, STREAM_JSON);
    CHECK(s && fill(st, s) == 0);
    CHECK(mk_in(st, "{\"name\":\"MEM\",\"subjects\":[\"mem.>\"],\"storage\":\"memory\"}"));
    store_close(st);
    CHECK(open_key(KEY) == NULL);
    CHECKF(strstr(ERR, "store holds 2 unencrypted streams") &&
               strstr(ERR, "only be configured on a store without streams"),
           "message: %s", ERR);
    /* still readable without the key, unchanged */
    st = open_key(NULL);
    CHECKF(st, "store_open without key: %s", ERR);
    s = store_stream_find(st, "VAULT");
    CHECK(s && check_msg(s, 0) == 0 && check_msg(s, NMSGS - 1) == 0);
    /* once the streams are gone, a key may be configured */
    CHECK(store_stream_delete(st, s, &E) == 0);
    CHECK(store_stream_delete(st, store_stream_find(st, "MEM"), &E) == 0);
    store_close(st);
    st = open_key(KEY);
    CHECKF(st, "key on a store without streams: %s", ERR);
    store_close(st);
    CHECK(open_key(NULL) == NULL && strstr(ERR, "store is encrypted"));
}

static void no_plaintext_on_disk(void)
{
    scan_result r;
    CHECK(write_and_scan(KEY, &r) == 0);
    CHECKF(r.files > 3 && r.sst_files > 0, "%d files, %d table files: the records were not "
           "flushed to a table file", r.files, r.sst_files);
    CHECKF(r.hits == 0, "plaintext in an encrypted store: %s", r.first);
    /* and the store reads back after the erase */
    store *st = open_key(KEY);
    CHECKF(st, "store_open: %s", ERR);
    stream *s = store_stream_find(st, "VAULT");
    CHECK(s);
    stream_msg m;
    CHECK(stream_get(s, 2, &m, &E) < 0);
    CHECK(check_msg(s, 0) == 0 && check_msg(s, 2) == 0 && check_msg(s, NMSGS - 1) == 0);
    stream_state state;
    stream_get_state(s, &state);
    CHECK(state.msgs == NMSGS - 1 && state.num_deleted == 1);
    store_close(st);
}

/* The control: the same search on an unencrypted store finds every kind of marker, in the WAL
 * and in a table file. */
static void plaintext_found_without_key(void)
{
    scan_result r;
    CHECK(write_and_scan(NULL, &r) == 0);
    CHECKF(r.sst_hits > 0 && r.log_hits > 0, "hits: %d (%d .sst, %d .log): the search does not "
           "see what an unencrypted store writes", r.hits, r.sst_hits, r.log_hits);
    for (int i = 0; i < NMARKS; i++)
        CHECKF(r.mark_files[i] > 0, "%s not found in an unencrypted store", MARKS[i]);
}

static void memory_stream_under_a_key(void)
{
    store *st = open_key(KEY);
    CHECKF(st, "store_open: %s", ERR);
    stream *s = mk_in(st, "{\"name\":\"MEMV\",\"subjects\":[\"vault." SUBJECT_MARK ".>\"],"
                          "\"storage\":\"memory\",\"description\":\"" DESC_MARK "\"}");
    CHECK(s && fill(st, s) == 0);
    CHECK(check_msg(s, 0) == 0 && check_msg(s, NMSGS - 1) == 0);
    CHECK(stream_delete_msg(s, 5, true, &E) == 0);
    stream_state state;
    stream_get_state(s, &state);
    CHECK(state.msgs == NMSGS - 1);
    store_close(st);
    scan_result r = scan_dir();
    CHECKF(r.hits == 0, "plaintext of a memory stream's definition: %s", r.first);
    st = open_key(KEY);
    CHECKF(st, "store_open: %s", ERR);
    s = store_stream_find(st, "MEMV");
    CHECK(s); /* the definition comes back (sealed on disk), the messages do not */
    stream_get_state(s, &state);
    CHECK(state.msgs == 0);
    CHECK(strcmp(stream_get_config(s)->description, DESC_MARK) == 0);
    store_close(st);
}

int main(void)
{
    T(reopen_with_the_same_key);
    T(wrong_key_fails_clearly);
    T(no_key_fails_clearly);
    T(key_on_unencrypted_streams_refused);
    T(no_plaintext_on_disk);
    T(plaintext_found_without_key);
    T(memory_stream_under_a_key);
    TESTLIB_EXIT();
}

/*
 * stream.c — a stream's in-memory state and the primitives that keep it and storage in step:
 * accounting of stored messages, the per-subject index, the lists of pending changes (see
 * stream_internal.h), removal of one message, the dedup window and the TTL heap. Reads live in
 * stream_read.c, appends in stream_append.c, purges and expiry in stream_purge.c, rebuilding at
 * open in stream_load.c.
 */
#include "stream_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/subject.h"

stream *stream_new(store *st, store_db *db, rocksdb_column_family_handle_t *cf, const char *cf_name,
                   const stream_config *cfg)
{
    stream *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    if (stream_config_copy(&s->cfg, cfg) < 0 || !(s->cf_name = strdup(cf_name))) {
        stream_config_free(&s->cfg);
        free(s);
        return NULL;
    }
    s->st = st;
    s->db = db;
    s->cf = cf;
    strmap_init(&s->subjects);
    strmap_init(&s->dedup);
    s->track_seqs = cfg->max_msgs_per_subject > 0 && cfg->max_msgs_per_subject <= STREAM_TRACK_SEQS_MAX;
    uint64_t first = cfg->first_seq > 0 ? cfg->first_seq : 1;
    s->state.first_seq = first;
    s->state.last_seq = first - 1;
    s->first_ts_known = true;
    if (stream_apply_config(s) < 0 || stream_crypt_init(s) < 0) {
        s->cf = NULL; /* the caller keeps the column family on failure */
        stream_free(s);
        return NULL;
    }
    return s;
}

static subject_transform *compile(const json_t *cfg)
{
    return cfg ? subject_transform_new(json_string_value(json_object_get(cfg, "src")),
                                       json_string_value(json_object_get(cfg, "dest")))
               : NULL;
}

/* compression "s2" compresses the stream's table files with LZ4, RocksDB's fast codec (the
 * column families are created uncompressed, store.c). Records in the WAL and in memtables stay
 * as they are; files already written keep their codec until compaction rewrites them. */
static int apply_compression(stream *s)
{
    if (s->compressed == s->cfg.compress)
        return 0;
    const char *key = "compression";
    const char *value = s->cfg.compress ? "kLZ4Compression" : "kNoCompression";
    char *rerr = NULL;
    rocksdb_set_options_cf(s->db->db, s->cf, 1, &key, &value, &rerr);
    if (rerr) {
        rocksdb_free(rerr);
        return -1;
    }
    s->compressed = s->cfg.compress;
    return 0;
}

int stream_flush(stream *s, uint64_t *table_bytes)
{
    rocksdb_flushoptions_t *fo = rocksdb_flushoptions_create();
    rocksdb_flushoptions_set_wait(fo, 1);
    char *rerr = NULL;
    rocksdb_flush_cf(s->db->db, fo, s->cf, &rerr);
    rocksdb_flushoptions_destroy(fo);
    if (rerr) {
        rocksdb_free(rerr);
        return -1;
    }
    *table_bytes = 0;
    return rocksdb_property_int_cf(s->db->db, s->cf, "rocksdb.total-sst-files-size", table_bytes)
                   == 0
               ? 0
               : -1;
}

int stream_apply_config(stream *s)
{
    subject_transform_free(s->republish);
    subject_transform_free(s->input);
    s->republish = compile(s->cfg.republish);
    s->input = compile(s->cfg.subject_transform);
    if (stream_mirror_compile(s) < 0 || stream_sources_compile(s) < 0)
        return -1;
    return apply_compression(s);
}

long stream_input_subject(stream *s, const char *subject, size_t len, char *out, size_t cap)
{
    return s->input ? subject_transform_apply(s->input, subject, len, out, cap) : -1;
}

long stream_republish_subject(stream *s, const char *subject, size_t len, char *out, size_t cap)
{
    return s->republish ? subject_transform_apply(s->republish, subject, len, out, cap) : -1;
}

bool stream_republish_headers_only(const stream *s)
{
    return s->cfg.republish && json_is_true(json_object_get(s->cfg.republish, "headers_only"));
}

uint64_t stream_subject_last_seq(stream *s, const char *subject, size_t len)
{
    subj_entry *e = strmap_get(&s->subjects, subject, len);
    return e ? stream_subject_last(s, e) : 0;
}

/* A subject's sequence list, unless it is the entry's own one-entry room. */
static void seqs_free(subj_entry *e)
{
    if (e->seqs != &e->one)
        free(e->seqs);
}

static void subjects_clear(stream *s)
{
    for (size_t i = 0; i < s->subjects.cap; i++) {
        subj_entry *e = s->subjects.slots[i].key ? s->subjects.slots[i].value : NULL;
        if (e) {
            seqs_free(e);
            free(e);
        }
    }
    strmap_free(&s->subjects);
    strmap_init(&s->subjects);
}

void stream_dedup_clear(stream *s)
{
    for (size_t i = 0; i < s->dedup.cap; i++)
        if (s->dedup.slots[i].key)
            free(s->dedup.slots[i].value);
    strmap_free(&s->dedup);
    strmap_init(&s->dedup);
    for (size_t i = 0; i < s->fifo_len; i++)
        free(s->fifo[(s->fifo_head + i) % s->fifo_cap].id);
    free(s->fifo);
    s->fifo = NULL;
    s->fifo_head = s->fifo_len = s->fifo_cap = 0;
}

void stream_free(stream *s)
{
    if (!s)
        return;
    subjects_clear(s);
    stream_dedup_clear(s);
    free(s->last_msg_id);
    free(s->ttl);
    free(s->pending);
    free(s->pend_del);
    if (s->head_it)
        rocksdb_iter_destroy(s->head_it);
    if (s->read_it)
        rocksdb_iter_destroy(s->read_it);
    subject_transform_free(s->republish);
    subject_transform_free(s->input);
    stream_feed_release(&s->mirror);
    stream_sources_release(s);
    if (s->cf)
        rocksdb_column_family_handle_destroy(s->cf);
    free(s->cf_name);
    seal_key_free(s->seal);
    stream_config_free(&s->cfg);
    free(s);
}

const char *stream_name(const stream *s)
{
    return s->cfg.name;
}

int64_t stream_created_ns(const stream *s)
{
    return s->created_ns;
}

const stream_config *stream_get_config(const stream *s)
{
    return &s->cfg;
}

uint64_t stream_msg_size(const stream *s, size_t subject_len, size_t hdr_len, size_t data_len)
{
    if (s->cfg.storage == STREAM_STORAGE_MEMORY)
        return subject_len + hdr_len + data_len + 16;
    /* nats-server's file store record: length, sequence, timestamp, subject length, subject,
     * [header length, header], payload, hash */
    return 22 + subject_len + (hdr_len ? 4 + hdr_len : 0) + data_len + 8;
}

/* ---------------- pending changes ---------------- */

static pending_msg *pending_find(stream *s, uint64_t seq)
{
    size_t lo = 0, hi = s->npending;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->pending[mid].seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < s->npending && s->pending[lo].seq == seq && !s->pending[lo].removed)
        return &s->pending[lo];
    return NULL;
}

static void pending_push(stream *s, uint64_t seq, subj_entry *e, uint64_t size, int64_t ts)
{
    if (s->npending == s->pending_cap) {
        size_t cap = s->pending_cap ? s->pending_cap * 2 : 64;
        pending_msg *n = realloc(s->pending, cap * sizeof *n);
        if (!n)
            abort(); /* state and batch must stay in step */
        s->pending = n;
        s->pending_cap = cap;
    }
    s->pending[s->npending++] = (pending_msg){seq, e, size, ts, false};
}

static size_t pend_del_pos(const stream *s, uint64_t seq)
{
    size_t lo = 0, hi = s->npend_del;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->pend_del[mid] < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

bool stream_is_pend_del(const stream *s, uint64_t seq)
{
    if (s->npend_del == 0 || seq > s->pend_del[s->npend_del - 1] || seq < s->pend_del[0])
        return false;
    size_t i = pend_del_pos(s, seq);
    return i < s->npend_del && s->pend_del[i] == seq;
}

static void pend_del_add(stream *s, uint64_t seq)
{
    if (s->npend_del == s->pend_del_cap) {
        size_t cap = s->pend_del_cap ? s->pend_del_cap * 2 : 64;
        uint64_t *n = realloc(s->pend_del, cap * sizeof *n);
        if (!n)
            abort();
        s->pend_del = n;
        s->pend_del_cap = cap;
    }
    size_t i = s->npend_del && seq < s->pend_del[s->npend_del - 1] ? pend_del_pos(s, seq) : s->npend_del;
    memmove(s->pend_del + i + 1, s->pend_del + i, (s->npend_del - i) * sizeof *s->pend_del);
    s->pend_del[i] = seq;
    s->npend_del++;
}

/* Runs at least this long of consecutive deleted sequences (trimming under a limit) go as one
 * range delete: far cheaper for RocksDB's memtable than one delete per record. */
#define RANGE_DELETE_MIN 32

void stream_flush_deletes(stream *s)
{
    uint8_t key[RECORD_KEY_SIZE], end[RECORD_KEY_SIZE];
    stream_cf_written(s);
    for (size_t i = 0; i < s->npend_del;) {
        size_t j = i + 1;
        while (j < s->npend_del && s->pend_del[j] == s->pend_del[j - 1] + 1)
            j++;
        if (j - i >= RANGE_DELETE_MIN) {
            record_key(s->pend_del[i], key);
            record_key(s->pend_del[j - 1] + 1, end);
            rocksdb_writebatch_delete_range_cf(s->db->batch, s->cf, (const char *)key, sizeof key,
                                               (const char *)end, sizeof end);
        } else {
            for (size_t k = i; k < j; k++) {
                record_key(s->pend_del[k], key);
                rocksdb_writebatch_delete_cf(s->db->batch, s->cf, (const char *)key, sizeof key);
            }
        }
        i = j;
    }
    for (size_t i = 0; i < s->npending; i++) {
        if (s->pending[i].removed) {
            record_key(s->pending[i].seq, key);
            rocksdb_writebatch_delete_cf(s->db->batch, s->cf, (const char *)key, sizeof key);
        }
    }
}

void stream_clear_pending(stream *s)
{
    s->npending = 0;
    s->npend_del = 0;
    s->head_removals = 0;
    if (s->cf_written && s->read_it) {
        rocksdb_iter_destroy(s->read_it);
        s->read_it = NULL;
        s->read_at = 0;
    }
    s->cf_written = false;
    if (s->head_it) {
        rocksdb_iter_destroy(s->head_it);
        s->head_it = NULL;
    }
}

/* ---------------- per-subject index ---------------- */

subj_entry *stream_subject_get(stream *s, const char *subject, size_t len, bool create)
{
    subj_entry *e = strmap_get(&s->subjects, subject, len);
    if (!e && create) {
        e = calloc(1, sizeof *e);
        if (!e || strmap_put(&s->subjects, subject, len, e) < 0)
            abort(); /* the index must stay exact; without memory we cannot continue */
        e->subject = strmap_stored_key(&s->subjects, subject, len);
        e->subject_len = len;
    }
    return e;
}

static void seqs_push(subj_entry *e, uint64_t seq, uint64_t size)
{
    if (e->seqs_cap == 0) {
        e->seqs = &e->one;
        e->seqs_cap = 1;
    } else if (e->nseqs == e->seqs_cap) {
        size_t cap = e->seqs_cap < 4 ? 4 : e->seqs_cap * 2;
        subj_seq *n = e->seqs == &e->one ? malloc(cap * sizeof *n)
                                         : realloc(e->seqs, cap * sizeof *n);
        if (!n)
            abort();
        if (e->seqs == &e->one)
            n[0] = e->one;
        e->seqs = n;
        e->seqs_cap = cap;
    }
    size_t i = e->nseqs;
    while (i > 0 && e->seqs[i - 1].seq > seq) {
        e->seqs[i] = e->seqs[i - 1];
        i--;
    }
    e->seqs[i] = (subj_seq){seq, size};
    e->nseqs++;
}

static void seqs_remove(subj_entry *e, uint64_t seq)
{
    size_t lo = 0, hi = e->nseqs;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (e->seqs[mid].seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < e->nseqs && e->seqs[lo].seq == seq) {
        memmove(e->seqs + lo, e->seqs + lo + 1, (e->nseqs - lo - 1) * sizeof *e->seqs);
        e->nseqs--;
    }
}

subj_entry *stream_account_add(stream *s, uint64_t seq, const char *subject, size_t subject_len,
                               uint64_t size, int64_t ts_ns)
{
    subj_entry *e = stream_subject_get(s, subject, subject_len, true);
    if (e->count == 0 || seq < e->first) {
        e->first = seq;
        e->first_stale = false;
    }
    if (e->count == 0 || seq > e->last) {
        e->last = seq;
        e->last_stale = false;
    }
    e->count++;
    if (s->track_seqs)
        seqs_push(e, seq, size);
    if (s->state.msgs == 0 || seq < s->state.first_seq) {
        s->state.first_seq = seq;
        s->state.first_ts_ns = ts_ns;
        s->first_ts_known = true;
    }
    if (seq >= s->state.last_seq) {
        s->state.last_seq = seq;
        s->state.last_ts_ns = ts_ns;
    }
    s->state.msgs++;
    s->state.bytes += size;
    return e;
}

subj_entry *stream_store_record(stream *s, uint64_t seq, const record_view *r)
{
    stream_record_put(s, seq, r);
    uint64_t size = stream_msg_size(s, r->subject_len, r->hdr_len, r->data_len);
    subj_entry *e = stream_account_add(s, seq, r->subject, r->subject_len, size, r->ts_ns);
    pending_push(s, seq, e, size, r->ts_ns);
    stream_notify(s, STREAM_EV_APPEND, seq, r->subject, r->subject_len);
    return e;
}

/* Takes one message out of the counts and the per-subject index (not out of storage, and
 * without moving first_seq). */
static void account_remove(stream *s, uint64_t seq, subj_entry *e, uint64_t size)
{
    s->state.msgs--;
    s->state.bytes -= size;
    if (!e)
        return;
    stream_notify(s, STREAM_EV_REMOVE, seq, e->subject, e->subject_len);
    e->count--;
    if (e->count == 0) {
        seqs_free(e);
        strmap_remove(&s->subjects, e->subject, e->subject_len); /* frees e->subject */
        free(e);
        return;
    }
    if (s->track_seqs) {
        seqs_remove(e, seq);
        if (e->nseqs) {
            e->first = e->seqs[0].seq;
            e->last = e->seqs[e->nseqs - 1].seq;
            e->first_stale = e->last_stale = false;
        }
        return;
    }
    if (seq == e->first)
        e->first_stale = true;
    if (seq == e->last)
        e->last_stale = true;
}

/* first_seq after the message at seq (the first one) went. */
static void advance_first(stream *s, uint64_t seq)
{
    if (s->state.msgs == 0) {
        s->state.first_seq = s->state.last_seq + 1;
        s->state.first_ts_ns = 0;
        s->first_ts_known = true;
        return;
    }
    if (s->state.msgs == s->state.last_seq - seq) {
        /* no gaps after seq: the next one is simply seq + 1 */
        s->state.first_seq = seq + 1;
        pending_msg *p = pending_find(s, seq + 1);
        s->first_ts_known = p != NULL;
        s->state.first_ts_ns = p ? p->ts_ns : 0;
        return;
    }
    msg_info m;
    if (stream_peek_from(s, seq + 1, &m) == 0) {
        s->state.first_seq = m.seq;
        s->state.first_ts_ns = m.ts_ns;
        s->first_ts_known = true;
    } else { /* cannot happen while the counts are exact */
        s->state.first_seq = seq + 1;
        s->first_ts_known = false;
    }
}

/* The record's delete goes into the batch at commit (stream_flush_deletes). */
static void remove_accounted(stream *s, uint64_t seq, subj_entry *e, uint64_t size, bool committed)
{
    s->db->pending = true;
    if (committed)
        pend_del_add(s, seq);
    account_remove(s, seq, e, size);
    if (s->state.msgs == 0 || seq == s->state.first_seq)
        advance_first(s, seq);
}

void stream_account_remove(stream *s, const msg_info *m)
{
    account_remove(s, m->seq, strmap_get(&s->subjects, m->subject, m->subject_len), m->size);
}

void stream_remove_known(stream *s, const msg_info *m)
{
    subj_entry *e = strmap_get(&s->subjects, m->subject, m->subject_len);
    remove_accounted(s, m->seq, e, m->size, true);
}

/* Removes the committed record at seq through the head iterator; false when it is not there
 * (then the caller reads it the ordinary way). */
static bool remove_via_head(stream *s, uint64_t seq)
{
    uint8_t key[RECORD_KEY_SIZE];
    if (!s->head_it) {
        s->head_it = rocksdb_create_iterator_cf(s->db->db, s->st->ropts, s->cf);
        record_key(seq, key);
        rocksdb_iter_seek(s->head_it, (const char *)key, sizeof key);
    }
    for (int steps = 0; rocksdb_iter_valid(s->head_it); steps++) {
        size_t klen;
        const char *k = rocksdb_iter_key(s->head_it, &klen);
        uint64_t at = record_key_seq(k, klen);
        if (!at || at > seq)
            return false;
        if (at == seq)
            break;
        if (steps == 8) { /* far behind: jump */
            record_key(seq, key);
            rocksdb_iter_seek(s->head_it, (const char *)key, sizeof key);
        } else {
            rocksdb_iter_next(s->head_it);
        }
    }
    if (!rocksdb_iter_valid(s->head_it))
        return false;
    size_t vlen;
    const char *v = rocksdb_iter_value(s->head_it, &vlen);
    record_view r;
    msg_info m;
    rec_buf b = {0};
    bool ok = stream_decode_info(s, seq, v, vlen, &b, &r, &m) == 0;
    if (ok)
        stream_remove_known(s, &m);
    rec_buf_free(&b);
    return ok;
}

/* known: the message's subject entry and size from the index (NULL: read them). */
static int remove_seq(stream *s, uint64_t seq, subj_entry *known, uint64_t known_size)
{
    if (s->state.msgs == 0 || seq < s->state.first_seq || seq > s->state.last_seq)
        return -1;
    pending_msg *p = pending_find(s, seq);
    if (p) {
        p->removed = true;
        remove_accounted(s, seq, p->subj, p->size, false);
        return 0;
    }
    if (stream_is_pend_del(s, seq))
        return -1;
    if (known) {
        remove_accounted(s, seq, known, known_size, true);
        return 0;
    }
    /* the head iterator pays off from the second removal of a batch on (trimming under a limit
     * in a burst); a single removal per commit (a KV put replacing a revision) reads the record
     * with a point lookup instead of building an iterator for it */
    if (seq == s->state.first_seq && (s->head_it || s->head_removals++ > 0) &&
        remove_via_head(s, seq))
        return 0;
    stream_msg m;
    if (stream_read(s, seq, &m) < 0)
        return -1;
    msg_info info = {.seq = seq, .subject = m.subject, .subject_len = m.subject_len,
                     .size = stream_msg_size(s, m.subject_len, m.hdr_len, m.data_len)};
    stream_remove_known(s, &info);
    stream_msg_free(&m);
    return 0;
}

int stream_remove_seq(stream *s, uint64_t seq)
{
    return remove_seq(s, seq, NULL, 0);
}

int stream_remove_indexed(stream *s, uint64_t seq, subj_entry *e, uint64_t size)
{
    return remove_seq(s, seq, e, size);
}

int stream_remove_subject_first(stream *s, subj_entry *e)
{
    if (s->track_seqs && e->nseqs)
        return remove_seq(s, e->seqs[0].seq, e, e->seqs[0].size);
    uint64_t first = stream_subject_first(s, e);
    return first ? stream_remove_seq(s, first) : -1;
}

void stream_notify(stream *s, stream_event ev, uint64_t seq, const char *subject, size_t len)
{
    if (s->st->listener)
        s->st->listener(s->st->listener_arg, s, ev, seq, subject, len);
}

void store_set_listener(store *st, stream_listener_fn fn, void *arg)
{
    st->listener = fn;
    st->listener_arg = arg;
}

void stream_reset_index(stream *s)
{
    stream_notify(s, STREAM_EV_RESET, 0, NULL, 0);
    subjects_clear(s);
    s->state.msgs = 0;
    s->state.bytes = 0;
    s->state.first_seq = s->state.last_seq + 1;
    s->state.first_ts_ns = 0;
    s->first_ts_known = true;
}

int stream_rebuild_index(stream *s)
{
    if (store_make_readable(s->st) < 0)
        return -1;
    uint64_t last = s->state.last_seq;
    int64_t last_ts = s->state.last_ts_ns;
    stream_reset_index(s);
    rocksdb_iterator_t *it = rocksdb_create_iterator_cf(s->db->db, s->st->ropts, s->cf);
    rec_buf b = {0};
    for (rocksdb_iter_seek_to_first(it); rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
        size_t klen, vlen;
        const char *k = rocksdb_iter_key(it, &klen);
        uint64_t seq = record_key_seq(k, klen);
        const char *v = rocksdb_iter_value(it, &vlen);
        record_view r;
        msg_info m;
        if (!seq || stream_decode_info(s, seq, v, vlen, &b, &r, &m) < 0)
            continue;
        stream_account_add(s, seq, r.subject, r.subject_len, m.size, r.ts_ns);
    }
    rec_buf_free(&b);
    rocksdb_iter_destroy(it);
    if (last >= s->state.last_seq) {
        s->state.last_seq = last;
        s->state.last_ts_ns = last_ts;
    }
    if (s->state.msgs == 0)
        s->state.first_seq = s->state.last_seq + 1;
    return 0;
}

/* ---------------- subject first / last ---------------- */

/* Scans committed records from `from` up (or down) for the subject; then the pending appends. */
static uint64_t scan_subject(stream *s, subj_entry *e, uint64_t from, bool forward)
{
    if (!forward) {
        /* pending appends are newer than every committed record */
        for (size_t i = s->npending; i-- > 0;)
            if (!s->pending[i].removed && s->pending[i].subj == e && s->pending[i].seq <= from)
                return s->pending[i].seq;
    }
    rocksdb_iterator_t *it = rocksdb_create_iterator_cf(s->db->db, s->st->ropts, s->cf);
    uint8_t key[RECORD_KEY_SIZE];
    record_key(from, key);
    if (forward)
        rocksdb_iter_seek(it, (const char *)key, sizeof key);
    else
        rocksdb_iter_seek_for_prev(it, (const char *)key, sizeof key);
    uint64_t found = 0;
    rec_buf b = {0};
    for (; rocksdb_iter_valid(it); forward ? rocksdb_iter_next(it) : rocksdb_iter_prev(it)) {
        size_t klen, vlen;
        const char *k = rocksdb_iter_key(it, &klen);
        uint64_t seq = record_key_seq(k, klen);
        if (!seq)
            break;
        if (stream_is_pend_del(s, seq))
            continue;
        const char *v = rocksdb_iter_value(it, &vlen);
        record_view r;
        if (stream_record_open(s, seq, v, vlen, &b, false, &r) == 0 &&
            r.subject_len == e->subject_len && memcmp(r.subject, e->subject, e->subject_len) == 0) {
            found = seq;
            break;
        }
    }
    rec_buf_free(&b);
    rocksdb_iter_destroy(it);
    if (!found && forward) {
        for (size_t i = 0; i < s->npending; i++)
            if (!s->pending[i].removed && s->pending[i].subj == e && s->pending[i].seq >= from)
                return s->pending[i].seq;
    }
    return found;
}

uint64_t stream_subject_first(stream *s, subj_entry *e)
{
    if (!e->first_stale)
        return e->first;
    uint64_t seq = scan_subject(s, e, e->first, true);
    if (seq) {
        e->first = seq;
        e->first_stale = false;
    }
    return seq;
}

uint64_t stream_subject_last(stream *s, subj_entry *e)
{
    if (!e->last_stale)
        return e->last;
    uint64_t seq = scan_subject(s, e, e->last, false);
    if (seq) {
        e->last = seq;
        e->last_stale = false;
    }
    return seq;
}

/* ---------------- dedup window ---------------- */

void stream_dedup_add(stream *s, const char *id, size_t len, uint64_t seq, int64_t ts_ns)
{
    if (s->cfg.duplicate_window_ns <= 0)
        return;
    if (s->fifo_len == s->fifo_cap) {
        size_t cap = s->fifo_cap ? s->fifo_cap * 2 : 64;
        dedup_fifo_item *n = malloc(cap * sizeof *n);
        if (!n)
            return;
        for (size_t i = 0; i < s->fifo_len; i++)
            n[i] = s->fifo[(s->fifo_head + i) % s->fifo_cap];
        free(s->fifo);
        s->fifo = n;
        s->fifo_cap = cap;
        s->fifo_head = 0;
    }
    char *copy = malloc(len + 1);
    dedup_entry *d = strmap_get(&s->dedup, id, len);
    bool fresh = d == NULL;
    if (fresh)
        d = malloc(sizeof *d);
    if (!copy || !d || (fresh && strmap_put(&s->dedup, id, len, d) < 0)) {
        free(copy);
        if (fresh)
            free(d);
        return;
    }
    d->seq = seq;
    d->ts_ns = ts_ns;
    memcpy(copy, id, len);
    copy[len] = 0;
    s->fifo[(s->fifo_head + s->fifo_len) % s->fifo_cap] = (dedup_fifo_item){copy, len, ts_ns};
    s->fifo_len++;
}

/* Forgets ids whose age reached the window (nats-server's purgeMsgIds: now - ts >= window). */
void stream_dedup_expire(stream *s, int64_t now_ns)
{
    int64_t window = s->cfg.duplicate_window_ns;
    while (s->fifo_len > 0) {
        dedup_fifo_item *it = &s->fifo[s->fifo_head];
        if (window > 0 && now_ns - it->ts_ns < window)
            break;
        dedup_entry *d = strmap_get(&s->dedup, it->id, it->len);
        if (d && d->ts_ns == it->ts_ns) {
            strmap_remove(&s->dedup, it->id, it->len);
            free(d);
        }
        free(it->id);
        s->fifo_head = (s->fifo_head + 1) % s->fifo_cap;
        s->fifo_len--;
    }
}

void stream_set_last_msg_id(stream *s, const char *id, size_t len)
{
    free(s->last_msg_id);
    s->last_msg_id = NULL;
    if (id && len) {
        s->last_msg_id = malloc(len + 1);
        if (s->last_msg_id) {
            memcpy(s->last_msg_id, id, len);
            s->last_msg_id[len] = 0;
        }
    }
}

/* ---------------- TTL heap ---------------- */

void stream_ttl_push(stream *s, int64_t expires_ns, uint64_t seq)
{
    if (s->nttl == s->ttl_cap) {
        size_t cap = s->ttl_cap ? s->ttl_cap * 2 : 64;
        ttl_item *n = realloc(s->ttl, cap * sizeof *n);
        if (!n)
            abort();
        s->ttl = n;
        s->ttl_cap = cap;
    }
    size_t i = s->nttl++;
    s->ttl[i] = (ttl_item){expires_ns, seq};
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (s->ttl[parent].expires_ns <= s->ttl[i].expires_ns)
            break;
        ttl_item t = s->ttl[parent];
        s->ttl[parent] = s->ttl[i];
        s->ttl[i] = t;
        i = parent;
    }
}

void stream_ttl_pop(stream *s)
{
    s->ttl[0] = s->ttl[--s->nttl];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < s->nttl && s->ttl[l].expires_ns < s->ttl[m].expires_ns)
            m = l;
        if (r < s->nttl && s->ttl[r].expires_ns < s->ttl[m].expires_ns)
            m = r;
        if (m == i)
            break;
        ttl_item t = s->ttl[m];
        s->ttl[m] = s->ttl[i];
        s->ttl[i] = t;
        i = m;
    }
}

/* ---------------- sequence state ---------------- */

void stream_save_seq_state(stream *s)
{
    if (s->cfg.storage == STREAM_STORAGE_MEMORY)
        return; /* a memory stream starts afresh with the server */
    char key[300];
    int n = snprintf(key, sizeof key, META_SEQSTATE_PREFIX "%s", s->cfg.name);
    uint8_t val[32];
    uint64_t v[4] = {s->state.first_seq, s->state.last_seq, (uint64_t)s->state.last_ts_ns,
                     (uint64_t)s->created_ns};
    for (int f = 0; f < 4; f++)
        for (int i = 0; i < 8; i++)
            val[8 * f + i] = (uint8_t)(v[f] >> (56 - 8 * i));
    /* in the file database's batch, with the records it describes */
    rocksdb_writebatch_put_cf(s->st->file.batch, s->st->file.cf_meta, key, (size_t)n,
                              (const char *)val, sizeof val);
    s->st->file.pending = true;
}

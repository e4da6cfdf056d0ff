/*
 * stream_read.c — reading a stream: by sequence, first at or after a sequence (filtered by
 * subject), last by subject, by time, counts and per-subject totals, and the stream state.
 * Committed records are read straight from the database, skipping those deleted in the pending
 * batch; a read that needs an append still in the batch commits first (see
 * stream_internal.h).
 */
#include "stream_internal.h"

#include <stdlib.h>
#include <string.h>

#include "proto/subject.h"

void stream_msg_free(stream_msg *m)
{
    if (m && m->owned) {
        free(m->owned);
        m->owned = NULL;
    }
}

/* The msg_info of a decoded record. */
static void record_info(const stream *s, uint64_t seq, const record_view *r, msg_info *out)
{
    out->seq = seq;
    out->subject = r->subject;
    out->subject_len = r->subject_len;
    out->size = stream_msg_size(s, r->subject_len, r->hdr_len, r->data_len);
    out->ts_ns = r->ts_ns;
    out->ttl_ns = r->ttl_ns;
}

int stream_decode_info(const stream *s, uint64_t seq, const char *val, size_t vlen, rec_buf *b,
                       record_view *r, msg_info *out)
{
    if (stream_record_open(s, seq, val, vlen, b, false, r) < 0)
        return -1;
    record_info(s, seq, r, out);
    return 0;
}

/* A message from a record opened into b with copy (out takes b's buffer). */
static void fill_msg(uint64_t seq, const record_view *r, rec_buf *b, stream_msg *out)
{
    out->seq = seq;
    out->ts_ns = r->ts_ns;
    out->subject = r->subject;
    out->subject_len = r->subject_len;
    out->hdr = r->hdr;
    out->hdr_len = r->hdr_len;
    out->data = r->data;
    out->data_len = r->data_len;
    out->owned = b->p;
    b->p = NULL;
    b->cap = 0;
}

static bool pending_live(const stream *s, uint64_t seq)
{
    size_t lo = 0, hi = s->npending;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->pending[mid].seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->npending && s->pending[lo].seq == seq && !s->pending[lo].removed;
}

/* The first pending append at or after seq that was not removed, or NULL. */
static const pending_msg *pending_from(const stream *s, uint64_t seq)
{
    size_t lo = 0, hi = s->npending;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->pending[mid].seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < s->npending; lo++)
        if (!s->pending[lo].removed)
            return &s->pending[lo];
    return NULL;
}

static int db_get(stream *s, uint64_t seq, stream_msg *out)
{
    uint8_t key[RECORD_KEY_SIZE];
    record_key(seq, key);
    char *rerr = NULL;
    rocksdb_pinnableslice_t *ps =
        rocksdb_get_pinned_cf(s->db->db, s->st->ropts, s->cf, (const char *)key, sizeof key, &rerr);
    if (rerr) {
        rocksdb_free(rerr);
        return -1;
    }
    if (!ps)
        return -1;
    size_t vlen;
    const char *val = rocksdb_pinnableslice_value(ps, &vlen);
    rec_buf b = {0};
    record_view r;
    int rc = stream_record_open(s, seq, val, vlen, &b, true, &r);
    if (rc == 0)
        fill_msg(seq, &r, &b, out);
    rec_buf_free(&b);
    rocksdb_pinnableslice_destroy(ps);
    return rc;
}

/* The first committed record at or after seq not deleted in the batch: copied into out when
 * out is not NULL, its sequence and timestamp into *info. 0 or -1 (none). */
/* The stream's read iterator positioned on the first record at or after seq: a few steps
 * forward when it already sits just before seq (a consumer reading in order), else a seek. */
static rocksdb_iterator_t *read_iter(stream *s, uint64_t seq)
{
    if (!s->read_it) {
        s->read_it = rocksdb_create_iterator_cf(s->db->db, s->st->ropts, s->cf);
        s->read_at = 0;
    }
    rocksdb_iterator_t *it = s->read_it;
    if (s->read_at && s->read_at <= seq && seq - s->read_at <= 8 && rocksdb_iter_valid(it)) {
        for (int steps = 0; steps <= 8 && rocksdb_iter_valid(it); steps++) {
            size_t klen;
            const char *k = rocksdb_iter_key(it, &klen);
            uint64_t at = record_key_seq(k, klen);
            if (!at || at >= seq)
                return it;
            rocksdb_iter_next(it);
        }
        if (!rocksdb_iter_valid(it))
            return it;
    }
    uint8_t key[RECORD_KEY_SIZE];
    record_key(seq, key);
    rocksdb_iter_seek(it, (const char *)key, sizeof key);
    return it;
}

static int db_first_from(stream *s, uint64_t seq, stream_msg *out, msg_info *info)
{
    rocksdb_iterator_t *it = read_iter(s, seq);
    s->read_at = 0; /* until it is known where it stopped */
    int rc = -1;
    rec_buf b = {0};
    for (; rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
        size_t klen, vlen;
        const char *k = rocksdb_iter_key(it, &klen);
        uint64_t found = record_key_seq(k, klen);
        if (!found)
            break;
        if (stream_is_pend_del(s, found))
            continue;
        const char *v = rocksdb_iter_value(it, &vlen);
        record_view r;
        if (stream_record_open(s, found, v, vlen, &b, out != NULL, &r) < 0)
            continue;
        record_info(s, found, &r, info);
        info->subject = NULL; /* points into the iterator or b */
        if (out)
            fill_msg(found, &r, &b, out);
        s->read_at = found;
        rc = 0;
        break;
    }
    rec_buf_free(&b);
    return rc;
}

int stream_read(stream *s, uint64_t seq, stream_msg *out)
{
    memset(out, 0, sizeof *out);
    if (s->state.msgs == 0 || seq < s->state.first_seq || seq > s->state.last_seq)
        return -1;
    if (pending_live(s, seq)) {
        if (store_make_readable(s->st) < 0)
            return -1;
    } else if (stream_is_pend_del(s, seq)) {
        return -1;
    }
    return db_get(s, seq, out);
}

/* The first message at or after seq; content copied into out when not NULL. */
static int locate(stream *s, uint64_t seq, stream_msg *out, msg_info *info)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (s->state.msgs == 0 || seq > s->state.last_seq)
        return -1;
    if (seq < s->state.first_seq)
        seq = s->state.first_seq;
    if (db_first_from(s, seq, out, info) == 0)
        return 0;
    /* every pending append is newer than every committed record */
    const pending_msg *p = pending_from(s, seq);
    if (!p)
        return -1;
    if (!out) {
        info->seq = p->seq;
        info->ts_ns = p->ts_ns;
        info->size = p->size;
        info->subject = NULL;
        return 0;
    }
    if (store_make_readable(s->st) < 0)
        return -1;
    return db_first_from(s, seq, out, info);
}

int stream_read_from(stream *s, uint64_t seq, stream_msg *out)
{
    msg_info info;
    return locate(s, seq, out, &info);
}

int stream_peek_from(stream *s, uint64_t seq, msg_info *out)
{
    return locate(s, seq, NULL, out);
}

void stream_load_first_ts(stream *s)
{
    if (!s->first_ts_known && s->state.msgs > 0) {
        msg_info m;
        if (stream_peek_from(s, s->state.first_seq, &m) == 0 && m.seq == s->state.first_seq) {
            s->state.first_ts_ns = m.ts_ns;
            s->first_ts_known = true;
        }
    }
}

void stream_get_state(const stream *cs, stream_state *out)
{
    stream *s = (stream *)cs; /* the first timestamp is read lazily; logically const */
    stream_load_first_ts(s);
    *out = s->state;
    out->num_subjects = s->subjects.count;
    out->num_deleted = 0;
    if (s->state.msgs > 0)
        out->num_deleted = s->state.last_seq - s->state.first_seq + 1 - s->state.msgs;
    else
        out->first_ts_ns = 0;
}

int stream_get(stream *s, uint64_t seq, stream_msg *out, jserr *err)
{
    if (stream_read(s, seq, out) < 0) {
        jserr_set(err, JSERR_NO_MESSAGE_FOUND, NULL);
        return -1;
    }
    return 0;
}

static bool filter_is_all(const char *filter)
{
    return !filter || !*filter || strcmp(filter, ">") == 0;
}

int stream_get_next(stream *s, uint64_t seq, const char *filter, stream_msg *out, jserr *err)
{
    memset(out, 0, sizeof *out);
    if (seq < s->state.first_seq)
        seq = s->state.first_seq;
    bool all = filter_is_all(filter);
    size_t flen = all ? 0 : strlen(filter);
    if (!all && !subject_has_wildcard(filter, flen)) {
        /* a literal subject: the index says where it starts and ends */
        subj_entry *e = strmap_get(&s->subjects, filter, flen);
        if (!e || seq > stream_subject_last(s, e)) {
            jserr_set(err, JSERR_NO_MESSAGE_FOUND, NULL);
            return -1;
        }
        if (!e->first_stale || e->first >= seq) {
            uint64_t first = stream_subject_first(s, e);
            if (seq < first)
                seq = first;
        }
    }
    while (stream_read_from(s, seq, out) == 0) {
        if (all || subject_matches(filter, flen, out->subject, out->subject_len))
            return 0;
        seq = out->seq + 1;
        stream_msg_free(out);
    }
    jserr_set(err, JSERR_NO_MESSAGE_FOUND, NULL);
    return -1;
}

int stream_get_last(stream *s, const char *subject, stream_msg *out, jserr *err)
{
    memset(out, 0, sizeof *out);
    size_t len = subject ? strlen(subject) : 0;
    uint64_t best = 0;
    if (filter_is_all(subject)) {
        if (s->state.msgs > 0)
            best = s->state.last_seq;
        /* the last sequence may have been deleted: the newest subject's last */
        if (best && stream_read(s, best, out) == 0)
            return 0;
        best = 0;
        for (size_t i = 0; i < s->subjects.cap; i++) {
            strmap_entry *me = &s->subjects.slots[i];
            if (me->key) {
                uint64_t l = stream_subject_last(s, me->value);
                if (l > best)
                    best = l;
            }
        }
    } else if (!subject_has_wildcard(subject, len)) {
        subj_entry *e = strmap_get(&s->subjects, subject, len);
        if (e)
            best = stream_subject_last(s, e);
    } else {
        for (size_t i = 0; i < s->subjects.cap; i++) {
            strmap_entry *me = &s->subjects.slots[i];
            if (!me->key || !subject_matches(subject, len, me->key, me->klen))
                continue;
            uint64_t l = stream_subject_last(s, me->value);
            if (l > best)
                best = l;
        }
    }
    if (best == 0 || stream_read(s, best, out) < 0) {
        jserr_set(err, JSERR_NO_MESSAGE_FOUND, NULL);
        return -1;
    }
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

long stream_last_seqs(stream *s, const char *filter, uint64_t **out)
{
    *out = NULL;
    bool all = filter_is_all(filter);
    size_t flen = all ? 0 : strlen(filter);
    if (!all && !subject_has_wildcard(filter, flen)) {
        subj_entry *e = strmap_get(&s->subjects, filter, flen);
        uint64_t l = e ? stream_subject_last(s, e) : 0;
        if (!l)
            return 0;
        if (!(*out = malloc(sizeof **out)))
            return -1;
        **out = l;
        return 1;
    }
    size_t n = 0, cap = 0;
    uint64_t *v = NULL;
    for (size_t i = 0; i < s->subjects.cap; i++) {
        strmap_entry *me = &s->subjects.slots[i];
        if (!me->key || (!all && !subject_matches(filter, flen, me->key, me->klen)))
            continue;
        uint64_t l = stream_subject_last(s, me->value);
        if (!l)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            uint64_t *nv = realloc(v, cap * sizeof *nv);
            if (!nv) {
                free(v);
                return -1;
            }
            v = nv;
        }
        v[n++] = l;
    }
    if (n > 1)
        qsort(v, n, sizeof *v, cmp_u64);
    *out = v;
    return (long)n;
}

uint64_t stream_seq_for_time(stream *s, int64_t ts_ns)
{
    /* timestamps grow with sequences: binary search over the sequence range */
    uint64_t lo = s->state.first_seq, hi = s->state.last_seq + 1;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        msg_info m;
        if (stream_peek_from(s, mid, &m) < 0) {
            hi = mid;
            continue;
        }
        if (m.ts_ns >= ts_ns)
            hi = mid;
        else
            lo = m.seq + 1;
    }
    return lo;
}

uint64_t stream_count_matching(stream *s, const char *filter, uint64_t from_seq)
{
    bool all = filter_is_all(filter);
    size_t flen = all ? 0 : strlen(filter);
    if (from_seq <= s->state.first_seq) {
        if (all)
            return s->state.msgs;
        if (!subject_has_wildcard(filter, flen)) {
            subj_entry *e = strmap_get(&s->subjects, filter, flen);
            return e ? e->count : 0;
        }
        uint64_t n = 0;
        for (size_t i = 0; i < s->subjects.cap; i++) {
            strmap_entry *me = &s->subjects.slots[i];
            if (me->key && subject_matches(filter, flen, me->key, me->klen))
                n += ((subj_entry *)me->value)->count;
        }
        return n;
    }
    uint64_t n = 0;
    stream_msg m;
    uint64_t seq = from_seq;
    while (stream_read_from(s, seq, &m) == 0) {
        if (all || subject_matches(filter, flen, m.subject, m.subject_len))
            n++;
        seq = m.seq + 1;
        stream_msg_free(&m);
    }
    return n;
}

void stream_subject_totals(stream *s, const char *filter,
                           void (*fn)(const char *subject, size_t len, uint64_t count, void *arg),
                           void *arg)
{
    bool all = filter_is_all(filter);
    size_t flen = all ? 0 : strlen(filter);
    for (size_t i = 0; i < s->subjects.cap; i++) {
        strmap_entry *me = &s->subjects.slots[i];
        if (me->key && (all || subject_matches(filter, flen, me->key, me->klen)))
            fn(me->key, me->klen, ((subj_entry *)me->value)->count, arg);
    }
}

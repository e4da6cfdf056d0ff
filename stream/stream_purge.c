/*
 * stream_purge.c — removing messages on request and by time: delete one message (with secure
 * erase), purge all / by subject filter / below a sequence / keeping the newest N (ADR-10, with
 * nats-server's PurgeEx semantics: `keep` counts the filter's messages as a whole), and the
 * expiry of max_age and per-message TTLs.
 *
 * Purges of everything, or of everything below a sequence, use one range delete and are
 * committed at once; filtered purges delete record by record through the pending batch.
 */
#include "stream_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/subject.h"

/* After an erasing delete, compaction of the record's key range makes RocksDB rewrite the
 * files that held it, so the old bytes do not stay in the table files. */
static void erase_compact(stream *s, uint64_t seq)
{
    uint8_t from[RECORD_KEY_SIZE], to[RECORD_KEY_SIZE];
    record_key(seq, from);
    record_key(seq + 1, to);
    rocksdb_compact_range_cf(s->db->db, s->cf, (const char *)from, sizeof from, (const char *)to,
                             sizeof to);
}

/* The error nats-server's stores give for a sequence that is not there. */
static void not_found(stream *s, uint64_t seq, jserr *err)
{
    char buf[32];
    if (s->cfg.storage == STREAM_STORAGE_FILE && (seq == 0 || seq > s->state.last_seq)) {
        jserr_set(err, JSERR_STREAM_MSG_DELETE_FAILED, "err",
                  seq == 0 ? "no message found" : "stream store EOF", NULL);
    } else if (s->cfg.storage == STREAM_STORAGE_FILE &&
               (s->state.msgs == 0 || seq < s->state.first_seq)) {
        jserr_set(err, JSERR_STREAM_MSG_DELETE_FAILED, "err", "no message found", NULL);
    } else {
        snprintf(buf, sizeof buf, "%" PRIu64, seq);
        jserr_set(err, JSERR_SEQUENCE_NOT_FOUND, "seq", buf, NULL);
    }
}

int stream_delete_msg(stream *s, uint64_t seq, bool erase, jserr *err)
{
    if (s->cfg.sealed) {
        jserr_set(err, JSERR_STREAM_SEALED, NULL);
        return -1;
    }
    if (s->cfg.deny_delete) {
        jserr_set(err, JSERR_STREAM_MSG_DELETE_FAILED, "err", "message delete not permitted", NULL);
        return -1;
    }
    if (s->st->werr) {
        jserr_set(err, JSERR_STREAM_MSG_DELETE_FAILED, "err", s->st->werr, NULL);
        return -1;
    }
    if (stream_remove_seq(s, seq) < 0) {
        not_found(s, seq, err);
        return -1;
    }
    stream_save_seq_state(s);
    if (erase) {
        char why[256];
        if (store_commit(s->st, why, sizeof why) < 0) {
            jserr_set(err, JSERR_STREAM_MSG_DELETE_FAILED, "err", why, NULL);
            return -1;
        }
        erase_compact(s, seq);
    }
    return 0;
}

int stream_retire_msg(stream *s, uint64_t seq)
{
    if (s->st->werr || stream_remove_seq(s, seq) < 0)
        return -1;
    stream_save_seq_state(s);
    return 0;
}

static int commit_now(stream *s, char *why, size_t whylen)
{
    return store_commit(s->st, why, whylen);
}

/* Everything goes; with fseq beyond the end, the next message gets sequence fseq. */
static int purge_all(stream *s, uint64_t fseq, uint64_t *purged, char *why, size_t whylen)
{
    *purged = s->state.msgs;
    uint8_t from[RECORD_KEY_SIZE];
    const char to[1] = {RECORD_KEY_PREFIX + 1};
    record_key(0, from);
    stream_cf_written(s);
    stream_cf_written(s);
    rocksdb_writebatch_delete_range_cf(s->db->batch, s->cf, (const char *)from, sizeof from, to,
                                       sizeof to);
    s->db->pending = true;
    for (size_t i = 0; i < s->npending; i++)
        s->pending[i].removed = true;
    stream_reset_index(s);
    if (fseq > s->state.last_seq + 1) {
        s->state.last_seq = fseq - 1;
        s->state.first_seq = fseq;
    }
    stream_save_seq_state(s);
    return commit_now(s, why, whylen);
}

/* Everything below seq (first_seq < seq <= last_seq): one range delete, the index updated from
 * the records it covers. */
static int purge_below(stream *s, uint64_t seq, uint64_t *purged, char *why, size_t whylen)
{
    if (commit_now(s, why, whylen) < 0)
        return -1;
    uint64_t n = 0;
    rocksdb_iterator_t *it = rocksdb_create_iterator_cf(s->db->db, s->st->ropts, s->cf);
    uint8_t from[RECORD_KEY_SIZE], to[RECORD_KEY_SIZE];
    record_key(s->state.first_seq, from);
    record_key(seq, to);
    rec_buf b = {0};
    for (rocksdb_iter_seek(it, (const char *)from, sizeof from); rocksdb_iter_valid(it);
         rocksdb_iter_next(it)) {
        size_t klen, vlen;
        const char *k = rocksdb_iter_key(it, &klen);
        uint64_t at = record_key_seq(k, klen);
        if (!at || at >= seq)
            break;
        const char *v = rocksdb_iter_value(it, &vlen);
        record_view r;
        msg_info m;
        if (stream_decode_info(s, at, v, vlen, &b, &r, &m) < 0)
            continue;
        stream_account_remove(s, &m);
        n++;
    }
    rec_buf_free(&b);
    rocksdb_iter_destroy(it);
    rocksdb_writebatch_delete_range_cf(s->db->batch, s->cf, (const char *)from, sizeof from,
                                       (const char *)to, sizeof to);
    s->db->pending = true;
    *purged = n;
    int rc = commit_now(s, why, whylen);
    if (s->state.msgs == 0) {
        s->state.first_seq = s->state.last_seq + 1;
        s->state.first_ts_ns = 0;
        s->first_ts_known = true;
    } else {
        msg_info m;
        if (stream_peek_from(s, seq, &m) == 0) {
            s->state.first_seq = m.seq;
            s->state.first_ts_ns = m.ts_ns;
            s->first_ts_known = true;
        }
    }
    stream_save_seq_state(s);
    return rc;
}

/* Messages matching filter with sequence <= hi, oldest first, at most maxp of them (0 = all). */
static int purge_filtered(stream *s, const char *filter, uint64_t hi, uint64_t keep,
                          uint64_t *purged, char *why, size_t whylen)
{
    bool all = strcmp(filter, ">") == 0;
    size_t flen = strlen(filter);
    uint64_t total = 0, lo = UINT64_MAX, top = 0;
    subj_entry *lit = NULL;
    if (all) {
        total = s->state.msgs;
        lo = s->state.first_seq;
        top = s->state.last_seq;
    } else if (!subject_has_wildcard(filter, flen)) {
        lit = strmap_get(&s->subjects, filter, flen);
        if (lit) {
            total = lit->count;
            lo = lit->first; /* lower and upper bounds even when stale */
            top = lit->last;
        }
    } else {
        for (size_t i = 0; i < s->subjects.cap; i++) {
            strmap_entry *me = &s->subjects.slots[i];
            if (!me->key || !subject_matches(filter, flen, me->key, me->klen))
                continue;
            subj_entry *e = me->value;
            total += e->count;
            if (e->first < lo)
                lo = e->first;
            if (e->last > top)
                top = e->last;
        }
    }
    if (total == 0 || (keep && keep >= total))
        return 0;
    uint64_t maxp = keep ? total - keep : 0;
    if (hi > top)
        hi = top;
    uint64_t n = 0;
    if (lit && s->track_seqs) {
        /* the index knows the subject's sequences */
        size_t nl = 0;
        subj_seq *l = malloc(lit->nseqs * sizeof *l);
        if (!l)
            return snprintf(why, whylen, "out of memory"), -1;
        for (size_t i = 0; i < lit->nseqs && lit->seqs[i].seq <= hi && (!maxp || nl < maxp); i++)
            l[nl++] = lit->seqs[i];
        /* lit lives until its last message goes, which is the list's last removal at most */
        for (size_t i = 0; i < nl; i++)
            if (stream_remove_indexed(s, l[i].seq, lit, l[i].size) == 0)
                n++;
        free(l);
        *purged = n;
        return 0;
    }
    if (store_make_readable(s->st) < 0)
        return snprintf(why, whylen, "%s", s->st->werr ? s->st->werr : "write failed"), -1;
    rocksdb_iterator_t *it = rocksdb_create_iterator_cf(s->db->db, s->st->ropts, s->cf);
    uint8_t from[RECORD_KEY_SIZE];
    record_key(lo, from);
    rec_buf b = {0};
    for (rocksdb_iter_seek(it, (const char *)from, sizeof from); rocksdb_iter_valid(it);
         rocksdb_iter_next(it)) {
        size_t klen, vlen;
        const char *k = rocksdb_iter_key(it, &klen);
        uint64_t at = record_key_seq(k, klen);
        if (!at || at > hi)
            break;
        const char *v = rocksdb_iter_value(it, &vlen);
        record_view r;
        msg_info m;
        if (stream_is_pend_del(s, at) || stream_decode_info(s, at, v, vlen, &b, &r, &m) < 0 ||
            !subject_matches(filter, flen, r.subject, r.subject_len))
            continue;
        stream_remove_known(s, &m);
        if (++n == maxp)
            break;
    }
    rec_buf_free(&b);
    rocksdb_iter_destroy(it);
    *purged = n;
    return 0;
}

int stream_purge_apply(stream *s, const stream_purge_req *req, uint64_t *purged, char *why,
                       size_t whylen)
{
    *purged = 0;
    if (s->st->werr)
        return snprintf(why, whylen, "%s", s->st->werr), -1;
    if (req->seq == 1)
        return 0; /* "below 1" is nothing */
    bool all = !req->filter || !*req->filter || strcmp(req->filter, ">") == 0;
    int rc;
    if (all && !req->keep && !req->seq) {
        rc = purge_all(s, 0, purged, why, whylen);
    } else if (all && req->seq > 1) {
        if (req->seq > s->state.last_seq)
            rc = purge_all(s, req->seq, purged, why, whylen);
        else if (req->seq <= s->state.first_seq || s->state.msgs == 0)
            rc = 0;
        else
            rc = purge_below(s, req->seq, purged, why, whylen);
    } else {
        rc = purge_filtered(s, all ? ">" : req->filter, req->seq ? req->seq - 1 : UINT64_MAX,
                            req->keep, purged, why, whylen);
        stream_save_seq_state(s);
    }
    return rc;
}

int stream_purge(stream *s, const stream_purge_req *req, uint64_t *purged, jserr *err)
{
    *purged = 0;
    if (s->cfg.sealed) {
        jserr_set(err, JSERR_STREAM_SEALED, NULL);
        return -1;
    }
    if (s->cfg.deny_purge) {
        jserr_set(err, JSERR_STREAM_PURGE_FAILED, "err", "stream purge not permitted", NULL);
        return -1;
    }
    if (req->seq && req->keep) {
        jserr_set(err, JSERR_BAD_REQUEST, NULL);
        return -1;
    }
    char why[256];
    if (stream_purge_apply(s, req, purged, why, sizeof why) < 0) {
        jserr_set(err, JSERR_STREAM_GENERAL_ERROR, "err", why, NULL);
        return -1;
    }
    return 0;
}

/* ---------------- expiry ---------------- */

/* Go's time.Duration text for whole seconds ("5s", "1m0s", "1h0m0s"), as nats-server writes the
 * Nats-TTL of a subject delete marker. */
static void go_seconds(int64_t secs, char *out, size_t cap)
{
    int64_t h = secs / 3600, m = secs % 3600 / 60, sec = secs % 60;
    if (h)
        snprintf(out, cap, "%lldh%lldm%llds", (long long)h, (long long)m, (long long)sec);
    else if (m)
        snprintf(out, cap, "%lldm%llds", (long long)m, (long long)sec);
    else
        snprintf(out, cap, "%llds", (long long)sec);
}

/* Expires one message. With subject delete markers (ADR-43), when it is the last message of its
 * subject and not itself a marker, a marker takes its place: a message on the same subject with
 * Nats-Marker-Reason: MaxAge, a Nats-TTL of subject_delete_marker_ttl and Nats-Rollup: sub, so
 * that watchers (KV) learn the key is gone. Returns 0 when the message was removed. */
static int expire_one(stream *s, const msg_info *m, const char *hdr, size_t hdr_len,
                      int64_t now_ns)
{
    int64_t sdm = s->cfg.subject_delete_marker_ttl_ns / 1000000000LL;
    subj_entry *e = sdm > 0 ? strmap_get(&s->subjects, m->subject, m->subject_len) : NULL;
    nats_slice reason;
    bool is_marker = hdr_len && nats_header_find(hdr, hdr_len, "Nats-Marker-Reason", &reason) &&
                     reason.len > 0;
    bool place_marker = e && e->count == 1 && !is_marker;
    char subject[1024];
    size_t slen = m->subject_len < sizeof subject ? m->subject_len : sizeof subject;
    memcpy(subject, m->subject, slen); /* m->subject may point into the index entry removed now */
    stream_remove_known(s, m);
    if (!place_marker)
        return 0;
    char ttl[32], block[160];
    go_seconds(sdm, ttl, sizeof ttl);
    int n = snprintf(block, sizeof block,
                     "NATS/1.0\r\nNats-Marker-Reason: MaxAge\r\nNats-TTL: %s\r\n"
                     "Nats-Rollup: sub\r\n\r\n",
                     ttl);
    stream_ack ack;
    jserr err;
    s->appending_marker = true;
    stream_append(s, subject, slen, block, (size_t)n, NULL, 0, now_ns, &ack, &err);
    s->appending_marker = false;
    return 0;
}

/* max_age: the oldest messages go, except those whose Nats-TTL says "never". */
static int64_t expire_age(stream *s, int64_t now_ns, bool *changed)
{
    int64_t age = s->cfg.max_age_ns;
    if (s->state.msgs == 0)
        return INT64_MAX;
    stream_load_first_ts(s);
    if (s->first_ts_known && s->state.first_ts_ns > now_ns - age)
        return s->state.first_ts_ns + age;
    if (store_make_readable(s->st) < 0)
        return INT64_MAX;
    int64_t next = INT64_MAX;
    rocksdb_iterator_t *it = rocksdb_create_iterator_cf(s->db->db, s->st->ropts, s->cf);
    uint8_t from[RECORD_KEY_SIZE];
    record_key(s->state.first_seq, from);
    rec_buf b = {0};
    for (rocksdb_iter_seek(it, (const char *)from, sizeof from); rocksdb_iter_valid(it);
         rocksdb_iter_next(it)) {
        size_t klen, vlen;
        const char *k = rocksdb_iter_key(it, &klen);
        uint64_t at = record_key_seq(k, klen);
        if (!at)
            break;
        const char *v = rocksdb_iter_value(it, &vlen);
        record_view r;
        msg_info m;
        if (stream_is_pend_del(s, at) || stream_decode_info(s, at, v, vlen, &b, &r, &m) < 0)
            continue;
        if (m.ts_ns > now_ns - age) {
            next = m.ts_ns + age;
            break;
        }
        if (m.ttl_ns < 0)
            continue; /* never expires */
        expire_one(s, &m, r.hdr, r.hdr_len, now_ns);
        *changed = true;
    }
    rec_buf_free(&b);
    rocksdb_iter_destroy(it);
    return next;
}

int64_t stream_expire(stream *s, int64_t now_ns)
{
    int64_t next = INT64_MAX;
    bool changed = false;
    while (s->nttl > 0 && s->ttl[0].expires_ns <= now_ns) {
        uint64_t seq = s->ttl[0].seq;
        stream_ttl_pop(s);
        if (s->cfg.subject_delete_marker_ttl_ns <= 0) {
            if (stream_remove_seq(s, seq) == 0)
                changed = true;
            continue;
        }
        stream_msg sm;
        if (stream_read(s, seq, &sm) < 0)
            continue; /* already gone */
        msg_info mi = {
            .seq = seq,
            .subject = sm.subject,
            .subject_len = sm.subject_len,
            .size = stream_msg_size(s, sm.subject_len, sm.hdr_len, sm.data_len),
            .ts_ns = sm.ts_ns,
        };
        expire_one(s, &mi, sm.hdr, sm.hdr_len, now_ns);
        stream_msg_free(&sm);
        changed = true;
    }
    if (s->nttl > 0)
        next = s->ttl[0].expires_ns;
    if (s->cfg.max_age_ns > 0) {
        int64_t n = expire_age(s, now_ns, &changed);
        if (n < next)
            next = n;
    }
    stream_dedup_expire(s, now_ns);
    if (changed)
        stream_save_seq_state(s);
    return next;
}

int64_t store_expire(store *st, int64_t now_ns)
{
    int64_t next = INT64_MAX;
    for (size_t i = 0; i < st->nstreams; i++) {
        int64_t n = stream_expire(st->streams[i], now_ns);
        if (n < next)
            next = n;
    }
    return next;
}

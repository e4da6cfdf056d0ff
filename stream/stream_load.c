/*
 * stream_load.c — rebuilding a stream's in-memory state when the store opens: one forward scan
 * of its records restores counts, bytes, the per-subject index and the TTLs; the records inside
 * the duplicate window restore the dedup window, and the last record its Nats-Msg-Id (as
 * nats-server's rebuildDedupe); the saved sequence state restores first/last sequences of a
 * stream whose newest or all messages were removed.
 */
#include "stream_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/nats_header.h"

static uint64_t get_be64(const char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | (uint8_t)p[i];
    return v;
}

int stream_load(stream *s, int64_t now_ns, char *err, size_t errlen)
{
    rocksdb_iterator_t *it = rocksdb_create_iterator_cf(s->db->db, s->st->ropts, s->cf);
    int64_t window = s->cfg.duplicate_window_ns;
    int64_t window_start = now_ns - window;
    uint64_t last_rec = 0;
    nats_slice last_id = {0};
    char *last_id_copy = NULL;
    rec_buf b = {0};
    for (rocksdb_iter_seek_to_first(it); rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
        size_t klen, vlen;
        const char *k = rocksdb_iter_key(it, &klen);
        uint64_t seq = record_key_seq(k, klen);
        if (!seq)
            continue;
        const char *v = rocksdb_iter_value(it, &vlen);
        record_view r;
        msg_info m;
        if (stream_decode_info(s, seq, v, vlen, &b, &r, &m) < 0) {
            snprintf(err, errlen, "stream %s: record %llu is corrupt%s", s->cfg.name,
                     (unsigned long long)seq,
                     s->seal_records ? " (it does not open with the encryption key)" : "");
            rec_buf_free(&b);
            free(last_id_copy);
            rocksdb_iter_destroy(it);
            return -1;
        }
        stream_account_add(s, seq, r.subject, r.subject_len, m.size, r.ts_ns);
        if (r.ttl_ns > 0 && s->cfg.allow_msg_ttl)
            stream_ttl_push(s, r.ts_ns + r.ttl_ns, seq);
        last_rec = seq;
        last_id.ptr = NULL;
        if (window > 0 && r.ts_ns >= window_start && r.hdr_len &&
            nats_header_find(r.hdr, r.hdr_len, "Nats-Msg-Id", &last_id) && last_id.ptr &&
            last_id.len > 0) {
            stream_dedup_add(s, last_id.ptr, last_id.len, seq, r.ts_ns);
            free(last_id_copy);
            last_id_copy = strndup(last_id.ptr, last_id.len);
        } else {
            free(last_id_copy);
            last_id_copy = NULL;
        }
    }
    rec_buf_free(&b);
    rocksdb_iter_destroy(it);

    /* sequences that outlive their messages */
    char key[300];
    int n = snprintf(key, sizeof key, META_SEQSTATE_PREFIX "%s", s->cfg.name);
    char *rerr = NULL;
    size_t vlen = 0;
    char *val = rocksdb_get_cf(s->st->file.db, s->st->ropts, s->st->file.cf_meta, key, (size_t)n,
                               &vlen, &rerr);
    if (rerr) {
        snprintf(err, errlen, "stream %s: %s", s->cfg.name, rerr);
        rocksdb_free(rerr);
        free(last_id_copy);
        return -1;
    }
    if (val && vlen == 32)
        s->created_ns = (int64_t)get_be64(val + 24);
    if (val && (vlen == 24 || vlen == 32) && s->cfg.storage == STREAM_STORAGE_FILE) {
        uint64_t last = get_be64(val + 8);
        if (last >= s->state.last_seq) {
            s->state.last_seq = last;
            s->state.last_ts_ns = (int64_t)get_be64(val + 16);
        }
    }
    rocksdb_free(val);
    if (s->state.msgs == 0) {
        s->state.first_seq = s->state.last_seq + 1;
        s->state.first_ts_ns = 0;
    }
    /* the last stored message's id, when that message is still there (nats-server) */
    stream_set_last_msg_id(s, last_rec == s->state.last_seq ? last_id_copy : NULL,
                           last_rec == s->state.last_seq && last_id_copy ? strlen(last_id_copy) : 0);
    free(last_id_copy);
    return 0;
}

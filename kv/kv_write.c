/*
 * kv_write.c — writes to a bucket, as the clients publish them: put, create (with the retry over
 * a DEL/PURGE marker), update (expected last subject sequence), delete and purge markers, and
 * purge of old delete markers.
 */
#include "kv_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HDR_EXPECTED_LAST_SUBJ_SEQ "Nats-Expected-Last-Subject-Sequence"
#define HDR_ROLLUP "Nats-Rollup"
#define HDR_TTL "Nats-TTL"
#define PURGE_DELETES_DEFAULT_NS (30LL * 60 * 1000000000LL) /* nats.go's 30 minutes */

/* A small header block built in place. */
typedef struct hdrbuf {
    char buf[512];
    size_t len;
} hdrbuf;

static void hdr_add(hdrbuf *h, const char *key, const char *value)
{
    if (h->len == 0)
        h->len = (size_t)snprintf(h->buf, sizeof h->buf, "NATS/1.0\r\n");
    h->len += (size_t)snprintf(h->buf + h->len, sizeof h->buf - h->len, "%s: %s\r\n", key, value);
}

/* The block, or NULL with *len 0 when it has no field. */
static const char *hdr_end(hdrbuf *h, size_t *len)
{
    if (h->len == 0) {
        *len = 0;
        return NULL;
    }
    h->len += (size_t)snprintf(h->buf + h->len, sizeof h->buf - h->len, "\r\n");
    *len = h->len;
    return h->buf;
}

/* A duration as Go's time.Duration.String writes whole seconds ("10s", "1m30s", "1h0m0s"), the
 * form nats.go puts in Nats-TTL; milliseconds otherwise. */
static void go_duration(int64_t ns, char *out, size_t cap)
{
    if (ns % (int64_t)1000000000 != 0) {
        snprintf(out, cap, "%" PRId64 "ms", ns / (int64_t)1000000);
        return;
    }
    int64_t s = ns / (int64_t)1000000000;
    if (s < 60)
        snprintf(out, cap, "%" PRId64 "s", s);
    else if (s < 3600)
        snprintf(out, cap, "%" PRId64 "m%" PRId64 "s", s / 60, s % 60);
    else
        snprintf(out, cap, "%" PRId64 "h%" PRId64 "m%" PRId64 "s", s / 3600, (s / 60) % 60,
                 s % 60);
}

static void hdr_add_seq(hdrbuf *h, const char *key, uint64_t seq)
{
    char v[32];
    snprintf(v, sizeof v, "%" PRIu64, seq);
    hdr_add(h, key, v);
}

static void hdr_add_ttl(hdrbuf *h, int64_t ttl_ns)
{
    char v[64];
    go_duration(ttl_ns, v, sizeof v);
    hdr_add(h, HDR_TTL, v);
}

/* Appends to $KV.<bucket>.<key>. The key was validated by the caller. */
static kv_status append(kv *b, const char *key, hdrbuf *h, const void *value, size_t len,
                        uint64_t *rev, jserr *err)
{
    if (rev)
        *rev = 0;
    stream *s = kv_stream_or_err(b, err);
    if (!s)
        return KV_ERR_BUCKET_NOT_FOUND;
    char *subj = kv_subject(b, key);
    if (!subj)
        return KV_ERR_NO_MEMORY;
    size_t hdr_len;
    const char *hdr = hdr_end(h, &hdr_len);
    stream_ack ack;
    int r = stream_append(s, subj, strlen(subj), hdr, hdr_len, value, value ? len : 0,
                          kv_now(b), &ack, err);
    free(subj);
    if (r < 0)
        return kv_status_of_jserr(err);
    if (rev)
        *rev = ack.seq;
    return KV_OK;
}

static kv_status check_write(kv *b, const char *key, int64_t ttl_ns, jserr *err)
{
    jserr_clear(err);
    if (!b)
        return KV_ERR_INVALID_ARG;
    if (!kv_key_writable(key))
        return KV_ERR_BAD_KEY;
    if (ttl_ns < 0)
        return KV_ERR_INVALID_ARG;
    return KV_OK;
}

kv_status kv_put(kv *b, const char *key, const void *value, size_t len, uint64_t *rev, jserr *err)
{
    jserr ignored;
    if (!err)
        err = &ignored;
    kv_status st = check_write(b, key, 0, err);
    if (st != KV_OK)
        return st;
    hdrbuf h = {.len = 0};
    return append(b, key, &h, value, len, rev, err);
}

kv_status kv_update(kv *b, const char *key, const void *value, size_t len, uint64_t last,
                    int64_t ttl_ns, uint64_t *rev, jserr *err)
{
    jserr ignored;
    if (!err)
        err = &ignored;
    kv_status st = check_write(b, key, ttl_ns, err);
    if (st != KV_OK)
        return st;
    hdrbuf h = {.len = 0};
    hdr_add_seq(&h, HDR_EXPECTED_LAST_SUBJ_SEQ, last);
    if (ttl_ns > 0)
        hdr_add_ttl(&h, ttl_ns);
    return append(b, key, &h, value, len, rev, err);
}

kv_status kv_create(kv *b, const char *key, const void *value, size_t len, int64_t ttl_ns,
                    uint64_t *rev, jserr *err)
{
    jserr ignored;
    if (!err)
        err = &ignored;
    kv_status st = kv_update(b, key, value, len, 0, ttl_ns, rev, err);
    if (st != KV_ERR_WRONG_LAST_SEQUENCE)
        return st;
    /* The key has messages: when the last is a DEL/PURGE marker, a create is an update of it
     * (libnats kvStore_CreateWithTTL, nats.go Create). */
    kv_entry e;
    jserr probe;
    kv_status g = kv_get(b, key, &e, &probe);
    uint64_t marker = g == KV_ERR_DELETED ? e.revision : 0;
    kv_entry_free(&e);
    if (marker) {
        st = kv_update(b, key, value, len, marker, ttl_ns, rev, err);
        if (st != KV_ERR_WRONG_LAST_SEQUENCE)
            return st;
    }
    return KV_ERR_KEY_EXISTS; /* err holds "wrong last sequence: <rev>" as the wire has it */
}

static kv_status marker(kv *b, const char *key, bool purge, uint64_t last, int64_t ttl_ns,
                        uint64_t *rev, jserr *err)
{
    jserr ignored;
    if (!err)
        err = &ignored;
    kv_status st = check_write(b, key, ttl_ns, err);
    if (st != KV_OK)
        return st;
    hdrbuf h = {.len = 0};
    hdr_add(&h, KV_OP_HEADER, purge ? "PURGE" : "DEL");
    if (purge)
        hdr_add(&h, HDR_ROLLUP, "sub");
    if (last > 0)
        hdr_add_seq(&h, HDR_EXPECTED_LAST_SUBJ_SEQ, last);
    if (ttl_ns > 0)
        hdr_add_ttl(&h, ttl_ns);
    return append(b, key, &h, NULL, 0, rev, err);
}

kv_status kv_delete(kv *b, const char *key, uint64_t last, uint64_t *rev, jserr *err)
{
    return marker(b, key, false, last, 0, rev, err);
}

kv_status kv_purge(kv *b, const char *key, uint64_t last, int64_t ttl_ns, uint64_t *rev,
                   jserr *err)
{
    return marker(b, key, true, last, ttl_ns, rev, err);
}

kv_status kv_purge_deletes(kv *b, int64_t older_than_ns, uint64_t *purged, jserr *err)
{
    jserr ignored;
    if (!err)
        err = &ignored;
    jserr_clear(err);
    if (purged)
        *purged = 0;
    stream *s = kv_stream_or_err(b, err);
    if (!s)
        return KV_ERR_BUCKET_NOT_FOUND;
    if (older_than_ns == 0)
        older_than_ns = PURGE_DELETES_DEFAULT_NS;
    int64_t limit = older_than_ns > 0 ? kv_now(b) - older_than_ns : 0;
    char *all = kv_subject(b, ">");
    if (!all)
        return KV_ERR_NO_MEMORY;
    uint64_t *seqs = NULL;
    long n = stream_last_seqs(s, all, &seqs);
    free(all);
    if (n < 0)
        return KV_ERR_NO_MEMORY;
    kv_status st = KV_OK;
    for (long i = 0; i < n && st == KV_OK; i++) {
        stream_msg m;
        jserr gone;
        if (stream_get(s, seqs[i], &m, &gone) < 0)
            continue;
        kv_op op = kv_op_of(m.hdr, m.hdr_len);
        if (op != KV_OP_PUT) {
            char *filter = strndup(m.subject, m.subject_len);
            if (!filter) {
                st = KV_ERR_NO_MEMORY;
            } else {
                /* nats.go: markers newer than the threshold stay as the key's only message */
                stream_purge_req req = {.filter = filter,
                                        .keep = older_than_ns > 0 && m.ts_ns > limit ? 1 : 0};
                uint64_t count;
                if (stream_purge(s, &req, &count, err) < 0)
                    st = kv_status_of_jserr(err);
                else if (purged)
                    (*purged)++;
                free(filter);
            }
        }
        stream_msg_free(&m);
    }
    free(seqs);
    return st;
}

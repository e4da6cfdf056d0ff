/*
 * kv_read.c — reads of a bucket: a key's current value (last message of its subject), the entry
 * at a revision, and a key's history (every stored message, through a watch with
 * include_history as the clients do it).
 */
#include "kv_internal.h"

#include <stdlib.h>
#include <string.h>

static kv_status found(kv *b, stream_msg *m, kv_entry *out)
{
    kv_status st = kv_entry_from_msg(b, m, false, out);
    if (st != KV_OK)
        return st;
    return out->op == KV_OP_PUT ? KV_OK : KV_ERR_DELETED;
}

kv_status kv_get(kv *b, const char *key, kv_entry *out, jserr *err)
{
    jserr ignored;
    if (!err)
        err = &ignored;
    jserr_clear(err);
    memset(out, 0, sizeof *out);
    if (!b)
        return KV_ERR_INVALID_ARG;
    if (!kv_key_valid(key))
        return KV_ERR_BAD_KEY;
    stream *s = kv_stream_or_err(b, err);
    if (!s)
        return KV_ERR_BUCKET_NOT_FOUND;
    char *subj = kv_subject(b, key);
    if (!subj)
        return KV_ERR_NO_MEMORY;
    stream_msg m;
    int r = stream_get_last(s, subj, &m, err);
    free(subj);
    if (r < 0)
        return KV_ERR_NOT_FOUND;
    return found(b, &m, out);
}

kv_status kv_get_revision(kv *b, const char *key, uint64_t revision, kv_entry *out, jserr *err)
{
    jserr ignored;
    if (!err)
        err = &ignored;
    jserr_clear(err);
    memset(out, 0, sizeof *out);
    if (!b)
        return KV_ERR_INVALID_ARG;
    if (!kv_key_valid(key))
        return KV_ERR_BAD_KEY;
    if (revision == 0)
        return KV_ERR_BAD_REVISION;
    stream *s = kv_stream_or_err(b, err);
    if (!s)
        return KV_ERR_BUCKET_NOT_FOUND;
    stream_msg m;
    if (stream_get(s, revision, &m, err) < 0)
        return KV_ERR_NOT_FOUND;
    size_t kn = strlen(key);
    if (m.subject_len != b->prefix_len + kn ||
        memcmp(m.subject + b->prefix_len, key, kn) != 0 ||
        memcmp(m.subject, b->prefix, b->prefix_len) != 0) {
        stream_msg_free(&m);
        jserr_set(err, JSERR_NO_MESSAGE_FOUND, NULL);
        return KV_ERR_NOT_FOUND;
    }
    return found(b, &m, out);
}

kv_status kv_history(kv *b, const char *key_pattern, kv_entry_list *out, jserr *err)
{
    if (err)
        jserr_clear(err);
    out->entries = NULL;
    out->count = 0;
    if (!b)
        return KV_ERR_INVALID_ARG;
    kv_watch *w;
    kv_watch_options o = {.include_history = true};
    kv_status st = kv_watch_open(b, key_pattern, &o, &w);
    if (st != KV_OK)
        return st;
    size_t cap = 0;
    for (;;) {
        kv_entry e;
        kv_event ev;
        st = kv_watch_next(w, &e, &ev);
        if (st != KV_OK || ev != KV_EV_ENTRY)
            break;
        if (out->count == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            kv_entry *n = realloc(out->entries, ncap * sizeof *n);
            if (!n) {
                kv_entry_free(&e);
                st = KV_ERR_NO_MEMORY;
                break;
            }
            out->entries = n;
            cap = ncap;
        }
        out->entries[out->count++] = e;
    }
    kv_watch_close(w);
    if (st != KV_OK) {
        kv_entry_list_free(out);
        return st;
    }
    return out->count ? KV_OK : KV_ERR_NOT_FOUND;
}

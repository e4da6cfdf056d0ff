/*
 * kv_keys.c — listing a bucket's keys: an iterator over the stream's last sequence per subject
 * (what an ordered consumer with deliver last_per_subject starts from), reading one message at
 * a time and skipping the keys whose last message is a DEL/PURGE marker. Memory: one uint64_t
 * per subject plus the current message.
 */
#include "kv_internal.h"

#include <stdlib.h>
#include <string.h>

struct kv_keys {
    kv *b;
    uint64_t *seqs;
    long n, i;
    char *key; /* the key last returned */
};

kv_status kv_keys_open(kv *b, const char *key_pattern, kv_keys **out)
{
    *out = NULL;
    if (!b)
        return KV_ERR_INVALID_ARG;
    if (key_pattern && *key_pattern && !kv_key_pattern_valid(key_pattern))
        return KV_ERR_BAD_KEY;
    stream *s = kv_stream(b);
    if (!s)
        return KV_ERR_BUCKET_NOT_FOUND;
    kv_keys *it = calloc(1, sizeof *it);
    char *filter = kv_subject(b, key_pattern);
    if (!it || !filter) {
        free(it);
        free(filter);
        return KV_ERR_NO_MEMORY;
    }
    it->b = b;
    it->n = stream_last_seqs(s, filter, &it->seqs);
    free(filter);
    if (it->n < 0) {
        free(it);
        return KV_ERR_NO_MEMORY;
    }
    *out = it;
    return KV_OK;
}

kv_status kv_keys_next(kv_keys *it, const char **key)
{
    *key = NULL;
    free(it->key);
    it->key = NULL;
    stream *s = kv_stream(it->b);
    if (!s)
        return KV_ERR_BUCKET_NOT_FOUND;
    while (it->i < it->n) {
        stream_msg m;
        jserr gone;
        if (stream_get(s, it->seqs[it->i++], &m, &gone) < 0)
            continue; /* replaced or removed since the list was taken */
        bool live = kv_op_of(m.hdr, m.hdr_len) == KV_OP_PUT;
        if (live && m.subject_len > it->b->prefix_len) {
            it->key = strndup(m.subject + it->b->prefix_len, m.subject_len - it->b->prefix_len);
            stream_msg_free(&m);
            if (!it->key)
                return KV_ERR_NO_MEMORY;
            *key = it->key;
            return KV_OK;
        }
        stream_msg_free(&m);
    }
    return KV_OK;
}

void kv_keys_close(kv_keys *it)
{
    if (!it)
        return;
    free(it->seqs);
    free(it->key);
    free(it);
}

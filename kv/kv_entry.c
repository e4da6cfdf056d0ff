/*
 * kv_entry.c — Key-Value entries made from stored messages: the key taken from the subject, the
 * operation read from the headers as the clients read it (KV-Operation, or a subject delete
 * marker's Nats-Marker-Reason), and their release.
 */
#include "kv_internal.h"

#include <stdlib.h>
#include <string.h>

#include "proto/nats_header.h"

static bool slice_is(nats_slice v, const char *s)
{
    size_t n = strlen(s);
    return v.len == n && memcmp(v.ptr, s, n) == 0;
}

kv_op kv_op_of(const char *hdr, size_t hdr_len)
{
    nats_slice v;
    if (!hdr || hdr_len == 0)
        return KV_OP_PUT;
    if (nats_header_find(hdr, hdr_len, KV_OP_HEADER, &v)) {
        if (slice_is(v, "DEL"))
            return KV_OP_DEL;
        if (slice_is(v, "PURGE"))
            return KV_OP_PURGE;
        return KV_OP_PUT;
    }
    if (nats_header_find(hdr, hdr_len, "Nats-Marker-Reason", &v)) {
        if (slice_is(v, "MaxAge") || slice_is(v, "Purge"))
            return KV_OP_PURGE;
        if (slice_is(v, "Remove"))
            return KV_OP_DEL;
    }
    return KV_OP_PUT;
}

kv_status kv_entry_from_msg(kv *b, stream_msg *m, bool meta_only, kv_entry *out)
{
    memset(out, 0, sizeof *out);
    size_t klen = m->subject_len > b->prefix_len ? m->subject_len - b->prefix_len : 0;
    out->key = malloc(klen + 1);
    if (!out->key) {
        stream_msg_free(m);
        return KV_ERR_NO_MEMORY;
    }
    if (klen)
        memcpy(out->key, m->subject + b->prefix_len, klen);
    out->key[klen] = 0;
    out->bucket = b->bucket;
    out->revision = m->seq;
    out->created_ns = m->ts_ns;
    out->op = kv_op_of(m->hdr, m->hdr_len);
    if (!meta_only && m->data_len > 0) {
        out->value = m->data;
        out->value_len = m->data_len;
    }
    out->msg_ = *m;
    memset(m, 0, sizeof *m);
    return KV_OK;
}

void kv_entry_free(kv_entry *e)
{
    if (!e)
        return;
    free(e->key);
    stream_msg_free(&e->msg_);
    memset(e, 0, sizeof *e);
}

void kv_entry_list_free(kv_entry_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->count; i++)
        kv_entry_free(&l->entries[i]);
    free(l->entries);
    l->entries = NULL;
    l->count = 0;
}

/*
 * kv_internal.h — what the files of kv/ share and nothing outside may use: the bucket handle,
 * subject building, entries from stream messages, and the mapping of stream errors to kv_status.
 */
#ifndef WEIR_KV_INTERNAL_H
#define WEIR_KV_INTERNAL_H

#include "kv.h"

struct kv {
    store *st;
    char *bucket;      /* B */
    char *stream_name; /* KV_B */
    char *prefix;      /* $KV.B. */
    size_t prefix_len;
    int64_t (*clock)(void *arg);
    void *clock_arg;
};

/* ns since the epoch from the handle's clock. */
int64_t kv_now(kv *b);

/* "$KV.<bucket>.<key>" in a new string (free it), or NULL when out of memory. key may be a
 * pattern; NULL or "" gives "$KV.<bucket>.>". */
char *kv_subject(const kv *b, const char *key);

/* The operation a stored message stands for: KV-Operation DEL/PURGE, or a subject delete
 * marker's Nats-Marker-Reason (MaxAge/Purge → PURGE, Remove → DEL), else PUT. */
kv_op kv_op_of(const char *hdr, size_t hdr_len);

/* Turns a message of the bucket into *out, taking its buffers (m is left empty). With meta_only
 * the value is dropped. KV_OK or KV_ERR_NO_MEMORY (then m is freed). */
kv_status kv_entry_from_msg(kv *b, stream_msg *m, bool meta_only, kv_entry *out);

/* The kv_status of a stream-layer refusal. */
kv_status kv_status_of_jserr(const jserr *e);

/* The handle's stream, or NULL; on NULL sets *err (if any) to stream not found. */
stream *kv_stream_or_err(kv *b, jserr *err);

#endif

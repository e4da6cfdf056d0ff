/*
 * kv_error.c — how the stream layer's JetStream errors read as Key-Value statuses, the way the
 * clients classify the errors the server sends them (wrong last sequence, message too large,
 * stream not found, limits of a discard-new bucket).
 */
#include "kv_internal.h"

#include <string.h>

kv_status kv_status_of_jserr(const jserr *e)
{
    switch (e->err_code) {
    case JSERR_STREAM_WRONG_LAST_SEQUENCE:
    case JSERR_STREAM_WRONG_LAST_SEQUENCE_CONSTANT:
        return KV_ERR_WRONG_LAST_SEQUENCE;
    case JSERR_STREAM_MESSAGE_EXCEEDS_MAXIMUM:
        return KV_ERR_VALUE_TOO_LARGE;
    case JSERR_STREAM_NOT_FOUND:
        return KV_ERR_BUCKET_NOT_FOUND;
    case JSERR_STREAM_NAME_EXIST:
        return KV_ERR_BUCKET_EXISTS;
    case JSERR_STREAM_INVALID_CONFIG:
    case JSERR_STREAM_REPLICAS_NOT_SUPPORTED:
        return KV_ERR_BAD_CONFIG;
    case JSERR_STREAM_STORE_FAILED:
        /* discard new: "maximum bytes exceeded", "maximum messages exceeded", ... */
        if (strstr(e->description, "maximum") && strstr(e->description, "exceeded"))
            return KV_ERR_LIMIT;
        return KV_ERR_STREAM;
    default:
        return KV_ERR_STREAM;
    }
}

stream *kv_stream_or_err(kv *b, jserr *err)
{
    stream *s = store_stream_find(b->st, b->stream_name);
    if (!s && err)
        jserr_set(err, JSERR_STREAM_NOT_FOUND, NULL);
    return s;
}

/*
 * obs_error.c — how the stream layer's JetStream errors read as Object Store statuses (stream
 * not found, sealed, limits of a discard-new bucket, a different config on create), and the
 * lookup of a handle's stream.
 */
#include "obs_internal.h"

#include <string.h>

obs_status obs_status_of_jserr(const jserr *e)
{
    switch (e->err_code) {
    case JSERR_STREAM_NOT_FOUND:
        return OBS_ERR_BUCKET_NOT_FOUND;
    case JSERR_STREAM_NAME_EXIST:
        return OBS_ERR_BUCKET_EXISTS;
    case JSERR_STREAM_INVALID_CONFIG:
    case JSERR_STREAM_REPLICAS_NOT_SUPPORTED:
        return OBS_ERR_BAD_CONFIG;
    case JSERR_STREAM_SEALED:
        return OBS_ERR_SEALED;
    case JSERR_STREAM_STORE_FAILED:
        /* discard new: "maximum bytes exceeded", "maximum messages exceeded", ... */
        if (strstr(e->description, "maximum") && strstr(e->description, "exceeded"))
            return OBS_ERR_LIMIT;
        return OBS_ERR_STREAM;
    default:
        return OBS_ERR_STREAM;
    }
}

stream *obs_stream_or_err(obs *b, jserr *err)
{
    stream *s = store_stream_find(b->st, b->stream_name);
    if (!s && err)
        jserr_set(err, JSERR_STREAM_NOT_FOUND, NULL);
    return s;
}

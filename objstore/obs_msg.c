/*
 * obs_msg.c — the messages under an object: reading the last meta message of a name (the
 * clients' GetInfo: last by subject), appending a meta message with "Nats-Rollup: sub", and
 * purging one subject (a chunk subject after an overwrite or delete, a meta subject after a
 * rename).
 */
#include "obs_internal.h"

#include <stdlib.h>
#include <string.h>

#define ROLLUP_HDR "NATS/1.0\r\nNats-Rollup: sub\r\n\r\n"

obs_status obs_read_info(obs *b, stream *s, const char *name, bool show_deleted, obs_info *out)
{
    memset(out, 0, sizeof *out);
    char *subj = obs_meta_subject(b->bucket, name);
    if (!subj)
        return OBS_ERR_NO_MEMORY;
    stream_msg m;
    jserr none;
    int r = stream_get_last(s, subj, &m, &none);
    free(subj);
    if (r < 0)
        return OBS_ERR_NOT_FOUND;
    obs_status st = obs_info_from_msg(&m, out);
    stream_msg_free(&m);
    if (st != OBS_OK)
        return st;
    if (out->deleted && !show_deleted) {
        obs_info_free(out);
        return OBS_ERR_NOT_FOUND;
    }
    return OBS_OK;
}

obs_status obs_publish_meta(obs *b, stream *s, obs_info *info, bool rollup, jserr *err)
{
    size_t len;
    char *body = obs_info_to_json(info, false, &len);
    char *subj = obs_meta_subject(b->bucket, info->name);
    if (!body || !subj) {
        free(body);
        free(subj);
        return OBS_ERR_NO_MEMORY;
    }
    int64_t now = obs_now(b);
    stream_ack ack;
    int r = stream_append(s, subj, strlen(subj), rollup ? ROLLUP_HDR : NULL,
                          rollup ? strlen(ROLLUP_HDR) : 0, body, len, now, &ack, err);
    free(body);
    free(subj);
    if (r < 0)
        return obs_status_of_jserr(err);
    info->revision = ack.seq;
    info->mtime_ns = now;
    return OBS_OK;
}

obs_status obs_purge_subject(stream *s, const char *subject, jserr *err)
{
    stream_purge_req req = {.filter = subject};
    uint64_t purged;
    return stream_purge(s, &req, &purged, err) < 0 ? obs_status_of_jserr(err) : OBS_OK;
}

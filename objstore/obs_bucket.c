/*
 * obs_bucket.c — buckets: the stream configuration a client's create builds for a bucket, and
 * creating, updating, opening, deleting, sealing and describing (status) a bucket; the handle
 * and its clock.
 */
#include "obs_internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t real_clock(void *arg)
{
    (void)arg;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t obs_now(obs *b)
{
    return b->clock(b->clock_arg);
}

void obs_set_clock(obs *b, int64_t (*now_ns)(void *arg), void *arg)
{
    b->clock = now_ns ? now_ns : real_clock;
    b->clock_arg = now_ns ? arg : NULL;
}

obs_status obs_config_to_stream(const obs_config *cfg, stream_config *out, jserr *err)
{
    jserr ignored;
    if (!err)
        err = &ignored;
    jserr_clear(err);
    memset(out, 0, sizeof *out);
    if (!cfg)
        return OBS_ERR_INVALID_ARG;
    if (!obs_bucket_valid(cfg->bucket))
        return OBS_ERR_BAD_BUCKET;

    out->name = obs_cat3(OBS_STREAM_PREFIX, cfg->bucket, "");
    out->subjects = calloc(2, sizeof *out->subjects);
    if (out->subjects) {
        out->nsubjects = 2;
        out->subjects[0] = obs_cat3(OBS_SUBJECT_PREFIX, cfg->bucket, ".C.>");
        out->subjects[1] = obs_cat3(OBS_SUBJECT_PREFIX, cfg->bucket, ".M.>");
    }
    if (cfg->description && *cfg->description)
        out->description = strdup(cfg->description);
    if (cfg->metadata)
        out->metadata = json_deep_copy(cfg->metadata);
    if (!out->name || !out->subjects || !out->subjects[0] || !out->subjects[1] ||
        (cfg->description && *cfg->description && !out->description) ||
        (cfg->metadata && !out->metadata)) {
        stream_config_free(out);
        return OBS_ERR_NO_MEMORY;
    }
    out->retention = STREAM_RETENTION_LIMITS;
    out->max_consumers = -1;
    out->max_msgs = -1;
    out->max_bytes = cfg->max_bytes == 0 ? -1 : cfg->max_bytes;
    out->max_age_ns = cfg->ttl_ns;
    out->max_msgs_per_subject = -1;
    out->max_msg_size = -1;
    out->discard = STREAM_DISCARD_NEW;
    out->storage = cfg->storage;
    out->num_replicas = cfg->replicas > 0 ? cfg->replicas : 1;
    out->allow_direct = true;
    out->allow_rollup_hdrs = true;
    if (stream_config_apply_defaults(out, err) < 0) {
        stream_config_free(out);
        return OBS_ERR_BAD_CONFIG;
    }
    return OBS_OK;
}

static obs *handle_new(store *st, const char *bucket)
{
    obs *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->st = st;
    b->bucket = strdup(bucket);
    b->stream_name = obs_cat3(OBS_STREAM_PREFIX, bucket, "");
    if (!b->bucket || !b->stream_name) {
        obs_close(b);
        return NULL;
    }
    obs_set_clock(b, NULL, NULL);
    return b;
}

void obs_close(obs *b)
{
    if (!b)
        return;
    free(b->bucket);
    free(b->stream_name);
    free(b);
}

const char *obs_bucket_name(const obs *b)
{
    return b->bucket;
}

stream *obs_stream(obs *b)
{
    return store_stream_find(b->st, b->stream_name);
}

/* The bucket's stream created (update false) or updated from cfg. */
static obs_status put_bucket(store *st, const obs_config *cfg, bool update, jserr *err)
{
    stream_config sc;
    obs_status rc = obs_config_to_stream(cfg, &sc, err);
    if (rc != OBS_OK)
        return rc;
    if (store_stream_put(st, &sc, update, err) < 0) {
        obs_status o = obs_status_of_jserr(err);
        return o == OBS_ERR_STREAM ? OBS_ERR_BAD_CONFIG : o;
    }
    return OBS_OK;
}

obs_status obs_bucket_create(store *st, const obs_config *cfg, obs **out, jserr *err)
{
    jserr ignored;
    *out = NULL;
    obs_status rc = put_bucket(st, cfg, false, err ? err : &ignored);
    if (rc != OBS_OK)
        return rc;
    if (!(*out = handle_new(st, cfg->bucket)))
        return OBS_ERR_NO_MEMORY;
    return OBS_OK;
}

obs_status obs_bucket_update(store *st, const obs_config *cfg, jserr *err)
{
    jserr ignored;
    return put_bucket(st, cfg, true, err ? err : &ignored);
}

obs_status obs_bucket_open(store *st, const char *bucket, obs **out, jserr *err)
{
    if (err)
        jserr_clear(err);
    *out = NULL;
    if (!obs_bucket_valid(bucket))
        return OBS_ERR_BAD_BUCKET;
    obs *b = handle_new(st, bucket);
    if (!b)
        return OBS_ERR_NO_MEMORY;
    if (!obs_stream_or_err(b, err)) {
        obs_close(b);
        return OBS_ERR_BUCKET_NOT_FOUND;
    }
    *out = b;
    return OBS_OK;
}

obs_status obs_bucket_delete(store *st, const char *bucket, jserr *err)
{
    jserr ignored;
    if (!err)
        err = &ignored;
    jserr_clear(err);
    if (!obs_bucket_valid(bucket))
        return OBS_ERR_BAD_BUCKET;
    char *name = obs_cat3(OBS_STREAM_PREFIX, bucket, "");
    if (!name)
        return OBS_ERR_NO_MEMORY;
    stream *s = store_stream_find(st, name);
    free(name);
    if (!s) {
        jserr_set(err, JSERR_STREAM_NOT_FOUND, NULL);
        return OBS_ERR_BUCKET_NOT_FOUND;
    }
    return store_stream_delete(st, s, err) < 0 ? obs_status_of_jserr(err) : OBS_OK;
}

obs_status obs_seal(obs *b, jserr *err)
{
    jserr ignored;
    if (!err)
        err = &ignored;
    jserr_clear(err);
    stream *s = obs_stream_or_err(b, err);
    if (!s)
        return OBS_ERR_BUCKET_NOT_FOUND;
    stream_config next;
    if (stream_config_copy(&next, stream_get_config(s)) < 0)
        return OBS_ERR_NO_MEMORY;
    next.sealed = true; /* store_stream_update applies the rest of sealing */
    int r = store_stream_update(b->st, s, &next, err);
    stream_config_free(&next);
    return r < 0 ? obs_status_of_jserr(err) : OBS_OK;
}

obs_status obs_get_status(obs *b, obs_bucket_status *out)
{
    memset(out, 0, sizeof *out);
    stream *s = obs_stream(b);
    if (!s)
        return OBS_ERR_BUCKET_NOT_FOUND;
    const stream_config *c = stream_get_config(s);
    stream_state state;
    stream_get_state(s, &state);
    out->bucket = b->bucket;
    out->description = c->description;
    out->ttl_ns = c->max_age_ns;
    out->max_bytes = c->max_bytes;
    out->storage = c->storage;
    out->replicas = c->num_replicas;
    out->sealed = c->sealed;
    out->size = state.bytes;
    out->msgs = state.msgs;
    out->backing_store = "JetStream";
    out->metadata = c->metadata;
    out->is_compressed = false;
    return OBS_OK;
}

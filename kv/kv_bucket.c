/*
 * kv_bucket.c — buckets: the stream configuration a client's create builds for a bucket, and
 * creating, updating, opening, deleting and describing (status) a bucket; the handle and its
 * clock.
 */
#include "kv_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TWO_MINUTES_NS (120LL * 1000000000LL)

static int64_t real_clock(void *arg)
{
    (void)arg;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t kv_now(kv *b)
{
    return b->clock(b->clock_arg);
}

void kv_set_clock(kv *b, int64_t (*now_ns)(void *arg), void *arg)
{
    b->clock = now_ns ? now_ns : real_clock;
    b->clock_arg = now_ns ? arg : NULL;
}

static char *cat2(const char *a, const char *b, const char *c)
{
    size_t na = strlen(a), nb = strlen(b), nc = strlen(c);
    char *s = malloc(na + nb + nc + 1);
    if (!s)
        return NULL;
    memcpy(s, a, na);
    memcpy(s + na, b, nb);
    memcpy(s + na + nb, c, nc + 1);
    return s;
}

kv_status kv_config_to_stream(const kv_config *cfg, stream_config *out, jserr *err)
{
    jserr ignored;
    if (!err)
        err = &ignored;
    jserr_clear(err);
    memset(out, 0, sizeof *out);
    if (!cfg)
        return KV_ERR_INVALID_ARG;
    if (!kv_bucket_valid(cfg->bucket))
        return KV_ERR_BAD_BUCKET;
    int64_t history = cfg->history > 0 ? cfg->history : 1;
    if (history > KV_MAX_HISTORY)
        return KV_ERR_HISTORY_TOO_LARGE;

    out->name = cat2(KV_STREAM_PREFIX, cfg->bucket, "");
    out->subjects = calloc(1, sizeof *out->subjects);
    if (out->subjects) {
        out->nsubjects = 1;
        out->subjects[0] = cat2(KV_SUBJECT_PREFIX, cfg->bucket, ".>");
    }
    if (cfg->description)
        out->description = strdup(cfg->description);
    if (cfg->metadata)
        out->metadata = json_deep_copy(cfg->metadata);
    if (!out->name || !out->subjects || !out->subjects[0] ||
        (cfg->description && !out->description) || (cfg->metadata && !out->metadata)) {
        stream_config_free(out);
        return KV_ERR_NO_MEMORY;
    }
    out->retention = STREAM_RETENTION_LIMITS;
    out->max_consumers = -1;
    out->max_msgs = -1;
    out->max_bytes = cfg->max_bytes == 0 ? -1 : cfg->max_bytes;
    out->max_age_ns = cfg->ttl_ns;
    out->max_msgs_per_subject = history;
    out->max_msg_size = cfg->max_value_size == 0 ? -1 : cfg->max_value_size;
    out->discard = STREAM_DISCARD_NEW;
    out->storage = cfg->storage;
    out->num_replicas = 1;
    out->duplicate_window_ns =
        cfg->ttl_ns > 0 && cfg->ttl_ns < TWO_MINUTES_NS ? cfg->ttl_ns : TWO_MINUTES_NS;
    out->allow_direct = true;
    out->deny_delete = true;
    out->allow_rollup_hdrs = true;
    if (cfg->limit_marker_ttl_ns > 0) {
        out->allow_msg_ttl = true;
        out->subject_delete_marker_ttl_ns = cfg->limit_marker_ttl_ns;
    }
    if (stream_config_apply_defaults(out, err) < 0) {
        stream_config_free(out);
        return KV_ERR_BAD_CONFIG;
    }
    return KV_OK;
}

static kv *handle_new(store *st, const char *bucket)
{
    kv *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->st = st;
    b->bucket = strdup(bucket);
    b->stream_name = cat2(KV_STREAM_PREFIX, bucket, "");
    b->prefix = cat2(KV_SUBJECT_PREFIX, bucket, ".");
    if (!b->bucket || !b->stream_name || !b->prefix) {
        kv_close(b);
        return NULL;
    }
    b->prefix_len = strlen(b->prefix);
    kv_set_clock(b, NULL, NULL);
    return b;
}

void kv_close(kv *b)
{
    if (!b)
        return;
    free(b->bucket);
    free(b->stream_name);
    free(b->prefix);
    free(b);
}

const char *kv_bucket_name(const kv *b)
{
    return b->bucket;
}

stream *kv_stream(kv *b)
{
    return store_stream_find(b->st, b->stream_name);
}

/* The bucket's stream created (update false) or updated from cfg. */
static kv_status put_bucket(store *st, const kv_config *cfg, bool update, jserr *err)
{
    stream_config sc;
    kv_status rc = kv_config_to_stream(cfg, &sc, err);
    if (rc != KV_OK)
        return rc;
    if (store_stream_put(st, &sc, update, err) < 0) {
        kv_status k = kv_status_of_jserr(err);
        return k == KV_ERR_STREAM ? KV_ERR_BAD_CONFIG : k;
    }
    return KV_OK;
}

kv_status kv_bucket_create(store *st, const kv_config *cfg, kv **out, jserr *err)
{
    jserr ignored;
    *out = NULL;
    kv_status rc = put_bucket(st, cfg, false, err ? err : &ignored);
    if (rc != KV_OK)
        return rc;
    if (!(*out = handle_new(st, cfg->bucket)))
        return KV_ERR_NO_MEMORY;
    return KV_OK;
}

kv_status kv_bucket_update(store *st, const kv_config *cfg, jserr *err)
{
    jserr ignored;
    return put_bucket(st, cfg, true, err ? err : &ignored);
}

kv_status kv_bucket_open(store *st, const char *bucket, kv **out, jserr *err)
{
    if (err)
        jserr_clear(err);
    *out = NULL;
    if (!kv_bucket_valid(bucket))
        return KV_ERR_BAD_BUCKET;
    kv *b = handle_new(st, bucket);
    if (!b)
        return KV_ERR_NO_MEMORY;
    stream *s = kv_stream_or_err(b, err);
    if (!s) {
        kv_close(b);
        return KV_ERR_BUCKET_NOT_FOUND;
    }
    if (stream_get_config(s)->max_msgs_per_subject < 1) {
        kv_close(b);
        return KV_ERR_NOT_KV_BUCKET;
    }
    *out = b;
    return KV_OK;
}

kv_status kv_bucket_delete(store *st, const char *bucket, jserr *err)
{
    jserr ignored;
    if (!err)
        err = &ignored;
    jserr_clear(err);
    if (!kv_bucket_valid(bucket))
        return KV_ERR_BAD_BUCKET;
    char *name = cat2(KV_STREAM_PREFIX, bucket, "");
    if (!name)
        return KV_ERR_NO_MEMORY;
    stream *s = store_stream_find(st, name);
    free(name);
    if (!s) {
        jserr_set(err, JSERR_STREAM_NOT_FOUND, NULL);
        return KV_ERR_BUCKET_NOT_FOUND;
    }
    return store_stream_delete(st, s, err) < 0 ? kv_status_of_jserr(err) : KV_OK;
}

kv_status kv_get_status(kv *b, kv_bucket_status *out)
{
    memset(out, 0, sizeof *out);
    stream *s = kv_stream(b);
    if (!s)
        return KV_ERR_BUCKET_NOT_FOUND;
    const stream_config *c = stream_get_config(s);
    stream_state state;
    stream_get_state(s, &state);
    out->bucket = b->bucket;
    out->values = state.msgs;
    out->bytes = state.bytes;
    out->history = c->max_msgs_per_subject;
    out->ttl_ns = c->max_age_ns;
    out->max_bytes = c->max_bytes;
    out->max_value_size = c->max_msg_size;
    out->replicas = c->num_replicas;
    out->storage = c->storage;
    out->is_compressed = false;
    out->backing_store = "JetStream";
    out->limit_marker_ttl_ns = c->subject_delete_marker_ttl_ns;
    return KV_OK;
}

/*
 * obs_write.c — the writes that only touch meta messages, as the clients do them: delete (the
 * meta marked deleted, then the chunks purged), meta updates and renames, and links to an
 * object or to a whole bucket.
 */
#include "obs_internal.h"

#include <stdlib.h>
#include <string.h>

/* err defaulted and cleared; the bucket's stream or NULL (then *st says why). */
static stream *begin(obs *b, const char *name, jserr *err, obs_status *st)
{
    jserr_clear(err);
    *st = OBS_OK;
    if (!b) {
        *st = OBS_ERR_INVALID_ARG;
        return NULL;
    }
    if (!name || !*name) {
        *st = OBS_ERR_NAME_REQUIRED;
        return NULL;
    }
    stream *s = obs_stream_or_err(b, err);
    if (!s)
        *st = OBS_ERR_BUCKET_NOT_FOUND;
    return s;
}

obs_status obs_delete(obs *b, const char *name, jserr *err)
{
    jserr ignored;
    if (!err)
        err = &ignored;
    obs_status st;
    stream *s = begin(b, name, err, &st);
    if (!s)
        return st;
    obs_info i;
    if ((st = obs_read_info(b, s, name, true, &i)) != OBS_OK)
        return st;
    if (!i.nuid[0]) {
        obs_info_free(&i);
        return OBS_ERR_BAD_META;
    }
    i.deleted = true;
    i.size = 0;
    i.chunks = 0;
    free(i.digest);
    i.digest = NULL;
    st = obs_publish_meta(b, s, &i, true, err);
    if (st == OBS_OK) {
        char *subj = obs_chunk_subject(b->bucket, i.nuid);
        st = subj ? obs_purge_subject(s, subj, err) : OBS_ERR_NO_MEMORY;
        free(subj);
    }
    obs_info_free(&i);
    return st;
}

obs_status obs_update_meta(obs *b, const char *name, const obs_meta *meta, jserr *err)
{
    jserr ignored;
    if (!err)
        err = &ignored;
    obs_status st;
    stream *s = begin(b, name, err, &st);
    if (!s)
        return st;
    if (!meta)
        return OBS_ERR_INVALID_ARG;
    const char *to = meta->name && *meta->name ? meta->name : name;
    bool rename = strcmp(to, name) != 0;
    json_t *headers, *metadata;
    int hr = obs_copy_headers(meta->headers, &headers);
    int mr = obs_copy_metadata(meta->metadata, &metadata);
    obs_info i = {0};
    if (hr == -1 || mr == -1) {
        st = OBS_ERR_INVALID_ARG;
        goto done;
    }
    if (hr < 0 || mr < 0) {
        st = OBS_ERR_NO_MEMORY;
        goto done;
    }
    if ((st = obs_read_info(b, s, name, false, &i)) != OBS_OK) {
        if (st == OBS_ERR_NOT_FOUND)
            st = OBS_ERR_UPDATE_DELETED;
        goto done;
    }
    if (rename) {
        obs_info e;
        st = obs_read_info(b, s, to, true, &e);
        bool live = st == OBS_OK && !e.deleted;
        obs_info_free(&e);
        if (st != OBS_OK && st != OBS_ERR_NOT_FOUND)
            goto done;
        if (live) {
            st = OBS_ERR_EXISTS;
            goto done;
        }
    }
    char *new_name = strdup(to);
    char *desc = meta->description && *meta->description ? strdup(meta->description) : NULL;
    if (!new_name || (meta->description && *meta->description && !desc)) {
        free(new_name);
        free(desc);
        st = OBS_ERR_NO_MEMORY;
        goto done;
    }
    free(i.name);
    i.name = new_name;
    free(i.description);
    i.description = desc;
    json_decref(i.headers);
    i.headers = headers;
    headers = NULL;
    json_decref(i.metadata);
    i.metadata = metadata;
    metadata = NULL;
    st = obs_publish_meta(b, s, &i, true, err);
    if (st == OBS_OK && rename) {
        char *old = obs_meta_subject(b->bucket, name);
        st = old ? obs_purge_subject(s, old, err) : OBS_ERR_NO_MEMORY;
        free(old);
    }
done:
    json_decref(headers);
    json_decref(metadata);
    obs_info_free(&i);
    return st;
}

/* Publishes a link named `name` to link_bucket / link_name (NULL: the whole bucket), after
 * checking that `name` is free for it: absent, deleted, or already a link. */
static obs_status add_link(obs *b, stream *s, const char *name, const char *link_bucket,
                           const char *link_name, obs_info *out, jserr *err)
{
    obs_info e;
    obs_status st = obs_read_info(b, s, name, true, &e);
    bool taken = st == OBS_OK && !e.deleted && !obs_info_is_link(&e);
    obs_info_free(&e);
    if (st != OBS_OK && st != OBS_ERR_NOT_FOUND)
        return st;
    if (taken)
        return OBS_ERR_EXISTS;

    char nuid[OBS_NUID_LEN + 1];
    obs_nuid_next(nuid);
    obs_info i = {0};
    i.name = strdup(name);
    i.bucket = strdup(b->bucket);
    i.nuid = strdup(nuid);
    i.link_bucket = strdup(link_bucket);
    if (link_name)
        i.link_name = strdup(link_name);
    if (!i.name || !i.bucket || !i.nuid || !i.link_bucket || (link_name && !i.link_name)) {
        obs_info_free(&i);
        return OBS_ERR_NO_MEMORY;
    }
    st = obs_publish_meta(b, s, &i, true, err);
    if (st == OBS_OK && out)
        *out = i;
    else
        obs_info_free(&i);
    return st;
}

obs_status obs_add_link(obs *b, const char *name, const obs_info *target, obs_info *out,
                        jserr *err)
{
    jserr ignored;
    if (!err)
        err = &ignored;
    if (out)
        memset(out, 0, sizeof *out);
    obs_status st;
    stream *s = begin(b, name, err, &st);
    if (!s)
        return st;
    if (!target || !target->name || !*target->name || !target->bucket || !*target->bucket)
        return OBS_ERR_OBJECT_REQUIRED;
    if (target->deleted)
        return OBS_ERR_LINK_TO_DELETED;
    if (obs_info_is_link(target))
        return OBS_ERR_LINK_TO_LINK;
    return add_link(b, s, name, target->bucket, target->name, out, err);
}

obs_status obs_add_bucket_link(obs *b, const char *name, const char *target_bucket,
                               obs_info *out, jserr *err)
{
    jserr ignored;
    if (!err)
        err = &ignored;
    if (out)
        memset(out, 0, sizeof *out);
    obs_status st;
    stream *s = begin(b, name, err, &st);
    if (!s)
        return st;
    if (!obs_bucket_valid(target_bucket))
        return OBS_ERR_BAD_BUCKET;
    char *sname = obs_cat3(OBS_STREAM_PREFIX, target_bucket, "");
    if (!sname)
        return OBS_ERR_NO_MEMORY;
    bool exists = store_stream_find(b->st, sname) != NULL;
    free(sname);
    if (!exists)
        return OBS_ERR_BUCKET_NOT_FOUND;
    return add_link(b, s, name, target_bucket, NULL, out, err);
}

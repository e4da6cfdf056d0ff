/*
 * obs_internal.h — what the files of objstore/ share and nothing outside may use: the bucket
 * handle, subjects, the clock, appending a meta message, and the mapping of stream errors to
 * obs_status.
 */
#ifndef WEIR_OBS_INTERNAL_H
#define WEIR_OBS_INTERNAL_H

#include "objstore.h"

struct obs {
    store *st;
    char *bucket;      /* B */
    char *stream_name; /* OBJ_B */
    int64_t (*clock)(void *arg);
    void *clock_arg;
};

/* ns since the epoch from the handle's clock. */
int64_t obs_now(obs *b);

/* "<a><b><c>" in a new string, or NULL when out of memory. */
char *obs_cat3(const char *a, const char *b, const char *c);

/* "$O.<bucket>.C.<nuid>" / "$O.<bucket>.M.<base64url(name)>" / "$O.<bucket>.M.>" in a new
 * string (free it), or NULL when out of memory. */
char *obs_chunk_subject(const char *bucket, const char *nuid);
char *obs_meta_subject(const char *bucket, const char *name);
char *obs_meta_all_subject(const char *bucket);

/* The handle's stream, or NULL; on NULL sets *err (if any) to stream not found. */
stream *obs_stream_or_err(obs *b, jserr *err);

/* The obs_status of a stream-layer refusal. */
obs_status obs_status_of_jserr(const jserr *e);

/* The info held by a stored meta message: parsed, with mtime and revision from the message. */
obs_status obs_info_from_msg(const stream_msg *m, obs_info *out);

/* Reads the last meta message of `name` in stream s: OBS_ERR_NOT_FOUND (none, or deleted and
 * not show_deleted), OBS_ERR_BAD_META, OBS_ERR_NO_MEMORY. */
obs_status obs_read_info(obs *b, stream *s, const char *name, bool show_deleted, obs_info *out);

/* Appends info's JSON (mtime zero) to its meta subject with "Nats-Rollup: sub" (rollup false:
 * without it). On success sets info->revision and info->mtime_ns from the append. */
obs_status obs_publish_meta(obs *b, stream *s, obs_info *info, bool rollup, jserr *err);

/* Purges every message on a subject. */
obs_status obs_purge_subject(stream *s, const char *subject, jserr *err);

/* Deep copies of the optional JSON fields, checked for their shapes (headers: object of arrays
 * of strings or null; metadata: object of strings). 0, or -1 when the shape is wrong, -2 when
 * out of memory. *out is NULL for NULL or empty input. */
int obs_copy_headers(const json_t *in, json_t **out);
int obs_copy_metadata(const json_t *in, json_t **out);

#endif

/*
 * stream_config.h — a stream's configuration with nats-server's JSON field names, defaults,
 * validation and update rules (StreamConfig in nats-server's stream.go). Pure: no storage.
 *
 * Ownership: every pointer in stream_config is owned by it; stream_config_free releases them.
 */
#ifndef WEIR_STREAM_CONFIG_H
#define WEIR_STREAM_CONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "jserr.h"

typedef enum { STREAM_RETENTION_LIMITS, STREAM_RETENTION_INTEREST, STREAM_RETENTION_WORKQUEUE } stream_retention;
typedef enum { STREAM_DISCARD_OLD, STREAM_DISCARD_NEW } stream_discard;
typedef enum { STREAM_STORAGE_FILE, STREAM_STORAGE_MEMORY } stream_storage;

typedef struct stream_config {
    char *name;
    char *description;                 /* NULL when absent */
    char **subjects;                   /* nsubjects strings; defaults to [name] when none given */
    size_t nsubjects;
    stream_retention retention;        /* "limits" | "interest" | "workqueue" */
    int64_t max_consumers;             /* -1 = unlimited */
    int64_t max_msgs;                  /* -1 */
    int64_t max_bytes;                 /* -1 */
    int64_t max_age_ns;                /* 0 = unlimited (JSON: nanoseconds) */
    int64_t max_msgs_per_subject;      /* -1 */
    int32_t max_msg_size;              /* -1 */
    stream_discard discard;            /* "old" | "new" */
    bool discard_new_per_subject;
    stream_storage storage;            /* "file" | "memory" */
    int num_replicas;                  /* 1 (0 in a request means 1) */
    bool no_ack;
    int64_t duplicate_window_ns;       /* default 2 minutes, capped at max_age when that is set */
    bool allow_direct;
    bool mirror_direct;
    bool sealed;
    bool deny_delete;
    bool deny_purge;
    bool allow_rollup_hdrs;
    bool allow_msg_ttl;
    int64_t subject_delete_marker_ttl_ns; /* 0 = off; needs allow_msg_ttl */
    uint64_t first_seq;                /* 0 = 1 */
    json_t *metadata;                  /* object of string values, or NULL */
    json_t *consumer_limits;           /* {"inactive_threshold":ns,"max_ack_pending":n} or NULL */
    json_t *republish;                 /* {"src":..,"dest":..[,"headers_only":true]} or NULL */
    json_t *subject_transform;         /* {"src":..,"dest":..}: stored subjects, or NULL */
    json_t *mirror;                    /* the StreamSource mirrored ({"name",...}, normalized), or
                                          NULL: a mirror has no subjects of its own */
    json_t *sources;                   /* array of StreamSources (normalized as mirror), or NULL */
    bool compress;                     /* compression "s2": table files compressed (with LZ4) */
    bool pedantic;                     /* request only ("pedantic", nats-server 2.11): a default that
                                          would change a given value is an error instead. Never
                                          emitted, ignored by stream_config_equal. */
} stream_config;

/* Parses a StreamConfig JSON object (as sent to $JS.API.STREAM.CREATE / UPDATE, "pedantic"
 * included) into *out, applying nats-server's defaults (stream_config_apply_defaults). Keys
 * match case-insensitively and unknown ones are ignored, as Go's decoder does in nats-server's
 * default non-strict mode; a value of the wrong type gives JSERR_INVALID_JSON with Go's text
 * ("invalid JSON: json: cannot unmarshal string into Go struct field
 * StreamConfigRequest.max_msgs of type int64"). Features weir does not support (mirrors and
 * sources of another domain or account, placement, template_owner,
 * allow_msg_counter, allow_atomic, allow_batched, allow_msg_schedules, persist_mode "async")
 * are refused with JSERR_STREAM_INVALID_CONFIG and a text naming them. Does not validate: call
 * stream_config_check_create / stream_config_check_update. Returns 0 or -1 (err set). On -1,
 * *out is left freed. */
int stream_config_from_json(const json_t *j, stream_config *out, jserr *err);

/* A source's index name as nats-server composes it: "<stream> <filter> <dest>", the filter or
 * ">", the transform destination or ">" (with subject_transforms, their sources and their
 * destinations, each joined by form feeds). What tells two sources of one stream apart, and
 * what a Nats-Stream-Source header carries, with the origin's sequence after the stream name.
 * A malloc'd string, NULL out of memory. */
char *stream_config_source_tag(const json_t *source);

/* Applies nats-server's defaults to a config built in C or parsed from JSON (from_json calls
 * it): 0 or values below -1 of max_msgs, max_bytes, max_msgs_per_subject, max_msg_size and
 * max_consumers become -1; num_replicas 0 becomes 1; duplicate_window 0 becomes 2 minutes, or
 * max_age when that is smaller; subject_delete_marker_ttl turns on allow_msg_ttl and
 * allow_rollup_hdrs (clearing deny_purge); no subjects become [name]. With c->pedantic set, a
 * default that would replace a given value fails instead (JSERR_PEDANTIC, or
 * JSERR_STREAM_INVALID_CONFIG as nats-server says). Returns 0 or -1 (err set). */
int stream_config_apply_defaults(stream_config *c, jserr *err);

/* The JSON nats-server returns for a config (every field it always emits, omitempty fields only
 * when set). New reference owned by the caller. */
json_t *stream_config_to_json(const stream_config *c);

/* Validates a config as nats-server's checkStreamCfg does, in its order and with its texts
 * (mostly JSERR_STREAM_INVALID_CONFIG): name rules of ADR-6, description and metadata sizes,
 * replicas (> 5, < 0, then > 1: JSERR_STREAM_REPLICAS_NOT_SUPPORTED), max_age and
 * duplicate_window, roll-up vs deny_purge, discard_new_per_subject, delete-marker TTL, subjects
 * (valid filters, no duplicates, '>' and the $JS/$SYS API spaces only with no_ack, no overlap
 * among themselves). Account-level checks (limits, overlap with other streams) are the
 * caller's. Returns 0 or -1 with err set. */
int stream_config_check(const stream_config *c, jserr *err);

/* stream_config_check plus what $JS.API.STREAM.CREATE refuses before it: a name with path
 * separators (JSERR_STREAM_NAME_CONTAINS_PATH_SEPARATORS), a sealed stream, mirror_direct
 * without a mirror. Returns 0 or -1 with err set. */
int stream_config_check_create(const stream_config *c, jserr *err);

/* Checks that `next` may replace `cur`: first stream_config_check(next), then the update rules
 * (name, max_consumers, storage, retention to/from workqueue refused as nats-server 2.10/2.11
 * does; sealed, deny_delete, deny_purge and allow_msg_ttl only set, never cleared). Returns 0 or
 * -1. After it succeeds, call stream_config_seal(next). */
int stream_config_check_update(const stream_config *cur, const stream_config *next, jserr *err);

/* What nats-server does to a config being updated to sealed: max_age 0, discard new,
 * deny_delete and deny_purge set, allow_rollup_hdrs cleared. No-op when not c->sealed. */
void stream_config_seal(stream_config *c);

/* True when a subject of `a` and a subject of `b` can match a same literal subject (nats-server's
 * SubjectsCollide over both lists): a new stream overlapping an existing one gets
 * JSERR_STREAM_SUBJECT_OVERLAP. */
bool stream_config_subjects_overlap(const stream_config *a, const stream_config *b);

/* Deep copy; returns 0 or -1 when out of memory. */
int stream_config_copy(stream_config *dst, const stream_config *src);

/* True when both configs are the same after defaults (a create of an existing stream with an
 * identical config succeeds in nats-server). */
bool stream_config_equal(const stream_config *a, const stream_config *b);

void stream_config_free(stream_config *c);

/* Stream name rules (ADR-6): non-empty, at most 255 bytes, no whitespace, '.', '*', '>',
 * path separators or non-printable bytes. */
bool stream_name_valid(const char *name);

#endif

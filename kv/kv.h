/*
 * kv.h — Key-Value buckets as streams (ADR-8, ADR-48): the in-process API that the Redis adapter,
 * the command-line tool and the server's fast paths use. It gives the same semantics a NATS
 * client (nats.go, nats.c) produces on the wire, because it writes the very same messages:
 *
 *   bucket B    = stream "KV_B" capturing "$KV.B.>", history = max_msgs_per_subject (1..64),
 *                 ttl = max_age, discard new, deny_delete, allow_rollup_hdrs, allow_direct;
 *   key K       = subject "$KV.B.K"; a value is a message on it, its revision the stream sequence;
 *   delete      = an empty message with header "KV-Operation: DEL";
 *   purge       = an empty message with "KV-Operation: PURGE" and "Nats-Rollup: sub" (the
 *                 subject's older messages go, one marker stays);
 *   create      = a put with "Nats-Expected-Last-Subject-Sequence: 0", retried as an update of
 *                 the marker's revision when the key's last entry is a DEL/PURGE marker;
 *   update      = a put with "Nats-Expected-Last-Subject-Sequence: <revision>".
 * A subject delete marker of the stream layer (ADR-43, "Nats-Marker-Reason: MaxAge|Purge|Remove")
 * reads as a PURGE (MaxAge, Purge) or DEL (Remove) entry, as the clients read it.
 *
 * Names, as the clients check them: a bucket is [a-zA-Z0-9_-]+; a key is [-/_=.a-zA-Z0-9]+ with
 * no leading or trailing '.' and no empty token (".."). Keys starting with "_kv" are reserved
 * (ADR-8): writes refuse them, reads accept them. Watch, keys and history take a key pattern:
 * a key whose tokens may also be "*" or a final ">".
 *
 * Threading: like stream/, one thread (the server's loop) calls everything here.
 *
 * Durability: writes go into the store's pending batch like every stream_append; they are
 * durable after the next store_commit (the caller commits: the server's loop does it once per
 * iteration and acknowledges only after it). Reads see pending writes.
 *
 * Errors: every function returns a kv_status. When the stream layer refused something, *err
 * (optional, may be NULL) holds its JetStream error (code, err_code, description exactly as
 * nats-server words it on the wire); for errors found by kv/ itself err->code is 0.
 * kv_strerror gives the clients' text for a status.
 *
 * Ownership: a kv handle holds the store pointer (not the stream: the stream is looked up by
 * name on each call, so a bucket deleted behind a handle gives KV_ERR_BUCKET_NOT_FOUND). The
 * store must outlive every handle, and a handle every watch, key iterator and entry made from
 * it (an entry's `bucket` points into its handle). kv_entry buffers belong to the caller until
 * kv_entry_free.
 */
#ifndef WEIR_KV_H
#define WEIR_KV_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stream/stream.h"

#define KV_MAX_HISTORY 64
#define KV_STREAM_PREFIX "KV_"
#define KV_SUBJECT_PREFIX "$KV."
#define KV_OP_HEADER "KV-Operation"

typedef enum kv_status {
    KV_OK = 0,
    KV_ERR_NOT_FOUND,           /* "key not found": never written, or no entry left */
    KV_ERR_DELETED,             /* "key was deleted": the key's entry is a DEL/PURGE marker */
    KV_ERR_KEY_EXISTS,          /* "key exists": create of a key that has a value (err: 10071) */
    KV_ERR_WRONG_LAST_SEQUENCE, /* update with a revision that is not the key's last (10071) */
    KV_ERR_BAD_BUCKET,          /* "invalid bucket name" */
    KV_ERR_BAD_KEY,             /* "invalid key" (also a reserved "_kv" key written to) */
    KV_ERR_BAD_REVISION,        /* "invalid revision" (0) */
    KV_ERR_HISTORY_TOO_LARGE,   /* "history limited to a max of 64" */
    KV_ERR_BAD_CONFIG,          /* the stream layer refused the bucket's config (err says why) */
    KV_ERR_BUCKET_NOT_FOUND,    /* "bucket not found" */
    KV_ERR_NOT_KV_BUCKET,       /* "bucket not valid key-value store" (max_msgs_per_subject < 1) */
    KV_ERR_BUCKET_EXISTS,       /* created with a different config (err: 10058) */
    KV_ERR_VALUE_TOO_LARGE,     /* larger than max_value_size (err: 10054) */
    KV_ERR_LIMIT,               /* max_bytes (discard new) refused the write (err: 10077) */
    KV_ERR_NO_MEMORY,
    KV_ERR_INVALID_ARG,         /* NULL where a pointer is needed, bad TTL, bad options */
    KV_ERR_STREAM,              /* any other refusal of the stream layer (err says which) */
} kv_status;

/* The clients' text for a status ("key not found", "invalid key", ...). Static. */
const char *kv_strerror(kv_status st);

typedef enum kv_op { KV_OP_PUT = 1, KV_OP_DEL = 2, KV_OP_PURGE = 3 } kv_op;

/* "PUT", "DEL", "PURGE" (the KV-Operation values; PUT has no header on the wire). */
const char *kv_op_name(kv_op op);

/* ---------------- names ---------------- */

bool kv_bucket_valid(const char *bucket);
/* A key one may read: the character set, no leading/trailing '.', no "..". */
bool kv_key_valid(const char *key);
/* A key one may write: kv_key_valid and not starting with "_kv". */
bool kv_key_writable(const char *key);
/* A key pattern for watch/keys/history: like a key, tokens may be "*" and the last ">". */
bool kv_key_pattern_valid(const char *pattern);

/* ---------------- buckets ---------------- */

typedef struct kv kv; /* an open bucket */

typedef struct kv_config {
    const char *bucket;          /* required */
    const char *description;     /* NULL for none */
    int64_t history;             /* values kept per key: 0 → 1, at most KV_MAX_HISTORY */
    int64_t ttl_ns;              /* max_age of every entry; 0 = forever */
    int64_t max_bytes;           /* 0 → unlimited (-1) */
    int32_t max_value_size;      /* 0 → unlimited (-1) */
    stream_storage storage;      /* STREAM_STORAGE_FILE (the clients' default) or MEMORY */
    const json_t *metadata;      /* object of string values, or NULL; copied */
    int64_t limit_marker_ttl_ns; /* > 0: allow per-key TTLs and leave markers of this TTL when a
                                    key expires (ADR-48: allow_msg_ttl, subject_delete_marker_ttl) */
} kv_config;

/* The stream config a client's create builds for cfg (libnats js_CreateKeyValue, nats.go
 * CreateKeyValue): name KV_<bucket>, subjects ["$KV.<bucket>.>"], max_msgs_per_subject =
 * history, max_bytes, max_age = ttl, max_msg_size, discard new, deny_delete, allow_rollup_hdrs,
 * allow_direct, duplicate_window = ttl when 0 < ttl < 2 min else 2 min, max_msgs and
 * max_consumers -1, description, metadata, storage; defaults applied. *out must be freed with
 * stream_config_free. Returns KV_OK, KV_ERR_BAD_BUCKET, KV_ERR_HISTORY_TOO_LARGE, KV_ERR_BAD_CONFIG
 * (err set), KV_ERR_NO_MEMORY. */
kv_status kv_config_to_stream(const kv_config *cfg, stream_config *out, jserr *err);

/* Creates the bucket, or binds to it when it exists with an identical config
 * (KV_ERR_BUCKET_EXISTS when different). *out: a new handle, freed with kv_close. */
kv_status kv_bucket_create(store *st, const kv_config *cfg, kv **out, jserr *err);
/* Applies cfg to an existing bucket (store_stream_update; history, ttl, limits may change). */
kv_status kv_bucket_update(store *st, const kv_config *cfg, jserr *err);
/* Binds to an existing bucket: KV_ERR_BAD_BUCKET, KV_ERR_BUCKET_NOT_FOUND, KV_ERR_NOT_KV_BUCKET
 * (its stream keeps no message per subject). */
kv_status kv_bucket_open(store *st, const char *bucket, kv **out, jserr *err);
/* Frees the handle (the bucket stays). NULL is a no-op. */
void kv_close(kv *b);
/* Deletes the bucket's stream and everything in it. Handles on it then answer
 * KV_ERR_BUCKET_NOT_FOUND; close them. */
kv_status kv_bucket_delete(store *st, const char *bucket, jserr *err);

const char *kv_bucket_name(const kv *b);
/* The backing stream, or NULL when the bucket was deleted. Owned by the store. */
stream *kv_stream(kv *b);

/* The clock writes stamp entries with (ns since the epoch). Default: CLOCK_REALTIME. Tests set a
 * synthetic one to drive TTLs with store_expire. */
void kv_set_clock(kv *b, int64_t (*now_ns)(void *arg), void *arg);

typedef struct kv_bucket_status {
    const char *bucket;      /* points into the handle */
    uint64_t values;         /* messages in the stream: values and markers, every revision kept */
    uint64_t bytes;          /* the stream's bytes as nats-server counts them */
    int64_t history;         /* max_msgs_per_subject */
    int64_t ttl_ns;          /* max_age */
    int64_t max_bytes;       /* -1 = unlimited */
    int32_t max_value_size;  /* -1 = unlimited */
    int replicas;
    stream_storage storage;
    bool is_compressed;      /* always false: weir stores no compressed streams */
    const char *backing_store; /* "JetStream" */
    int64_t limit_marker_ttl_ns;
} kv_bucket_status;

kv_status kv_get_status(kv *b, kv_bucket_status *out);

/* ---------------- entries ---------------- */

typedef struct kv_entry {
    const char *bucket;   /* the handle's bucket name */
    char *key;            /* NUL-terminated, owned */
    const char *value;    /* value_len bytes (not NUL-terminated); NULL when empty or meta_only */
    size_t value_len;
    uint64_t revision;    /* the stream sequence */
    int64_t created_ns;   /* the message's timestamp */
    uint64_t delta;       /* watch only: entries still pending after this one (see below) */
    kv_op op;
    stream_msg msg_;      /* private: the buffers value points into */
} kv_entry;

/* Releases an entry's buffers and zeroes it. Safe on a zeroed entry and after any kv_get*. */
void kv_entry_free(kv_entry *e);

/* ---------------- reads ---------------- */

/* The key's current value. KV_ERR_NOT_FOUND when the key has no message; KV_ERR_DELETED when its
 * last message is a DEL/PURGE marker, and then *out holds that marker (its revision is what an
 * update over it needs). Always kv_entry_free(out) afterwards. */
kv_status kv_get(kv *b, const char *key, kv_entry *out, jserr *err);
/* The entry at a revision: KV_ERR_BAD_REVISION for 0, KV_ERR_NOT_FOUND when that sequence is gone
 * or belongs to another key, KV_ERR_DELETED (with *out) when it is a marker. */
kv_status kv_get_revision(kv *b, const char *key, uint64_t revision, kv_entry *out, jserr *err);

typedef struct kv_entry_list {
    kv_entry *entries;
    size_t count;
} kv_entry_list;
void kv_entry_list_free(kv_entry_list *l);

/* Every message still stored for the key pattern (markers included), in revision order — the
 * initial values of a watch with include_history. KV_ERR_NOT_FOUND when there are none (as the
 * clients answer). Bounded by history for a literal key. */
kv_status kv_history(kv *b, const char *key_pattern, kv_entry_list *out, jserr *err);

/* ---------------- writes ----------------
 * rev (optional) receives the new entry's revision. ttl_ns > 0 sets a per-key TTL (Nats-TTL; the
 * bucket needs limit_marker_ttl, the server wants at least one second). */

kv_status kv_put(kv *b, const char *key, const void *value, size_t len, uint64_t *rev, jserr *err);
/* Writes only when the key has no value (never written, or its last message is a DEL/PURGE
 * marker): else KV_ERR_KEY_EXISTS, with err "wrong last sequence: <current>" as on the wire. */
kv_status kv_create(kv *b, const char *key, const void *value, size_t len, int64_t ttl_ns,
                    uint64_t *rev, jserr *err);
/* Writes only when the key's last revision is `last` (0: only when the key never had a message):
 * KV_ERR_WRONG_LAST_SEQUENCE with err "wrong last sequence: <current>". */
kv_status kv_update(kv *b, const char *key, const void *value, size_t len, uint64_t last,
                    int64_t ttl_ns, uint64_t *rev, jserr *err);
/* Appends a DEL marker (history stays). last > 0: only when the key's last revision is last. */
kv_status kv_delete(kv *b, const char *key, uint64_t last, uint64_t *rev, jserr *err);
/* Appends a PURGE marker that rolls up the key's history (only the marker stays). ttl_ns > 0: the
 * marker expires after it (ADR-48 PurgeTTL). */
kv_status kv_purge(kv *b, const char *key, uint64_t last, int64_t ttl_ns, uint64_t *rev,
                   jserr *err);
/* Removes the markers of deleted keys, as nats.go PurgeDeletes (and libnats
 * kvStore_PurgeDeletes): markers older than older_than_ns go with the key's whole history;
 * younger ones stay as the key's only message. older_than_ns 0 = 30 minutes, < 0 = every marker
 * goes. *purged (optional) counts the keys purged. (libnats with 0 keeps every marker: its
 * threshold time stays 0; nats.go's behaviour is the one meant.) */
kv_status kv_purge_deletes(kv *b, int64_t older_than_ns, uint64_t *purged, jserr *err);

/* ---------------- keys ----------------
 * An iterator over the keys that have a value (their last message is not a marker), in the
 * revision order of those last messages, optionally restricted to a key pattern. It starts from
 * the stream's list of last sequences per subject (one uint64_t per subject) and reads one
 * message at a time, so a million keys are listed without building the list of keys or values
 * in memory. Keys written after kv_keys_open are not listed; a key whose listed message was
 * replaced meanwhile is skipped (a watch sees the change). */

typedef struct kv_keys kv_keys;
kv_status kv_keys_open(kv *b, const char *key_pattern, kv_keys **out);
/* The next key in *key (valid until the next call or kv_keys_close), or NULL at the end. */
kv_status kv_keys_next(kv_keys *it, const char **key);
void kv_keys_close(kv_keys *it);

/* ---------------- watch ----------------
 * A watch is a cursor the caller drives; it is what an ordered consumer on the bucket delivers
 * to a client's watcher, computed on demand:
 *
 *   1. the initial values, in revision order:
 *        default          the last message of every key matching the pattern (deliver policy
 *                         last_per_subject), from the stream's last sequences at open;
 *        include_history  every stored message matching, oldest first (deliver all);
 *        resume_from_revision = R > 0
 *                         every message matching from sequence R (deliver by_start_sequence;
 *                         overrides include_history and updates_only);
 *        updates_only     none.
 *      The initial set ends at the stream's last sequence at kv_watch_open.
 *   2. KV_EV_INIT_DONE once, after the initial values (at once when there are none) — the nil
 *      entry of the clients' watchers. Not given with updates_only, as in the clients.
 *   3. the live changes: every message matching appended after kv_watch_open, in order.
 *
 * kv_watch_next gives one event at a time; KV_EV_NONE means nothing more right now: call again
 * after new appends (the server does so when the stream tells its listener of an append). A
 * message removed before the cursor reaches it (limits, purges, expiry) is not given. A bucket
 * deleted under a watch gives KV_ERR_BUCKET_NOT_FOUND: close the watch (a bucket recreated
 * under an open watch is not detected). Cost: each message of the bucket is read at most once
 * per watch in the live phase (plus once to count it for the deltas), however often next is
 * called; the initial values cost one read per key (one uint64_t per key held meanwhile).
 * ignore_deletes drops DEL/PURGE entries (from both phases); meta_only gives entries without
 * their value. Entry delta = the entries still pending after this one when it is given: in the
 * initial phase the remaining initial entries plus the messages appended since open, in the live
 * phase the messages appended after it — nats-server's num_pending. It is exact while nothing is
 * removed meanwhile and resynchronises to 0 whenever the cursor reaches the stream's end. */

typedef struct kv_watch_options {
    bool include_history;
    bool ignore_deletes;
    bool updates_only;
    bool meta_only;
    uint64_t resume_from_revision;
} kv_watch_options;

typedef enum kv_event {
    KV_EV_NONE = 0,  /* nothing to give now */
    KV_EV_ENTRY,     /* *out holds an entry: kv_entry_free it */
    KV_EV_INIT_DONE, /* the initial values have all been given */
} kv_event;

typedef struct kv_watch kv_watch;
/* key_pattern NULL or ">" watches every key. opts may be NULL (defaults). */
kv_status kv_watch_open(kv *b, const char *key_pattern, const kv_watch_options *opts,
                        kv_watch **out);
/* The next event in *ev; *out is filled for KV_EV_ENTRY only. Errors: KV_ERR_BUCKET_NOT_FOUND
 * (the bucket was deleted), KV_ERR_NO_MEMORY. */
kv_status kv_watch_next(kv_watch *w, kv_entry *out, kv_event *ev);
void kv_watch_close(kv_watch *w);

/* Callback style: calls fn for each event available now — fn(arg, entry) for a change,
 * fn(arg, NULL) for KV_EV_INIT_DONE — until KV_EV_NONE or `max` calls (0 = no limit). The entry
 * is freed when fn returns. *ncalls (optional) counts the calls. */
typedef void (*kv_watch_fn)(void *arg, const kv_entry *e);
kv_status kv_watch_drain(kv_watch *w, kv_watch_fn fn, void *arg, size_t max, size_t *ncalls);

#endif

/*
 * objstore.h — Object Store buckets as streams (ADR-20): the in-process API that the Redis
 * adapter, the command-line tool and the server's fast paths use. It gives the same semantics a
 * NATS client (nats.go, nats.js) produces on the wire, because it writes the very same messages:
 *
 *   bucket B    = stream "OBJ_B" capturing "$O.B.C.>" (chunks) and "$O.B.M.>" (meta), discard
 *                 new, allow_rollup_hdrs, allow_direct, max_age = ttl, max_bytes, storage,
 *                 replicas, description, metadata;
 *   object N    = its chunks, messages on "$O.B.C.<nuid>" (a fresh 22-character nuid per put),
 *                 then one meta message on "$O.B.M.<base64url(N), padded>" with header
 *                 "Nats-Rollup: sub" whose body is nats.go's ObjectInfo JSON (name, description,
 *                 headers, metadata, options{link, max_chunk_size}, bucket, nuid, size, mtime,
 *                 chunks, digest "SHA-256=<base64url of the sum>", deleted). mtime is never
 *                 stored (Go's zero time is written); it reads as the meta message's timestamp;
 *   overwrite   = a put of an existing name; the old object's chunk subject is purged after the
 *                 new meta message is appended;
 *   delete      = the meta republished with deleted true, size 0, chunks 0, no digest, then the
 *                 purge of the chunk subject;
 *   link        = a meta message without chunks whose options.link names a bucket and object
 *                 (or only a bucket);
 *   seal        = the stream updated with sealed true (then every write is refused).
 *
 * Names: a bucket is [a-zA-Z0-9_-]+ (as the clients check it); an object name is any non-empty
 * string (it travels base64url-encoded in the subject).
 *
 * Memory: put reads from a reader callback one chunk at a time (one buffer of chunk_size
 * bytes) and get hands one stored chunk at a time to a writer callback, so an object of any
 * size costs one chunk of memory plus, during a put, the store's pending batch, which obs_put
 * bounds by committing it (store_commit) whenever OBS_COMMIT_BYTES of chunks or OBS_COMMIT_CHUNKS
 * chunks have been appended since the last commit. That commit also writes whatever else was
 * pending in the store.
 *
 * Durability: apart from those intermediate commits, writes go into the store's pending batch
 * like every stream_append and are durable after the next store_commit, which the caller does
 * (the server's loop once per iteration, before it acknowledges). Reads see pending writes.
 *
 * Threading: like stream/, one thread (the server's loop) calls everything here.
 *
 * Errors: every function returns an obs_status. When the stream layer refused something, *err
 * (optional, may be NULL) holds its JetStream error (code, err_code, description as nats-server
 * words it); for errors found by objstore/ itself err->code is 0. obs_strerror gives the
 * clients' text for a status.
 *
 * Ownership: an obs handle holds the store pointer (the stream is looked up by name on each
 * call, so a bucket deleted behind a handle gives OBS_ERR_BUCKET_NOT_FOUND). The store must
 * outlive every handle, and a handle every watch made from it. obs_info fields are owned by the
 * obs_info until obs_info_free. Inputs (obs_config, obs_meta, JSON values) are copied.
 */
#ifndef WEIR_OBJSTORE_H
#define WEIR_OBJSTORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stream/stream.h"

#define OBS_STREAM_PREFIX "OBJ_"
#define OBS_SUBJECT_PREFIX "$O."
#define OBS_DEFAULT_CHUNK_SIZE (128u * 1024u)    /* the clients' default */
#define OBS_MAX_CHUNK_SIZE (64u * 1024u * 1024u) /* nats-server's largest max_payload */
#define OBS_COMMIT_BYTES (8u * 1024u * 1024u)    /* put commits the batch past this many bytes */
#define OBS_COMMIT_CHUNKS 1024u                  /* ... or this many chunks (small chunk sizes) */
#define OBS_NUID_LEN 22
#define OBS_DIGEST_PREFIX "SHA-256="

typedef enum obs_status {
    OBS_OK = 0,
    OBS_ERR_NOT_FOUND,         /* "object not found": never written, or deleted */
    OBS_ERR_BAD_BUCKET,        /* "invalid object-store name" */
    OBS_ERR_BUCKET_NOT_FOUND,  /* "bucket not found" */
    OBS_ERR_BUCKET_EXISTS,     /* created with a different config (err: 10058) */
    OBS_ERR_BAD_CONFIG,        /* the stream layer refused the bucket's config (err says why) */
    OBS_ERR_NAME_REQUIRED,     /* "name is required" (NULL or empty object name) */
    OBS_ERR_BAD_META,          /* "object-store meta information invalid" (unparsable meta, no nuid) */
    OBS_ERR_DIGEST_MISMATCH,   /* "received a corrupt object, digests do not match" */
    OBS_ERR_BAD_DIGEST_FORMAT, /* "object digest hash has invalid format" */
    OBS_ERR_NO_OBJECTS,        /* "no objects found" (list of an empty bucket) */
    OBS_ERR_EXISTS,            /* "an object already exists with that name" */
    OBS_ERR_OBJECT_REQUIRED,   /* "object required" (link to nothing) */
    OBS_ERR_LINK_TO_DELETED,   /* "not allowed to link to a deleted object" */
    OBS_ERR_LINK_TO_LINK,      /* "not allowed to link to another link" (also a link chain) */
    OBS_ERR_LINK_IS_BUCKET,    /* "invalid Get, object is a link to a bucket" */
    OBS_ERR_UPDATE_DELETED,    /* "cannot update meta for a deleted object" */
    OBS_ERR_SEALED,            /* the bucket is sealed (err: 10109) */
    OBS_ERR_LIMIT,             /* max_bytes (discard new) refused a write (err: 10077) */
    OBS_ERR_READ,              /* the put's reader reported an error */
    OBS_ERR_WRITE,             /* the get's writer asked to stop */
    OBS_ERR_NO_MEMORY,
    OBS_ERR_INVALID_ARG,       /* NULL where a pointer is needed, chunk size too large, ... */
    OBS_ERR_STREAM,            /* any other refusal or failure of the stream layer (err says) */
} obs_status;

/* The clients' text for a status ("object not found", ...). Static. */
const char *obs_strerror(obs_status st);

/* ---------------- names ---------------- */

bool obs_bucket_valid(const char *bucket);

/* The subject token of an object name: base64url with padding, as nats.go's
 * base64.URLEncoding and nats.js's Base64UrlPaddedCodec write it. A new string (free it), or
 * NULL when out of memory. */
char *obs_name_encode(const char *name);

/* A fresh object id: OBS_NUID_LEN random base62 characters and a NUL. */
void obs_nuid_next(char out[OBS_NUID_LEN + 1]);

/* ---------------- buckets ---------------- */

typedef struct obs obs; /* an open bucket */

typedef struct obs_config {
    const char *bucket;      /* required */
    const char *description; /* NULL for none */
    int64_t ttl_ns;          /* max_age of every message; 0 = forever */
    int64_t max_bytes;       /* 0 → unlimited (-1) */
    stream_storage storage;  /* STREAM_STORAGE_FILE (the clients' default) or MEMORY */
    int replicas;            /* 0 → 1 */
    const json_t *metadata;  /* object of string values, or NULL; copied */
} obs_config;

/* The stream config a client's create builds for cfg (nats.go prepareObjectStoreConfig):
 * name OBJ_<bucket>, subjects ["$O.<bucket>.C.>", "$O.<bucket>.M.>"], max_age = ttl,
 * max_bytes, storage, replicas, discard new, allow_rollup_hdrs, allow_direct, description,
 * metadata; nats-server's defaults applied. *out must be freed with stream_config_free.
 * Returns OBS_OK, OBS_ERR_BAD_BUCKET, OBS_ERR_BAD_CONFIG (err set), OBS_ERR_NO_MEMORY. */
obs_status obs_config_to_stream(const obs_config *cfg, stream_config *out, jserr *err);

/* Creates the bucket, or binds to it when it exists with an identical config
 * (OBS_ERR_BUCKET_EXISTS when different). *out: a new handle, freed with obs_close. */
obs_status obs_bucket_create(store *st, const obs_config *cfg, obs **out, jserr *err);
/* Applies cfg to an existing bucket (store_stream_update rules). */
obs_status obs_bucket_update(store *st, const obs_config *cfg, jserr *err);
/* Binds to an existing bucket: OBS_ERR_BAD_BUCKET, OBS_ERR_BUCKET_NOT_FOUND. */
obs_status obs_bucket_open(store *st, const char *bucket, obs **out, jserr *err);
/* Frees the handle (the bucket stays). NULL is a no-op. */
void obs_close(obs *b);
/* Deletes the bucket's stream and everything in it. */
obs_status obs_bucket_delete(store *st, const char *bucket, jserr *err);

const char *obs_bucket_name(const obs *b);
/* The backing stream, or NULL when the bucket was deleted. Owned by the store. */
stream *obs_stream(obs *b);

/* The clock writes stamp messages with (ns since the epoch). Default: CLOCK_REALTIME. */
void obs_set_clock(obs *b, int64_t (*now_ns)(void *arg), void *arg);

/* Seals the bucket (stream update with sealed true): every later put, delete, link or meta
 * update is refused with OBS_ERR_SEALED; reads go on. */
obs_status obs_seal(obs *b, jserr *err);

typedef struct obs_bucket_status {
    const char *bucket;        /* points into the handle */
    const char *description;   /* the stream's, or NULL; valid until its config changes */
    int64_t ttl_ns;            /* max_age */
    int64_t max_bytes;         /* -1 = unlimited */
    stream_storage storage;
    int replicas;
    bool sealed;
    uint64_t size;             /* the stream's bytes as nats-server counts them */
    uint64_t msgs;             /* messages in the stream: chunks and meta */
    const char *backing_store; /* "JetStream" */
    const json_t *metadata;    /* the stream's, or NULL; valid until its config changes */
    bool is_compressed;        /* always false: weir stores no compressed streams */
} obs_bucket_status;

obs_status obs_get_status(obs *b, obs_bucket_status *out);

/* ---------------- object information ---------------- */

typedef struct obs_info {
    char *name;
    char *description;     /* NULL when none */
    json_t *headers;       /* nats.Header: object of arrays of strings, or NULL; owned ref */
    json_t *metadata;      /* object of string values, or NULL; owned ref */
    char *link_bucket;     /* a link: the bucket it points into (NULL: not a link) */
    char *link_name;       /* a link to one object: its name; NULL for a link to a bucket */
    uint32_t chunk_size;   /* options.max_chunk_size; 0 when absent (links) */
    char *bucket;          /* the bucket the meta names */
    char *nuid;            /* the object id ("" when the meta had none) */
    uint64_t size;
    uint32_t chunks;
    char *digest;          /* "SHA-256=..." or NULL (deleted objects, links) */
    bool deleted;
    int64_t mtime_ns;      /* the meta message's timestamp (mtime is never stored) */
    uint64_t revision;     /* the meta message's sequence */
} obs_info;

/* Releases the fields and zeroes *i. Safe on a zeroed obs_info. */
void obs_info_free(obs_info *i);
static inline bool obs_info_is_link(const obs_info *i)
{
    return i->link_bucket != NULL;
}

/* The ObjectInfo JSON nats.go writes for i (json.Marshal: its field order, omitempty fields
 * left out, map keys sorted, Go's string escaping). mtime is Go's zero time, as stored, unless
 * with_mtime (then i->mtime_ns in RFC 3339, for display). A new NUL-terminated string (free it)
 * with its length in *len, or NULL when out of memory. */
char *obs_info_to_json(const obs_info *i, bool with_mtime, size_t *len);
/* Parses a meta message body as nats.go's json.Unmarshal reads ObjectInfo (field names matched
 * case-insensitively, unknown fields ignored; nats.js's extra "revision" and empty
 * "description" accepted). mtime_ns and revision are left 0. OBS_OK, OBS_ERR_BAD_META (not an
 * object, wrong types) or OBS_ERR_NO_MEMORY; on error *out is zeroed. */
obs_status obs_info_from_json(const char *json, size_t len, obs_info *out);

/* ---------------- objects ---------------- */

typedef struct obs_meta {
    const char *name;        /* required */
    const char *description; /* NULL or "" for none */
    const json_t *headers;   /* object of arrays of strings, or NULL; copied */
    const json_t *metadata;  /* object of string values, or NULL; copied */
    uint32_t chunk_size;     /* put only: bytes per chunk; 0 = OBS_DEFAULT_CHUNK_SIZE, at most
                                OBS_MAX_CHUNK_SIZE */
} obs_meta;

/* A put's source: copies up to cap bytes into buf, returns how many (0 = end of the object),
 * or < 0 on error (the put then fails with OBS_ERR_READ). Called until it returns 0; chunks
 * are filled to chunk_size whatever the sizes of the reads. */
typedef long (*obs_read_fn)(void *arg, void *buf, size_t cap);
/* A get's sink: takes len bytes (one stored chunk); returns 0, or non-zero to stop the get
 * (OBS_ERR_WRITE). */
typedef int (*obs_write_fn)(void *arg, const void *data, size_t len);

/* Stores an object from a reader, as the clients' Put: reads the existing meta (a name whose
 * meta cannot be parsed gives OBS_ERR_BAD_META), appends the chunks on a fresh nuid's subject
 * while computing SHA-256, appends the meta (Nats-Rollup: sub), then purges the chunks of the
 * object it replaced. On any failure the chunks already appended are purged (as the clients
 * do) and nothing else changed. Errors: OBS_ERR_NAME_REQUIRED, OBS_ERR_INVALID_ARG (chunk
 * size), OBS_ERR_READ, OBS_ERR_SEALED, OBS_ERR_LIMIT, OBS_ERR_BUCKET_NOT_FOUND,
 * OBS_ERR_STREAM. out (optional) receives the new object's info (mtime and revision those of
 * the meta message); free it with obs_info_free. */
obs_status obs_put(obs *b, const obs_meta *meta, obs_read_fn rd, void *arg, obs_info *out,
                   jserr *err);
/* obs_put of a byte range with default options. */
obs_status obs_put_bytes(obs *b, const char *name, const void *data, size_t len, obs_info *out,
                         jserr *err);

/* The object's current info. A deleted object is OBS_ERR_NOT_FOUND unless show_deleted.
 * OBS_ERR_BAD_META when its meta cannot be parsed. */
obs_status obs_get_info(obs *b, const char *name, bool show_deleted, obs_info *out, jserr *err);

/* Reads an object into a writer, as the clients' Get: its info (deleted = not found), a link
 * followed to the object it names (in this bucket or another one of the same store; a link to
 * a bucket gives OBS_ERR_LINK_IS_BUCKET), then every chunk on its nuid's subject in order, one
 * at a time, with the SHA-256 of what was written compared to the meta's digest at the end:
 * OBS_ERR_DIGEST_MISMATCH then (the writer has already received the bytes: discard them). A
 * digest that does not parse gives OBS_ERR_BAD_DIGEST_FORMAT before anything is written. An
 * object of size 0 writes nothing. info (optional) receives the info of the object read (for a
 * link, its target's) whenever its meta was read, so also with OBS_ERR_DIGEST_MISMATCH,
 * OBS_ERR_BAD_DIGEST_FORMAT and OBS_ERR_WRITE; free it with obs_info_free. Chunks appended
 * after the read started are not read. */
obs_status obs_get(obs *b, const char *name, obs_write_fn wr, void *arg, obs_info *info,
                   jserr *err);

/* Deletes an object (objects and links alike; deleting a deleted object publishes the marker
 * again, as nats.go does): OBS_ERR_NOT_FOUND when it never existed. */
obs_status obs_delete(obs *b, const char *name, jserr *err);

/* Replaces an object's name, description, headers and metadata (meta->chunk_size is ignored),
 * as nats.go UpdateMeta: OBS_ERR_UPDATE_DELETED when the object is deleted or absent,
 * OBS_ERR_EXISTS when renaming onto a live object; a rename purges the old meta subject. */
obs_status obs_update_meta(obs *b, const char *name, const obs_meta *meta, jserr *err);

/* Adds a link named `name` to the object `target` (an info read from any bucket of the store).
 * OBS_ERR_OBJECT_REQUIRED, OBS_ERR_LINK_TO_DELETED, OBS_ERR_LINK_TO_LINK; OBS_ERR_EXISTS when
 * `name` is a live object that is not a link (a deleted object or a link is replaced, as
 * ADR-20 says). out (optional) receives the link's info. */
obs_status obs_add_link(obs *b, const char *name, const obs_info *target, obs_info *out,
                        jserr *err);
/* Adds a link named `name` to the whole bucket `target_bucket` (same rules for `name`). */
obs_status obs_add_bucket_link(obs *b, const char *name, const char *target_bucket,
                               obs_info *out, jserr *err);

/* ---------------- list and watch ----------------
 * A watch is a cursor over the bucket's meta messages, computed on demand — what the ordered
 * consumer of nats.go's Watch delivers:
 *   1. the initial infos in sequence order: by default the last meta message of every object
 *      (deliver last_per_subject); with include_history every stored meta message (deliver
 *      all); with updates_only none. They end at the stream's last sequence at open;
 *   2. OBS_EV_INIT_DONE once after them (at once when there are none) — the nil entry of the
 *      clients' watchers; not given with updates_only;
 *   3. the live changes: every meta message appended after open, in order.
 * ignore_deletes drops infos of deleted objects. Meta messages that do not parse are skipped
 * (as nats.go does). OBS_EV_NONE means nothing more right now: call again after new appends. */

typedef struct obs_watch_options {
    bool include_history;
    bool ignore_deletes;
    bool updates_only;
} obs_watch_options;

typedef enum obs_event {
    OBS_EV_NONE = 0,  /* nothing to give now */
    OBS_EV_INFO,      /* *out holds an info: obs_info_free it */
    OBS_EV_INIT_DONE, /* the initial infos have all been given */
} obs_event;

typedef struct obs_watch obs_watch;
/* opts may be NULL (defaults). */
obs_status obs_watch_open(obs *b, const obs_watch_options *opts, obs_watch **out);
/* The next event in *ev; *out is filled for OBS_EV_INFO only. OBS_ERR_BUCKET_NOT_FOUND when the
 * bucket was deleted. */
obs_status obs_watch_next(obs_watch *w, obs_info *out, obs_event *ev);
void obs_watch_close(obs_watch *w);

/* Lists the objects (the initial infos of a watch; deleted ones only with show_deleted) in meta
 * sequence order: calls fn(arg, info) for each, the info freed when fn returns; one meta
 * message read at a time. OBS_ERR_NO_OBJECTS when there is none (as the clients answer).
 * *count (optional) receives the number listed. */
typedef void (*obs_list_fn)(void *arg, const obs_info *info);
obs_status obs_list(obs *b, bool show_deleted, obs_list_fn fn, void *arg, size_t *count);

#endif

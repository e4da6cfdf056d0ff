/*
 * stream.h — streams over RocksDB: append with JetStream's publish-time rules, limits and
 * retention, reads by sequence / subject / time, deletes and purges, and the store that holds
 * every stream (one column family each) with group commit.
 *
 * Threading: one thread (the server's loop) calls everything here. RocksDB's own threads do
 * flushes and compaction.
 *
 * Group commit: appends, deletes and purges go into the store's pending WriteBatch and into the
 * in-memory state at once; store_commit() writes the batch (fsync when configured). A caller
 * that acknowledges an append to a client must do so only after the store_commit that follows
 * it succeeded. Reads see pending changes (they commit first when needed).
 *
 * Ownership: a stream belongs to its store (freed by store_close or store_stream_delete);
 * stream_msg buffers belong to the caller until stream_msg_free.
 */
#ifndef WEIR_STREAM_H
#define WEIR_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jserr.h"
#include "stream_config.h"

typedef struct store store;
typedef struct stream stream;

/* ---------------- the store ---------------- */

typedef struct store_options {
    const char *dir;          /* store directory; created if missing */
    int64_t sync_interval_ms; /* fsync the WAL at this interval (default 120000 like nats) */
    bool sync_always;         /* fsync every batch before its acks */
    const char *key;          /* encryption at rest: the secret (any length, derived with
                                 BLAKE2b; seal.h); NULL or "" = off. Not retained. */
} store_options;

/* Opens (creating if needed) the database and every stream recorded in it, rebuilding each
 * stream's in-memory state. NULL with a message in err on failure: locked or corrupt database;
 * with a key, "encryption key does not match the one this store was written with", or a
 * store holding unencrypted streams; without one, "store is encrypted: ..." (stream_crypt.c
 * says what is sealed). */
store *store_open(const store_options *opts, char *err, size_t errlen);
void store_close(store *st);
const char *store_dir(const store *st);

/* Creates a stream (config validated with stream_config_check). Creating an existing stream
 * with an identical config returns that stream; with a different one JSERR_STREAM_NAME_EXIST.
 * Subjects that overlap another stream's: JSERR_STREAM_SUBJECT_OVERLAP. */
int store_stream_create(store *st, const stream_config *cfg, stream **out, jserr *err);
/* Applies a new configuration (stream_config_check_update rules); limits that shrank are
 * enforced at once. */
int store_stream_update(store *st, stream *s, const stream_config *cfg, jserr *err);
/* Creates the stream sc describes (as store_stream_create), or with update applies sc to the
 * existing stream of that name (as store_stream_update; JSERR_STREAM_NOT_FOUND when there is
 * none). Frees sc. 0 or -1 with err. What kv/ and objstore/ do to make or change a bucket. */
int store_stream_put(store *st, stream_config *sc, bool update, jserr *err);
/* Deletes the stream: its column family, its metadata; s is freed. */
int store_stream_delete(store *st, stream *s, jserr *err);

stream *store_stream_find(store *st, const char *name);
/* The stream whose subjects capture a literal subject, or NULL. */
stream *store_stream_for_subject(store *st, const char *subject, size_t len);
/* Streams in name order: index 0..store_stream_count-1. */
size_t store_stream_count(const store *st);
stream *store_stream_at(store *st, size_t i);

/* Writes the pending batch. Returns 0, or -1 with err (then nothing pending was acked). */
int store_commit(store *st, char *err, size_t errlen);
bool store_has_pending(const store *st);
/* fsyncs the write-ahead log (the periodic sync of `sync_interval`). Returns 0 or -1. */
int store_sync(store *st);

/* Enforces max_age and per-message TTLs on every stream at now_ns; returns the earliest time
 * (ns) something will expire next, or INT64_MAX. */
int64_t store_expire(store *st, int64_t now_ns);

/* ---------------- a stream ---------------- */

typedef struct stream_state {
    uint64_t msgs;
    uint64_t bytes;        /* nats-server's accounting (stream_msg_size in stream.c) */
    uint64_t first_seq;
    int64_t first_ts_ns;
    uint64_t last_seq;
    int64_t last_ts_ns;
    uint64_t num_subjects;
    uint64_t num_deleted;  /* interior gaps between first_seq and last_seq */
} stream_state;

typedef struct stream_msg {
    uint64_t seq;
    int64_t ts_ns;
    const char *subject;
    size_t subject_len;
    const char *hdr; /* header block, or NULL */
    size_t hdr_len;
    const char *data;
    size_t data_len;
    void *owned;     /* the buffer the pointers above point into */
} stream_msg;

void stream_msg_free(stream_msg *m);

typedef struct stream_ack {
    uint64_t seq;
    bool duplicate;
} stream_ack;

const char *stream_name(const stream *s);
/* When the stream was created (ns since the epoch); 0 when not known (a memory stream after a
 * restart, or a store written before creation times were kept). */
int64_t stream_created_ns(const stream *s);
const stream_config *stream_get_config(const stream *s);
void stream_get_state(const stream *s, stream_state *out);

/* Appends one message published on `subject` with an optional header block, applying in
 * nats-server's order: sealed, max_msg_size, Nats-Expected-Stream, Nats-Msg-Id dedup (a
 * duplicate returns 0 with ack->duplicate and the original sequence), Nats-Expected-Last-Msg-Id,
 * Nats-Expected-Last-Sequence, Nats-Expected-Last-Subject-Sequence, Nats-Rollup, Nats-TTL, then
 * limits (discard new refuses; discard old removes the oldest). Returns 0 or -1 (err set). */
int stream_append(stream *s, const char *subject, size_t subject_len, const char *hdr,
                  size_t hdr_len, const char *data, size_t data_len, int64_t now_ns,
                  stream_ack *ack, jserr *err);

/* Writes the stream's committed records out of the memtable into table files now (RocksDB
 * does so on its own when the memtable fills) and gives the bytes its table files take on disk:
 * what compression saves shows there. 0, or -1 when the store refused. */
int stream_flush(stream *s, uint64_t *table_bytes);

/* Stores m, read from the stream this one mirrors, on `subject` (m's own, or transformed by the
 * mirror's subject_transforms) under m's sequence and timestamp: a sequence past the last one
 * leaves the gap the origin has. The origin applied the publish-time checks; the mirror's own
 * limits apply. A sequence already reached is ignored. 0, or -1 (err set). */
int stream_append_mirrored(stream *s, const char *subject, size_t subject_len,
                           const stream_msg *m, jserr *err);

/* Mirrors and sources: streams whose config has a mirror or sources are fed by the store from
 * those streams of the same store. store_sync_feeds copies what the origins have committed
 * beyond each feed's position, at most `budget` messages in all (the next call goes on), and
 * returns true when some feed has more to copy. An origin that does not exist (yet) is waited
 * for. */
bool store_sync_feeds(store *st, int64_t now_ns, size_t budget);
/* How many streams of the store are mirrors (0: nothing to look for). */
size_t store_mirror_count(const store *st);

/* A mirror's progress, for its stream info: the origin's messages (matching the mirror's
 * filters) not copied yet, and when the mirror last found its origin (ns since the epoch; 0 =
 * never). False when s is not a mirror. */
bool stream_mirror_status(stream *s, uint64_t *lag, int64_t *last_contact_ns);
/* The same for the i-th of s's sources (i < stream_source_count): its StreamSource config
 * (owned by s's config), or NULL when there is no such source. */
size_t stream_source_count(const stream *s);
const json_t *stream_source_status(stream *s, size_t i, uint64_t *lag, int64_t *last_contact_ns);

/* The message at seq: 0, or -1 with JSERR_NO_MESSAGE_FOUND. */
int stream_get(stream *s, uint64_t seq, stream_msg *out, jserr *err);
/* The first message at or after seq whose subject matches filter (NULL or ">" = any). */
int stream_get_next(stream *s, uint64_t seq, const char *filter, stream_msg *out, jserr *err);
/* The last message on a literal subject, or the newest matching a wildcard filter (NULL or ">":
 * the newest in the stream). */
int stream_get_last(stream *s, const char *subject, stream_msg *out, jserr *err);
/* The first sequence whose timestamp is >= ts_ns (last_seq + 1 when none). */
uint64_t stream_seq_for_time(stream *s, int64_t ts_ns);
/* Number of messages at or after seq matching filter (exact). */
uint64_t stream_count_matching(stream *s, const char *filter, uint64_t from_seq);

/* Per-subject totals for subjects matching filter: calls fn(subject, len, count, arg) for each. */
void stream_subject_totals(stream *s, const char *filter,
                           void (*fn)(const char *subject, size_t len, uint64_t count, void *arg),
                           void *arg);

/* The last sequence of every subject matching filter (NULL or ">" = all), ascending, in a new
 * array *out (free it; NULL when there are none). Returns the count, or -1 out of memory.
 * This is what deliver policy last_per_subject and KV keys/watch start from. */
long stream_last_seqs(stream *s, const char *filter, uint64_t **out);

/* What happened to a stream, told to its listener (the server's consumers): a message was
 * appended (in the pending batch; durable after the next store_commit) or removed (by any path:
 * limits, expiry, delete, purge), or the whole index was rebuilt (STREAM_EV_RESET: counts
 * derived from the stream must be recomputed; seq and subject are then 0/NULL). */
typedef enum { STREAM_EV_APPEND, STREAM_EV_REMOVE, STREAM_EV_RESET } stream_event;
typedef void (*stream_listener_fn)(void *arg, stream *s, stream_event ev, uint64_t seq,
                                   const char *subject, size_t subject_len);
/* One listener per store (NULL to remove): it hears every stream's events. */
void store_set_listener(store *st, stream_listener_fn fn, void *arg);
/* A message a mirror or a source stored (not a duplicate), as stored: its subject, header
 * block, data, sequence, time, and the subject's previous sequence in s (0: none) — what the
 * server republishes when s has a republish config. One hook per store (NULL to remove). */
typedef struct stream_stored {
    const char *subject;
    size_t subject_len;
    const char *hdr;
    size_t hdr_len;
    const char *data;
    size_t data_len;
    uint64_t seq;
    int64_t ts_ns;
    uint64_t last_on_subject;
} stream_stored;
typedef void (*stream_feed_hook_fn)(void *arg, stream *s, const stream_stored *m);
void store_set_feed_hook(store *st, stream_feed_hook_fn fn, void *arg);

/* The stream's input transform (`subject_transform`): the subject a message published on
 * `subject` is stored under, written into out; its length, or -1 when it is stored as is. */
long stream_input_subject(stream *s, const char *subject, size_t len, char *out, size_t cap);
/* Republish (the stream's `republish` config): the subject a message stored on `subject` is
 * republished to, written into out (NUL-terminated); its length, or -1 when the stream does not
 * republish it. */
long stream_republish_subject(stream *s, const char *subject, size_t len, char *out, size_t cap);
bool stream_republish_headers_only(const stream *s);
/* The last sequence stored on a literal subject, 0 when none (O(1) from the index). */
uint64_t stream_subject_last_seq(stream *s, const char *subject, size_t len);

/* Deletes one message; with erase, the batch is committed and the record's key range compacted
 * so its bytes do not stay in the table files. Returns 0, or -1 with nats-server's error:
 * JSERR_STREAM_SEALED, JSERR_STREAM_MSG_DELETE_FAILED ("message delete not permitted" with
 * deny_delete; for a file stream "no message found" / "stream store EOF" outside first..last),
 * or JSERR_SEQUENCE_NOT_FOUND. */
int stream_delete_msg(stream *s, uint64_t seq, bool erase, jserr *err);

/* Removes a message because the retention policy no longer needs it (interest: every consumer
 * acked it; workqueue: its consumer did), which deny_delete and seal do not forbid. 0, or -1
 * when it is not there (or the store failed). */
int stream_retire_msg(stream *s, uint64_t seq);

typedef struct stream_purge_req {
    const char *filter; /* NULL = all subjects */
    uint64_t seq;       /* > 0: purge messages below seq (not including); beyond the end, the
                           next message gets sequence seq */
    uint64_t keep;      /* > 0: keep the newest `keep` of the messages matching the filter,
                           counted together (nats-server's PurgeEx), not per subject */
} stream_purge_req;

/* Purges per nats-server's extended purge (ADR-10). *purged receives the count. Errors:
 * JSERR_STREAM_SEALED, JSERR_STREAM_PURGE_FAILED (deny_purge), JSERR_BAD_REQUEST (both seq and
 * keep), JSERR_STREAM_GENERAL_ERROR (a write error). */
int stream_purge(stream *s, const stream_purge_req *req, uint64_t *purged, jserr *err);

#endif

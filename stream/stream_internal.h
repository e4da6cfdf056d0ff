/*
 * stream_internal.h — what the files of stream/ share and nothing outside may use: the store's
 * databases, a stream's in-memory state (per-subject index, dedup window, TTL heap, the changes
 * not yet committed) and the primitives that keep state and storage in step.
 *
 * Pending changes. Appends, deletes and purges go into the database's WriteBatch and into the
 * in-memory state at once. Until store_commit writes the batch, a stream remembers:
 *   - `pending`: the appends in the batch (ascending sequences, all above every committed
 *     record, since sequences only grow), with what removing one needs (subject, size);
 *   - `pend_del`: the committed records deleted since (ascending).
 * Reads of committed records go straight to the database, skipping `pend_del`; a read that
 * needs a pending append commits first. So the hot path (append, then trim the oldest under a
 * limit) never forces a commit. The deletes themselves are written into the batch at commit,
 * in sequence order after the appends: RocksDB's memtable inserts runs of ascending keys far
 * faster than puts at the tail interleaved with deletes at the head.
 *
 * Record values. Every record is written with stream_record_put and read with
 * stream_record_open (stream_crypt.c), never with record_encode / record_decode directly:
 * with an encryption key they seal and open it, without one they are the plain encoding.
 */
#ifndef WEIR_STREAM_INTERNAL_H
#define WEIR_STREAM_INTERNAL_H

#include <rocksdb/c.h>
#include <stdbool.h>
#include <stdint.h>

#include "record.h"
#include "seal.h"
#include "proto/nats_header.h"
#include "proto/subject_transform.h"
#include "server/strmap.h"
#include "stream.h"

/* Per-subject sequences are kept in memory when the per-subject limit bounds them. */
#define STREAM_TRACK_SEQS_MAX 1024

/* Meta keys (file database, `meta` column family). */
#define META_STREAM_PREFIX "stream:"     /* + name: the configuration JSON */
#define META_SEQSTATE_PREFIX "seqstate:" /* + name: first, last sequence, last timestamp,
                                             creation time (older stores: without it) */
#define META_KEYCHECK "keycheck"         /* the encryption key's check value (encrypted stores) */

typedef struct store_db {
    rocksdb_t *db;
    rocksdb_options_t *opts;
    rocksdb_env_t *env; /* the in-memory env of the memory database, else NULL */
    rocksdb_cache_t *cache;                      /* the block cache (STORE_BLOCK_CACHE) */
    rocksdb_block_based_table_options_t *table;  /* holds the cache */
    rocksdb_column_family_handle_t *cf_default;
    rocksdb_column_family_handle_t *cf_meta;
    rocksdb_writebatch_t *batch;
    bool pending;
} store_db;

struct store {
    char *dir;
    bool sync_always;
    int64_t sync_interval_ms;
    store_db file;
    store_db mem;
    rocksdb_writeoptions_t *wopts;
    rocksdb_readoptions_t *ropts;
    stream **streams; /* sorted by name */
    size_t nstreams;
    size_t nmirrors;  /* streams among them that mirror another */
    size_t nfed;      /* streams among them that mirror or source others (store_sync_feeds) */
    size_t cap;
    char *werr; /* the first failed write: every later write fails with it (state and disk may
                   differ after it, so nothing more may be acknowledged) */
    seal_key *master; /* encryption at rest: the master key, or NULL (see stream_crypt.c) */
    stream_listener_fn listener; /* store_set_listener */
    void *listener_arg;
    stream_feed_hook_fn feed_hook; /* store_set_feed_hook */
    void *feed_hook_arg;
};

/* One message of a subject, as the per-subject index keeps it when the stream tracks sequences:
 * its size lets the index remove it (a KV put replacing a revision) without reading it. */
typedef struct subj_seq {
    uint64_t seq;
    uint64_t size; /* accounted bytes */
} subj_seq;

typedef struct subj_entry {
    const char *subject; /* the index's own copy of the subject (its map key) */
    size_t subject_len;
    uint64_t first;   /* a lower bound of the first sequence; exact unless first_stale */
    uint64_t last;    /* an upper bound of the last sequence; exact unless last_stale */
    uint64_t count;
    bool first_stale; /* `first` was removed: the real one is found by scanning forward */
    bool last_stale;  /* likewise for `last`, scanning backwards */
    subj_seq *seqs;   /* ascending, when the stream tracks them (then first/last are exact);
                       * &one while there is room for one only (a KV key's single revision) */
    size_t nseqs, seqs_cap;
    subj_seq one;
} subj_entry;

typedef struct dedup_entry {
    uint64_t seq;
    int64_t ts_ns;
} dedup_entry;

typedef struct dedup_fifo_item {
    char *id;
    size_t len;
    int64_t ts_ns;
} dedup_fifo_item;

typedef struct ttl_item {
    int64_t expires_ns;
    uint64_t seq;
} ttl_item;

/* An append written to the batch but not yet to the database. */
typedef struct pending_msg {
    uint64_t seq;
    subj_entry *subj; /* valid while the message is not removed */
    uint64_t size;    /* accounted bytes */
    int64_t ts_ns;
    bool removed;
} pending_msg;

/* What removing one message needs to know about it. */
typedef struct msg_info {
    uint64_t seq;
    const char *subject;
    size_t subject_len;
    uint64_t size;
    int64_t ts_ns;
    int64_t ttl_ns;
} msg_info;

/* Another stream of the store this one is fed from: its mirror or one of its sources (a
 * StreamSource of the config), with the filter and transforms compiled, the origin's next
 * sequence to look at and when the origin was last found. Its strings point into the config. */
typedef struct stream_feed {
    const char *origin;          /* the origin stream's name; NULL: no feed */
    const char *filter;          /* filter_subject; NULL = all */
    subject_transform **trs;     /* one per subject_transforms entry (NULL: kept as is) */
    const char **srcs;           /* their sources */
    size_t ntrs;
    char *tag;                   /* stream_config_source_tag, for sources */
    uint64_t next;               /* 0: not positioned yet */
    int64_t contact_ns;
} stream_feed;

struct stream {
    store *st;
    bool appending_marker; /* a subject delete marker is being stored: its rollup is ours */
    store_db *db;
    rocksdb_column_family_handle_t *cf;
    char *cf_name;
    bool compressed; /* the column family's compression is set to LZ4 (cfg.compress applied) */
    stream_feed mirror;      /* cfg.mirror compiled (origin NULL when not a mirror) */
    stream_feed *sources;    /* cfg.sources compiled, in their order */
    size_t nsources;
    bool sources_scanned;    /* the sources not positioned yet were looked for in the stream */
    uint64_t sources_scan_seq; /* where that look goes on (0: from the stream's end) */
    stream_config cfg;
    int64_t created_ns;   /* when it was created (kept in the sequence state), 0 = unknown */
    subject_transform *republish; /* cfg.republish compiled, or NULL */
    subject_transform *input;     /* cfg.subject_transform compiled, or NULL */
    stream_state state;   /* msgs, bytes, first/last seq and ts (num_* computed on demand) */
    bool first_ts_known;  /* state.first_ts_ns is exact (else read on demand) */
    strmap subjects;      /* subject → subj_entry* */
    bool track_seqs;
    strmap dedup;         /* Nats-Msg-Id → dedup_entry* */
    dedup_fifo_item *fifo;
    size_t fifo_head, fifo_len, fifo_cap;
    char *last_msg_id;    /* Nats-Msg-Id of the last stored message (NULL: none) */
    ttl_item *ttl;        /* min-heap by expires_ns */
    size_t nttl, ttl_cap;
    pending_msg *pending; /* see the top of this file */
    size_t npending, pending_cap;
    uint64_t *pend_del;
    size_t npend_del, pend_del_cap;
    /* Trimming under a limit reads the oldest records one after the other: an iterator kept
     * between calls reads them sequentially instead of one point lookup each. It sees the
     * records committed when it was created (records never change, so that is enough for the
     * live ones it finds); store_commit drops it so it pins no memtable for long. */
    rocksdb_iterator_t *head_it;
    unsigned head_removals; /* removals of the first message since the last commit */
    /* Sequential reads (consumers, scans) reuse one iterator: a fresh RocksDB iterator and its
     * seek cost more than reading the record. It sees the committed state when it was made, so
     * it goes at the first commit that wrote this stream's records (cf_written). read_at: the
     * sequence it is positioned on, 0 = not positioned. */
    rocksdb_iterator_t *read_it;
    uint64_t read_at;
    bool cf_written;
    /* Encryption at rest (stream_crypt.c): the stream's key when the store has one (it seals
     * the definition), and whether records are sealed with it (file storage only). */
    seal_key *seal;
    bool seal_records;
};

/* Where stream_record_open puts a record it had to copy or open; reused from one record to
 * the next (it only grows). Zero-initialise; free with rec_buf_free. */
typedef struct rec_buf {
    uint8_t *p;
    size_t cap;
} rec_buf;

/* ---- store.c ---- */
/* Makes everything pending durable and visible to direct reads (commits). 0 or -1. */
int store_make_readable(store *st);
/* Records a write error (sticky) and returns -1. */
int store_set_werr(store *st, const char *why);
/* Fills err with JSERR_STREAM_STORE_FAILED when the store has a write error; returns -1 then. */
int store_check_werr(store *st, jserr *err);

/* ---- stream.c ---- */
/* Notes that the pending batch writes this stream's records (see read_it). */
static inline void stream_cf_written(stream *s)
{
    s->cf_written = true;
}
/* What the config derives, after a create, a load or an update: cfg.republish and
 * cfg.subject_transform compiled, the column family's compression. 0, or -1 when RocksDB refused
 * the compression setting. */
int stream_apply_config(stream *s);
/* stream_feed.c. Compiles a StreamSource into f (positions left as they are); -1 out of memory. */
int stream_feed_compile(stream_feed *f, const json_t *source);
void stream_feed_release(stream_feed *f);
/* Where a feed that has nothing yet starts in its origin: opt_start_seq, opt_start_time, or 1. */
uint64_t stream_feed_start(const json_t *source, stream *origin);
/* The origin's messages from f->next on that f takes (its filter), not copied yet. */
uint64_t stream_feed_lag(const stream_feed *f, stream *origin);
/* Whether the store's feed hook wants s's stored messages (s republishes), and telling it. */
bool stream_feed_told(const stream *s);
void stream_feed_tell(stream *s, const stream_stored *m);
/* Stores one message a feed took from its origin, on `subject` (already transformed). */
typedef int (*stream_feed_put)(stream *s, const stream_feed *f, const char *subject, size_t len,
                               const stream_msg *m, int64_t now_ns, jserr *err);
/* Copies the origin's messages from f->next on into s through put, at most *budget of them
 * (counted down). True when it stopped at the budget with more to copy. */
bool stream_feed_copy(stream *s, stream_feed *f, stream *origin, int64_t now_ns, size_t *budget,
                      stream_feed_put put);
/* Compiles cfg.mirror (stream_mirror.c) and cfg.sources (stream_source.c), keeping the
 * positions of the feeds that stay; -1 out of memory. */
int stream_mirror_compile(stream *s);
int stream_sources_compile(stream *s);
void stream_sources_release(stream *s);
bool stream_mirror_sync(stream *s, int64_t now_ns, size_t *budget);
bool stream_sources_sync(stream *s, int64_t now_ns, size_t *budget);
/* Tells the store's listener (if any) about one event of s. */
void stream_notify(stream *s, stream_event ev, uint64_t seq, const char *subject, size_t len);
stream *stream_new(store *st, store_db *db, rocksdb_column_family_handle_t *cf, const char *cf_name,
                   const stream_config *cfg);
void stream_free(stream *s);
uint64_t stream_msg_size(const stream *s, size_t subject_len, size_t hdr_len, size_t data_len);
subj_entry *stream_subject_get(stream *s, const char *subject, size_t len, bool create);
/* Accounts one stored message in the in-memory state (used by append and by loading). */
subj_entry *stream_account_add(stream *s, uint64_t seq, const char *subject, size_t subject_len,
                               uint64_t size, int64_t ts_ns);
/* Writes one new record into the batch and accounts it as a pending append. */
subj_entry *stream_store_record(stream *s, uint64_t seq, const record_view *r);
/* Removes one message: from storage (into the batch) and from the state. Returns 0, or -1 when
 * there is no such message. */
int stream_remove_seq(stream *s, uint64_t seq);
/* Removes the subject's oldest message; without reading it when the index tracks its size. */
int stream_remove_subject_first(stream *s, subj_entry *e);
/* Removes the message at seq of subject e, whose accounted size the caller knows. */
int stream_remove_indexed(stream *s, uint64_t seq, subj_entry *e, uint64_t size);
/* Same, for a committed message whose record the caller has just read (m from a database
 * read that honoured pend_del). */
void stream_remove_known(stream *s, const msg_info *m);
/* Takes a committed message out of the counts and the index only (the caller deletes its
 * record and moves first_seq). */
void stream_account_remove(stream *s, const msg_info *m);
/* Throws away the in-memory state of stored messages (index, counts) keeping the sequences. */
void stream_reset_index(stream *s);
/* Rebuilds the in-memory index and counts from the committed records (after a commit). */
int stream_rebuild_index(stream *s);
/* Called by store_commit: writes the pending deletes into the batch (before the write), then
 * forgets the pending lists (after it succeeded). */
void stream_flush_deletes(stream *s);
void stream_clear_pending(stream *s);
bool stream_is_pend_del(const stream *s, uint64_t seq);
/* The first sequence of a subject (scanning when it went stale); 0 when none. */
uint64_t stream_subject_first(stream *s, subj_entry *e);
/* The last sequence of a subject (scanning when it went stale); 0 when none. */
uint64_t stream_subject_last(stream *s, subj_entry *e);
void stream_ttl_push(stream *s, int64_t expires_ns, uint64_t seq);
void stream_ttl_pop(stream *s);
void stream_dedup_add(stream *s, const char *id, size_t len, uint64_t seq, int64_t ts_ns);
void stream_dedup_expire(stream *s, int64_t now_ns);
void stream_dedup_clear(stream *s);
void stream_set_last_msg_id(stream *s, const char *id, size_t len);
/* Persists first/last sequence so they survive a restart of an emptied or trimmed stream. */
void stream_save_seq_state(stream *s);

/* ---- stream_read.c ---- */
/* Reads a record by sequence (pending or committed); returns 0 or -1. */
int stream_read(stream *s, uint64_t seq, stream_msg *out);
/* Reads the first record at or after seq (pending or committed); returns 0 or -1. */
int stream_read_from(stream *s, uint64_t seq, stream_msg *out);
/* Same without copying and without committing: the sequence, timestamp and size of that
 * message in *out (out->subject is NULL). 0 or -1. */
int stream_peek_from(stream *s, uint64_t seq, msg_info *out);
/* Makes state.first_ts_ns exact (it is read lazily after the first message went). */
void stream_load_first_ts(stream *s);
/* Decodes a database value into a msg_info (size computed) through stream_record_open (r and
 * out->subject may point into b); 0 or -1. */
int stream_decode_info(const stream *s, uint64_t seq, const char *val, size_t vlen, rec_buf *b,
                       record_view *r, msg_info *out);

/* ---- stream_append.c ---- */
/* Applies the configured limits to what is stored (after a config update). */
void stream_enforce_limits(stream *s);

/* ---- stream_purge.c ---- */
/* A purge without the permission checks (rollups use it). 0, or -1 with why (a write error). */
int stream_purge_apply(stream *s, const stream_purge_req *req, uint64_t *purged, char *why,
                       size_t whylen);
/* Enforces max_age and TTLs on one stream; returns the next time something expires. */
int64_t stream_expire(stream *s, int64_t now_ns);

/* ---- stream_crypt.c: every record and definition goes through these ---- */
/* Derives the master key from secret (NULL or "" = no encryption) and checks it against the
 * store's check value, writing that value into a store that has none and no streams. 0, or -1
 * with a message in err. Runs once, before any stream is loaded. */
int store_crypt_init(store *st, const char *secret, char *err, size_t errlen);
/* Frees the master key. */
void store_crypt_free(store *st);
/* Creates the stream's key when the store has a master key. 0, or -1 (out of memory). */
int stream_crypt_init(stream *s);
/* Encodes record r for seq, seals it when the stream seals records, and puts it into the
 * stream's database batch. */
void stream_record_put(stream *s, uint64_t seq, const record_view *r);
/* Decodes the database value of record seq into r. Without sealing and without copy, r points
 * into val (nothing is copied); otherwise the plaintext record is in b->p (opened, or copied
 * when copy is set) and r points into it until b is used again. 0, or -1 when the value is not
 * a valid record or does not authenticate. */
int stream_record_open(const stream *s, uint64_t seq, const char *val, size_t vlen, rec_buf *b,
                       bool copy, record_view *r);
void rec_buf_free(rec_buf *b);
/* The stored value of a stream definition (JSON text): sealed with the stream's key k when the
 * store is encrypted (k not NULL), else a copy. Returns a malloc'd buffer (*outlen bytes) or
 * NULL (out of memory). */
char *stream_def_seal(const seal_key *k, const char *name, const char *json, size_t len,
                      size_t *outlen);
/* The JSON text of a stored definition of stream `name` (NUL-terminated, malloc'd, *outlen
 * bytes), opened with the store's master key when the store is encrypted; NULL when it does not
 * authenticate or memory runs out. */
char *store_def_open(const store *st, const char *name, const char *val, size_t vlen,
                     size_t *outlen);

/* ---- stream_load.c ---- */
int stream_load(stream *s, int64_t now_ns, char *err, size_t errlen);

#endif

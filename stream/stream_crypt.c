/*
 * stream_crypt.c — encryption at rest in the store: the one place where records are encoded
 * and sealed on their way into the WriteBatch and opened and decoded on their way out of
 * RocksDB, where stream definitions are sealed and opened, and where the store's key is checked
 * at open. The cryptography itself is seal.c's; this file decides what goes through it.
 *
 * With jetstream { key: ... } (or $WEIR_JETSTREAM_KEY) the store derives a master key and each
 * stream a key of its own (seal.h). Then:
 *
 * - Records of file streams: the whole record value (timestamp, TTL, subject, headers, payload)
 *   is sealed, with the stream name and the sequence as associated data, so a record moved to
 *   another sequence or stream does not open. The RocksDB key ('M' + sequence) stays clear:
 *   the store seeks and range-deletes by it, and a sequence number says nothing about content.
 *   Every write of a record goes through stream_record_put and every read through
 *   stream_record_open; without a key both are the plain encode / decode (no copy, no extra
 *   work).
 * - Records of memory streams are not sealed. They live in RocksDB's in-memory environment
 *   and never reach a file, so sealing them would cost CPU on every append and read and
 *   protect nothing at rest (a reader of the process's memory also has the key). nats-server's
 *   memstore does not encrypt either.
 * - Stream definitions (the config JSON in `meta`, for both storage types) are sealed with the
 *   stream's key and sequence 0 (no record has sequence 0): subject filters, descriptions and
 *   metadata can be as telling as the data, and nats-server encrypts its meta.inf with the
 *   stream's key as well. What stays readable, as in nats-server (whose directory names are the
 *   stream names): stream names (column family names and `meta` keys, also in RocksDB's
 *   MANIFEST and LOG), record sequences, and `seqstate:` (first and last sequence, last
 *   timestamp: numbers the store reads before any record).
 * - The key check value (seal_key_check_value, not secret) lives in `meta` under "keycheck".
 *   It is written when a key is configured on a store without streams (a new store, usually)
 *   and verified at every open before anything is read, so that: a wrong key fails the open
 *   clearly; an encrypted store opened without a key fails clearly; and a key configured on a
 *   store that already holds unencrypted streams fails clearly too (records and definitions
 *   are never a mix of sealed and plain; nats-server converts such stores in place, weir
 *   refuses).
 */
#include "stream_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Records up to this size are encoded and sealed on the stack. */
#define CRYPT_STACK 8192

void rec_buf_free(rec_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->cap = 0;
}

static int rec_buf_reserve(rec_buf *b, size_t need)
{
    if (need == 0)
        need = 1;
    if (b->cap >= need)
        return 0;
    uint8_t *n = realloc(b->p, need);
    if (!n)
        return -1;
    b->p = n;
    b->cap = need;
    return 0;
}

/* ---------------- records ---------------- */

void stream_record_put(stream *s, uint64_t seq, const record_view *r)
{
    size_t rlen = record_size(r->subject_len, r->hdr_len, r->data_len);
    size_t vlen = s->seal_records ? rlen + seal_overhead() : rlen;
    size_t total = s->seal_records ? rlen + vlen : rlen; /* plain, then sealed */
    uint8_t stackbuf[CRYPT_STACK];
    uint8_t *buf = total <= sizeof stackbuf ? stackbuf : malloc(total);
    if (!buf)
        abort(); /* the in-memory state and the batch must stay in step */
    record_encode(buf, r);
    uint8_t *val = buf;
    if (s->seal_records) {
        val = buf + rlen;
        if (seal_record(s->seal, s->cfg.name, seq, buf, rlen, val) != vlen)
            abort(); /* only out of memory (records are far below the cipher's limit) */
    }
    uint8_t key[RECORD_KEY_SIZE];
    record_key(seq, key);
    stream_cf_written(s);
    rocksdb_writebatch_put_cf(s->db->batch, s->cf, (const char *)key, sizeof key,
                              (const char *)val, vlen);
    s->db->pending = true;
    if (buf != stackbuf)
        free(buf);
}

int stream_record_open(const stream *s, uint64_t seq, const char *val, size_t vlen, rec_buf *b,
                       bool copy, record_view *r)
{
    if (!s->seal_records && !copy)
        return record_decode((const uint8_t *)val, vlen, r);
    size_t plen = vlen;
    if (s->seal_records) {
        if (vlen < seal_overhead())
            return -1;
        plen = vlen - seal_overhead();
    }
    if (rec_buf_reserve(b, plen) < 0)
        return -1;
    if (!s->seal_records)
        memcpy(b->p, val, vlen);
    else if (seal_open_record(s->seal, s->cfg.name, seq, (const uint8_t *)val, vlen, b->p) < 0)
        return -1;
    return record_decode(b->p, plen, r);
}

/* ---------------- stream definitions ---------------- */

int stream_crypt_init(stream *s)
{
    s->seal = NULL;
    s->seal_records = false;
    if (!s->st->master)
        return 0;
    if (!(s->seal = seal_key_for_stream(s->st->master, s->cfg.name)))
        return -1;
    s->seal_records = s->cfg.storage == STREAM_STORAGE_FILE;
    return 0;
}

char *stream_def_seal(const seal_key *k, const char *name, const char *json, size_t len,
                      size_t *outlen)
{
    size_t n = k ? len + seal_overhead() : len;
    char *out = malloc(n ? n : 1);
    if (!out)
        return NULL;
    if (!k)
        memcpy(out, json, len);
    else if (seal_record(k, name, 0, (const uint8_t *)json, len, (uint8_t *)out) != n) {
        free(out);
        return NULL;
    }
    *outlen = n;
    return out;
}

char *store_def_open(const store *st, const char *name, const char *val, size_t vlen,
                     size_t *outlen)
{
    if (!st->master) {
        char *text = malloc(vlen + 1);
        if (text) {
            memcpy(text, val, vlen);
            text[vlen] = 0;
            *outlen = vlen;
        }
        return text;
    }
    if (vlen < seal_overhead())
        return NULL;
    seal_key *k = seal_key_for_stream(st->master, name);
    char *text = k ? malloc(vlen - seal_overhead() + 1) : NULL;
    ssize_t n = -1;
    if (text)
        n = seal_open_record(k, name, 0, (const uint8_t *)val, vlen, (uint8_t *)text);
    seal_key_free(k);
    if (n < 0) {
        free(text);
        return NULL;
    }
    text[n] = 0;
    *outlen = (size_t)n;
    return text;
}

/* ---------------- the store's key ---------------- */

/* Number of stream definitions in `meta`. */
static size_t count_definitions(store *st)
{
    rocksdb_iterator_t *it = rocksdb_create_iterator_cf(st->file.db, st->ropts, st->file.cf_meta);
    size_t plen = strlen(META_STREAM_PREFIX), n = 0;
    for (rocksdb_iter_seek(it, META_STREAM_PREFIX, plen); rocksdb_iter_valid(it);
         rocksdb_iter_next(it)) {
        size_t klen;
        const char *k = rocksdb_iter_key(it, &klen);
        if (klen < plen || memcmp(k, META_STREAM_PREFIX, plen) != 0)
            break;
        n++;
    }
    rocksdb_iter_destroy(it);
    return n;
}

static int write_check_value(store *st, char *err, size_t errlen)
{
    uint8_t cv[SEAL_CHECK_VALUE_MAX];
    size_t n = seal_key_check_value(st->master, cv);
    rocksdb_writeoptions_t *w = rocksdb_writeoptions_create();
    rocksdb_writeoptions_set_sync(w, 1);
    char *rerr = NULL;
    rocksdb_put_cf(st->file.db, w, st->file.cf_meta, META_KEYCHECK, strlen(META_KEYCHECK),
                   (const char *)cv, n, &rerr);
    rocksdb_writeoptions_destroy(w);
    if (rerr) {
        snprintf(err, errlen, "cannot write the encryption key check value: %s", rerr);
        rocksdb_free(rerr);
        return -1;
    }
    return 0;
}

int store_crypt_init(store *st, const char *secret, char *err, size_t errlen)
{
    char *rerr = NULL;
    size_t cvlen = 0;
    char *cv = rocksdb_get_cf(st->file.db, st->ropts, st->file.cf_meta, META_KEYCHECK,
                              strlen(META_KEYCHECK), &cvlen, &rerr);
    if (rerr) {
        snprintf(err, errlen, "cannot read the store's encryption key check value: %s", rerr);
        rocksdb_free(rerr);
        return -1;
    }
    int rc = 0;
    if (!secret || !*secret) {
        if (cv) {
            snprintf(err, errlen, "store is encrypted: configure jetstream.key (or $%s) with the "
                                  "key it was written with", SEAL_ENV_VAR);
            rc = -1;
        }
    } else if (!(st->master = seal_key_from_secret(secret, strlen(secret)))) {
        snprintf(err, errlen, "cannot derive the encryption key (libsodium unavailable or out "
                              "of memory)");
        rc = -1;
    } else if (cv) {
        if (!seal_key_verify(st->master, (const uint8_t *)cv, cvlen)) {
            snprintf(err, errlen, "encryption key does not match the one this store was written "
                                  "with");
            rc = -1;
        }
    } else {
        size_t n = count_definitions(st);
        if (n > 0) {
            snprintf(err, errlen, "store holds %zu unencrypted stream%s: an encryption key can "
                                  "only be configured on a store without streams (start without "
                                  "jetstream.key, or use a new store directory)",
                     n, n == 1 ? "" : "s");
            rc = -1;
        } else {
            rc = write_check_value(st, err, errlen);
        }
    }
    rocksdb_free(cv);
    return rc;
}

void store_crypt_free(store *st)
{
    seal_key_free(st->master);
    st->master = NULL;
}

/*
 * consumer_store.c — consumers. records in `meta` (see consumer_store.h).
 */
#include "consumer_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seal.h"
#include "stream_internal.h"

#define META_CONSUMER_PREFIX "consumer:"

static int key_of(char *out, size_t cap, const char *stream_name, const char *name)
{
    int n = snprintf(out, cap, META_CONSUMER_PREFIX "%s/%s", stream_name, name);
    return n > 0 && (size_t)n < cap ? n : -1;
}

int store_consumer_put(store *st, const char *stream_name, const char *name, const char *rec,
                       size_t len)
{
    char key[600];
    int n = key_of(key, sizeof key, stream_name, name);
    if (n < 0)
        return -1;
    seal_key *k = st->master ? seal_key_for_stream(st->master, key) : NULL;
    if (st->master && !k)
        return -1;
    size_t vlen = 0;
    char *v = stream_def_seal(k, key, rec, len, &vlen);
    seal_key_free(k);
    if (!v)
        return -1;
    rocksdb_writebatch_put_cf(st->file.batch, st->file.cf_meta, key, (size_t)n, v, vlen);
    st->file.pending = true;
    free(v);
    return 0;
}

void store_consumer_delete(store *st, const char *stream_name, const char *name)
{
    char key[600];
    int n = key_of(key, sizeof key, stream_name, name);
    if (n < 0)
        return;
    rocksdb_writebatch_delete_cf(st->file.batch, st->file.cf_meta, key, (size_t)n);
    st->file.pending = true;
}

size_t store_consumer_scan(store *st,
                           void (*fn)(const char *stream_name, const char *name,
                                      const char *rec, size_t len, void *arg),
                           void *arg)
{
    size_t bad = 0;
    size_t plen = strlen(META_CONSUMER_PREFIX);
    rocksdb_iterator_t *it = rocksdb_create_iterator_cf(st->file.db, st->ropts, st->file.cf_meta);
    for (rocksdb_iter_seek(it, META_CONSUMER_PREFIX, plen); rocksdb_iter_valid(it);
         rocksdb_iter_next(it)) {
        size_t klen, vlen;
        const char *k = rocksdb_iter_key(it, &klen);
        if (klen < plen || memcmp(k, META_CONSUMER_PREFIX, plen) != 0)
            break;
        const char *v = rocksdb_iter_value(it, &vlen);
        char *key = strndup(k, klen);
        char *slash = key ? strchr(key + plen, '/') : NULL;
        size_t tlen = 0;
        char *text = slash ? store_def_open(st, key, v, vlen, &tlen) : NULL;
        if (text) {
            *slash = '\0';
            fn(key + plen, slash + 1, text, tlen, arg);
        } else {
            bad++;
        }
        free(text);
        free(key);
    }
    rocksdb_iter_destroy(it);
    return bad;
}

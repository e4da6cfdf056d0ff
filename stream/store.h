/*
 * store.h — the embedded RocksDB database under the store directory: one database per server,
 * a `meta` column family for configurations and consumer state, and (from the stream store
 * onwards) one column family per stream. This file owns opening and closing it.
 */
#ifndef WEIR_STORE_H
#define WEIR_STORE_H

#include <stddef.h>

typedef struct store store;

/* Creates `dir` (and parents) if missing and opens or creates the database in dir/rocksdb.
 * Returns NULL with a message in err when that fails (for instance, another process holds the
 * store's lock). */
store *store_open(const char *dir, char *err, size_t errlen);

/* Flushes and closes the database. NULL is accepted. */
void store_close(store *st);

/* The directory the store lives in. */
const char *store_dir(const store *st);

#endif

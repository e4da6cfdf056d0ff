/*
 * consumer_store.h — durable consumers' records in the store's `meta` column family, under
 * "consumer:<stream>/<consumer>" (stream and consumer names cannot contain '/'). A record is
 * bytes chosen by the caller (server/jsconsumer.c: config and state); it is sealed like a
 * stream definition when the store is encrypted.
 *
 * Puts and deletes go into the pending batch, so they are written by the next store_commit
 * together with the iteration's appends (the caller answers a double ack only after it).
 */
#ifndef WEIR_CONSUMER_STORE_H
#define WEIR_CONSUMER_STORE_H

#include <stddef.h>

#include "stream.h"

/* Puts a consumer's record into the pending batch. 0, or -1 (out of memory). */
int store_consumer_put(store *st, const char *stream_name, const char *name, const char *rec,
                       size_t len);
/* Deletes a consumer's record in the pending batch. */
void store_consumer_delete(store *st, const char *stream_name, const char *name);
/* Calls fn for every committed consumer record (opened; rec is valid only during the call). Records that do not open (wrong key, corrupt) are skipped; returns how
 * many were. */
size_t store_consumer_scan(store *st,
                           void (*fn)(const char *stream_name, const char *name,
                                      const char *rec, size_t len, void *arg),
                           void *arg);

#endif

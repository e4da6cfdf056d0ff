/*
 * jsconsumer.h — JetStream consumers inside the server: the registry of consumers by stream
 * and name, pull requests on `$JS.API.CONSUMER.MSG.NEXT.<stream>.<consumer>` (ADR-13: a batch,
 * expires, no_wait; 404 / 408 / 409 statuses), acks on `$JS.ACK.<stream>.<consumer>.…`
 * (+ACK, -NAK with delay, +WPI, +TERM, +NXT, double acks), and a timer for request expiry,
 * ack_wait redelivery and idle ephemeral consumers.
 *
 * Deliveries go out as messages from the server with nats-server's ack reply subject
 * `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>`. New messages wake
 * waiting requests from js_commit, after the group commit made them durable.
 *
 * Ownership: the registry owns its consumers (stream/consumer.h); they go with their stream
 * (jsc_stream_deleted) or with jsc_delete. Not persisted yet: consumers live until the server
 * stops.
 */
#ifndef WEIR_JSCONSUMER_H
#define WEIR_JSCONSUMER_H

#include <stdbool.h>
#include <stddef.h>

#include "proto/nats_parser.h"
#include "server.h"
#include "stream/consumer.h"

consumer *jsc_find(server *s, const char *stream_name, const char *name);
/* Registers c (taking ownership) under its stream. Returns 0 or -1 (out of memory: c freed). */
int jsc_add(server *s, const char *stream_name, consumer *c);
/* Removes and frees a consumer; its waiting pull requests get 409 Consumer Deleted. */
void jsc_delete(server *s, const char *stream_name, const char *name);
/* Removes every consumer of a stream (before the stream itself goes). */
void jsc_stream_deleted(server *s, const char *stream_name);
/* After a purge of the stream: its consumers forget what is gone. */
void jsc_stream_purged(server *s, const char *stream_name);
/* Consumers of a stream (NULL: of every stream). */
size_t jsc_count(server *s, const char *stream_name);
/* Up to cap consumers of a stream in name order; returns how many exist in all. */
size_t jsc_collect(server *s, const char *stream_name, consumer **out, size_t cap);
/* Pull requests waiting on a consumer. */
size_t jsc_num_waiting(server *s, const char *stream_name, const char *name);

/* A PUB on $JS.API.CONSUMER.MSG.NEXT.>: false when no such consumer exists (nobody answers,
 * as in nats-server). */
bool jsc_pull_request(server *s, const nats_op *op);
/* A PUB on $JS.ACK.>: true when it named a consumer. */
bool jsc_ack(server *s, const nats_op *op);
/* Puts a durable consumer's record into the pending batch now (after its creation; the
 * caller commits before it answers). 0 or -1. */
int jsc_save(server *s, const char *stream_name, const char *name);
/* Before the group commit: puts the state of every durable consumer that changed. */
void jsc_before_commit(server *s);
/* After the group commit (ok: it succeeded): answers the double acks that waited for it, then
 * serves waiting pull requests with what was appended. */
void jsc_after_commit(server *s, bool ok);
/* Reloads the durable consumers stored in the store (at start); returns how many exist. */
size_t jsc_load(server *s);
/* Frees every consumer and the registry (server shutdown). */
void jsc_free(server *s);

#endif

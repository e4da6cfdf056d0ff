/*
 * jsconsumer.h — JetStream consumers inside the server: the registry of consumers by stream
 * and name, pull requests on `$JS.API.CONSUMER.MSG.NEXT.<stream>.<consumer>` (ADR-13: a batch,
 * expires, no_wait; 404 / 408 / 409 statuses), push delivery to deliver subjects (flow
 * control, idle heartbeats, rate limits, replay original), acks on `$JS.ACK.<stream>.<consumer>.…`
 * (+ACK, -NAK with delay, +WPI, +TERM, +NXT, double acks), interest and workqueue retention,
 * and a timer for request expiry, ack_wait redelivery, heartbeats and idle consumers.
 *
 * Deliveries go out as messages from the server with nats-server's ack reply subject
 * `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>`. New messages are
 * delivered from js_commit, after the group commit made them durable. Deliveries pause while
 * the receiving connection has a large backlog, so memory does not grow with the stream.
 *
 * Ownership: the registry owns its consumers (stream/consumer.h); they go with their stream
 * (jsc_stream_deleted) or with jsc_delete. Consumers are stored (consumer_store.h; durable and
 * ephemeral alike, but not mem_storage ones, as nats-server recovers them) and reloaded by
 * jsc_load.
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

/* Whether a push consumer's deliver subject has a subscriber (ConsumerInfo's push_bound). */
bool jsc_push_bound(server *s, const char *stream_name, const char *name);
/* After a consumer's config was updated or it was paused/resumed: persist and serve it. */
void jsc_changed(server *s, const char *stream_name, const char *name);

/* The store's listener (store_set_listener): keeps the consumers' counts exact and wakes them
 * for new messages. arg is the server. */
void jsc_stream_event(void *arg, stream *st, stream_event ev, uint64_t seq, const char *subject,
                      size_t subject_len);
/* After a message was stored: an interest stream drops it at once when no consumer wants it. */
void jsc_appended(server *s, stream *st, uint64_t seq, const char *subject, size_t len);

/* A PUB on $JS.API.CONSUMER.MSG.NEXT.>: false when no such consumer exists (nobody answers,
 * as in nats-server). */
bool jsc_pull_request(server *s, const nats_op *op);
/* A PUB on $JS.ACK.>: true when it named a consumer. */
bool jsc_ack(server *s, const nats_op *op);
/* A PUB on $JS.FC.>: the answer to a flow control request; true when it named a consumer. */
bool jsc_flow_control(server *s, const nats_op *op);
/* Puts a consumer's record into the pending batch now (after its creation; the
 * caller commits before it answers). 0 or -1. */
int jsc_save(server *s, const char *stream_name, const char *name);
/* Before the group commit: puts the state of every stored consumer that changed. */
void jsc_before_commit(server *s);
/* After the group commit (ok: it succeeded): answers the double acks that waited for it, then
 * serves waiting pull requests with what was appended. */
void jsc_after_commit(server *s, bool ok);
/* Reloads the consumers kept in the store (at start); returns how many exist. */
size_t jsc_load(server *s);
/* Frees every consumer and the registry (server shutdown). */
void jsc_free(server *s);

#endif

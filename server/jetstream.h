/*
 * jetstream.h — JetStream inside the server: the store is opened with the server, messages
 * published on a stream's subjects are appended to it, and their PubAcks (or JetStream errors)
 * go out only after the loop iteration's group commit has written them. Also the store's
 * timers: the WAL fsync interval and the expiry of max_age / per-message TTLs.
 */
#ifndef WEIR_JETSTREAM_H
#define WEIR_JETSTREAM_H

#include <stdbool.h>

#include "proto/nats_parser.h"
#include "server.h"

/* Opens the store from the options; returns 0, or -1 after logging why. */
int js_start(server *s);
/* Commits what is pending, sends the last acks and closes the store. */
void js_stop(server *s);

/* Stores a published message when a stream's subjects capture its subject, queuing its
 * acknowledgement for after the commit. Returns true when a stream captured it (the server
 * then answers the request itself: no no-responders status). */
bool js_capture(server *s, const nats_op *op);

/* The group commit of one loop iteration, then the acks that waited for it. Called before the
 * clients' output is flushed. */
void js_commit(server *s);

/* Rebuilds the subject routing after streams were created, updated or deleted. */
void js_streams_changed(server *s);

#endif

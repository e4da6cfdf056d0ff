/*
 * client.h — one NATS client connection: its socket, input buffer, output chain, session flags
 * from CONNECT, subscriptions by sid, and the protocol handling (CONNECT, PUB/HPUB routing,
 * SUB/UNSUB, PING/PONG, auth and ping timers, slow-consumer and error closes).
 */
#ifndef WEIR_CLIENT_H
#define WEIR_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "server.h"

/* Takes ownership of a connected, non-blocking socket: registers it, sends INFO, arms the auth
 * and ping timers. On failure closes fd. */
void client_accept(server *s, int fd, const char *ip, int port);

/* Writes pending output of every client marked dirty during this iteration, then frees the
 * clients closed during it. Called once per loop iteration. */
void client_flush_all(server *s);

/* Closes every client (server shutdown), flushing what can be flushed without blocking. */
void client_close_all(server *s);

/* Publishes a message from the server itself (JetStream replies, acks, status messages) to
 * whoever subscribes to `subject`. The bytes are copied; nothing is kept. Such subjects are
 * mostly reply inboxes used once, so they do not go into the match cache. */
void client_publish_internal(server *s, const char *subject, size_t subject_len, const char *hdr,
                             size_t hdr_len, const char *data, size_t data_len);

/* The same with a reply subject (consumer deliveries carry their ack subject as the reply). */
void client_publish_internal_reply(server *s, const char *subject, size_t subject_len,
                                   const char *reply, size_t reply_len, const char *hdr,
                                   size_t hdr_len, const char *data, size_t data_len);

/* A consumer delivery: routed to the subscribers of `to` (a deliver subject or a pull
 * request's inbox) but shown with the subject the message was stored under, as nats-server
 * delivers. */
void client_deliver_internal(server *s, const char *to, size_t to_len, const char *shown,
                             size_t shown_len, const char *reply, size_t reply_len,
                             const char *hdr, size_t hdr_len, const char *data, size_t data_len);

/* For JetStream deliveries to subject: whether a connection would receive them (with queue,
 * only members of that queue group count), and in *backlog the largest number of output bytes
 * still waiting to be written to one of those connections. A consumer stops delivering while
 * that backlog is high instead of growing it (see jsconsumer.c). */
bool client_subject_interest(server *s, const char *subject, size_t len, const char *queue,
                             size_t *backlog);

/* Iterates over the open clients (for monitoring): for (c = client_first(s); c; c = client_next(c)). */
const client *client_first(const server *s);
const client *client_next(const client *c);

/* A new JSON object describing one client with nats-server's /connz field names (uptime and
 * idle are given in milliseconds here). The caller owns the reference. */
json_t *client_connz_entry(const client *c, int64_t now_ms);

#endif

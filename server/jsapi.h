/*
 * jsapi.h — the JetStream JSON API on `$JS.API.>`: requests published by clients are answered
 * by the server itself with nats-server's response types, field names and error objects
 * (jetstream_api.go of nats-server 2.10/2.11). The stream endpoints, message get/delete and
 * direct get live in jsapi_stream.c and jsapi_msg.c; the dispatch, the response envelope and
 * $JS.API.INFO in jsapi.c.
 *
 * Durability: a request that changes the store (create, update, delete, purge, message delete)
 * commits the store before its reply is published, so a reply never precedes the write.
 */
#ifndef WEIR_JSAPI_H
#define WEIR_JSAPI_H

#include <stdbool.h>

#include "proto/nats_parser.h"
#include "server.h"

/* Handles one PUB/HPUB whose subject starts with "$JS.API." (JetStream must be on). Returns
 * true when the server took the request (answered it, or deliberately stays silent as
 * nats-server does), so the publisher gets no no-responders status; false when nothing in
 * JetStream listens on that subject (a direct get on a stream without allow_direct, a pull
 * request): then only core subscribers may answer. The message's bytes are not kept. */
bool js_api_request(server *s, const nats_op *op);

/* Frees the API's state (counters, creation times). Called at shutdown; safe when unused. */
void jsapi_free(server *s);

#endif

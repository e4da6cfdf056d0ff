/*
 * monitor.h — nats-server's HTTP monitoring port (-m / http_port / http): a small HTTP/1.0 and
 * 1.1 server on the server's event loop that answers GET (and HEAD) for `/` (an index),
 * `/varz`, `/connz`, `/subsz` (alias `/subscriptionsz`), `/jsz` and `/healthz` with
 * nats-server's JSON field names and types, pretty-printed like nats-server does.
 *
 * Every connection carries exactly one request and is closed after the response
 * (`Connection: close`). Requests are bounded (8 KB including headers: 431 beyond that) and
 * must complete within 5 seconds; malformed requests get 400, methods other than GET/HEAD 405,
 * unknown paths 404. At most 256 connections are kept; beyond that the oldest is closed.
 * Query parameters of nats-server that would change a reply in ways weir does not implement
 * (connz sort=bytes, subs=1, state=closed, ...) get 501 with a message, never silently ignored.
 *
 * Ownership: monitor_start allocates the monitor state and stores it in s->monitor;
 * monitor_stop closes every monitoring connection and the listener and frees it.
 */
#ifndef WEIR_MONITOR_H
#define WEIR_MONITOR_H

#include "server.h"

/* Binds opts->http_host (or opts->host when unset) on opts->http_port (-1: a random free port)
 * and registers the listener on s->loop; logs "Starting http monitor on HOST:PORT" like
 * nats-server. Call after s->loop exists and s->port is known. Returns 0, or -1 after logging
 * why (s->monitor stays NULL). */
int monitor_start(server *s);

/* Closes the listener and every open monitoring connection and frees the state. Harmless when
 * monitoring was never started. */
void monitor_stop(server *s);

#endif

/*
 * server.h — the one server context: options, listener, event loop, subscription index,
 * connected clients, counters, and the embedded store. Owned by main(); everything else
 * receives it by pointer.
 */
#ifndef WEIR_SERVER_H
#define WEIR_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "loop.h"
#include "options.h"
#include "sublist.h"

typedef struct client client;
typedef struct store store;

typedef struct server_stats {
    uint64_t in_msgs, out_msgs, in_bytes, out_bytes;
    uint64_t slow_consumers;
    uint64_t total_connections;
} server_stats;

typedef struct server {
    weir_options *opts;
    loop *loop;
    loop_handler listener;
    loop_handler signals;
    int port; /* the port actually bound */
    char server_id[64];
    char server_name[256];
    sublist *sublist;
    store *store;
    struct jetstream *js; /* JetStream state (jetstream.c), NULL when JetStream is off */
    struct jsapi *jsapi;  /* JetStream API state (jsapi.c), created on its first request */
    struct jsconsumers *jsc; /* consumers (jsconsumer.c), created with the first one */
    struct monitor *monitor; /* HTTP monitoring (monitor.c), NULL when off */

    client *clients;     /* doubly linked list of open clients */
    size_t nclients;
    client *dirty;       /* clients with output to flush this iteration (singly linked) */
    client *closed;      /* clients closed this iteration, freed before the loop sleeps */
    uint64_t next_cid;
    uint64_t sub_gen;    /* moves with every subscription added or removed (push consumers
                            look at their deliver subject's interest again when it moves) */
    server_stats stats;
    int64_t start_ms;
    bool shutting_down;
} server;

/* Opens the store (if JetStream is on), binds the listener, writes the PID file.
 * Returns 0, or -1 after logging why. */
int server_start(server *s, weir_options *opts);
/* Runs the loop until SIGINT/SIGTERM. */
int server_run(server *s);
/* Closes clients, flushes, closes the store, removes the PID file. */
void server_stop(server *s);

#endif

/*
 * consumer.h — a JetStream consumer's configuration and delivery state, without sockets: the
 * ConsumerConfig JSON with nats-server's names and defaults, which stream message to hand out
 * next (redeliveries first, then new ones past the delivered sequence), the pending-ack set
 * with delivery counts, acks (+ACK, -NAK with delay, +WPI, +TERM; ack policies none, all,
 * explicit), ack_wait expiry and max_deliver.
 *
 * Not done yet (refused at creation with a JetStream error): push consumers (deliver_subject),
 * deliver policies by_start_time and last_per_subject, replay original, backoff, rate limits,
 * heartbeats, flow control, headers_only. State is in memory; consumer_state_to_json and
 * consumer_restore are what a durable consumer's persistence (server/jsconsumer.c,
 * stream/consumer_store.h) writes and reads.
 *
 * Ownership: a consumer owns its config's strings; the stream is passed to each call (a
 * consumer never keeps a stream pointer, so a deleted stream cannot leave it dangling).
 * stream_msg results belong to the caller (stream_msg_free).
 */
#ifndef WEIR_CONSUMER_H
#define WEIR_CONSUMER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jserr.h"
#include "stream.h"

typedef enum {
    CONSUMER_DELIVER_ALL,
    CONSUMER_DELIVER_LAST,
    CONSUMER_DELIVER_NEW,
    CONSUMER_DELIVER_BY_START_SEQ,
} consumer_deliver_policy;

typedef enum {
    CONSUMER_ACK_NONE,
    CONSUMER_ACK_ALL,
    CONSUMER_ACK_EXPLICIT,
} consumer_ack_policy;

typedef struct consumer_config {
    char *durable_name;   /* NULL for an ephemeral consumer */
    char *name;           /* the consumer's name (= durable_name for a durable) */
    char *description;    /* or NULL */
    consumer_deliver_policy deliver_policy;
    uint64_t opt_start_seq;
    consumer_ack_policy ack_policy;
    int64_t ack_wait_ns;         /* default 30 s */
    int64_t max_deliver;         /* -1 = unlimited */
    char *filter_subject;        /* or NULL */
    char **filter_subjects;      /* filter_subjects (nfilters) */
    size_t nfilters;
    int64_t max_ack_pending;     /* default 1000; -1 = unlimited */
    int64_t max_waiting;         /* default 512 */
    int64_t inactive_threshold_ns;
    json_t *metadata;            /* object of strings, or NULL */
} consumer_config;

/* Decodes a ConsumerConfig object and applies nats-server's defaults. Returns 0, or -1 with
 * nats-server's error (or a "not supported by weir" JSERR_CONSUMER_CREATE for what is not
 * implemented). */
int consumer_config_from_json(const json_t *j, consumer_config *out, jserr *err);
/* The config as nats-server writes it (new reference). */
json_t *consumer_config_to_json(const consumer_config *c);
void consumer_config_free(consumer_config *c);

typedef struct consumer consumer;

/* A new consumer on stream s taking ownership of *cfg (zeroed). Its starting point follows
 * the deliver policy against the stream's current state. NULL when out of memory. */
consumer *consumer_new(stream *s, consumer_config *cfg, int64_t now_ns);
void consumer_free(consumer *c);

const consumer_config *consumer_get_config(const consumer *c);
const char *consumer_name(const consumer *c);
int64_t consumer_created_ns(const consumer *c);

typedef struct consumer_info_state {
    uint64_t delivered_consumer_seq, delivered_stream_seq;
    int64_t last_active_ns;      /* 0 when nothing was delivered yet */
    uint64_t ack_floor_consumer_seq, ack_floor_stream_seq;
    uint64_t num_ack_pending;
    uint64_t num_redelivered;
    uint64_t num_pending;        /* messages matching the filter not yet delivered */
} consumer_info_state;

void consumer_get_state(consumer *c, stream *s, consumer_info_state *out);

/* One delivery: the message and what its ack subject carries. */
typedef struct consumer_delivery {
    stream_msg msg;
    uint64_t delivery_count;
    uint64_t consumer_seq;
    uint64_t pending;            /* num_pending after this delivery */
} consumer_delivery;

/* The next message to deliver (a due redelivery first, then the next new one), recorded as
 * delivered at now_ns. Returns 1 with *out filled, 0 when there is nothing to deliver (or
 * max_ack_pending is reached), -1 on a read error. */
int consumer_next(consumer *c, stream *s, int64_t now_ns, consumer_delivery *out);
/* consumer_next for a request with a budget (max_bytes): the candidate delivery (message,
 * delivery count, consumer sequence, pending) is passed to fits first; when it returns false
 * nothing is recorded, the message stays next, and 2 is returned. */
int consumer_next_if(consumer *c, stream *s, int64_t now_ns,
                     bool (*fits)(const consumer_delivery *d, void *arg), void *arg,
                     consumer_delivery *out);
/* True when consumer_next would have something (cheap test used before queueing waits). */
bool consumer_has_next(consumer *c, stream *s);

typedef enum {
    CONSUMER_ACK_OK,    /* +ACK (or an empty ack) */
    CONSUMER_ACK_NAK,   /* -NAK: redeliver after delay_ns (0: at once) */
    CONSUMER_ACK_WPI,   /* +WPI: reset the ack_wait timer */
    CONSUMER_ACK_TERM,  /* +TERM: never redeliver */
} consumer_ack_kind;

/* Applies an ack for the delivery of stream sequence sseq. Returns true when the state changed. */
bool consumer_ack(consumer *c, consumer_ack_kind kind, uint64_t sseq, int64_t delay_ns,
                  int64_t now_ns);

/* Moves pending messages whose ack_wait (or nak delay) elapsed to the redelivery queue, and
 * drops those that reached max_deliver. Returns the number that became due or were dropped. */
size_t consumer_check_ack_wait(consumer *c, int64_t now_ns);

/* After a purge removed messages from s: drops pending deliveries of messages that are gone and
 * moves the starting point up to the stream's first sequence. Returns true when the state
 * changed. */
bool consumer_stream_purged(consumer *c, stream *s);

/* The delivery state as JSON (new reference) for persistence: delivered, ack floor, the next
 * stream sequence, creation time and the pending set with delivery counts. */
json_t *consumer_state_to_json(const consumer *c);
/* A consumer rebuilt from its config (taken as in consumer_new) and a saved state. Messages
 * that were pending come due again after their ack_wait as usual. NULL when the state is not
 * one consumer_state_to_json wrote, or out of memory (cfg is then freed). */
consumer *consumer_restore(consumer_config *cfg, const json_t *state);

#endif

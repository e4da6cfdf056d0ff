/*
 * consumer.h — a JetStream consumer's configuration and delivery state, without sockets: the
 * ConsumerConfig JSON with nats-server's names, defaults and checks (push and pull), which
 * stream message to hand out next (redeliveries first, then new ones; deliver policies all,
 * last, new, by_start_sequence, by_start_time, last_per_subject), the pending-ack set with
 * delivery counts, acks (+ACK, -NAK with delay, +WPI, +TERM; ack policies none, all, explicit),
 * ack_wait with backoff, max_deliver, pause_until, and an exact num_pending kept up to date
 * from the stream's events (consumer_on_stream_event) instead of being recounted.
 *
 * Delivery itself (sockets, flow control, heartbeats, rate limits, replay pacing) is the
 * server's (server/jsconsumer.c). consumer_state_encode and consumer_restore are what a
 * consumer's persistence writes and reads.
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
    CONSUMER_DELIVER_BY_START_TIME,
    CONSUMER_DELIVER_LAST_PER_SUBJECT,
} consumer_deliver_policy;

typedef enum {
    CONSUMER_REPLAY_INSTANT,
    CONSUMER_REPLAY_ORIGINAL,
} consumer_replay_policy;

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
    int64_t opt_start_time_ns;   /* with has_opt_start_time */
    bool has_opt_start_time;
    consumer_replay_policy replay_policy;
    int64_t *backoff_ns;         /* backoff (nbackoff): ack_wait of the n-th delivery */
    size_t nbackoff;
    uint64_t rate_limit_bps;     /* push only: bits per second, 0 = unlimited */
    char *sample_freq;           /* kept and shown; weir sends no ack samples */
    char *deliver_subject;       /* push consumers: where messages go; NULL for pull */
    char *deliver_group;         /* push consumers: the queue group that receives them */
    bool flow_control;           /* push only */
    bool headers_only;
    bool mem_storage;            /* accepted and shown; state is kept like any other */
    int64_t idle_heartbeat_ns;   /* push only */
    int64_t max_batch;           /* pull only: limits on requests, 0 = none */
    int64_t max_expires_ns;
    int64_t max_bytes;
    int64_t pause_until_ns;      /* deliveries stop until then; 0 = not paused */
    int64_t num_replicas;        /* shown as given (0 or 1: weir is one server) */
} consumer_config;

static inline bool consumer_config_is_push(const consumer_config *c)
{
    return c->deliver_subject != NULL;
}

typedef struct consumer consumer;

/* Decodes a ConsumerConfig object and applies nats-server's defaults. Returns 0, or -1 with
 * nats-server's error (or a "not supported by weir" JSERR_CONSUMER_CREATE for what is not
 * implemented). */
int consumer_config_from_json(const json_t *j, consumer_config *out, jserr *err);
/* The config as nats-server writes it (new reference). */
json_t *consumer_config_to_json(const consumer_config *c);
void consumer_config_free(consumer_config *c);
/* The checks that depend on the stream: a deliver subject the stream would capture (a cycle),
 * workqueue rules for pull consumers. 0 or -1 with err. */
int consumer_config_check_stream(const consumer_config *c, const stream_config *sc, jserr *err);
/* nats-server's checkNewConsumerConfig: 0 when cfg may replace old, else -1 with the reason
 * ("ack policy can not be updated", ...). */
int consumer_config_check_update(const consumer_config *old, const consumer_config *cfg,
                                 jserr *err);
/* Replaces the config of a consumer by cfg when only what nats-server lets change differs
 * (description, ack_wait, max_deliver, backoff, max_ack_pending, filters, headers_only,
 * rate limit, deliver subject, inactive_threshold, metadata, request limits, pause_until).
 * Returns 0 (cfg taken, zeroed), or -1 with nats-server's reason (cfg left to the caller).
 * New filters make num_pending recounted at its next use. */
int consumer_update(consumer *c, consumer_config *cfg, jserr *err);

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
/* With nothing left to deliver: moves the delivered stream sequence (and, with nothing
 * pending, the ack floor) past the stream's end, as a scan by consumer_next would. */
void consumer_skip_ahead(consumer *c, stream *s);
/* True when messages are waiting to be delivered but max_ack_pending holds them back (a
 * no_wait pull request then keeps waiting for acks, as in nats-server). */
bool consumer_blocked_by_ack_pending(consumer *c, stream *s);
/* True while pause_until lies ahead of now_ns. */
bool consumer_is_paused(const consumer *c, int64_t now_ns);
/* Sets pause_until (0 resumes). */
void consumer_set_pause(consumer *c, int64_t until_ns);

/* Called with each stream sequence the consumer is done with: acked (+ACK, +TERM, everything
 * up to the acked one with ack policy all) or, with ack policy none, delivered. Interest and
 * workqueue retention hang off this. */
typedef void (*consumer_acked_fn)(void *arg, consumer *c, uint64_t sseq);
void consumer_set_ack_hook(consumer *c, consumer_acked_fn fn, void *arg);
/* True while the consumer still has to deliver or see an ack for the message seq on subject:
 * it lies ahead of the consumer (and matches its filters) or waits for its ack. */
bool consumer_wants(const consumer *c, uint64_t seq, const char *subject, size_t subject_len);

/* Keeps num_pending exact: an event of the consumer's stream (see stream.h). */
void consumer_on_stream_event(consumer *c, stream_event ev, uint64_t seq, const char *subject,
                              size_t subject_len);

typedef enum {
    CONSUMER_ACK_OK,    /* +ACK (or an empty ack) */
    CONSUMER_ACK_NAK,   /* -NAK: redeliver after delay_ns (0: at once) */
    CONSUMER_ACK_WPI,   /* +WPI: reset the ack_wait timer */
    CONSUMER_ACK_TERM,  /* +TERM: never redeliver */
} consumer_ack_kind;

/* Applies an ack for the delivery of stream sequence sseq. Returns true when the state changed. */
bool consumer_ack(consumer *c, consumer_ack_kind kind, uint64_t sseq, int64_t delay_ns,
                  int64_t now_ns);

/* Moves pending messages whose ack_wait (backoff, nak delay) elapsed to the redelivery queue,
 * and drops those that reached max_deliver. Returns the number that became due or were
 * dropped. */
size_t consumer_check_ack_wait(consumer *c, int64_t now_ns);

/* When the earliest pending message comes due for redelivery (ns), 0 when none is waiting. */
int64_t consumer_next_due(const consumer *c);

/* After a purge removed messages from s: drops pending deliveries of messages that are gone and
 * moves the starting point up to the stream's first sequence. Returns true when the state
 * changed. */
bool consumer_stream_purged(consumer *c, stream *s);

/* The delivery state for persistence (delivered, ack floor, the next stream sequence,
 * creation time, the pending set with delivery counts, what is left of last_per_subject):
 * consumer_state_size bytes written by consumer_state_encode. */
size_t consumer_state_size(const consumer *c);
void consumer_state_encode(const consumer *c, uint8_t *out);
/* A consumer rebuilt from its config (taken as in consumer_new) and a saved state. Messages
 * that were pending come due again after their ack_wait as usual. NULL when the state is not
 * one consumer_state_encode wrote, or out of memory (cfg is then freed). */
consumer *consumer_restore(consumer_config *cfg, const uint8_t *state, size_t len);

#endif

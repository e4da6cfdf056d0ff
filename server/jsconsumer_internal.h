/*
 * jsconsumer_internal.h — what the three parts of the server's consumers share: the registry
 * (jsconsumer.c), pull requests (jspull.c) and push delivery (jspush.c). Not for other modules:
 * they use jsconsumer.h.
 */
#ifndef WEIR_JSCONSUMER_INTERNAL_H
#define WEIR_JSCONSUMER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "jsconsumer.h"
#include "loop.h"
#include "strmap.h"

/* Deliveries stop while a receiving connection has this much output not yet written, and go
 * on when it drained (checked again every loop iteration): a slow reader of a large stream
 * holds at most about this much in the server instead of the stream. */
#define JSC_BACKLOG_MAX (4 * 1024 * 1024)
/* At most this many messages per consumer per loop iteration, so one consumer catching up on a
 * large stream does not starve every other connection. */
#define JSC_BURST 512
/* nats-server's flow control window: starts at 2 MiB, doubles with each answer up to 32 MiB. */
#define JSC_FC_LIMIT (32 * 1024 * 1024)

typedef struct waiter {
    char *reply;
    int64_t n;          /* messages still wanted */
    int64_t expires_ms; /* monotonic deadline, 0 = none */
    bool no_wait;
    int64_t delivered;
    int64_t bytes;      /* max_bytes budget left, 0 = no limit */
    int64_t hb_ms;      /* idle heartbeat interval, 0 = none */
    int64_t next_hb_ms; /* when the next heartbeat is due */
    struct waiter *next;
} waiter;

typedef struct entry {
    char *stream;
    consumer *c;
    struct jsconsumers *r;
    bool stored;             /* kept in the store: all but mem_storage consumers (an ephemeral
                                one too, until its inactive_threshold), as nats-server does */
    bool dirty;              /* durable state changed since it was last put into the batch */
    char *cfg_json;          /* the config as stored (made at the first save after a change) */
    size_t cfg_len;
    bool kick;               /* something may be deliverable: serve after the next commit */
    bool more;               /* stopped at JSC_BURST or a full backlog: serve again soon */
    /* pull */
    waiter *head, *tail;
    size_t nwait;
    int64_t last_request_ms; /* for inactive_threshold */
    /* push */
    bool active;             /* someone subscribes to the deliver subject */
    uint64_t sub_gen;        /* server sub_gen when `active` was last worked out */
    int64_t inactive_since_ms;
    int64_t next_hb_ms;      /* idle heartbeat due (reset by every delivery) */
    char fc_reply[96];       /* the flow control request waiting for its answer, or "" */
    int64_t pbytes, fcsz, maxpb;
    int64_t replay_last_ts;  /* replay original: stream time of the last delivered message */
    int64_t replay_last_ms;  /*   and when it went out */
    uint64_t replay_end;     /*   replaying up to this stream sequence (then instant) */
    double tokens;           /* rate limit: bytes that may go out now */
    int64_t tokens_ms;
    loop_timer wake;         /* a replay or rate-limit delay */
    bool wake_armed;
    loop_timer due;          /* a redelivery that comes due between two ticks */
    bool due_armed;
} entry;

typedef struct stream_group {
    entry **v;
    size_t n, cap;
} stream_group;

struct jsconsumers {
    entry **v;
    size_t n, cap;
    strmap groups;           /* stream name → stream_group */
    loop_timer tick;
    loop_timer soon;         /* 0 ms: more to deliver without waiting for input */
    server *srv;
    char **replies;          /* double acks answered after the next commit */
    size_t nreplies, replies_cap;
};

int64_t jsc_wall_ns(void);
/* Room for an ack subject: "$JS.ACK." + two names of up to 255 bytes + five numbers. */
#define JSC_ACK_MAX 768
/* The ack reply subject of a delivery into ack; its length. */
size_t jsc_ack_subject(const entry *e, const consumer_delivery *d, char *ack, size_t cap);
/* nats-server's size of a delivery for max_bytes and flow control: subject, ack reply,
 * headers, data (after headers_only). */
int64_t jsc_delivery_size(const entry *e, const consumer_delivery *d);
/* Sends one delivery to `to` (headers_only applied); returns its size as above. */
int64_t jsc_send(server *s, entry *e, const char *to, const consumer_delivery *d);
void jsc_status(server *s, const char *reply, const char *hdr);
/* Serve again on the next loop iteration without waiting for input. */
void jsc_soon(entry *e);

/* jspull.c */
bool jsc_pull_serve(server *s, entry *e);
void jsc_pull_tick(server *s, entry *e, int64_t now_ms);
void jsc_pull_request_on(server *s, entry *e, const char *reply, size_t reply_len,
                         const char *body, size_t body_len);
void jsc_pull_free_waiters(server *s, entry *e, const char *status);

/* jspush.c */
void jsc_push_init(server *s, entry *e);
void jsc_push_serve(server *s, entry *e);
void jsc_push_tick(server *s, entry *e, int64_t now_ms);
void jsc_push_stop(server *s, entry *e);
/* True when the push consumer has had no interest for longer than its inactive threshold. */
bool jsc_push_idle_expired(server *s, entry *e, int64_t now_ms);
/* An answer to a flow control request ($JS.FC.<stream>.<consumer>.<id>). */
void jsc_push_fc_answered(server *s, entry *e, const char *subject, size_t len);

#endif

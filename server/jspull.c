/*
 * jspull.c — pull requests on `$JS.API.CONSUMER.MSG.NEXT.<stream>.<consumer>` (ADR-13): a
 * queue of waiting requests per consumer with batch, expires, no_wait, max_bytes and idle
 * heartbeat, served in order, with nats-server's statuses (404 No Messages, 408 Request
 * Timeout, 409 Exceeded MaxWaiting / Message Size Exceeds MaxBytes / limits of the consumer,
 * 100 Idle Heartbeat).
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "jsconsumer_internal.h"

static void waiter_free(waiter *w)
{
    free(w->reply);
    free(w);
}

void jsc_pull_free_waiters(server *s, entry *e, const char *status)
{
    for (waiter *w = e->head, *next; w; w = next) {
        next = w->next;
        if (status)
            jsc_status(s, w->reply, status);
        waiter_free(w);
    }
    e->head = e->tail = NULL;
    e->nwait = 0;
}

static void pop_head(entry *e)
{
    waiter *w = e->head;
    e->head = w->next;
    if (!e->head)
        e->tail = NULL;
    e->nwait--;
    waiter_free(w);
}

typedef struct fit_arg {
    const entry *e;
    int64_t bytes;
} fit_arg;

static bool fits_budget(const consumer_delivery *d, void *arg)
{
    const fit_arg *f = arg;
    return jsc_delivery_size(f->e, d) <= f->bytes;
}

static void pending_status(server *s, const char *reply, const char *what, const waiter *w)
{
    char hdr[256];
    snprintf(hdr, sizeof hdr,
             "NATS/1.0 %s\r\nNats-Pending-Messages: %" PRId64 "\r\nNats-Pending-Bytes: %" PRId64
             "\r\n\r\n", what, w->n, w->bytes);
    jsc_status(s, reply, hdr);
}

/* Serves the waiting requests with what the consumer has to deliver; no_wait requests left
 * without messages get 404. Returns true when it stopped at JSC_BURST (serve again soon); a full
 * backlog marks the entry `more` instead. */
bool jsc_pull_serve(server *s, entry *e)
{
    stream *st = store_stream_find(s->store, e->stream);
    if (!st)
        return false;
    int64_t now_ns = jsc_wall_ns();
    if (consumer_is_paused(e->c, now_ns))
        return false;
    for (int burst = 0; e->head; burst++) {
        waiter *w = e->head;
        size_t backlog;
        if (burst == JSC_BURST)
            return true;
        if (!consumer_has_next(e->c, st)) {
            consumer_skip_ahead(e->c, st);
            if (!w->no_wait || consumer_blocked_by_ack_pending(e->c, st))
                break; /* waits for messages or acks */
            /* no_wait: nothing now. nats-server 2.10 ends a request that got some of its batch
             * with 408 and what was left, one that got nothing with 404 */
            if (w->delivered)
                pending_status(s, w->reply, "408 Request Timeout", w);
            else
                jsc_status(s, w->reply, "NATS/1.0 404 No Messages\r\n\r\n");
            pop_head(e);
            continue;
        }
        /* a requester that went away is noticed only when a message is there for it, as in
         * nats-server: a client that reconnects and subscribes again keeps its request */
        if (!client_subject_interest(s, w->reply, strlen(w->reply), NULL, &backlog)) {
            pop_head(e);
            continue;
        }
        if (backlog >= JSC_BACKLOG_MAX) {
            /* again after the connection drained a little (the loop wakes for that), not at
             * once: a 0 ms timer would spin while a slow reader's socket is full */
            e->more = true;
            return false;
        }
        consumer_delivery d;
        fit_arg fa = {e, w->bytes};
        int rc = consumer_next_if(e->c, st, now_ns, w->bytes ? fits_budget : NULL, &fa, &d);
        if (rc == 2) {
            /* the next message does not fit what is left of max_bytes: the request ends */
            pending_status(s, w->reply, "409 Message Size Exceeds MaxBytes", w);
            pop_head(e);
            continue;
        }
        if (rc <= 0)
            break; /* nothing after all (the count was corrected), or a read error */
        int64_t size = jsc_send(s, e, w->reply, &d);
        stream_msg_free(&d.msg);
        e->dirty = e->stored;
        if (w->hb_ms)
            w->next_hb_ms = loop_now_ms(s->loop) + w->hb_ms;
        w->delivered++;
        if (w->bytes) {
            w->bytes -= size;
            if (w->bytes <= 0)
                w->n = 1; /* the budget is spent: this was the last one */
        }
        if (--w->n == 0)
            pop_head(e);
    }
    return false;
}

/* Expired requests get 408 with what was left of them; idle heartbeats of the others. */
void jsc_pull_tick(server *s, entry *e, int64_t now_ms)
{
    waiter **pp = &e->head, *prev = NULL;
    while (*pp) {
        waiter *w = *pp;
        if (w->expires_ms && now_ms >= w->expires_ms) {
            pending_status(s, w->reply, "408 Request Timeout", w);
            *pp = w->next;
            if (e->tail == w)
                e->tail = prev;
            e->nwait--;
            waiter_free(w);
            continue;
        }
        if (w->hb_ms && now_ms >= w->next_hb_ms) {
            /* with the last delivered consumer and stream sequences, as nats-server sends */
            consumer_info_state is;
            stream *st = store_stream_find(s->store, e->stream);
            char hdr[200];
            if (st) {
                consumer_get_state(e->c, st, &is);
                snprintf(hdr, sizeof hdr,
                         "NATS/1.0 100 Idle Heartbeat\r\nNats-Last-Consumer: %" PRIu64
                         "\r\nNats-Last-Stream: %" PRIu64 "\r\n\r\n",
                         is.delivered_consumer_seq, is.delivered_stream_seq);
                jsc_status(s, w->reply, hdr);
            }
            w->next_hb_ms = now_ms + w->hb_ms;
        }
        prev = w;
        pp = &w->next;
    }
    if (e->head)
        e->last_request_ms = now_ms;
}

static void status_with_reason(server *s, const char *reply, int code, const char *text)
{
    char hdr[256];
    snprintf(hdr, sizeof hdr, "NATS/1.0 %d %s\r\n\r\n", code, text);
    jsc_status(s, reply, hdr);
}

typedef struct pull_req {
    int64_t batch, expires, max_bytes, hb;
    bool no_wait;
} pull_req;

/* body: a batch number or the JSON request. 0, or -1 after answering 400. */
static int parse_request(server *s, const char *rep, const char *body, size_t body_len,
                         pull_req *q)
{
    *q = (pull_req){.batch = 1};
    size_t k = 0;
    while (k < body_len && body[k] && strchr(" \t\r\n", body[k]))
        k++;
    if (k < body_len && body[k] == '{') {
        json_t *j = json_loadb(body, body_len, 0, NULL);
        if (!j || !json_is_object(j)) {
            json_decref(j);
            status_with_reason(s, rep, 400, "Bad Request - invalid JSON");
            return -1;
        }
        json_t *v;
        if ((v = json_object_get(j, "batch")) && json_is_integer(v))
            q->batch = json_integer_value(v);
        if ((v = json_object_get(j, "expires")) && json_is_integer(v))
            q->expires = json_integer_value(v);
        if ((v = json_object_get(j, "max_bytes")) && json_is_integer(v))
            q->max_bytes = json_integer_value(v);
        if ((v = json_object_get(j, "idle_heartbeat")) && json_is_integer(v))
            q->hb = json_integer_value(v);
        if ((v = json_object_get(j, "no_wait")) && json_is_true(v))
            q->no_wait = true;
        json_decref(j);
    } else if (k < body_len) {
        char num[32];
        size_t n = body_len - k < sizeof num - 1 ? body_len - k : sizeof num - 1;
        memcpy(num, body + k, n);
        num[n] = '\0';
        q->batch = strtoll(num, NULL, 10);
    }
    if (q->batch <= 0)
        q->batch = 1;
    if (q->hb > 0 && q->hb * 2 > q->expires) {
        status_with_reason(s, rep, 400, "Bad Request - heartbeat value too large");
        return -1;
    }
    return 0;
}

/* The consumer's own limits on requests (max_batch, max_expires, max_bytes): 409. */
static bool over_limits(server *s, const char *rep, const consumer_config *cfg,
                        const pull_req *q)
{
    char text[96];
    if (cfg->max_batch > 0 && q->batch > cfg->max_batch) {
        snprintf(text, sizeof text, "Exceeded MaxRequestBatch of %" PRId64, cfg->max_batch);
    } else if (cfg->max_expires_ns > 0 && q->expires > cfg->max_expires_ns) {
        int64_t ms = cfg->max_expires_ns / 1000000; /* Go's Duration text for whole units */
        if (ms % 1000 == 0)
            snprintf(text, sizeof text, "Exceeded MaxRequestExpires of %" PRId64 "s", ms / 1000);
        else
            snprintf(text, sizeof text, "Exceeded MaxRequestExpires of %" PRId64 "ms", ms);
    } else if (cfg->max_bytes > 0 && q->max_bytes > cfg->max_bytes) {
        snprintf(text, sizeof text, "Exceeded MaxRequestMaxBytes of %" PRId64, cfg->max_bytes);
    } else {
        return false;
    }
    status_with_reason(s, rep, 409, text);
    return true;
}

void jsc_pull_request_on(server *s, entry *e, const char *reply, size_t reply_len,
                         const char *body, size_t body_len)
{
    const consumer_config *cfg = consumer_get_config(e->c);
    char *rep = strndup(reply, reply_len);
    pull_req q;
    if (!rep)
        return;
    if (consumer_config_is_push(cfg)) {
        status_with_reason(s, rep, 409, "Consumer is push based");
        free(rep);
        return;
    }
    if (parse_request(s, rep, body, body_len, &q) < 0 || over_limits(s, rep, cfg, &q)) {
        free(rep);
        return;
    }
    e->last_request_ms = loop_now_ms(s->loop);
    if ((int64_t)e->nwait >= cfg->max_waiting) {
        status_with_reason(s, rep, 409, "Exceeded MaxWaiting");
        free(rep);
        return;
    }
    stream *st = store_stream_find(s->store, e->stream);
    if (q.no_wait && q.expires == 0 && !e->head &&
        (!st || (!consumer_has_next(e->c, st) && !consumer_blocked_by_ack_pending(e->c, st)))) {
        jsc_status(s, rep, "NATS/1.0 404 No Messages\r\n\r\n");
        free(rep);
        return;
    }
    waiter *w = calloc(1, sizeof *w);
    if (!w) {
        free(rep);
        return;
    }
    w->reply = rep;
    w->n = q.batch;
    w->no_wait = q.no_wait;
    w->bytes = q.max_bytes > 0 ? q.max_bytes : 0;
    if (q.expires > 0) {
        int64_t ms = q.expires / 1000000;
        w->expires_ms = loop_now_ms(s->loop) + (ms > 0 ? ms : 1);
    }
    if (q.hb > 0) {
        w->hb_ms = q.hb / 1000000 > 0 ? q.hb / 1000000 : 1;
        w->next_hb_ms = loop_now_ms(s->loop) + w->hb_ms;
    }
    if (e->tail)
        e->tail->next = w;
    else
        e->head = w;
    e->tail = w;
    e->nwait++;
    if (jsc_pull_serve(s, e))
        jsc_soon(e);
}

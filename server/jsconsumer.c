/*
 * jsconsumer.c — consumers inside the server (see jsconsumer.h): the registry, pull requests
 * and their statuses, acks, and the timer that expires requests and redelivers after ack_wait.
 */
#include "jsconsumer.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "log.h"
#include "stream/consumer_store.h"
#include "stream/stream.h"

#define TICK_MS 50

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
    waiter *head, *tail;
    size_t nwait;
    int64_t last_request_ms; /* for inactive_threshold */
    bool durable;
    bool dirty;              /* durable state changed since it was last put into the batch */
} entry;

struct jsconsumers {
    entry **v;
    size_t n, cap;
    loop_timer tick;
    server *srv;
    char **replies;          /* double acks answered after the next commit */
    size_t nreplies, replies_cap;
};

static int64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void tick_fired(loop_timer *t);

static struct jsconsumers *reg(server *s, bool create)
{
    if (!s->jsc && create) {
        s->jsc = calloc(1, sizeof *s->jsc);
        if (s->jsc) {
            s->jsc->srv = s;
            loop_timer_init(&s->jsc->tick, tick_fired);
            loop_timer_start(s->loop, &s->jsc->tick, TICK_MS);
        }
    }
    return s->jsc;
}

static entry *find_entry(server *s, const char *sname, const char *name, size_t *idx)
{
    struct jsconsumers *r = reg(s, false);
    if (!r)
        return NULL;
    for (size_t i = 0; i < r->n; i++)
        if (!strcmp(r->v[i]->stream, sname) && !strcmp(consumer_name(r->v[i]->c), name)) {
            if (idx)
                *idx = i;
            return r->v[i];
        }
    return NULL;
}

consumer *jsc_find(server *s, const char *stream_name, const char *name)
{
    entry *e = find_entry(s, stream_name, name, NULL);
    return e ? e->c : NULL;
}

int jsc_add(server *s, const char *stream_name, consumer *c)
{
    struct jsconsumers *r = reg(s, true);
    entry *e = r ? calloc(1, sizeof *e) : NULL;
    if (e)
        e->stream = strdup(stream_name);
    if (r && r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        entry **v = realloc(r->v, cap * sizeof *v);
        if (v) {
            r->v = v;
            r->cap = cap;
        }
    }
    if (!e || !e->stream || r->n == r->cap) {
        if (e)
            free(e->stream);
        free(e);
        consumer_free(c);
        return -1;
    }
    e->c = c;
    e->durable = consumer_get_config(c)->durable_name != NULL;
    e->last_request_ms = loop_now_ms(s->loop);
    r->v[r->n++] = e;
    return 0;
}

static void send_status(server *s, const char *reply, const char *hdr)
{
    client_publish_internal(s, reply, strlen(reply), hdr, strlen(hdr), NULL, 0);
}

static void waiter_free(waiter *w)
{
    free(w->reply);
    free(w);
}

/* Removes entry i; forget: its stored record goes too (in the pending batch). */
static void remove_at(server *s, size_t i, const char *status, bool forget)
{
    struct jsconsumers *r = s->jsc;
    entry *e = r->v[i];
    if (forget && e->durable)
        store_consumer_delete(s->store, e->stream, consumer_name(e->c));
    for (waiter *w = e->head, *next; w; w = next) {
        next = w->next;
        if (status)
            send_status(s, w->reply, status);
        waiter_free(w);
    }
    consumer_free(e->c);
    free(e->stream);
    free(e);
    memmove(&r->v[i], &r->v[i + 1], (r->n - i - 1) * sizeof *r->v);
    r->n--;
}

void jsc_delete(server *s, const char *stream_name, const char *name)
{
    size_t i;
    if (find_entry(s, stream_name, name, &i))
        remove_at(s, i, "NATS/1.0 409 Consumer Deleted\r\n\r\n", true);
}

void jsc_stream_deleted(server *s, const char *stream_name)
{
    struct jsconsumers *r = reg(s, false);
    if (!r)
        return;
    for (size_t i = 0; i < r->n;)
        if (!strcmp(r->v[i]->stream, stream_name))
            remove_at(s, i, "NATS/1.0 409 Consumer Deleted\r\n\r\n", true);
        else
            i++;
}

void jsc_stream_purged(server *s, const char *stream_name)
{
    struct jsconsumers *r = reg(s, false);
    stream *st = store_stream_find(s->store, stream_name);
    for (size_t i = 0; r && st && i < r->n; i++)
        if (!strcmp(r->v[i]->stream, stream_name) && consumer_stream_purged(r->v[i]->c, st))
            r->v[i]->dirty = r->v[i]->durable;
}

size_t jsc_count(server *s, const char *stream_name)
{
    struct jsconsumers *r = reg(s, false);
    size_t n = 0;
    for (size_t i = 0; r && i < r->n; i++)
        if (!stream_name || !strcmp(r->v[i]->stream, stream_name))
            n++;
    return n;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(consumer_name(*(consumer *const *)a), consumer_name(*(consumer *const *)b));
}

size_t jsc_collect(server *s, const char *stream_name, consumer **out, size_t cap)
{
    struct jsconsumers *r = reg(s, false);
    size_t n = jsc_count(s, stream_name);
    if (!n)
        return 0;
    consumer **all = malloc(n * sizeof *all);
    if (!all)
        return 0;
    size_t k = 0;
    for (size_t i = 0; i < r->n; i++)
        if (!strcmp(r->v[i]->stream, stream_name))
            all[k++] = r->v[i]->c;
    qsort(all, n, sizeof *all, by_name);
    memcpy(out, all, (n < cap ? n : cap) * sizeof *out);
    free(all);
    return n;
}

size_t jsc_num_waiting(server *s, const char *stream_name, const char *name)
{
    entry *e = find_entry(s, stream_name, name, NULL);
    return e ? e->nwait : 0;
}

/* ---------------- delivery ---------------- */

static void pop_head(entry *e)
{
    waiter *w = e->head;
    e->head = w->next;
    if (!e->head)
        e->tail = NULL;
    e->nwait--;
    waiter_free(w);
}

/* The ack reply subject of a delivery into ack; its length. */
static size_t ack_subject(const entry *e, const consumer_delivery *d, char *ack, size_t cap)
{
    int n = snprintf(ack, cap, "$JS.ACK.%s.%s.%" PRIu64 ".%" PRIu64 ".%" PRIu64 ".%" PRId64
                     ".%" PRIu64, e->stream, consumer_name(e->c), d->delivery_count,
                     d->msg.seq, d->consumer_seq, d->msg.ts_ns, d->pending);
    return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

/* nats-server's size of a delivery for max_bytes: subject, ack reply, headers, data. */
static int64_t delivery_size(const entry *e, const consumer_delivery *d)
{
    char ack[512];
    return (int64_t)(d->msg.subject_len + ack_subject(e, d, ack, sizeof ack) +
                     (d->msg.hdr ? d->msg.hdr_len : 0) + d->msg.data_len);
}

typedef struct fit_arg {
    const entry *e;
    int64_t bytes;
} fit_arg;

static bool fits_budget(const consumer_delivery *d, void *arg)
{
    const fit_arg *f = arg;
    return delivery_size(f->e, d) <= f->bytes;
}

static void deliver_one(server *s, entry *e, waiter *w, consumer_delivery *d)
{
    char ack[512];
    size_t n = ack_subject(e, d, ack, sizeof ack);
    client_publish_internal_reply(s, w->reply, strlen(w->reply), ack, n, d->msg.hdr,
                                  d->msg.hdr ? d->msg.hdr_len : 0, d->msg.data, d->msg.data_len);
}

/* Serves the waiting requests of one consumer with what it has to deliver; no_wait requests
 * that are left without messages get 404. */
static void serve(server *s, entry *e)
{
    stream *st = store_stream_find(s->store, e->stream);
    if (!st)
        return;
    while (e->head) {
        waiter *w = e->head;
        consumer_delivery d;
        fit_arg fa = {e, w->bytes};
        int rc = consumer_next_if(e->c, st, wall_ns(), w->bytes ? fits_budget : NULL, &fa, &d);
        if (rc == 2) {
            /* the next message does not fit what is left of max_bytes: the request ends */
            char hdr[200];
            snprintf(hdr, sizeof hdr,
                     "NATS/1.0 409 Message Size Exceeds MaxBytes\r\nNats-Pending-Messages: %" PRId64
                     "\r\nNats-Pending-Bytes: %" PRId64 "\r\n\r\n", w->n, w->bytes);
            send_status(s, w->reply, hdr);
            pop_head(e);
            continue;
        }
        if (rc <= 0) {
            if (w->no_wait) {
                send_status(s, w->reply, "NATS/1.0 404 No Messages\r\n\r\n");
                pop_head(e);
                continue;
            }
            break;
        }
        deliver_one(s, e, w, &d);
        int64_t size = delivery_size(e, &d);
        stream_msg_free(&d.msg);
        e->dirty = e->durable;
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
}

/* {"config":..,"state":..}: a durable consumer's record. */
static int save(server *s, entry *e)
{
    json_t *j = json_object();
    json_object_set_new(j, "config", consumer_config_to_json(consumer_get_config(e->c)));
    json_object_set_new(j, "state", consumer_state_to_json(e->c));
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    int rc = text ? store_consumer_put(s->store, e->stream, consumer_name(e->c), text,
                                       strlen(text))
                  : -1;
    free(text);
    if (rc == 0)
        e->dirty = false;
    return rc;
}

int jsc_save(server *s, const char *stream_name, const char *name)
{
    entry *e = find_entry(s, stream_name, name, NULL);
    return e && e->durable ? save(s, e) : 0;
}

void jsc_before_commit(server *s)
{
    struct jsconsumers *r = reg(s, false);
    for (size_t i = 0; r && i < r->n; i++)
        if (r->v[i]->dirty && save(s, r->v[i]) < 0)
            log_error("JetStream: consumer %s > %s: state not saved (out of memory)",
                      r->v[i]->stream, consumer_name(r->v[i]->c));
}

void jsc_after_commit(server *s, bool ok)
{
    struct jsconsumers *r = reg(s, false);
    if (!r)
        return;
    for (size_t i = 0; i < r->nreplies; i++) {
        /* a double ack is confirmed only when its state was written */
        if (ok)
            client_publish_internal(s, r->replies[i], strlen(r->replies[i]), NULL, 0, "", 0);
        free(r->replies[i]);
    }
    r->nreplies = 0;
    for (size_t i = 0; i < r->n; i++)
        if (r->v[i]->head)
            serve(s, r->v[i]);
}

static void queue_reply(struct jsconsumers *r, const char *reply, size_t len)
{
    if (r->nreplies == r->replies_cap) {
        size_t cap = r->replies_cap ? r->replies_cap * 2 : 64;
        char **v = realloc(r->replies, cap * sizeof *v);
        if (!v)
            return;
        r->replies = v;
        r->replies_cap = cap;
    }
    char *copy = strndup(reply, len);
    if (copy)
        r->replies[r->nreplies++] = copy;
}

static void load_one(const char *stream_name, const char *name, const char *json, size_t len,
                     void *arg)
{
    server *s = arg;
    stream *st = store_stream_find(s->store, stream_name);
    json_t *j = json_loadb(json, len, 0, NULL);
    consumer_config cfg;
    jserr e;
    consumer *c = NULL;
    if (st && j && consumer_config_from_json(json_object_get(j, "config"), &cfg, &e) == 0)
        c = consumer_restore(&cfg, json_object_get(j, "state"));
    json_decref(j);
    if (!st) {
        store_consumer_delete(s->store, stream_name, name); /* left over from a stream delete */
        return;
    }
    if (!c || strcmp(consumer_name(c), name) != 0) {
        log_error("JetStream: consumer %s > %s: stored state is not readable, skipped",
                  stream_name, name);
        consumer_free(c);
        return;
    }
    if (jsc_add(s, stream_name, c) < 0)
        log_error("JetStream: consumer %s > %s: out of memory", stream_name, name);
}

size_t jsc_load(server *s)
{
    size_t bad = store_consumer_scan(s->store, load_one, s);
    if (bad)
        log_error("JetStream: %zu consumer records could not be opened", bad);
    return jsc_count(s, NULL);
}

static void tick_fired(loop_timer *t)
{
    struct jsconsumers *r = LOOP_CONTAINER(t, struct jsconsumers, tick);
    server *s = r->srv;
    int64_t now_ms = loop_now_ms(s->loop), now_ns = wall_ns();
    for (size_t i = 0; i < r->n;) {
        entry *e = r->v[i];
        if (consumer_check_ack_wait(e->c, now_ns) > 0)
            e->dirty = e->durable;
        if (e->head)
            serve(s, e);
        /* expired requests: 408 with what was left of them */
        waiter **pp = &e->head, *prev = NULL;
        while (*pp) {
            waiter *w = *pp;
            if (w->expires_ms && now_ms >= w->expires_ms) {
                char hdr[160];
                snprintf(hdr, sizeof hdr,
                         "NATS/1.0 408 Request Timeout\r\nNats-Pending-Messages: %" PRId64
                         "\r\nNats-Pending-Bytes: %" PRId64 "\r\n\r\n", w->n, w->bytes);
                send_status(s, w->reply, hdr);
                *pp = w->next;
                if (e->tail == w)
                    e->tail = prev;
                e->nwait--;
                waiter_free(w);
                continue;
            }
            if (w->hb_ms && now_ms >= w->next_hb_ms) {
                /* nats-server's idle heartbeat of a pull request, with the last delivered
                 * consumer and stream sequences */
                consumer_info_state is;
                stream *st = store_stream_find(s->store, e->stream);
                char hdr[200];
                if (st) {
                    consumer_get_state(e->c, st, &is);
                    snprintf(hdr, sizeof hdr,
                             "NATS/1.0 100 Idle Heartbeat\r\nNats-Last-Consumer: %" PRIu64
                             "\r\nNats-Last-Stream: %" PRIu64 "\r\n\r\n",
                             is.delivered_consumer_seq, is.delivered_stream_seq);
                    send_status(s, w->reply, hdr);
                }
                w->next_hb_ms = now_ms + w->hb_ms;
            }
            prev = w;
            pp = &w->next;
        }
        if (e->head)
            e->last_request_ms = now_ms;
        const consumer_config *cfg = consumer_get_config(e->c);
        if (!cfg->durable_name && cfg->inactive_threshold_ns > 0 && !e->head &&
            (now_ms - e->last_request_ms) * 1000000LL >= cfg->inactive_threshold_ns) {
            log_debug("JetStream: ephemeral consumer %s > %s removed after inactivity",
                      e->stream, consumer_name(e->c));
            remove_at(s, i, NULL, true);
            continue;
        }
        i++;
    }
    loop_timer_start(s->loop, &r->tick, TICK_MS);
}

/* ---------------- pull requests ---------------- */

/* The n-th '.'-separated token of subj (0-based) into out; false when absent or too long. */
static bool token(const char *subj, size_t len, int n, char *out, size_t cap)
{
    size_t i = 0;
    for (int k = 0; k < n; k++) {
        while (i < len && subj[i] != '.')
            i++;
        if (i == len)
            return false;
        i++;
    }
    size_t start = i;
    while (i < len && subj[i] != '.')
        i++;
    if (i - start == 0 || i - start >= cap)
        return false;
    memcpy(out, subj + start, i - start);
    out[i - start] = '\0';
    return true;
}

static void status_with_reason(server *s, const char *reply, int code, const char *text)
{
    char hdr[256];
    snprintf(hdr, sizeof hdr, "NATS/1.0 %d %s\r\n\r\n", code, text);
    send_status(s, reply, hdr);
}

/* Queues (and serves) one pull request on e. body: a batch number or the JSON request. */
static void pull(server *s, entry *e, const char *reply, size_t reply_len, const char *body,
                 size_t body_len)
{
    char *rep = strndup(reply, reply_len);
    if (!rep)
        return;
    int64_t batch = 1, expires = 0, max_bytes = 0, hb = 0;
    bool no_wait = false;
    size_t k = 0;
    while (k < body_len && strchr(" \t\r\n", body[k]) && body[k])
        k++;
    if (k < body_len && body[k] == '{') {
        json_error_t jerr;
        json_t *j = json_loadb(body, body_len, 0, &jerr);
        if (!j || !json_is_object(j)) {
            json_decref(j);
            status_with_reason(s, rep, 400, "Bad Request - invalid JSON");
            free(rep);
            return;
        }
        json_t *v;
        if ((v = json_object_get(j, "batch")) && json_is_integer(v))
            batch = json_integer_value(v);
        if ((v = json_object_get(j, "expires")) && json_is_integer(v))
            expires = json_integer_value(v);
        if ((v = json_object_get(j, "max_bytes")) && json_is_integer(v))
            max_bytes = json_integer_value(v);
        if ((v = json_object_get(j, "idle_heartbeat")) && json_is_integer(v))
            hb = json_integer_value(v);
        if ((v = json_object_get(j, "no_wait")) && json_is_true(v))
            no_wait = true;
        json_decref(j);
    } else if (k < body_len) {
        char num[32];
        size_t n = body_len - k < sizeof num - 1 ? body_len - k : sizeof num - 1;
        memcpy(num, body + k, n);
        num[n] = '\0';
        batch = strtoll(num, NULL, 10);
    }
    if (batch <= 0)
        batch = 1;
    if (hb > 0 && hb * 2 > expires) {
        status_with_reason(s, rep, 400, "Bad Request - heartbeat value too large");
        free(rep);
        return;
    }
    e->last_request_ms = loop_now_ms(s->loop);
    const consumer_config *cfg = consumer_get_config(e->c);
    if ((int64_t)e->nwait >= cfg->max_waiting) {
        status_with_reason(s, rep, 409, "Exceeded MaxWaiting");
        free(rep);
        return;
    }
    stream *st = store_stream_find(s->store, e->stream);
    if (no_wait && expires == 0 && !e->head && (!st || !consumer_has_next(e->c, st))) {
        send_status(s, rep, "NATS/1.0 404 No Messages\r\n\r\n");
        free(rep);
        return;
    }
    waiter *w = calloc(1, sizeof *w);
    if (!w) {
        free(rep);
        return;
    }
    w->reply = rep;
    w->n = batch;
    w->no_wait = no_wait;
    w->bytes = max_bytes > 0 ? max_bytes : 0;
    if (expires > 0) {
        int64_t ms = expires / 1000000;
        w->expires_ms = loop_now_ms(s->loop) + (ms > 0 ? ms : 1);
    }
    if (hb > 0) {
        w->hb_ms = hb / 1000000 > 0 ? hb / 1000000 : 1;
        w->next_hb_ms = loop_now_ms(s->loop) + w->hb_ms;
    }
    if (e->tail)
        e->tail->next = w;
    else
        e->head = w;
    e->tail = w;
    e->nwait++;
    serve(s, e);
}

bool jsc_pull_request(server *s, const nats_op *op)
{
    /* $JS.API.CONSUMER.MSG.NEXT.<stream>.<consumer> */
    char sname[256], cname[256], extra[8];
    if (!token(op->subject.ptr, op->subject.len, 5, sname, sizeof sname) ||
        !token(op->subject.ptr, op->subject.len, 6, cname, sizeof cname) ||
        token(op->subject.ptr, op->subject.len, 7, extra, sizeof extra))
        return false;
    entry *e = find_entry(s, sname, cname, NULL);
    if (!e)
        return false;
    if (op->reply.len == 0)
        return true; /* nowhere to deliver */
    pull(s, e, op->reply.ptr, op->reply.len, op->payload.ptr + op->hdr_len,
         op->payload.len - op->hdr_len);
    return true;
}

/* ---------------- acks ---------------- */

static bool starts(const char *p, size_t len, const char *word)
{
    size_t n = strlen(word);
    return len >= n && memcmp(p, word, n) == 0;
}

bool jsc_ack(server *s, const nats_op *op)
{
    /* $JS.ACK.<stream>.<consumer>.<dc>.<sseq>.<cseq>.<ts>.<pending> */
    char sname[256], cname[256], sseq_s[32], extra[8];
    if (!token(op->subject.ptr, op->subject.len, 2, sname, sizeof sname) ||
        !token(op->subject.ptr, op->subject.len, 3, cname, sizeof cname) ||
        !token(op->subject.ptr, op->subject.len, 5, sseq_s, sizeof sseq_s) ||
        !token(op->subject.ptr, op->subject.len, 8, extra, sizeof extra) ||
        token(op->subject.ptr, op->subject.len, 9, extra, sizeof extra))
        return false;
    entry *e = find_entry(s, sname, cname, NULL);
    if (!e)
        return false;
    uint64_t sseq = strtoull(sseq_s, NULL, 10);
    const char *p = op->payload.ptr + op->hdr_len;
    size_t len = op->payload.len - op->hdr_len;
    int64_t now = wall_ns();
    bool next = false;
    const char *rest = NULL;
    size_t rest_len = 0;
    e->dirty = e->durable;
    if (len == 0 || starts(p, len, "+ACK")) {
        consumer_ack(e->c, CONSUMER_ACK_OK, sseq, 0, now);
    } else if (starts(p, len, "+NXT")) {
        consumer_ack(e->c, CONSUMER_ACK_OK, sseq, 0, now);
        next = true;
        rest = p + 4;
        rest_len = len - 4;
    } else if (starts(p, len, "-NAK")) {
        int64_t delay = 0;
        if (len > 4) {
            json_t *j = json_loadb(p + 4, len - 4, 0, NULL);
            json_t *d = j ? json_object_get(j, "delay") : NULL;
            if (d && json_is_integer(d))
                delay = json_integer_value(d);
            json_decref(j);
        }
        consumer_ack(e->c, CONSUMER_ACK_NAK, sseq, delay, now);
    } else if (starts(p, len, "+WPI")) {
        consumer_ack(e->c, CONSUMER_ACK_WPI, sseq, 0, now);
    } else if (starts(p, len, "+TERM")) {
        consumer_ack(e->c, CONSUMER_ACK_TERM, sseq, 0, now);
    } else {
        return true; /* unknown ack: taken and ignored, as nats-server does */
    }
    if (next) {
        if (op->reply.len)
            pull(s, e, op->reply.ptr, op->reply.len, rest, rest_len);
    } else if (op->reply.len) {
        queue_reply(s->jsc, op->reply.ptr, op->reply.len); /* answered after the commit */
    }
    if (e->head)
        serve(s, e);
    return true;
}

void jsc_free(server *s)
{
    struct jsconsumers *r = reg(s, false);
    if (!r)
        return;
    while (r->n)
        remove_at(s, r->n - 1, NULL, false);
    loop_timer_stop(s->loop, &r->tick);
    for (size_t i = 0; i < r->nreplies; i++)
        free(r->replies[i]);
    free(r->replies);
    free(r->v);
    free(r);
    s->jsc = NULL;
}

/*
 * client.c — the NATS client session (see client.h).
 *
 * Input: bytes are read into a per-client buffer and parsed in place; operations point into
 * that buffer, so a PUB's payload is copied exactly once, into each receiver's output chain.
 * Output: appended to the receiver's chain and written with writev once per loop iteration
 * (client_flush_all), or when the socket becomes writable again.
 * Closing: a client closed in the middle of an iteration is only marked and unlinked from the
 * socket; its memory and its subscriptions go at the end of the iteration, because pointers to
 * it may still sit in the epoll batch or in a sublist result being delivered.
 */
#include "client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "auth.h"
#include "jetstream.h"
#include "jsapi.h"
#include "jsconsumer.h"
#include "log.h"
#include "outbuf.h"
#include "perms.h"
#include "proto/nats_parser.h"
#include "proto/numfmt.h"
#include "proto/subject.h"
#include "strmap.h"

#define CLIENT_INBUF_START (16 * 1024)
#define CLIENT_READ_MAX (256 * 1024)
/* A long run of deliveries to one connection (a pull batch, a fan-out of a large read) goes out
 * in pieces of this size as it is produced rather than once per loop iteration, so the reader
 * works on the first messages while the rest are being formatted. */
#define CLIENT_EARLY_FLUSH (32 * 1024)

typedef struct subscription {
    client *owner;
    char *subject;
    size_t subject_len;
    char *queue; /* NULL for a plain subscription */
    size_t queue_len;
    char *sid;
    size_t sid_len;
    uint64_t delivered;
    uint64_t max; /* 0 = no auto-unsubscribe */
    bool removed; /* auto-unsubscribed while a delivery was in progress */
} subscription;

struct client {
    server *srv;
    loop_handler io;
    loop_timer ping_timer;
    loop_timer auth_timer;
    loop_timer write_timer;
    uint64_t cid;
    char ip[64];
    int port;

    char *in;
    size_t in_len, in_cap;
    size_t in_needed; /* total size of the operation being assembled, when known */

    outbuf out;

    bool connected; /* CONNECT accepted */
    bool verbose, pedantic, echo, headers, no_responders;
    bool closing;      /* close once output is flushed */
    bool closed;
    bool is_dirty;
    char *name;
    char *lang;
    char *version;
    char nonce[AUTH_NONCE_LEN + 1];
    bool sent_nonce;
    int pings_out;
    int64_t last_in_ms;
    int64_t start_ms;
    uint64_t in_msgs, in_bytes, out_msgs, out_bytes;

    strmap subs; /* sid → subscription */
    perms_conn *perms;     /* the user's permissions, NULL when everything is allowed */
    const char *auth_user; /* authenticated user or nkey (points into the options), or NULL */

    client *prev, *next; /* server->clients */
    client *next_dirty;
    client *next_closed;
};

static void client_io(loop_handler *h, uint32_t events);
static void client_close(client *c, const char *reason);
static void flush_client(client *c);

/* ---------- output ---------- */

static void mark_dirty(client *c)
{
    if (!c->is_dirty) {
        c->is_dirty = true;
        c->next_dirty = c->srv->dirty;
        c->srv->dirty = c;
    }
}

/* Checks the slow-consumer bound before queuing `len` more bytes. Returns false (and closes
 * the client) when the bound would be crossed. */
static bool room_for(client *c, size_t len)
{
    if (c->closed)
        return false;
    if ((int64_t)(c->out.pending + len) > c->srv->opts->max_pending) {
        c->srv->stats.slow_consumers++;
        log_warn("%s:%d - cid:%llu - Slow Consumer Detected: MaxPending of %lld Exceeded",
                 c->ip, c->port, (unsigned long long)c->cid, (long long)c->srv->opts->max_pending);
        client_close(c, "Slow Consumer (Pending Bytes)");
        return false;
    }
    return true;
}

static void send_raw(client *c, const char *data, size_t len)
{
    if (!room_for(c, len))
        return;
    if (outbuf_append(&c->out, data, len) < 0) {
        client_close(c, "out of memory");
        return;
    }
    mark_dirty(c);
}

static void send_str(client *c, const char *s)
{
    send_raw(c, s, strlen(s));
}

static void send_err(client *c, const char *text)
{
    char line[512];
    int n = snprintf(line, sizeof line, "-ERR '%s'\r\n", text);
    if (n > (int)sizeof line - 1)
        n = (int)sizeof line - 1;
    send_raw(c, line, (size_t)n);
}

/* Sends -ERR and closes once it is written, as nats-server does for fatal protocol errors. */
static void fail(client *c, const char *text, const char *reason)
{
    if (text)
        send_err(c, text);
    if (!c->closed) {
        c->closing = true;
        mark_dirty(c);
    }
    log_debug("%s:%d - cid:%llu - closing: %s", c->ip, c->port, (unsigned long long)c->cid,
              reason);
}

static void send_ok(client *c)
{
    if (c->verbose)
        send_raw(c, "+OK\r\n", 5);
}

static void send_info(client *c)
{
    server *s = c->srv;
    weir_options *o = s->opts;
    json_t *j = json_object();
    json_object_set_new(j, "server_id", json_string(s->server_id));
    json_object_set_new(j, "server_name", json_string(s->server_name));
    json_object_set_new(j, "version", json_string(WEIR_NATS_COMPAT_VERSION));
    json_object_set_new(j, "proto", json_integer(1));
    json_object_set_new(j, "go", json_string("weir " WEIR_VERSION));
    json_object_set_new(j, "host", json_string(o->host));
    json_object_set_new(j, "port", json_integer(s->port));
    json_object_set_new(j, "headers", json_true());
    if (auth_required(o))
        json_object_set_new(j, "auth_required", json_true());
    json_object_set_new(j, "max_payload", json_integer(o->max_payload));
    if (o->jetstream)
        json_object_set_new(j, "jetstream", json_true());
    json_object_set_new(j, "client_id", json_integer((json_int_t)c->cid));
    json_object_set_new(j, "client_ip", json_string(c->ip));
    if (auth_needs_nonce(o)) {
        auth_make_nonce(c->nonce);
        c->sent_nonce = true;
        json_object_set_new(j, "nonce", json_string(c->nonce));
    }
    json_object_set_new(j, "weir_version", json_string(WEIR_VERSION));
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (!text) {
        client_close(c, "out of memory");
        return;
    }
    send_str(c, "INFO ");
    send_str(c, text);
    send_raw(c, "\r\n", 2);
    free(text);
}

/* Delivers one message to one subscription: MSG or HMSG, headers stripped for a receiver that
 * did not announce header support. The header block and the body may lie apart. */
static void deliver(subscription *sub, const char *subj, size_t slen, const char *reply,
                    size_t rlen, const char *hdr, size_t hdr_len, const char *body,
                    size_t body_len)
{
    client *c = sub->owner;
    if (c->closed || sub->removed)
        return;
    bool with_hdr = hdr_len > 0 && c->headers;
    size_t total = (with_hdr ? hdr_len : 0) + body_len;
    size_t line_max = slen + rlen + sub->sid_len + 64;
    if (!room_for(c, line_max + total + 2))
        return;
    char *p = outbuf_reserve(&c->out, line_max);
    if (!p) {
        client_close(c, "out of memory");
        return;
    }
    char *w = p;
    if (with_hdr) {
        memcpy(w, "HMSG ", 5);
        w += 5;
    } else {
        memcpy(w, "MSG ", 4);
        w += 4;
    }
    memcpy(w, subj, slen);
    w += slen;
    *w++ = ' ';
    memcpy(w, sub->sid, sub->sid_len);
    w += sub->sid_len;
    *w++ = ' ';
    if (rlen) {
        memcpy(w, reply, rlen);
        w += rlen;
        *w++ = ' ';
    }
    if (with_hdr) {
        w += numfmt_u64(w, hdr_len);
        *w++ = ' ';
        w += numfmt_u64(w, total);
    } else {
        w += numfmt_u64(w, body_len);
    }
    *w++ = '\r';
    *w++ = '\n';
    outbuf_commit(&c->out, (size_t)(w - p));
    if ((with_hdr && outbuf_append(&c->out, hdr, hdr_len) < 0) ||
        outbuf_append(&c->out, body, body_len) < 0 || outbuf_append(&c->out, "\r\n", 2) < 0) {
        client_close(c, "out of memory");
        return;
    }
    mark_dirty(c);
    c->srv->stats.out_msgs++;
    c->srv->stats.out_bytes += total;
    c->out_msgs++;
    c->out_bytes += total;
    sub->delivered++;
    if (c->perms && rlen && perms_conn_track_reply(c->perms, reply, rlen,
                                                    loop_now_ms(c->srv->loop)) < 0)
        client_close(c, "out of memory");
    else if (c->out.pending >= CLIENT_EARLY_FLUSH && !(c->io.events & EPOLLOUT))
        flush_client(c);
}

/* ---------- subscriptions ---------- */

static void sub_free(subscription *sub)
{
    free(sub->subject);
    free(sub->queue);
    free(sub->sid);
    free(sub);
}

static void sub_unlink(client *c, subscription *sub)
{
    c->srv->sub_gen++;
    sublist_remove(c->srv->sublist, sub->subject, sub->subject_len, sub->queue, sub->queue_len,
                   sub);
    strmap_remove(&c->subs, sub->sid, sub->sid_len);
    sub_free(sub);
}

static char *dup_bytes(const char *p, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, p, n);
        d[n] = 0;
    }
    return d;
}

/* nats-server's pubPermissionViolation / subPermissionViolation: -ERR, a log line, and the
 * connection stays open. The text holds the whole subject, so it is built to size. */
static void perm_violation(client *c, const nats_op *op, bool publish)
{
    size_t need = publish ? perms_pub_violation_text(NULL, 0, op->subject.ptr, op->subject.len)
                          : perms_sub_violation_text(NULL, 0, op->subject.ptr, op->subject.len,
                                                     op->queue.ptr, op->queue.len);
    char *line = malloc(need + 9);
    if (!line) {
        client_close(c, "out of memory");
        return;
    }
    memcpy(line, "-ERR '", 6);
    if (publish)
        perms_pub_violation_text(line + 6, need + 1, op->subject.ptr, op->subject.len);
    else
        perms_sub_violation_text(line + 6, need + 1, op->subject.ptr, op->subject.len,
                                 op->queue.ptr, op->queue.len);
    memcpy(line + 6 + need, "'\r\n", 3);
    send_raw(c, line, need + 9);
    /* the log names the subject (and queue) as the -ERR does, after its fixed prefix */
    size_t skip = strlen(publish ? "Permissions Violation for Publish to "
                                 : "Permissions Violation for Subscription to ");
    log_error("%s:%d - cid:%llu - %s Violation - User \"%s\", Subject %.*s", c->ip, c->port,
              (unsigned long long)c->cid, publish ? "Publish" : "Subscription",
              c->auth_user ? c->auth_user : "", (int)(need - skip), line + 6 + skip);
    free(line);
}

static void handle_sub(client *c, const nats_op *op)
{
    if (!subject_valid_filter(op->subject.ptr, op->subject.len) ||
        (op->queue.ptr && !subject_valid_literal(op->queue.ptr, op->queue.len))) {
        send_err(c, "Invalid Subject");
        return;
    }
    if (c->perms && !perms_conn_can_subscribe(c->perms, op->subject.ptr, op->subject.len,
                                              op->queue.ptr, op->queue.len)) {
        perm_violation(c, op, false);
        return;
    }
    if (strmap_get(&c->subs, op->sid.ptr, op->sid.len)) {
        send_ok(c); /* nats-server keeps the existing subscription for a reused sid */
        return;
    }
    subscription *sub = calloc(1, sizeof *sub);
    if (!sub) {
        client_close(c, "out of memory");
        return;
    }
    sub->owner = c;
    sub->subject = dup_bytes(op->subject.ptr, op->subject.len);
    sub->subject_len = op->subject.len;
    if (op->queue.ptr) {
        sub->queue = dup_bytes(op->queue.ptr, op->queue.len);
        sub->queue_len = op->queue.len;
    }
    sub->sid = dup_bytes(op->sid.ptr, op->sid.len);
    sub->sid_len = op->sid.len;
    if (!sub->subject || (op->queue.ptr && !sub->queue) || !sub->sid ||
        strmap_put(&c->subs, sub->sid, sub->sid_len, sub) < 0) {
        sub_free(sub);
        client_close(c, "out of memory");
        return;
    }
    if (sublist_insert(c->srv->sublist, sub->subject, sub->subject_len, sub->queue,
                       sub->queue_len, sub) < 0) {
        strmap_remove(&c->subs, sub->sid, sub->sid_len);
        sub_free(sub);
        send_err(c, "Invalid Subject");
        return;
    }
    c->srv->sub_gen++;
    send_ok(c);
}

static void handle_unsub(client *c, const nats_op *op)
{
    subscription *sub = strmap_get(&c->subs, op->sid.ptr, op->sid.len);
    if (sub) {
        if (op->max_msgs > 0 && sub->delivered < (uint64_t)op->max_msgs)
            sub->max = (uint64_t)op->max_msgs;
        else
            sub_unlink(c, sub);
    }
    send_ok(c);
}

/* ---------- publish ---------- */

/* The subscription of client c whose filter matches the reply subject, for addressing a
 * no-responders status back to the requester. */
static subscription *own_sub_for(client *c, const char *reply, size_t rlen)
{
    const sublist_result *r = sublist_match(c->srv->sublist, reply, rlen);
    for (size_t i = 0; i < r->npsubs; i++) {
        subscription *sub = r->psubs[i];
        if (sub->owner == c)
            return sub;
    }
    return NULL;
}

/* Subscriptions that reached their auto-unsubscribe maximum while one message was being
 * delivered; they leave the index only after the delivery, because the sublist result being
 * walked must not change under it. */
typedef struct expired_subs {
    subscription *subs[16];
    size_t n;
    bool overflow;
} expired_subs;

/* Whether sub may receive op's message published by c (NULL: the server itself); the
 * receiver's subscribe deny rules may filter it out (nats-server's checkDenySub). */
/* A message to route: matched against subscriptions by `subject`, shown to receivers with
 * `shown` (JetStream deliveries go to a deliver subject or inbox but carry the subject the
 * message was published on, like nats-server's pa.deliver). */
typedef struct outmsg {
    const char *subject, *shown, *reply, *hdr, *body;
    size_t subject_len, shown_len, reply_len, hdr_len, body_len;
    bool once; /* a subject used once (an ack): matched without filling the match cache */
} outmsg;

static outmsg outmsg_of(const nats_op *op)
{
    return (outmsg){.subject = op->subject.ptr, .subject_len = op->subject.len,
                    .shown = op->subject.ptr, .shown_len = op->subject.len,
                    .reply = op->reply.ptr, .reply_len = op->reply.len,
                    .hdr = op->payload.ptr, .hdr_len = op->hdr_len,
                    .body = op->payload.ptr + op->hdr_len,
                    .body_len = op->payload.len - op->hdr_len};
}

static bool sub_accepts(const subscription *sub, const client *c, const outmsg *m)
{
    client *o = sub->owner;
    return !sub->removed && !o->closed && (!c || o != c || c->echo) &&
           (!o->perms || perms_conn_delivery_ok(o->perms, m->subject, m->subject_len,
                                                sub->queue, sub->queue_len));
}

static void deliver_op(subscription *sub, const outmsg *m, expired_subs *ex)
{
    deliver(sub, m->shown, m->shown_len, m->reply, m->reply_len, m->hdr, m->hdr_len, m->body,
            m->body_len);
    if (sub->max && sub->delivered >= sub->max) {
        sub->removed = true;
        if (ex->n < sizeof ex->subs / sizeof ex->subs[0])
            ex->subs[ex->n++] = sub;
        else
            ex->overflow = true;
    }
}

static void unlink_expired(server *s, expired_subs *ex)
{
    for (size_t i = 0; i < ex->n; i++)
        if (!ex->subs[i]->owner->closed)
            sub_unlink(ex->subs[i]->owner, ex->subs[i]);
    if (!ex->overflow)
        return;
    /* rare: more subscriptions than fit above reached their max on one message */
    for (client *o = s->clients; o; o = o->next) {
        for (size_t i = 0; i < o->subs.cap; i++) {
            subscription *sub = o->subs.slots[i].key ? o->subs.slots[i].value : NULL;
            if (sub && sub->removed)
                sub_unlink(o, sub);
        }
    }
}

/* Delivers a message to every matching plain subscription and one member of each matching
 * queue group. `from` is the publishing client, or NULL for the server's own messages.
 * Returns how many subscriptions received it. */
static size_t route(server *s, client *from, const outmsg *op)
{
    const sublist_result *r = op->once
                                  ? sublist_match_once(s->sublist, op->subject, op->subject_len)
                                  : sublist_match(s->sublist, op->subject, op->subject_len);
    size_t delivered = 0;
    expired_subs ex = {.n = 0};
    for (size_t i = 0; i < r->npsubs; i++) {
        subscription *sub = r->psubs[i];
        if (sub_accepts(sub, from, op)) {
            deliver_op(sub, op, &ex);
            delivered++;
        }
    }
    for (size_t g = 0; g < r->nqgroups; g++) {
        const sublist_qgroup *q = &r->qgroups[g];
        size_t start = q->nsubs ? (size_t)rand() % q->nsubs : 0;
        for (size_t k = 0; k < q->nsubs; k++) {
            subscription *sub = q->subs[(start + k) % q->nsubs];
            if (sub_accepts(sub, from, op)) {
                deliver_op(sub, op, &ex);
                delivered++;
                break;
            }
        }
    }
    unlink_expired(s, &ex);
    return delivered;
}

static void note_backlog(const subscription *sub, bool *any, size_t *backlog)
{
    if (sub->removed || sub->owner->closed)
        return;
    *any = true;
    if (sub->owner->out.pending > *backlog)
        *backlog = sub->owner->out.pending;
}

bool client_subject_interest(server *s, const char *subject, size_t len, const char *queue,
                             size_t *backlog)
{
    const sublist_result *r = sublist_match(s->sublist, subject, len);
    bool any = false;
    *backlog = 0;
    for (size_t i = 0; !queue && i < r->npsubs; i++)
        note_backlog(r->psubs[i], &any, backlog);
    for (size_t g = 0; g < r->nqgroups; g++) {
        const sublist_qgroup *q = &r->qgroups[g];
        if (queue && (q->queue_len != strlen(queue) || memcmp(q->queue, queue, q->queue_len)))
            continue;
        for (size_t k = 0; k < q->nsubs; k++)
            note_backlog(q->subs[k], &any, backlog);
    }
    return any;
}

void client_publish_internal(server *s, const char *subject, size_t subject_len, const char *hdr,
                             size_t hdr_len, const char *data, size_t data_len)
{
    client_publish_internal_reply(s, subject, subject_len, NULL, 0, hdr, hdr_len, data, data_len);
}

void client_publish_internal_reply(server *s, const char *subject, size_t subject_len,
                                   const char *reply, size_t reply_len, const char *hdr,
                                   size_t hdr_len, const char *data, size_t data_len)
{
    /* the server's own messages mostly answer requests: one reply inbox each, matched once */
    outmsg m = {.subject = subject, .subject_len = subject_len, .shown = subject,
                .shown_len = subject_len, .reply = reply, .reply_len = reply_len, .hdr = hdr,
                .hdr_len = hdr_len, .body = data ? data : "", .body_len = data_len, .once = true};
    route(s, NULL, &m);
}

void client_deliver_internal(server *s, const char *to, size_t to_len, const char *shown,
                             size_t shown_len, const char *reply, size_t reply_len,
                             const char *hdr, size_t hdr_len, const char *data, size_t data_len)
{
    outmsg m = {.subject = to, .subject_len = to_len, .shown = shown, .shown_len = shown_len,
                .reply = reply, .reply_len = reply_len, .hdr = hdr, .hdr_len = hdr_len,
                .body = data ? data : "", .body_len = data_len};
    route(s, NULL, &m);
}

static void handle_pub(client *c, const nats_op *op)
{
    server *s = c->srv;
    if (c->pedantic && !subject_valid_literal(op->subject.ptr, op->subject.len)) {
        send_err(c, "Invalid Publish Subject");
        return;
    }
    s->stats.in_msgs++;
    s->stats.in_bytes += op->payload.len;
    c->in_msgs++;
    c->in_bytes += op->payload.len;
    if (c->perms && !perms_conn_can_publish(c->perms, op->subject.ptr, op->subject.len,
                                            loop_now_ms(s->loop))) {
        perm_violation(c, op, true); /* dropped, and no +OK */
        return;
    }
    send_ok(c); /* nats-server acknowledges before it delivers */

    /* $JS.API.> and, with a JetStream domain, $JS.<domain>.API.> */
    bool api = s->js && op->subject.len > 8 && memcmp(op->subject.ptr, "$JS.", 4) == 0 &&
               js_api_request(s, op);
    bool acked = s->js && op->subject.len > 8 && memcmp(op->subject.ptr, "$JS.ACK.", 8) == 0 &&
                 jsc_ack(s, op);
    if (s->js && op->subject.len > 7 && memcmp(op->subject.ptr, "$JS.FC.", 7) == 0)
        acked = jsc_flow_control(s, op);
    bool stored = js_capture(s, op) || api || acked;
    outmsg m = outmsg_of(op);
    m.once = acked;
    size_t delivered = route(s, c, &m);

    if (delivered == 0 && !stored && op->reply.len > 0 && c->no_responders && c->headers) {
        subscription *own = own_sub_for(c, op->reply.ptr, op->reply.len);
        if (own) {
            static const char hdr[] = "NATS/1.0 503\r\n\r\n";
            deliver(own, op->reply.ptr, op->reply.len, NULL, 0, hdr, sizeof hdr - 1, "", 0);
            own->delivered--; /* a status is not a delivered message */
        }
    }
}

/* ---------- CONNECT ---------- */

static bool json_flag(json_t *j, const char *key, bool dflt)
{
    json_t *v = json_object_get(j, key);
    if (!v)
        return dflt;
    return json_is_true(v);
}

static const char *json_str(json_t *j, const char *key)
{
    json_t *v = json_object_get(j, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static void handle_connect(client *c, const nats_op *op)
{
    json_error_t jerr;
    json_t *j = json_loadb(op->arg.ptr, op->arg.len, 0, &jerr);
    if (!j || !json_is_object(j)) {
        json_decref(j);
        fail(c, NULL, "malformed CONNECT");
        return;
    }
    c->verbose = json_flag(j, "verbose", false);
    c->pedantic = json_flag(j, "pedantic", false);
    c->echo = json_flag(j, "echo", true);
    c->headers = json_flag(j, "headers", false);
    c->no_responders = json_flag(j, "no_responders", false);
    json_t *proto = json_object_get(j, "protocol");
    if (json_is_integer(proto) && (json_integer_value(proto) < 0 || json_integer_value(proto) > 1)) {
        json_decref(j);
        fail(c, "invalid client protocol", "bad protocol");
        return;
    }
    if (c->no_responders && !c->headers) {
        json_decref(j);
        fail(c, "no responders requires headers support", "no_responders without headers");
        return;
    }
    free(c->name);
    free(c->lang);
    free(c->version);
    const char *v;
    c->name = (v = json_str(j, "name")) ? strdup(v) : NULL;
    c->lang = (v = json_str(j, "lang")) ? strdup(v) : NULL;
    c->version = (v = json_str(j, "version")) ? strdup(v) : NULL;

    if (auth_required(c->srv->opts)) {
        auth_connect ac = {
            .user = json_str(j, "user"),
            .pass = json_str(j, "pass"),
            .auth_token = json_str(j, "auth_token"),
            .nkey = json_str(j, "nkey"),
            .sig = json_str(j, "sig"),
        };
        const char *who = NULL;
        const weir_perms *perms = NULL;
        if (!auth_check_perms(c->srv->opts, &ac, c->sent_nonce ? c->nonce : NULL, &who,
                              &perms)) {
            json_decref(j);
            log_error("%s:%d - cid:%llu - authentication error", c->ip, c->port,
                      (unsigned long long)c->cid);
            fail(c, "Authorization Violation", "authorization violation");
            return;
        }
        /* as nats-server's RegisterUser: a new CONNECT replaces the permissions */
        perms_conn_free(c->perms);
        c->perms = perms ? perms_conn_new(perms) : NULL;
        c->auth_user = who;
        if (perms && !c->perms) {
            json_decref(j);
            client_close(c, "out of memory");
            return;
        }
    }
    json_decref(j);
    c->connected = true;
    loop_timer_stop(c->srv->loop, &c->auth_timer);
    send_ok(c);
}

/* ---------- input ---------- */

static void handle_parse_error(client *c, nats_parse_error err)
{
    const char *text = nats_parse_error_text(err);
    if (err == NATS_PERR_MAX_PAYLOAD)
        log_error("%s:%d - cid:%llu - maximum payload exceeded", c->ip, c->port,
                  (unsigned long long)c->cid);
    fail(c, text, text ? text : "protocol violation");
}

/* Processes every complete operation in the input buffer; returns bytes consumed. */
static size_t process_input(client *c)
{
    server *s = c->srv;
    nats_parse_limits lim = {
        .max_control_line = (size_t)s->opts->max_control_line,
        .max_payload = s->opts->max_payload,
    };
    size_t off = 0;
    while (off < c->in_len && !c->closed && !c->closing) {
        if (c->in_needed && c->in_len - off < c->in_needed)
            break;
        nats_op op;
        size_t used, needed;
        nats_parse_error err;
        nats_parse_status st = nats_parse(c->in + off, c->in_len - off, &lim, &op, &used,
                                          &needed, &err);
        if (st == NATS_PARSE_NEED_MORE) {
            c->in_needed = needed;
            break;
        }
        c->in_needed = 0;
        if (st == NATS_PARSE_ERROR) {
            if (!c->connected && auth_required(s->opts) && err == NATS_PERR_UNKNOWN_OP)
                fail(c, "Authorization Violation", "authorization violation");
            else
                handle_parse_error(c, err);
            break;
        }
        off += used;
        if (!c->connected && op.type != NATS_OP_CONNECT && auth_required(s->opts)) {
            fail(c, "Authorization Violation", "operation before CONNECT");
            break;
        }
        if (log_trace_enabled())
            log_trace("%s:%d - cid:%llu - <<- [%.*s]", c->ip, c->port, (unsigned long long)c->cid,
                      (int)(used > 200 ? 200 : used - 2), c->in + off - used);
        switch (op.type) {
        case NATS_OP_CONNECT:
            handle_connect(c, &op);
            break;
        case NATS_OP_PUB:
            handle_pub(c, &op);
            break;
        case NATS_OP_HPUB:
            if (!c->headers) {
                fail(c, NULL, "message headers not supported");
                break;
            }
            handle_pub(c, &op);
            break;
        case NATS_OP_SUB:
            handle_sub(c, &op);
            break;
        case NATS_OP_UNSUB:
            handle_unsub(c, &op);
            break;
        case NATS_OP_PING:
            send_raw(c, "PONG\r\n", 6);
            break;
        case NATS_OP_PONG:
            c->pings_out = 0;
            break;
        case NATS_OP_INFO:
        case NATS_OP_OK:
        case NATS_OP_ERR:
            break;
        }
    }
    return off;
}

static void read_input(client *c)
{
    for (int rounds = 0; rounds < 4 && !c->closed; rounds++) {
        if (c->in_len == c->in_cap) {
            size_t want = c->in_cap * 2;
            if (c->in_needed > want)
                want = c->in_needed;
            char *n = realloc(c->in, want);
            if (!n) {
                client_close(c, "out of memory");
                return;
            }
            c->in = n;
            c->in_cap = want;
        }
        ssize_t r = read(c->io.fd, c->in + c->in_len, c->in_cap - c->in_len);
        if (r == 0) {
            client_close(c, "Client Closed");
            return;
        }
        if (r < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                client_close(c, "Read Error");
            return;
        }
        bool filled = (size_t)r == c->in_cap - c->in_len;
        c->in_len += (size_t)r;
        c->last_in_ms = loop_now_ms(c->srv->loop);
        size_t used = process_input(c);
        if (c->closed || c->closing)
            return;
        if (used > 0) {
            memmove(c->in, c->in + used, c->in_len - used);
            c->in_len -= used;
        }
        /* grow to hold an operation that is larger than the buffer */
        if (c->in_needed > c->in_cap) {
            char *n = realloc(c->in, c->in_needed);
            if (!n) {
                client_close(c, "out of memory");
                return;
            }
            c->in = n;
            c->in_cap = c->in_needed;
        } else if (c->in_len == 0 && c->in_cap > CLIENT_READ_MAX) {
            /* give back the memory a large message needed */
            char *n = realloc(c->in, CLIENT_INBUF_START);
            if (n) {
                c->in = n;
                c->in_cap = CLIENT_INBUF_START;
            }
        } else if (filled && c->in_cap < CLIENT_READ_MAX && c->in_len * 2 >= c->in_cap) {
            char *n = realloc(c->in, c->in_cap * 2);
            if (n) {
                c->in = n;
                c->in_cap *= 2;
            }
        }
        if (!filled)
            return;
    }
}

/* ---------- timers ---------- */


static void ping_timer_fired(loop_timer *t)
{
    client *c = LOOP_CONTAINER(t, client, ping_timer);
    if (c->closed)
        return;
    int64_t interval = c->srv->opts->ping_interval_ms;
    int64_t now = loop_now_ms(c->srv->loop);
    if (c->pings_out == 0 && now - c->last_in_ms < interval && c->connected) {
        /* the client showed life recently: no need to ask */
    } else if (c->pings_out + 1 > c->srv->opts->ping_max) {
        fail(c, "Stale Connection", "stale connection");
        return;
    } else {
        c->pings_out++;
        send_raw(c, "PING\r\n", 6);
    }
    loop_timer_start(c->srv->loop, &c->ping_timer, interval);
}

static void auth_timer_fired(loop_timer *t)
{
    client *c = LOOP_CONTAINER(t, client, auth_timer);
    if (c->closed || c->connected)
        return;
    fail(c, "Authentication Timeout", "authentication timeout");
}

static void write_timer_fired(loop_timer *t)
{
    client *c = LOOP_CONTAINER(t, client, write_timer);
    if (c->closed || c->out.pending == 0)
        return;
    c->srv->stats.slow_consumers++;
    log_warn("%s:%d - cid:%llu - Slow Consumer Detected: WriteDeadline of %lldms Exceeded",
             c->ip, c->port, (unsigned long long)c->cid,
             (long long)c->srv->opts->write_deadline_ms);
    client_close(c, "Slow Consumer (Write Deadline)");
}

/* ---------- life cycle ---------- */

/* Writes what the socket takes; arms EPOLLOUT and the write deadline when bytes remain. */
static void flush_client(client *c)
{
    if (c->closed)
        return;
    if (c->out.pending > 0) {
        ssize_t w = outbuf_flush(&c->out, c->io.fd);
        if (w < 0) {
            client_close(c, "Write Error");
            return;
        }
    }
    server *s = c->srv;
    if (c->out.pending > 0) {
        loop_modify(s->loop, &c->io, EPOLLIN | EPOLLOUT);
        if (c->write_timer.heap_idx == SIZE_MAX && s->opts->write_deadline_ms > 0)
            loop_timer_start(s->loop, &c->write_timer, s->opts->write_deadline_ms);
        return;
    }
    loop_timer_stop(s->loop, &c->write_timer);
    loop_modify(s->loop, &c->io, c->closing ? 0 : EPOLLIN);
    if (c->closing)
        client_close(c, "closed after error");
}

static void client_io(loop_handler *h, uint32_t events)
{
    client *c = LOOP_CONTAINER(h, client, io);
    if (c->closed)
        return;
    if (events & EPOLLOUT)
        flush_client(c);
    if (c->closed)
        return;
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        if (c->closing) {
            /* after an error we only wait for our -ERR to drain */
            char sink[4096];
            ssize_t r = read(c->io.fd, sink, sizeof sink);
            if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
                client_close(c, "Client Closed");
            return;
        }
        read_input(c);
    }
}

static void client_close(client *c, const char *reason)
{
    if (c->closed)
        return;
    server *s = c->srv;
    c->closed = true;
    log_debug("%s:%d - cid:%llu - Client connection closed: %s", c->ip, c->port,
              (unsigned long long)c->cid, reason);
    /* best effort: whatever the socket takes now (an -ERR, typically) */
    if (c->out.pending > 0)
        outbuf_flush(&c->out, c->io.fd);
    loop_remove(s->loop, &c->io);
    loop_timer_stop(s->loop, &c->ping_timer);
    loop_timer_stop(s->loop, &c->auth_timer);
    loop_timer_stop(s->loop, &c->write_timer);
    shutdown(c->io.fd, SHUT_WR);
    /* read what the peer already sent so the kernel closes with FIN rather than RST, which
     * would discard the -ERR before the peer reads it */
    char sink[4096];
    for (int i = 0; i < 16 && read(c->io.fd, sink, sizeof sink) > 0; i++)
        ;
    close(c->io.fd);
    c->io.fd = -1;
    outbuf_reset(&c->out);
    /* unlink from the open list; freed at the end of the iteration */
    if (c->prev)
        c->prev->next = c->next;
    else
        s->clients = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
    s->nclients--;
    c->next_closed = s->closed;
    s->closed = c;
}

static void client_free(client *c)
{
    for (size_t i = 0; i < c->subs.cap; i++) {
        subscription *sub = c->subs.slots[i].key ? c->subs.slots[i].value : NULL;
        if (sub) {
            c->srv->sub_gen++;
            sublist_remove(c->srv->sublist, sub->subject, sub->subject_len, sub->queue,
                           sub->queue_len, sub);
            sub_free(sub);
        }
    }
    strmap_free(&c->subs);
    perms_conn_free(c->perms);
    free(c->in);
    free(c->name);
    free(c->lang);
    free(c->version);
    free(c);
}

void client_accept(server *s, int fd, const char *ip, int port)
{
    client *c = calloc(1, sizeof *c);
    char *in = malloc(CLIENT_INBUF_START);
    if (!c || !in) {
        free(c);
        free(in);
        close(fd);
        return;
    }
    c->srv = s;
    c->cid = ++s->next_cid;
    snprintf(c->ip, sizeof c->ip, "%s", ip);
    c->port = port;
    c->in = in;
    c->in_cap = CLIENT_INBUF_START;
    c->echo = true;
    outbuf_init(&c->out);
    strmap_init(&c->subs);
    c->io.fd = fd;
    c->io.fn = client_io;
    loop_timer_init(&c->ping_timer, ping_timer_fired);
    loop_timer_init(&c->auth_timer, auth_timer_fired);
    loop_timer_init(&c->write_timer, write_timer_fired);
    c->last_in_ms = loop_now_ms(s->loop);
    c->start_ms = c->last_in_ms;
    if (loop_add(s->loop, &c->io, EPOLLIN) < 0) {
        close(fd);
        free(in);
        free(c);
        return;
    }
    c->next = s->clients;
    if (s->clients)
        s->clients->prev = c;
    s->clients = c;
    s->nclients++;
    s->stats.total_connections++;
    log_debug("%s:%d - cid:%llu - Client connection created", ip, port, (unsigned long long)c->cid);

    send_info(c);
    if ((int)s->nclients > s->opts->max_connections) {
        fail(c, "maximum connections exceeded", "maximum connections exceeded");
        return;
    }
    if (auth_required(s->opts))
        loop_timer_start(s->loop, &c->auth_timer, s->opts->auth_timeout_ms);
    if (s->opts->ping_interval_ms > 0)
        loop_timer_start(s->loop, &c->ping_timer, s->opts->ping_interval_ms);
}

void client_flush_all(server *s)
{
    while (s->dirty) {
        client *c = s->dirty;
        s->dirty = c->next_dirty;
        c->next_dirty = NULL;
        c->is_dirty = false;
        flush_client(c);
    }
    while (s->closed) {
        client *c = s->closed;
        s->closed = c->next_closed;
        client_free(c);
    }
}

void client_close_all(server *s)
{
    while (s->clients)
        client_close(s->clients, "Server Shutdown");
    s->dirty = NULL;
    client_flush_all(s);
}

json_t *client_connz_entry(const client *c, int64_t now_ms)
{
    json_t *j = json_object();
    json_object_set_new(j, "cid", json_integer((json_int_t)c->cid));
    json_object_set_new(j, "kind", json_string("Client"));
    json_object_set_new(j, "type", json_string("nats"));
    json_object_set_new(j, "ip", json_string(c->ip));
    json_object_set_new(j, "port", json_integer(c->port));
    json_object_set_new(j, "uptime_ms", json_integer(now_ms - c->start_ms));
    json_object_set_new(j, "idle_ms", json_integer(now_ms - c->last_in_ms));
    json_object_set_new(j, "pending_bytes", json_integer((json_int_t)c->out.pending));
    json_object_set_new(j, "in_msgs", json_integer((json_int_t)c->in_msgs));
    json_object_set_new(j, "out_msgs", json_integer((json_int_t)c->out_msgs));
    json_object_set_new(j, "in_bytes", json_integer((json_int_t)c->in_bytes));
    json_object_set_new(j, "out_bytes", json_integer((json_int_t)c->out_bytes));
    json_object_set_new(j, "subscriptions", json_integer((json_int_t)c->subs.count));
    if (c->name)
        json_object_set_new(j, "name", json_string(c->name));
    if (c->lang)
        json_object_set_new(j, "lang", json_string(c->lang));
    if (c->version)
        json_object_set_new(j, "version", json_string(c->version));
    return j;
}

const client *client_first(const server *s)
{
    return s->clients;
}

const client *client_next(const client *c)
{
    return c->next;
}

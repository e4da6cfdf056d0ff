/*
 * jetstream.c — stream capture of published messages, acks after group commit, and the
 * store's timers (see jetstream.h).
 *
 * Routing: a sublist separate from the clients' maps each stream's subject filters to the
 * stream, so finding the stream for a published subject is one cached match.
 */
#include "jetstream.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "jsconsumer.h"
#include "log.h"
#include "proto/gotime.h"
#include "proto/nats_header.h"
#include "proto/numfmt.h"
#include "stream/seal.h"
#include "stream/stream.h"

typedef struct js_ack {
    char *reply;
    char *stream;
    uint64_t seq;
    bool duplicate;
    jserr *err; /* NULL when the append succeeded (a jserr is 0.5 KB: only failures carry one) */
} js_ack;

struct jetstream {
    sublist *routes;
    js_ack *acks;
    size_t nacks, acks_cap;
    loop_timer sync_timer;
    loop_timer expire_timer;
    loop_timer feed_timer; /* wakes the loop while mirrors or sources have more to copy */
    server *srv;
};


static int64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void js_streams_changed(server *s)
{
    struct jetstream *js = s->js;
    sublist_free(js->routes);
    js->routes = sublist_new();
    for (size_t i = 0; i < store_stream_count(s->store); i++) {
        stream *st = store_stream_at(s->store, i);
        const stream_config *c = stream_get_config(st);
        for (size_t j = 0; j < c->nsubjects; j++)
            sublist_insert(js->routes, c->subjects[j], strlen(c->subjects[j]), NULL, 0, st);
    }
}

static void schedule_expiry(struct jetstream *js)
{
    int64_t next = store_expire(js->srv->store, wall_ns());
    int64_t delay = 1000;
    if (next != INT64_MAX) {
        int64_t ms = (next - wall_ns()) / 1000000 + 1;
        if (ms < delay)
            delay = ms < 1 ? 1 : ms;
    }
    loop_timer_start(js->srv->loop, &js->expire_timer, delay);
}

static void expire_fired(loop_timer *t)
{
    schedule_expiry(LOOP_CONTAINER(t, struct jetstream, expire_timer));
}

/* Messages a commit copies into mirrors and sourcing streams at most: one catching up on a
 * large origin does so over several loop iterations, between which the other clients are
 * served. */
#define FEED_BURST 1024

static void feed_stored(void *arg, stream *st, const stream_stored *m);

static void feed_fired(loop_timer *t)
{
    (void)t; /* the loop iteration it ends in commits, and js_commit copies on */
}

static void sync_fired(loop_timer *t)
{
    struct jetstream *js = LOOP_CONTAINER(t, struct jetstream, sync_timer);
    if (store_sync(js->srv->store) < 0)
        log_error("JetStream: fsync of the store failed");
    loop_timer_start(js->srv->loop, &js->sync_timer, js->srv->opts->sync_interval_ms);
}

int js_start(server *s)
{
    weir_options *o = s->opts;
    /* encryption at rest: the configuration's key, else the environment's (never logged) */
    const char *key = o->js_key, *key_source = "jetstream.key";
    if (!key) {
        key = seal_secret_from_env();
        key_source = "$" SEAL_ENV_VAR;
    }
    char err[512];
    store_options so = {
        .dir = o->store_dir,
        .sync_interval_ms = o->sync_interval_ms,
        .sync_always = o->sync_always,
        .key = key,
    };
    s->store = store_open(&so, err, sizeof err);
    if (!s->store) {
        log_fatal("Can't start JetStream: %s", err);
        return -1;
    }
    struct jetstream *js = calloc(1, sizeof *js);
    if (!js) {
        log_fatal("out of memory");
        return -1;
    }
    js->srv = s;
    s->js = js;
    js_streams_changed(s);
    store_set_listener(s->store, jsc_stream_event, s);
    store_set_feed_hook(s->store, feed_stored, s);
    size_t nconsumers = jsc_load(s);
    loop_timer_init(&js->sync_timer, sync_fired);
    loop_timer_init(&js->expire_timer, expire_fired);
    loop_timer_init(&js->feed_timer, feed_fired);
    loop_timer_start(s->loop, &js->feed_timer, 0); /* what the origins got before a stop */
    if (!o->sync_always && o->sync_interval_ms > 0)
        loop_timer_start(s->loop, &js->sync_timer, o->sync_interval_ms);
    schedule_expiry(js);
    log_info("Starting JetStream");
    log_info("  Store Directory: \"%s\"", o->store_dir);
    log_info("  Sync:            %s", o->sync_always ? "always" : "interval");
    if (key) /* nats-server prints the cipher only when there is a key */
        log_info("  Encryption:      XChaCha20-Poly1305 (key from %s)", key_source);
    log_info("  Streams:         %zu", store_stream_count(s->store));
    log_info("  Consumers:       %zu", nconsumers);
    return 0;
}

static void queue_ack(struct jetstream *js, const nats_op *op, stream *st, const stream_ack *ack,
                      const jserr *err)
{
    if (op->reply.len == 0)
        return;
    if (js->nacks == js->acks_cap) {
        size_t cap = js->acks_cap ? js->acks_cap * 2 : 256;
        js_ack *n = realloc(js->acks, cap * sizeof *n);
        if (!n)
            return;
        js->acks = n;
        js->acks_cap = cap;
    }
    js_ack *a = &js->acks[js->nacks];
    a->reply = strndup(op->reply.ptr, op->reply.len);
    a->stream = strdup(stream_name(st));
    if (!a->reply || !a->stream) {
        free(a->reply);
        free(a->stream);
        return;
    }
    a->seq = ack->seq;
    a->duplicate = ack->duplicate;
    a->err = NULL;
    if (err->code) {
        a->err = malloc(sizeof *a->err);
        if (!a->err) {
            free(a->reply);
            free(a->stream);
            return;
        }
        *a->err = *err;
    }
    js->nacks++;
}

/* A stored message republished as nats-server does: its headers plus Nats-Stream,
 * Nats-Subject, Nats-Sequence, Nats-Time-Stamp and Nats-Last-Sequence (the subject's previous
 * message), and with headers_only Nats-Msg-Size instead of the body. */
static void republish(server *s, stream *st, const stream_stored *m, const char *dest,
                      size_t dest_len)
{
    bool headers_only = stream_republish_headers_only(st);
    /* the fixed words, five numbers and a timestamp fit in 256 bytes besides the two names */
    size_t cap = m->subject_len + strlen(stream_name(st)) + 256;
    char *lines = malloc(cap), ts_text[GOTIME_RFC3339_MAX];
    if (!lines)
        return;
    int n = snprintf(lines, cap,
                     "Nats-Stream: %s\r\nNats-Subject: %.*s\r\nNats-Sequence: %" PRIu64
                     "\r\nNats-Time-Stamp: %s\r\nNats-Last-Sequence: %" PRIu64 "\r\n",
                     stream_name(st), (int)m->subject_len, m->subject, m->seq,
                     gotime_format_rfc3339nano(m->ts_ns, ts_text), m->last_on_subject);
    if (headers_only)
        n += snprintf(lines + n, cap - (size_t)n, "Nats-Msg-Size: %zu\r\n", m->data_len);
    size_t len;
    char *h = nats_header_extend(m->hdr, m->hdr_len, lines, (size_t)n, &len);
    free(lines);
    if (!h)
        return;
    client_deliver_internal(s, dest, dest_len, dest, dest_len, NULL, 0, h, len,
                            headers_only ? NULL : m->data, headers_only ? 0 : m->data_len);
    free(h);
}

/* A message a mirror or a source stored: republished when its stream says so. */
static void feed_stored(void *arg, stream *st, const stream_stored *m)
{
    char dest[1024];
    long dest_len = stream_republish_subject(st, m->subject, m->subject_len, dest, sizeof dest);
    if (dest_len > 0)
        republish(arg, st, m, dest, (size_t)dest_len);
}

bool js_capture(server *s, const nats_op *op)
{
    struct jetstream *js = s->js;
    if (!js)
        return false;
    const sublist_result *r = sublist_match(js->routes, op->subject.ptr, op->subject.len);
    if (r->npsubs == 0)
        return false;
    stream *st = r->psubs[0];
    /* the stream's input transform first: everything after sees the stored subject */
    char stored[1024];
    nats_op in;
    long stored_len = stream_input_subject(st, op->subject.ptr, op->subject.len, stored,
                                           sizeof stored);
    if (stored_len > 0) {
        in = *op;
        in.subject.ptr = stored;
        in.subject.len = (size_t)stored_len;
        op = &in;
    }
    stream_ack ack;
    jserr err;
    jserr_clear(&err);
    const char *hdr = op->hdr_len ? op->payload.ptr : NULL;
    char dest[1024];
    long dest_len = stream_republish_subject(st, op->subject.ptr, op->subject.len, dest,
                                             sizeof dest);
    uint64_t last_on_subject =
        dest_len > 0 ? stream_subject_last_seq(st, op->subject.ptr, op->subject.len) : 0;
    int64_t now = wall_ns();
    if (stream_append(st, op->subject.ptr, op->subject.len, hdr, op->hdr_len,
                      op->payload.ptr + op->hdr_len, op->payload.len - op->hdr_len, now, &ack,
                      &err) == 0) {
        if (!ack.duplicate)
            jsc_appended(s, st, ack.seq, op->subject.ptr, op->subject.len);
        if (!ack.duplicate && dest_len > 0) {
            stream_stored m = {op->subject.ptr, op->subject.len, hdr, op->hdr_len,
                               op->payload.ptr + op->hdr_len, op->payload.len - op->hdr_len,
                               ack.seq, now, last_on_subject};
            republish(s, st, &m, dest, (size_t)dest_len);
        }
    } else if (op->reply.len == 0) {
        log_debug("JetStream: message on %.*s not stored: %s", (int)op->subject.len,
                  op->subject.ptr, err.description);
    }
    queue_ack(js, op, st, &ack, &err);
    return true;
}

/* {"stream":"X","seq":N[,"duplicate":true]} or {"error":{...},"stream":"X","seq":0} */
static bool plain_name(const char *n)
{
    for (; *n; n++)
        if (!((*n >= 'a' && *n <= 'z') || (*n >= 'A' && *n <= 'Z') || (*n >= '0' && *n <= '9') ||
              *n == '_' || *n == '-'))
            return false;
    return true;
}

/* err: the append's error, NULL when it succeeded */
static char *ack_json(const js_ack *a, const jserr *err, const char *domain)
{
    if (!err && !domain && plain_name(a->stream)) {
        /* the common case, by hand: nothing to escape, and jansson's tree costs more than the
         * rest of the acknowledgement */
        size_t nl = strlen(a->stream);
        char *text = malloc(nl + 64);
        if (!text)
            return NULL;
        char *w = text;
        memcpy(w, "{\"stream\":\"", 11);
        w += 11;
        memcpy(w, a->stream, nl);
        w += nl;
        memcpy(w, "\",\"seq\":", 8);
        w += 8;
        w += numfmt_u64(w, a->seq);
        if (a->duplicate) {
            memcpy(w, ",\"duplicate\":true", 17);
            w += 17;
        }
        *w++ = '}';
        *w = '\0';
        return text;
    }
    json_t *j = json_object();
    if (err) {
        json_t *e = json_object();
        json_object_set_new(e, "code", json_integer(err->code));
        json_object_set_new(e, "err_code", json_integer(err->err_code));
        json_object_set_new(e, "description", json_string(err->description));
        json_object_set_new(j, "error", e);
    }
    json_object_set_new(j, "stream", json_string(a->stream));
    json_object_set_new(j, "seq", json_integer(err ? 0 : (json_int_t)a->seq));
    if (domain && !err)
        json_object_set_new(j, "domain", json_string(domain));
    if (a->duplicate && !err)
        json_object_set_new(j, "duplicate", json_true());
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return text;
}

void js_commit(server *s)
{
    struct jetstream *js = s->js;
    if (!js)
        return;
    char err[512] = "";
    bool ok = true;
    jsc_before_commit(s); /* durable consumers' changed state joins the batch */
    if (store_has_pending(s->store) && store_commit(s->store, err, sizeof err) < 0) {
        ok = false;
        log_error("JetStream: store write failed: %s", err);
    }
    for (size_t i = 0; i < js->nacks; i++) {
        js_ack *a = &js->acks[i];
        jserr failed;
        const jserr *e = a->err;
        if (!ok && !e) {
            jserr_set(&failed, JSERR_STREAM_STORE_FAILED, "err", err, NULL);
            e = &failed;
        }
        char *text = ack_json(a, e, s->opts->js_domain);
        if (text) {
            client_publish_internal(s, a->reply, strlen(a->reply), NULL, 0, text, strlen(text));
            free(text);
        }
        free(a->reply);
        free(a->stream);
        free(a->err);
    }
    js->nacks = 0;
    /* mirrors and sourcing streams copy what their origins have committed, in a write of their
     * own */
    if (ok && store_sync_feeds(s->store, wall_ns(), FEED_BURST))
        loop_timer_start(s->loop, &js->feed_timer, 0);
    if (ok && store_has_pending(s->store) && store_commit(s->store, err, sizeof err) < 0) {
        ok = false;
        log_error("JetStream: store write failed: %s", err);
    }
    /* the new messages are durable: waiting pull requests may have them */
    jsc_after_commit(s, ok);
}

void js_stop(server *s)
{
    struct jetstream *js = s->js;
    if (js) {
        js_commit(s);
        js_commit(s); /* what the last deliveries changed in durable consumers */
        jsc_free(s);
        loop_timer_stop(s->loop, &js->sync_timer);
        loop_timer_stop(s->loop, &js->expire_timer);
        loop_timer_stop(s->loop, &js->feed_timer);
        sublist_free(js->routes);
        free(js->acks);
        free(js);
        s->js = NULL;
    }
    store_close(s->store);
    s->store = NULL;
}

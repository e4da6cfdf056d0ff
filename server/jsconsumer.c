/*
 * jsconsumer.c — consumers inside the server (see jsconsumer.h): the registry (by stream, for
 * the stream's events), what every delivery shares (ack subjects, sizes, headers_only), acks
 * and flow control answers, interest and workqueue retention, persistence of durable state
 * with the group commit, and the 50 ms tick (ack_wait redelivery, request expiry, heartbeats,
 * idle consumers). Pull requests are in jspull.c, push delivery in jspush.c.
 */
#include "jsconsumer.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "jsconsumer_internal.h"
#include "log.h"
#include "proto/nats_header.h"
#include "proto/numfmt.h"
#include "proto/duration.h"
#include "stream/consumer_store.h"
#include "stream/stream.h"

#define TICK_MS 50

int64_t jsc_wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void tick_fired(loop_timer *t);
static void due_fired(loop_timer *t);

static void soon_fired(loop_timer *t)
{
    (void)t; /* the loop iteration it causes serves the entries marked `more` */
}

static struct jsconsumers *reg(server *s, bool create)
{
    if (!s->jsc && create) {
        s->jsc = calloc(1, sizeof *s->jsc);
        if (s->jsc) {
            s->jsc->srv = s;
            strmap_init(&s->jsc->groups);
            loop_timer_init(&s->jsc->tick, tick_fired);
            loop_timer_init(&s->jsc->soon, soon_fired);
            loop_timer_start(s->loop, &s->jsc->tick, TICK_MS);
        }
    }
    return s->jsc;
}

static stream_group *group_of(struct jsconsumers *r, const char *sname)
{
    return r ? strmap_get(&r->groups, sname, strlen(sname)) : NULL;
}

static entry *find_entry(server *s, const char *sname, const char *name)
{
    stream_group *g = group_of(reg(s, false), sname);
    for (size_t i = 0; g && i < g->n; i++)
        if (!strcmp(consumer_name(g->v[i]->c), name))
            return g->v[i];
    return NULL;
}

consumer *jsc_find(server *s, const char *stream_name, const char *name)
{
    entry *e = find_entry(s, stream_name, name);
    return e ? e->c : NULL;
}

static bool grow(void *vp, size_t n, size_t *cap, size_t size)
{
    void **v = vp;
    if (n < *cap)
        return true;
    size_t ncap = *cap ? *cap * 2 : 8;
    void *nv = realloc(*v, ncap * size);
    if (!nv)
        return false;
    *v = nv;
    *cap = ncap;
    return true;
}

static void consumer_done_with(void *arg, consumer *c, uint64_t sseq);

int jsc_add(server *s, const char *stream_name, consumer *c)
{
    struct jsconsumers *r = reg(s, true);
    entry *e = r ? calloc(1, sizeof *e) : NULL;
    stream_group *g = e ? group_of(r, stream_name) : NULL;
    if (e && !g && (g = calloc(1, sizeof *g)) != NULL &&
        strmap_put(&r->groups, stream_name, strlen(stream_name), g) < 0) {
        free(g);
        g = NULL;
    }
    if (e)
        e->stream = strdup(stream_name);
    if (!e || !g || !e->stream || !grow(&r->v, r->n, &r->cap, sizeof *r->v) ||
        !grow(&g->v, g->n, &g->cap, sizeof *g->v)) {
        if (e)
            free(e->stream);
        free(e);
        consumer_free(c);
        return -1;
    }
    e->c = c;
    e->r = r;
    e->stored = !consumer_get_config(c)->mem_storage;
    e->last_request_ms = loop_now_ms(s->loop);
    e->kick = true;
    consumer_set_ack_hook(c, consumer_done_with, e);
    loop_timer_init(&e->due, due_fired);
    jsc_push_init(s, e);
    r->v[r->n++] = e;
    g->v[g->n++] = e;
    return 0;
}

void jsc_status(server *s, const char *reply, const char *hdr)
{
    client_publish_internal(s, reply, strlen(reply), hdr, strlen(hdr), NULL, 0);
}

/* Removes entry i; forget: its stored record goes too (in the pending batch). */
static void remove_at(server *s, size_t i, const char *status, bool forget)
{
    struct jsconsumers *r = s->jsc;
    entry *e = r->v[i];
    if (forget && e->stored)
        store_consumer_delete(s->store, e->stream, consumer_name(e->c));
    jsc_pull_free_waiters(s, e, status);
    jsc_push_stop(s, e);
    if (e->due_armed)
        loop_timer_stop(s->loop, &e->due);
    stream_group *g = group_of(r, e->stream);
    for (size_t k = 0; g && k < g->n; k++)
        if (g->v[k] == e) {
            memmove(&g->v[k], &g->v[k + 1], (g->n - k - 1) * sizeof *g->v);
            g->n--;
            break;
        }
    if (g && g->n == 0) {
        strmap_remove(&r->groups, e->stream, strlen(e->stream));
        free(g->v);
        free(g);
    }
    consumer_free(e->c);
    free(e->cfg_json);
    free(e->stream);
    free(e);
    memmove(&r->v[i], &r->v[i + 1], (r->n - i - 1) * sizeof *r->v);
    r->n--;
}

static size_t index_of(struct jsconsumers *r, const entry *e)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->v[i] == e)
            return i;
    return r->n;
}

static void interest_consumer_gone(server *s, const char *stream_name);

void jsc_delete(server *s, const char *stream_name, const char *name)
{
    entry *e = find_entry(s, stream_name, name);
    if (!e)
        return;
    remove_at(s, index_of(s->jsc, e), "NATS/1.0 409 Consumer Deleted\r\n\r\n", true);
    interest_consumer_gone(s, stream_name);
}

void jsc_stream_deleted(server *s, const char *stream_name)
{
    struct jsconsumers *r = reg(s, false);
    stream_group *g;
    while ((g = group_of(r, stream_name)) != NULL)
        remove_at(s, index_of(r, g->v[g->n - 1]), "NATS/1.0 409 Consumer Deleted\r\n\r\n", true);
}

void jsc_stream_purged(server *s, const char *stream_name)
{
    stream_group *g = group_of(reg(s, false), stream_name);
    stream *st = store_stream_find(s->store, stream_name);
    for (size_t i = 0; g && st && i < g->n; i++)
        if (consumer_stream_purged(g->v[i]->c, st))
            g->v[i]->dirty = g->v[i]->stored;
}

size_t jsc_count(server *s, const char *stream_name)
{
    struct jsconsumers *r = reg(s, false);
    if (!stream_name)
        return r ? r->n : 0;
    stream_group *g = group_of(r, stream_name);
    return g ? g->n : 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(consumer_name(*(consumer *const *)a), consumer_name(*(consumer *const *)b));
}

size_t jsc_collect(server *s, const char *stream_name, consumer **out, size_t cap)
{
    stream_group *g = group_of(reg(s, false), stream_name);
    size_t n = g ? g->n : 0;
    if (!n)
        return 0;
    consumer **all = malloc(n * sizeof *all);
    if (!all)
        return 0;
    for (size_t i = 0; i < n; i++)
        all[i] = g->v[i]->c;
    qsort(all, n, sizeof *all, by_name);
    memcpy(out, all, (n < cap ? n : cap) * sizeof *out);
    free(all);
    return n;
}

size_t jsc_num_waiting(server *s, const char *stream_name, const char *name)
{
    entry *e = find_entry(s, stream_name, name);
    return e ? e->nwait : 0;
}

bool jsc_push_bound(server *s, const char *stream_name, const char *name)
{
    entry *e = find_entry(s, stream_name, name);
    if (!e || !consumer_config_is_push(consumer_get_config(e->c)))
        return false;
    if (e->sub_gen == s->sub_gen)
        return e->active;
    /* subscriptions changed since the flag was last set, and the consumer may not have been
     * served since (a subscriber of its deliver subject may have come in this very loop
     * iteration): ask the sublist, as nats-server's interest is known at once. Clients decide
     * from this whether they may attach to a durable (nats.c's concurrent js_Subscribe). */
    const consumer_config *cfg = consumer_get_config(e->c);
    size_t backlog;
    return client_subject_interest(s, cfg->deliver_subject, strlen(cfg->deliver_subject),
                                   cfg->deliver_group, &backlog);
}

void jsc_changed(server *s, const char *stream_name, const char *name)
{
    entry *e = find_entry(s, stream_name, name);
    if (!e)
        return;
    free(e->cfg_json); /* the config changed: its text is made again at the next save */
    e->cfg_json = NULL;
    e->dirty = e->stored;
    e->kick = true;
    e->sub_gen = s->sub_gen - 1; /* the deliver subject may be another one now */
    e->active = false;
}

/* ---------------- stream events ---------------- */

void jsc_stream_event(void *arg, stream *st, stream_event ev, uint64_t seq, const char *subject,
                      size_t subject_len)
{
    server *s = arg;
    stream_group *g = group_of(reg(s, false), stream_name(st));
    for (size_t i = 0; g && i < g->n; i++) {
        consumer_on_stream_event(g->v[i]->c, ev, seq, subject, subject_len);
        if (ev == STREAM_EV_APPEND)
            g->v[i]->kick = true;
    }
}

/* ---------------- what deliveries share ---------------- */

size_t jsc_ack_subject(const entry *e, const consumer_delivery *d, char *ack, size_t cap)
{
    /* by hand: this runs for every delivery and snprintf cost more than the rest of it */
    const char *name = consumer_name(e->c);
    size_t sl = strlen(e->stream), nl = strlen(name);
    if (cap < 8 + sl + 1 + nl + 5 * (NUMFMT_MAX + 1) + 1)
        return 0;
    char *w = ack;
    memcpy(w, "$JS.ACK.", 8);
    w += 8;
    memcpy(w, e->stream, sl);
    w += sl;
    *w++ = '.';
    memcpy(w, name, nl);
    w += nl;
    const uint64_t parts[5] = {d->delivery_count, d->msg.seq, d->consumer_seq,
                               (uint64_t)d->msg.ts_ns, d->pending};
    for (int i = 0; i < 5; i++) {
        *w++ = '.';
        w += i == 3 ? numfmt_i64(w, d->msg.ts_ns) : numfmt_u64(w, parts[i]);
    }
    *w = '\0';
    return (size_t)(w - ack);
}

/* headers_only: the message's headers plus Nats-Msg-Size, as nats-server's
 * convertToHeadersOnly writes them; the line into out, its length returned. */
static size_t msg_size_line(const stream_msg *m, char out[64])
{
    int n = snprintf(out, 64, "Nats-Msg-Size: %zu\r\n", m->data_len);
    return n > 0 ? (size_t)n : 0;
}

static bool is_headers_only(const entry *e)
{
    return consumer_get_config(e->c)->headers_only;
}

int64_t jsc_delivery_size(const entry *e, const consumer_delivery *d)
{
    char ack[JSC_ACK_MAX];
    size_t hdr = d->msg.hdr ? d->msg.hdr_len : 0, data = d->msg.data_len;
    if (is_headers_only(e)) {
        char line[64];
        hdr = nats_header_extended_len(hdr, msg_size_line(&d->msg, line));
        data = 0;
    }
    return (int64_t)(d->msg.subject_len + jsc_ack_subject(e, d, ack, sizeof ack) + hdr + data);
}

int64_t jsc_send(server *s, entry *e, const char *to, const consumer_delivery *d)
{
    char ack[JSC_ACK_MAX];
    size_t n = jsc_ack_subject(e, d, ack, sizeof ack);
    const char *hdr = d->msg.hdr;
    size_t hdr_len = hdr ? d->msg.hdr_len : 0, data_len = d->msg.data_len;
    char *ho = NULL;
    char line[64];
    if (is_headers_only(e) &&
        (ho = nats_header_extend(hdr, hdr_len, line, msg_size_line(&d->msg, line), &hdr_len))) {
        hdr = ho;
        data_len = 0;
    }
    client_deliver_internal(s, to, strlen(to), d->msg.subject, d->msg.subject_len, ack, n, hdr,
                            hdr_len, d->msg.data, data_len);
    free(ho);
    return (int64_t)(d->msg.subject_len + n + hdr_len + data_len);
}

void jsc_soon(entry *e)
{
    e->more = true;
    loop_timer_start(e->r->srv->loop, &e->r->soon, 0);
}

static void serve(server *s, entry *e)
{
    e->kick = false;
    e->more = false;
    if (consumer_config_is_push(consumer_get_config(e->c)))
        jsc_push_serve(s, e);
    else if (e->head && jsc_pull_serve(s, e))
        jsc_soon(e);
}

/* ---------------- retention ---------------- */

/* Interest and workqueue streams: a message goes once no consumer wants it any more. */
static void drop_if_unwanted(server *s, stream *st, uint64_t sseq, const consumer *acker)
{
    stream_group *g = group_of(reg(s, false), stream_name(st));
    if (!g || (g->n == 1 && g->v[0]->c == acker)) {
        stream_retire_msg(st, sseq); /* nobody else to ask (a workqueue's usual case) */
        return;
    }
    stream_msg m;
    jserr e;
    if (stream_get(st, sseq, &m, &e) < 0)
        return;
    bool wanted = false;
    for (size_t i = 0; g && i < g->n && !wanted; i++)
        wanted = g->v[i]->c != acker && consumer_wants(g->v[i]->c, sseq, m.subject,
                                                       m.subject_len);
    stream_msg_free(&m);
    if (!wanted)
        stream_retire_msg(st, sseq);
}

static void consumer_done_with(void *arg, consumer *c, uint64_t sseq)
{
    entry *e = arg;
    server *s = e->r->srv;
    stream *st = store_stream_find(s->store, e->stream);
    if (st && stream_get_config(st)->retention != STREAM_RETENTION_LIMITS)
        drop_if_unwanted(s, st, sseq, c);
}

void jsc_appended(server *s, stream *st, uint64_t seq, const char *subject, size_t len)
{
    if (stream_get_config(st)->retention != STREAM_RETENTION_INTEREST)
        return;
    stream_group *g = group_of(reg(s, false), stream_name(st));
    for (size_t i = 0; g && i < g->n; i++)
        if (consumer_wants(g->v[i]->c, seq, subject, len))
            return;
    stream_retire_msg(st, seq); /* nobody is interested: not kept */
}

/* After a consumer of an interest stream went: what only it still wanted goes too. */
static void interest_consumer_gone(server *s, const char *stream_name)
{
    stream *st = store_stream_find(s->store, stream_name);
    if (!st || stream_get_config(st)->retention != STREAM_RETENTION_INTEREST)
        return;
    stream_state ss;
    stream_get_state(st, &ss);
    stream_group *g = group_of(reg(s, false), stream_name);
    jserr e;
    stream_msg m;
    for (uint64_t seq = ss.first_seq; ss.msgs && stream_get_next(st, seq, NULL, &m, &e) == 0;) {
        bool wanted = false;
        for (size_t i = 0; g && i < g->n && !wanted; i++)
            wanted = consumer_wants(g->v[i]->c, m.seq, m.subject, m.subject_len);
        seq = m.seq + 1;
        uint64_t at = m.seq;
        stream_msg_free(&m);
        if (!wanted)
            stream_retire_msg(st, at);
    }
}

/* ---------------- persistence and the commit ---------------- */

/* A consumer's record: the config's length (4 bytes, big-endian), the config as JSON (kept
 * in the entry between changes), then the state (consumer_state_encode). */
static int save(server *s, entry *e)
{
    if (!e->cfg_json) {
        json_t *j = consumer_config_to_json(consumer_get_config(e->c));
        e->cfg_json = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        if (!e->cfg_json)
            return -1;
        e->cfg_len = strlen(e->cfg_json);
    }
    size_t n = 4 + e->cfg_len + consumer_state_size(e->c);
    uint8_t *rec = malloc(n);
    if (!rec)
        return -1;
    for (int i = 0; i < 4; i++)
        rec[i] = (uint8_t)(e->cfg_len >> (24 - 8 * i));
    memcpy(rec + 4, e->cfg_json, e->cfg_len);
    consumer_state_encode(e->c, rec + 4 + e->cfg_len);
    int rc = store_consumer_put(s->store, e->stream, consumer_name(e->c), (const char *)rec, n);
    free(rec);
    if (rc == 0)
        e->dirty = false;
    return rc;
}

int jsc_save(server *s, const char *stream_name, const char *name)
{
    entry *e = find_entry(s, stream_name, name);
    return e && e->stored ? save(s, e) : 0;
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
    for (size_t i = 0; i < r->n; i++) {
        entry *e = r->v[i];
        if (e->kick || e->more || (e->sub_gen != s->sub_gen && !e->active &&
                                   consumer_config_is_push(consumer_get_config(e->c))))
            serve(s, e);
    }
}

static void queue_reply(struct jsconsumers *r, const char *reply, size_t len)
{
    if (!grow(&r->replies, r->nreplies, &r->replies_cap, sizeof *r->replies))
        return;
    char *copy = strndup(reply, len);
    if (copy)
        r->replies[r->nreplies++] = copy;
}

static void load_one(const char *stream_name, const char *name, const char *rec, size_t len,
                     void *arg)
{
    server *s = arg;
    stream *st = store_stream_find(s->store, stream_name);
    const uint8_t *b = (const uint8_t *)rec;
    size_t cfg_len = len >= 4 ? (size_t)b[0] << 24 | (size_t)b[1] << 16 | (size_t)b[2] << 8 | b[3]
                              : SIZE_MAX;
    json_t *j = cfg_len <= len - 4 ? json_loadb(rec + 4, cfg_len, 0, NULL) : NULL;
    consumer_config cfg;
    jserr e;
    consumer *c = NULL;
    if (st && j && consumer_config_from_json(j, &cfg, &e) == 0)
        c = consumer_restore(&cfg, b + 4 + cfg_len, len - 4 - cfg_len);
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

/* ---------------- the tick ---------------- */

static bool idle_expired(server *s, entry *e, int64_t now_ms)
{
    const consumer_config *cfg = consumer_get_config(e->c);
    if (cfg->inactive_threshold_ns <= 0)
        return false;
    if (consumer_config_is_push(cfg))
        return jsc_push_idle_expired(s, e, now_ms);
    return !e->head && (now_ms - e->last_request_ms) * 1000000LL >= cfg->inactive_threshold_ns;
}

static void due_fired(loop_timer *t)
{
    entry *e = LOOP_CONTAINER(t, entry, due);
    e->due_armed = false;
    if (consumer_check_ack_wait(e->c, jsc_wall_ns()) > 0) {
        e->dirty = e->stored;
        serve(e->r->srv, e);
    }
}

/* The tick looks every TICK_MS; a redelivery due before the next tick gets its own timer, so
 * backoff and ack_wait are kept to the millisecond rather than to the tick. */
static void arm_due(server *s, entry *e, int64_t now_ns)
{
    int64_t due = consumer_next_due(e->c);
    if (!due || e->due_armed || due - now_ns >= TICK_MS * 1000000LL)
        return;
    int64_t ms = (due - now_ns + 999999) / 1000000;
    e->due_armed = true;
    loop_timer_start(s->loop, &e->due, ms > 0 ? ms : 0);
}

static void tick_fired(loop_timer *t)
{
    struct jsconsumers *r = LOOP_CONTAINER(t, struct jsconsumers, tick);
    server *s = r->srv;
    int64_t now_ms = loop_now_ms(s->loop), now_ns = jsc_wall_ns();
    for (size_t i = 0; i < r->n;) {
        entry *e = r->v[i];
        if (consumer_check_ack_wait(e->c, now_ns) > 0) {
            e->dirty = e->stored;
            e->kick = true;
        }
        arm_due(s, e, now_ns);
        if (consumer_config_is_push(consumer_get_config(e->c))) {
            serve(s, e);
            jsc_push_tick(s, e, now_ms);
        } else {
            if (e->head)
                serve(s, e);
            jsc_pull_tick(s, e, now_ms);
        }
        if (idle_expired(s, e, now_ms)) {
            char *sname = strdup(e->stream);
            log_debug("JetStream: consumer %s > %s removed after inactivity", e->stream,
                      consumer_name(e->c));
            remove_at(s, i, NULL, true);
            if (sname)
                interest_consumer_gone(s, sname);
            free(sname);
            continue;
        }
        i++;
    }
    loop_timer_start(s->loop, &r->tick, TICK_MS);
}

/* ---------------- requests and acks ---------------- */

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

bool jsc_pull_request(server *s, const nats_op *op)
{
    /* $JS.API.CONSUMER.MSG.NEXT.<stream>.<consumer> */
    char sname[256], cname[256], extra[8];
    if (!token(op->subject.ptr, op->subject.len, 5, sname, sizeof sname) ||
        !token(op->subject.ptr, op->subject.len, 6, cname, sizeof cname) ||
        token(op->subject.ptr, op->subject.len, 7, extra, sizeof extra))
        return false;
    entry *e = find_entry(s, sname, cname);
    if (!e)
        return false;
    if (op->reply.len == 0)
        return true; /* nowhere to deliver */
    jsc_pull_request_on(s, e, op->reply.ptr, op->reply.len, op->payload.ptr + op->hdr_len,
                        op->payload.len - op->hdr_len);
    return true;
}

static bool starts(const char *p, size_t len, const char *word)
{
    size_t n = strlen(word);
    return len >= n && memcmp(p, word, n) == 0;
}

/* -NAK's delay: {"delay": ns} or a Go duration ("-NAK 1s"). */
static int64_t nak_delay(const char *p, size_t len)
{
    while (len && (*p == ' ' || *p == '\t')) {
        p++;
        len--;
    }
    if (!len)
        return 0;
    int64_t delay = 0;
    if (*p == '{') {
        json_t *j = json_loadb(p, len, 0, NULL);
        json_t *d = j ? json_object_get(j, "delay") : NULL;
        if (d && json_is_integer(d))
            delay = json_integer_value(d);
        json_decref(j);
        return delay;
    }
    char text[64];
    if (len >= sizeof text)
        return 0;
    memcpy(text, p, len);
    text[len] = '\0';
    return duration_parse_go(text, &delay) == 0 ? delay : 0;
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
    entry *e = find_entry(s, sname, cname);
    if (!e)
        return false;
    uint64_t sseq = strtoull(sseq_s, NULL, 10);
    const char *p = op->payload.ptr + op->hdr_len;
    size_t len = op->payload.len - op->hdr_len;
    int64_t now = jsc_wall_ns();
    bool next = false;
    e->dirty = e->stored;
    if (len == 0 || starts(p, len, "+ACK")) {
        consumer_ack(e->c, CONSUMER_ACK_OK, sseq, 0, now);
    } else if (starts(p, len, "+NXT")) {
        consumer_ack(e->c, CONSUMER_ACK_OK, sseq, 0, now);
        next = true;
    } else if (starts(p, len, "-NAK")) {
        consumer_ack(e->c, CONSUMER_ACK_NAK, sseq, nak_delay(p + 4, len - 4), now);
    } else if (starts(p, len, "+WPI")) {
        consumer_ack(e->c, CONSUMER_ACK_WPI, sseq, 0, now);
    } else if (starts(p, len, "+TERM")) {
        consumer_ack(e->c, CONSUMER_ACK_TERM, sseq, 0, now);
    } else {
        return true; /* unknown ack: taken and ignored, as nats-server does */
    }
    /* the entry may have gone meanwhile (retention removing a message does not remove
     * consumers, so e is still valid here) */
    if (next) {
        if (op->reply.len)
            jsc_pull_request_on(s, e, op->reply.ptr, op->reply.len, p + 4, len - 4);
    } else if (op->reply.len) {
        queue_reply(s->jsc, op->reply.ptr, op->reply.len); /* answered after the commit */
    }
    e->kick = true;
    return true;
}

bool jsc_flow_control(server *s, const nats_op *op)
{
    /* $JS.FC.<stream>.<consumer>.<id> */
    char sname[256], cname[256];
    if (!token(op->subject.ptr, op->subject.len, 2, sname, sizeof sname) ||
        !token(op->subject.ptr, op->subject.len, 3, cname, sizeof cname))
        return false;
    entry *e = find_entry(s, sname, cname);
    if (!e)
        return false;
    jsc_push_fc_answered(s, e, op->subject.ptr, op->subject.len);
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
    loop_timer_stop(s->loop, &r->soon);
    for (size_t i = 0; i < r->nreplies; i++)
        free(r->replies[i]);
    free(r->replies);
    free(r->v);
    strmap_free(&r->groups);
    free(r);
    s->jsc = NULL;
}

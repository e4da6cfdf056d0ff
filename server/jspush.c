/*
 * jspush.c — push consumers: deliveries go to the deliver subject (one member of the deliver
 * group) while someone subscribes to it, as fast as the receiving connection drains, paced by
 * replay original and rate_limit_bps, with nats-server's flow control (a window of pending
 * bytes that grows from 2 MiB to 32 MiB as the client answers `100 FlowControl Request`s on
 * `$JS.FC.<stream>.<consumer>.<id>`) and idle heartbeats (`100 Idle Heartbeat` with
 * Nats-Last-Consumer / Nats-Last-Stream, and Nats-Consumer-Stalled while a flow control
 * request waits for its answer).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "client.h"
#include "jsconsumer_internal.h"

static void wake_fired(loop_timer *t)
{
    entry *e = LOOP_CONTAINER(t, entry, wake);
    e->wake_armed = false;
    e->kick = true;
    jsc_push_serve(e->r->srv, e);
}

static const consumer_config *cfg_of(const entry *e)
{
    return consumer_get_config(e->c);
}

void jsc_push_init(server *s, entry *e)
{
    const consumer_config *cfg = cfg_of(e);
    loop_timer_init(&e->wake, wake_fired);
    if (!consumer_config_is_push(cfg))
        return;
    int64_t now_ms = loop_now_ms(s->loop);
    e->inactive_since_ms = now_ms;
    if (cfg->flow_control)
        e->maxpb = JSC_FC_LIMIT / 16;
    if (cfg->idle_heartbeat_ns)
        e->next_hb_ms = now_ms + cfg->idle_heartbeat_ns / 1000000;
    if (cfg->replay_policy == CONSUMER_REPLAY_ORIGINAL) {
        stream *st = store_stream_find(s->store, e->stream);
        stream_state ss;
        if (st) {
            stream_get_state(st, &ss);
            e->replay_end = ss.last_seq;
        }
    }
}

void jsc_push_stop(server *s, entry *e)
{
    if (e->wake_armed)
        loop_timer_stop(s->loop, &e->wake);
    e->wake_armed = false;
}

static bool interest(server *s, entry *e, size_t *backlog)
{
    const consumer_config *cfg = cfg_of(e);
    bool now = client_subject_interest(s, cfg->deliver_subject, strlen(cfg->deliver_subject),
                                       cfg->deliver_group, backlog);
    e->sub_gen = s->sub_gen;
    if (e->active && !now)
        e->inactive_since_ms = loop_now_ms(s->loop);
    e->active = now;
    return now;
}

typedef struct pace {
    server *s;
    entry *e;
    stream *st;
    int64_t now_ms;
    int64_t wait_ms; /* set when the delivery has to wait */
} pace;

/* Replay original (the recorded gaps between messages, until the consumer caught up with what
 * the stream held at its creation) and the rate limit (a token bucket of rate_limit_bps / 8
 * bytes per second holding at most one maximal message, like nats-server's limiter). */
static bool paced(const consumer_delivery *d, void *arg)
{
    pace *p = arg;
    entry *e = p->e;
    const consumer_config *cfg = cfg_of(e);
    if (cfg->replay_policy == CONSUMER_REPLAY_ORIGINAL && d->delivery_count == 1 &&
        d->msg.seq <= e->replay_end && e->replay_last_ts && d->msg.ts_ns > e->replay_last_ts) {
        int64_t due = e->replay_last_ms + (d->msg.ts_ns - e->replay_last_ts) / 1000000;
        if (due > p->now_ms) {
            p->wait_ms = due - p->now_ms;
            return false;
        }
    }
    if (cfg->rate_limit_bps) {
        double per_ms = (double)cfg->rate_limit_bps / 8.0 / 1000.0;
        int64_t mms = stream_get_config(p->st)->max_msg_size;
        double burst = (double)(mms > 0 ? mms : p->s->opts->max_payload);
        e->tokens += (double)(p->now_ms - e->tokens_ms) * per_ms;
        e->tokens_ms = p->now_ms;
        if (e->tokens > burst)
            e->tokens = burst;
        double need = (double)jsc_delivery_size(e, d);
        if (need > burst)
            need = burst;
        if (e->tokens < need) {
            p->wait_ms = (int64_t)((need - e->tokens) / per_ms) + 1;
            return false;
        }
    }
    return true;
}

static void send_flow_control(server *s, entry *e)
{
    static const char abc[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    unsigned char b[4];
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b)
        memset(b, 7, sizeof b);
    char id[5];
    for (size_t i = 0; i < 4; i++)
        id[i] = abc[b[i] % (sizeof abc - 1)];
    id[4] = '\0';
    snprintf(e->fc_reply, sizeof e->fc_reply, "$JS.FC.%s.%s.%s", e->stream,
             consumer_name(e->c), id);
    e->fcsz = e->pbytes;
    static const char hdr[] = "NATS/1.0 100 FlowControl Request\r\n\r\n";
    const char *to = cfg_of(e)->deliver_subject;
    client_publish_internal_reply(s, to, strlen(to), e->fc_reply, strlen(e->fc_reply), hdr,
                                  sizeof hdr - 1, NULL, 0);
}

/* nats-server's needFlowControl after a delivery of size bytes. */
static void account_flow(server *s, entry *e, int64_t size)
{
    if (!e->maxpb)
        return;
    e->pbytes += size;
    if (!e->fc_reply[0] && e->pbytes > e->maxpb / 2)
        send_flow_control(s, e);
    else if (e->fc_reply[0] && e->pbytes - e->fcsz >= e->maxpb)
        e->fcsz += size;
}

void jsc_push_fc_answered(server *s, entry *e, const char *subject, size_t len)
{
    if (!e->fc_reply[0] || strlen(e->fc_reply) != len || memcmp(e->fc_reply, subject, len))
        return; /* not the latest request */
    if (e->maxpb < JSC_FC_LIMIT)
        e->maxpb = e->maxpb * 2 < JSC_FC_LIMIT ? e->maxpb * 2 : JSC_FC_LIMIT;
    e->pbytes -= e->fcsz;
    if (e->pbytes < 0)
        e->pbytes = 0;
    e->fc_reply[0] = '\0';
    e->fcsz = 0;
    jsc_push_serve(s, e);
}

void jsc_push_serve(server *s, entry *e)
{
    const consumer_config *cfg = cfg_of(e);
    size_t backlog;
    e->kick = false;
    if (!interest(s, e, &backlog))
        return;
    int64_t now_ns = jsc_wall_ns();
    if (consumer_is_paused(e->c, now_ns) || e->wake_armed)
        return;
    stream *st = store_stream_find(s->store, e->stream);
    if (!st)
        return;
    bool pacing = cfg->rate_limit_bps || cfg->replay_policy == CONSUMER_REPLAY_ORIGINAL;
    int64_t now_ms = loop_now_ms(s->loop);
    for (int burst = 0;; burst++) {
        if (e->maxpb && e->pbytes > e->maxpb)
            return; /* stalled until the flow control request is answered */
        if (burst == JSC_BURST) {
            jsc_soon(e);
            return;
        }
        if (burst > 0 && !interest(s, e, &backlog))
            return; /* the receiver went away (a slow consumer cut, say) */
        if (backlog >= JSC_BACKLOG_MAX) {
            e->more = true; /* again after the connection drained a little */
            return;
        }
        pace p = {s, e, st, now_ms, 0};
        consumer_delivery d;
        int rc = consumer_next_if(e->c, st, now_ns, pacing ? paced : NULL, &p, &d);
        if (rc == 2) {
            e->wake_armed = true;
            loop_timer_start(s->loop, &e->wake, p.wait_ms);
            return;
        }
        if (rc <= 0)
            return;
        int64_t size = jsc_send(s, e, cfg->deliver_subject, &d);
        if (d.delivery_count == 1) {
            e->replay_last_ts = d.msg.ts_ns;
            e->replay_last_ms = now_ms;
        }
        if (cfg->rate_limit_bps)
            e->tokens -= (double)size;
        stream_msg_free(&d.msg);
        e->dirty = e->stored;
        if (cfg->idle_heartbeat_ns)
            e->next_hb_ms = now_ms + cfg->idle_heartbeat_ns / 1000000;
        account_flow(s, e, size);
    }
}

void jsc_push_tick(server *s, entry *e, int64_t now_ms)
{
    const consumer_config *cfg = cfg_of(e);
    if (!cfg->idle_heartbeat_ns || !e->active || now_ms < e->next_hb_ms)
        return;
    stream *st = store_stream_find(s->store, e->stream);
    consumer_info_state is;
    if (!st)
        return;
    consumer_get_state(e->c, st, &is);
    char hdr[400];
    int n = snprintf(hdr, sizeof hdr,
                     "NATS/1.0 100 Idle Heartbeat\r\nNats-Last-Consumer: %" PRIu64
                     "\r\nNats-Last-Stream: %" PRIu64 "\r\n",
                     is.delivered_consumer_seq, is.delivered_stream_seq);
    if (e->fc_reply[0])
        n += snprintf(hdr + n, sizeof hdr - (size_t)n, "Nats-Consumer-Stalled: %s\r\n",
                      e->fc_reply);
    snprintf(hdr + n, sizeof hdr - (size_t)n, "\r\n");
    jsc_status(s, cfg->deliver_subject, hdr);
    e->next_hb_ms = now_ms + cfg->idle_heartbeat_ns / 1000000;
}

bool jsc_push_idle_expired(server *s, entry *e, int64_t now_ms)
{
    (void)s;
    int64_t threshold_ms = cfg_of(e)->inactive_threshold_ns / 1000000;
    return !e->active && now_ms - e->inactive_since_ms >= threshold_ms;
}

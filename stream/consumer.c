/*
 * consumer.c — a consumer's delivery state (see consumer.h): the choice of the next message
 * under each deliver policy, the pending-ack set and acks, ack_wait with backoff, max_deliver,
 * pause, and num_pending kept exact from the stream's events.
 *
 * The pending set is an array sorted by stream sequence (new deliveries arrive in sequence
 * order; a redelivery keeps its slot). It is bounded by max_ack_pending, so linear scans are
 * fine; a message due for redelivery carries a flag rather than sitting in a second queue.
 *
 * num_pending (npc) is counted once (at creation, after a restart, after the stream's index
 * was rebuilt or the filters changed) and then moved by one for each delivery, append and
 * removal — recounting per delivery would scan the rest of the stream every time.
 *
 * last_per_subject starts from the list of each subject's last sequence at creation (lps);
 * once that is delivered the consumer goes on with what was appended after lps_end.
 */
#include "consumer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/subject.h"

typedef struct pending {
    uint64_t sseq;
    uint64_t cseq;   /* consumer sequence of its latest delivery */
    uint64_t dc;     /* delivery count */
    int64_t ts_ns;   /* time of its latest delivery */
    int64_t due_ns;  /* when it is redelivered if not acked */
    bool queued;     /* due: the next consumer_next redelivers it */
} pending;

struct consumer {
    consumer_config cfg;
    int64_t created_ns;
    uint64_t dseq;          /* delivered.consumer_seq */
    uint64_t sseq;          /* delivered.stream_seq */
    int64_t last_active_ns;
    uint64_t floor_cseq, floor_sseq;
    uint64_t next_sseq;     /* next new stream sequence to consider */
    pending *p;
    size_t np, pcap;
    size_t nqueued;         /* pending entries with `queued` set */
    int64_t npc;            /* num_pending, valid unless npc_stale */
    bool npc_stale;
    uint64_t *lps;          /* last_per_subject: sequences still to deliver first, ascending */
    size_t nlps, lps_i;     /* lps[lps_i..nlps) are ahead */
    uint64_t lps_end;       /* the stream's last sequence when lps was taken */
    consumer_acked_fn acked;
    void *acked_arg;
};

/* The filters as a list: filter_subjects, or the one filter_subject, or none (all). */
static size_t filters(const consumer *c, const char *const **out)
{
    if (c->cfg.nfilters) {
        *out = (const char *const *)c->cfg.filter_subjects;
        return c->cfg.nfilters;
    }
    if (c->cfg.filter_subject) {
        *out = (const char *const *)&c->cfg.filter_subject;
        return 1;
    }
    *out = NULL;
    return 0;
}

static bool matches(const consumer *c, const char *subject, size_t len)
{
    const char *const *f;
    size_t n = filters(c, &f);
    if (n == 0)
        return true;
    for (size_t i = 0; i < n; i++)
        if (subject_matches(f[i], strlen(f[i]), subject, len))
            return true;
    return false;
}

static bool lps_active(const consumer *c)
{
    return c->lps_i < c->nlps;
}

/* Whether seq is among the last_per_subject sequences still ahead. */
static bool lps_has(const consumer *c, uint64_t seq)
{
    size_t lo = c->lps_i, hi = c->nlps;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->lps[mid] < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->nlps && c->lps[lo] == seq;
}

/* The message at seq read in sequence order (the list is ascending, so this walks the stream's
 * read iterator forward instead of a point lookup per key). true when it is still there. */
static bool lps_read(stream *s, uint64_t seq, stream_msg *out)
{
    jserr e;
    if (stream_get_next(s, seq, NULL, out, &e) < 0)
        return false;
    if (out->seq == seq)
        return true;
    stream_msg_free(out);
    return false;
}

/* The first message at or after seq matching the filters, ignoring last_per_subject. */
static int next_matching_plain(const consumer *c, stream *s, uint64_t seq, stream_msg *out)
{
    const char *const *f;
    size_t n = filters(c, &f);
    jserr e;
    if (n == 0)
        return stream_get_next(s, seq, NULL, out, &e) == 0 ? 1 : 0;
    int found = 0;
    for (size_t i = 0; i < n; i++) {
        stream_msg m;
        if (stream_get_next(s, seq, f[i], &m, &e) < 0)
            continue;
        if (!found || m.seq < out->seq) {
            if (found)
                stream_msg_free(out);
            *out = m;
            found = 1;
        } else {
            stream_msg_free(&m);
        }
    }
    return found;
}

/* The next message to deliver at or after seq: the last_per_subject list first, then what
 * follows lps_end. 1 found, 0 none. */
static int next_matching(consumer *c, stream *s, uint64_t seq, stream_msg *out)
{
    while (lps_active(c)) {
        if (c->lps[c->lps_i] < seq) {
            c->lps_i++;
            continue;
        }
        if (lps_read(s, c->lps[c->lps_i], out))
            return 1;
        c->lps_i++; /* gone meanwhile */
    }
    if (c->nlps && seq <= c->lps_end)
        seq = c->lps_end + 1;
    return next_matching_plain(c, s, seq, out);
}

static uint64_t count_matching(const consumer *c, stream *s, uint64_t from)
{
    const char *const *f;
    size_t n = filters(c, &f);
    if (n == 0)
        return stream_count_matching(s, NULL, from);
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += stream_count_matching(s, f[i], from);
    return total;
}

static uint64_t num_pending(consumer *c, stream *s)
{
    if (c->npc_stale) {
        uint64_t n = 0;
        uint64_t from = c->next_sseq;
        if (c->nlps) {
            for (size_t i = c->lps_i; i < c->nlps; i++) {
                stream_msg m;
                if (c->lps[i] >= from && lps_read(s, c->lps[i], &m)) {
                    n++;
                    stream_msg_free(&m);
                }
            }
            if (from <= c->lps_end)
                from = c->lps_end + 1;
        }
        c->npc = (int64_t)(n + count_matching(c, s, from));
        c->npc_stale = false;
    }
    return c->npc > 0 ? (uint64_t)c->npc : 0;
}

/* The sequences of the last message of each subject matching the filters, ascending. */
static int take_lps(consumer *c, stream *s)
{
    const char *const *f;
    size_t n = filters(c, &f);
    stream_state st;
    stream_get_state(s, &st);
    c->lps_end = st.last_seq;
    for (size_t i = 0; i < n; i++) {
        uint64_t *v;
        long k = stream_last_seqs(s, f[i], &v);
        if (k < 0)
            return -1;
        if (k == 0)
            continue;
        uint64_t *all = realloc(c->lps, (c->nlps + (size_t)k) * sizeof *all);
        if (!all) {
            free(v);
            return -1;
        }
        memcpy(all + c->nlps, v, (size_t)k * sizeof *v);
        c->lps = all;
        c->nlps += (size_t)k;
        free(v);
    }
    /* filters do not overlap, so the merged lists hold no duplicates; only the order */
    for (size_t i = 1; i < c->nlps; i++)
        for (size_t k = i; k > 0 && c->lps[k - 1] > c->lps[k]; k--) {
            uint64_t t = c->lps[k];
            c->lps[k] = c->lps[k - 1];
            c->lps[k - 1] = t;
        }
    return 0;
}

consumer *consumer_new(stream *s, consumer_config *cfg, int64_t now_ns)
{
    consumer *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->cfg = *cfg;
    memset(cfg, 0, sizeof *cfg);
    c->created_ns = now_ns;
    c->npc_stale = true;
    stream_state st;
    stream_get_state(s, &st);
    uint64_t start = st.first_seq ? st.first_seq : 1;
    switch (c->cfg.deliver_policy) {
    case CONSUMER_DELIVER_ALL:
        break;
    case CONSUMER_DELIVER_LAST: {
        const char *const *f;
        size_t n = filters(c, &f);
        uint64_t last = 0;
        for (size_t i = 0; i < (n ? n : 1); i++) {
            stream_msg m;
            jserr e;
            if (stream_get_last(s, n ? f[i] : NULL, &m, &e) == 0) {
                if (m.seq > last)
                    last = m.seq;
                stream_msg_free(&m);
            }
        }
        start = last ? last : st.last_seq + 1;
        break;
    }
    case CONSUMER_DELIVER_NEW:
        start = st.last_seq + 1;
        break;
    case CONSUMER_DELIVER_BY_START_SEQ:
        start = c->cfg.opt_start_seq;
        break;
    case CONSUMER_DELIVER_BY_START_TIME:
        start = stream_seq_for_time(s, c->cfg.opt_start_time_ns);
        break;
    case CONSUMER_DELIVER_LAST_PER_SUBJECT:
        if (take_lps(c, s) < 0) {
            consumer_free(c);
            return NULL;
        }
        start = c->nlps ? c->lps[0] : st.last_seq + 1;
        /* every listed message exists now and nothing follows lps_end yet */
        c->npc = (int64_t)c->nlps;
        c->npc_stale = false;
        break;
    }
    c->next_sseq = start;
    c->sseq = start - 1;
    c->floor_sseq = start - 1;
    return c;
}

void consumer_free(consumer *c)
{
    if (!c)
        return;
    consumer_config_free(&c->cfg);
    free(c->p);
    free(c->lps);
    free(c);
}

const consumer_config *consumer_get_config(const consumer *c)
{
    return &c->cfg;
}

const char *consumer_name(const consumer *c)
{
    return c->cfg.name;
}

int64_t consumer_created_ns(const consumer *c)
{
    return c->created_ns;
}

void consumer_set_ack_hook(consumer *c, consumer_acked_fn fn, void *arg)
{
    c->acked = fn;
    c->acked_arg = arg;
}

static void acked(consumer *c, uint64_t sseq)
{
    if (c->acked)
        c->acked(c->acked_arg, c, sseq);
}

void consumer_get_state(consumer *c, stream *s, consumer_info_state *out)
{
    memset(out, 0, sizeof *out);
    out->delivered_consumer_seq = c->dseq;
    out->delivered_stream_seq = c->sseq;
    out->last_active_ns = c->last_active_ns;
    out->ack_floor_consumer_seq = c->floor_cseq;
    out->ack_floor_stream_seq = c->floor_sseq;
    out->num_ack_pending = c->np;
    for (size_t i = 0; i < c->np; i++)
        if (c->p[i].dc > 1)
            out->num_redelivered++;
    out->num_pending = num_pending(c, s);
}

static bool at_max_ack_pending(const consumer *c);
static pending *first_queued(consumer *c);

bool consumer_blocked_by_ack_pending(consumer *c, stream *s)
{
    return at_max_ack_pending(c) && !first_queued(c) && num_pending(c, s) > 0;
}

static bool at_max_ack_pending(const consumer *c)
{
    return c->cfg.ack_policy != CONSUMER_ACK_NONE && c->cfg.max_ack_pending > 0 &&
           c->np >= (uint64_t)c->cfg.max_ack_pending;
}

/* How long the dc-th delivery of a message waits for its ack: backoff[dc-1] (the last one
 * repeating) when there is a backoff, else ack_wait. */
static int64_t ack_wait_for(const consumer *c, uint64_t dc)
{
    if (c->cfg.nbackoff == 0)
        return c->cfg.ack_wait_ns;
    size_t i = dc > 0 ? (size_t)(dc - 1) : 0;
    return c->cfg.backoff_ns[i < c->cfg.nbackoff ? i : c->cfg.nbackoff - 1];
}

static void update_floor(consumer *c);

static void set_queued(consumer *c, pending *p, bool q)
{
    if (p->queued != q)
        c->nqueued += q ? 1 : (size_t)-1;
    p->queued = q;
}

static pending *first_queued(consumer *c)
{
    if (c->nqueued == 0)
        return NULL;
    for (size_t i = 0; i < c->np; i++)
        if (c->p[i].queued)
            return &c->p[i];
    return NULL;
}

bool consumer_has_next(consumer *c, stream *s)
{
    if (first_queued(c))
        return true;
    if (at_max_ack_pending(c))
        return false;
    return num_pending(c, s) > 0;
}

bool consumer_is_paused(const consumer *c, int64_t now_ns)
{
    return c->cfg.pause_until_ns > now_ns;
}

void consumer_set_pause(consumer *c, int64_t until_ns)
{
    c->cfg.pause_until_ns = until_ns;
}

/* Nothing matches up to the end of the stream: as in nats-server, the delivered stream
 * sequence (and, with nothing pending, the ack floor) moves past what was scanned. */
static void skip_to_end(consumer *c, stream *s)
{
    stream_state st;
    stream_get_state(s, &st);
    if (st.last_seq >= c->next_sseq) {
        c->next_sseq = st.last_seq + 1;
        c->sseq = st.last_seq;
        if (c->np == 0 && c->cfg.ack_policy != CONSUMER_ACK_NONE)
            update_floor(c);
        else if (c->cfg.ack_policy == CONSUMER_ACK_NONE)
            c->floor_sseq = c->sseq;
    }
    if (!c->npc_stale)
        c->npc = 0;
}

void consumer_skip_ahead(consumer *c, stream *s)
{
    if (!lps_active(c) && num_pending(c, s) == 0)
        skip_to_end(c, s);
}

int consumer_next(consumer *c, stream *s, int64_t now_ns, consumer_delivery *out)
{
    return consumer_next_if(c, s, now_ns, NULL, NULL, out);
}

static void drop_pending(consumer *c, size_t i)
{
    set_queued(c, &c->p[i], false);
    memmove(&c->p[i], &c->p[i + 1], (c->np - i - 1) * sizeof *c->p);
    c->np--;
}

int consumer_next_if(consumer *c, stream *s, int64_t now_ns,
                     bool (*fits)(const consumer_delivery *d, void *arg), void *arg,
                     consumer_delivery *out)
{
    memset(out, 0, sizeof *out);
    pending *p = first_queued(c);
    if (p) {
        jserr e;
        if ((c->cfg.max_deliver > 0 && p->dc >= (uint64_t)c->cfg.max_deliver) ||
            stream_get(s, p->sseq, &out->msg, &e) < 0) {
            /* delivered max_deliver times (a nak), or gone from the stream: dropped */
            drop_pending(c, (size_t)(p - c->p));
            update_floor(c);
            return consumer_next_if(c, s, now_ns, fits, arg, out);
        }
        out->delivery_count = p->dc + 1;
        out->consumer_seq = c->dseq + 1;
        out->pending = num_pending(c, s);
        if (fits && !fits(out, arg)) {
            stream_msg_free(&out->msg);
            return 2;
        }
        p->dc++;
        p->cseq = ++c->dseq;
        p->ts_ns = now_ns;
        p->due_ns = now_ns + ack_wait_for(c, p->dc);
        set_queued(c, p, false);
        c->last_active_ns = now_ns;
        return 1;
    }
    if (at_max_ack_pending(c))
        return 0;
    if (!next_matching(c, s, c->next_sseq, &out->msg)) {
        skip_to_end(c, s);
        return 0;
    }
    uint64_t left = num_pending(c, s);
    out->delivery_count = 1;
    out->consumer_seq = c->dseq + 1;
    out->pending = left > 0 ? left - 1 : 0;
    if (fits && !fits(out, arg)) {
        stream_msg_free(&out->msg);
        return 2;
    }
    if (c->cfg.ack_policy != CONSUMER_ACK_NONE && c->np == c->pcap) {
        size_t cap = c->pcap ? c->pcap * 2 : 64;
        pending *n = realloc(c->p, cap * sizeof *n);
        if (!n) {
            stream_msg_free(&out->msg);
            return -1;
        }
        c->p = n;
        c->pcap = cap;
    }
    c->next_sseq = out->msg.seq + 1;
    c->sseq = out->msg.seq;
    c->dseq++;
    c->npc = (int64_t)out->pending;
    c->last_active_ns = now_ns;
    if (c->cfg.ack_policy == CONSUMER_ACK_NONE) {
        c->floor_cseq = c->dseq;
        c->floor_sseq = c->sseq;
        acked(c, out->msg.seq);
        return 1;
    }
    c->p[c->np++] = (pending){.sseq = out->msg.seq, .cseq = c->dseq, .dc = 1, .ts_ns = now_ns,
                              .due_ns = now_ns + ack_wait_for(c, 1)};
    return 1;
}

static void update_floor(consumer *c)
{
    if (c->np == 0) {
        c->floor_cseq = c->dseq;
        c->floor_sseq = c->sseq;
        return;
    }
    uint64_t min_c = UINT64_MAX;
    for (size_t i = 0; i < c->np; i++)
        if (c->p[i].cseq < min_c)
            min_c = c->p[i].cseq;
    if (c->p[0].sseq - 1 > c->floor_sseq)
        c->floor_sseq = c->p[0].sseq - 1;
    if (min_c - 1 > c->floor_cseq)
        c->floor_cseq = min_c - 1;
}

static pending *find(consumer *c, uint64_t sseq, size_t *idx)
{
    size_t lo = 0, hi = c->np;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c->p[mid].sseq < sseq)
            lo = mid + 1;
        else
            hi = mid;
    }
    *idx = lo;
    return lo < c->np && c->p[lo].sseq == sseq ? &c->p[lo] : NULL;
}

bool consumer_ack(consumer *c, consumer_ack_kind kind, uint64_t sseq, int64_t delay_ns,
                  int64_t now_ns)
{
    size_t i;
    pending *p = find(c, sseq, &i);
    if (c->cfg.ack_policy == CONSUMER_ACK_ALL && (kind == CONSUMER_ACK_OK)) {
        /* everything up to and including sseq */
        if (i < c->np && c->p[i].sseq == sseq)
            i++;
        if (i == 0)
            return false;
        for (size_t k = 0; k < i; k++) {
            set_queued(c, &c->p[k], false);
            acked(c, c->p[k].sseq);
        }
        memmove(c->p, c->p + i, (c->np - i) * sizeof *c->p);
        c->np -= i;
        update_floor(c);
        return true;
    }
    if (!p)
        return false;
    switch (kind) {
    case CONSUMER_ACK_OK:
    case CONSUMER_ACK_TERM:
        drop_pending(c, i);
        update_floor(c);
        acked(c, sseq);
        return true;
    case CONSUMER_ACK_NAK:
        if (delay_ns > 0) {
            p->due_ns = now_ns + delay_ns;
            set_queued(c, p, false);
        } else {
            set_queued(c, p, true);
        }
        return true;
    case CONSUMER_ACK_WPI:
        p->due_ns = now_ns + ack_wait_for(c, p->dc);
        return true;
    }
    return false;
}

size_t consumer_check_ack_wait(consumer *c, int64_t now_ns)
{
    size_t due = 0;
    for (size_t i = 0; i < c->np;) {
        pending *p = &c->p[i];
        if (!p->queued && p->due_ns <= now_ns) {
            if (c->cfg.max_deliver > 0 && p->dc >= (uint64_t)c->cfg.max_deliver) {
                /* delivered max_deliver times: it stays unacked but is never sent again;
                 * nats-server then drops it from the pending set */
                drop_pending(c, i);
                update_floor(c);
                due++;
                continue;
            }
            set_queued(c, p, true);
            due++;
        }
        i++;
    }
    return due;
}

int64_t consumer_next_due(const consumer *c)
{
    int64_t due = 0;
    for (size_t i = 0; i < c->np; i++)
        if (!c->p[i].queued && (due == 0 || c->p[i].due_ns < due))
            due = c->p[i].due_ns;
    return due;
}

bool consumer_stream_purged(consumer *c, stream *s)
{
    bool changed = false;
    stream_state st;
    stream_get_state(s, &st);
    uint64_t first = st.msgs ? st.first_seq : st.last_seq + 1;
    if (first > c->next_sseq) {
        c->next_sseq = first;
        if (c->sseq < first - 1)
            c->sseq = first - 1;
        changed = true;
    }
    for (size_t i = 0; i < c->np;) {
        stream_msg m;
        jserr e;
        if (stream_get(s, c->p[i].sseq, &m, &e) == 0) {
            stream_msg_free(&m);
            i++;
            continue;
        }
        drop_pending(c, i);
        changed = true;
    }
    if (changed) {
        update_floor(c);
        c->npc_stale = true;
    }
    return changed;
}

void consumer_on_stream_event(consumer *c, stream_event ev, uint64_t seq, const char *subject,
                              size_t subject_len)
{
    if (ev == STREAM_EV_RESET) {
        c->npc_stale = true;
        return;
    }
    if (c->npc_stale || seq < c->next_sseq || !matches(c, subject, subject_len))
        return;
    if (c->nlps && seq <= c->lps_end && !lps_has(c, seq))
        return; /* not a last-per-subject message: never to be delivered */
    if (ev == STREAM_EV_APPEND)
        c->npc++;
    else if (c->npc > 0)
        c->npc--;
}

bool consumer_wants(const consumer *c, uint64_t seq, const char *subject, size_t subject_len)
{
    if (seq >= c->next_sseq) {
        if (!matches(c, subject, subject_len))
            return false;
        return !(c->nlps && seq <= c->lps_end && !lps_has(c, seq));
    }
    size_t i;
    return find((consumer *)c, seq, &i) != NULL;
}

int consumer_update(consumer *c, consumer_config *cfg, jserr *err)
{
    if (consumer_config_check_update(&c->cfg, cfg, err) < 0)
        return -1;
    bool refilter = false;
    const char *const *fa, *const *fb;
    size_t na = filters(c, &fa);
    consumer tmp = {.cfg = *cfg};
    size_t nb = filters(&tmp, &fb);
    if (na != nb)
        refilter = true;
    for (size_t i = 0; i < na && !refilter; i++)
        refilter = strcmp(fa[i], fb[i]) != 0;
    consumer_config_free(&c->cfg);
    c->cfg = *cfg;
    memset(cfg, 0, sizeof *cfg);
    if (refilter)
        c->npc_stale = true; /* recounted against the stream at the next use */
    return 0;
}

/* ---------------- persistence ---------------- */

/* The state in bytes, written every loop iteration in which a consumer changed, so it is a
 * flat array of big-endian u64 rather than JSON: version, created, dseq, sseq, next, floor_c,
 * floor_s, active, npending, then per pending message (sseq, cseq, dc, ts, due), then the
 * last_per_subject list still ahead (count, lps_end, sequences). */
#define STATE_VERSION 1
#define STATE_FIXED 9

static uint8_t *put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (56 - 8 * i));
    return p + 8;
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static size_t lps_left(const consumer *c)
{
    return lps_active(c) ? c->nlps - c->lps_i : 0;
}

size_t consumer_state_size(const consumer *c)
{
    return 8 * (STATE_FIXED + 5 * c->np + 2 + lps_left(c));
}

void consumer_state_encode(const consumer *c, uint8_t *out)
{
    uint8_t *p = out;
    const uint64_t fixed[STATE_FIXED] = {STATE_VERSION,   (uint64_t)c->created_ns, c->dseq,
                                         c->sseq,         c->next_sseq,            c->floor_cseq,
                                         c->floor_sseq,   (uint64_t)c->last_active_ns, c->np};
    for (int i = 0; i < STATE_FIXED; i++)
        p = put_u64(p, fixed[i]);
    for (size_t i = 0; i < c->np; i++) {
        const pending *q = &c->p[i];
        p = put_u64(p, q->sseq);
        p = put_u64(p, q->cseq);
        p = put_u64(p, q->dc);
        p = put_u64(p, (uint64_t)q->ts_ns);
        p = put_u64(p, (uint64_t)q->due_ns);
    }
    p = put_u64(p, lps_left(c));
    p = put_u64(p, c->lps_end);
    for (size_t i = c->lps_i; i < c->nlps && lps_active(c); i++)
        p = put_u64(p, c->lps[i]);
}

consumer *consumer_restore(consumer_config *cfg, const uint8_t *state, size_t len)
{
    consumer *c = calloc(1, sizeof *c);
    if (!c || len < 8 * (STATE_FIXED + 2) || len % 8 || get_u64(state) != STATE_VERSION)
        goto bad;
    const uint8_t *p = state + 8;
    c->created_ns = (int64_t)get_u64(p);
    c->dseq = get_u64(p + 8);
    c->sseq = get_u64(p + 16);
    c->next_sseq = get_u64(p + 24);
    c->floor_cseq = get_u64(p + 32);
    c->floor_sseq = get_u64(p + 40);
    c->last_active_ns = (int64_t)get_u64(p + 48);
    uint64_t np = get_u64(p + 56);
    p += 64;
    size_t words = len / 8;
    if (np > (words - STATE_FIXED - 2) / 5)
        goto bad;
    if (np && !(c->p = calloc((size_t)np, sizeof *c->p)))
        goto bad;
    c->pcap = (size_t)np;
    for (size_t i = 0; i < np; i++, p += 40)
        c->p[c->np++] = (pending){.sseq = get_u64(p), .cseq = get_u64(p + 8),
                                  .dc = get_u64(p + 16), .ts_ns = (int64_t)get_u64(p + 24),
                                  .due_ns = (int64_t)get_u64(p + 32)};
    uint64_t nl = get_u64(p);
    c->lps_end = get_u64(p + 8);
    p += 16;
    if (nl != words - STATE_FIXED - 2 - 5 * np)
        goto bad;
    if (nl && !(c->lps = calloc((size_t)nl, sizeof *c->lps)))
        goto bad;
    for (size_t i = 0; i < nl; i++, p += 8)
        c->lps[c->nlps++] = get_u64(p);
    c->npc_stale = true;
    c->cfg = *cfg;
    memset(cfg, 0, sizeof *cfg);
    return c;
bad:
    if (c) {
        free(c->p);
        free(c->lps);
    }
    free(c);
    consumer_config_free(cfg);
    return NULL;
}

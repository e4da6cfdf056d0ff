/*
 * kv_watch.c — watching a bucket: a cursor that gives what an ordered consumer delivers to a
 * client's watcher (initial values by last_per_subject, all or from a revision; the "initial
 * values done" marker; then live changes in order), computed on demand from the stream, with
 * nats-server's num_pending as each entry's delta. Also the callback-style drain. The contract
 * is in kv.h.
 */
#include "kv_internal.h"

#include <stdlib.h>
#include <string.h>

typedef enum {
    PH_LAST_PER_KEY, /* initial values: seqs[i..n) */
    PH_BY_SEQUENCE,  /* initial values: every message after pos up to snap_last */
    PH_MARKER,       /* KV_EV_INIT_DONE is next */
    PH_LIVE,         /* every message after pos */
} phase;

struct kv_watch {
    kv *b;
    char *filter; /* $KV.<bucket>.<pattern> */
    kv_watch_options o;
    phase ph;
    uint64_t *seqs; /* PH_LAST_PER_KEY: the last sequence of each key at open, ascending */
    long n, i;
    uint64_t pos;       /* the last sequence given or passed (PH_BY_SEQUENCE, PH_LIVE) */
    uint64_t snap_last; /* the stream's last sequence at open: where the initial values end */
    uint64_t counted;   /* messages up to this sequence are accounted in pending */
    uint64_t pending;   /* matching messages still to give among those accounted */
};

kv_status kv_watch_open(kv *b, const char *key_pattern, const kv_watch_options *opts,
                        kv_watch **out)
{
    *out = NULL;
    if (!b)
        return KV_ERR_INVALID_ARG;
    if (key_pattern && *key_pattern && !kv_key_pattern_valid(key_pattern))
        return KV_ERR_BAD_KEY;
    stream *s = kv_stream(b);
    if (!s)
        return KV_ERR_BUCKET_NOT_FOUND;
    kv_watch *w = calloc(1, sizeof *w);
    if (!w)
        return KV_ERR_NO_MEMORY;
    w->b = b;
    if (opts)
        w->o = *opts;
    if (!(w->filter = kv_subject(b, key_pattern))) {
        free(w);
        return KV_ERR_NO_MEMORY;
    }
    stream_state state;
    stream_get_state(s, &state);
    w->snap_last = w->counted = state.last_seq;

    if (w->o.resume_from_revision > 0) {
        /* deliver by_start_sequence: overrides include_history and updates_only */
        w->ph = PH_BY_SEQUENCE;
        w->pos = w->o.resume_from_revision - 1;
        if (w->o.resume_from_revision <= state.last_seq)
            w->pending = stream_count_matching(s, w->filter, w->o.resume_from_revision);
    } else if (w->o.updates_only) {
        w->ph = PH_LIVE; /* deliver new: no initial values, no marker (as the clients) */
        w->pos = state.last_seq;
    } else if (w->o.include_history) {
        w->ph = PH_BY_SEQUENCE;
        w->pending = stream_count_matching(s, w->filter, 0);
    } else {
        w->ph = PH_LAST_PER_KEY;
        w->n = stream_last_seqs(s, w->filter, &w->seqs);
        if (w->n < 0) {
            kv_watch_close(w);
            return KV_ERR_NO_MEMORY;
        }
        w->pending = (uint64_t)w->n;
    }
    if (w->ph != PH_LIVE && w->pending == 0) {
        w->ph = PH_MARKER;
        if (w->pos < w->snap_last)
            w->pos = w->snap_last;
    }
    *out = w;
    return KV_OK;
}

void kv_watch_close(kv_watch *w)
{
    if (!w)
        return;
    free(w->seqs);
    free(w->filter);
    free(w);
}

/* Accounts the messages appended since the last call. */
static void account_appends(kv_watch *w, stream *s, uint64_t last_seq)
{
    if (last_seq > w->counted) {
        w->pending += stream_count_matching(s, w->filter, w->counted + 1);
        w->counted = last_seq;
    }
}

static void end_initial(kv_watch *w, stream *s)
{
    w->ph = PH_MARKER;
    if (w->pos < w->snap_last)
        w->pos = w->snap_last;
    /* what is left to give is exactly what was appended after the initial values */
    w->pending = stream_count_matching(s, w->filter, w->snap_last + 1);
}

/* One message consumed: 0 when it is to be given (as *out), 1 when ignore_deletes drops it,
 * -1 out of memory. */
static int take(kv_watch *w, stream_msg *m, kv_entry *out)
{
    if (w->pending > 0)
        w->pending--;
    if (w->o.ignore_deletes && kv_op_of(m->hdr, m->hdr_len) != KV_OP_PUT) {
        stream_msg_free(m);
        return 1;
    }
    if (kv_entry_from_msg(w->b, m, w->o.meta_only, out) != KV_OK)
        return -1;
    out->delta = w->pending;
    return 0;
}

kv_status kv_watch_next(kv_watch *w, kv_entry *out, kv_event *ev)
{
    *ev = KV_EV_NONE;
    memset(out, 0, sizeof *out);
    stream *s = kv_stream(w->b);
    if (!s)
        return KV_ERR_BUCKET_NOT_FOUND;
    stream_state state;
    stream_get_state(s, &state);
    account_appends(w, s, state.last_seq);
    for (;;) {
        stream_msg m;
        jserr none;
        int r;
        switch (w->ph) {
        case PH_LAST_PER_KEY:
            if (w->i >= w->n) {
                end_initial(w, s);
                continue;
            }
            if (stream_get(s, w->seqs[w->i++], &m, &none) < 0) {
                if (w->pending > 0)
                    w->pending--; /* removed since open */
                continue;
            }
            break;
        case PH_BY_SEQUENCE:
            if (stream_get_next(s, w->pos + 1, w->filter, &m, &none) < 0) {
                end_initial(w, s);
                continue;
            }
            if (m.seq > w->snap_last) {
                stream_msg_free(&m);
                end_initial(w, s);
                continue;
            }
            w->pos = m.seq;
            break;
        case PH_MARKER:
            w->ph = PH_LIVE;
            *ev = KV_EV_INIT_DONE;
            return KV_OK;
        case PH_LIVE:
            if (stream_get_next(s, w->pos + 1, w->filter, &m, &none) < 0) {
                /* nothing matches up to the end: the next call starts after it, so messages
                 * of other keys are scanned once, and nothing is pending, whatever was
                 * removed */
                if (w->pos < state.last_seq)
                    w->pos = state.last_seq;
                w->pending = 0;
                return KV_OK;
            }
            w->pos = m.seq;
            if (m.seq >= state.last_seq)
                w->pending = 1; /* becomes 0 in take: this is the stream's last message */
            break;
        }
        r = take(w, &m, out);
        if (r < 0)
            return KV_ERR_NO_MEMORY;
        if (r == 0) {
            *ev = KV_EV_ENTRY;
            return KV_OK;
        }
    }
}

kv_status kv_watch_drain(kv_watch *w, kv_watch_fn fn, void *arg, size_t max, size_t *ncalls)
{
    size_t calls = 0;
    kv_status st = KV_OK;
    while (max == 0 || calls < max) {
        kv_entry e;
        kv_event ev;
        st = kv_watch_next(w, &e, &ev);
        if (st != KV_OK || ev == KV_EV_NONE)
            break;
        fn(arg, ev == KV_EV_ENTRY ? &e : NULL);
        kv_entry_free(&e);
        calls++;
    }
    if (ncalls)
        *ncalls = calls;
    return st;
}

/*
 * obs_watch.c — watching a bucket's meta messages: a cursor that gives what nats.go's Watch
 * (an ordered consumer on "$O.<bucket>.M.>") delivers — the initial infos (last per subject or
 * the whole history), the "initial infos done" marker, then live changes — computed on demand
 * from the stream; and the object list built on it. The contract is in objstore.h.
 */
#include "obs_internal.h"

#include <stdlib.h>
#include <string.h>

typedef enum {
    PH_LAST_PER_SUBJECT, /* initial infos: seqs[i..n) */
    PH_BY_SEQUENCE,      /* initial infos: every meta message after pos up to snap_last */
    PH_MARKER,           /* OBS_EV_INIT_DONE is next */
    PH_LIVE,             /* every meta message after pos */
} phase;

struct obs_watch {
    obs *b;
    char *filter; /* $O.<bucket>.M.> */
    obs_watch_options o;
    phase ph;
    uint64_t *seqs; /* PH_LAST_PER_SUBJECT: the last sequence of each meta subject at open */
    long n, i;
    uint64_t pos;       /* the last sequence given or passed (PH_BY_SEQUENCE, PH_LIVE) */
    uint64_t snap_last; /* the stream's last sequence at open: where the initial infos end */
};

obs_status obs_watch_open(obs *b, const obs_watch_options *opts, obs_watch **out)
{
    *out = NULL;
    if (!b)
        return OBS_ERR_INVALID_ARG;
    stream *s = obs_stream(b);
    if (!s)
        return OBS_ERR_BUCKET_NOT_FOUND;
    obs_watch *w = calloc(1, sizeof *w);
    if (!w)
        return OBS_ERR_NO_MEMORY;
    w->b = b;
    if (opts)
        w->o = *opts;
    if (!(w->filter = obs_meta_all_subject(b->bucket))) {
        free(w);
        return OBS_ERR_NO_MEMORY;
    }
    stream_state state;
    stream_get_state(s, &state);
    w->snap_last = state.last_seq;
    if (w->o.updates_only) {
        w->ph = PH_LIVE; /* deliver new: no initial infos, no marker (as nats.go) */
        w->pos = state.last_seq;
    } else if (w->o.include_history) {
        w->ph = PH_BY_SEQUENCE;
    } else {
        w->ph = PH_LAST_PER_SUBJECT;
        w->n = stream_last_seqs(s, w->filter, &w->seqs);
        if (w->n < 0) {
            obs_watch_close(w);
            return OBS_ERR_NO_MEMORY;
        }
    }
    *out = w;
    return OBS_OK;
}

void obs_watch_close(obs_watch *w)
{
    if (!w)
        return;
    free(w->seqs);
    free(w->filter);
    free(w);
}

static void end_initial(obs_watch *w)
{
    w->ph = PH_MARKER;
    if (w->pos < w->snap_last)
        w->pos = w->snap_last;
}

/* One meta message consumed: 0 when it is to be given (as *out), 1 when skipped (deleted with
 * ignore_deletes, or unparsable), -1 out of memory. m is freed. */
static int take(obs_watch *w, stream_msg *m, obs_info *out)
{
    obs_status st = obs_info_from_msg(m, out);
    stream_msg_free(m);
    if (st == OBS_ERR_NO_MEMORY)
        return -1;
    if (st != OBS_OK)
        return 1;
    if (w->o.ignore_deletes && out->deleted) {
        obs_info_free(out);
        return 1;
    }
    return 0;
}

obs_status obs_watch_next(obs_watch *w, obs_info *out, obs_event *ev)
{
    *ev = OBS_EV_NONE;
    memset(out, 0, sizeof *out);
    stream *s = obs_stream(w->b);
    if (!s)
        return OBS_ERR_BUCKET_NOT_FOUND;
    for (;;) {
        stream_msg m;
        jserr none;
        switch (w->ph) {
        case PH_LAST_PER_SUBJECT:
            if (w->i >= w->n) {
                end_initial(w);
                continue;
            }
            if (stream_get(s, w->seqs[w->i++], &m, &none) < 0)
                continue; /* replaced or removed since open */
            break;
        case PH_BY_SEQUENCE:
            if (stream_get_next(s, w->pos + 1, w->filter, &m, &none) < 0) {
                end_initial(w);
                continue;
            }
            if (m.seq > w->snap_last) {
                stream_msg_free(&m);
                end_initial(w);
                continue;
            }
            w->pos = m.seq;
            break;
        case PH_MARKER:
            w->ph = PH_LIVE;
            *ev = OBS_EV_INIT_DONE;
            return OBS_OK;
        case PH_LIVE:
            if (stream_get_next(s, w->pos + 1, w->filter, &m, &none) < 0) {
                /* nothing up to the end: the next call starts after it, so chunks are
                 * scanned once */
                stream_state state;
                stream_get_state(s, &state);
                if (w->pos < state.last_seq)
                    w->pos = state.last_seq;
                return OBS_OK;
            }
            w->pos = m.seq;
            break;
        }
        int r = take(w, &m, out);
        if (r < 0)
            return OBS_ERR_NO_MEMORY;
        if (r == 0) {
            *ev = OBS_EV_INFO;
            return OBS_OK;
        }
    }
}

obs_status obs_list(obs *b, bool show_deleted, obs_list_fn fn, void *arg, size_t *count)
{
    if (count)
        *count = 0;
    if (!b || !fn)
        return OBS_ERR_INVALID_ARG;
    obs_watch *w;
    obs_watch_options o = {.ignore_deletes = !show_deleted};
    obs_status st = obs_watch_open(b, &o, &w);
    if (st != OBS_OK)
        return st;
    size_t n = 0;
    for (;;) {
        obs_info i;
        obs_event ev;
        st = obs_watch_next(w, &i, &ev);
        if (st != OBS_OK || ev != OBS_EV_INFO)
            break;
        fn(arg, &i);
        obs_info_free(&i);
        n++;
    }
    obs_watch_close(w);
    if (count)
        *count = n;
    if (st != OBS_OK)
        return st;
    return n ? OBS_OK : OBS_ERR_NO_OBJECTS;
}

/*
 * stream_mirror.c — mirrors within one store: a stream whose config names another as its
 * mirror gets a copy of every message the origin commits, under the origin's sequence and
 * timestamp. The origin's filter and subject transforms of the mirror config apply
 * (stream_feed.c); what the origin removes later stays in the mirror, which keeps its own
 * limits.
 */
#include "stream_internal.h"

int stream_mirror_compile(stream *s)
{
    stream_feed_release(&s->mirror);
    return s->cfg.mirror ? stream_feed_compile(&s->mirror, s->cfg.mirror) : 0;
}

static int put_mirrored(stream *s, const stream_feed *f, const char *subject, size_t len,
                        const stream_msg *m, int64_t now_ns, jserr *err)
{
    (void)f;
    (void)now_ns;
    uint64_t last = stream_feed_told(s) ? stream_subject_last_seq(s, subject, len) : 0;
    uint64_t before = s->state.last_seq;
    int rc = stream_append_mirrored(s, subject, len, m, err);
    if (rc == 0 && s->state.last_seq > before) {
        stream_stored st = {subject, len, m->hdr, m->hdr_len, m->data, m->data_len,
                            m->seq, m->ts_ns, last};
        stream_feed_tell(s, &st);
    }
    return rc;
}

bool stream_mirror_sync(stream *s, int64_t now_ns, size_t *budget)
{
    stream_feed *f = &s->mirror;
    stream *origin = f->origin ? store_stream_find(s->st, f->origin) : NULL;
    if (!origin || origin == s)
        return false;
    /* the mirror's own last sequence is where the origin was copied up to */
    if (f->next <= s->state.last_seq)
        f->next = s->state.last_seq + 1;
    if (s->state.last_seq == 0 && f->next <= 1)
        f->next = stream_feed_start(s->cfg.mirror, origin);
    return stream_feed_copy(s, f, origin, now_ns, budget, put_mirrored);
}

bool stream_mirror_status(stream *s, uint64_t *lag, int64_t *last_contact_ns)
{
    if (!s->cfg.mirror)
        return false;
    stream_feed *f = &s->mirror;
    stream_feed at = *f;
    if (at.next <= s->state.last_seq)
        at.next = s->state.last_seq + 1;
    *lag = stream_feed_lag(&at, store_stream_find(s->st, f->origin));
    *last_contact_ns = f->contact_ns;
    return true;
}

/*
 * stream_feed.c — what mirrors and sources share: a StreamSource of a stream's config compiled
 * (filter, subject transforms), where reading the origin starts, how far behind it is, and the
 * loop that reads the origin's committed messages from the feed's position on and hands each
 * one, on its stored subject, to the mirror's or the source's way of storing it. Both streams
 * are in the same store, so the origin's records are read directly where nats-server runs an
 * internal consumer.
 */
#include "stream_internal.h"

#include <stdlib.h>
#include <string.h>

#include "proto/gotime.h"
#include "proto/subject.h"

void stream_feed_release(stream_feed *f)
{
    for (size_t i = 0; i < f->ntrs; i++)
        subject_transform_free(f->trs[i]);
    free(f->trs);
    free(f->srcs);
    free(f->tag);
    f->trs = NULL;
    f->srcs = NULL;
    f->tag = NULL;
    f->ntrs = 0;
    f->filter = NULL;
    f->origin = NULL;
}

int stream_feed_compile(stream_feed *f, const json_t *source)
{
    stream_feed_release(f);
    f->origin = json_string_value(json_object_get(source, "name"));
    f->filter = json_string_value(json_object_get(source, "filter_subject"));
    const json_t *trs = json_object_get(source, "subject_transforms");
    size_t n = json_array_size(trs);
    if (n == 0)
        return 0;
    f->trs = calloc(n, sizeof *f->trs);
    f->srcs = calloc(n, sizeof *f->srcs);
    if (!f->trs || !f->srcs) {
        stream_feed_release(f);
        return -1;
    }
    f->ntrs = n;
    for (size_t i = 0; i < n; i++) {
        const json_t *t = json_array_get(trs, i);
        const char *src = json_string_value(json_object_get(t, "src"));
        const char *dest = json_string_value(json_object_get(t, "dest"));
        f->srcs[i] = src;
        if (dest && *dest) /* checked at create: compiles */
            f->trs[i] = subject_transform_new(src, dest);
    }
    return 0;
}

uint64_t stream_feed_start(const json_t *source, stream *origin)
{
    uint64_t seq = (uint64_t)json_integer_value(json_object_get(source, "opt_start_seq"));
    const char *t = json_string_value(json_object_get(source, "opt_start_time"));
    int64_t ns;
    if (!seq && t && gotime_parse_rfc3339(t, strlen(t), &ns) == 0)
        seq = stream_seq_for_time(origin, ns);
    return seq ? seq : 1;
}

uint64_t stream_feed_lag(const stream_feed *f, stream *origin)
{
    if (!origin || f->next > origin->state.last_seq)
        return 0;
    return stream_count_matching(origin, f->filter, f->next ? f->next : 1);
}

/* The subject m is stored under (into buf when transformed): its length, or -1 when no
 * subject_transforms entry takes it. */
static long stored_subject(const stream_feed *f, const stream_msg *m, char *buf, size_t cap,
                           const char **out)
{
    *out = m->subject;
    if (f->ntrs == 0)
        return (long)m->subject_len;
    for (size_t i = 0; i < f->ntrs; i++) {
        const char *src = f->srcs[i];
        if (!subject_matches(src, strlen(src), m->subject, m->subject_len))
            continue;
        if (!f->trs[i])
            return (long)m->subject_len;
        long n = subject_transform_apply(f->trs[i], m->subject, m->subject_len, buf, cap);
        if (n < 0)
            return (long)m->subject_len; /* the transform does not apply: stored as is */
        *out = buf;
        return n;
    }
    return -1;
}

bool stream_feed_copy(stream *s, stream_feed *f, stream *origin, int64_t now_ns, size_t *budget,
                      stream_feed_put put)
{
    f->contact_ns = now_ns;
    while (f->next <= origin->state.last_seq) {
        if (*budget == 0)
            return true;
        stream_msg msg;
        jserr err;
        if (stream_get_next(origin, f->next, f->filter, &msg, &err) < 0) {
            f->next = origin->state.last_seq + 1;
            break;
        }
        (*budget)--;
        char buf[4096];
        const char *subject;
        long len = stored_subject(f, &msg, buf, sizeof buf, &subject);
        int rc = len < 0 ? 0 : put(s, f, subject, (size_t)len, &msg, now_ns, &err);
        f->next = msg.seq + 1;
        stream_msg_free(&msg);
        if (rc < 0 && store_check_werr(s->st, &err) < 0)
            return false; /* the store failed: nothing more until it is reopened */
        /* a message the stream's own limits refuse (discard new, size) is left out */
    }
    return false;
}

size_t store_mirror_count(const store *st)
{
    return st->nmirrors;
}

bool store_sync_feeds(store *st, int64_t now_ns, size_t budget)
{
    if (st->nfed == 0)
        return false;
    bool more = false;
    for (size_t i = 0; i < st->nstreams; i++) {
        stream *s = st->streams[i];
        if (s->cfg.mirror)
            more |= stream_mirror_sync(s, now_ns, &budget);
        else if (s->nsources)
            more |= stream_sources_sync(s, now_ns, &budget);
    }
    return more;
}

void store_set_feed_hook(store *st, stream_feed_hook_fn fn, void *arg)
{
    st->feed_hook = fn;
    st->feed_hook_arg = arg;
}

bool stream_feed_told(const stream *s)
{
    return s->st->feed_hook && s->republish;
}

void stream_feed_tell(stream *s, const stream_stored *m)
{
    if (stream_feed_told(s))
        s->st->feed_hook(s->st->feed_hook_arg, s, m);
}

/*
 * stream_mirror.c — mirrors within one store: a stream whose config names another as its
 * mirror gets a copy of every message the origin commits, under the origin's sequence and
 * timestamp (nats-server feeds a mirror through an internal consumer on the origin; with both
 * in one store the records are read directly). The origin's filter and subject transforms of
 * the mirror config apply; what the origin removes later stays in the mirror, which keeps its
 * own limits.
 */
#include "stream_internal.h"

#include <stdlib.h>
#include <string.h>

#include "proto/gotime.h"
#include "proto/subject.h"

void stream_mirror_release(stream *s)
{
    for (size_t i = 0; i < s->mirror_ntrs; i++)
        subject_transform_free(s->mirror_trs[i]);
    free(s->mirror_trs);
    free(s->mirror_srcs);
    s->mirror_trs = NULL;
    s->mirror_srcs = NULL;
    s->mirror_ntrs = 0;
    s->mirror_filter = NULL;
}

int stream_mirror_compile(stream *s)
{
    stream_mirror_release(s);
    const json_t *m = s->cfg.mirror;
    if (!m)
        return 0;
    s->mirror_filter = json_string_value(json_object_get(m, "filter_subject"));
    const json_t *trs = json_object_get(m, "subject_transforms");
    size_t n = json_array_size(trs);
    if (n == 0)
        return 0;
    s->mirror_trs = calloc(n, sizeof *s->mirror_trs);
    s->mirror_srcs = calloc(n, sizeof *s->mirror_srcs);
    if (!s->mirror_trs || !s->mirror_srcs) {
        stream_mirror_release(s);
        return -1;
    }
    s->mirror_ntrs = n;
    for (size_t i = 0; i < n; i++) {
        const json_t *t = json_array_get(trs, i);
        const char *src = json_string_value(json_object_get(t, "src"));
        const char *dest = json_string_value(json_object_get(t, "dest"));
        s->mirror_srcs[i] = src;
        if (dest && *dest) /* checked at create: compiles */
            s->mirror_trs[i] = subject_transform_new(src, dest);
    }
    return 0;
}

/* Where a mirror that has nothing yet starts in its origin: opt_start_seq, opt_start_time, or
 * the beginning. */
static uint64_t start_seq(stream *m, stream *origin)
{
    const json_t *cfg = m->cfg.mirror;
    uint64_t seq = (uint64_t)json_integer_value(json_object_get(cfg, "opt_start_seq"));
    const char *t = json_string_value(json_object_get(cfg, "opt_start_time"));
    int64_t ns;
    if (!seq && t && gotime_parse_rfc3339(t, strlen(t), &ns) == 0)
        seq = stream_seq_for_time(origin, ns);
    return seq ? seq : 1;
}

/* The subject m is stored under in the mirror (into buf when transformed): its length, or -1
 * when no subject_transforms entry takes it. */
static long mirrored_subject(stream *mirror, const stream_msg *m, char *buf, size_t cap,
                             const char **out)
{
    *out = m->subject;
    if (mirror->mirror_ntrs == 0)
        return (long)m->subject_len;
    for (size_t i = 0; i < mirror->mirror_ntrs; i++) {
        const char *src = mirror->mirror_srcs[i];
        if (!subject_matches(src, strlen(src), m->subject, m->subject_len))
            continue;
        if (!mirror->mirror_trs[i])
            return (long)m->subject_len;
        long n = subject_transform_apply(mirror->mirror_trs[i], m->subject, m->subject_len, buf,
                                         cap);
        if (n < 0)
            return (long)m->subject_len; /* the transform does not apply: stored as is */
        *out = buf;
        return n;
    }
    return -1;
}

/* Copies up to *budget of the origin's messages into mirror m. True when it stopped at the
 * budget with more to copy. */
static bool sync_one(store *st, stream *m, int64_t now_ns, size_t *budget)
{
    stream *origin = store_stream_find(st, json_string_value(json_object_get(m->cfg.mirror, "name")));
    if (!origin || origin == m)
        return false;
    m->mirror_contact_ns = now_ns;
    if (m->mirror_next <= m->state.last_seq)
        m->mirror_next = m->state.last_seq + 1;
    if (m->state.last_seq == 0 && m->mirror_next == 1)
        m->mirror_next = start_seq(m, origin);
    while (m->mirror_next <= origin->state.last_seq) {
        if (*budget == 0)
            return true;
        stream_msg msg;
        jserr err;
        if (stream_get_next(origin, m->mirror_next, m->mirror_filter, &msg, &err) < 0) {
            m->mirror_next = origin->state.last_seq + 1;
            break;
        }
        (*budget)--;
        char buf[4096];
        const char *subject;
        long len = mirrored_subject(m, &msg, buf, sizeof buf, &subject);
        int rc = len < 0 ? 0 : stream_append_mirrored(m, subject, (size_t)len, &msg, &err);
        m->mirror_next = msg.seq + 1;
        stream_msg_free(&msg);
        if (rc < 0 && store_check_werr(st, &err) < 0)
            return false; /* the store failed: nothing more until it is reopened */
        /* a message the mirror's own limits refuse (discard new, size) is left out */
    }
    return false;
}

size_t store_mirror_count(const store *st)
{
    return st->nmirrors;
}

bool store_sync_mirrors(store *st, int64_t now_ns, size_t budget)
{
    if (st->nmirrors == 0)
        return false;
    bool more = false;
    for (size_t i = 0; i < st->nstreams; i++)
        if (st->streams[i]->cfg.mirror)
            more |= sync_one(st, st->streams[i], now_ns, &budget);
    return more;
}

bool stream_mirror_status(stream *s, uint64_t *lag, int64_t *last_contact_ns)
{
    if (!s->cfg.mirror)
        return false;
    *lag = 0;
    *last_contact_ns = s->mirror_contact_ns;
    stream *origin = store_stream_find(s->st, json_string_value(json_object_get(s->cfg.mirror, "name")));
    uint64_t next = s->mirror_next > s->state.last_seq ? s->mirror_next : s->state.last_seq + 1;
    if (origin && next <= origin->state.last_seq)
        *lag = stream_count_matching(origin, s->mirror_filter, next);
    return true;
}

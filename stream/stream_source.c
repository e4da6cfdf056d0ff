/*
 * stream_source.c — sources within one store: a stream whose config lists sources gets every
 * message those streams commit (through each source's filter and subject transforms, see
 * stream_feed.c), appended under its own sequences and time as a publish would be, with a
 * `Nats-Stream-Source: <origin> <origin seq> <filter> <dest>` header saying where it came from
 * (nats-server 2.10's format; one such header, the origin's own replaced when sources chain).
 * Expectation headers of the origin's publish are dropped, as nats-server does since 2.11:
 * they were checked there. Message ids still deduplicate. After a restart each source resumes
 * after the newest message it brought, found from those headers.
 */
#include "stream_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HDR_STREAM_SOURCE "Nats-Stream-Source"
#define HDR_EXPECTED_PREFIX "Nats-Expected-"

void stream_sources_release(stream *s)
{
    for (size_t i = 0; i < s->nsources; i++)
        stream_feed_release(&s->sources[i]);
    free(s->sources);
    s->sources = NULL;
    s->nsources = 0;
}

int stream_sources_compile(stream *s)
{
    size_t n = json_array_size(s->cfg.sources);
    stream_feed *fs = n ? calloc(n, sizeof *fs) : NULL;
    if (n && !fs)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const json_t *src = json_array_get(s->cfg.sources, i);
        if (stream_feed_compile(&fs[i], src) < 0 || !(fs[i].tag = stream_config_source_tag(src))) {
            for (size_t k = 0; k <= i; k++)
                stream_feed_release(&fs[k]);
            free(fs);
            return -1;
        }
        /* a source the update keeps goes on where it was */
        for (size_t k = 0; k < s->nsources; k++) {
            if (strcmp(s->sources[k].tag, fs[i].tag) == 0) {
                fs[i].next = s->sources[k].next;
                fs[i].contact_ns = s->sources[k].contact_ns;
            }
        }
        if (!fs[i].next) {
            s->sources_scanned = false;
            s->sources_scan_seq = 0;
        }
    }
    stream_sources_release(s);
    s->sources = fs;
    s->nsources = n;
    return 0;
}

/* nats-server's startingSequenceForSources: each source not positioned yet resumes after the
 * newest message it brought, read from the Nats-Stream-Source headers from the stream's end
 * back. A source that brought none starts at its configured start (stream_feed_start). The
 * reads count against *budget, so that a long stream is scanned over several loop iterations;
 * true when the scan stopped at the budget and goes on at the next call. */
static bool position_sources(stream *s, size_t *budget)
{
    size_t left = 0;
    for (size_t i = 0; i < s->nsources; i++)
        left += s->sources[i].next == 0;
    uint64_t seq = s->sources_scan_seq ? s->sources_scan_seq : s->state.last_seq;
    for (; left > 0 && seq >= s->state.first_seq && seq > 0; seq--) {
        if (*budget == 0) {
            s->sources_scan_seq = seq;
            return true;
        }
        (*budget)--;
        stream_msg m;
        jserr err;
        if (stream_get(s, seq, &m, &err) < 0)
            continue;
        nats_slice v;
        if (m.hdr_len && nats_header_find(m.hdr, m.hdr_len, HDR_STREAM_SOURCE, &v) && v.ptr) {
            /* "<origin> <seq> <filter> <dest>": the index name is the value without the seq */
            const char *end = v.ptr + v.len;
            const char *sp1 = memchr(v.ptr, ' ', v.len);
            const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1)) : NULL;
            uint64_t oseq = 0;
            for (const char *q = sp1 ? sp1 + 1 : end; q < (sp2 ? sp2 : end) && *q >= '0' && *q <= '9'; q++)
                oseq = oseq * 10 + (uint64_t)(*q - '0');
            for (size_t i = 0; sp2 && oseq && i < s->nsources; i++) {
                stream_feed *f = &s->sources[i];
                size_t nl = (size_t)(sp1 - v.ptr), rl = (size_t)(end - sp2);
                if (f->next == 0 && strlen(f->tag) == nl + rl &&
                    memcmp(f->tag, v.ptr, nl) == 0 && memcmp(f->tag + nl, sp2, rl) == 0) {
                    f->next = oseq + 1;
                    left--;
                }
            }
        }
        stream_msg_free(&m);
    }
    s->sources_scanned = true;
    s->sources_scan_seq = 0;
    return false;
}

static bool is_expectation(nats_slice key)
{
    size_t n = strlen(HDR_EXPECTED_PREFIX);
    return key.len >= n && memcmp(key.ptr, HDR_EXPECTED_PREFIX, n) == 0;
}

/* Whether the origin's block carries lines a sourced copy must not keep: a Nats-Stream-Source
 * (the origin is itself a sourcing stream) or Nats-Expected-* (checked at the origin). */
static bool needs_rewrite(const stream_msg *m)
{
    static const char expected[] = "\r\n" HDR_EXPECTED_PREFIX;
    nats_slice v;
    return m->hdr_len > 0 && (nats_header_find(m->hdr, m->hdr_len, HDR_STREAM_SOURCE, &v) ||
                              memmem(m->hdr, m->hdr_len, expected, sizeof expected - 1));
}

/* The lines a sourced copy leaves out: the origin's own Nats-Stream-Source (ours replaces it)
 * and its Nats-Expected-* (checked at the origin). */
static bool dropped_line(nats_slice key, void *arg)
{
    (void)arg;
    return is_expectation(key) || (key.len == strlen(HDR_STREAM_SOURCE) &&
                                   memcmp(key.ptr, HDR_STREAM_SOURCE, key.len) == 0);
}

static int put_sourced(stream *s, const stream_feed *f, const char *subject, size_t len,
                       const stream_msg *m, int64_t now_ns, jserr *err)
{
    static const char key[] = HDR_STREAM_SOURCE ": ";
    size_t nl = strlen(f->origin), cap = sizeof key + strlen(f->tag) + 24;
    char *line = malloc(cap);
    if (!line) {
        jserr_set(err, JSERR_STREAM_GENERAL_ERROR, "err", "out of memory", NULL);
        return -1;
    }
    int n = snprintf(line, cap, "%s%s %" PRIu64 "%s\r\n", key, f->origin, m->seq, f->tag + nl);
    /* most blocks only get our line appended; one with lines to drop is copied without them,
     * and one whose lines do not all end in CRLF keeps them rather than losing the message */
    size_t hlen = 0;
    char *hdr = needs_rewrite(m) ? nats_header_extend_without(m->hdr, m->hdr_len, dropped_line,
                                                              NULL, line, (size_t)n, &hlen)
                                 : NULL;
    if (!hdr)
        hdr = nats_header_extend(m->hdr, m->hdr_len, line, (size_t)n, &hlen);
    free(line);
    if (!hdr) {
        jserr_set(err, JSERR_STREAM_GENERAL_ERROR, "err", "out of memory", NULL);
        return -1;
    }
    stream_ack ack;
    uint64_t last = stream_feed_told(s) ? stream_subject_last_seq(s, subject, len) : 0;
    int rc = stream_append(s, subject, len, hdr, hlen, m->data, m->data_len, now_ns, &ack, err);
    if (rc == 0 && !ack.duplicate) {
        stream_stored st = {subject, len, hdr, hlen, m->data, m->data_len, ack.seq, now_ns, last};
        stream_feed_tell(s, &st);
    }
    free(hdr);
    return rc;
}

bool stream_sources_sync(stream *s, int64_t now_ns, size_t *budget)
{
    if (!s->sources_scanned && position_sources(s, budget))
        return true;
    bool more = false;
    for (size_t i = 0; i < s->nsources; i++) {
        stream_feed *f = &s->sources[i];
        stream *origin = store_stream_find(s->st, f->origin);
        if (!origin || origin == s)
            continue;
        if (f->next == 0)
            f->next = stream_feed_start(json_array_get(s->cfg.sources, i), origin);
        more |= stream_feed_copy(s, f, origin, now_ns, budget, put_sourced);
    }
    return more;
}

size_t stream_source_count(const stream *s)
{
    return s->nsources;
}

const json_t *stream_source_status(stream *s, size_t i, uint64_t *lag, int64_t *last_contact_ns)
{
    if (i >= s->nsources)
        return NULL;
    stream_feed *f = &s->sources[i];
    *lag = f->next ? stream_feed_lag(f, store_stream_find(s->st, f->origin)) : 0;
    *last_contact_ns = f->contact_ns;
    return json_array_get(s->cfg.sources, i);
}

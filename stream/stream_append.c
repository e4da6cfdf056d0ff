/*
 * stream_append.c — storing one published message with nats-server's publish-time rules in its
 * order (processJetStreamMsg, then the store's storeRawMsg): sealed; with headers, expected
 * stream, TTL allowed, expected last subject sequence, expected last sequence, Nats-Msg-Id
 * dedup, expected last msg id, rollup allowed; then message size, header size, TTL value, the
 * discard-new limits; the write into the batch; then the per-subject, message and byte limits
 * (discard old) and the rollup purge.
 */
#include "stream_internal.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proto/duration.h"
#include "proto/nats_header.h"
#include "proto/subject.h"

#define HDR_MSG_ID "Nats-Msg-Id"
#define HDR_EXPECTED_STREAM "Nats-Expected-Stream"
#define HDR_EXPECTED_LAST_SEQ "Nats-Expected-Last-Sequence"
#define HDR_EXPECTED_LAST_SUBJ_SEQ "Nats-Expected-Last-Subject-Sequence"
#define HDR_EXPECTED_LAST_SUBJ_SEQ_SUBJ "Nats-Expected-Last-Subject-Sequence-Subject"
#define HDR_EXPECTED_LAST_MSG_ID "Nats-Expected-Last-Msg-Id"
#define HDR_ROLLUP "Nats-Rollup"
#define HDR_TTL "Nats-TTL"

#define MAX_HEADER_SIZE 65535

/* A header with a non-empty value (nats-server treats an empty value as absent). */
static bool header(const char *hdr, size_t hlen, const char *key, nats_slice *v)
{
    return hlen > 0 && nats_header_find(hdr, hlen, key, v) && v->ptr && v->len > 0;
}

static bool slice_eq(nats_slice v, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return v.len == n && (n == 0 || memcmp(v.ptr, s, n) == 0);
}

/* A decimal sequence as nats-server's parseInt64 reads it; anything else becomes UINT64_MAX
 * (its -1), which no real sequence matches. */
static uint64_t slice_seq(nats_slice v)
{
    if (v.len == 0 || v.len > 19)
        return UINT64_MAX;
    uint64_t n = 0;
    for (size_t i = 0; i < v.len; i++) {
        if (v.ptr[i] < '0' || v.ptr[i] > '9')
            return UINT64_MAX;
        n = n * 10 + (uint64_t)(v.ptr[i] - '0');
    }
    return n;
}

static void set_seq_err(jserr *err, jserr_id id, uint64_t seq)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRIu64, seq);
    jserr_set(err, id, "seq", buf, NULL);
}

/* Nats-TTL as nats-server's parseMessageTTL reads it: "never" (-1), a Go duration of at least
 * one second, or a number of seconds. Returns 0 with seconds, or -1 when invalid (then *secs is
 * 0, as nats-server's value on error). */
static int parse_ttl(nats_slice v, int64_t *secs)
{
    char buf[64];
    *secs = 0;
    if (v.len >= sizeof buf)
        return -1;
    memcpy(buf, v.ptr, v.len);
    buf[v.len] = 0;
    if (strcasecmp(buf, "never") == 0) {
        *secs = -1;
        return 0;
    }
    int64_t ns;
    if (duration_parse_go(buf, &ns) == 0) {
        if (ns < 1000000000LL)
            return -1;
        *secs = ns / 1000000000LL;
        return 0;
    }
    uint64_t n = slice_seq(v);
    if (n == UINT64_MAX || n > INT64_MAX / 1000000000LL)
        return -1;
    *secs = (int64_t)n;
    return 0;
}

static void store_failed(jserr *err, const char *why)
{
    jserr_set(err, JSERR_STREAM_STORE_FAILED, "err", why, NULL);
}

/* Go's %q of a short string, enough for error texts. */
static void go_quote(const char *p, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    out[o++] = '"';
    for (size_t i = 0; i < n && o + 6 < cap; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else if (c < 0x20 || c == 0x7f) {
            o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
        } else {
            out[o++] = (char)c;
        }
    }
    out[o++] = '"';
    out[o] = 0;
}

/* Last sequence stored on a subject or wildcard filter (0 when none). */
static uint64_t last_for_subject(stream *s, const char *subj, size_t len)
{
    if (!subject_has_wildcard(subj, len)) {
        subj_entry *e = strmap_get(&s->subjects, subj, len);
        return e ? stream_subject_last(s, e) : 0;
    }
    char *filter = strndup(subj, len);
    if (!filter)
        return 0;
    stream_msg m;
    jserr ignored;
    uint64_t seq = 0;
    if (stream_get_last(s, filter, &m, &ignored) == 0) {
        seq = m.seq;
        stream_msg_free(&m);
    }
    free(filter);
    return seq;
}

/* The per-subject limit: the oldest messages of a subject go while it has too many. */
static void trim_subject(stream *s, subj_entry *e)
{
    const stream_config *c = &s->cfg;
    if (c->max_msgs_per_subject <= 0)
        return;
    while (e->count > (uint64_t)c->max_msgs_per_subject) {
        uint64_t before = e->count;
        if (stream_remove_subject_first(s, e) < 0 || before == 1)
            break; /* e is freed once its count reaches 0 */
    }
}

/* Message and byte limits with discard old: the oldest messages go until the stream fits. */
static void trim_stream(stream *s)
{
    const stream_config *c = &s->cfg;
    if (c->discard != STREAM_DISCARD_OLD)
        return;
    while (c->max_msgs > 0 && s->state.msgs > (uint64_t)c->max_msgs)
        if (stream_remove_seq(s, s->state.first_seq) < 0)
            break;
    while (c->max_bytes > 0 && s->state.bytes > (uint64_t)c->max_bytes && s->state.msgs > 0)
        if (stream_remove_seq(s, s->state.first_seq) < 0)
            break;
}

void stream_enforce_limits(stream *s)
{
    if (s->cfg.max_msgs_per_subject > 0) {
        /* collect first: trimming removes entries from the map being walked */
        size_t n = 0;
        char **over = malloc((s->subjects.count + 1) * sizeof *over);
        for (size_t i = 0; over && i < s->subjects.cap; i++) {
            subj_entry *e = s->subjects.slots[i].key ? s->subjects.slots[i].value : NULL;
            if (e && e->count > (uint64_t)s->cfg.max_msgs_per_subject)
                over[n++] = strndup(e->subject, e->subject_len);
        }
        for (size_t i = 0; i < n; i++) {
            subj_entry *e = over[i] ? strmap_get(&s->subjects, over[i], strlen(over[i])) : NULL;
            if (e)
                trim_subject(s, e);
            free(over[i]);
        }
        free(over);
    }
    trim_stream(s);
    stream_save_seq_state(s);
}

/* nats-server's discard-new checks of storeRawMsg. 0, or -1 with err. */
static int check_discard_new(stream *s, const char *subject, size_t subject_len, bool rollup,
                             uint64_t size, jserr *err)
{
    const stream_config *c = &s->cfg;
    subj_entry *e = strmap_get(&s->subjects, subject, subject_len);
    /* at the subject limit, the append replaces the subject's oldest message */
    bool asl = c->max_msgs_per_subject > 0 && e && e->count >= (uint64_t)c->max_msgs_per_subject;
    if (asl && c->discard_new_per_subject && !rollup) {
        store_failed(err, "maximum messages per subject exceeded");
        return -1;
    }
    if (c->max_msgs > 0 && s->state.msgs >= (uint64_t)c->max_msgs && !asl) {
        store_failed(err, "maximum messages exceeded");
        return -1;
    }
    if (c->max_bytes > 0 && s->state.bytes + size > (uint64_t)c->max_bytes) {
        bool room = false;
        if (asl) {
            stream_msg m;
            uint64_t first = stream_subject_first(s, e);
            if (first && stream_read(s, first, &m) == 0) {
                room = stream_msg_size(s, m.subject_len, m.hdr_len, m.data_len) >= size;
                stream_msg_free(&m);
            }
        }
        if (!room) {
            store_failed(err, "maximum bytes exceeded");
            return -1;
        }
    }
    return 0;
}

/* Rollup: purge the subject ("sub") or the stream ("all") keeping only the newest message. */
static int rollup(stream *s, const char *subject, size_t subject_len, bool all, jserr *err)
{
    stream_purge_req req = {.keep = 1};
    char *filter = NULL;
    if (!all) {
        filter = strndup(subject, subject_len);
        if (!filter) {
            store_failed(err, "out of memory");
            return -1;
        }
        req.filter = filter;
    }
    uint64_t purged;
    char why[256];
    int rc = stream_purge_apply(s, &req, &purged, why, sizeof why);
    free(filter);
    if (rc < 0)
        jserr_set(err, JSERR_STREAM_ROLLUP_FAILED, "err", why, NULL);
    return rc;
}

/* A publish (mirror_seq 0), or a message copied from the origin of a mirror under its
 * sequence and timestamp (now_ns): the origin has applied the expectations and the dedup
 * already, and what the mirror does not allow (TTLs, rollups) is stored as a plain message
 * rather than refused, so the mirror never stalls on it. */
static int append(stream *s, const char *subject, size_t subject_len, const char *hdr,
                  size_t hdr_len, const char *data, size_t data_len, int64_t now_ns,
                  uint64_t mirror_seq, stream_ack *ack, jserr *err)
{
    const stream_config *c = &s->cfg;
    bool mirrored = mirror_seq > 0;
    nats_slice v;
    ack->seq = 0;
    ack->duplicate = false;
    jserr_clear(err);

    if (store_check_werr(s->st, err) < 0)
        return -1;
    if (c->sealed) {
        jserr_set(err, JSERR_STREAM_SEALED, NULL);
        return -1;
    }
    nats_slice msg_id = {0}, ttl_v = {0};
    bool has_id = false, has_ttl = false, rollup_sub = false, rollup_all = false;
    int64_t ttl_secs = 0;
    int ttl_rc = 0;
    if (hdr_len > 0 && mirrored) {
        has_ttl = c->allow_msg_ttl && header(hdr, hdr_len, HDR_TTL, &ttl_v);
        if (has_ttl)
            ttl_rc = parse_ttl(ttl_v, &ttl_secs);
        if (c->allow_rollup_hdrs && !c->deny_purge && header(hdr, hdr_len, HDR_ROLLUP, &v) &&
            v.len == 3) {
            rollup_sub = strncasecmp(v.ptr, "sub", 3) == 0;
            rollup_all = strncasecmp(v.ptr, "all", 3) == 0;
        }
    } else if (hdr_len > 0) {
        if (header(hdr, hdr_len, HDR_EXPECTED_STREAM, &v) && !slice_eq(v, c->name)) {
            jserr_set(err, JSERR_STREAM_NOT_MATCH, NULL);
            return -1;
        }
        has_ttl = header(hdr, hdr_len, HDR_TTL, &ttl_v);
        if (has_ttl)
            ttl_rc = parse_ttl(ttl_v, &ttl_secs);
        if (ttl_secs != 0 && !c->allow_msg_ttl) {
            jserr_set(err, JSERR_MESSAGE_TTL_DISABLED, NULL);
            return -1;
        }
        nats_slice subj_v;
        bool has_subj = header(hdr, hdr_len, HDR_EXPECTED_LAST_SUBJ_SEQ_SUBJ, &subj_v);
        if (header(hdr, hdr_len, HDR_EXPECTED_LAST_SUBJ_SEQ, &v)) {
            uint64_t have = has_subj ? last_for_subject(s, subj_v.ptr, subj_v.len)
                                     : last_for_subject(s, subject, subject_len);
            if (slice_seq(v) != have) {
                set_seq_err(err, JSERR_STREAM_WRONG_LAST_SEQUENCE, have);
                return -1;
            }
        } else if (has_subj) {
            jserr_set(err, JSERR_STREAM_EXPECTED_LAST_SEQ_PER_SUBJECT_INVALID, NULL);
            return -1;
        }
        if (header(hdr, hdr_len, HDR_EXPECTED_LAST_SEQ, &v) && slice_seq(v) != s->state.last_seq) {
            set_seq_err(err, JSERR_STREAM_WRONG_LAST_SEQUENCE, s->state.last_seq);
            return -1;
        }
        has_id = header(hdr, hdr_len, HDR_MSG_ID, &msg_id);
        if (has_id) {
            stream_dedup_expire(s, now_ns);
            dedup_entry *d = strmap_get(&s->dedup, msg_id.ptr, msg_id.len);
            if (d) {
                ack->seq = d->seq;
                ack->duplicate = true;
                return 0;
            }
        }
        if (header(hdr, hdr_len, HDR_EXPECTED_LAST_MSG_ID, &v) && !slice_eq(v, s->last_msg_id)) {
            jserr_set(err, JSERR_STREAM_WRONG_LAST_MSG_ID, "id", s->last_msg_id ? s->last_msg_id : "",
                      NULL);
            return -1;
        }
        if (header(hdr, hdr_len, HDR_ROLLUP, &v)) {
            if (!s->appending_marker && (!c->allow_rollup_hdrs || c->deny_purge)) {
                jserr_set(err, JSERR_STREAM_ROLLUP_FAILED, "err", "rollup not permitted", NULL);
                return -1;
            }
            char lower[128], quoted[300], why[400];
            size_t n = v.len < sizeof lower - 1 ? v.len : sizeof lower - 1;
            for (size_t i = 0; i < n; i++)
                lower[i] = (char)tolower((unsigned char)v.ptr[i]);
            lower[n] = 0;
            if (v.len == 3 && strcmp(lower, "sub") == 0) {
                rollup_sub = true;
            } else if (v.len == 3 && strcmp(lower, "all") == 0) {
                rollup_all = true;
            } else {
                go_quote(lower, n, quoted, sizeof quoted);
                snprintf(why, sizeof why, "rollup value invalid: %s", quoted);
                jserr_set(err, JSERR_STREAM_ROLLUP_FAILED, "err", why, NULL);
                return -1;
            }
        }
    }
    if (c->max_msg_size >= 0 &&
        (hdr_len > (size_t)c->max_msg_size || data_len > (size_t)c->max_msg_size - hdr_len)) {
        jserr_set(err, JSERR_STREAM_MESSAGE_EXCEEDS_MAXIMUM, NULL);
        return -1;
    }
    if (hdr_len > MAX_HEADER_SIZE) {
        jserr_set(err, JSERR_STREAM_HEADER_EXCEEDS_MAXIMUM, NULL);
        return -1;
    }
    if (ttl_rc < 0) {
        jserr_set(err, JSERR_MESSAGE_TTL_INVALID, NULL);
        return -1;
    }
    /* With subject delete markers, a message may not expire before the marker would (ADR-43):
     * its TTL is raised to the markers' TTL and its Nats-TTL header rewritten to say so. */
    char *raised = NULL;
    int64_t sdm_secs = c->subject_delete_marker_ttl_ns / 1000000000LL;
    if (ttl_secs > 0 && sdm_secs > 0 && c->max_msgs_per_subject != 1 && ttl_secs < sdm_secs) {
        ttl_secs = sdm_secs;
        char val[24];
        int n = snprintf(val, sizeof val, "%lld", (long long)ttl_secs);
        size_t raised_len;
        if ((raised = nats_header_set(hdr, hdr_len, HDR_TTL, val, (size_t)n, &raised_len))) {
            hdr = raised;
            hdr_len = raised_len;
        }
    }
    uint64_t size = stream_msg_size(s, subject_len, hdr_len, data_len);
    if (c->discard == STREAM_DISCARD_NEW &&
        check_discard_new(s, subject, subject_len, rollup_sub || rollup_all, size, err) < 0) {
        free(raised);
        return -1;
    }

    uint64_t seq = mirrored ? mirror_seq : s->state.last_seq + 1;
    record_view r = {
        .flags = 0,
        .ts_ns = now_ns,
        .ttl_ns = ttl_secs > 0 ? ttl_secs * 1000000000LL : ttl_secs, /* -1: never */
        .subject = subject,
        .subject_len = subject_len,
        .hdr = hdr,
        .hdr_len = hdr_len,
        .data = data,
        .data_len = data_len,
    };
    subj_entry *e = stream_store_record(s, seq, &r);
    free(raised); /* the record holds its own copy now */
    stream_set_last_msg_id(s, has_id ? msg_id.ptr : NULL, has_id ? msg_id.len : 0);
    if (has_id)
        stream_dedup_add(s, msg_id.ptr, msg_id.len, seq, now_ns);
    if (ttl_secs > 0 && c->allow_msg_ttl)
        stream_ttl_push(s, now_ns + ttl_secs * 1000000000LL, seq);

    trim_subject(s, e);
    trim_stream(s);
    ack->seq = seq;
    if ((rollup_sub || rollup_all) && rollup(s, subject, subject_len, rollup_all, err) < 0)
        return -1;
    /* limits may have removed the new message itself: its sequence must survive a restart */
    if (s->state.msgs == 0)
        stream_save_seq_state(s);
    return 0;
}

int stream_append(stream *s, const char *subject, size_t subject_len, const char *hdr,
                  size_t hdr_len, const char *data, size_t data_len, int64_t now_ns,
                  stream_ack *ack, jserr *err)
{
    return append(s, subject, subject_len, hdr, hdr_len, data, data_len, now_ns, 0, ack, err);
}

int stream_append_mirrored(stream *s, const char *subject, size_t subject_len,
                           const stream_msg *m, jserr *err)
{
    stream_ack ack;
    if (m->seq <= s->state.last_seq)
        return 0; /* had it already */
    return append(s, subject, subject_len, m->hdr, m->hdr_len, m->data, m->data_len, m->ts_ns,
                  m->seq, &ack, err);
}


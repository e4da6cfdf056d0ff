/*
 * jsapi_msg.c — reading and deleting single messages: STREAM.MSG.GET (a JSON reply with the
 * message in base64), STREAM.MSG.DELETE (with or without secure erase), and the direct get of
 * ADR-31 ($JS.API.DIRECT.GET.<stream>, and .<stream>.<subject> for the last message on a
 * subject), which answers with the stored message itself plus Nats-Stream, Nats-Subject,
 * Nats-Sequence and Nats-Time-Stamp headers, batches ending in a "204 EOB" status, and
 * "404"/"408"/"413" statuses. Behaviour follows nats-server 2.11 (jsMsgGetRequest,
 * jsMsgDeleteRequest, processDirectGetRequest, getDirectRequest, getDirectMulti).
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsapi_internal.h"
#include "proto/gotime.h"

/* nats-server answers at most this many subjects in one multi_last direct get. */
#define MULTI_LAST_MAX 1024

/* The fields of JSApiMsgGetRequest that weir serves. */
typedef struct get_req {
    uint64_t seq;
    char *last_for;
    char *next_for;
    int64_t batch;
    int64_t max_bytes;
    jsapi_time start;
    jsapi_strv multi;
    uint64_t up_to_seq;
    jsapi_time up_to_time;
} get_req;

#define GET_REQ_FIELDS(q)                                   \
    {                                                       \
        {"seq", JF_U64, &(q).seq},                          \
        {"last_by_subj", JF_STRING, &(q).last_for},         \
        {"next_by_subj", JF_STRING, &(q).next_for},         \
        {"batch", JF_INT, &(q).batch},                      \
        {"max_bytes", JF_INT, &(q).max_bytes},              \
        {"start_time", JF_TIME, &(q).start},                \
        {"multi_last", JF_STRINGS, &(q).multi},             \
        {"up_to_seq", JF_U64, &(q).up_to_seq},              \
        {"up_to_time", JF_TIME, &(q).up_to_time},           \
    }
#define GET_REQ_NFIELDS 9

static bool set(const char *s)
{
    return s && *s;
}

static char *base64(const char *data, size_t len)
{
    size_t cap = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
    char *out = malloc(cap);
    if (out)
        sodium_bin2base64(out, cap, (const unsigned char *)data, len,
                          sodium_base64_VARIANT_ORIGINAL);
    return out;
}

/* ---------------- STREAM.MSG.GET ---------------- */

static json_t *stored_msg_json(const stream_msg *m)
{
    json_t *o = json_object();
    json_object_set_new(o, "subject", json_stringn(m->subject, m->subject_len));
    json_object_set_new(o, "seq", json_integer((json_int_t)m->seq));
    if (m->hdr_len) {
        char *b = base64(m->hdr, m->hdr_len);
        json_object_set_new(o, "hdrs", json_string(b ? b : ""));
        free(b);
    }
    if (m->data_len) {
        char *b = base64(m->data, m->data_len);
        json_object_set_new(o, "data", json_string(b ? b : ""));
        free(b);
    }
    char ts[GOTIME_RFC3339_MAX];
    json_object_set_new(o, "time", json_string(gotime_format_rfc3339nano(m->ts_ns, ts)));
    return o;
}

void jsapi_msg_get(jsapi_req *r)
{
    char name[1024];
    jsapi_token(r, 6, name, sizeof name);
    if (jsapi_body_is_empty_request(r->body, r->body_len)) {
        jsapi_fail_id(r, JSERR_BAD_REQUEST);
        return;
    }
    get_req q = {0};
    jsapi_field fields[] = GET_REQ_FIELDS(q);
    jserr e;
    if (jsapi_decode(r->body, r->body_len, "JSApiMsgGetRequest", fields, GET_REQ_NFIELDS, &e) < 0) {
        jsapi_fail(r, &e);
        return;
    }
    bool last = set(q.last_for), next = set(q.next_for);
    /* no batches here; seq, last_by_subj and start_time exclude each other; next_by_subj may
     * go with seq or start_time */
    if (q.batch > 0 || q.max_bytes > 0 || (q.seq > 0 && last) ||
        (q.seq == 0 && !last && !next && !q.start.set) || (q.seq > 0 && q.start.set) ||
        (q.start.set && last) || (last && next)) {
        jsapi_fields_free(fields, GET_REQ_NFIELDS);
        jsapi_fail_id(r, JSERR_BAD_REQUEST);
        return;
    }
    stream *st = store_stream_find(r->s->store, name);
    if (!st) {
        jsapi_fields_free(fields, GET_REQ_NFIELDS);
        jsapi_fail_id(r, JSERR_STREAM_NOT_FOUND);
        return;
    }
    uint64_t seq = q.start.set ? stream_seq_for_time(st, q.start.ns) : q.seq;
    stream_msg m;
    int rc;
    if (seq > 0 && !next)
        rc = stream_get(st, seq, &m, &e);
    else if (next)
        rc = stream_get_next(st, seq, q.next_for, &m, &e);
    else
        rc = stream_get_last(st, last ? q.last_for : NULL, &m, &e);
    jsapi_fields_free(fields, GET_REQ_NFIELDS);
    if (rc < 0) {
        jsapi_fail_id(r, JSERR_NO_MESSAGE_FOUND);
        return;
    }
    json_t *resp = jsapi_resp_new(r);
    json_object_set_new(resp, "message", stored_msg_json(&m));
    stream_msg_free(&m);
    /* nats-server sends this reply outside its API accounting */
    char *text = json_dumps(resp, JSON_COMPACT);
    if (text)
        jsapi_send_raw(r, NULL, 0, text, strlen(text));
    free(text);
    json_decref(resp);
}

/* ---------------- STREAM.MSG.DELETE ---------------- */

void jsapi_msg_delete(jsapi_req *r)
{
    char name[1024];
    jsapi_token(r, 6, name, sizeof name);
    if (jsapi_body_is_empty_request(r->body, r->body_len)) {
        jsapi_fail_id(r, JSERR_BAD_REQUEST);
        return;
    }
    uint64_t seq = 0;
    bool no_erase = false;
    jsapi_field fields[] = {{"seq", JF_U64, &seq}, {"no_erase", JF_BOOL, &no_erase}};
    jserr e;
    if (jsapi_decode(r->body, r->body_len, "JSApiMsgDeleteRequest", fields, 2, &e) < 0) {
        jsapi_fail(r, &e);
        return;
    }
    stream *st = store_stream_find(r->s->store, name);
    if (!st) {
        jsapi_fail_id(r, JSERR_STREAM_NOT_FOUND);
        return;
    }
    const stream_config *c = stream_get_config(st);
    if (c->sealed) {
        jsapi_fail_id(r, JSERR_STREAM_SEALED);
        return;
    }
    if (c->deny_delete) {
        jserr_set(&e, JSERR_STREAM_MSG_DELETE_FAILED, "err", "message delete not permitted", NULL);
        jsapi_fail(r, &e);
        return;
    }
    int rc = stream_delete_msg(st, seq, !no_erase, &e);
    jserr ce;
    if (jsapi_commit(r, &ce) < 0) {
        jsapi_fail(r, &ce);
        return;
    }
    json_t *resp = jsapi_resp_new(r);
    if (rc < 0)
        jsapi_resp_set_error(resp, &e);
    else
        json_object_set_new(resp, "success", json_true());
    jsapi_send(r, resp, false); /* a failed delete is a normal response in nats-server */
}

/* ---------------- direct get ---------------- */

static void status(jsapi_req *r, const char *line)
{
    char hdr[128];
    int n = snprintf(hdr, sizeof hdr, "NATS/1.0 %s\r\n\r\n", line);
    jsapi_send_raw(r, hdr, (size_t)n, NULL, 0);
}

/* Sends one message with the direct get headers; with batch, Nats-Num-Pending and
 * Nats-Last-Sequence too. */
static void send_msg(jsapi_req *r, const char *stream_name, const stream_msg *m, bool batch,
                     uint64_t pending, uint64_t last_seq)
{
    char ts[GOTIME_RFC3339_MAX];
    gotime_format_rfc3339nano(m->ts_ns, ts);
    size_t base = m->hdr_len > 2 ? m->hdr_len - 2 : 0; /* the block without its final CRLF */
    size_t cap = (base ? base : 10) + strlen(stream_name) + m->subject_len + 200;
    char *h = malloc(cap);
    if (!h)
        return;
    size_t n;
    if (base) {
        memcpy(h, m->hdr, base);
        n = base;
    } else {
        n = (size_t)snprintf(h, cap, "NATS/1.0\r\n");
    }
    n += (size_t)snprintf(h + n, cap - n,
                          "Nats-Stream: %s\r\nNats-Subject: %.*s\r\nNats-Sequence: %" PRIu64
                          "\r\nNats-Time-Stamp: %s\r\n",
                          stream_name, (int)m->subject_len, m->subject, m->seq, ts);
    if (batch)
        n += (size_t)snprintf(h + n, cap - n,
                              "Nats-Num-Pending: %" PRIu64 "\r\nNats-Last-Sequence: %" PRIu64 "\r\n",
                              pending, last_seq);
    n += (size_t)snprintf(h + n, cap - n, "\r\n");
    jsapi_send_raw(r, h, n, m->data, m->data_len);
    free(h);
}

static int64_t max_bytes_of(jsapi_req *r, const get_req *q)
{
    if (q->max_bytes != 0)
        return q->max_bytes;
    return r->s->opts->max_pending; /* nats-server: the connection's max pending */
}

/* The single and batched forms (getDirectRequest). */
static void direct_get(jsapi_req *r, stream *st, const get_req *q)
{
    const char *name = stream_name(st);
    uint64_t seq = q->start.set ? stream_seq_for_time(st, q->start.ns) : q->seq;
    const char *next = set(q->next_for) ? q->next_for : NULL;
    bool is_batch = q->batch != 0;
    int64_t batch = is_batch ? q->batch : 1;
    uint64_t pending = is_batch ? stream_count_matching(st, next, seq) : 0, lseq = 0;
    int64_t mb = max_bytes_of(r, q), sent = 0;
    for (int64_t i = 0; i < batch; i++) {
        stream_msg m;
        jserr e;
        int rc;
        if (seq > 0 && !next) {
            rc = i == 0 && !is_batch ? stream_get(st, seq, &m, &e)
                                     : stream_get_next(st, seq, NULL, &m, &e);
            if (rc == 0)
                seq = m.seq + 1;
        } else if (next) {
            rc = stream_get_next(st, seq, next, &m, &e);
            if (rc == 0)
                seq = m.seq + 1;
        } else {
            rc = stream_get_last(st, set(q->last_for) ? q->last_for : NULL, &m, &e);
        }
        if (rc < 0) {
            if (batch > 1 && i > 0)
                break;
            status(r, "404 Message Not Found");
            return;
        }
        send_msg(r, name, &m, is_batch, pending, lseq);
        if (pending > 0)
            pending--;
        lseq = m.seq;
        sent += (int64_t)(m.subject_len + m.hdr_len + m.data_len);
        stream_msg_free(&m);
        if (sent >= mb)
            break;
    }
    if (is_batch) {
        char eob[160];
        snprintf(eob, sizeof eob,
                 "204 EOB\r\nNats-Num-Pending: %" PRIu64 "\r\nNats-Last-Sequence: %" PRIu64, pending,
                 lseq);
        status(r, eob);
    }
}

/* ---- multi_last ---- */

typedef struct multi_ctx {
    strmap subjects; /* subject → its last sequence (as a pointer-sized integer; 0 = none yet) */
    bool oom;
} multi_ctx;

static void add_subject(const char *subject, size_t len, uint64_t count, void *arg)
{
    multi_ctx *mc = arg;
    if (!mc->oom && !strmap_stored_key(&mc->subjects, subject, len) &&
        strmap_put(&mc->subjects, subject, len, NULL) < 0)
        mc->oom = true;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* nats-server's MultiLastSeqs: the last sequence at or below up_to of every subject matching a
 * filter, ascending. Returns the count (0: none), or -1 when out of memory; *too_many when more
 * than MULTI_LAST_MAX. *out is malloc'd. */
static long multi_last_seqs(stream *st, const jsapi_strv *filters, uint64_t up_to,
                            uint64_t **out, bool *too_many)
{
    *out = NULL;
    *too_many = false;
    stream_state state;
    stream_get_state(st, &state);
    if (state.msgs == 0)
        return 0;
    multi_ctx mc = {.oom = false};
    strmap_init(&mc.subjects);
    for (size_t i = 0; i < filters->n && !mc.oom; i++)
        stream_subject_totals(st, filters->v[i], add_subject, &mc);
    long n = 0;
    if (mc.oom)
        goto oom;
    if (up_to >= state.last_seq) {
        /* every subject has its last message at or below: the index has them */
        if (mc.subjects.count > MULTI_LAST_MAX) {
            *too_many = true;
            strmap_free(&mc.subjects);
            return 0;
        }
        for (size_t i = 0; i < mc.subjects.cap; i++) {
            strmap_entry *e = &mc.subjects.slots[i];
            stream_msg m;
            jserr err;
            if (e->key && stream_get_last(st, e->key, &m, &err) == 0) {
                e->value = (void *)(uintptr_t)m.seq;
                stream_msg_free(&m);
            }
        }
    } else {
        /* older lasts: one pass over the stream up to that sequence */
        stream_msg m;
        jserr err;
        uint64_t seq = state.first_seq;
        while (seq <= up_to && stream_get_next(st, seq, NULL, &m, &err) == 0) {
            if (m.seq > up_to) {
                stream_msg_free(&m);
                break;
            }
            const char *k = strmap_stored_key(&mc.subjects, m.subject, m.subject_len);
            if (k)
                strmap_put(&mc.subjects, m.subject, m.subject_len, (void *)(uintptr_t)m.seq);
            seq = m.seq + 1;
            stream_msg_free(&m);
        }
    }
    uint64_t *seqs = malloc((mc.subjects.count ? mc.subjects.count : 1) * sizeof *seqs);
    if (!seqs)
        goto oom;
    for (size_t i = 0; i < mc.subjects.cap; i++) {
        strmap_entry *e = &mc.subjects.slots[i];
        if (e->key && e->value)
            seqs[n++] = (uint64_t)(uintptr_t)e->value;
    }
    strmap_free(&mc.subjects);
    if (n > MULTI_LAST_MAX) {
        free(seqs);
        *too_many = true;
        return 0;
    }
    qsort(seqs, (size_t)n, sizeof *seqs, cmp_u64);
    *out = seqs;
    return n;
oom:
    strmap_free(&mc.subjects);
    return -1;
}

/* getDirectMulti */
static void direct_multi(jsapi_req *r, stream *st, const get_req *q)
{
    stream_state state;
    stream_get_state(st, &state);
    uint64_t up_to = q->up_to_seq;
    if (q->up_to_time.set) {
        up_to = stream_seq_for_time(st, q->up_to_time.ns);
        if (up_to <= state.first_seq) {
            status(r, "404 No Results");
            return;
        }
        up_to--; /* the first sequence at or after the time is the ceiling's successor */
    }
    if (up_to == 0)
        up_to = state.last_seq;
    uint64_t *seqs;
    bool too_many;
    long n = multi_last_seqs(st, &q->multi, up_to, &seqs, &too_many);
    if (n < 0) {
        status(r, "500 out of memory");
        return;
    }
    if (too_many) {
        status(r, "413 Too Many Results");
        return;
    }
    if (n == 0) {
        free(seqs);
        status(r, "404 No Results");
        return;
    }
    int64_t mb = max_bytes_of(r, q), sent_bytes = 0, sent = 0;
    uint64_t pending = (uint64_t)n - 1, lseq = 0;
    for (long i = 0; i < n; i++) {
        if (seqs[i] < q->seq) { /* seq is the lower bound of a following page */
            if (pending > 0)
                pending--;
            continue;
        }
        stream_msg m;
        jserr e;
        if (stream_get(st, seqs[i], &m, &e) < 0) {
            free(seqs);
            status(r, "404 Message Not Found");
            return;
        }
        send_msg(r, stream_name(st), &m, true, pending, lseq);
        if (pending > 0)
            pending--;
        lseq = m.seq;
        sent_bytes += (int64_t)(m.subject_len + m.hdr_len + m.data_len);
        stream_msg_free(&m);
        if (sent_bytes >= mb)
            break;
        sent++;
        if (q->batch > 0 && sent >= q->batch)
            break;
    }
    free(seqs);
    char eob[200];
    snprintf(eob, sizeof eob,
             "204 EOB\r\nNats-Num-Pending: %" PRIu64 "\r\nNats-Last-Sequence: %" PRIu64
             "\r\nNats-UpTo-Sequence: %" PRIu64,
             pending, lseq, up_to);
    status(r, eob);
}

/* Who answers a direct get for stream `name`: as in nats-server, the stream itself (with
 * allow_direct) and its mirrors with mirror_direct that are nearly caught up (fewer than 10
 * messages behind) form a queue group, and one of them, at random, answers. NULL: no
 * responder. */
static stream *direct_responder(store *sto, const char *name)
{
    stream *origin = store_stream_find(sto, name);
    stream *pick = origin && stream_get_config(origin)->allow_direct ? origin : NULL;
    size_t n = pick ? 1 : 0;
    for (size_t i = 0; store_mirror_count(sto) > 0 && i < store_stream_count(sto); i++) {
        stream *m = store_stream_at(sto, i);
        const stream_config *c = stream_get_config(m);
        uint64_t lag;
        int64_t contact;
        if (!c->mirror || !c->mirror_direct ||
            strcmp(json_string_value(json_object_get(c->mirror, "name")), name) != 0 ||
            !stream_mirror_status(m, &lag, &contact) || lag >= 10)
            continue;
        if ((size_t)rand() % ++n == 0) /* each of the n so far with chance 1/n */
            pick = m;
    }
    return pick;
}

bool jsapi_direct_get(jsapi_req *r)
{
    static const char pre[] = "$JS.API.DIRECT.GET.";
    if (strncmp(r->subject, pre, sizeof pre - 1) != 0)
        return false;
    const char *name = r->subject + sizeof pre - 1;
    const char *dot = strchr(name, '.');
    size_t nlen = dot ? (size_t)(dot - name) : strlen(name);
    char sname[1024];
    if (nlen == 0 || nlen >= sizeof sname)
        return false;
    memcpy(sname, name, nlen);
    sname[nlen] = '\0';
    stream *st = direct_responder(r->s->store, sname);
    if (!st)
        return false; /* no responder: the stream does not serve direct gets */
    if (!r->reply[0])
        return true;

    get_req q = {0};
    jsapi_field fields[] = GET_REQ_FIELDS(q);
    if (dot) {
        /* the subject-appended form: the last message on the subject after the stream name */
        if (r->body_len != 0 || dot[1] == '\0') {
            status(r, "408 Bad Request");
            return true;
        }
        q.last_for = (char *)(dot + 1);
        direct_get(r, st, &q);
        return true;
    }
    if (r->body_len == 0) {
        status(r, "408 Empty Request");
        return true;
    }
    jserr e;
    /* nats-server uses json.Unmarshal here: blanks alone are malformed too */
    if (jsapi_body_blank(r->body, r->body_len) ||
        jsapi_decode(r->body, r->body_len, "JSApiMsgGetRequest", fields, GET_REQ_NFIELDS, &e) < 0) {
        status(r, "408 Malformed Request");
        return true;
    }
    bool last = set(q.last_for), next = set(q.next_for), multi = q.multi.n > 0;
    if (q.seq == 0 && !last && !next && !multi && !q.start.set) {
        status(r, "408 Empty Request");
    } else if ((q.seq > 0 && last) || (q.seq > 0 && q.start.set) || (q.start.set && last) ||
               (last && next) || (last && q.batch > 0) || (last && multi) || (next && multi) ||
               (q.up_to_seq > 0 && q.up_to_time.set)) {
        status(r, "408 Bad Request");
    } else if (multi) {
        direct_multi(r, st, &q);
    } else {
        direct_get(r, st, &q);
    }
    jsapi_fields_free(fields, GET_REQ_NFIELDS);
    return true;
}

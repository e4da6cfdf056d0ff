/*
 * consumer.c — a consumer's configuration and delivery state (see consumer.h): config JSON,
 * the choice of the next message, the pending-ack set and acks, ack_wait and max_deliver.
 *
 * The pending set is an array sorted by stream sequence (new deliveries arrive in sequence
 * order; a redelivery keeps its slot). It is bounded by max_ack_pending, so linear scans are
 * fine; a message due for redelivery carries a flag rather than sitting in a second queue.
 */
#include "consumer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/subject.h"

#define NS_PER_S 1000000000LL

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
};

/* ---------------- config ---------------- */

static int fail(jserr *err, jserr_id id, const char *k, const char *v)
{
    jserr_set(err, id, k, v, NULL);
    return -1;
}

static int get_str(const json_t *j, const char *key, char **out, jserr *err)
{
    const json_t *v = json_object_get(j, key);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v)) {
        char msg[160];
        snprintf(msg, sizeof msg,
                 "json: cannot unmarshal %s into Go struct field ConsumerConfig.%s of type string",
                 json_is_number(v) ? "number" : json_is_object(v) ? "object" : "value", key);
        return fail(err, JSERR_INVALID_JSON, "err", msg);
    }
    if (json_string_length(v) == 0)
        return 0;
    *out = strdup(json_string_value(v));
    return 0;
}

static int get_int(const json_t *j, const char *key, int64_t *out, jserr *err)
{
    const json_t *v = json_object_get(j, key);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v)) {
        char msg[160];
        snprintf(msg, sizeof msg,
                 "json: cannot unmarshal %s into Go struct field ConsumerConfig.%s of type int64",
                 json_is_string(v) ? "string" : "value", key);
        return fail(err, JSERR_INVALID_JSON, "err", msg);
    }
    *out = json_integer_value(v);
    return 0;
}

static bool set_and_true(const json_t *j, const char *key)
{
    const json_t *v = json_object_get(j, key);
    if (!v || json_is_null(v) || json_is_false(v))
        return false;
    if (json_is_integer(v))
        return json_integer_value(v) != 0;
    if (json_is_string(v))
        return json_string_length(v) > 0;
    if (json_is_array(v))
        return json_array_size(v) > 0;
    return true;
}

static bool bad_name(const char *n)
{
    return n && strpbrk(n, ".*> \t\r\n") != NULL;
}

static bool has_path_separator(const char *n)
{
    return n && strpbrk(n, "/\\") != NULL;
}

int consumer_config_from_json(const json_t *j, consumer_config *out, jserr *err)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(j))
        return fail(err, JSERR_CONSUMER_CONFIG_REQUIRED, NULL, NULL);
    /* what weir does not do yet is refused, never ignored */
    static const char *const unsupported[] = {
        "deliver_subject", "deliver_group", "backoff", "rate_limit_bps", "idle_heartbeat",
        "flow_control", "headers_only", "sample_freq", "opt_start_time", "pause_until",
        "priority_groups", "max_batch", "max_expires", "max_bytes", "mem_storage"};
    for (size_t i = 0; i < sizeof unsupported / sizeof unsupported[0]; i++)
        if (set_and_true(j, unsupported[i])) {
            char msg[128];
            snprintf(msg, sizeof msg, "consumer option %s is not supported by weir yet",
                     unsupported[i]);
            consumer_config_free(out);
            return fail(err, JSERR_CONSUMER_CREATE, "err", msg);
        }
    char *dp = NULL, *ap = NULL, *rp = NULL;
    int64_t start = 0, ack_wait = 0, max_deliver = 0, map = 0, mw = 0, inact = 0, repl = 0;
    if (get_str(j, "durable_name", &out->durable_name, err) < 0 ||
        get_str(j, "name", &out->name, err) < 0 ||
        get_str(j, "description", &out->description, err) < 0 ||
        get_str(j, "filter_subject", &out->filter_subject, err) < 0 ||
        get_str(j, "deliver_policy", &dp, err) < 0 || get_str(j, "ack_policy", &ap, err) < 0 ||
        get_str(j, "replay_policy", &rp, err) < 0 ||
        get_int(j, "opt_start_seq", &start, err) < 0 ||
        get_int(j, "ack_wait", &ack_wait, err) < 0 ||
        get_int(j, "max_deliver", &max_deliver, err) < 0 ||
        get_int(j, "max_ack_pending", &map, err) < 0 ||
        get_int(j, "max_waiting", &mw, err) < 0 ||
        get_int(j, "inactive_threshold", &inact, err) < 0 ||
        get_int(j, "num_replicas", &repl, err) < 0)
        goto bad;
    const json_t *fs = json_object_get(j, "filter_subjects");
    if (fs && !json_is_null(fs)) {
        if (!json_is_array(fs)) {
            fail(err, JSERR_INVALID_JSON, "err",
                 "json: cannot unmarshal value into Go struct field "
                 "ConsumerConfig.filter_subjects of type []string");
            goto bad;
        }
        size_t n = json_array_size(fs);
        out->filter_subjects = calloc(n ? n : 1, sizeof(char *));
        for (size_t i = 0; i < n; i++) {
            const json_t *v = json_array_get(fs, i);
            if (!json_is_string(v)) {
                fail(err, JSERR_INVALID_JSON, "err",
                     "json: cannot unmarshal value into Go struct field "
                     "ConsumerConfig.filter_subjects of type string");
                goto bad;
            }
            out->filter_subjects[out->nfilters++] = strdup(json_string_value(v));
        }
    }
    const json_t *md = json_object_get(j, "metadata");
    if (md && json_is_object(md) && json_object_size(md) > 0)
        out->metadata = json_deep_copy(md);

    if (has_path_separator(out->durable_name) || has_path_separator(out->name)) {
        fail(err, JSERR_CONSUMER_NAME_CONTAINS_PATH_SEPARATORS, NULL, NULL);
        goto bad;
    }
    if (bad_name(out->durable_name)) {
        fail(err, JSERR_CONSUMER_BAD_DURABLE_NAME, NULL, NULL);
        goto bad;
    }
    if (bad_name(out->name)) {
        fail(err, JSERR_CONSUMER_BAD_DURABLE_NAME, NULL, NULL);
        goto bad;
    }
    if (out->durable_name && out->name && strcmp(out->durable_name, out->name) != 0) {
        fail(err, JSERR_CONSUMER_CREATE_DURABLE_AND_NAME_MISMATCH, NULL, NULL);
        goto bad;
    }
    if (out->durable_name && !out->name)
        out->name = strdup(out->durable_name);
    if (out->filter_subject && out->nfilters) {
        fail(err, JSERR_CONSUMER_DUPLICATE_FILTER_SUBJECTS, NULL, NULL);
        goto bad;
    }
    for (size_t i = 0; i < out->nfilters; i++) {
        if (!out->filter_subjects[i][0]) {
            fail(err, JSERR_CONSUMER_EMPTY_FILTER, NULL, NULL);
            goto bad;
        }
        for (size_t k = 0; k < i; k++)
            if (subject_filters_overlap(out->filter_subjects[i], strlen(out->filter_subjects[i]),
                                        out->filter_subjects[k],
                                        strlen(out->filter_subjects[k]))) {
                fail(err, JSERR_CONSUMER_OVERLAPPING_SUBJECT_FILTERS, NULL, NULL);
                goto bad;
            }
    }

    if (!dp || !strcmp(dp, "all") || !strcmp(dp, "undefined"))
        out->deliver_policy = CONSUMER_DELIVER_ALL;
    else if (!strcmp(dp, "last"))
        out->deliver_policy = CONSUMER_DELIVER_LAST;
    else if (!strcmp(dp, "new"))
        out->deliver_policy = CONSUMER_DELIVER_NEW;
    else if (!strcmp(dp, "by_start_sequence"))
        out->deliver_policy = CONSUMER_DELIVER_BY_START_SEQ;
    else if (!strcmp(dp, "by_start_time") || !strcmp(dp, "last_per_subject")) {
        char msg[128];
        snprintf(msg, sizeof msg, "deliver policy %s is not supported by weir yet", dp);
        fail(err, JSERR_CONSUMER_CREATE, "err", msg);
        goto bad;
    } else {
        fail(err, JSERR_INVALID_JSON, "err", "can not unmarshal \"" /* as nats-server */);
        snprintf(err->description, sizeof err->description, "can not unmarshal %.200s", dp);
        goto bad;
    }
    if (out->deliver_policy == CONSUMER_DELIVER_BY_START_SEQ && start <= 0) {
        fail(err, JSERR_CONSUMER_INVALID_POLICY, "err",
             "consumer delivery policy is deliver by start sequence, but optional start "
             "sequence is not set");
        goto bad;
    }
    if (out->deliver_policy != CONSUMER_DELIVER_BY_START_SEQ && start > 0) {
        fail(err, JSERR_CONSUMER_INVALID_POLICY, "err",
             "consumer delivery policy is not deliver by start sequence, but optional start "
             "sequence is also set");
        goto bad;
    }
    out->opt_start_seq = (uint64_t)(start > 0 ? start : 0);
    if (!ap || !strcmp(ap, "none"))
        out->ack_policy = CONSUMER_ACK_NONE;
    else if (!strcmp(ap, "all"))
        out->ack_policy = CONSUMER_ACK_ALL;
    else if (!strcmp(ap, "explicit"))
        out->ack_policy = CONSUMER_ACK_EXPLICIT;
    else {
        fail(err, JSERR_CONSUMER_ACK_POLICY_INVALID, NULL, NULL);
        goto bad;
    }
    if (rp && strcmp(rp, "instant") != 0) {
        if (!strcmp(rp, "original"))
            fail(err, JSERR_CONSUMER_CREATE, "err",
                 "replay policy original is not supported by weir yet");
        else
            fail(err, JSERR_CONSUMER_REPLAY_POLICY_INVALID, NULL, NULL);
        goto bad;
    }
    if (ack_wait < 0) {
        fail(err, JSERR_CONSUMER_ACK_WAIT_NEGATIVE, NULL, NULL);
        goto bad;
    }
    if (mw < 0) {
        fail(err, JSERR_CONSUMER_MAX_WAITING_NEGATIVE, NULL, NULL);
        goto bad;
    }
    if (repl > 1) {
        fail(err, JSERR_CONSUMER_REPLICAS_EXCEEDS_STREAM, NULL, NULL);
        goto bad;
    }
    if (map > 0 && out->ack_policy == CONSUMER_ACK_NONE) {
        fail(err, JSERR_CONSUMER_MAX_PENDING_ACK_POLICY_REQUIRED, NULL, NULL);
        goto bad;
    }
    out->ack_wait_ns = ack_wait > 0 ? ack_wait : 30 * NS_PER_S;
    out->max_deliver = max_deliver > 0 ? max_deliver : -1;
    out->max_ack_pending = out->ack_policy == CONSUMER_ACK_NONE ? 0 : map != 0 ? map : 1000;
    out->max_waiting = mw > 0 ? mw : 512;
    out->inactive_threshold_ns = inact > 0 ? inact : 0;
    if (!out->durable_name && out->inactive_threshold_ns == 0)
        out->inactive_threshold_ns = 5 * NS_PER_S;
    free(dp);
    free(ap);
    free(rp);
    return 0;
bad:
    free(dp);
    free(ap);
    free(rp);
    consumer_config_free(out);
    return -1;
}

json_t *consumer_config_to_json(const consumer_config *c)
{
    static const char *const dps[] = {"all", "last", "new", "by_start_sequence"};
    static const char *const aps[] = {"none", "all", "explicit"};
    json_t *j = json_object();
    if (c->durable_name)
        json_object_set_new(j, "durable_name", json_string(c->durable_name));
    if (c->name)
        json_object_set_new(j, "name", json_string(c->name));
    if (c->description)
        json_object_set_new(j, "description", json_string(c->description));
    json_object_set_new(j, "deliver_policy", json_string(dps[c->deliver_policy]));
    if (c->opt_start_seq)
        json_object_set_new(j, "opt_start_seq", json_integer((json_int_t)c->opt_start_seq));
    json_object_set_new(j, "ack_policy", json_string(aps[c->ack_policy]));
    json_object_set_new(j, "ack_wait", json_integer(c->ack_wait_ns));
    json_object_set_new(j, "max_deliver", json_integer(c->max_deliver));
    if (c->filter_subject)
        json_object_set_new(j, "filter_subject", json_string(c->filter_subject));
    if (c->nfilters) {
        json_t *a = json_array();
        for (size_t i = 0; i < c->nfilters; i++)
            json_array_append_new(a, json_string(c->filter_subjects[i]));
        json_object_set_new(j, "filter_subjects", a);
    }
    json_object_set_new(j, "replay_policy", json_string("instant"));
    json_object_set_new(j, "max_waiting", json_integer(c->max_waiting));
    if (c->max_ack_pending)
        json_object_set_new(j, "max_ack_pending", json_integer(c->max_ack_pending));
    if (c->inactive_threshold_ns)
        json_object_set_new(j, "inactive_threshold", json_integer(c->inactive_threshold_ns));
    json_object_set_new(j, "num_replicas", json_integer(0));
    if (c->metadata)
        json_object_set(j, "metadata", c->metadata);
    return j;
}

void consumer_config_free(consumer_config *c)
{
    free(c->durable_name);
    free(c->name);
    free(c->description);
    free(c->filter_subject);
    for (size_t i = 0; i < c->nfilters; i++)
        free(c->filter_subjects[i]);
    free(c->filter_subjects);
    json_decref(c->metadata);
    memset(c, 0, sizeof *c);
}

/* ---------------- the consumer ---------------- */

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

/* The first message at or after seq that matches any filter. 1 found, 0 none. */
static int next_matching(const consumer *c, stream *s, uint64_t seq, stream_msg *out)
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

consumer *consumer_new(stream *s, consumer_config *cfg, int64_t now_ns)
{
    consumer *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->cfg = *cfg;
    memset(cfg, 0, sizeof *cfg);
    c->created_ns = now_ns;
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

static uint64_t count_pending(const consumer *c, stream *s)
{
    const char *const *f;
    size_t n = filters(c, &f);
    if (n == 0)
        return stream_count_matching(s, NULL, c->next_sseq);
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += stream_count_matching(s, f[i], c->next_sseq);
    return total;
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
    out->num_pending = count_pending(c, s);
}

static bool at_max_ack_pending(const consumer *c)
{
    return c->cfg.ack_policy != CONSUMER_ACK_NONE && c->cfg.max_ack_pending > 0 &&
           c->np >= (uint64_t)c->cfg.max_ack_pending;
}

static void update_floor(consumer *c);

static pending *first_queued(consumer *c)
{
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
    return count_pending(c, s) > 0;
}

int consumer_next(consumer *c, stream *s, int64_t now_ns, consumer_delivery *out)
{
    return consumer_next_if(c, s, now_ns, NULL, NULL, out);
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
            size_t i = (size_t)(p - c->p);
            memmove(&c->p[i], &c->p[i + 1], (c->np - i - 1) * sizeof *p);
            c->np--;
            update_floor(c);
            return consumer_next_if(c, s, now_ns, fits, arg, out);
        }
        out->delivery_count = p->dc + 1;
        out->consumer_seq = c->dseq + 1;
        out->pending = count_pending(c, s);
        if (fits && !fits(out, arg)) {
            stream_msg_free(&out->msg);
            return 2;
        }
        p->dc++;
        p->cseq = ++c->dseq;
        p->ts_ns = now_ns;
        p->due_ns = now_ns + c->cfg.ack_wait_ns;
        p->queued = false;
        out->delivery_count = p->dc;
        out->consumer_seq = p->cseq;
        out->pending = count_pending(c, s);
        c->last_active_ns = now_ns;
        return 1;
    }
    if (at_max_ack_pending(c))
        return 0;
    if (!next_matching(c, s, c->next_sseq, &out->msg)) {
        /* nothing matches up to the end of the stream: as in nats-server, the delivered stream
         * sequence (and, with nothing pending, the ack floor) moves past what was scanned */
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
        return 0;
    }
    if (fits) {
        uint64_t was = c->next_sseq;
        c->next_sseq = out->msg.seq + 1;
        out->delivery_count = 1;
        out->consumer_seq = c->dseq + 1;
        out->pending = count_pending(c, s);
        c->next_sseq = was;
        if (!fits(out, arg)) {
            stream_msg_free(&out->msg);
            return 2;
        }
    }
    c->next_sseq = out->msg.seq + 1;
    c->sseq = out->msg.seq;
    c->dseq++;
    c->last_active_ns = now_ns;
    out->delivery_count = 1;
    out->consumer_seq = c->dseq;
    out->pending = count_pending(c, s);
    if (c->cfg.ack_policy == CONSUMER_ACK_NONE) {
        c->floor_cseq = c->dseq;
        c->floor_sseq = c->sseq;
        return 1;
    }
    if (c->np == c->pcap) {
        size_t cap = c->pcap ? c->pcap * 2 : 64;
        pending *n = realloc(c->p, cap * sizeof *n);
        if (!n) {
            stream_msg_free(&out->msg);
            return -1;
        }
        c->p = n;
        c->pcap = cap;
    }
    c->p[c->np++] = (pending){.sseq = out->msg.seq, .cseq = c->dseq, .dc = 1, .ts_ns = now_ns,
                              .due_ns = now_ns + c->cfg.ack_wait_ns};
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
        memmove(&c->p[i], &c->p[i + 1], (c->np - i - 1) * sizeof *p);
        c->np--;
        update_floor(c);
        return true;
    case CONSUMER_ACK_NAK:
        if (delay_ns > 0) {
            p->due_ns = now_ns + delay_ns;
            p->queued = false;
        } else {
            p->queued = true;
        }
        return true;
    case CONSUMER_ACK_WPI:
        p->due_ns = now_ns + c->cfg.ack_wait_ns;
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
                memmove(p, p + 1, (c->np - i - 1) * sizeof *p);
                c->np--;
                update_floor(c);
                due++;
                continue;
            }
            p->queued = true;
            due++;
        }
        i++;
    }
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
        memmove(&c->p[i], &c->p[i + 1], (c->np - i - 1) * sizeof *c->p);
        c->np--;
        changed = true;
    }
    if (changed)
        update_floor(c);
    return changed;
}

/* ---------------- persistence ---------------- */

json_t *consumer_state_to_json(const consumer *c)
{
    json_t *j = json_object();
    json_object_set_new(j, "created", json_integer(c->created_ns));
    json_object_set_new(j, "dseq", json_integer((json_int_t)c->dseq));
    json_object_set_new(j, "sseq", json_integer((json_int_t)c->sseq));
    json_object_set_new(j, "next", json_integer((json_int_t)c->next_sseq));
    json_object_set_new(j, "floor_c", json_integer((json_int_t)c->floor_cseq));
    json_object_set_new(j, "floor_s", json_integer((json_int_t)c->floor_sseq));
    json_object_set_new(j, "active", json_integer(c->last_active_ns));
    json_t *a = json_array();
    for (size_t i = 0; i < c->np; i++) {
        const pending *p = &c->p[i];
        json_array_append_new(a, json_pack("[IIIII]", (json_int_t)p->sseq, (json_int_t)p->cseq,
                                           (json_int_t)p->dc, (json_int_t)p->ts_ns,
                                           (json_int_t)p->due_ns));
    }
    json_object_set_new(j, "pending", a);
    return j;
}

static bool u64_of(const json_t *j, const char *key, uint64_t *out)
{
    const json_t *v = json_object_get(j, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return false;
    *out = (uint64_t)json_integer_value(v);
    return true;
}

consumer *consumer_restore(consumer_config *cfg, const json_t *state)
{
    consumer *c = calloc(1, sizeof *c);
    const json_t *a = json_object_get(state, "pending");
    uint64_t created = 0, active = 0;
    if (!c || !json_is_array(a) || !u64_of(state, "created", &created) ||
        !u64_of(state, "dseq", &c->dseq) || !u64_of(state, "sseq", &c->sseq) ||
        !u64_of(state, "next", &c->next_sseq) || !u64_of(state, "floor_c", &c->floor_cseq) ||
        !u64_of(state, "floor_s", &c->floor_sseq) || !u64_of(state, "active", &active))
        goto bad;
    c->created_ns = (int64_t)created;
    c->last_active_ns = (int64_t)active;
    size_t n = json_array_size(a);
    if (n) {
        c->p = calloc(n, sizeof *c->p);
        if (!c->p)
            goto bad;
        c->pcap = n;
    }
    for (size_t i = 0; i < n; i++) {
        json_int_t v[5];
        if (json_unpack(json_array_get(a, i), "[IIIII]", &v[0], &v[1], &v[2], &v[3], &v[4]) < 0)
            goto bad;
        c->p[c->np++] = (pending){.sseq = (uint64_t)v[0], .cseq = (uint64_t)v[1],
                                  .dc = (uint64_t)v[2], .ts_ns = v[3], .due_ns = v[4]};
    }
    c->cfg = *cfg;
    memset(cfg, 0, sizeof *cfg);
    return c;
bad:
    if (c)
        free(c->p);
    free(c);
    consumer_config_free(cfg);
    return NULL;
}

/*
 * jsapi_stream.c — the stream endpoints of the JetStream API: STREAM.CREATE, UPDATE, INFO,
 * DELETE, PURGE, NAMES and LIST, with nats-server's request types, checks in its order, paging
 * (ADR-1), extended purge (ADR-10) and StreamInfo as stream.go writes it (config, created,
 * state, cluster, ts).
 *
 * Account limits: weir serves one account with JetStream's dynamic (unlimited) account limits;
 * the server-wide max_memory_store / max_file_store are enforced on create and update as
 * nats-server's checkBytesLimits does, counting the max_bytes that streams reserve.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jetstream.h"
#include "jsapi_internal.h"
#include "proto/gojson.h"
#include "jsconsumer.h"
#include "proto/gotime.h"
#include "proto/subject.h"

/* ---------------- StreamInfo ---------------- */

static json_t *time_json(int64_t ns, bool zero)
{
    char buf[GOTIME_RFC3339_MAX];
    return json_string(zero ? GOTIME_ZERO : gotime_format_rfc3339nano(ns, buf));
}

/* The interior sequences that are gone: every gap between first_seq and last_seq. */
static json_t *deleted_json(stream *st, const stream_state *state)
{
    json_t *arr = json_array();
    uint64_t expect = state->first_seq;
    stream_msg m;
    jserr e;
    while (expect <= state->last_seq && stream_get_next(st, expect, NULL, &m, &e) == 0) {
        for (uint64_t q = expect; q < m.seq; q++)
            json_array_append_new(arr, json_integer((json_int_t)q));
        expect = m.seq + 1;
        stream_msg_free(&m);
    }
    return arr;
}

/* StreamState; `subjects` (stolen, may be NULL) goes where nats-server puts the subjects map. */
static json_t *state_json(stream *st, bool details, json_t *subjects)
{
    stream_state s;
    stream_get_state(st, &s);
    json_t *o = json_object();
    json_object_set_new(o, "messages", json_integer((json_int_t)s.msgs));
    json_object_set_new(o, "bytes", json_integer((json_int_t)s.bytes));
    /* a stream that never held a message starts at 0 in nats-server (unless first_seq is set) */
    uint64_t first = s.msgs == 0 && s.last_seq == 0 && stream_get_config(st)->first_seq == 0
                         ? 0
                         : s.first_seq;
    json_object_set_new(o, "first_seq", json_integer((json_int_t)first));
    json_object_set_new(o, "first_ts", time_json(s.first_ts_ns, s.msgs == 0 || !s.first_ts_ns));
    json_object_set_new(o, "last_seq", json_integer((json_int_t)s.last_seq));
    json_object_set_new(o, "last_ts", time_json(s.last_ts_ns, !s.last_ts_ns));
    if (s.num_subjects)
        json_object_set_new(o, "num_subjects", json_integer((json_int_t)s.num_subjects));
    if (subjects)
        json_object_set_new(o, "subjects", subjects);
    if (s.num_deleted)
        json_object_set_new(o, "num_deleted", json_integer((json_int_t)s.num_deleted));
    if (details && s.num_deleted)
        json_object_set_new(o, "deleted", deleted_json(st, &s));
    json_object_set_new(o, "consumer_count", json_integer(0)); /* set by info_json */
    return o;
}

/* StreamSourceInfo of a mirror or a source; active: ns since the origin was last seen, -1 when
 * never */
static json_t *source_info(const json_t *cfg, uint64_t lag, int64_t contact_ns)
{
    json_t *m = json_object();
    json_object_set_new(m, "name", json_incref(json_object_get(cfg, "name")));
    if (json_object_get(cfg, "filter_subject"))
        json_object_set_new(m, "filter_subject", json_incref(json_object_get(cfg, "filter_subject")));
    if (json_object_get(cfg, "subject_transforms"))
        json_object_set_new(m, "subject_transforms",
                            json_deep_copy(json_object_get(cfg, "subject_transforms")));
    json_object_set_new(m, "lag", json_integer((json_int_t)lag));
    int64_t since = jsapi_now_ns() - contact_ns;
    json_object_set_new(m, "active", json_integer(!contact_ns ? -1 : since > 0 ? since : 0));
    return m;
}

/* StreamInfo: config, created, state, mirror, sources, cluster (STREAM.INFO only,
 * with_cluster), ts. */
static json_t *info_json(server *s, stream *st, bool with_cluster, bool details,
                         json_t *subjects)
{
    json_t *o = json_object();
    json_object_set_new(o, "config", stream_config_to_json(stream_get_config(st)));
    json_object_set_new(o, "created", time_json(jsapi_stream_created(s, st), false));
    json_t *state = state_json(st, details, subjects);
    json_object_set_new(state, "consumer_count",
                        json_integer((json_int_t)jsc_count(s, stream_name(st))));
    json_object_set_new(o, "state", state);
    uint64_t lag;
    int64_t contact_ns;
    if (stream_mirror_status(st, &lag, &contact_ns))
        json_object_set_new(o, "mirror",
                            source_info(stream_get_config(st)->mirror, lag, contact_ns));
    size_t nsources = stream_source_count(st);
    if (nsources) {
        json_t *list = json_array();
        for (size_t i = 0; i < nsources; i++) {
            const json_t *src = stream_source_status(st, i, &lag, &contact_ns);
            json_array_append_new(list, source_info(src, lag, contact_ns));
        }
        json_object_set_new(o, "sources", list);
    }
    if (with_cluster) {
        /* nats-server 2.10+: a stream without a Raft group reports this server as its leader */
        json_t *c = json_object();
        json_object_set_new(c, "leader", json_string(s->server_name));
        json_object_set_new(o, "cluster", c);
    }
    json_object_set_new(o, "ts", time_json(jsapi_now_ns(), false));
    return o;
}

/* Copies every key of src into dst (after what dst holds) and releases src. */
static void merge(json_t *dst, json_t *src)
{
    json_object_update(dst, src);
    json_decref(src);
}

/* ---------------- limits ---------------- */

/* nats-server's checkBytesLimits with the server's limits (account limits are dynamic): the
 * max_bytes reserved by the other streams of the same storage, plus what this one adds, may
 * not exceed max_memory_store / max_file_store. `old` is the current config on update. */
static int check_limits(server *s, const stream_config *cfg, const stream_config *old, jserr *e)
{
    bool mem = cfg->storage == STREAM_STORAGE_MEMORY;
    int64_t limit = mem ? s->opts->max_memory_store : s->opts->max_file_store;
    if (limit <= 0)
        return 0;
    int64_t reserved = 0, add;
    for (size_t i = 0; i < store_stream_count(s->store); i++) {
        const stream_config *c = stream_get_config(store_stream_at(s->store, i));
        if (c->storage == cfg->storage && c->max_bytes > 0 && strcmp(c->name, cfg->name) != 0)
            reserved = reserved > INT64_MAX - c->max_bytes ? INT64_MAX : reserved + c->max_bytes;
    }
    if (old) {
        /* an update reserves only what max_bytes grows by */
        int64_t cur = old->max_bytes > 0 ? old->max_bytes : 0;
        int64_t next = cfg->max_bytes > 0 ? cfg->max_bytes : 0;
        reserved = reserved > INT64_MAX - cur ? INT64_MAX : reserved + cur;
        add = next > cur ? next - cur : 0;
    } else {
        add = cfg->max_bytes > 0 ? cfg->max_bytes : 1;
    }
    if (reserved > limit || add > limit - reserved) {
        jserr_set(e, mem ? JSERR_MEMORY_RESOURCES_EXCEEDED : JSERR_STORAGE_RESOURCES_EXCEEDED,
                  NULL);
        return -1;
    }
    return 0;
}

/* ---------------- create / update ---------------- */

/* A StreamConfigRequest body. Blanks and null decode to nothing, as in Go: then *has_cfg is
 * false. Returns 0 or -1 (e set). */
static int parse_config(const jsapi_req *r, stream_config *cfg, bool *has_cfg, jserr *e)
{
    *has_cfg = false;
    memset(cfg, 0, sizeof *cfg);
    if (jsapi_body_blank(r->body, r->body_len))
        return 0;
    char msg[256];
    if (!gojson_check(r->body, r->body_len, msg, sizeof msg)) {
        jserr_set(e, JSERR_INVALID_JSON, "err", msg, NULL);
        return -1;
    }
    json_error_t jerr;
    json_t *j = json_loadb(r->body, r->body_len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (!j) {
        jserr_set(e, JSERR_INVALID_JSON, "err", jerr.text, NULL);
        return -1;
    }
    if (json_is_null(j)) {
        json_decref(j);
        return 0;
    }
    int rc = stream_config_from_json(j, cfg, e);
    json_decref(j);
    if (rc == 0)
        *has_cfg = true;
    return rc;
}

static bool name_matches(const stream_config *cfg, bool has_cfg, const char *token)
{
    return has_cfg && cfg->name && strcmp(cfg->name, token) == 0;
}

static void reply_info(jsapi_req *r, stream *st, bool did_create)
{
    json_t *resp = jsapi_resp_new(r);
    merge(resp, info_json(r->s, st, false, false, NULL));
    if (did_create)
        json_object_set_new(resp, "did_create", json_true());
    jsapi_send(r, resp, false);
}

void jsapi_stream_create(jsapi_req *r)
{
    char name[1024];
    jsapi_token(r, 5, name, sizeof name);
    stream_config cfg;
    bool has_cfg;
    jserr e;
    jserr_clear(&e);
    if (parse_config(r, &cfg, &has_cfg, &e) < 0) {
        jsapi_fail(r, &e);
        return;
    }
    stream *st = NULL;
    if (!name_matches(&cfg, has_cfg, name)) {
        jserr_set(&e, JSERR_STREAM_MISMATCH, NULL);
        goto fail;
    }
    /* what the create endpoint refuses before anything else: path separators in the name, a
     * sealed stream, mirror_direct without a mirror (stream_config_check_create reports those
     * first, and then whatever else is wrong) */
    if (strpbrk(cfg.name, "/\\") || cfg.sealed || cfg.mirror_direct) {
        if (stream_config_check_create(&cfg, &e) < 0)
            goto fail;
    }
    if (check_limits(r->s, &cfg, NULL, &e) < 0)
        goto fail;
    bool existed = store_stream_find(r->s->store, cfg.name) != NULL;
    if (store_stream_create(r->s->store, &cfg, &st, &e) < 0)
        goto fail;
    if (!existed)
        js_streams_changed(r->s);
    stream_config_free(&cfg);
    if (jsapi_commit(r, &e) < 0) {
        jsapi_fail(r, &e);
        return;
    }
    reply_info(r, st, true);
    return;
fail:
    stream_config_free(&cfg);
    jsapi_fail(r, &e);
}

void jsapi_stream_update(jsapi_req *r)
{
    char name[1024];
    jsapi_token(r, 5, name, sizeof name);
    stream_config cfg;
    bool has_cfg;
    jserr e;
    jserr_clear(&e);
    if (parse_config(r, &cfg, &has_cfg, &e) < 0) {
        jsapi_fail(r, &e);
        return;
    }
    if (!has_cfg) {
        /* Go decodes nothing into a zero StreamConfig, which checkStreamCfg refuses */
        jserr_set(&e, JSERR_STREAM_INVALID_CONFIG, "err",
                  "stream name is required and can not contain '.', '*', '>'", NULL);
        goto fail;
    }
    if (stream_config_check(&cfg, &e) < 0)
        goto fail;
    if (!name_matches(&cfg, has_cfg, name)) {
        jserr_set(&e, JSERR_STREAM_MISMATCH, NULL);
        goto fail;
    }
    stream *st = store_stream_find(r->s->store, name);
    if (!st) {
        jserr_set(&e, JSERR_STREAM_NOT_FOUND, NULL);
        goto fail;
    }
    if (stream_config_check_update(stream_get_config(st), &cfg, &e) < 0 ||
        check_limits(r->s, &cfg, stream_get_config(st), &e) < 0 ||
        store_stream_update(r->s->store, st, &cfg, &e) < 0)
        goto fail;
    stream_config_free(&cfg);
    js_streams_changed(r->s);
    if (jsapi_commit(r, &e) < 0) {
        jsapi_fail(r, &e);
        return;
    }
    reply_info(r, st, false);
    return;
fail:
    stream_config_free(&cfg);
    jsapi_fail(r, &e);
}

/* ---------------- info ---------------- */

typedef struct subj_list {
    char **v;
    uint64_t *counts;
    size_t n, cap;
    bool oom;
} subj_list;

static void collect_subject(const char *subject, size_t len, uint64_t count, void *arg)
{
    subj_list *l = arg;
    if (l->oom)
        return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        char **v = realloc(l->v, cap * sizeof *v);
        if (v)
            l->v = v;
        uint64_t *c = v ? realloc(l->counts, cap * sizeof *c) : NULL;
        if (c)
            l->counts = c;
        if (!v || !c) {
            l->oom = true;
            return;
        }
        l->cap = cap;
    }
    l->v[l->n] = strndup(subject, len);
    if (!l->v[l->n]) {
        l->oom = true;
        return;
    }
    l->counts[l->n++] = count;
}

static void subj_list_free(subj_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    free(l->counts);
}

static int cmp_index_by_subject(const void *a, const void *b, void *arg)
{
    const subj_list *l = arg;
    return strcmp(l->v[*(const size_t *)a], l->v[*(const size_t *)b]);
}

static void paged(json_t *resp, int64_t total, int64_t offset, int64_t limit)
{
    json_object_set_new(resp, "total", json_integer(total));
    json_object_set_new(resp, "offset", json_integer(offset));
    json_object_set_new(resp, "limit", json_integer(limit));
}

static void info_fail(jsapi_req *r, const jserr *e)
{
    json_t *resp = jsapi_resp_new(r);
    jsapi_resp_set_error(resp, e);
    paged(resp, 0, 0, 0);
    jsapi_send(r, resp, true);
}

void jsapi_stream_info(jsapi_req *r)
{
    char name[1024];
    jsapi_token(r, 5, name, sizeof name);
    bool details = false;
    char *filter = NULL;
    int64_t offset = 0;
    jsapi_field fields[] = {
        {"deleted_details", JF_BOOL, &details},
        {"subjects_filter", JF_STRING, &filter},
        {"offset", JF_INT, &offset},
    };
    jserr e;
    if (jsapi_body_is_object_or_array(r->body, r->body_len) &&
        jsapi_decode(r->body, r->body_len, "JSApiStreamInfoRequest", fields, 3, &e) < 0) {
        info_fail(r, &e);
        return;
    }
    if (offset < 0)
        offset = 0;
    stream *st = store_stream_find(r->s->store, name);
    if (!st) {
        jsapi_fields_free(fields, 3);
        jserr_set(&e, JSERR_STREAM_NOT_FOUND, NULL);
        info_fail(r, &e);
        return;
    }
    json_t *subjects = NULL;
    int64_t total = 0, limit = 0, off = 0;
    if (filter && *filter) {
        subj_list l = {0};
        stream_subject_totals(st, filter, collect_subject, &l);
        if (l.n > 0 && !l.oom) {
            total = (int64_t)l.n;
            limit = JSAPI_SUBJECT_DETAILS_LIMIT;
            off = offset;
            size_t *idx = malloc(l.n * sizeof *idx);
            subjects = json_object();
            if (idx) {
                for (size_t i = 0; i < l.n; i++)
                    idx[i] = i;
                /* a page other than the whole map is taken from the subjects in order */
                if (offset > 0 || l.n > JSAPI_SUBJECT_DETAILS_LIMIT)
                    qsort_r(idx, l.n, sizeof *idx, cmp_index_by_subject, &l);
                size_t from = (uint64_t)offset > l.n ? l.n : (size_t)offset;
                size_t to = from + JSAPI_SUBJECT_DETAILS_LIMIT;
                if (to > l.n)
                    to = l.n;
                for (size_t i = from; i < to; i++)
                    json_object_set_new(subjects, l.v[idx[i]],
                                        json_integer((json_int_t)l.counts[idx[i]]));
                if (from == to) { /* nats-server leaves the map out of an empty page */
                    json_decref(subjects);
                    subjects = NULL;
                }
                free(idx);
            }
        }
        subj_list_free(&l);
    }
    jsapi_fields_free(fields, 3);
    json_t *resp = jsapi_resp_new(r);
    paged(resp, total, off, limit);
    merge(resp, info_json(r->s, st, true, details, subjects));
    jsapi_send(r, resp, false);
}

/* ---------------- delete ---------------- */

void jsapi_stream_delete(jsapi_req *r)
{
    char name[1024];
    jsapi_token(r, 5, name, sizeof name);
    if (!jsapi_body_is_empty_request(r->body, r->body_len)) {
        jsapi_fail_id(r, JSERR_NOT_EMPTY_REQUEST);
        return;
    }
    stream *st = store_stream_find(r->s->store, name);
    if (!st) {
        jsapi_fail_id(r, JSERR_STREAM_NOT_FOUND);
        return;
    }
    jserr e;
    jserr_clear(&e);
    jsc_stream_deleted(r->s, name); /* consumers go with their stream */
    if (store_stream_delete(r->s->store, st, &e) < 0) {
        js_streams_changed(r->s);
        jsapi_fail(r, &e);
        return;
    }
    js_streams_changed(r->s);
    if (jsapi_commit(r, &e) < 0) {
        jsapi_fail(r, &e);
        return;
    }
    json_t *resp = jsapi_resp_new(r);
    json_object_set_new(resp, "success", json_true());
    jsapi_send(r, resp, false);
}

/* ---------------- purge ---------------- */

static void purge_reply(jsapi_req *r, const jserr *e, uint64_t purged, bool counted_as_error)
{
    json_t *resp = jsapi_resp_new(r);
    if (e)
        jsapi_resp_set_error(resp, e);
    else
        json_object_set_new(resp, "success", json_true());
    json_object_set_new(resp, "purged", json_integer((json_int_t)purged));
    jsapi_send(r, resp, counted_as_error);
}

void jsapi_stream_purge(jsapi_req *r)
{
    char name[1024];
    jsapi_token(r, 5, name, sizeof name);
    uint64_t seq = 0, keep = 0;
    char *filter = NULL;
    jsapi_field fields[] = {
        {"seq", JF_U64, &seq},
        {"filter", JF_STRING, &filter},
        {"keep", JF_U64, &keep},
    };
    jserr e;
    jserr_clear(&e);
    if (jsapi_body_is_object_or_array(r->body, r->body_len)) {
        if (jsapi_decode(r->body, r->body_len, "JSApiStreamPurgeRequest", fields, 3, &e) < 0) {
            purge_reply(r, &e, 0, true);
            return;
        }
        if (seq > 0 && keep > 0) {
            jserr_set(&e, JSERR_BAD_REQUEST, NULL);
            goto fail;
        }
    }
    stream *st = store_stream_find(r->s->store, name);
    if (!st) {
        jserr_set(&e, JSERR_STREAM_NOT_FOUND, NULL);
        goto fail;
    }
    const stream_config *c = stream_get_config(st);
    if (c->sealed) {
        jserr_set(&e, JSERR_STREAM_SEALED, NULL);
        goto fail;
    }
    if (c->deny_purge) {
        jserr_set(&e, JSERR_STREAM_PURGE_FAILED, "err", "stream purge not permitted", NULL);
        goto fail;
    }
    stream_purge_req req = {.filter = filter && *filter ? filter : NULL, .seq = seq, .keep = keep};
    uint64_t purged = 0;
    int rc = stream_purge(st, &req, &purged, &e);
    jsapi_fields_free(fields, 3);
    jserr ce;
    if (jsapi_commit(r, &ce) < 0) {
        purge_reply(r, &ce, 0, false);
        return;
    }
    if (rc == 0)
        jsc_stream_purged(r->s, stream_name(st));
    /* a failed purge itself is answered as a normal response, as nats-server does */
    purge_reply(r, rc < 0 ? &e : NULL, rc < 0 ? 0 : purged, false);
    return;
fail:
    jsapi_fields_free(fields, 3);
    purge_reply(r, &e, 0, true);
}

/* ---------------- names / list ---------------- */

static bool stream_matches(stream *st, const char *filter)
{
    if (!filter || !*filter)
        return true;
    const stream_config *c = stream_get_config(st);
    for (size_t i = 0; i < c->nsubjects; i++)
        if (subject_filters_overlap(filter, strlen(filter), c->subjects[i], strlen(c->subjects[i])))
            return true;
    return false;
}

/* Decodes the paged, filtered request of NAMES / LIST. Returns 0 or -1 (e set). */
static int names_request(jsapi_req *r, const char *gostruct, int64_t *offset, char **filter,
                         jserr *e)
{
    *offset = 0;
    *filter = NULL;
    jsapi_field fields[] = {
        {"offset", JF_INT, offset},
        {"subject", JF_STRING, filter},
    };
    if (jsapi_body_is_object_or_array(r->body, r->body_len) &&
        jsapi_decode(r->body, r->body_len, gostruct, fields, 2, e) < 0)
        return -1;
    if (*offset < 0)
        *offset = 0;
    return 0;
}

static void names_or_list(jsapi_req *r, bool list)
{
    int64_t offset;
    char *filter;
    jserr e;
    if (names_request(r, list ? "JSApiStreamListRequest" : "JSApiStreamNamesRequest", &offset,
                      &filter, &e) < 0) {
        json_t *resp = jsapi_resp_new(r);
        jsapi_resp_set_error(resp, &e);
        paged(resp, 0, 0, 0);
        json_object_set_new(resp, "streams", list ? json_array() : json_null());
        jsapi_send(r, resp, true);
        return;
    }
    store *sto = r->s->store;
    size_t n = store_stream_count(sto), total = 0;
    for (size_t i = 0; i < n; i++)
        if (stream_matches(store_stream_at(sto, i), filter))
            total++;
    if ((uint64_t)offset > total)
        offset = (int64_t)total;
    size_t limit = list ? JSAPI_LIST_LIMIT : JSAPI_NAMES_LIMIT;
    json_t *arr = json_array();
    size_t seen = 0;
    for (size_t i = 0; i < n && json_array_size(arr) < limit; i++) {
        stream *st = store_stream_at(sto, i);
        if (!stream_matches(st, filter) || seen++ < (size_t)offset)
            continue;
        json_array_append_new(arr, list ? info_json(r->s, st, false, false, NULL)
                                        : json_string(stream_name(st)));
    }
    free(filter);
    json_t *resp = jsapi_resp_new(r);
    paged(resp, (int64_t)total, offset, (int64_t)limit);
    if (!list && json_array_size(arr) == 0) { /* a nil slice in nats-server */
        json_decref(arr);
        arr = json_null();
    }
    json_object_set_new(resp, "streams", arr);
    jsapi_send(r, resp, false);
}

void jsapi_stream_names(jsapi_req *r)
{
    names_or_list(r, false);
}

void jsapi_stream_list(jsapi_req *r)
{
    names_or_list(r, true);
}

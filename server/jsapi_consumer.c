/*
 * jsapi_consumer.c — the consumer endpoints of the JetStream API: CONSUMER.CREATE in its three
 * subject forms (<stream>, <stream>.<consumer>, <stream>.<consumer>.<filter>), DURABLE.CREATE,
 * INFO, DELETE, NAMES and LIST, with nats-server's ConsumerInfo JSON and errors
 * (jetstream_api.go jsConsumerCreateRequest and friends, consumer.go ConsumerInfo).
 *
 * Consumers live in the server's registry (jsconsumer.h); pull requests and acks are served
 * there, not here.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "client.h"
#include "jsapi_internal.h"
#include "jsconsumer.h"
#include "proto/gotime.h"
#include "proto/subject.h"

static json_t *time_json(int64_t ns)
{
    char buf[GOTIME_RFC3339_MAX];
    return json_string(gotime_format_rfc3339nano(ns, buf));
}

static json_t *seq_info(uint64_t cseq, uint64_t sseq, int64_t last_active_ns)
{
    json_t *o = json_object();
    json_object_set_new(o, "consumer_seq", json_integer((json_int_t)cseq));
    json_object_set_new(o, "stream_seq", json_integer((json_int_t)sseq));
    if (last_active_ns)
        json_object_set_new(o, "last_active", time_json(last_active_ns));
    return o;
}

/* ConsumerInfo's fields, added to o. */
static void info_fields(server *s, json_t *o, stream *st, consumer *c)
{
    consumer_info_state is;
    consumer_get_state(c, st, &is);
    json_object_set_new(o, "stream_name", json_string(stream_name(st)));
    json_object_set_new(o, "name", json_string(consumer_name(c)));
    json_object_set_new(o, "created", time_json(consumer_created_ns(c)));
    json_object_set_new(o, "config", consumer_config_to_json(consumer_get_config(c)));
    json_object_set_new(o, "delivered", seq_info(is.delivered_consumer_seq,
                                                 is.delivered_stream_seq, is.last_active_ns));
    json_object_set_new(o, "ack_floor", seq_info(is.ack_floor_consumer_seq,
                                                 is.ack_floor_stream_seq, 0));
    json_object_set_new(o, "num_ack_pending", json_integer((json_int_t)is.num_ack_pending));
    json_object_set_new(o, "num_redelivered", json_integer((json_int_t)is.num_redelivered));
    json_object_set_new(o, "num_waiting",
                        json_integer((json_int_t)jsc_num_waiting(s, stream_name(st),
                                                                 consumer_name(c))));
    json_object_set_new(o, "num_pending", json_integer((json_int_t)is.num_pending));
    json_t *cl = json_object();
    json_object_set_new(cl, "leader", json_string(s->server_name));
    json_object_set_new(o, "cluster", cl);
    if (jsc_push_bound(s, stream_name(st), consumer_name(c)))
        json_object_set_new(o, "push_bound", json_true());
    int64_t now = jsapi_now_ns();
    if (consumer_is_paused(c, now)) {
        json_object_set_new(o, "paused", json_true());
        json_object_set_new(o, "pause_remaining",
                            json_integer(consumer_get_config(c)->pause_until_ns - now));
    }
    json_object_set_new(o, "ts", time_json(jsapi_now_ns()));
}

static void reply_info(jsapi_req *r, stream *st, consumer *c)
{
    json_t *resp = jsapi_resp_new(r);
    info_fields(r->s, resp, st, c);
    jsapi_send(r, resp, false);
}

/* nats-server's createConsumerName: 8 characters of a hash. */
static void random_name(char out[9])
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    unsigned char b[8];
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b)
        for (size_t i = 0; i < sizeof b; i++)
            b[i] = (unsigned char)rand();
    for (size_t i = 0; i < 8; i++)
        out[i] = abc[b[i] % (sizeof abc - 1)];
    out[8] = '\0';
}

/* Writes a durable consumer's record and commits. 0, or -1 with e set. */
static int persist(jsapi_req *r, stream *st, consumer *c, jserr *e)
{
    if (jsc_save(r->s, stream_name(st), consumer_name(c)) == 0 && jsapi_commit(r, e) == 0)
        return 0;
    if (!e->code)
        jserr_set(e, JSERR_CONSUMER_STORE_FAILED, "err", "out of memory", NULL);
    return -1;
}

/* Workqueue streams: explicit acks, deliver all, and one consumer per subject (nats-server's
 * partitionUnique). self: the consumer being updated (left out of the comparison). */
static jserr_id workqueue_check(server *s, stream *st, const consumer_config *cfg,
                                const consumer *self)
{
    if (stream_get_config(st)->retention != STREAM_RETENTION_WORKQUEUE)
        return JSERR_NONE;
    if (cfg->ack_policy != CONSUMER_ACK_EXPLICIT)
        return JSERR_CONSUMER_WQ_REQUIRES_EXPLICIT_ACK;
    if (cfg->deliver_policy != CONSUMER_DELIVER_ALL)
        return JSERR_CONSUMER_WQ_CONSUMER_NOT_DELIVER_ALL;
    size_t n = jsc_count(s, stream_name(st));
    consumer **all = calloc(n ? n : 1, sizeof *all);
    if (!all)
        return JSERR_CONSUMER_CREATE;
    jsc_collect(s, stream_name(st), all, n);
    const char *one[1] = {cfg->filter_subject};
    const char *const *f = cfg->nfilters ? (const char *const *)cfg->filter_subjects : one;
    size_t nf = cfg->nfilters ? cfg->nfilters : cfg->filter_subject ? 1 : 0;
    jserr_id id = JSERR_NONE;
    for (size_t i = 0; i < n && id == JSERR_NONE; i++) {
        if (all[i] == self)
            continue;
        if (nf == 0) {
            id = JSERR_CONSUMER_WQ_MULTIPLE_UNFILTERED;
            break;
        }
        const consumer_config *o = consumer_get_config(all[i]);
        const char *oone[1] = {o->filter_subject};
        const char *const *of = o->nfilters ? (const char *const *)o->filter_subjects : oone;
        size_t onf = o->nfilters ? o->nfilters : o->filter_subject ? 1 : 0;
        if (onf == 0)
            id = JSERR_CONSUMER_WQ_CONSUMER_NOT_UNIQUE;
        for (size_t a = 0; a < nf && id == JSERR_NONE; a++)
            for (size_t b = 0; b < onf && id == JSERR_NONE; b++)
                if (subject_filters_overlap(f[a], strlen(f[a]), of[b], strlen(of[b])))
                    id = JSERR_CONSUMER_WQ_CONSUMER_NOT_UNIQUE;
    }
    free(all);
    return id;
}

/* CONSUMER.CREATE naming an existing consumer: the same config answers its info; another one
 * is an update (refused with action "create"). Takes *cfg. */
static void update_existing(jsapi_req *r, stream *st, consumer *c, consumer_config *cfg,
                            const char *action)
{
    jserr e;
    jserr_clear(&e);
    json_t *a = consumer_config_to_json(cfg);
    json_t *b = consumer_config_to_json(consumer_get_config(c));
    bool same = json_equal(a, b);
    json_decref(a);
    json_decref(b);
    if (same) {
        consumer_config_free(cfg);
        reply_info(r, st, c);
        return;
    }
    if (!strcmp(action, "create")) {
        consumer_config_free(cfg);
        jsapi_fail_id(r, JSERR_CONSUMER_ALREADY_EXISTS);
        return;
    }
    const consumer_config *old = consumer_get_config(c);
    size_t backlog;
    jserr_id id = workqueue_check(r->s, st, cfg, c);
    /* a push consumer someone still receives cannot be moved to another deliver subject */
    if (id == JSERR_NONE && old->deliver_subject && cfg->deliver_subject &&
        strcmp(old->deliver_subject, cfg->deliver_subject) != 0 &&
        client_subject_interest(r->s, old->deliver_subject, strlen(old->deliver_subject), NULL,
                                &backlog))
        id = JSERR_CONSUMER_NAME_EXIST;
    if (id != JSERR_NONE) {
        consumer_config_free(cfg);
        jsapi_fail_id(r, id);
        return;
    }
    if (consumer_update(c, cfg, &e) < 0) {
        consumer_config_free(cfg);
        jsapi_fail(r, &e);
        return;
    }
    jsc_changed(r->s, stream_name(st), consumer_name(c));
    if (persist(r, st, c, &e) < 0) {
        jsapi_fail(r, &e);
        return;
    }
    reply_info(r, st, c);
}

void jsapi_consumer_create(jsapi_req *r)
{
    /* $JS.API.CONSUMER.CREATE.<stream>[.<consumer>[.<filter>]] or
     * $JS.API.CONSUMER.DURABLE.CREATE.<stream>.<durable> */
    bool durable_create = strncmp(r->subject, "$JS.API.CONSUMER.DURABLE.", 25) == 0;
    char sname[256], cname[256];
    jsapi_token(r, durable_create ? 6 : 5, sname, sizeof sname);
    jsapi_token(r, durable_create ? 7 : 6, cname, sizeof cname);
    const char *filter_in_subject = NULL;
    if (!durable_create && cname[0]) {
        /* everything after the 6th token is the filter */
        const char *p = r->subject;
        for (int i = 0; i < 6 && p; i++) {
            p = strchr(p, '.');
            if (p)
                p++;
        }
        filter_in_subject = p;
    }
    jserr e;
    jserr_clear(&e);
    if (jsapi_body_blank(r->body, r->body_len)) {
        jsapi_fail_id(r, JSERR_CONSUMER_CONFIG_REQUIRED);
        return;
    }
    json_error_t jerr;
    json_t *req = json_loadb(r->body, r->body_len, 0, &jerr);
    if (!req || !json_is_object(req)) {
        json_decref(req);
        jserr_set(&e, JSERR_INVALID_JSON, "err", jerr.text, NULL);
        jsapi_fail(r, &e);
        return;
    }
    const json_t *sn = json_object_get(req, "stream_name");
    const json_t *act = json_object_get(req, "action");
    char action[16] = ""; /* "", "create" or "update"; the request is freed before its use */
    if (json_is_string(act))
        snprintf(action, sizeof action, "%s", json_string_value(act));
    if (json_is_string(sn) && strcmp(json_string_value(sn), sname) != 0) {
        json_decref(req);
        jsapi_fail_id(r, JSERR_STREAM_MISMATCH);
        return;
    }
    stream *st = store_stream_find(r->s->store, sname);
    if (!st) {
        json_decref(req);
        jsapi_fail_id(r, JSERR_STREAM_NOT_FOUND);
        return;
    }
    consumer_config cfg;
    const json_t *cj = json_object_get(req, "config");
    if (!cj || json_is_null(cj)) {
        json_decref(req);
        jsapi_fail_id(r, JSERR_CONSUMER_CONFIG_REQUIRED);
        return;
    }
    /* nats-server checks the durable name against the subject before the config itself */
    const json_t *dj = json_object_get(cj, "durable_name");
    const char *durable = json_is_string(dj) && json_string_length(dj) ? json_string_value(dj)
                                                                       : NULL;
    if (cname[0] && durable && strcmp(durable, cname) != 0) {
        json_decref(req);
        jsapi_fail_id(r, JSERR_CONSUMER_DURABLE_NAME_NOT_MATCH_SUBJECT);
        return;
    }
    int rc = consumer_config_from_json(cj, &cfg, &e);
    json_decref(req);
    if (rc < 0) {
        jsapi_fail(r, &e);
        return;
    }
    jserr_id id = JSERR_NONE;
    if (durable_create) {
        if (!cfg.durable_name)
            id = JSERR_CONSUMER_DURABLE_NAME_NOT_SET;
        else if (strcmp(cfg.durable_name, cname) != 0)
            id = JSERR_CONSUMER_DURABLE_NAME_NOT_MATCH_SUBJECT;
    } else if (cname[0]) {
        if (cfg.durable_name && strcmp(cfg.durable_name, cname) != 0)
            id = JSERR_CONSUMER_DURABLE_NAME_NOT_MATCH_SUBJECT;
        else if (cfg.name && strcmp(cfg.name, cname) != 0)
            id = JSERR_CONSUMER_CREATE_DURABLE_AND_NAME_MISMATCH;
        else if (filter_in_subject && cfg.nfilters > 0)
            id = JSERR_CONSUMER_MULTIPLE_FILTERS_NOT_ALLOWED;
        else if (filter_in_subject &&
                 (!cfg.filter_subject || strcmp(cfg.filter_subject, filter_in_subject) != 0))
            id = JSERR_CONSUMER_CREATE_FILTER_SUBJECT_MISMATCH;
        else if (!cfg.name)
            cfg.name = strdup(cname);
    }
    if (id != JSERR_NONE) {
        consumer_config_free(&cfg);
        jsapi_fail_id(r, id);
        return;
    }
    if (consumer_config_check_stream(&cfg, stream_get_config(st), &e) < 0) {
        consumer_config_free(&cfg);
        jsapi_fail(r, &e);
        return;
    }
    if (!cfg.name) {
        char n[9];
        do
            random_name(n);
        while (jsc_find(r->s, sname, n));
        cfg.name = strdup(n);
    }
    if (!cfg.name) {
        consumer_config_free(&cfg);
        jsapi_fail_id(r, JSERR_CONSUMER_CREATE);
        return;
    }
    consumer *existing = jsc_find(r->s, sname, cfg.name);
    if (existing) {
        update_existing(r, st, existing, &cfg, action);
        return;
    }
    if (!strcmp(action, "update")) {
        consumer_config_free(&cfg);
        jsapi_fail_id(r, JSERR_CONSUMER_DOES_NOT_EXIST);
        return;
    }
    if ((id = workqueue_check(r->s, st, &cfg, NULL)) != JSERR_NONE) {
        consumer_config_free(&cfg);
        jsapi_fail_id(r, id);
        return;
    }
    consumer *c = consumer_new(st, &cfg, jsapi_now_ns());
    if (!c) {
        consumer_config_free(&cfg);
        jsapi_fail_id(r, JSERR_CONSUMER_CREATE);
        return;
    }
    if (jsc_add(r->s, sname, c) < 0) {
        jsapi_fail_id(r, JSERR_CONSUMER_CREATE);
        return;
    }
    /* a durable consumer exists once its record is written */
    if (persist(r, st, c, &e) < 0) {
        jsc_delete(r->s, sname, consumer_name(c));
        jsapi_fail(r, &e);
        return;
    }
    reply_info(r, st, c);
}

/* The stream and consumer named in tokens 5 and 6, or an error answered. */
static consumer *lookup(jsapi_req *r, stream **st, char *cname, size_t cap)
{
    char sname[256];
    jsapi_token(r, 5, sname, sizeof sname);
    jsapi_token(r, 6, cname, cap);
    *st = store_stream_find(r->s->store, sname);
    if (!*st) {
        jsapi_fail_id(r, JSERR_STREAM_NOT_FOUND);
        return NULL;
    }
    consumer *c = jsc_find(r->s, sname, cname);
    if (!c)
        jsapi_fail_id(r, JSERR_CONSUMER_NOT_FOUND);
    return c;
}

void jsapi_consumer_info(jsapi_req *r)
{
    stream *st;
    char cname[256];
    consumer *c = lookup(r, &st, cname, sizeof cname);
    if (c)
        reply_info(r, st, c);
}

void jsapi_consumer_pause(jsapi_req *r)
{
    stream *st;
    char cname[256];
    consumer *c = lookup(r, &st, cname, sizeof cname);
    if (!c)
        return;
    int64_t until = 0;
    jserr e;
    jserr_clear(&e);
    if (!jsapi_body_blank(r->body, r->body_len)) {
        json_t *j = json_loadb(r->body, r->body_len, 0, NULL);
        const json_t *v = j ? json_object_get(j, "pause_until") : NULL;
        bool ok = j && json_is_object(j) &&
                  (!v || json_is_null(v) ||
                   (json_is_string(v) && gotime_parse_rfc3339(json_string_value(v),
                                                              json_string_length(v),
                                                              &until) == 0));
        json_decref(j);
        if (!ok) {
            jserr_set(&e, JSERR_INVALID_JSON, "err", "invalid pause_until", NULL);
            jsapi_fail(r, &e);
            return;
        }
    }
    consumer_set_pause(c, until > 0 ? until : 0);
    jsc_changed(r->s, stream_name(st), cname);
    if (persist(r, st, c, &e) < 0) {
        jsapi_fail(r, &e);
        return;
    }
    int64_t now = jsapi_now_ns();
    json_t *resp = jsapi_resp_new(r);
    json_object_set_new(resp, "paused", json_boolean(until > now));
    json_object_set_new(resp, "pause_until", until > 0 ? time_json(until)
                                                        : json_string(GOTIME_ZERO));
    if (until > now)
        json_object_set_new(resp, "pause_remaining", json_integer(until - now));
    jsapi_send(r, resp, false);
}

void jsapi_consumer_delete(jsapi_req *r)
{
    stream *st;
    char cname[256];
    consumer *c = lookup(r, &st, cname, sizeof cname);
    if (!c)
        return;
    jsc_delete(r->s, stream_name(st), cname);
    jserr e;
    jserr_clear(&e);
    if (jsapi_commit(r, &e) < 0) {
        jsapi_fail(r, &e);
        return;
    }
    json_t *resp = jsapi_resp_new(r);
    json_object_set_new(resp, "success", json_true());
    jsapi_send(r, resp, false);
}

static void names_or_list(jsapi_req *r, bool list)
{
    char sname[256];
    jsapi_token(r, 5, sname, sizeof sname);
    int64_t offset = 0;
    jsapi_field f[] = {{"offset", JF_INT, &offset}};
    jserr e;
    if (!jsapi_body_blank(r->body, r->body_len) &&
        jsapi_decode(r->body, r->body_len,
                     list ? "JSApiConsumersRequest" : "JSApiConsumersRequest", f, 1, &e) < 0) {
        jsapi_fail(r, &e);
        return;
    }
    if (offset < 0)
        offset = 0;
    stream *st = store_stream_find(r->s->store, sname);
    if (!st) {
        jsapi_fail_id(r, JSERR_STREAM_NOT_FOUND);
        return;
    }
    size_t total = jsc_count(r->s, sname);
    consumer **all = calloc(total ? total : 1, sizeof *all);
    if (!all) {
        jsapi_fail_id(r, JSERR_BAD_REQUEST);
        return;
    }
    jsc_collect(r->s, sname, all, total);
    size_t limit = list ? JSAPI_LIST_LIMIT : JSAPI_NAMES_LIMIT;
    size_t from = (uint64_t)offset > total ? total : (size_t)offset;
    json_t *resp = jsapi_resp_new(r);
    json_object_set_new(resp, "total", json_integer((json_int_t)total));
    json_object_set_new(resp, "offset", json_integer((json_int_t)from));
    json_object_set_new(resp, "limit", json_integer((json_int_t)limit));
    json_t *arr = json_array();
    for (size_t i = from; i < total && i < from + limit; i++) {
        if (list) {
            json_t *o = json_object();
            info_fields(r->s, o, st, all[i]);
            json_array_append_new(arr, o);
        } else {
            json_array_append_new(arr, json_string(consumer_name(all[i])));
        }
    }
    json_object_set_new(resp, "consumers", arr);
    free(all);
    jsapi_send(r, resp, false);
}

void jsapi_consumer_names(jsapi_req *r)
{
    names_or_list(r, false);
}

void jsapi_consumer_list(jsapi_req *r)
{
    names_or_list(r, true);
}

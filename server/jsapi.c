/*
 * jsapi.c — the JetStream API's front door (see jsapi.h): which endpoint a `$JS.API.` subject
 * names, the response envelope and API counters, $JS.API.INFO, and the endpoints weir answers
 * only with a refusal (clustering, snapshots).
 *
 * Dispatch follows nats-server 2.10/2.11 (jetstream_api.go, apiDispatch): the endpoints are
 * subject patterns; a subject that none of them matches gets {"type":
 * "io.nats.jetstream.api.v1.system_response","error":<bad request>}; the account and meta
 * endpoints of the system account ($JS.API.ACCOUNT.>, META.LEADER.STEPDOWN, SERVER.REMOVE) are
 * taken and not answered; direct gets and pull requests never reach the API dispatcher (they
 * are served by the stream or consumer itself, or by nobody).
 */
#include "jsapi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "jsapi_internal.h"
#include "jsconsumer.h"
#include "log.h"
#include "proto/subject.h"

#define TYPE_PREFIX "io.nats.jetstream.api.v1."

static void account_info(jsapi_req *r);
static void cluster_required(jsapi_req *r);
static void snapshot(jsapi_req *r);
static void restore(jsapi_req *r);
static void silent(jsapi_req *r);

typedef struct endpoint {
    const char *pattern;
    const char *type; /* after TYPE_PREFIX */
    void (*fn)(jsapi_req *r);
} endpoint;

static const endpoint endpoints[] = {
    {"$JS.API.INFO", "account_info_response", account_info},
    {"$JS.API.STREAM.CREATE.*", "stream_create_response", jsapi_stream_create},
    {"$JS.API.STREAM.UPDATE.*", "stream_update_response", jsapi_stream_update},
    {"$JS.API.STREAM.NAMES", "stream_names_response", jsapi_stream_names},
    {"$JS.API.STREAM.LIST", "stream_list_response", jsapi_stream_list},
    {"$JS.API.STREAM.INFO.*", "stream_info_response", jsapi_stream_info},
    {"$JS.API.STREAM.DELETE.*", "stream_delete_response", jsapi_stream_delete},
    {"$JS.API.STREAM.PURGE.*", "stream_purge_response", jsapi_stream_purge},
    {"$JS.API.STREAM.SNAPSHOT.*", "stream_snapshot_response", snapshot},
    {"$JS.API.STREAM.RESTORE.*", "stream_restore_response", restore},
    {"$JS.API.STREAM.PEER.REMOVE.*", "stream_remove_peer_response", cluster_required},
    {"$JS.API.STREAM.LEADER.STEPDOWN.*", "stream_leader_stepdown_response", cluster_required},
    {"$JS.API.CONSUMER.LEADER.STEPDOWN.*.*", "consumer_leader_stepdown_response",
     cluster_required},
    {"$JS.API.CONSUMER.CREATE.*", "consumer_create_response", jsapi_consumer_create},
    {"$JS.API.CONSUMER.CREATE.*.>", "consumer_create_response", jsapi_consumer_create},
    {"$JS.API.CONSUMER.DURABLE.CREATE.*.*", "consumer_create_response", jsapi_consumer_create},
    {"$JS.API.CONSUMER.INFO.*.*", "consumer_info_response", jsapi_consumer_info},
    {"$JS.API.CONSUMER.DELETE.*.*", "consumer_delete_response", jsapi_consumer_delete},
    {"$JS.API.CONSUMER.PAUSE.*.*", "consumer_pause_response", jsapi_consumer_pause},
    {"$JS.API.CONSUMER.NAMES.*", "consumer_names_response", jsapi_consumer_names},
    {"$JS.API.CONSUMER.LIST.*", "consumer_list_response", jsapi_consumer_list},
    {"$JS.API.STREAM.MSG.DELETE.*", "stream_msg_delete_response", jsapi_msg_delete},
    {"$JS.API.STREAM.MSG.GET.*", "stream_msg_get_response", jsapi_msg_get},
    /* system account only: nats-server takes them from a client without answering */
    {"$JS.API.META.LEADER.STEPDOWN", NULL, silent},
    {"$JS.API.SERVER.REMOVE", NULL, silent},
    {"$JS.API.ACCOUNT.>", NULL, silent},
};

/* ---------------- state ---------------- */

int64_t jsapi_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

struct jsapi *jsapi_state(server *s)
{
    if (!s->jsapi)
        s->jsapi = calloc(1, sizeof *s->jsapi);
    return s->jsapi;
}

void jsapi_free(server *s)
{
    struct jsapi *a = s->jsapi;
    if (!a)
        return;
    free(a);
    s->jsapi = NULL;
}

int64_t jsapi_stream_created(server *s, const stream *st)
{
    int64_t t = stream_created_ns(st);
    if (t)
        return t;
    /* not known (a memory stream after a restart, an older store): the time the server
     * started (its uptime back from now) stands in */
    return jsapi_now_ns() - (loop_now_ms(s->loop) - s->start_ms) * 1000000LL;
}

int jsapi_commit(jsapi_req *r, jserr *e)
{
    char why[512];
    if (!store_has_pending(r->s->store))
        return 0;
    if (store_commit(r->s->store, why, sizeof why) < 0) {
        log_error("JetStream: store write failed: %s", why);
        jserr_set(e, JSERR_STREAM_STORE_FAILED, "err", why, NULL);
        return -1;
    }
    return 0;
}

/* ---------------- responses ---------------- */

json_t *jsapi_resp_new(const jsapi_req *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string(r->type));
    return o;
}

void jsapi_resp_set_error(json_t *resp, const jserr *e)
{
    json_t *err = json_object();
    json_object_set_new(err, "code", json_integer(e->code));
    json_object_set_new(err, "err_code", json_integer(e->err_code));
    json_object_set_new(err, "description", json_string(e->description));
    json_object_set_new(resp, "error", err);
}

void jsapi_send(jsapi_req *r, json_t *resp, bool counted_as_error)
{
    struct jsapi *a = jsapi_state(r->s);
    if (a) {
        a->total++;
        if (counted_as_error)
            a->errors++;
    }
    if (!resp)
        return;
    if (r->reply[0]) {
        char *text = json_dumps(resp, JSON_COMPACT);
        if (text) {
            client_publish_internal(r->s, r->reply, strlen(r->reply), NULL, 0, text, strlen(text));
            free(text);
        }
    }
    json_decref(resp);
}

void jsapi_fail(jsapi_req *r, const jserr *e)
{
    json_t *resp = jsapi_resp_new(r);
    jsapi_resp_set_error(resp, e);
    jsapi_send(r, resp, true);
}

void jsapi_fail_id(jsapi_req *r, jserr_id id)
{
    jserr e;
    jserr_set(&e, id, NULL);
    jsapi_fail(r, &e);
}

void jsapi_send_raw(jsapi_req *r, const char *hdr, size_t hdr_len, const char *data,
                    size_t data_len)
{
    if (r->reply[0])
        client_publish_internal(r->s, r->reply, strlen(r->reply), hdr, hdr_len, data ? data : "",
                                data_len);
}

const char *jsapi_token(const jsapi_req *r, int n, char *out, size_t cap)
{
    const char *p = r->subject;
    out[0] = '\0';
    for (int i = 1; i < n; i++) {
        p = strchr(p, '.');
        if (!p)
            return out;
        p++;
    }
    size_t len = strcspn(p, ".");
    if (len < cap) {
        memcpy(out, p, len);
        out[len] = '\0';
    }
    return out;
}

/* ---------------- $JS.API.INFO ---------------- */

static json_t *limits_json(void)
{
    /* weir has one account with JetStream's dynamic limits: nothing is capped per account
     * (the server-wide max_memory_store / max_file_store apply to stream creation) */
    json_t *l = json_object();
    json_object_set_new(l, "max_memory", json_integer(-1));
    json_object_set_new(l, "max_storage", json_integer(-1));
    json_object_set_new(l, "max_streams", json_integer(-1));
    json_object_set_new(l, "max_consumers", json_integer(-1));
    json_object_set_new(l, "max_ack_pending", json_integer(-1));
    json_object_set_new(l, "memory_max_stream_bytes", json_integer(-1));
    json_object_set_new(l, "storage_max_stream_bytes", json_integer(-1));
    json_object_set_new(l, "max_bytes_required", json_false());
    return l;
}

static void account_info(jsapi_req *r)
{
    store *st = r->s->store;
    uint64_t mem = 0, file = 0, res_mem = 0, res_file = 0;
    size_t n = store_stream_count(st);
    for (size_t i = 0; i < n; i++) {
        stream *x = store_stream_at(st, i);
        const stream_config *c = stream_get_config(x);
        stream_state state;
        stream_get_state(x, &state);
        bool in_mem = c->storage == STREAM_STORAGE_MEMORY;
        *(in_mem ? &mem : &file) += state.bytes;
        if (c->max_bytes > 0)
            *(in_mem ? &res_mem : &res_file) += (uint64_t)c->max_bytes;
    }
    struct jsapi *a = jsapi_state(r->s);
    json_t *resp = jsapi_resp_new(r);
    json_object_set_new(resp, "memory", json_integer((json_int_t)mem));
    json_object_set_new(resp, "storage", json_integer((json_int_t)file));
    json_object_set_new(resp, "reserved_memory", json_integer((json_int_t)res_mem));
    json_object_set_new(resp, "reserved_storage", json_integer((json_int_t)res_file));
    json_object_set_new(resp, "streams", json_integer((json_int_t)n));
    json_object_set_new(resp, "consumers", json_integer((json_int_t)jsc_count(r->s, NULL)));
    json_object_set_new(resp, "limits", limits_json());
    json_t *api = json_object();
    json_object_set_new(api, "level", json_integer(JSAPI_LEVEL));
    json_object_set_new(api, "total", json_integer(a ? (json_int_t)a->total : 0));
    json_object_set_new(api, "errors", json_integer(a ? (json_int_t)a->errors : 0));
    json_object_set_new(resp, "api", api);
    if (r->s->opts->js_domain)
        json_object_set_new(resp, "domain", json_string(r->s->opts->js_domain));
    jsapi_send(r, resp, false);
}

/* ---------------- refusals ---------------- */

static void cluster_required(jsapi_req *r)
{
    jsapi_fail_id(r, JSERR_CLUSTER_REQUIRED);
}

static bool stream_exists_or_fail(jsapi_req *r)
{
    char name[256];
    if (store_stream_find(r->s->store, jsapi_token(r, 5, name, sizeof name)))
        return true;
    jsapi_fail_id(r, JSERR_STREAM_NOT_FOUND);
    return false;
}

static void snapshot(jsapi_req *r)
{
    if (!stream_exists_or_fail(r))
        return;
    jserr e;
    jserr_set(&e, JSERR_STREAM_SNAPSHOT, "err", "stream snapshots are not supported by weir", NULL);
    jsapi_fail(r, &e);
}

static void restore(jsapi_req *r)
{
    jserr e;
    jserr_set(&e, JSERR_STREAM_RESTORE, "err", "stream restores are not supported by weir", NULL);
    jsapi_fail(r, &e);
}

static void silent(jsapi_req *r)
{
    (void)r;
}

/* ---------------- dispatch ---------------- */

static bool has_prefix(const nats_op *op, const char *prefix)
{
    size_t n = strlen(prefix);
    return op->subject.len >= n && memcmp(op->subject.ptr, prefix, n) == 0;
}

/* $JS.<domain>.API.<rest> → $JS.API.<rest> when the server has that JetStream domain (what
 * clients with a domain option send). */
static bool from_domain(server *s, const nats_op *op, nats_op *out, char *buf, size_t cap)
{
    const char *d = s->opts->js_domain;
    if (!d)
        return false;
    size_t dl = strlen(d), pre = 4 + dl + 5; /* "$JS." d ".API." */
    if (op->subject.len < pre || memcmp(op->subject.ptr, "$JS.", 4) ||
        memcmp(op->subject.ptr + 4, d, dl) || memcmp(op->subject.ptr + 4 + dl, ".API.", 5))
        return false;
    size_t rest = op->subject.len - pre;
    if (8 + rest > cap)
        return false;
    memcpy(buf, "$JS.API.", 8);
    memcpy(buf + 8, op->subject.ptr + pre, rest);
    *out = *op;
    out->subject.ptr = buf;
    out->subject.len = 8 + rest;
    return true;
}

bool js_api_request(server *s, const nats_op *op)
{
    nats_op local;
    char subject[1024];
    if (s->js && from_domain(s, op, &local, subject, sizeof subject))
        op = &local;
    if (!s->js || !s->store || !has_prefix(op, "$JS.API."))
        return false;
    /* pull requests go to the consumer itself in nats-server, never to the API */
    if (has_prefix(op, "$JS.API.CONSUMER.MSG.NEXT."))
        return jsc_pull_request(s, op);

    jsapi_req r = {
        .s = s,
        .subject = strndup(op->subject.ptr, op->subject.len),
        .reply = strndup(op->reply.ptr ? op->reply.ptr : "", op->reply.len),
        .hdr = op->hdr_len ? op->payload.ptr : NULL,
        .hdr_len = op->hdr_len,
        .body = op->payload.ptr + op->hdr_len,
        .body_len = op->payload.len - op->hdr_len,
    };
    bool taken = true;
    if (!r.subject || !r.reply) {
        log_error("JetStream API: out of memory");
        goto done;
    }
    if (has_prefix(op, "$JS.API.DIRECT.GET")) {
        taken = jsapi_direct_get(&r);
        goto done;
    }
    const endpoint *hit = NULL;
    size_t hits = 0;
    for (size_t i = 0; i < sizeof endpoints / sizeof endpoints[0]; i++) {
        const endpoint *e = &endpoints[i];
        if (subject_matches(e->pattern, strlen(e->pattern), op->subject.ptr, op->subject.len)) {
            hit = e;
            hits++;
        }
    }
    char type[128];
    if (hits != 1) {
        r.type = TYPE_PREFIX "system_response";
        jsapi_fail_id(&r, JSERR_BAD_REQUEST);
        goto done;
    }
    if (hit->type) {
        snprintf(type, sizeof type, TYPE_PREFIX "%s", hit->type);
        r.type = type;
    }
    hit->fn(&r);
done:
    free(r.subject);
    free(r.reply);
    return taken;
}

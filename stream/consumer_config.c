/*
 * consumer_config.c — a consumer's configuration (see consumer.h): ConsumerConfig JSON read
 * with nats-server's defaults (setConsumerConfigDefaults) and checks in its order
 * (checkConsumerCfg), written back with its field names, the stream-dependent checks, and the
 * rules of what an update may change (checkNewConsumerConfig).
 */
#include "consumer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/gojson.h"
#include "proto/gotime.h"
#include "proto/subject.h"

#define NS_PER_S 1000000000LL
#define MAX_DESCRIPTION_LEN 4096
#define MAX_METADATA_LEN (128 * 1024)

static int fail(jserr *err, jserr_id id, const char *k, const char *v)
{
    jserr_set(err, id, k, v, NULL);
    return -1;
}

static int type_error(jserr *err, const json_t *v, const char *key, const char *go_type)
{
    char msg[200];
    snprintf(msg, sizeof msg,
             "json: cannot unmarshal %s into Go struct field ConsumerConfig.%s of type %s",
             gojson_kind(v), key, go_type);
    return fail(err, JSERR_INVALID_JSON, "err", msg);
}

static int get_str(const json_t *j, const char *key, char **out, jserr *err)
{
    const json_t *v = json_object_get(j, key);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return type_error(err, v, key, "string");
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
    if (!json_is_integer(v))
        return type_error(err, v, key, "int64");
    *out = json_integer_value(v);
    return 0;
}

static int get_bool(const json_t *j, const char *key, bool *out, jserr *err)
{
    const json_t *v = json_object_get(j, key);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_boolean(v))
        return type_error(err, v, key, "bool");
    *out = json_is_true(v);
    return 0;
}

/* A Go time.Time field: RFC 3339 text. *set tells whether it was present. */
static int get_time(const json_t *j, const char *key, int64_t *out, bool *set, jserr *err)
{
    const json_t *v = json_object_get(j, key);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return type_error(err, v, key, "time.Time");
    if (gotime_parse_rfc3339(json_string_value(v), json_string_length(v), out) < 0) {
        char msg[200];
        snprintf(msg, sizeof msg, "parsing time \"%.60s\" as \"2006-01-02T15:04:05Z07:00\": "
                 "cannot parse", json_string_value(v));
        return fail(err, JSERR_INVALID_JSON, "err", msg);
    }
    *set = true;
    return 0;
}

static int get_strings(const json_t *j, const char *key, char ***out, size_t *n, jserr *err)
{
    const json_t *a = json_object_get(j, key);
    if (!a || json_is_null(a))
        return 0;
    if (!json_is_array(a))
        return type_error(err, a, key, "[]string");
    size_t len = json_array_size(a);
    *out = calloc(len ? len : 1, sizeof(char *));
    if (!*out)
        return fail(err, JSERR_CONSUMER_CREATE, "err", "out of memory");
    for (size_t i = 0; i < len; i++) {
        const json_t *v = json_array_get(a, i);
        if (!json_is_string(v))
            return type_error(err, v, key, "string");
        (*out)[(*n)++] = strdup(json_string_value(v));
    }
    return 0;
}

static int get_durations(const json_t *j, const char *key, int64_t **out, size_t *n, jserr *err)
{
    const json_t *a = json_object_get(j, key);
    if (!a || json_is_null(a))
        return 0;
    if (!json_is_array(a))
        return type_error(err, a, key, "[]time.Duration");
    size_t len = json_array_size(a);
    *out = calloc(len ? len : 1, sizeof **out);
    if (!*out)
        return fail(err, JSERR_CONSUMER_CREATE, "err", "out of memory");
    for (size_t i = 0; i < len; i++) {
        const json_t *v = json_array_get(a, i);
        if (!json_is_integer(v))
            return type_error(err, v, key, "time.Duration");
        (*out)[(*n)++] = json_integer_value(v);
    }
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

static const char *const deliver_names[] = {"all", "last", "new", "by_start_sequence",
                                             "by_start_time", "last_per_subject"};
static const char *const ack_names[] = {"none", "all", "explicit"};
static const char *const replay_names[] = {"instant", "original"};

static int policy_index(const char *v, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v, names[i]))
            return (int)i;
    return -1;
}

/* nats-server's "consumer delivery policy is deliver X, but optional start Y is also set". */
static int start_conflict(jserr *err, const char *dp, const char *what, bool not_set)
{
    char msg[160];
    if (not_set)
        snprintf(msg, sizeof msg,
                 "consumer delivery policy is deliver %s, but optional %s is not set", dp, what);
    else
        snprintf(msg, sizeof msg,
                 "consumer delivery policy is deliver %s, but optional start %s is also set", dp,
                 what);
    return fail(err, JSERR_CONSUMER_INVALID_POLICY, "err", msg);
}

static int check_start(const consumer_config *c, int64_t start_seq, jserr *err)
{
    bool seq = start_seq > 0, t = c->has_opt_start_time;
    switch (c->deliver_policy) {
    case CONSUMER_DELIVER_ALL:
    case CONSUMER_DELIVER_LAST:
    case CONSUMER_DELIVER_NEW: {
        const char *dp = c->deliver_policy == CONSUMER_DELIVER_ALL    ? "all"
                         : c->deliver_policy == CONSUMER_DELIVER_LAST ? "last"
                                                                      : "new";
        if (seq)
            return start_conflict(err, dp, "sequence", false);
        if (t)
            return start_conflict(err, dp, "time", false);
        return 0;
    }
    case CONSUMER_DELIVER_LAST_PER_SUBJECT:
        if (seq)
            return start_conflict(err, "last per subject", "sequence", false);
        if (t)
            return start_conflict(err, "last per subject", "time", false);
        if (!c->filter_subject && !c->nfilters)
            return start_conflict(err, "last per subject", "filter subject", true);
        return 0;
    case CONSUMER_DELIVER_BY_START_SEQ:
        if (!seq)
            return start_conflict(err, "by start sequence", "start sequence", true);
        if (t)
            return start_conflict(err, "by start sequence", "time", false);
        return 0;
    case CONSUMER_DELIVER_BY_START_TIME:
        if (!t)
            return start_conflict(err, "by start time", "start time", true);
        if (seq)
            return start_conflict(err, "by start time", "start sequence", false);
        return 0;
    }
    return 0;
}

/* checkConsumerCfg's push / pull branch. */
static int check_mode(const consumer_config *c, int64_t max_waiting, jserr *err)
{
    if (consumer_config_is_push(c)) {
        size_t len = strlen(c->deliver_subject);
        if (subject_has_wildcard(c->deliver_subject, len))
            return fail(err, JSERR_CONSUMER_DELIVER_TO_WILDCARDS, NULL, NULL);
        if (!subject_valid_literal(c->deliver_subject, len))
            return fail(err, JSERR_CONSUMER_INVALID_DELIVER_SUBJECT, NULL, NULL);
        if (max_waiting != 0)
            return fail(err, JSERR_CONSUMER_PUSH_MAX_WAITING, NULL, NULL);
        if (c->max_ack_pending > 0 && c->ack_policy == CONSUMER_ACK_NONE)
            return fail(err, JSERR_CONSUMER_MAX_PENDING_ACK_POLICY_REQUIRED, NULL, NULL);
        if (c->idle_heartbeat_ns > 0 && c->idle_heartbeat_ns < NS_PER_S / 10)
            return fail(err, JSERR_CONSUMER_SMALL_HEARTBEAT, NULL, NULL);
        return 0;
    }
    if (c->rate_limit_bps > 0)
        return fail(err, JSERR_CONSUMER_PULL_WITH_RATE_LIMIT, NULL, NULL);
    if (max_waiting < 0)
        return fail(err, JSERR_CONSUMER_MAX_WAITING_NEGATIVE, NULL, NULL);
    if (c->idle_heartbeat_ns > 0)
        return fail(err, JSERR_CONSUMER_HB_REQUIRES_PUSH, NULL, NULL);
    if (c->flow_control)
        return fail(err, JSERR_CONSUMER_FC_REQUIRES_PUSH, NULL, NULL);
    if (c->max_batch < 0)
        return fail(err, JSERR_CONSUMER_MAX_REQUEST_BATCH_NEGATIVE, NULL, NULL);
    if (c->max_expires_ns != 0 && c->max_expires_ns < 1000000)
        return fail(err, JSERR_CONSUMER_MAX_REQUEST_EXPIRES_TOO_SMALL, NULL, NULL);
    return 0;
}

static int check_filters(const consumer_config *c, jserr *err)
{
    if (c->filter_subject && c->nfilters)
        return fail(err, JSERR_CONSUMER_DUPLICATE_FILTER_SUBJECTS, NULL, NULL);
    if (c->filter_subject && !subject_valid_filter(c->filter_subject, strlen(c->filter_subject)))
        return fail(err, JSERR_STREAM_INVALID_CONFIG, "err", "invalid subject");
    for (size_t i = 0; i < c->nfilters; i++)
        if (!c->filter_subjects[i][0])
            return fail(err, JSERR_CONSUMER_EMPTY_FILTER, NULL, NULL);
    for (size_t i = 0; i < c->nfilters; i++) {
        const char *f = c->filter_subjects[i];
        if (!subject_valid_filter(f, strlen(f)))
            return fail(err, JSERR_STREAM_INVALID_CONFIG, "err", "invalid subject");
        for (size_t k = 0; k < i; k++)
            if (subject_filters_overlap(f, strlen(f), c->filter_subjects[k],
                                        strlen(c->filter_subjects[k])))
                return fail(err, JSERR_CONSUMER_OVERLAPPING_SUBJECT_FILTERS, NULL, NULL);
    }
    return 0;
}

static int check_names(const consumer_config *c, jserr *err)
{
    if (has_path_separator(c->durable_name) || has_path_separator(c->name))
        return fail(err, JSERR_CONSUMER_NAME_CONTAINS_PATH_SEPARATORS, NULL, NULL);
    if (bad_name(c->durable_name) || bad_name(c->name))
        return fail(err, JSERR_CONSUMER_BAD_DURABLE_NAME, NULL, NULL);
    if (c->durable_name && c->name && strcmp(c->durable_name, c->name) != 0)
        return fail(err, JSERR_CONSUMER_CREATE_DURABLE_AND_NAME_MISMATCH, NULL, NULL);
    return 0;
}

static size_t metadata_len(const json_t *md)
{
    size_t n = 0;
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)md, k, v) n += strlen(k) + (json_is_string(v) ? json_string_length(v) : 0);
    return n;
}

int consumer_config_from_json(const json_t *j, consumer_config *out, jserr *err)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(j))
        return fail(err, JSERR_CONSUMER_CONFIG_REQUIRED, NULL, NULL);
    /* what weir does not do is refused, never ignored */
    static const char *const unsupported[] = {"priority_groups", "priority_policy",
                                              "priority_timeout", "direct", "sourcing"};
    for (size_t i = 0; i < sizeof unsupported / sizeof unsupported[0]; i++)
        if (set_and_true(j, unsupported[i])) {
            char msg[128];
            snprintf(msg, sizeof msg, "consumer option %s is not supported by weir",
                     unsupported[i]);
            return fail(err, JSERR_CONSUMER_CREATE, "err", msg);
        }
    char *dp = NULL, *ap = NULL, *rp = NULL;
    int64_t start = 0, ack_wait = 0, max_deliver = 0, map = 0, mw = 0, inact = 0, repl = 0,
            rate = 0;
    bool has_pause = false;
    if (get_str(j, "durable_name", &out->durable_name, err) < 0 ||
        get_str(j, "name", &out->name, err) < 0 ||
        get_str(j, "description", &out->description, err) < 0 ||
        get_str(j, "filter_subject", &out->filter_subject, err) < 0 ||
        get_str(j, "deliver_policy", &dp, err) < 0 || get_str(j, "ack_policy", &ap, err) < 0 ||
        get_str(j, "replay_policy", &rp, err) < 0 ||
        get_str(j, "deliver_subject", &out->deliver_subject, err) < 0 ||
        get_str(j, "deliver_group", &out->deliver_group, err) < 0 ||
        get_str(j, "sample_freq", &out->sample_freq, err) < 0 ||
        get_int(j, "opt_start_seq", &start, err) < 0 ||
        get_int(j, "ack_wait", &ack_wait, err) < 0 ||
        get_int(j, "max_deliver", &max_deliver, err) < 0 ||
        get_int(j, "max_ack_pending", &map, err) < 0 ||
        get_int(j, "max_waiting", &mw, err) < 0 ||
        get_int(j, "inactive_threshold", &inact, err) < 0 ||
        get_int(j, "num_replicas", &repl, err) < 0 ||
        get_int(j, "rate_limit_bps", &rate, err) < 0 ||
        get_int(j, "idle_heartbeat", &out->idle_heartbeat_ns, err) < 0 ||
        get_int(j, "max_batch", &out->max_batch, err) < 0 ||
        get_int(j, "max_expires", &out->max_expires_ns, err) < 0 ||
        get_int(j, "max_bytes", &out->max_bytes, err) < 0 ||
        get_bool(j, "flow_control", &out->flow_control, err) < 0 ||
        get_bool(j, "headers_only", &out->headers_only, err) < 0 ||
        get_bool(j, "mem_storage", &out->mem_storage, err) < 0 ||
        get_time(j, "opt_start_time", &out->opt_start_time_ns, &out->has_opt_start_time,
                 err) < 0 ||
        get_time(j, "pause_until", &out->pause_until_ns, &has_pause, err) < 0 ||
        get_strings(j, "filter_subjects", &out->filter_subjects, &out->nfilters, err) < 0 ||
        get_durations(j, "backoff", &out->backoff_ns, &out->nbackoff, err) < 0)
        goto bad;
    const json_t *md = json_object_get(j, "metadata");
    if (md && json_is_object(md) && json_object_size(md) > 0)
        out->metadata = json_deep_copy(md);
    out->rate_limit_bps = rate > 0 ? (uint64_t)rate : 0;

    int d = dp ? policy_index(dp, deliver_names, 6) : 0;
    if (dp && d < 0 && !strcmp(dp, "undefined"))
        d = 0;
    if (d < 0) {
        char msg[240];
        snprintf(msg, sizeof msg, "can not unmarshal %.200s", dp);
        fail(err, JSERR_INVALID_JSON, "err", msg);
        goto bad;
    }
    out->deliver_policy = (consumer_deliver_policy)d;
    int a = ap ? policy_index(ap, ack_names, 3) : 0;
    int rpi = rp ? policy_index(rp, replay_names, 2) : 0;

    /* setConsumerConfigDefaults */
    out->max_deliver = max_deliver > 0 ? max_deliver : -1;
    if (!consumer_config_is_push(out) && mw == 0)
        mw = 512;
    if (out->nbackoff)
        ack_wait = out->backoff_ns[0];

    /* checkConsumerCfg, in its order */
    if (check_names(out, err) < 0)
        goto bad;
    if (repl > 1) {
        fail(err, JSERR_CONSUMER_REPLICAS_EXCEEDS_STREAM, NULL, NULL);
        goto bad;
    }
    if (repl < 0) {
        fail(err, JSERR_REPLICAS_COUNT_CANNOT_BE_NEGATIVE, NULL, NULL);
        goto bad;
    }
    if (a < 0) {
        fail(err, JSERR_CONSUMER_ACK_POLICY_INVALID, NULL, NULL);
        goto bad;
    }
    out->ack_policy = (consumer_ack_policy)a;
    if (rpi < 0) {
        fail(err, JSERR_CONSUMER_REPLAY_POLICY_INVALID, NULL, NULL);
        goto bad;
    }
    out->replay_policy = (consumer_replay_policy)rpi;
    for (size_t i = 0; i < out->nbackoff; i++)
        if (out->backoff_ns[i] < 0) {
            fail(err, JSERR_CONSUMER_BACK_OFF_NEGATIVE, NULL, NULL);
            goto bad;
        }
    if (ack_wait < 0) {
        fail(err, JSERR_CONSUMER_ACK_WAIT_NEGATIVE, NULL, NULL);
        goto bad;
    }
    /* nats-server 2.9/2.10: max_deliver must exceed the number of backoff values */
    if (out->nbackoff && out->max_deliver != -1 && out->max_deliver <= (int64_t)out->nbackoff) {
        fail(err, JSERR_CONSUMER_MAX_DELIVER_BACKOFF, NULL, NULL);
        goto bad;
    }
    if (out->description && strlen(out->description) > MAX_DESCRIPTION_LEN) {
        jserr_set(err, JSERR_CONSUMER_DESCRIPTION_TOO_LONG, "max", "4096", NULL);
        goto bad;
    }
    out->max_ack_pending = map;
    if (check_mode(out, mw, err) < 0)
        goto bad;
    if (check_filters(out, err) < 0 || check_start(out, start, err) < 0)
        goto bad;
    if (out->sample_freq) {
        char *end;
        long f = strtol(out->sample_freq, &end, 10);
        if (end == out->sample_freq || (*end && strcmp(end, "%") != 0) || f < 0) {
            jserr_set(err, JSERR_CONSUMER_INVALID_SAMPLING, "err", "invalid sample frequency",
                      NULL);
            goto bad;
        }
    }
    if (out->flow_control && out->idle_heartbeat_ns == 0) {
        fail(err, JSERR_CONSUMER_WITH_FLOW_CONTROL_NEEDS_HEARTBEATS, NULL, NULL);
        goto bad;
    }
    if (out->metadata && metadata_len(out->metadata) > MAX_METADATA_LEN) {
        jserr_set(err, JSERR_CONSUMER_METADATA_LENGTH, "limit", "128KB", NULL);
        goto bad;
    }
    if (map > 0 && out->ack_policy == CONSUMER_ACK_NONE) {
        fail(err, JSERR_CONSUMER_MAX_PENDING_ACK_POLICY_REQUIRED, NULL, NULL);
        goto bad;
    }

    if (out->durable_name && !out->name)
        out->name = strdup(out->durable_name);
    out->opt_start_seq = (uint64_t)(start > 0 ? start : 0);
    out->ack_wait_ns = ack_wait > 0 ? ack_wait : 30 * NS_PER_S;
    out->max_ack_pending = out->ack_policy == CONSUMER_ACK_NONE ? 0 : map != 0 ? map : 1000;
    out->max_waiting = mw;
    out->num_replicas = repl > 0 ? repl : 0;
    out->inactive_threshold_ns = inact > 0 ? inact : 0;
    if (!out->durable_name && out->inactive_threshold_ns == 0)
        out->inactive_threshold_ns = 5 * NS_PER_S;
    if (out->idle_heartbeat_ns < 0)
        out->idle_heartbeat_ns = 0;
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

static json_t *time_json(int64_t ns)
{
    char buf[GOTIME_RFC3339_MAX];
    return json_string(gotime_format_rfc3339nano(ns, buf));
}

static void set_str(json_t *j, const char *key, const char *v)
{
    if (v)
        json_object_set_new(j, key, json_string(v));
}

static void set_int(json_t *j, const char *key, int64_t v)
{
    if (v)
        json_object_set_new(j, key, json_integer(v));
}

static void set_true(json_t *j, const char *key, bool v)
{
    if (v)
        json_object_set_new(j, key, json_true());
}

json_t *consumer_config_to_json(const consumer_config *c)
{
    json_t *j = json_object();
    set_str(j, "durable_name", c->durable_name);
    set_str(j, "name", c->name);
    set_str(j, "description", c->description);
    json_object_set_new(j, "deliver_policy", json_string(deliver_names[c->deliver_policy]));
    set_int(j, "opt_start_seq", (int64_t)c->opt_start_seq);
    if (c->has_opt_start_time)
        json_object_set_new(j, "opt_start_time", time_json(c->opt_start_time_ns));
    json_object_set_new(j, "ack_policy", json_string(ack_names[c->ack_policy]));
    json_object_set_new(j, "ack_wait", json_integer(c->ack_wait_ns));
    json_object_set_new(j, "max_deliver", json_integer(c->max_deliver));
    if (c->nbackoff) {
        json_t *a = json_array();
        for (size_t i = 0; i < c->nbackoff; i++)
            json_array_append_new(a, json_integer(c->backoff_ns[i]));
        json_object_set_new(j, "backoff", a);
    }
    set_str(j, "filter_subject", c->filter_subject);
    if (c->nfilters) {
        json_t *a = json_array();
        for (size_t i = 0; i < c->nfilters; i++)
            json_array_append_new(a, json_string(c->filter_subjects[i]));
        json_object_set_new(j, "filter_subjects", a);
    }
    json_object_set_new(j, "replay_policy", json_string(replay_names[c->replay_policy]));
    set_int(j, "rate_limit_bps", (int64_t)c->rate_limit_bps);
    set_str(j, "sample_freq", c->sample_freq);
    set_int(j, "max_waiting", c->max_waiting);
    set_int(j, "max_ack_pending", c->max_ack_pending);
    set_true(j, "flow_control", c->flow_control);
    set_true(j, "headers_only", c->headers_only);
    set_int(j, "max_batch", c->max_batch);
    set_int(j, "max_expires", c->max_expires_ns);
    set_int(j, "max_bytes", c->max_bytes);
    set_str(j, "deliver_subject", c->deliver_subject);
    set_str(j, "deliver_group", c->deliver_group);
    set_int(j, "idle_heartbeat", c->idle_heartbeat_ns);
    set_int(j, "inactive_threshold", c->inactive_threshold_ns);
    json_object_set_new(j, "num_replicas", json_integer(c->num_replicas));
    set_true(j, "mem_storage", c->mem_storage);
    if (c->metadata)
        json_object_set(j, "metadata", c->metadata);
    if (c->pause_until_ns)
        json_object_set_new(j, "pause_until", time_json(c->pause_until_ns));
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
    free(c->backoff_ns);
    free(c->sample_freq);
    free(c->deliver_subject);
    free(c->deliver_group);
    memset(c, 0, sizeof *c);
}

int consumer_config_check_stream(const consumer_config *c, const stream_config *sc, jserr *err)
{
    if (consumer_config_is_push(c)) {
        /* a deliver subject the stream captures would store its own deliveries */
        size_t len = strlen(c->deliver_subject);
        for (size_t i = 0; i < sc->nsubjects; i++)
            if (subject_matches(sc->subjects[i], strlen(sc->subjects[i]), c->deliver_subject,
                                len))
                return fail(err, JSERR_CONSUMER_DELIVER_CYCLE, NULL, NULL);
        if (!sc->nsubjects && !strcmp(sc->name, c->deliver_subject))
            return fail(err, JSERR_CONSUMER_DELIVER_CYCLE, NULL, NULL);
    } else if (c->ack_policy == CONSUMER_ACK_NONE &&
               sc->retention == STREAM_RETENTION_WORKQUEUE) {
        return fail(err, JSERR_CONSUMER_PULL_REQUIRES_ACK, NULL, NULL);
    }
    return 0;
}

static bool str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

static int update_refused(jserr *err, const char *why)
{
    return fail(err, JSERR_CONSUMER_CREATE, "err", why);
}

/* checkNewConsumerConfig: 0 when cfg may replace old. */
int consumer_config_check_update(const consumer_config *old, const consumer_config *cfg,
                                 jserr *err)
{
    if (old->deliver_policy != cfg->deliver_policy)
        return update_refused(err, "deliver policy can not be updated");
    if (old->mem_storage != cfg->mem_storage)
        return update_refused(err, "storage type can not be updated");
    if (old->opt_start_seq != cfg->opt_start_seq)
        return update_refused(err, "start sequence can not be updated");
    if (old->has_opt_start_time != cfg->has_opt_start_time ||
        (old->has_opt_start_time && old->opt_start_time_ns != cfg->opt_start_time_ns))
        return update_refused(err, "start time can not be updated");
    if (old->ack_policy != cfg->ack_policy)
        return update_refused(err, "ack policy can not be updated");
    if (old->replay_policy != cfg->replay_policy)
        return update_refused(err, "replay policy can not be updated");
    if (old->idle_heartbeat_ns != cfg->idle_heartbeat_ns)
        return update_refused(err, "heart beats can not be updated");
    if (old->flow_control != cfg->flow_control)
        return update_refused(err, "flow control can not be updated");
    if (!str_eq(old->deliver_subject, cfg->deliver_subject)) {
        if (!old->deliver_subject)
            return update_refused(err, "can not update pull consumer to push based");
        if (!cfg->deliver_subject)
            return update_refused(err, "can not update push consumer to pull based");
    }
    if (old->max_waiting != cfg->max_waiting)
        return update_refused(err, "max waiting can not be updated");
    return 0;
}

/*
 * stream_config.c — StreamConfig as nats-server reads, defaults, validates, updates and writes it
 * (server/stream.go: StreamConfig, checkStreamCfg, configUpdateCheck; server/jetstream_api.go:
 * the create and update handlers). Behaviour follows nats-server 2.10/2.11, the API level weir
 * emulates; the texts of the errors are nats-server's, so clients and users see the same thing.
 *
 * Parsing mirrors Go's encoding/json as nats-server uses it: keys in document order, matched
 * case-insensitively, unknown keys ignored (non-strict mode, the 2.10/2.11 default); a value of
 * the wrong type is remembered and reported as "invalid JSON: json: cannot unmarshal ..." once
 * the document is read; the enum fields (retention, discard, storage, compression,
 * persist_mode) fail at once with their unmarshaler's text. Features weir does not implement
 * (sources, placement, templates,
 * counters, atomic and batched publish, message schedules, async persist) are refused with
 * JSERR_STREAM_INVALID_CONFIG and a text naming them, after the JSON itself was read.
 */
#include "stream_config.h"

#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proto/gojson.h"
#include "proto/subject.h"
#include "proto/gotime.h"
#include "proto/subject_transform.h"

#define NS_PER_MS INT64_C(1000000)
#define NS_PER_S INT64_C(1000000000)
#define DEFAULT_DUPLICATE_WINDOW_NS (120 * NS_PER_S) /* StreamDefaultDuplicatesWindow */
#define MAX_NAME_LEN 255                            /* JSMaxNameLen */
#define MAX_DESCRIPTION_LEN 4096                    /* JSMaxDescriptionLen */
#define MAX_METADATA_LEN (128 * 1024)               /* JSMaxMetadataLen */
#define MAX_REPLICAS 5                              /* StreamMaxReplicas */

/* ---------------- small helpers ---------------- */

static int invalid_config(jserr *err, const char *text)
{
    jserr_set(err, JSERR_STREAM_INVALID_CONFIG, "err", text, NULL);
    return -1;
}

static char *dup_str(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* Length of the UTF-8 sequence that starts with byte c (1 for ASCII and stray bytes). */
static size_t utf8_len(unsigned char c)
{
    return c >= 0xF0 && c <= 0xF7 ? 4 : c >= 0xE0 ? (c <= 0xEF ? 3 : 1) : c >= 0xC0 ? 2 : 1;
}

/* Go's %q of a byte string (what the enum unmarshalers put in their errors). Cut short, on a
 * character boundary, when it does not fit. */
static void go_quote(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    if (cap < 3) {
        if (cap)
            out[0] = '\0';
        return;
    }
    out[n++] = '"';
    while (*s) {
        unsigned char c = (unsigned char)*s;
        size_t len = utf8_len(c);
        if (n + (len > 4 ? len : 4) + 2 >= cap)
            break; /* room for the longest escape, the closing quote and the NUL */
        if (c == '"' || c == '\\') {
            out[n++] = '\\';
            out[n++] = (char)c;
        } else if (c == '\n') {
            out[n++] = '\\';
            out[n++] = 'n';
        } else if (c == '\t') {
            out[n++] = '\\';
            out[n++] = 't';
        } else if (c < 0x20 || c == 0x7f) {
            n += (size_t)snprintf(out + n, cap - n, "\\x%02x", c);
        } else {
            size_t k = 0;
            while (k < len && s[k])
                k++;
            memcpy(out + n, s, k);
            n += k;
            s += k;
            continue;
        }
        s++;
    }
    out[n++] = '"';
    out[n] = '\0';
}

/* The JSON text of a value, compact (the "raw bytes" Go hands to an unmarshaler), cut on a
 * character boundary when longer than the buffer. */
static void raw_json(const json_t *v, char *out, size_t cap)
{
    char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    const char *src = s ? s : "null";
    size_t n = 0;
    while (src[n]) {
        size_t len = utf8_len((unsigned char)src[n]);
        for (size_t k = 1; k < len; k++)
            if (!src[n + k])
                len = k;
        if (n + len >= cap)
            break;
        n += len;
    }
    memcpy(out, src, n);
    out[n] = '\0';
    free(s);
}

/* nats-server's subjectIsSubsetMatch: every subject that matches `subj` also matches `test`. */
static bool filter_is_subset(const char *subj, const char *test)
{
    for (;;) {
        const char *se = strchr(subj, '.'), *te = strchr(test, '.');
        size_t sl = se ? (size_t)(se - subj) : strlen(subj);
        size_t tl = te ? (size_t)(te - test) : strlen(test);
        bool tfwc = tl == 1 && test[0] == '>', sfwc = sl == 1 && subj[0] == '>';
        if (tfwc)
            return true;
        if (sfwc)
            return false;
        if (!(tl == 1 && test[0] == '*')) {
            if (sl == 1 && subj[0] == '*')
                return false;
            if (sl != tl || memcmp(subj, test, sl) != 0)
                return false;
        }
        if (!se || !te)
            return !se && !te;
        subj = se + 1;
        test = te + 1;
    }
}

/* Subject i of a config ("" for a missing one, which no rule accepts). */
static const char *subject_at(const stream_config *c, size_t i)
{
    return c->subjects[i] ? c->subjects[i] : "";
}

static bool filters_collide(const char *a, const char *b)
{
    return subject_filters_overlap(a, strlen(a), b, strlen(b));
}

/* ---------------- parsing ---------------- */

typedef enum {
    F_STRING,      /* char * */
    F_I64,         /* int64_t */
    F_I32,         /* int32_t */
    F_INT,         /* int (Go int) */
    F_U64,         /* uint64_t */
    F_BOOL,        /* bool */
    F_RETENTION,   /* stream_retention */
    F_DISCARD,     /* stream_discard */
    F_STORAGE,     /* stream_storage */
    F_COMPRESSION, /* compression: "none" or "s2" */
    F_SUBJECTS,
    F_METADATA,
    F_CONSUMER_LIMITS,
    F_REPUBLISH,
    F_MIRROR,
    F_TRANSFORM,
    F_PERSIST_MODE,   /* "default" | "" accepted, "async" refused */
    F_UNSUPPORTED,    /* object field weir does not implement: null accepted */
    F_SOURCES,
    F_PLACEMENT,      /* object: empty accepted */
    F_UNSUPPORTED_ON, /* bool field weir does not implement: false accepted */
    F_TEMPLATE,       /* string: empty accepted */
} field_kind;

typedef struct {
    const char *key;
    field_kind kind;
    size_t off;           /* offset in stream_config; unused by the F_UNSUPPORTED* kinds */
    const char *gotype;   /* Go type, for the type errors */
    const char *refusal;  /* for the refused features */
} field_def;

#define OFF(f) offsetof(stream_config, f)

static const field_def fields[] = {
    {"name", F_STRING, OFF(name), "string", NULL},
    {"description", F_STRING, OFF(description), "string", NULL},
    {"subjects", F_SUBJECTS, OFF(subjects), "[]string", NULL},
    {"retention", F_RETENTION, OFF(retention), NULL, NULL},
    {"max_consumers", F_I64, OFF(max_consumers), "int", NULL},
    {"max_msgs", F_I64, OFF(max_msgs), "int64", NULL},
    {"max_bytes", F_I64, OFF(max_bytes), "int64", NULL},
    {"max_age", F_I64, OFF(max_age_ns), "time.Duration", NULL},
    {"max_msgs_per_subject", F_I64, OFF(max_msgs_per_subject), "int64", NULL},
    {"max_msg_size", F_I32, OFF(max_msg_size), "int32", NULL},
    {"discard", F_DISCARD, OFF(discard), NULL, NULL},
    {"storage", F_STORAGE, OFF(storage), NULL, NULL},
    {"num_replicas", F_INT, OFF(num_replicas), "int", NULL},
    {"no_ack", F_BOOL, OFF(no_ack), "bool", NULL},
    {"template_owner", F_TEMPLATE, 0, "string", "stream templates are not supported"},
    {"duplicate_window", F_I64, OFF(duplicate_window_ns), "time.Duration", NULL},
    {"placement", F_PLACEMENT, 0, "server.Placement",
     "stream placement is not supported: weir runs as a single server"},
    {"mirror", F_MIRROR, 0, "server.StreamSource", NULL},
    {"sources", F_SOURCES, 0, "[]*server.StreamSource", NULL},
    {"compression", F_COMPRESSION, 0, NULL, NULL},
    {"first_seq", F_U64, OFF(first_seq), "uint64", NULL},
    {"subject_transform", F_TRANSFORM, 0, "server.SubjectTransformConfig", NULL},
    {"republish", F_REPUBLISH, 0, "server.RePublish", NULL},
    {"allow_direct", F_BOOL, OFF(allow_direct), "bool", NULL},
    {"mirror_direct", F_BOOL, OFF(mirror_direct), "bool", NULL},
    {"discard_new_per_subject", F_BOOL, OFF(discard_new_per_subject), "bool", NULL},
    {"sealed", F_BOOL, OFF(sealed), "bool", NULL},
    {"deny_delete", F_BOOL, OFF(deny_delete), "bool", NULL},
    {"deny_purge", F_BOOL, OFF(deny_purge), "bool", NULL},
    {"allow_rollup_hdrs", F_BOOL, OFF(allow_rollup_hdrs), "bool", NULL},
    {"consumer_limits", F_CONSUMER_LIMITS, 0, "server.StreamConsumerLimits", NULL},
    {"allow_msg_ttl", F_BOOL, OFF(allow_msg_ttl), "bool", NULL},
    {"subject_delete_marker_ttl", F_I64, OFF(subject_delete_marker_ttl_ns), "time.Duration", NULL},
    {"allow_msg_counter", F_UNSUPPORTED_ON, 0, "bool", "stream message counters are not supported"},
    {"allow_atomic", F_UNSUPPORTED_ON, 0, "bool", "atomic batch publish is not supported"},
    {"allow_msg_schedules", F_UNSUPPORTED_ON, 0, "bool", "message schedules are not supported"},
    {"persist_mode", F_PERSIST_MODE, 0, NULL, "async persist mode is not supported"},
    {"allow_batched", F_UNSUPPORTED_ON, 0, "bool", "batch publish is not supported"},
    {"metadata", F_METADATA, 0, "map[string]string", NULL},
    {"pedantic", F_BOOL, OFF(pedantic), "bool", NULL},
};

typedef struct {
    stream_config *c;
    char type_err[512];    /* first Go UnmarshalTypeError text, "" when none */
    const char *refusal;   /* first unsupported feature, NULL when none */
} parse_ctx;

/* Remembers the first type error as Go words it. `value` is Go's description of the JSON value
 * ("string", "number 1.5", ...). */
static void type_error(parse_ctx *p, const char *value, const char *strct, const char *field,
                       const char *gotype)
{
    if (p->type_err[0])
        return;
    snprintf(p->type_err, sizeof p->type_err,
             "json: cannot unmarshal %s into Go struct field %s.%s of type %s", value, strct,
             field, gotype);
}

static void refuse(parse_ctx *p, const char *text)
{
    if (!p->refusal)
        p->refusal = text;
}

/* An integer for a Go integer field of range [lo, hi]. Returns false (type error noted) when the
 * value is not one; null leaves *out alone and returns false. */
static bool get_int(parse_ctx *p, const json_t *v, const char *strct, const char *field,
                    const char *gotype, long long lo, long long hi, long long *out)
{
    if (json_is_null(v))
        return false;
    if (json_is_integer(v)) {
        json_int_t n = json_integer_value(v);
        if (n >= lo && n <= hi) {
            *out = n;
            return true;
        }
    }
    if (json_is_number(v)) {
        char raw[64], desc[80];
        raw_json(v, raw, sizeof raw);
        snprintf(desc, sizeof desc, "number %s", raw);
        type_error(p, desc, strct, field, gotype);
    } else {
        type_error(p, gojson_kind(v), strct, field, gotype);
    }
    return false;
}

static bool get_bool(parse_ctx *p, const json_t *v, const char *field, bool *out)
{
    if (json_is_null(v))
        return false;
    if (!json_is_boolean(v)) {
        type_error(p, gojson_kind(v), "StreamConfigRequest", field, "bool");
        return false;
    }
    *out = json_is_true(v);
    return true;
}

/* Enum unmarshalers: raw JSON compared with the accepted spellings; anything else fails at once
 * with "can not unmarshal %q". Returns the index of the match, or -1 with err set. */
static int get_enum(const json_t *v, const char *const *names, size_t n, bool fold, jserr *err)
{
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        for (size_t i = 0; i < n; i++)
            if (fold ? strcasecmp(s, names[i]) == 0 : strcmp(s, names[i]) == 0)
                return (int)i;
    }
    char raw[256], q[600], text[640];
    raw_json(v, raw, sizeof raw);
    go_quote(raw, q, sizeof q);
    snprintf(text, sizeof text, "can not unmarshal %s", q);
    jserr_set(err, JSERR_INVALID_JSON, "err", text, NULL);
    return -1;
}

static int parse_subjects(parse_ctx *p, const json_t *v)
{
    stream_config *c = p->c;
    for (size_t i = 0; i < c->nsubjects; i++)
        free(c->subjects[i]);
    free(c->subjects);
    c->subjects = NULL;
    c->nsubjects = 0;
    if (json_is_null(v))
        return 0;
    if (!json_is_array(v)) {
        type_error(p, gojson_kind(v), "StreamConfigRequest", "subjects", "[]string");
        return 0;
    }
    size_t n = json_array_size(v);
    if (n == 0)
        return 0;
    c->subjects = calloc(n, sizeof *c->subjects);
    if (!c->subjects)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(v, i);
        const char *s = "";
        if (json_is_string(e))
            s = json_string_value(e);
        else if (!json_is_null(e))
            type_error(p, gojson_kind(e), "StreamConfigRequest", "subjects", "string");
        c->subjects[i] = strdup(s);
        if (!c->subjects[i])
            return -1;
        c->nsubjects = i + 1;
    }
    return 0;
}

static int parse_metadata(parse_ctx *p, const json_t *v)
{
    stream_config *c = p->c;
    json_decref(c->metadata);
    c->metadata = NULL;
    if (json_is_null(v))
        return 0;
    if (!json_is_object(v)) {
        type_error(p, gojson_kind(v), "StreamConfigRequest", "metadata", "map[string]string");
        return 0;
    }
    json_t *m = json_object();
    if (!m)
        return -1;
    const char *k;
    json_t *val;
    json_object_foreach((json_t *)v, k, val) {
        const char *s = "";
        if (json_is_string(val)) {
            s = json_string_value(val);
        } else if (!json_is_null(val)) {
            type_error(p, gojson_kind(val), "StreamConfigRequest", "metadata", "string");
            continue;
        }
        if (json_object_set_new(m, k, json_string(s)) != 0) {
            json_decref(m);
            return -1;
        }
    }
    if (json_object_size(m) == 0)
        json_decref(m); /* Go emits an empty map as nothing (omitempty) */
    else
        c->metadata = m;
    return 0;
}

/* consumer_limits: {"inactive_threshold": ns, "max_ack_pending": n}, kept with its non-zero
 * fields only (both omitempty in nats-server), NULL when both are zero. */
static int parse_consumer_limits(parse_ctx *p, const json_t *v)
{
    stream_config *c = p->c;
    if (json_is_null(v))
        return 0;
    if (!json_is_object(v)) {
        type_error(p, gojson_kind(v), "StreamConfigRequest", "consumer_limits",
                   "server.StreamConsumerLimits");
        return 0;
    }
    long long inactive = 0, max_ack = 0;
    if (c->consumer_limits) {
        inactive = json_integer_value(json_object_get(c->consumer_limits, "inactive_threshold"));
        max_ack = json_integer_value(json_object_get(c->consumer_limits, "max_ack_pending"));
    }
    const char *k;
    json_t *val;
    json_object_foreach((json_t *)v, k, val) {
        if (strcasecmp(k, "inactive_threshold") == 0)
            get_int(p, val, "StreamConsumerLimits", "consumer_limits.inactive_threshold",
                    "time.Duration", LLONG_MIN, LLONG_MAX, &inactive);
        else if (strcasecmp(k, "max_ack_pending") == 0)
            get_int(p, val, "StreamConsumerLimits", "consumer_limits.max_ack_pending", "int",
                    LLONG_MIN, LLONG_MAX, &max_ack);
    }
    json_decref(c->consumer_limits);
    c->consumer_limits = NULL;
    if (inactive == 0 && max_ack == 0)
        return 0;
    json_t *o = json_object();
    if (!o)
        return -1;
    if ((inactive && json_object_set_new(o, "inactive_threshold", json_integer(inactive)) != 0) ||
        (max_ack && json_object_set_new(o, "max_ack_pending", json_integer(max_ack)) != 0)) {
        json_decref(o);
        return -1;
    }
    c->consumer_limits = o;
    return 0;
}

/* A StreamSource (the mirror, or one of sources), normalized to the fields nats-server writes
 * back (omitempty): name, opt_start_seq, opt_start_time, filter_subject, subject_transforms
 * [{src,dest}]. Another domain or account (external, domain) is refused. *out: the object, or
 * NULL when v is null or of the wrong type (the type error recorded). -1 out of memory. */
static int parse_source(parse_ctx *p, const json_t *v, const char *what, json_t **out)
{
    *out = NULL;
    if (json_is_null(v))
        return 0;
    if (!json_is_object(v)) {
        type_error(p, gojson_kind(v), "StreamConfigRequest", what, "server.StreamSource");
        return 0;
    }
    json_t *m = json_object();
    if (!m)
        return -1;
    *out = m;
    bool mirror = strcmp(what, "mirror") == 0;
    const char *k;
    json_t *val;
    json_object_foreach((json_t *)v, k, val) {
        if (json_is_null(val))
            continue;
        if (strcasecmp(k, "name") == 0 || strcasecmp(k, "opt_start_time") == 0 ||
            strcasecmp(k, "filter_subject") == 0 || strcasecmp(k, "domain") == 0) {
            if (!json_is_string(val)) {
                type_error(p, gojson_kind(val), "StreamSource", k, "string");
                return 0;
            }
            if (strcasecmp(k, "domain") == 0) {
                if (json_string_length(val))
                    refuse(p, mirror ? "stream mirrors of another domain are not supported"
                                     : "stream sources of another domain are not supported");
            } else if (json_string_length(val)) {
                char lower[32];
                snprintf(lower, sizeof lower, "%s", k);
                for (char *q = lower; *q; q++)
                    *q = (char)tolower((unsigned char)*q);
                json_object_set_new(m, lower, json_string(json_string_value(val)));
            }
        } else if (strcasecmp(k, "opt_start_seq") == 0) {
            if (!json_is_integer(val) || json_integer_value(val) < 0) {
                type_error(p, gojson_kind(val), "StreamSource", "opt_start_seq", "uint64");
                return 0;
            }
            if (json_integer_value(val) > 0)
                json_object_set_new(m, "opt_start_seq", json_integer(json_integer_value(val)));
        } else if (strcasecmp(k, "subject_transforms") == 0) {
            if (!json_is_array(val)) {
                type_error(p, gojson_kind(val), "StreamSource", "subject_transforms",
                           "[]server.SubjectTransformConfig");
                return 0;
            }
            json_t *list = json_array();
            size_t i;
            json_t *t;
            json_array_foreach(val, i, t) {
                const json_t *src = json_is_object(t) ? json_object_get(t, "src") : NULL;
                const json_t *dest = json_is_object(t) ? json_object_get(t, "dest") : NULL;
                if (!json_is_object(t) || (src && !json_is_string(src)) ||
                    (dest && !json_is_string(dest))) {
                    json_decref(list);
                    type_error(p, gojson_kind(t), "StreamSource", "subject_transforms",
                               "[]server.SubjectTransformConfig");
                    return 0;
                }
                json_array_append_new(list, json_pack("{s:s,s:s}", "src",
                                                      src ? json_string_value(src) : "", "dest",
                                                      dest ? json_string_value(dest) : ""));
            }
            if (json_array_size(list))
                json_object_set_new(m, "subject_transforms", list);
            else
                json_decref(list);
        } else if (strcasecmp(k, "external") == 0) {
            if (json_is_object(val) && json_object_size(val))
                refuse(p, mirror ? "stream mirrors through an external API prefix are not supported"
                                 : "stream sources through an external API prefix are not supported");
        }
    }
    return 0;
}

static int parse_mirror(parse_ctx *p, const json_t *v)
{
    json_decref(p->c->mirror);
    return parse_source(p, v, "mirror", &p->c->mirror);
}

/* sources: each entry as a mirror is; null entries are skipped (Go leaves a nil pointer that
 * nats-server ignores), an empty list is no sources. */
static int parse_sources(parse_ctx *p, const json_t *v)
{
    stream_config *c = p->c;
    json_decref(c->sources);
    c->sources = NULL;
    if (json_is_null(v))
        return 0;
    if (!json_is_array(v)) {
        type_error(p, gojson_kind(v), "StreamConfigRequest", "sources", "[]*server.StreamSource");
        return 0;
    }
    json_t *list = json_array();
    if (!list)
        return -1;
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) {
        json_t *src = NULL;
        if (parse_source(p, e, "sources", &src) != 0) {
            json_decref(list);
            return -1;
        }
        if (src)
            json_array_append_new(list, src);
    }
    if (json_array_size(list))
        c->sources = list;
    else
        json_decref(list);
    return 0;
}

/* republish {"src","dest","headers_only"} and subject_transform {"src","dest"}: kept as given,
 * src defaulting to ">". */
static int parse_transform(parse_ctx *p, const json_t *v, bool republish)
{
    stream_config *c = p->c;
    json_t **slot = republish ? &c->republish : &c->subject_transform;
    const char *strct = republish ? "RePublish" : "SubjectTransformConfig";
    json_decref(*slot);
    *slot = NULL;
    if (json_is_null(v))
        return 0;
    if (!json_is_object(v)) {
        type_error(p, gojson_kind(v), "StreamConfigRequest", republish ? "republish"
                                                                       : "subject_transform",
                   republish ? "server.RePublish" : "server.SubjectTransformConfig");
        return 0;
    }
    const char *src = ">", *dest = "";
    bool headers_only = false;
    const char *k;
    json_t *val;
    json_object_foreach((json_t *)v, k, val) {
        bool is_src = strcasecmp(k, "src") == 0, is_dest = strcasecmp(k, "dest") == 0;
        if ((is_src || is_dest) && !json_is_null(val)) {
            if (!json_is_string(val)) {
                type_error(p, gojson_kind(val), strct, is_src ? "src" : "dest", "string");
                return 0;
            }
            if (is_src && json_string_length(val))
                src = json_string_value(val);
            else if (is_dest)
                dest = json_string_value(val);
        } else if (republish && strcasecmp(k, "headers_only") == 0 && !json_is_null(val)) {
            if (!json_is_boolean(val)) {
                type_error(p, gojson_kind(val), "RePublish", "headers_only", "bool");
                return 0;
            }
            headers_only = json_is_true(val);
        }
    }
    *slot = headers_only ? json_pack("{s:s,s:s,s:b}", "src", src, "dest", dest, "headers_only", 1)
                         : json_pack("{s:s,s:s}", "src", src, "dest", dest);
    return *slot ? 0 : -1;
}

/* True when a placement object asks for anything: cluster, tags or a preferred server. */
static bool placement_set(const json_t *v, bool *preferred)
{
    *preferred = false;
    const char *k;
    json_t *val;
    bool set = false;
    json_object_foreach((json_t *)v, k, val) {
        bool empty = json_is_null(val) || (json_is_string(val) && !*json_string_value(val)) ||
                     (json_is_array(val) && json_array_size(val) == 0);
        if (strcasecmp(k, "preferred") == 0 && !empty)
            *preferred = true;
        if ((strcasecmp(k, "cluster") == 0 || strcasecmp(k, "tags") == 0 ||
             strcasecmp(k, "preferred") == 0) &&
            !empty)
            set = true;
    }
    return set;
}

/* Reads one field. Returns 0, or -1 with err set (abort: enum errors, out of memory). */
static int parse_field(parse_ctx *p, const field_def *f, const json_t *v, jserr *err)
{
    stream_config *c = p->c;
    char *base = (char *)c;
    long long n;
    static const char *const retentions[] = {"limits", "interest", "workqueue"};
    static const char *const discards[] = {"old", "new"};
    static const char *const storages[] = {"file", "memory"};
    static const char *const persist_modes[] = {"default", "", "async"};
    int idx;

    switch (f->kind) {
    case F_STRING:
    case F_TEMPLATE: {
        if (json_is_null(v))
            return 0;
        if (!json_is_string(v)) {
            type_error(p, gojson_kind(v), "StreamConfigRequest", f->key, f->gotype);
            return 0;
        }
        if (f->kind == F_TEMPLATE) {
            if (*json_string_value(v))
                refuse(p, f->refusal);
            return 0;
        }
        char **dst = (char **)(base + f->off);
        free(*dst);
        *dst = strdup(json_string_value(v));
        if (!*dst)
            goto oom;
        return 0;
    }
    case F_I64:
        if (get_int(p, v, "StreamConfigRequest", f->key, f->gotype, LLONG_MIN, LLONG_MAX, &n))
            *(int64_t *)(base + f->off) = n;
        return 0;
    case F_I32:
        if (get_int(p, v, "StreamConfigRequest", f->key, f->gotype, INT32_MIN, INT32_MAX, &n))
            *(int32_t *)(base + f->off) = (int32_t)n;
        return 0;
    case F_INT:
        /* Go's int is 64 bits; values beyond a C int keep their sign (enough for replicas) */
        if (get_int(p, v, "StreamConfigRequest", f->key, f->gotype, LLONG_MIN, LLONG_MAX, &n))
            *(int *)(base + f->off) = n > INT_MAX ? INT_MAX : n < INT_MIN ? INT_MIN : (int)n;
        return 0;
    case F_U64:
        if (get_int(p, v, "StreamConfigRequest", f->key, f->gotype, 0, LLONG_MAX, &n))
            *(uint64_t *)(base + f->off) = (uint64_t)n;
        return 0;
    case F_BOOL:
        get_bool(p, v, f->key, (bool *)(base + f->off));
        return 0;
    case F_UNSUPPORTED_ON: {
        bool on = false;
        if (get_bool(p, v, f->key, &on) && on)
            refuse(p, f->refusal);
        return 0;
    }
    case F_RETENTION:
        if ((idx = get_enum(v, retentions, 3, false, err)) < 0)
            return -1;
        c->retention = (stream_retention)idx;
        return 0;
    case F_DISCARD:
        if ((idx = get_enum(v, discards, 2, true, err)) < 0)
            return -1;
        c->discard = (stream_discard)idx;
        return 0;
    case F_STORAGE:
        if ((idx = get_enum(v, storages, 2, false, err)) < 0)
            return -1;
        c->storage = (stream_storage)idx;
        return 0;
    case F_PERSIST_MODE:
        if ((idx = get_enum(v, persist_modes, 3, false, err)) < 0)
            return -1;
        if (idx == 2)
            refuse(p, f->refusal);
        return 0;
    case F_COMPRESSION: {
        if (json_is_null(v)) {
            /* Go decodes null into the string as "", which is no algorithm */
        } else if (!json_is_string(v)) {
            char text[128];
            snprintf(text, sizeof text, "json: cannot unmarshal %s into Go value of type string",
                     gojson_kind(v));
            jserr_set(err, JSERR_INVALID_JSON, "err", text, NULL);
            return -1;
        } else if (strcmp(json_string_value(v), "none") == 0 ||
                   strcmp(json_string_value(v), "s2") == 0) {
            c->compress = strcmp(json_string_value(v), "s2") == 0;
            return 0;
        }
        jserr_set(err, JSERR_INVALID_JSON, "err", "unknown compression algorithm", NULL);
        return -1;
    }
    case F_SUBJECTS:
        if (parse_subjects(p, v) != 0)
            goto oom;
        return 0;
    case F_METADATA:
        if (parse_metadata(p, v) != 0)
            goto oom;
        return 0;
    case F_CONSUMER_LIMITS:
        if (parse_consumer_limits(p, v) != 0)
            goto oom;
        return 0;
    case F_REPUBLISH:
    case F_TRANSFORM:
        if (parse_transform(p, v, f->kind == F_REPUBLISH) != 0)
            goto oom;
        return 0;
    case F_MIRROR:
        if (parse_mirror(p, v) != 0)
            goto oom;
        return 0;
    case F_UNSUPPORTED:
        if (json_is_null(v))
            return 0;
        if (!json_is_object(v))
            type_error(p, gojson_kind(v), "StreamConfigRequest", f->key, f->gotype);
        else
            refuse(p, f->refusal);
        return 0;
    case F_SOURCES:
        if (parse_sources(p, v) != 0)
            goto oom;
        return 0;
    case F_PLACEMENT: {
        bool preferred;
        if (json_is_null(v))
            return 0;
        if (!json_is_object(v))
            type_error(p, gojson_kind(v), "StreamConfigRequest", f->key, f->gotype);
        else if (placement_set(v, &preferred))
            refuse(p, preferred ? "preferred server not permitted in placement" : f->refusal);
        return 0;
    }
    }
    return 0;
oom:
    jserr_set(err, JSERR_STREAM_GENERAL_ERROR, "err", "out of memory", NULL);
    return -1;
}

int stream_config_from_json(const json_t *j, stream_config *out, jserr *err)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(j)) {
        char text[128];
        snprintf(text, sizeof text,
                 "json: cannot unmarshal %s into Go value of type server.StreamConfigRequest",
                 j ? gojson_kind(j) : "null");
        jserr_set(err, JSERR_INVALID_JSON, "err", text, NULL);
        return -1;
    }
    parse_ctx p = {.c = out};
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)j, key, v) {
        for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
            if (strcasecmp(key, fields[i].key) != 0)
                continue;
            if (parse_field(&p, &fields[i], v, err) != 0) {
                stream_config_free(out);
                return -1;
            }
            break;
        }
    }
    if (p.type_err[0]) {
        jserr_set(err, JSERR_INVALID_JSON, "err", p.type_err, NULL);
        stream_config_free(out);
        return -1;
    }
    if (p.refusal) {
        invalid_config(err, p.refusal);
        stream_config_free(out);
        return -1;
    }
    if (out->description && !*out->description) {
        free(out->description);
        out->description = NULL;
    }
    if (stream_config_apply_defaults(out, err) != 0) {
        stream_config_free(out);
        return -1;
    }
    return 0;
}

/* ---------------- defaults ---------------- */

static int pedantic_error(jserr *err, const char *text)
{
    jserr_set(err, JSERR_PEDANTIC, "err", text, NULL);
    return -1;
}

/* 0 or below -1 means unlimited (-1); pedantic refuses values below -1. */
static int default_limit(stream_config *c, int64_t *v, const char *text, jserr *err)
{
    if (*v == 0 || *v < -1) {
        if (c->pedantic && *v < -1)
            return pedantic_error(err, text);
        *v = -1;
    }
    return 0;
}

int stream_config_apply_defaults(stream_config *c, jserr *err)
{
    if (c->num_replicas == 0)
        c->num_replicas = 1;
    if (default_limit(c, &c->max_msgs, "max_msgs must be set to -1", err) != 0 ||
        default_limit(c, &c->max_msgs_per_subject, "max_msgs_per_subject must be set to -1", err) != 0 ||
        default_limit(c, &c->max_bytes, "max_bytes must be set to -1", err) != 0)
        return -1;
    int64_t mms = c->max_msg_size;
    if (default_limit(c, &mms, "max_msg_size must be set to -1", err) != 0)
        return -1;
    c->max_msg_size = (int32_t)mms;
    if (default_limit(c, &c->max_consumers, "max_consumers must be set to -1", err) != 0)
        return -1;

    if (c->duplicate_window_ns == 0 && !c->mirror) {
        /* a max_age that stream_config_check refuses gets no pedantic complaint here: the
         * max_age error comes first, as in nats-server */
        bool age_ok = c->max_age_ns >= 100 * NS_PER_MS;
        if (c->max_age_ns != 0 && c->max_age_ns < DEFAULT_DUPLICATE_WINDOW_NS) {
            if (c->pedantic && age_ok)
                return pedantic_error(err, "duplicate window cannot be bigger than max age");
            c->duplicate_window_ns = c->max_age_ns;
        } else {
            c->duplicate_window_ns = DEFAULT_DUPLICATE_WINDOW_NS;
        }
    }

    if (c->subject_delete_marker_ttl_ns >= NS_PER_S) {
        if (!c->allow_msg_ttl) {
            if (c->pedantic)
                return invalid_config(err, "subject delete marker cannot be set if message TTLs are disabled");
            c->allow_msg_ttl = true;
        }
        if (!c->allow_rollup_hdrs) {
            if (c->pedantic)
                return invalid_config(err, "subject delete marker cannot be set if roll-ups are disabled");
            c->allow_rollup_hdrs = true;
            c->deny_purge = false;
        }
    }

    if (c->nsubjects == 0 && c->name && *c->name && !c->mirror && !c->sources) {
        free(c->subjects); /* an empty list the config owns */
        c->subjects = calloc(1, sizeof *c->subjects);
        if (!c->subjects || !(c->subjects[0] = strdup(c->name))) {
            free(c->subjects);
            c->subjects = NULL;
            jserr_set(err, JSERR_STREAM_GENERAL_ERROR, "err", "out of memory", NULL);
            return -1;
        }
        c->nsubjects = 1;
    }
    return 0;
}

/* ---------------- validation ---------------- */

static bool has_path_separator(const char *name)
{
    return strpbrk(name, "/\\") != NULL;
}

/* nats-server's isValidName: no whitespace, '.', '*' or '>'. */
static bool nats_name_chars_ok(const char *name)
{
    return *name && !strpbrk(name, " \t\r\n\f.*>");
}

static bool printable(const char *name)
{
    for (const unsigned char *s = (const unsigned char *)name; *s; s++)
        if (*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

bool stream_name_valid(const char *name)
{
    return name && nats_name_chars_ok(name) && !has_path_separator(name) && printable(name) &&
           strlen(name) <= MAX_NAME_LEN;
}

static int check_name(const stream_config *c, jserr *err)
{
    const char *name = c->name ? c->name : "";
    if (has_path_separator(name)) {
        jserr_set(err, JSERR_STREAM_NAME_CONTAINS_PATH_SEPARATORS, NULL);
        return -1;
    }
    if (!nats_name_chars_ok(name))
        return invalid_config(err, "stream name is required and can not contain '.', '*', '>'");
    if (!printable(name))
        return invalid_config(err, "stream name can not contain non-printable characters");
    if (strlen(name) > MAX_NAME_LEN) {
        char text[96];
        snprintf(text, sizeof text, "stream name is too long, maximum allowed is %d", MAX_NAME_LEN);
        return invalid_config(err, text);
    }
    return 0;
}

static int mirror_error(jserr *err, jserr_id id, const char *text)
{
    if (text)
        jserr_set(err, id, "err", text, NULL);
    else
        jserr_set(err, id, NULL);
    return -1;
}

/* nats-server's checks of a mirror that need no other stream (checkStreamCfg); the origin's
 * max_msg_size and cycles through other streams are checked by the store. */
static int check_mirror(const stream_config *c, jserr *err)
{
    const json_t *m = c->mirror;
    if (c->first_seq > 0)
        return mirror_error(err, JSERR_MIRROR_WITH_FIRST_SEQ, NULL);
    if (c->nsubjects > 0)
        return mirror_error(err, JSERR_MIRROR_WITH_SUBJECTS, NULL);
    if (c->sources)
        return mirror_error(err, JSERR_MIRROR_WITH_SOURCES, NULL);
    const char *filter = json_string_value(json_object_get(m, "filter_subject"));
    const json_t *trs = json_object_get(m, "subject_transforms");
    if (filter && trs)
        return mirror_error(err, JSERR_MIRROR_MULTIPLE_FILTERS_NOT_ALLOWED, NULL);
    if (filter && !subject_valid_filter(filter, strlen(filter)))
        return mirror_error(err, JSERR_MIRROR_INVALID_SUBJECT_FILTER, "invalid subject");
    size_t i, k;
    const json_t *t, *u;
    json_array_foreach(trs, i, t) {
        const char *src = json_string_value(json_object_get(t, "src"));
        const char *dest = json_string_value(json_object_get(t, "dest"));
        if (!subject_valid_filter(src, strlen(src)))
            return mirror_error(err, JSERR_MIRROR_INVALID_SUBJECT_FILTER, "invalid subject");
        json_array_foreach(trs, k, u) {
            if (k != i && filter_is_subset(src, json_string_value(json_object_get(u, "src"))))
                return mirror_error(err, JSERR_MIRROR_OVERLAPPING_SUBJECT_FILTERS, NULL);
        }
        subject_transform *tr = *dest ? subject_transform_new(src, dest) : NULL;
        if (*dest && !tr)
            return mirror_error(err, JSERR_MIRROR_INVALID_TRANSFORM_DESTINATION,
                                "invalid transform destination");
        subject_transform_free(tr);
    }
    const char *name = json_string_value(json_object_get(m, "name"));
    if (!stream_name_valid(name))
        return mirror_error(err, JSERR_MIRROR_INVALID_STREAM_NAME, NULL);
    if (c->name && strcmp(name, c->name) == 0)
        return invalid_config(err, "detected cycle");
    const char *start = json_string_value(json_object_get(m, "opt_start_time"));
    int64_t start_ns;
    if (start && gotime_parse_rfc3339(start, strlen(start), &start_ns) != 0)
        return invalid_config(err, "mirror opt_start_time is not an RFC 3339 time");
    /* both opt_start_seq and opt_start_time: accepted, the sequence wins (nats-server never
     * raises its 10032) */
    return 0;
}

char *stream_config_source_tag(const json_t *src)
{
    const json_t *trs = json_object_get(src, "subject_transforms");
    const char *filter = json_string_value(json_object_get(src, "filter_subject"));
    size_t n = json_array_size(trs), cap = 4;
    for (size_t i = 0; i < n; i++)
        cap += strlen(json_string_value(json_object_get(json_array_get(trs, i), "src"))) +
               strlen(json_string_value(json_object_get(json_array_get(trs, i), "dest"))) + 6;
    const char *name = json_string_value(json_object_get(src, "name"));
    cap += (filter ? strlen(filter) : 1) + (name ? strlen(name) : 0) + 1;
    char *out = malloc(cap), *q = out;
    if (!out)
        return NULL;
    q += sprintf(q, "%s ", name ? name : "");
    if (n == 0) {
        q += sprintf(q, "%s >", filter ? filter : ">");
        return out;
    }
    /* nats-server's composeIName: the transforms' sources, then their destinations, each list
     * joined by form feeds, an empty one standing as ">" */
    for (int pass = 0; pass < 2; pass++) {
        if (pass)
            *q++ = ' ';
        for (size_t i = 0; i < n; i++) {
            const char *v = json_string_value(
                json_object_get(json_array_get(trs, i), pass ? "dest" : "src"));
            q += sprintf(q, "%s%s", i ? "\f" : "", *v ? v : ">");
        }
    }
    return out;
}

/* nats-server's checks of the sources that need no other stream (checkStreamCfg, and the
 * filter check of addStream). */
static int check_sources(const stream_config *c, jserr *err)
{
    size_t n = json_array_size(c->sources);
    for (size_t i = 0; i < n; i++) {
        const json_t *src = json_array_get(c->sources, i);
        const char *name = json_string_value(json_object_get(src, "name"));
        if (!stream_name_valid(name)) {
            jserr_set(err, JSERR_SOURCE_INVALID_STREAM_NAME, NULL);
            return -1;
        }
        char *tag = stream_config_source_tag(src);
        bool dup = false;
        for (size_t k = 0; tag && k < i && !dup; k++) {
            const json_t *other = json_array_get(c->sources, k);
            char *t2 = stream_config_source_tag(other);
            dup = t2 && strcmp(tag, t2) == 0;
            free(t2);
        }
        free(tag);
        if (!tag) {
            jserr_set(err, JSERR_STREAM_GENERAL_ERROR, "err", "out of memory", NULL);
            return -1;
        }
        if (dup) {
            jserr_set(err, JSERR_SOURCE_DUPLICATE_DETECTED, NULL);
            return -1;
        }
        const char *filter = json_string_value(json_object_get(src, "filter_subject"));
        const json_t *trs = json_object_get(src, "subject_transforms");
        if (filter && trs) {
            jserr_set(err, JSERR_SOURCE_MULTIPLE_FILTERS_NOT_ALLOWED, NULL);
            return -1;
        }
        size_t t, u;
        const json_t *tr, *tr2;
        json_array_foreach(trs, t, tr) {
            const char *from = json_string_value(json_object_get(tr, "src"));
            if (!subject_valid_filter(from, strlen(from))) {
                jserr_set(err, JSERR_SOURCE_INVALID_SUBJECT_FILTER, "err", "invalid subject", NULL);
                return -1;
            }
            json_array_foreach(trs, u, tr2) {
                if (u != t &&
                    filter_is_subset(from, json_string_value(json_object_get(tr2, "src")))) {
                    jserr_set(err, JSERR_SOURCE_OVERLAPPING_SUBJECT_FILTERS, NULL);
                    return -1;
                }
            }
            const char *dest = json_string_value(json_object_get(tr, "dest"));
            subject_transform *x = *dest ? subject_transform_new(from, dest) : NULL;
            if (*dest && !x) {
                jserr_set(err, JSERR_SOURCE_INVALID_TRANSFORM_DESTINATION, "err",
                          "invalid transform destination", NULL);
                return -1;
            }
            subject_transform_free(x);
        }
        if (filter && !subject_valid_filter(filter, strlen(filter))) {
            char text[400];
            snprintf(text, sizeof text, "subject filter '%.300s' for the source: invalid subject",
                     filter);
            jserr_set(err, JSERR_STREAM_CREATE, "err", text, NULL);
            return -1;
        }
        const char *start = json_string_value(json_object_get(src, "opt_start_time"));
        int64_t start_ns;
        if (start && gotime_parse_rfc3339(start, strlen(start), &start_ns) != 0)
            return invalid_config(err, "source opt_start_time is not an RFC 3339 time");
    }
    return 0;
}

static int check_metadata(const stream_config *c, jserr *err)
{
    if (!c->metadata)
        return 0;
    if (!json_is_object(c->metadata))
        return invalid_config(err, "stream metadata must be an object of strings");
    size_t total = 0;
    const char *k;
    json_t *v;
    json_object_foreach(c->metadata, k, v) {
        if (!json_is_string(v))
            return invalid_config(err, "stream metadata must be an object of strings");
        total += strlen(k) + json_string_length(v);
    }
    if (total > MAX_METADATA_LEN) {
        char text[96];
        snprintf(text, sizeof text, "stream metadata exceeds maximum size of %d bytes",
                 MAX_METADATA_LEN);
        return invalid_config(err, text);
    }
    return 0;
}

/* The subject rules in nats-server 2.10/2.11's order: each subject in turn (valid filter, not a
 * duplicate, '>' only with no_ack and R1, no overlap with the JetStream and system API spaces
 * unless no_ack), then no two subjects overlapping each other. */
/* nats-server's checks: the destination must not feed the stream again, and the transform
 * from src to dest must be one it can make. */
static int check_republish(const stream_config *c, jserr *err)
{
    const char *src = json_string_value(json_object_get(c->republish, "src"));
    const char *dest = json_string_value(json_object_get(c->republish, "dest"));
    for (size_t i = 0; i < c->nsubjects; i++)
        if (dest && *dest && filters_collide(dest, c->subjects[i]))
            return invalid_config(err, "stream configuration for republish destination forms a "
                                       "cycle");
    subject_transform *t = subject_transform_new(src, dest);
    if (!t) {
        char msg[600];
        snprintf(msg, sizeof msg,
                 "stream configuration for republish with transform from '%.250s' to '%.250s' "
                 "not valid",
                 src ? src : "", dest ? dest : "");
        return invalid_config(err, msg);
    }
    subject_transform_free(t);
    return 0;
}

/* nats-server's checks of an input subject transform: a valid source, a mapping it can make. */
static int check_subject_transform(const stream_config *c, jserr *err)
{
    const char *src = json_string_value(json_object_get(c->subject_transform, "src"));
    const char *dest = json_string_value(json_object_get(c->subject_transform, "dest"));
    char msg[320];
    if (src && *src && !subject_valid_filter(src, strlen(src))) {
        snprintf(msg, sizeof msg, "invalid subject %.250s", src);
        jserr_set(err, JSERR_STREAM_TRANSFORM_INVALID_SOURCE, "err", msg, NULL);
        return -1;
    }
    subject_transform *t = subject_transform_new(src, dest);
    if (!t) {
        jserr_set(err, JSERR_STREAM_TRANSFORM_INVALID_DESTINATION, "err",
                  "invalid mapping destination", NULL);
        return -1;
    }
    subject_transform_free(t);
    return 0;
}

static int check_subjects(const stream_config *c, jserr *err)
{
    static const char *const js_spaces[] = {"$JS.>", "$JSC.>", "$NRG.>"};
    for (size_t i = 0; i < c->nsubjects; i++) {
        const char *s = subject_at(c, i);
        if (!subject_valid_filter(s, strlen(s)))
            return invalid_config(err, "invalid subject");
        for (size_t k = 0; k < i; k++)
            if (strcmp(subject_at(c, k), s) == 0)
                return invalid_config(err, "duplicate subjects detected");
        if (strcmp(s, ">") == 0) {
            if (!c->no_ack)
                return invalid_config(err, "capturing all subjects requires no-ack to be true");
            if (c->num_replicas != 1)
                return invalid_config(err, "capturing all subjects requires replicas of 1");
        }
        if (!c->no_ack) {
            for (size_t k = 0; k < sizeof js_spaces / sizeof js_spaces[0]; k++)
                if (filters_collide(s, js_spaces[k]) && !filter_is_subset(s, "$JS.EVENT.>"))
                    return invalid_config(err, "subjects that overlap with jetstream api require no-ack to be true");
            if (filters_collide(s, "$SYS.>") && !filter_is_subset(s, "$SYS.ACCOUNT.>"))
                return invalid_config(err, "subjects that overlap with system api require no-ack to be true");
        }
    }
    if (c->nsubjects == 0 && !c->mirror && !c->sources)
        return invalid_config(err, "stream needs at least one configured subject or be a source/mirror");
    /* the first subject overlapping any other, with the first one it overlaps (all subjects are
     * distinct valid filters by now, so that other one comes later in the list) */
    for (size_t i = 0; i < c->nsubjects; i++) {
        for (size_t k = i + 1; k < c->nsubjects; k++) {
            if (filters_collide(subject_at(c, k), subject_at(c, i))) {
                char qs[300], qt[300], text[640];
                go_quote(subject_at(c, i), qs, sizeof qs);
                go_quote(subject_at(c, k), qt, sizeof qt);
                snprintf(text, sizeof text, "subject %s overlaps with %s", qs, qt);
                return invalid_config(err, text);
            }
        }
    }
    return 0;
}

int stream_config_check(const stream_config *c, jserr *err)
{
    if (check_name(c, err) != 0)
        return -1;
    if (c->description && strlen(c->description) > MAX_DESCRIPTION_LEN) {
        char text[96];
        snprintf(text, sizeof text, "stream description is too long, maximum allowed is %d",
                 MAX_DESCRIPTION_LEN);
        return invalid_config(err, text);
    }
    if (check_metadata(c, err) != 0)
        return -1;
    if ((unsigned)c->retention > STREAM_RETENTION_WORKQUEUE)
        return invalid_config(err, "invalid retention");
    if ((unsigned)c->discard > STREAM_DISCARD_NEW)
        return invalid_config(err, "invalid discard policy");
    if ((unsigned)c->storage > STREAM_STORAGE_MEMORY)
        return invalid_config(err, "invalid storage type");
    if (c->num_replicas > MAX_REPLICAS) {
        char text[64];
        snprintf(text, sizeof text, "maximum replicas is %d", MAX_REPLICAS);
        return invalid_config(err, text);
    }
    if (c->num_replicas < 0) {
        jserr_set(err, JSERR_REPLICAS_COUNT_CANNOT_BE_NEGATIVE, NULL);
        return -1;
    }
    if (c->max_age_ns < 0)
        return invalid_config(err, "max age can not be negative");
    if (c->max_age_ns != 0 && c->max_age_ns < 100 * NS_PER_MS)
        return invalid_config(err, "max age needs to be >= 100ms");
    if (c->duplicate_window_ns < 0)
        return invalid_config(err, "duplicates window can not be negative");
    if (c->max_age_ns != 0 && c->duplicate_window_ns > c->max_age_ns)
        return invalid_config(err, "duplicates window can not be larger then max age");
    if (c->duplicate_window_ns > 0 && c->duplicate_window_ns < 100 * NS_PER_MS)
        return invalid_config(err, "duplicates window needs to be >= 100ms");
    if (c->deny_purge && c->allow_rollup_hdrs)
        return invalid_config(err, "roll-ups require the purge permission");
    if (c->discard_new_per_subject) {
        if (c->discard != STREAM_DISCARD_NEW)
            return invalid_config(err, "discard new per subject requires discard new policy to be set");
        if (c->max_msgs_per_subject <= 0)
            return invalid_config(err, "discard new per subject requires max msgs per subject > 0");
    }
    if (c->subject_delete_marker_ttl_ns > 0) {
        if (c->subject_delete_marker_ttl_ns < NS_PER_S)
            return invalid_config(err, "subject delete marker TTL must be at least 1 second");
        if (!c->allow_msg_ttl)
            return invalid_config(err, "subject delete marker cannot be set if message TTLs are disabled");
        if (!c->allow_rollup_hdrs)
            return invalid_config(err, "subject delete marker cannot be set if roll-ups are disabled");
    } else if (c->subject_delete_marker_ttl_ns < 0) {
        return invalid_config(err, "subject delete marker TTL must not be negative");
    }
    if (c->mirror && check_mirror(c, err) != 0)
        return -1;
    if (c->sources && check_sources(c, err) != 0)
        return -1;
    if (check_subjects(c, err) != 0)
        return -1;
    if (c->consumer_limits && !json_is_object(c->consumer_limits))
        return invalid_config(err, "stream consumer limits must be an object");
    if (c->republish && check_republish(c, err) != 0)
        return -1;
    if (c->subject_transform && check_subject_transform(c, err) != 0)
        return -1;
    if (c->num_replicas > 1) {
        jserr_set(err, JSERR_STREAM_REPLICAS_NOT_SUPPORTED, NULL);
        return -1;
    }
    return 0;
}

int stream_config_check_create(const stream_config *c, jserr *err)
{
    if (c->name && has_path_separator(c->name)) {
        jserr_set(err, JSERR_STREAM_NAME_CONTAINS_PATH_SEPARATORS, NULL);
        return -1;
    }
    if (c->sealed)
        return invalid_config(err, "stream configuration for create can not be sealed");
    if (c->mirror_direct && !c->mirror)
        return invalid_config(err, "stream has no mirror but does have mirror direct");
    return stream_config_check(c, err);
}

int stream_config_check_update(const stream_config *cur, const stream_config *next, jserr *err)
{
    if (stream_config_check(next, err) != 0)
        return -1;
    if ((cur->mirror || next->mirror) &&
        !(cur->mirror && next->mirror && json_equal(cur->mirror, next->mirror))) {
        jserr_set(err, JSERR_STREAM_MIRROR_NOT_UPDATABLE, NULL);
        return -1;
    }
    if (!cur->name || strcmp(cur->name, next->name) != 0)
        return invalid_config(err, "stream configuration name must match original");
    if (next->max_consumers != cur->max_consumers)
        return invalid_config(err, "stream configuration update can not change MaxConsumers");
    if (next->storage != cur->storage)
        return invalid_config(err, "stream configuration update can not change storage type");
    if (next->retention != cur->retention &&
        (cur->retention == STREAM_RETENTION_WORKQUEUE || next->retention == STREAM_RETENTION_WORKQUEUE))
        return invalid_config(err, "stream configuration update can not change retention policy to/from workqueue");
    if (!next->sealed && cur->sealed)
        return invalid_config(err, "stream configuration update can not unseal a sealed stream");
    if (!next->deny_delete && cur->deny_delete)
        return invalid_config(err, "stream configuration update can not cancel deny message deletes");
    if (!next->deny_purge && cur->deny_purge)
        return invalid_config(err, "stream configuration update can not cancel deny purge");
    if (cur->allow_msg_ttl && !next->allow_msg_ttl)
        return invalid_config(err, "message TTL status can not be disabled");
    return 0;
}

void stream_config_seal(stream_config *c)
{
    if (!c->sealed)
        return;
    c->max_age_ns = 0;
    c->discard = STREAM_DISCARD_NEW;
    c->deny_delete = true;
    c->deny_purge = true;
    c->allow_rollup_hdrs = false;
}

bool stream_config_subjects_overlap(const stream_config *a, const stream_config *b)
{
    for (size_t i = 0; i < a->nsubjects; i++)
        for (size_t k = 0; k < b->nsubjects; k++)
            if (filters_collide(subject_at(a, i), subject_at(b, k)))
                return true;
    return false;
}

/* ---------------- output ---------------- */

static const char *retention_name(stream_retention r)
{
    return r == STREAM_RETENTION_INTEREST ? "interest" : r == STREAM_RETENTION_WORKQUEUE ? "workqueue" : "limits";
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Metadata with its keys sorted, as Go writes a map. */
static json_t *metadata_sorted(const json_t *m)
{
    size_t n = json_object_size(m);
    const char **keys = calloc(n ? n : 1, sizeof *keys);
    json_t *out = json_object();
    if (!keys || !out) {
        free(keys);
        json_decref(out);
        return NULL;
    }
    size_t i = 0;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)m, k, v) {
        keys[i++] = k;
    }
    qsort(keys, n, sizeof *keys, cmp_str);
    for (i = 0; i < n; i++)
        json_object_set(out, keys[i], json_object_get(m, keys[i]));
    free(keys);
    return out;
}

json_t *stream_config_to_json(const stream_config *c)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    int rc = 0;
#define SET(k, v) rc |= json_object_set_new(o, k, v)
    SET("name", json_string(c->name ? c->name : ""));
    if (c->description && *c->description)
        SET("description", json_string(c->description));
    if (c->nsubjects) {
        json_t *a = json_array();
        for (size_t i = 0; a && i < c->nsubjects; i++)
            rc |= json_array_append_new(a, json_string(c->subjects[i] ? c->subjects[i] : ""));
        SET("subjects", a);
    }
    SET("retention", json_string(retention_name(c->retention)));
    SET("max_consumers", json_integer(c->max_consumers));
    SET("max_msgs", json_integer(c->max_msgs));
    SET("max_bytes", json_integer(c->max_bytes));
    SET("max_age", json_integer(c->max_age_ns));
    SET("max_msgs_per_subject", json_integer(c->max_msgs_per_subject));
    if (c->max_msg_size != 0)
        SET("max_msg_size", json_integer(c->max_msg_size));
    SET("discard", json_string(c->discard == STREAM_DISCARD_NEW ? "new" : "old"));
    SET("storage", json_string(c->storage == STREAM_STORAGE_MEMORY ? "memory" : "file"));
    SET("num_replicas", json_integer(c->num_replicas));
    if (c->no_ack)
        SET("no_ack", json_true());
    if (c->duplicate_window_ns != 0)
        SET("duplicate_window", json_integer(c->duplicate_window_ns));
    SET("compression", json_string(c->compress ? "s2" : "none"));
    if (c->first_seq != 0)
        SET("first_seq", json_integer((json_int_t)c->first_seq));
    SET("allow_direct", json_boolean(c->allow_direct));
    SET("mirror_direct", json_boolean(c->mirror_direct));
    if (c->discard_new_per_subject)
        SET("discard_new_per_subject", json_true());
    SET("sealed", json_boolean(c->sealed));
    SET("deny_delete", json_boolean(c->deny_delete));
    SET("deny_purge", json_boolean(c->deny_purge));
    SET("allow_rollup_hdrs", json_boolean(c->allow_rollup_hdrs));
    SET("consumer_limits", c->consumer_limits ? json_deep_copy(c->consumer_limits) : json_object());
    if (c->republish)
        SET("republish", json_deep_copy(c->republish));
    if (c->mirror)
        SET("mirror", json_deep_copy(c->mirror));
    if (c->sources)
        SET("sources", json_deep_copy(c->sources));
    if (c->subject_transform)
        SET("subject_transform", json_deep_copy(c->subject_transform));
    SET("allow_msg_ttl", json_boolean(c->allow_msg_ttl));
    if (c->subject_delete_marker_ttl_ns != 0)
        SET("subject_delete_marker_ttl", json_integer(c->subject_delete_marker_ttl_ns));
    if (c->metadata && json_object_size(c->metadata) > 0)
        SET("metadata", metadata_sorted(c->metadata));
#undef SET
    if (rc != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* ---------------- copy, compare, free ---------------- */

int stream_config_copy(stream_config *dst, const stream_config *src)
{
    *dst = *src;
    dst->name = NULL;
    dst->description = NULL;
    dst->subjects = NULL;
    dst->nsubjects = 0;
    dst->metadata = NULL;
    dst->consumer_limits = NULL;
    dst->republish = NULL;
    dst->mirror = NULL;
    dst->sources = NULL;
    dst->subject_transform = NULL;
    if ((src->name && !(dst->name = dup_str(src->name))) ||
        (src->description && !(dst->description = dup_str(src->description))))
        goto fail;
    if (src->nsubjects) {
        dst->subjects = calloc(src->nsubjects, sizeof *dst->subjects);
        if (!dst->subjects)
            goto fail;
        for (size_t i = 0; i < src->nsubjects; i++) {
            if (src->subjects[i] && !(dst->subjects[i] = strdup(src->subjects[i])))
                goto fail;
            dst->nsubjects = i + 1;
        }
    }
    if ((src->metadata && !(dst->metadata = json_deep_copy(src->metadata))) ||
        (src->consumer_limits && !(dst->consumer_limits = json_deep_copy(src->consumer_limits))) ||
        (src->republish && !(dst->republish = json_deep_copy(src->republish))) ||
        (src->mirror && !(dst->mirror = json_deep_copy(src->mirror))) ||
        (src->sources && !(dst->sources = json_deep_copy(src->sources))) ||
        (src->subject_transform &&
         !(dst->subject_transform = json_deep_copy(src->subject_transform))))
        goto fail;
    return 0;
fail:
    stream_config_free(dst);
    return -1;
}

static bool str_eq(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

static long long limit_of(const json_t *cl, const char *key)
{
    return cl ? json_integer_value(json_object_get(cl, key)) : 0;
}

static bool object_eq(const json_t *a, const json_t *b)
{
    bool ae = !a || (json_is_object(a) && json_object_size(a) == 0);
    bool be = !b || (json_is_object(b) && json_object_size(b) == 0);
    if (ae || be)
        return ae && be;
    return json_equal((json_t *)a, (json_t *)b);
}

static bool json_same(const json_t *a, const json_t *b)
{
    return (!a && !b) || (a && b && json_equal((json_t *)a, (json_t *)b));
}

bool stream_config_equal(const stream_config *a, const stream_config *b)
{
    if (!str_eq(a->name, b->name) || !str_eq(a->description, b->description) ||
        a->nsubjects != b->nsubjects)
        return false;
    for (size_t i = 0; i < a->nsubjects; i++)
        if (!str_eq(a->subjects[i], b->subjects[i]))
            return false;
    return a->retention == b->retention && a->max_consumers == b->max_consumers &&
           a->max_msgs == b->max_msgs && a->max_bytes == b->max_bytes &&
           a->max_age_ns == b->max_age_ns && a->max_msgs_per_subject == b->max_msgs_per_subject &&
           a->max_msg_size == b->max_msg_size && a->discard == b->discard &&
           a->discard_new_per_subject == b->discard_new_per_subject && a->storage == b->storage &&
           a->num_replicas == b->num_replicas && a->no_ack == b->no_ack &&
           a->duplicate_window_ns == b->duplicate_window_ns && a->allow_direct == b->allow_direct &&
           a->mirror_direct == b->mirror_direct && a->sealed == b->sealed &&
           a->deny_delete == b->deny_delete && a->deny_purge == b->deny_purge &&
           a->allow_rollup_hdrs == b->allow_rollup_hdrs && a->allow_msg_ttl == b->allow_msg_ttl &&
           a->subject_delete_marker_ttl_ns == b->subject_delete_marker_ttl_ns &&
           a->first_seq == b->first_seq && object_eq(a->metadata, b->metadata) &&
           limit_of(a->consumer_limits, "inactive_threshold") ==
               limit_of(b->consumer_limits, "inactive_threshold") &&
           limit_of(a->consumer_limits, "max_ack_pending") ==
               limit_of(b->consumer_limits, "max_ack_pending") &&
           a->compress == b->compress &&
           json_same(a->republish, b->republish) && json_same(a->mirror, b->mirror) &&
           json_same(a->sources, b->sources) &&
           json_same(a->subject_transform, b->subject_transform);
}

void stream_config_free(stream_config *c)
{
    if (!c)
        return;
    free(c->name);
    free(c->description);
    for (size_t i = 0; i < c->nsubjects; i++)
        free(c->subjects[i]);
    free(c->subjects);
    json_decref(c->metadata);
    json_decref(c->consumer_limits);
    json_decref(c->republish);
    json_decref(c->mirror);
    json_decref(c->sources);
    json_decref(c->subject_transform);
    memset(c, 0, sizeof *c);
}

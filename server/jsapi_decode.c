/*
 * jsapi_decode.c — request bodies of the JetStream API read the way nats-server reads them:
 * Go's encoding/json into the request struct, in its default non-strict mode (see
 * jsapi_internal.h). What a client sees on bad input is Go's own wording: the syntax error of
 * the scanner (proto/gojson.c), "json: cannot unmarshal <what> into Go struct field
 * <Struct>.<field> of type <type>" for the first value of the wrong type, or the time package's
 * error for a malformed RFC 3339 time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jsapi_internal.h"
#include "proto/gojson.h"
#include "proto/gotime.h"

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool jsapi_body_blank(const char *body, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!is_blank(body[i]))
            return false;
    return true;
}

bool jsapi_body_is_object_or_array(const char *body, size_t len)
{
    size_t i = 0;
    while (i < len && is_blank(body[i]))
        i++;
    return i < len && (body[i] == '{' || body[i] == '[');
}

bool jsapi_body_is_empty_request(const char *body, size_t len)
{
    if (len == 0 || (len == 2 && memcmp(body, "{}", 2) == 0))
        return true;
    char msg[8];
    if (!gojson_check(body, len, msg, sizeof msg))
        return false;
    json_error_t jerr;
    json_t *j = json_loadb(body, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    bool empty = json_is_object(j) && json_object_size(j) == 0;
    json_decref(j);
    return empty;
}

/* How Go's UnmarshalTypeError names a value: "string", "bool", or "number -1" with the digits. */
static void go_value(const json_t *v, char *out, size_t cap)
{
    if (json_is_integer(v))
        snprintf(out, cap, "number %lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        snprintf(out, cap, "number %.17g", json_real_value(v));
    else
        snprintf(out, cap, "%s", gojson_kind(v));
}

typedef struct decoder {
    const char *gostruct;
    char type_err[400]; /* the first type error, "" when none */
} decoder;

static void type_error(decoder *d, const json_t *v, const char *field, const char *gotype)
{
    if (d->type_err[0])
        return;
    char what[64];
    go_value(v, what, sizeof what);
    snprintf(d->type_err, sizeof d->type_err,
             "json: cannot unmarshal %s into Go struct field %s.%s of type %s", what, d->gostruct,
             field, gotype);
}

static void invalid_json(jserr *err, const char *text)
{
    jserr_set(err, JSERR_INVALID_JSON, "err", text, NULL);
}

/* Go's time.Time.UnmarshalJSON. Returns 0, or -1 with err set (Go stops decoding there). */
static int decode_time(const json_t *v, jsapi_time *out, jserr *err)
{
    if (!json_is_string(v)) {
        invalid_json(err, "Time.UnmarshalJSON: input is not a JSON string");
        return -1;
    }
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (gotime_parse_rfc3339(s, len, &out->ns) < 0) {
        char text[400];
        snprintf(text, sizeof text,
                 "parsing time \"%.150s\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"%.150s\" "
                 "as \"2006\"",
                 s, s);
        invalid_json(err, text);
        return -1;
    }
    out->set = true;
    return 0;
}

static int decode_strings(decoder *d, const json_t *v, const jsapi_field *f)
{
    jsapi_strv *sv = f->out;
    if (!json_is_array(v)) {
        type_error(d, v, f->key, "[]string");
        return 0;
    }
    size_t n = json_array_size(v);
    char **arr = calloc(n ? n : 1, sizeof *arr);
    if (!arr)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(v, i);
        if (json_is_null(e)) {
            arr[k++] = strdup(""); /* Go leaves the zero value in the slice */
        } else if (!json_is_string(e)) {
            type_error(d, e, f->key, "string");
            arr[k++] = strdup("");
        } else {
            arr[k++] = strndup(json_string_value(e), json_string_length(e));
        }
        if (!arr[k - 1]) {
            for (size_t j = 0; j + 1 < k; j++)
                free(arr[j]);
            free(arr);
            return -1;
        }
    }
    for (size_t j = 0; j < sv->n; j++)
        free(sv->v[j]);
    free(sv->v);
    sv->v = arr;
    sv->n = k;
    return 0;
}

/* One key's value into its field. Returns 0 (a type error may have been noted) or -1 with err
 * set (decoding stops). */
static int decode_field(decoder *d, const json_t *v, const jsapi_field *f, jserr *err)
{
    if (json_is_null(v)) {
        if (f->kind == JF_TIME)
            ((jsapi_time *)f->out)->set = false; /* null sets a *time.Time to nil */
        return 0;
    }
    switch (f->kind) {
    case JF_U64:
        if (json_is_integer(v) && json_integer_value(v) >= 0)
            *(uint64_t *)f->out = (uint64_t)json_integer_value(v);
        else
            type_error(d, v, f->key, "uint64");
        return 0;
    case JF_INT:
        if (json_is_integer(v))
            *(int64_t *)f->out = (int64_t)json_integer_value(v);
        else
            type_error(d, v, f->key, "int");
        return 0;
    case JF_BOOL:
        if (json_is_boolean(v))
            *(bool *)f->out = json_is_true(v);
        else
            type_error(d, v, f->key, "bool");
        return 0;
    case JF_STRING: {
        if (!json_is_string(v)) {
            type_error(d, v, f->key, "string");
            return 0;
        }
        char *copy = strndup(json_string_value(v), json_string_length(v));
        if (!copy)
            goto oom;
        char **out = f->out;
        free(*out);
        *out = copy;
        return 0;
    }
    case JF_STRINGS:
        if (decode_strings(d, v, f) < 0)
            goto oom;
        return 0;
    case JF_TIME:
        return decode_time(v, f->out, err);
    }
    return 0;
oom:
    jserr_set(err, JSERR_STREAM_GENERAL_ERROR, "err", "out of memory", NULL);
    return -1;
}

void jsapi_fields_free(const jsapi_field *fields, size_t nfields)
{
    for (size_t i = 0; i < nfields; i++) {
        const jsapi_field *f = &fields[i];
        if (f->kind == JF_STRING) {
            char **s = f->out;
            free(*s);
            *s = NULL;
        } else if (f->kind == JF_STRINGS) {
            jsapi_strv *sv = f->out;
            for (size_t j = 0; j < sv->n; j++)
                free(sv->v[j]);
            free(sv->v);
            sv->v = NULL;
            sv->n = 0;
        }
    }
}

int jsapi_decode(const char *body, size_t len, const char *gostruct, const jsapi_field *fields,
                 size_t nfields, jserr *err)
{
    /* nats-server decodes with a json.Decoder first: blanks alone are io.EOF, no error */
    if (jsapi_body_blank(body, len))
        return 0;
    char msg[256];
    if (!gojson_check(body, len, msg, sizeof msg)) {
        invalid_json(err, msg);
        return -1;
    }
    json_error_t jerr;
    json_t *j = json_loadb(body, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (!j) {
        /* valid for Go but not for jansson: integers beyond 64 bits, invalid UTF-8 */
        invalid_json(err, jerr.text);
        return -1;
    }
    if (json_is_null(j)) {
        json_decref(j);
        return 0;
    }
    if (!json_is_object(j)) {
        char text[200];
        snprintf(text, sizeof text, "json: cannot unmarshal %s into Go value of type server.%s",
                 gojson_kind(j), gostruct);
        invalid_json(err, text);
        json_decref(j);
        return -1;
    }
    decoder d = {.gostruct = gostruct};
    const char *key;
    json_t *v;
    int rc = 0;
    json_object_foreach(j, key, v) {
        for (size_t i = 0; i < nfields; i++) {
            if (strcasecmp(key, fields[i].key) != 0)
                continue;
            if (decode_field(&d, v, &fields[i], err) < 0)
                rc = -1;
            break;
        }
        if (rc < 0)
            break;
    }
    json_decref(j);
    if (rc == 0 && d.type_err[0]) {
        invalid_json(err, d.type_err);
        rc = -1;
    }
    if (rc < 0)
        jsapi_fields_free(fields, nfields);
    return rc;
}

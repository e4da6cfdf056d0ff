/*
 * obs_info.c — ObjectInfo, the body of a meta message: written as nats.go's json.Marshal writes
 * it (struct field order, omitempty, sorted map keys, Go's string escaping, mtime as Go's zero
 * time), read as its json.Unmarshal reads it (case-insensitive field names, unknown fields
 * ignored, wrong types refused), and the checked copies of its headers and metadata.
 */
#include "obs_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proto/gotime.h"

void obs_info_free(obs_info *i)
{
    if (!i)
        return;
    free(i->name);
    free(i->description);
    json_decref(i->headers);
    json_decref(i->metadata);
    free(i->link_bucket);
    free(i->link_name);
    free(i->bucket);
    free(i->nuid);
    free(i->digest);
    memset(i, 0, sizeof *i);
}

/* ---------------- shapes of headers and metadata ---------------- */

int obs_copy_headers(const json_t *in, json_t **out)
{
    *out = NULL;
    if (!in || json_is_null(in))
        return 0;
    if (!json_is_object(in))
        return -1;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)in, k, v) {
        if (json_is_null(v))
            continue;
        if (!json_is_array(v))
            return -1;
        size_t i;
        json_t *s;
        json_array_foreach(v, i, s)
            if (!json_is_string(s))
                return -1;
    }
    if (json_object_size(in) == 0)
        return 0;
    return (*out = json_deep_copy(in)) ? 0 : -2;
}

int obs_copy_metadata(const json_t *in, json_t **out)
{
    *out = NULL;
    if (!in || json_is_null(in))
        return 0;
    if (!json_is_object(in))
        return -1;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)in, k, v)
        if (!json_is_string(v))
            return -1;
    if (json_object_size(in) == 0)
        return 0;
    return (*out = json_deep_copy(in)) ? 0 : -2;
}

/* ---------------- writing, as Go's encoding/json ---------------- */

typedef struct gbuf {
    char *p;
    size_t len, cap;
    bool failed;
} gbuf;

static void put(gbuf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (b->len + n + 1 > cap)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->failed = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void puts_(gbuf *b, const char *s)
{
    put(b, s, strlen(s));
}

/* One UTF-8 sequence at s[0..n): its length, or 0 when invalid (Go's utf8.DecodeRune rules:
 * no overlong forms, no surrogates, nothing above U+10FFFF). *cp receives the code point. */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t v, min;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2, v = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3, v = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

/* A JSON string as Go writes it with HTML escaping on (json.Marshal's default). */
static void put_string(gbuf *b, const char *str)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)str;
    size_t n = strlen(str), start = 0, i = 0;
    put(b, "\"", 1);
    while (i < n) {
        unsigned char c = s[i];
        if (c < 0x80) {
            if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&') {
                i++;
                continue;
            }
            put(b, str + start, i - start);
            char esc[7];
            switch (c) {
            case '"': puts_(b, "\\\""); break;
            case '\\': puts_(b, "\\\\"); break;
            case '\b': puts_(b, "\\b"); break;
            case '\f': puts_(b, "\\f"); break;
            case '\n': puts_(b, "\\n"); break;
            case '\r': puts_(b, "\\r"); break;
            case '\t': puts_(b, "\\t"); break;
            default:
                snprintf(esc, sizeof esc, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
                puts_(b, esc);
            }
            start = ++i;
            continue;
        }
        uint32_t cp = 0;
        size_t len = utf8_seq(s + i, n - i, &cp);
        if (len == 0) {
            put(b, str + start, i - start);
            puts_(b, "\\ufffd");
            start = ++i;
            continue;
        }
        if (cp == 0x2028 || cp == 0x2029) {
            put(b, str + start, i - start);
            puts_(b, cp == 0x2028 ? "\\u2028" : "\\u2029");
            start = i + len;
        }
        i += len;
    }
    put(b, str + start, n - start);
    put(b, "\"", 1);
}

static void put_key(gbuf *b, bool *first, const char *key)
{
    if (!*first)
        put(b, ",", 1);
    *first = false;
    put_string(b, key);
    put(b, ":", 1);
}

static void put_u64(gbuf *b, uint64_t v)
{
    char n[24];
    snprintf(n, sizeof n, "%" PRIu64, v);
    puts_(b, n);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A map as Go writes it: keys sorted. Values are strings, arrays of strings or null. */
static void put_map(gbuf *b, const json_t *obj)
{
    size_t n = json_object_size(obj), k = 0;
    const char **keys = malloc((n ? n : 1) * sizeof *keys);
    if (!keys) {
        b->failed = true;
        return;
    }
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
        keys[k++] = key;
    qsort(keys, n, sizeof *keys, cmp_str);
    put(b, "{", 1);
    bool first = true;
    for (k = 0; k < n; k++) {
        put_key(b, &first, keys[k]);
        v = json_object_get(obj, keys[k]);
        if (json_is_string(v)) {
            put_string(b, json_string_value(v));
        } else if (json_is_array(v)) {
            put(b, "[", 1);
            size_t i;
            json_t *s;
            json_array_foreach(v, i, s) {
                if (i)
                    put(b, ",", 1);
                put_string(b, json_is_string(s) ? json_string_value(s) : "");
            }
            put(b, "]", 1);
        } else {
            puts_(b, "null");
        }
    }
    put(b, "}", 1);
    free(keys);
}

char *obs_info_to_json(const obs_info *i, bool with_mtime, size_t *len)
{
    gbuf b = {0};
    bool first = true;
    put(&b, "{", 1);
    put_key(&b, &first, "name");
    put_string(&b, i->name ? i->name : "");
    if (i->description && *i->description) {
        put_key(&b, &first, "description");
        put_string(&b, i->description);
    }
    if (i->headers && json_object_size(i->headers) > 0) {
        put_key(&b, &first, "headers");
        put_map(&b, i->headers);
    }
    if (i->metadata && json_object_size(i->metadata) > 0) {
        put_key(&b, &first, "metadata");
        put_map(&b, i->metadata);
    }
    if (i->link_bucket || i->chunk_size) {
        put_key(&b, &first, "options");
        bool ofirst = true;
        put(&b, "{", 1);
        if (i->link_bucket) {
            put_key(&b, &ofirst, "link");
            bool lfirst = true;
            put(&b, "{", 1);
            put_key(&b, &lfirst, "bucket");
            put_string(&b, i->link_bucket);
            if (i->link_name && *i->link_name) {
                put_key(&b, &lfirst, "name");
                put_string(&b, i->link_name);
            }
            put(&b, "}", 1);
        }
        if (i->chunk_size) {
            put_key(&b, &ofirst, "max_chunk_size");
            put_u64(&b, i->chunk_size);
        }
        put(&b, "}", 1);
    }
    put_key(&b, &first, "bucket");
    put_string(&b, i->bucket ? i->bucket : "");
    put_key(&b, &first, "nuid");
    put_string(&b, i->nuid ? i->nuid : "");
    put_key(&b, &first, "size");
    put_u64(&b, i->size);
    put_key(&b, &first, "mtime");
    char t[GOTIME_RFC3339_MAX];
    put_string(&b, with_mtime ? gotime_format_rfc3339nano(i->mtime_ns, t) : GOTIME_ZERO);
    put_key(&b, &first, "chunks");
    put_u64(&b, i->chunks);
    if (i->digest && *i->digest) {
        put_key(&b, &first, "digest");
        put_string(&b, i->digest);
    }
    if (i->deleted) {
        put_key(&b, &first, "deleted");
        puts_(&b, "true");
    }
    put(&b, "}", 1);
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    if (len)
        *len = b.len;
    return b.p;
}

/* ---------------- reading, as Go's encoding/json ---------------- */

/* An RFC 3339 time as Go's time.Time.UnmarshalJSON accepts it, by shape: any year 0000-9999 is
 * valid there (Go's zero time "0001-01-01T00:00:00Z" is what nats.go writes), far outside the
 * int64 nanoseconds gotime_parse_rfc3339 covers, and the value itself is never used. */
static bool rfc3339_shape(const char *s, size_t n)
{
    static const char pat[] = "dddd-dd-ddTdd:dd:dd";
    size_t k = sizeof pat - 1;
    if (n < k + 1)
        return false;
    for (size_t i = 0; i < k; i++) {
        bool digit = s[i] >= '0' && s[i] <= '9';
        if (pat[i] == 'd' ? !digit : s[i] != pat[i])
            return false;
    }
    size_t i = k;
    if (s[i] == '.') {
        size_t d = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return false;
    }
    if (i + 1 == n && s[i] == 'Z')
        return true;
    static const char zone[] = "+dd:dd";
    if (n - i != sizeof zone - 1 || (s[i] != '+' && s[i] != '-'))
        return false;
    for (size_t z = 1; z < sizeof zone - 1; z++) {
        bool digit = s[i + z] >= '0' && s[i + z] <= '9';
        if (zone[z] == 'd' ? !digit : s[i + z] != zone[z])
            return false;
    }
    return true;
}

/* A field of a Go struct: the exact key first, else one that matches ignoring case. */
static json_t *field(const json_t *obj, const char *name)
{
    json_t *v = json_object_get(obj, name);
    if (v)
        return v;
    const char *k;
    json_object_foreach((json_t *)obj, k, v)
        if (strcasecmp(k, name) == 0)
            return v;
    return NULL;
}

/* A string field into *out (NULL when absent, null or empty). -1 wrong type, -2 no memory. */
static int get_string(const json_t *obj, const char *name, char **out)
{
    json_t *v = field(obj, name);
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return -1;
    if (json_string_length(v) == 0)
        return 0;
    return (*out = strdup(json_string_value(v))) ? 0 : -2;
}

/* An unsigned integer field no larger than max. -1 when of the wrong type or out of range. */
static int get_uint(const json_t *obj, const char *name, uint64_t max, uint64_t *out)
{
    json_t *v = field(obj, name);
    *out = 0;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        (uint64_t)json_integer_value(v) > max)
        return -1;
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

static int get_options(const json_t *obj, obs_info *out)
{
    json_t *o = field(obj, "options");
    if (!o || json_is_null(o))
        return 0;
    if (!json_is_object(o))
        return -1;
    uint64_t cs;
    if (get_uint(o, "max_chunk_size", UINT32_MAX, &cs) < 0)
        return -1;
    out->chunk_size = (uint32_t)cs;
    json_t *l = field(o, "link");
    if (!l || json_is_null(l))
        return 0;
    if (!json_is_object(l))
        return -1;
    int r = get_string(l, "bucket", &out->link_bucket);
    if (r == 0)
        r = get_string(l, "name", &out->link_name);
    if (r == 0 && !out->link_bucket && !(out->link_bucket = strdup("")))
        r = -2; /* a link object without a bucket is still a link (Go: a non-nil *ObjectLink) */
    return r;
}

obs_status obs_info_from_json(const char *json, size_t len, obs_info *out)
{
    memset(out, 0, sizeof *out);
    json_t *j = json_loadb(json, len, 0, NULL);
    if (!j || !json_is_object(j)) {
        json_decref(j);
        return OBS_ERR_BAD_META;
    }
    int r = get_string(j, "name", &out->name);
    if (r == 0)
        r = get_string(j, "description", &out->description);
    if (r == 0)
        r = obs_copy_headers(field(j, "headers"), &out->headers);
    if (r == 0)
        r = obs_copy_metadata(field(j, "metadata"), &out->metadata);
    if (r == 0)
        r = get_options(j, out);
    if (r == 0)
        r = get_string(j, "bucket", &out->bucket);
    if (r == 0)
        r = get_string(j, "nuid", &out->nuid);
    uint64_t v;
    if (r == 0 && (r = get_uint(j, "size", UINT64_MAX, &v)) == 0)
        out->size = v;
    if (r == 0 && (r = get_uint(j, "chunks", UINT32_MAX, &v)) == 0)
        out->chunks = (uint32_t)v;
    if (r == 0)
        r = get_string(j, "digest", &out->digest);
    if (r == 0) {
        json_t *d = field(j, "deleted");
        if (d && !json_is_null(d) && !json_is_boolean(d))
            r = -1;
        else
            out->deleted = d && json_is_true(d);
    }
    if (r == 0) {
        json_t *t = field(j, "mtime");
        if (t && !json_is_null(t) &&
            (!json_is_string(t) || !rfc3339_shape(json_string_value(t), json_string_length(t))))
            r = -1;
    }
    json_decref(j);
    /* the strings the rest of the module relies on */
    if (r == 0 && !out->name && !(out->name = strdup("")))
        r = -2;
    if (r == 0 && !out->bucket && !(out->bucket = strdup("")))
        r = -2;
    if (r == 0 && !out->nuid && !(out->nuid = strdup("")))
        r = -2;
    if (r < 0) {
        obs_info_free(out);
        return r == -2 ? OBS_ERR_NO_MEMORY : OBS_ERR_BAD_META;
    }
    return OBS_OK;
}

obs_status obs_info_from_msg(const stream_msg *m, obs_info *out)
{
    obs_status st = obs_info_from_json(m->data ? m->data : "", m->data_len, out);
    if (st != OBS_OK)
        return st;
    out->mtime_ns = m->ts_ns;
    out->revision = m->seq;
    return OBS_OK;
}

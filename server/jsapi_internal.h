/*
 * jsapi_internal.h — what the JetStream API files (jsapi.c, jsapi_decode.c, jsapi_stream.c,
 * jsapi_msg.c) share: one request being handled, the response envelope, request decoding with
 * Go's encoding/json rules, and the API's state. Nothing outside server/jsapi*.c includes it.
 *
 * Ownership: a jsapi_req and its strings live for one call of js_api_request; responses are
 * json_t objects that jsapi_send consumes.
 */
#ifndef WEIR_JSAPI_INTERNAL_H
#define WEIR_JSAPI_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server.h"
#include "strmap.h"
#include "stream/stream.h"

/* Paging limits of nats-server (JSApiNamesLimit, JSApiListLimit, JSMaxSubjectDetails). */
#define JSAPI_NAMES_LIMIT 1024
#define JSAPI_LIST_LIMIT 256
#define JSAPI_SUBJECT_DETAILS_LIMIT 100000

/* The API level of $JS.API.INFO (ADR-44): 1 = nats-server 2.11, whose per-message TTLs and
 * batched / multi-last direct gets weir offers on top of the 2.10 API. */
#define JSAPI_LEVEL 1

/* The API's state: nats-server's per-account API counters. */
struct jsapi {
    uint64_t total;   /* requests answered (api.total of $JS.API.INFO) */
    uint64_t errors;  /* of which with an error (api.errors) */
};

/* One request. */
typedef struct jsapi_req {
    server *s;
    char *subject;     /* NUL-terminated copy */
    char *reply;       /* NUL-terminated copy; "" when the request has no reply subject */
    const char *hdr;   /* header block or NULL */
    size_t hdr_len;
    const char *body;  /* the payload after the header block (not NUL-terminated) */
    size_t body_len;
    const char *type;  /* response type of the endpoint, "io.nats.jetstream.api.v1.x_response" */
} jsapi_req;

/* ---- responses (jsapi.c) ---- */

/* A new response object holding only "type". */
json_t *jsapi_resp_new(const jsapi_req *r);
/* Adds "error":{"code","err_code","description"} to resp. */
void jsapi_resp_set_error(json_t *resp, const jserr *e);
/* Publishes resp (compact JSON) to the reply subject if there is one, counts it in the API
 * statistics (as an error when counted_as_error), and releases resp. */
void jsapi_send(jsapi_req *r, json_t *resp, bool counted_as_error);
/* {"type":..,"error":{..}}: the error answer of most endpoints. */
void jsapi_fail(jsapi_req *r, const jserr *e);
/* jsapi_fail with an error id and no placeholders. */
void jsapi_fail_id(jsapi_req *r, jserr_id id);
/* Publishes a message with a header block (direct get replies); not counted. */
void jsapi_send_raw(jsapi_req *r, const char *hdr, size_t hdr_len, const char *data,
                    size_t data_len);

/* The n-th token (1-based) of the request subject, copied into out (NUL-terminated); "" when
 * absent or longer than cap-1. */
const char *jsapi_token(const jsapi_req *r, int n, char *out, size_t cap);

/* The API state, created on first use; NULL only when out of memory. */
struct jsapi *jsapi_state(server *s);
/* When the stream was created (ns since the epoch). */
int64_t jsapi_stream_created(server *s, const stream *st);
/* Wall clock, ns since the epoch. */
int64_t jsapi_now_ns(void);
/* Commits the store; on failure fills e (JSERR_STREAM_STORE_FAILED) and returns -1. */
int jsapi_commit(jsapi_req *r, jserr *e);

/* ---- request bodies (jsapi_decode.c) ---- */

typedef enum {
    JF_U64,     /* uint64_t *        Go uint64 */
    JF_INT,     /* int64_t *         Go int */
    JF_BOOL,    /* bool *            Go bool */
    JF_STRING,  /* char ** (malloc)  Go string */
    JF_STRINGS, /* jsapi_strv *      Go []string */
    JF_TIME,    /* jsapi_time *      Go *time.Time (RFC 3339) */
} jsapi_field_kind;

typedef struct jsapi_strv {
    char **v; /* malloc'd strings */
    size_t n;
} jsapi_strv;

typedef struct jsapi_time {
    bool set;
    int64_t ns;
} jsapi_time;

typedef struct jsapi_field {
    const char *key;       /* the JSON name; matched case-insensitively as Go does */
    jsapi_field_kind kind;
    void *out;
} jsapi_field;

/* True when the body is empty or only JSON blanks. */
bool jsapi_body_blank(const char *body, size_t len);
/* nats-server's isJSONObjectOrArray: the first non-blank byte is '{' or '['. */
bool jsapi_body_is_object_or_array(const char *body, size_t len);
/* nats-server's isEmptyRequest: empty, or a JSON object without keys. */
bool jsapi_body_is_empty_request(const char *body, size_t len);

/* Decodes a request body as nats-server's unmarshalRequest does in its default non-strict
 * mode (Go's json.Unmarshal into the struct named gostruct, e.g. "JSApiMsgGetRequest"): blanks
 * alone leave every field unset; unknown keys are ignored; null leaves a field alone. Errors
 * give JSERR_INVALID_JSON with Go's text: a syntax error ("invalid character ..."), a value of
 * the wrong type ("json: cannot unmarshal string into Go struct field
 * JSApiMsgGetRequest.seq of type uint64", the first such one after reading everything), a
 * malformed time. Returns 0 or -1; on -1 nothing needs freeing. Outputs are left untouched for
 * absent keys, so initialise them first; free with jsapi_fields_free. */
int jsapi_decode(const char *body, size_t len, const char *gostruct, const jsapi_field *fields,
                 size_t nfields, jserr *err);
/* Frees the strings (JF_STRING, JF_STRINGS) that jsapi_decode stored. */
void jsapi_fields_free(const jsapi_field *fields, size_t nfields);

/* ---- endpoints ---- */

void jsapi_stream_create(jsapi_req *r);
void jsapi_stream_update(jsapi_req *r);
void jsapi_stream_info(jsapi_req *r);
void jsapi_stream_delete(jsapi_req *r);
void jsapi_stream_purge(jsapi_req *r);
void jsapi_stream_names(jsapi_req *r);
void jsapi_stream_list(jsapi_req *r);
void jsapi_msg_get(jsapi_req *r);
void jsapi_msg_delete(jsapi_req *r);
/* Consumers (jsapi_consumer.c). */
void jsapi_consumer_create(jsapi_req *r);
void jsapi_consumer_info(jsapi_req *r);
void jsapi_consumer_delete(jsapi_req *r);
void jsapi_consumer_pause(jsapi_req *r);
void jsapi_consumer_names(jsapi_req *r);
void jsapi_consumer_list(jsapi_req *r);
/* Direct get ($JS.API.DIRECT.GET.<stream>[.<subject>]): returns false when the stream does not
 * exist or does not allow direct gets (nobody answers then, as in nats-server). */
bool jsapi_direct_get(jsapi_req *r);

#endif

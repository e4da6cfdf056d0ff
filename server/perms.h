/*
 * perms.h — per-user publish/subscribe permissions as nats-server has them (its server/opts.go
 * parseUserPermissions, server/client.go setPermissions, pubAllowedFullCheck, canSubscribe,
 * checkDenySub): the rules a configuration gives a user, and the per-connection state that
 * applies them (a cache of publish decisions, the reply subjects a responder may answer, the
 * delivery-time filter of denied subjects).
 *
 * Subjects of the rules are matched the way nats-server's sublist matches them: an entry's `*`
 * takes one token and `>` one or more, while a `*`/`>` in the subject being checked (a
 * subscription filter) is compared as plain text, so allow "foo.*" admits SUB "foo.>" exactly
 * as in nats-server.
 *
 * Decisions:
 *   publish    allowed iff (no allow list, or an allow entry matches) and no deny entry
 *              matches; when that fails and responses are allowed, a reply subject of a
 *              message delivered to this connection may still be published to, at most
 *              resp_max times (negative: unlimited) within resp_expires_ms (negative: forever).
 *              allow_responses switches the blanket allow off: without an allow list only
 *              replies may be published.
 *   subscribe  canSubscribe: the allow list must have a plain entry matching the filter, or,
 *              for a queue subscription, a queue entry whose queue matches when the matching
 *              entries name queues ("foo v1" admits only queue v1 on foo); then no plain deny
 *              entry may match, nor a queue deny entry naming the queue.
 *   delivery   a wildcard (or queue) subscription that passed but overlaps a deny entry turns
 *              on a filter: messages whose subject a deny entry matches (for a queue
 *              subscription also a queue deny entry of that queue) are not delivered.
 *
 * Ownership: a weir_perms owns its entry arrays and strings; perms_free releases them. A
 * perms_conn points at the weir_perms it was made from (which must outlive it) and owns its
 * caches; perms_conn_free releases them. Single-threaded.
 */
#ifndef WEIR_PERMS_H
#define WEIR_PERMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* nats-server's defaults for `allow_responses: true` (DEFAULT_ALLOW_RESPONSE_*). */
#define PERMS_DEFAULT_RESP_MAX 1
#define PERMS_DEFAULT_RESP_EXPIRES_MS (2 * 60 * 1000)

/* One rule: a subject filter, and for subscribe rules an optional queue group. */
typedef struct perms_entry {
    char *subject;
    size_t subject_len;
    char *queue; /* NULL: none */
    size_t queue_len;
} perms_entry;

typedef struct perms_list {
    perms_entry *items;
    size_t n;
} perms_list;

typedef struct weir_perms {
    perms_list pub_allow, pub_deny, sub_allow, sub_deny;
    bool pub_allow_set;      /* an allow list is in force even when empty (allow_responses) */
    bool responses;          /* allow_responses */
    int64_t resp_max;        /* responses per reply subject; < 0 unlimited */
    int64_t resp_expires_ms; /* how long a reply subject stays allowed; < 0 forever */
} weir_perms;

/* A zeroed weir_perms (everything allowed), or NULL when out of memory. */
weir_perms *perms_new(void);
void perms_free(weir_perms *p);
/* Deep copy; NULL for NULL or when out of memory. */
weir_perms *perms_clone(const weir_perms *p);

/* Adds one rule written as in the configuration: "subject", or for subscribe lists
 * (allow_queue) "subject queue" separated by white space. Validates as nats-server's
 * checkPermSubjectArray. Returns 0, -1 with a message in err for an invalid rule (the
 * subject quoted as Go's %q would), or -2 when out of memory. */
int perms_list_add(perms_list *l, const char *text, bool allow_queue, char *err, size_t errlen);

/* Turns the response permission on with nats-server's meaning of the configured values:
 * max 0 means the default (1), negative unlimited; expires 0 means the default (2 minutes),
 * negative forever. Also switches the blanket publish allow off. */
void perms_set_responses(weir_perms *p, int64_t max, int64_t expires_ms);

/* ---- stateless decisions (what the caches below remember) ------------------------------ */

/* The publish rules alone, without replies. */
bool perms_pub_allowed(const weir_perms *p, const char *subj, size_t len);
/* canSubscribe; queue NULL / qlen 0 for a plain subscription. */
bool perms_sub_allowed(const weir_perms *p, const char *subj, size_t len, const char *queue,
                       size_t qlen);
/* Whether a delivery of subject subj to a subscription (of queue group queue, or none) is
 * dropped by the subscribe deny rules. */
bool perms_delivery_denied(const weir_perms *p, const char *subj, size_t len, const char *queue,
                           size_t qlen);

/* ---- per connection --------------------------------------------------------------------- */

typedef struct perms_conn perms_conn;

/* New state for a connection authenticated with p (not NULL); NULL when out of memory. */
perms_conn *perms_conn_new(const weir_perms *p);
void perms_conn_free(perms_conn *pc);

/* Publish decision with the cache and, when responses are allowed, the reply subjects this
 * connection received (each use counts). now_ms is a monotonic clock. */
bool perms_conn_can_publish(perms_conn *pc, const char *subj, size_t len, int64_t now_ms);
/* Subscribe decision; when the subscription is allowed but can receive denied subjects, the
 * delivery filter is turned on for the rest of the connection. */
bool perms_conn_can_subscribe(perms_conn *pc, const char *subj, size_t len, const char *queue,
                              size_t qlen);
/* False when the delivery filter is on and drops this delivery. Cheap when it is off. */
bool perms_conn_delivery_ok(perms_conn *pc, const char *subj, size_t len, const char *queue,
                            size_t qlen);
/* Records a reply subject of a message delivered to this connection, when responses are
 * allowed (otherwise does nothing). Returns -1 only when out of memory. */
int perms_conn_track_reply(perms_conn *pc, const char *reply, size_t len, int64_t now_ms);

/* ---- error texts ------------------------------------------------------------------------ */

/* Writes into out (NUL-terminated, truncated to cap) nats-server's texts:
 *   Permissions Violation for Publish to "SUBJ"
 *   Permissions Violation for Subscription to "SUBJ"[ using queue "Q"]
 * with the subject and queue quoted as Go's %q. Returns the length the full text needs. */
size_t perms_pub_violation_text(char *out, size_t cap, const char *subj, size_t len);
size_t perms_sub_violation_text(char *out, size_t cap, const char *subj, size_t len,
                                const char *queue, size_t qlen);

#endif

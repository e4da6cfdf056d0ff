/*
 * sublist.h — the subscription index: maps a published subject to the subscriptions whose
 * subject filter (literal tokens, `*` for one token, `>` for one or more trailing tokens) matches,
 * split into plain subscriptions and queue groups (one member of each group gets a message).
 *
 * A match cache keyed by the published subject answers repeated subjects without walking the
 * tree; inserts and removals invalidate exactly the cached entries they could affect.
 *
 * Ownership: subscriptions are opaque `void *` owned by the caller; the sublist stores the
 * pointers and the filter/queue strings (copied). A result returned by sublist_match is owned by
 * the sublist and stays valid until the next sublist_insert/sublist_remove/sublist_free call, and
 * for at least SUBLIST_RESULT_KEEP further sublist_match calls (the cache is bounded, so a result
 * cannot outlive every later match: evicted results are kept for that many matches, enough for
 * deliveries that publish in turn). A caller that runs more nested matches than that while still
 * reading a result copies the pointers first.
 * Single-threaded: no locking.
 *
 * Matching follows nats-server's sublist.go: `*` matches exactly one token, `>` one or more
 * trailing tokens; tokens are compared as bytes. A published subject that is empty or has an
 * empty token matches nothing. One with a `*` / `>` token (not a valid publish subject; the
 * router lets it through unless pedantic, like nats-server) is matched as sublist.go does: the
 * token is plain text to literal filters, so only wildcard filters can match it.
 */
#ifndef WEIR_SUBLIST_H
#define WEIR_SUBLIST_H

#include <stddef.h>
#include <stdint.h>

typedef struct sublist sublist;

typedef struct sublist_qgroup {
    const char *queue; /* the group name (not NUL-terminated guaranteed: use queue_len) */
    size_t queue_len;
    void **subs;       /* members of the group that match */
    size_t nsubs;
} sublist_qgroup;

typedef struct sublist_result {
    void **psubs; /* plain (non-queue) subscriptions that match */
    size_t npsubs;
    sublist_qgroup *qgroups;
    size_t nqgroups;
} sublist_result;

typedef struct sublist_stats {
    uint64_t subscriptions;
    uint64_t cache_entries;
    uint64_t matches;
    uint64_t cache_hits;
    uint64_t nodes; /* trie nodes, root excluded: 0 once every subscription is removed */
} sublist_stats;

/* How many further sublist_match calls a returned result survives at least (see above). */
#define SUBLIST_RESULT_KEEP 64

/* Error returns of sublist_insert (all negative). */
#define SUBLIST_ERR_NOMEM (-1)   /* out of memory: nothing changed */
#define SUBLIST_ERR_INVALID (-2) /* not a valid filter: empty token, or `>` not last */
#define SUBLIST_ERR_EXISTS (-3)  /* the same (subject, queue, sub) is already present */

sublist *sublist_new(void);
void sublist_free(sublist *s);

/* Adds `sub` under the filter `subject` (a valid subscribe subject; the caller validates) and
 * optional queue group (queue NULL / qlen 0 for none). Returns 0, or SUBLIST_ERR_NOMEM (-1) when
 * out of memory, SUBLIST_ERR_INVALID for an invalid filter, SUBLIST_ERR_EXISTS when exactly this
 * (subject, queue, sub) is already present (a duplicate is refused, never stored twice). The same
 * `sub` under another filter or queue is a separate entry. */
int sublist_insert(sublist *s, const char *subject, size_t len, const char *queue, size_t qlen,
                   void *sub);

/* Removes the entry previously inserted with exactly these arguments. Returns 0, or -1 if not
 * found. */
int sublist_remove(sublist *s, const char *subject, size_t len, const char *queue, size_t qlen,
                   void *sub);

/* Matches a literal published subject. Never returns NULL (an empty result has counts 0). */
const sublist_result *sublist_match(sublist *s, const char *subject, size_t len);

/* sublist_match without the cache (neither looked up nor filled): for subjects used once
 * (JetStream acks carry a unique subject per message), which would only evict useful entries. */
const sublist_result *sublist_match_once(sublist *s, const char *subject, size_t len);

/* True when at least one subscription would match `subject` (used for no-responders). */
int sublist_has_interest(sublist *s, const char *subject, size_t len);

void sublist_get_stats(const sublist *s, sublist_stats *out);

#endif

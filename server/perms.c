/*
 * perms.c — per-user publish/subscribe permissions (see perms.h for the rules).
 *
 * Rule lists are short, so decisions scan them with subject_matches. A connection remembers
 * its publish decisions in a small direct-mapped cache (nats-server keeps up to 128 in its
 * pcache) and, once its delivery filter is on, its delivery decisions in another; a miss
 * replaces the slot, so neither grows. Reply subjects allowed by allow_responses live in a
 * map that is pruned of used-up and expired entries once it holds more than 4096, as
 * nats-server's replyPermLimit does (and, when that frees little, again only once it has
 * doubled).
 */
#include "perms.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "proto/subject.h"
#include "strmap.h"

#define PERMS_PUB_CACHE_SLOTS 128
#define PERMS_DENY_CACHE_SLOTS 256
#define PERMS_REPLY_LIMIT 4096

/* ---- rules ------------------------------------------------------------------------------ */

weir_perms *perms_new(void)
{
    return calloc(1, sizeof(weir_perms));
}

static void list_free(perms_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i].subject);
        free(l->items[i].queue);
    }
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

void perms_free(weir_perms *p)
{
    if (!p)
        return;
    list_free(&p->pub_allow);
    list_free(&p->pub_deny);
    list_free(&p->sub_allow);
    list_free(&p->sub_deny);
    free(p);
}

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

/* Appends a copy of (subject, queue); 0 or -1 when out of memory. */
static int list_push(perms_list *l, const char *subj, size_t slen, const char *queue,
                     size_t qlen)
{
    perms_entry *items = realloc(l->items, (l->n + 1) * sizeof *items);
    if (!items)
        return -1;
    l->items = items;
    perms_entry *e = &items[l->n];
    e->subject = dup_n(subj, slen);
    e->subject_len = slen;
    e->queue = queue ? dup_n(queue, qlen) : NULL;
    e->queue_len = queue ? qlen : 0;
    if (!e->subject || (queue && !e->queue)) {
        free(e->subject);
        free(e->queue);
        return -1;
    }
    l->n++;
    return 0;
}

static int list_copy(perms_list *dst, const perms_list *src)
{
    for (size_t i = 0; i < src->n; i++) {
        const perms_entry *e = &src->items[i];
        if (list_push(dst, e->subject, e->subject_len, e->queue, e->queue_len) < 0)
            return -1;
    }
    return 0;
}

weir_perms *perms_clone(const weir_perms *p)
{
    if (!p)
        return NULL;
    weir_perms *c = perms_new();
    if (!c)
        return NULL;
    c->pub_allow_set = p->pub_allow_set;
    c->responses = p->responses;
    c->resp_max = p->resp_max;
    c->resp_expires_ms = p->resp_expires_ms;
    if (list_copy(&c->pub_allow, &p->pub_allow) < 0 || list_copy(&c->pub_deny, &p->pub_deny) < 0 ||
        list_copy(&c->sub_allow, &p->sub_allow) < 0 || list_copy(&c->sub_deny, &p->sub_deny) < 0) {
        perms_free(c);
        return NULL;
    }
    return c;
}

/* ---- Go's %q ---------------------------------------------------------------------------- */

typedef struct textbuf {
    char *out;
    size_t cap, len; /* len counts what the full text needs, beyond cap too */
} textbuf;

static void tb_putc(textbuf *b, char ch)
{
    if (b->len + 1 < b->cap)
        b->out[b->len] = ch;
    b->len++;
}

static void tb_puts(textbuf *b, const char *s)
{
    while (*s)
        tb_putc(b, *s++);
}

/* Length of the valid UTF-8 sequence of 2-4 bytes at s (at most n available), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    size_t need = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
    if (need == 0 || need > n || (s[0] >= 0xf8))
        return 0;
    for (size_t i = 1; i < need; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return need;
}

/* Quotes bytes as Go's %q does for ASCII; valid UTF-8 is kept, other bytes become \xNN. */
static void tb_quote(textbuf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    tb_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        const char *esc = NULL;
        switch (ch) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\a': esc = "\\a"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        case '\v': esc = "\\v"; break;
        }
        if (esc) {
            tb_puts(b, esc);
        } else if (ch >= 0x20 && ch < 0x7f) {
            tb_putc(b, (char)ch);
        } else if (ch >= 0x80) {
            size_t k = utf8_seq((const unsigned char *)s + i, n - i);
            if (k == 0) {
                tb_puts(b, "\\x");
                tb_putc(b, hex[ch >> 4]);
                tb_putc(b, hex[ch & 15]);
            } else {
                for (size_t j = 0; j < k; j++)
                    tb_putc(b, s[i + j]);
                i += k - 1;
            }
        } else {
            tb_puts(b, "\\x");
            tb_putc(b, hex[ch >> 4]);
            tb_putc(b, hex[ch & 15]);
        }
    }
    tb_putc(b, '"');
}

static size_t tb_finish(textbuf *b)
{
    if (b->cap)
        b->out[b->len < b->cap ? b->len : b->cap - 1] = 0;
    return b->len;
}

size_t perms_pub_violation_text(char *out, size_t cap, const char *subj, size_t len)
{
    textbuf b = {out, cap, 0};
    tb_puts(&b, "Permissions Violation for Publish to ");
    tb_quote(&b, subj, len);
    return tb_finish(&b);
}

size_t perms_sub_violation_text(char *out, size_t cap, const char *subj, size_t len,
                                const char *queue, size_t qlen)
{
    textbuf b = {out, cap, 0};
    tb_puts(&b, "Permissions Violation for Subscription to ");
    tb_quote(&b, subj, len);
    if (queue && qlen) {
        tb_puts(&b, " using queue ");
        tb_quote(&b, queue, qlen);
    }
    return tb_finish(&b);
}

/* ---- parsing one rule ------------------------------------------------------------------- */

static int rule_error(char *err, size_t errlen, const char *what, const char *s, size_t n,
                      const char *tail)
{
    textbuf b = {err, errlen, 0};
    tb_puts(&b, what);
    tb_quote(&b, s, n);
    tb_puts(&b, tail);
    tb_finish(&b);
    return -1;
}

int perms_list_add(perms_list *l, const char *text, bool allow_queue, char *err, size_t errlen)
{
    size_t len = strlen(text);
    if (subject_valid_filter(text, len))
        return list_push(l, text, len, NULL, 0) < 0 ? -2 : 0;
    if (!allow_queue)
        return rule_error(err, errlen, "subject ", text, len, " is not a valid subject");
    /* "subject queue": exactly two fields separated by white space (Go's strings.Fields) */
    const char *f[3];
    size_t fl[3], nf = 0;
    for (const char *p = text; *p;) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        const char *start = p;
        while (*p && !isspace((unsigned char)*p))
            p++;
        if (nf < 3) {
            f[nf] = start;
            fl[nf] = (size_t)(p - start);
        }
        nf++;
    }
    if (nf != 2)
        return rule_error(err, errlen, "subject ", text, len, " is not a valid subject");
    if (!subject_valid_filter(f[0], fl[0]))
        return rule_error(err, errlen, "subject ", f[0], fl[0], " is not a valid subject");
    if (!subject_valid_filter(f[1], fl[1]))
        return rule_error(err, errlen, "queue ", f[1], fl[1], " is not a valid queue");
    return list_push(l, f[0], fl[0], f[1], fl[1]) < 0 ? -2 : 0;
}

void perms_set_responses(weir_perms *p, int64_t max, int64_t expires_ms)
{
    p->responses = true;
    p->resp_max = max == 0 ? PERMS_DEFAULT_RESP_MAX : max;
    p->resp_expires_ms = expires_ms == 0 ? PERMS_DEFAULT_RESP_EXPIRES_MS : expires_ms;
    p->pub_allow_set = true;
}

/* ---- decisions -------------------------------------------------------------------------- */

/* nats-server's sublist matches nothing for a subject with an empty token. */
static bool subject_usable(const char *s, size_t len)
{
    if (len == 0 || s[0] == '.' || s[len - 1] == '.')
        return false;
    return memmem(s, len, "..", 2) == NULL;
}

static bool entry_matches(const perms_entry *e, const char *s, size_t len)
{
    return subject_matches(e->subject, e->subject_len, s, len);
}

/* nats-server's queueMatches for one queue entry: the same name, or a wildcard queue name
 * that covers the (literal) queue. */
static bool queue_matches(const perms_entry *e, const char *queue, size_t qlen)
{
    if (e->queue_len == qlen && memcmp(e->queue, queue, qlen) == 0)
        return true;
    return subject_has_wildcard(e->queue, e->queue_len) &&
           subject_matches(e->queue, e->queue_len, queue, qlen);
}

/* What the entries of l matching s say: a plain entry matched (*plain), some queue entry
 * matched (*anyq), and a matching queue entry admits `queue` (*qok). */
static void list_scan(const perms_list *l, const char *s, size_t len, const char *queue,
                      size_t qlen, bool *plain, bool *anyq, bool *qok)
{
    *plain = *anyq = *qok = false;
    for (size_t i = 0; i < l->n; i++) {
        const perms_entry *e = &l->items[i];
        if (!entry_matches(e, s, len))
            continue;
        if (!e->queue) {
            *plain = true;
        } else {
            *anyq = true;
            if (qlen && !*qok && queue_matches(e, queue, qlen))
                *qok = true;
        }
    }
}

static bool list_matches_plain(const perms_list *l, const char *s, size_t len)
{
    for (size_t i = 0; i < l->n; i++)
        if (!l->items[i].queue && entry_matches(&l->items[i], s, len))
            return true;
    return false;
}

bool perms_pub_allowed(const weir_perms *p, const char *subj, size_t len)
{
    if (!p)
        return true;
    bool usable = subject_usable(subj, len);
    bool allowed = true;
    if (p->pub_allow_set || p->pub_allow.n > 0)
        allowed = usable && list_matches_plain(&p->pub_allow, subj, len);
    if (allowed && p->pub_deny.n > 0)
        allowed = !(usable && list_matches_plain(&p->pub_deny, subj, len));
    return allowed;
}

bool perms_sub_allowed(const weir_perms *p, const char *subj, size_t len, const char *queue,
                       size_t qlen)
{
    if (!p)
        return true;
    if (!queue)
        qlen = 0;
    bool plain, anyq, qok;
    bool allowed = true;
    if (p->sub_allow.n > 0) {
        list_scan(&p->sub_allow, subj, len, queue, qlen, &plain, &anyq, &qok);
        allowed = plain;
        if (qlen && anyq)
            allowed = qok; /* the queue entries on this subject decide for a queue sub */
    }
    if (allowed && p->sub_deny.n > 0) {
        list_scan(&p->sub_deny, subj, len, queue, qlen, &plain, &anyq, &qok);
        allowed = !plain;
        if (allowed && qlen && anyq)
            allowed = !qok;
    }
    return allowed;
}

bool perms_delivery_denied(const weir_perms *p, const char *subj, size_t len, const char *queue,
                           size_t qlen)
{
    if (!p || p->sub_deny.n == 0 || !subject_usable(subj, len))
        return false;
    if (!queue)
        qlen = 0;
    bool plain, anyq, qok;
    list_scan(&p->sub_deny, subj, len, queue, qlen, &plain, &anyq, &qok);
    return plain || (qlen && anyq && qok);
}

/* ---- per-connection caches -------------------------------------------------------------- */

typedef struct cache_slot {
    char *key; /* subject bytes followed by queue bytes; NULL when empty */
    uint32_t slen, qlen;
    bool value;
} cache_slot;

typedef struct reply_perm {
    int64_t since_ms;
    int64_t used;
} reply_perm;

struct perms_conn {
    const weir_perms *p;
    bool pub_rules;   /* some publish rule exists: otherwise every publish is allowed */
    bool deny_filter; /* the delivery filter is on */
    cache_slot *pub_cache;  /* PERMS_PUB_CACHE_SLOTS, allocated on first use */
    cache_slot *deny_cache; /* PERMS_DENY_CACHE_SLOTS, allocated when the filter turns on */
    strmap replies;         /* reply subject → reply_perm (owned) */
    size_t prune_at;        /* prune the replies when they are more than this */
};

perms_conn *perms_conn_new(const weir_perms *p)
{
    perms_conn *pc = calloc(1, sizeof *pc);
    if (!pc)
        return NULL;
    pc->p = p;
    pc->pub_rules = p->pub_allow_set || p->pub_allow.n > 0 || p->pub_deny.n > 0;
    strmap_init(&pc->replies);
    pc->prune_at = PERMS_REPLY_LIMIT;
    return pc;
}

static void cache_free(cache_slot *c, size_t n)
{
    if (!c)
        return;
    for (size_t i = 0; i < n; i++)
        free(c[i].key);
    free(c);
}

void perms_conn_free(perms_conn *pc)
{
    if (!pc)
        return;
    cache_free(pc->pub_cache, PERMS_PUB_CACHE_SLOTS);
    cache_free(pc->deny_cache, PERMS_DENY_CACHE_SLOTS);
    for (size_t i = 0; i < pc->replies.cap; i++)
        if (pc->replies.slots[i].key)
            free(pc->replies.slots[i].value);
    strmap_free(&pc->replies);
    free(pc);
}

static size_t cache_index(const char *s, size_t len, const char *q, size_t qlen, size_t nslots)
{
    uint64_t h = XXH3_64bits(s, len);
    if (qlen)
        h ^= XXH3_64bits(q, qlen) * 0x9e3779b97f4a7c15ULL;
    return (size_t)(h & (nslots - 1));
}

/* The cached decision for (s, q) in *value; false on a miss. */
static bool cache_get(const cache_slot *slot, const char *s, size_t len, const char *q,
                      size_t qlen, bool *value)
{
    if (!slot->key || slot->slen != len || slot->qlen != qlen ||
        memcmp(slot->key, s, len) != 0 || (qlen && memcmp(slot->key + len, q, qlen) != 0))
        return false;
    *value = slot->value;
    return true;
}

/* Remembers a decision; a failed allocation just leaves the slot empty. */
static void cache_put(cache_slot *slot, const char *s, size_t len, const char *q, size_t qlen,
                      bool value)
{
    if (len > UINT32_MAX || qlen > UINT32_MAX)
        return;
    free(slot->key);
    slot->key = malloc(len + qlen + 1);
    if (!slot->key)
        return;
    memcpy(slot->key, s, len);
    if (qlen)
        memcpy(slot->key + len, q, qlen);
    slot->slen = (uint32_t)len;
    slot->qlen = (uint32_t)qlen;
    slot->value = value;
}

/* A reply subject may be used once more: counts the use and forgets used-up or expired ones. */
static bool reply_allowed(perms_conn *pc, const char *subj, size_t len, int64_t now_ms)
{
    reply_perm *r = strmap_get(&pc->replies, subj, len);
    if (!r)
        return false;
    r->used++;
    const weir_perms *p = pc->p;
    if ((p->resp_max > 0 && r->used > p->resp_max) ||
        (p->resp_expires_ms >= 0 && now_ms - r->since_ms > p->resp_expires_ms)) {
        free(strmap_remove(&pc->replies, subj, len));
        return false;
    }
    return true;
}

bool perms_conn_can_publish(perms_conn *pc, const char *subj, size_t len, int64_t now_ms)
{
    if (!pc->pub_rules)
        return true;
    if (!pc->pub_cache)
        pc->pub_cache = calloc(PERMS_PUB_CACHE_SLOTS, sizeof *pc->pub_cache);
    bool allowed;
    cache_slot *slot = NULL;
    if (pc->pub_cache) {
        slot = &pc->pub_cache[cache_index(subj, len, NULL, 0, PERMS_PUB_CACHE_SLOTS)];
        if (!cache_get(slot, subj, len, NULL, 0, &allowed)) {
            allowed = perms_pub_allowed(pc->p, subj, len);
            cache_put(slot, subj, len, NULL, 0, allowed);
        }
    } else {
        allowed = perms_pub_allowed(pc->p, subj, len);
    }
    if (!allowed && pc->p->responses)
        allowed = reply_allowed(pc, subj, len, now_ms);
    return allowed;
}

bool perms_conn_can_subscribe(perms_conn *pc, const char *subj, size_t len, const char *queue,
                              size_t qlen)
{
    const weir_perms *p = pc->p;
    if (!queue)
        qlen = 0;
    if (!perms_sub_allowed(p, subj, len, queue, qlen))
        return false;
    /* nats-server's loadMsgDenyFilterIfNeeded */
    if (!pc->deny_filter && (qlen || subject_has_wildcard(subj, len))) {
        for (size_t i = 0; i < p->sub_deny.n; i++) {
            const perms_entry *e = &p->sub_deny.items[i];
            if (subject_filters_overlap(e->subject, e->subject_len, subj, len)) {
                pc->deny_filter = true;
                break;
            }
        }
    }
    return true;
}

bool perms_conn_delivery_ok(perms_conn *pc, const char *subj, size_t len, const char *queue,
                            size_t qlen)
{
    if (!pc->deny_filter)
        return true;
    if (!queue)
        qlen = 0;
    if (!pc->deny_cache)
        pc->deny_cache = calloc(PERMS_DENY_CACHE_SLOTS, sizeof *pc->deny_cache);
    if (!pc->deny_cache)
        return !perms_delivery_denied(pc->p, subj, len, queue, qlen);
    cache_slot *slot = &pc->deny_cache[cache_index(subj, len, queue, qlen, PERMS_DENY_CACHE_SLOTS)];
    bool denied;
    if (!cache_get(slot, subj, len, queue, qlen, &denied)) {
        denied = perms_delivery_denied(pc->p, subj, len, queue, qlen);
        cache_put(slot, subj, len, queue, qlen, denied);
    }
    return !denied;
}

/* Drops used-up and expired reply subjects (nats-server's pruneReplyPerms). */
static void replies_prune(perms_conn *pc, int64_t now_ms)
{
    const weir_perms *p = pc->p;
    for (size_t i = 0; i < pc->replies.cap; i++) {
        strmap_entry *e = &pc->replies.slots[i];
        if (!e->key)
            continue;
        reply_perm *r = e->value;
        if ((p->resp_max > 0 && r->used >= p->resp_max) ||
            (p->resp_expires_ms >= 0 && now_ms - r->since_ms > p->resp_expires_ms))
            free(strmap_remove(&pc->replies, e->key, e->klen));
    }
}

int perms_conn_track_reply(perms_conn *pc, const char *reply, size_t len, int64_t now_ms)
{
    if (!pc->p->responses || len == 0)
        return 0;
    reply_perm *r = strmap_get(&pc->replies, reply, len);
    if (!r) {
        r = malloc(sizeof *r);
        if (!r)
            return -1;
        if (strmap_put(&pc->replies, reply, len, r) < 0) {
            free(r);
            return -1;
        }
    }
    r->since_ms = now_ms;
    r->used = 0;
    if (pc->replies.count > pc->prune_at) {
        replies_prune(pc, now_ms);
        /* when little could go (no max, no expiry), wait for the map to double before the
         * next scan, so that tracking stays O(1) amortised */
        size_t twice = pc->replies.count * 2;
        pc->prune_at = twice > PERMS_REPLY_LIMIT ? twice : PERMS_REPLY_LIMIT;
    }
    return 0;
}

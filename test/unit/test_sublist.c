/*
 * test_sublist.c — unit tests of server/sublist.c: literal, `*` and `>` matching, queue groups,
 * removal and pruning, cache invalidation, has_interest, result lifetime, a randomized comparison
 * against a brute-force matcher (the oracle), and 100,000 subscriptions in and out.
 */
#include "server/sublist.h"
#include "test/testlib.h"

#include <stdint.h>
#include <time.h>

#define SUB(n) ((void *)(uintptr_t)(0x1000 + 16 * (uintptr_t)(n)))

static int ins(sublist *s, const char *f, const char *q, void *sub) {
    return sublist_insert(s, f, strlen(f), q, q ? strlen(q) : 0, sub);
}

static int rem(sublist *s, const char *f, const char *q, void *sub) {
    return sublist_remove(s, f, strlen(f), q, q ? strlen(q) : 0, sub);
}

static const sublist_result *match(sublist *s, const char *subj) {
    return sublist_match(s, subj, strlen(subj));
}

static int has_psub(const sublist_result *r, void *sub) {
    for (size_t i = 0; i < r->npsubs; i++)
        if (r->psubs[i] == sub) return 1;
    return 0;
}

static const sublist_qgroup *qgroup(const sublist_result *r, const char *q) {
    for (size_t i = 0; i < r->nqgroups; i++)
        if (r->qgroups[i].queue_len == strlen(q) && memcmp(r->qgroups[i].queue, q, strlen(q)) == 0)
            return &r->qgroups[i];
    return NULL;
}

static int has_qsub(const sublist_result *r, const char *q, void *sub) {
    const sublist_qgroup *g = qgroup(r, q);
    for (size_t i = 0; g && i < g->nsubs; i++)
        if (g->subs[i] == sub) return 1;
    return 0;
}

static uint64_t node_count(const sublist *s) {
    sublist_stats st;
    sublist_get_stats(s, &st);
    return st.nodes;
}

/* Brute-force filter matching, written independently of the trie: token by token. */
static int bf_match(const char *f, size_t flen, const char *s, size_t slen) {
    size_t fi = 0, si = 0;
    for (;;) {
        size_t fe = fi, se = si;
        while (fe < flen && f[fe] != '.') fe++;
        while (se < slen && s[se] != '.') se++;
        if (fe - fi == 1 && f[fi] == '>') return 1; /* `>` is always last, and s has a token */
        if (!(fe - fi == 1 && f[fi] == '*') &&
            (fe - fi != se - si || memcmp(f + fi, s + si, fe - fi) != 0))
            return 0;
        int fend = fe >= flen, send = se >= slen;
        if (fend || send) return fend && send;
        fi = fe + 1;
        si = se + 1;
    }
}

static void test_literal(void) {
    sublist *s = sublist_new();
    CHECK(s);
    CHECK(ins(s, "foo.bar", NULL, SUB(1)) == 0);
    CHECK(ins(s, "foo.baz", NULL, SUB(2)) == 0);
    CHECK(ins(s, "foo", NULL, SUB(3)) == 0);
    CHECK(ins(s, "foo.bar.baz", NULL, SUB(4)) == 0);
    CHECK(ins(s, "foo.bar", NULL, SUB(5)) == 0);
    const sublist_result *r = match(s, "foo.bar");
    CHECK(r->npsubs == 2 && has_psub(r, SUB(1)) && has_psub(r, SUB(5)) && r->nqgroups == 0);
    r = match(s, "foo");
    CHECK(r->npsubs == 1 && has_psub(r, SUB(3)));
    r = match(s, "foo.bar.baz");
    CHECK(r->npsubs == 1 && has_psub(r, SUB(4)));
    r = match(s, "foo.ba");
    CHECK(r->npsubs == 0 && r->nqgroups == 0);
    r = match(s, "bar");
    CHECK(r->npsubs == 0);
    /* tokens are compared as bytes: case and embedded bytes matter */
    CHECK(ins(s, "a\x01" "b.\xff", NULL, SUB(6)) == 0);
    r = match(s, "a\x01" "b.\xff");
    CHECK(r->npsubs == 1 && has_psub(r, SUB(6)));
    r = match(s, "FOO.bar");
    CHECK(r->npsubs == 0);
    sublist_free(s);
}

static void test_pwc(void) {
    sublist *s = sublist_new();
    CHECK(ins(s, "foo.*", NULL, SUB(1)) == 0);
    CHECK(ins(s, "*.bar", NULL, SUB(2)) == 0);
    CHECK(ins(s, "*", NULL, SUB(3)) == 0);
    CHECK(ins(s, "*.*.baz", NULL, SUB(4)) == 0);
    const sublist_result *r = match(s, "foo.bar");
    CHECK(r->npsubs == 2 && has_psub(r, SUB(1)) && has_psub(r, SUB(2)));
    r = match(s, "foo");
    CHECK(r->npsubs == 1 && has_psub(r, SUB(3)));
    r = match(s, "foo.bar.baz");
    CHECK(r->npsubs == 1 && has_psub(r, SUB(4)));
    r = match(s, "x.y.baz.z");
    CHECK(r->npsubs == 0);
    r = match(s, "foo.x");
    CHECK(r->npsubs == 1 && has_psub(r, SUB(1)));
    /* a token that merely contains `*` is literal */
    CHECK(ins(s, "foo.b*", NULL, SUB(5)) == 0);
    r = match(s, "foo.bx");
    CHECK(r->npsubs == 1 && has_psub(r, SUB(1)));
    r = match(s, "foo.b*");
    CHECK(r->npsubs == 2 && has_psub(r, SUB(1)) && has_psub(r, SUB(5)));
    sublist_free(s);
}

static void test_fwc(void) {
    sublist *s = sublist_new();
    CHECK(ins(s, "foo.>", NULL, SUB(1)) == 0);
    CHECK(ins(s, ">", NULL, SUB(2)) == 0);
    CHECK(ins(s, "foo.bar.>", NULL, SUB(3)) == 0);
    const sublist_result *r = match(s, "foo");
    CHECK(r->npsubs == 1 && has_psub(r, SUB(2))); /* `>` needs at least one token */
    r = match(s, "foo.bar");
    CHECK(r->npsubs == 2 && has_psub(r, SUB(1)) && has_psub(r, SUB(2)));
    r = match(s, "foo.bar.baz.qux");
    CHECK(r->npsubs == 3);
    r = match(s, "bar.foo");
    CHECK(r->npsubs == 1 && has_psub(r, SUB(2)));
    sublist_free(s);
}

static void test_mixed(void) {
    sublist *s = sublist_new();
    CHECK(ins(s, "a.*.c.>", NULL, SUB(1)) == 0);
    CHECK(ins(s, "a.b.*", NULL, SUB(2)) == 0);
    CHECK(ins(s, "*.b.>", NULL, SUB(3)) == 0);
    CHECK(ins(s, "a.b.c.d", NULL, SUB(4)) == 0);
    CHECK(ins(s, "*.*.*.*", NULL, SUB(5)) == 0);
    CHECK(ins(s, "a.>", NULL, SUB(6)) == 0);
    const sublist_result *r = match(s, "a.b.c.d");
    CHECK(r->npsubs == 5 && !has_psub(r, SUB(2)));
    r = match(s, "a.b.c");
    CHECK(r->npsubs == 3 && has_psub(r, SUB(2)) && has_psub(r, SUB(3)) && has_psub(r, SUB(6)));
    r = match(s, "a.x.c.d.e");
    CHECK(r->npsubs == 2 && has_psub(r, SUB(1)) && has_psub(r, SUB(6)));
    r = match(s, "z.b");
    CHECK(r->npsubs == 0);
    r = match(s, "z.b.q");
    CHECK(r->npsubs == 1 && has_psub(r, SUB(3)));
    sublist_free(s);
}

static void test_queue_groups(void) {
    sublist *s = sublist_new();
    CHECK(ins(s, "foo.bar", "workers", SUB(1)) == 0);
    CHECK(ins(s, "foo.bar", "workers", SUB(2)) == 0);
    CHECK(ins(s, "foo.*", "workers", SUB(3)) == 0);
    CHECK(ins(s, "foo.>", "others", SUB(4)) == 0);
    CHECK(ins(s, "foo.bar", NULL, SUB(5)) == 0);
    CHECK(ins(s, "foo.bar", "", SUB(6)) == 0); /* empty queue name = plain */
    const sublist_result *r = match(s, "foo.bar");
    CHECK(r->npsubs == 2 && has_psub(r, SUB(5)) && has_psub(r, SUB(6)));
    CHECK(r->nqgroups == 2);
    const sublist_qgroup *w = qgroup(r, "workers"), *o = qgroup(r, "others");
    CHECK(w && o);
    CHECK(w->nsubs == 3 && has_qsub(r, "workers", SUB(1)) && has_qsub(r, "workers", SUB(2)) &&
          has_qsub(r, "workers", SUB(3)));
    CHECK(o->nsubs == 1 && o->subs[0] == SUB(4));
    CHECK(w->queue[w->queue_len] == 0);
    /* the same sub in two groups, and many groups on one node (hash-indexed) */
    CHECK(ins(s, "foo.bar", "others", SUB(1)) == 0);
    char q[32];
    for (int i = 0; i < 100; i++) {
        snprintf(q, sizeof q, "g%d", i);
        CHECK(ins(s, "foo.bar", q, SUB(100 + i)) == 0);
    }
    r = match(s, "foo.bar");
    CHECK(r->nqgroups == 102);
    CHECK(qgroup(r, "others")->nsubs == 2 && has_qsub(r, "others", SUB(1)));
    for (int i = 0; i < 100; i++) {
        snprintf(q, sizeof q, "g%d", i);
        CHECKF(has_qsub(r, q, SUB(100 + i)) && qgroup(r, q)->nsubs == 1, "group %s", q);
    }
    for (int i = 0; i < 100; i += 2) {
        snprintf(q, sizeof q, "g%d", i);
        CHECK(rem(s, "foo.bar", q, SUB(100 + i)) == 0);
        CHECK(rem(s, "foo.bar", q, SUB(100 + i)) == -1);
    }
    r = match(s, "foo.bar");
    CHECK(r->nqgroups == 52 && !qgroup(r, "g0") && qgroup(r, "g1"));
    CHECK(rem(s, "foo.bar", "workers", SUB(3)) == -1); /* it is under foo.* */
    CHECK(rem(s, "foo.*", "workers", SUB(3)) == 0);
    r = match(s, "foo.bar");
    CHECK(qgroup(r, "workers")->nsubs == 2);
    r = match(s, "foo.x");
    CHECK(r->nqgroups == 1 && qgroup(r, "others"));
    sublist_free(s);
}

static void test_removal(void) {
    sublist *s = sublist_new();
    CHECK(node_count(s) == 0);
    CHECK(ins(s, "a.b.c", NULL, SUB(1)) == 0);
    CHECK(ins(s, "a.b.c", "q", SUB(2)) == 0);
    CHECK(ins(s, "a.*.c", NULL, SUB(3)) == 0);
    CHECK(ins(s, "a.>", NULL, SUB(4)) == 0);
    CHECK(node_count(s) == 6);
    CHECK(rem(s, "a.b.c", NULL, SUB(2)) == -1); /* it is a queue sub */
    CHECK(rem(s, "a.b.c", "r", SUB(2)) == -1);
    CHECK(rem(s, "a.b.d", NULL, SUB(1)) == -1);
    CHECK(rem(s, "a.b", NULL, SUB(1)) == -1);
    CHECK(rem(s, "a.b.c.d", NULL, SUB(1)) == -1);
    CHECK(rem(s, "a.b.c", NULL, SUB(9)) == -1);
    CHECK(rem(s, "a..c", NULL, SUB(1)) == -1);
    CHECK(rem(s, "a.b.c", NULL, SUB(1)) == 0);
    CHECK(rem(s, "a.b.c", NULL, SUB(1)) == -1);
    const sublist_result *r = match(s, "a.b.c");
    CHECK(r->npsubs == 2 && has_psub(r, SUB(3)) && has_psub(r, SUB(4)) && r->nqgroups == 1);
    CHECK(rem(s, "a.b.c", "q", SUB(2)) == 0);
    CHECK(node_count(s) == 4); /* b and c pruned */
    CHECK(rem(s, "a.*.c", NULL, SUB(3)) == 0);
    CHECK(node_count(s) == 2);
    CHECK(rem(s, "a.>", NULL, SUB(4)) == 0);
    CHECK(node_count(s) == 0);
    r = match(s, "a.b.c");
    CHECK(r->npsubs == 0 && r->nqgroups == 0);
    sublist_stats st;
    sublist_get_stats(s, &st);
    CHECK(st.subscriptions == 0);
    /* many plain subs on one node: indexed removal, in and out of order */
    for (int i = 0; i < 1000; i++) CHECK(ins(s, "x.y", NULL, SUB(i)) == 0);
    for (int i = 0; i < 1000; i += 3) CHECK(rem(s, "x.y", NULL, SUB(i)) == 0);
    r = match(s, "x.y");
    CHECK(r->npsubs == 1000 - 334);
    for (int i = 0; i < 1000; i++) CHECK(rem(s, "x.y", NULL, SUB(i)) == (i % 3 ? 0 : -1));
    CHECK(node_count(s) == 0);
    sublist_free(s);
}

static void test_cache_invalidation(void) {
    sublist *s = sublist_new();
    sublist_stats st;
    CHECK(ins(s, "foo.bar", NULL, SUB(1)) == 0);
    const sublist_result *r = match(s, "foo.bar");
    CHECK(r->npsubs == 1);
    r = match(s, "foo.bar");
    sublist_get_stats(s, &st);
    CHECK(st.cache_hits == 1 && st.matches == 2 && st.cache_entries == 1);
    r = match(s, "foo.baz");
    CHECK(r->npsubs == 0);
    r = match(s, "other.sub.ject");
    CHECK(r->npsubs == 0);
    /* a matching wildcard insert must be visible */
    CHECK(ins(s, "foo.*", NULL, SUB(2)) == 0);
    sublist_get_stats(s, &st);
    CHECK(st.cache_entries == 1); /* only other.sub.ject stays */
    r = match(s, "foo.bar");
    CHECK(r->npsubs == 2 && has_psub(r, SUB(2)));
    r = match(s, "foo.baz");
    CHECK(r->npsubs == 1 && has_psub(r, SUB(2)));
    CHECK(ins(s, ">", "q", SUB(3)) == 0);
    r = match(s, "foo.bar");
    CHECK(r->npsubs == 2 && r->nqgroups == 1 && has_qsub(r, "q", SUB(3)));
    r = match(s, "other.sub.ject");
    CHECK(r->nqgroups == 1);
    CHECK(ins(s, "*.sub.>", NULL, SUB(4)) == 0);
    r = match(s, "other.sub.ject");
    CHECK(r->npsubs == 1 && has_psub(r, SUB(4)));
    CHECK(ins(s, "foo.bar", NULL, SUB(5)) == 0); /* literal insert */
    r = match(s, "foo.bar");
    CHECK(r->npsubs == 3 && has_psub(r, SUB(5)));
    /* removals must be excluded */
    CHECK(rem(s, "foo.*", NULL, SUB(2)) == 0);
    r = match(s, "foo.bar");
    CHECK(r->npsubs == 2 && !has_psub(r, SUB(2)));
    r = match(s, "foo.baz");
    CHECK(r->npsubs == 0 && r->nqgroups == 1);
    CHECK(rem(s, ">", "q", SUB(3)) == 0);
    r = match(s, "foo.baz");
    CHECK(r->npsubs == 0 && r->nqgroups == 0);
    r = match(s, "other.sub.ject");
    CHECK(r->npsubs == 1 && r->nqgroups == 0);
    CHECK(rem(s, "foo.bar", NULL, SUB(1)) == 0);
    r = match(s, "foo.bar");
    CHECK(r->npsubs == 1 && has_psub(r, SUB(5)));
    /* a `>` filter with a literal first token reaches cached subjects of every length */
    for (int n = 1; n <= 12; n++) {
        char subj[64] = "deep";
        for (int k = 1; k < n; k++) strcat(subj, ".t");
        r = match(s, subj);
        CHECK(r->npsubs == 0);
    }
    CHECK(ins(s, "deep.>", NULL, SUB(6)) == 0);
    for (int n = 1; n <= 12; n++) {
        char subj[64] = "deep";
        for (int k = 1; k < n; k++) strcat(subj, ".t");
        r = match(s, subj);
        CHECKF((int)r->npsubs == (n > 1), "%s: %zu", subj, r->npsubs);
    }
    sublist_free(s);
}

static void test_has_interest(void) {
    sublist *s = sublist_new();
    CHECK(!sublist_has_interest(s, "foo", 3));
    CHECK(ins(s, "foo.*.baz", NULL, SUB(1)) == 0);
    CHECK(ins(s, "bar.>", "q", SUB(2)) == 0);
    CHECK(ins(s, "lit.x", NULL, SUB(3)) == 0);
    CHECK(sublist_has_interest(s, "foo.x.baz", 9));
    CHECK(!sublist_has_interest(s, "foo.x", 5));
    CHECK(!sublist_has_interest(s, "foo.x.baz.q", 11));
    CHECK(sublist_has_interest(s, "bar.x.y", 7));
    CHECK(!sublist_has_interest(s, "bar", 3));
    CHECK(sublist_has_interest(s, "lit.x", 5));
    CHECK(!sublist_has_interest(s, "lit", 3));
    CHECK(!sublist_has_interest(s, "", 0));
    CHECK(!sublist_has_interest(s, "lit..x", 6));
    /* through the cache as well */
    CHECK(match(s, "lit.x")->npsubs == 1);
    CHECK(match(s, "lit.y")->npsubs == 0);
    CHECK(sublist_has_interest(s, "lit.x", 5));
    CHECK(!sublist_has_interest(s, "lit.y", 5));
    CHECK(rem(s, "lit.x", NULL, SUB(3)) == 0);
    CHECK(!sublist_has_interest(s, "lit.x", 5));
    sublist_free(s);
}

static void test_invalid_and_duplicates(void) {
    sublist *s = sublist_new();
    const char *bad[] = {"", ".", "a.", ".a", "a..b", "a.>.b", ">.a", "a.>.>"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECKF(ins(s, bad[i], NULL, SUB(1)) == SUBLIST_ERR_INVALID, "filter '%s'", bad[i]);
    CHECK(node_count(s) == 0);
    CHECK(ins(s, "a.b", NULL, SUB(1)) == 0);
    CHECK(ins(s, "a.b", NULL, SUB(1)) == SUBLIST_ERR_EXISTS);
    CHECK(ins(s, "a.b", "q", SUB(1)) == 0);
    CHECK(ins(s, "a.b", "q", SUB(1)) == SUBLIST_ERR_EXISTS);
    CHECK(ins(s, "a.*", NULL, SUB(1)) == 0); /* same sub, other filter: separate entry */
    const sublist_result *r = match(s, "a.b");
    CHECK(r->npsubs == 2 && r->psubs[0] == SUB(1) && r->psubs[1] == SUB(1));
    /* published subjects with empty tokens match nothing and do not crash */
    const char *badsubj[] = {"", ".", "a.", ".a", "a..b", "...", "a.b.", ".>"};
    CHECK(ins(s, ">", NULL, SUB(2)) == 0);
    CHECK(ins(s, "*", NULL, SUB(3)) == 0);
    for (size_t i = 0; i < sizeof badsubj / sizeof *badsubj; i++) {
        r = match(s, badsubj[i]);
        CHECKF(r->npsubs == 0 && r->nqgroups == 0, "subject '%s'", badsubj[i]);
        CHECKF(!sublist_has_interest(s, badsubj[i], strlen(badsubj[i])), "subject '%s'",
               badsubj[i]);
    }
    r = sublist_match(s, NULL, 0);
    CHECK(r && r->npsubs == 0);
    /* wildcard tokens in a published subject: only wildcard filters match them (sublist.go) */
    r = match(s, "a.*");
    CHECK(r->npsubs == 2 && has_psub(r, SUB(1)) && has_psub(r, SUB(2))); /* a.* and > */
    r = match(s, ">");
    CHECK(r->npsubs == 2 && has_psub(r, SUB(2)) && has_psub(r, SUB(3))); /* > and * */
    CHECK(sublist_has_interest(s, "a.>", 3));
    CHECK(ins(s, "x.y", NULL, SUB(4)) == 0);
    r = match(s, "x.*");
    CHECK(r->npsubs == 1 && has_psub(r, SUB(2))); /* `>` only: x.y is literal */
    CHECK(rem(s, ">", NULL, SUB(2)) == 0);
    CHECK(!sublist_has_interest(s, "x.*", 3));
    CHECK(match(s, "x.*")->npsubs == 0);
    /* length is honoured: bytes after len are not read as part of the subject */
    r = sublist_match(s, "a.bXYZ", 3);
    CHECK(r->npsubs == 2 && r->nqgroups == 1);
    sublist_stats st;
    sublist_get_stats(s, &st);
    CHECK(st.subscriptions == 5);
    sublist_free(s);
}

/* Results survive SUBLIST_RESULT_KEEP further matches even when the cache evicts them. */
static void test_result_lifetime(void) {
    sublist *s = sublist_new();
    char subj[64];
    CHECK(ins(s, "t.>", NULL, SUB(1)) == 0);
    CHECK(ins(s, "t.*", "q", SUB(2)) == 0);
    for (int i = 0; i < 5000; i++) { /* fill the cache past its bound */
        snprintf(subj, sizeof subj, "t.%d", i);
        CHECK(match(s, subj)->npsubs == 1);
    }
    sublist_stats st;
    sublist_get_stats(s, &st);
    CHECKF(st.cache_entries > 0 && st.cache_entries <= 4096, "%llu entries",
           (unsigned long long)st.cache_entries);
    const sublist_result *outer = match(s, "t.outer");
    for (int i = 0; i < SUBLIST_RESULT_KEEP; i++) {
        snprintf(subj, sizeof subj, "t.nested.%d", i);
        CHECK(match(s, subj)->npsubs == 1);
    }
    /* under ASan a freed result would be reported here */
    CHECK(outer->npsubs == 1 && outer->psubs[0] == SUB(1) && outer->nqgroups == 1 &&
          outer->qgroups[0].nsubs == 1 && outer->qgroups[0].subs[0] == SUB(2) &&
          memcmp(outer->qgroups[0].queue, "q", 1) == 0);
    sublist_free(s);
}

/* ---------------------------------------------------------------------------------------- */
/* Oracle: random operations against a brute-force list of live entries.                   */

typedef struct oentry {
    char filter[64];
    char queue[8]; /* "" for none */
    void *sub;
} oentry;

static uint64_t rng_state;

static uint32_t rnd(uint32_t n) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % n);
}

/* Mostly valid publish subjects; now and then a `*` or `>` token, which the router passes
 * through when not pedantic (sublist.go then matches it against wildcard filters only). */
static void rnd_subject(char *out, const char *const *alpha, int nalpha, int maxtok) {
    int nt = 1 + (int)rnd((uint32_t)maxtok);
    out[0] = 0;
    for (int i = 0; i < nt; i++) {
        if (i) strcat(out, ".");
        uint32_t x = rnd(100);
        strcat(out, x == 0 ? "*" : x == 1 ? ">" : alpha[rnd((uint32_t)nalpha)]);
    }
}

static void rnd_filter(char *out, const char *const *alpha, int nalpha, int maxtok) {
    int nt = 1 + (int)rnd((uint32_t)maxtok);
    out[0] = 0;
    for (int i = 0; i < nt; i++) {
        if (i) strcat(out, ".");
        uint32_t x = rnd(100);
        if (i == nt - 1 && x < 12)
            strcat(out, ">");
        else if (x < 30)
            strcat(out, "*");
        else
            strcat(out, alpha[rnd((uint32_t)nalpha)]);
    }
}

static int cmp_ptr(const void *a, const void *b) {
    uintptr_t x = (uintptr_t) * (void *const *)a, y = (uintptr_t) * (void *const *)b;
    return x < y ? -1 : x > y;
}

/* Compares the result with the brute-force answer; returns NULL or a description. */
static const char *oracle_check(const sublist_result *r, const oentry *live, size_t nlive,
                                const char *subj, void **tmp, void **tmp2) {
    static char why[256];
    size_t n = 0;
    for (size_t i = 0; i < nlive; i++)
        if (!live[i].queue[0] && bf_match(live[i].filter, strlen(live[i].filter), subj,
                                          strlen(subj)))
            tmp[n++] = live[i].sub;
    if (n != r->npsubs) {
        snprintf(why, sizeof why, "%s: %zu plain subs, want %zu", subj, r->npsubs, n);
        return why;
    }
    if (n) memcpy(tmp2, r->psubs, n * sizeof *tmp2);
    qsort(tmp, n, sizeof *tmp, cmp_ptr);
    qsort(tmp2, n, sizeof *tmp2, cmp_ptr);
    if (n && memcmp(tmp, tmp2, n * sizeof *tmp) != 0) {
        snprintf(why, sizeof why, "%s: plain subs differ", subj);
        return why;
    }
    /* every group in the result is non-empty, distinct, and equals the brute-force group */
    size_t groups_seen = 0;
    for (size_t gi = 0; gi < r->nqgroups; gi++) {
        const sublist_qgroup *g = &r->qgroups[gi];
        if (g->nsubs == 0) return "empty queue group in result";
        for (size_t gj = 0; gj < gi; gj++)
            if (r->qgroups[gj].queue_len == g->queue_len &&
                memcmp(r->qgroups[gj].queue, g->queue, g->queue_len) == 0)
                return "duplicate queue group in result";
        n = 0;
        for (size_t i = 0; i < nlive; i++)
            if (strlen(live[i].queue) == g->queue_len &&
                memcmp(live[i].queue, g->queue, g->queue_len) == 0 && g->queue_len &&
                bf_match(live[i].filter, strlen(live[i].filter), subj, strlen(subj)))
                tmp[n++] = live[i].sub;
        if (n != g->nsubs) {
            snprintf(why, sizeof why, "%s: group %.*s has %zu, want %zu", subj,
                     (int)g->queue_len, g->queue, g->nsubs, n);
            return why;
        }
        memcpy(tmp2, g->subs, n * sizeof *tmp2);
        qsort(tmp, n, sizeof *tmp, cmp_ptr);
        qsort(tmp2, n, sizeof *tmp2, cmp_ptr);
        if (memcmp(tmp, tmp2, n * sizeof *tmp) != 0) {
            snprintf(why, sizeof why, "%s: group %.*s members differ", subj, (int)g->queue_len,
                     g->queue);
            return why;
        }
        groups_seen += n;
    }
    /* and no queue entry that matches is missing from the groups */
    n = 0;
    for (size_t i = 0; i < nlive; i++)
        if (live[i].queue[0] &&
            bf_match(live[i].filter, strlen(live[i].filter), subj, strlen(subj)))
            n++;
    if (n != groups_seen) {
        snprintf(why, sizeof why, "%s: %zu queue members, want %zu", subj, groups_seen, n);
        return why;
    }
    return NULL;
}

static void run_oracle(uint64_t seed, const char *const *alpha, int nalpha, int maxtok,
                       size_t maxlive, int ops, int subject_tries) {
    static const char *const queues[] = {"", "", "", "q1", "q2", "q3"};
    sublist *s = sublist_new();
    oentry *live = calloc(maxlive, sizeof *live);
    void **tmp = calloc(maxlive, sizeof *tmp), **tmp2 = calloc(maxlive, sizeof *tmp2);
    CHECK(s && live && tmp && tmp2);
    size_t nlive = 0;
    uint32_t nextsub = 1;
    rng_state = seed;
    int nmatch = 0, nnonempty = 0;
    for (int op = 0; op < ops; op++) {
        uint32_t x = rnd(100);
        if (x < 30 && nlive < maxlive) { /* insert */
            oentry *e = &live[nlive];
            rnd_filter(e->filter, alpha, nalpha, maxtok);
            strcpy(e->queue, queues[rnd(6)]);
            /* sometimes reuse a sub pointer under another filter */
            e->sub = (nlive && rnd(8) == 0) ? live[rnd((uint32_t)nlive)].sub : SUB(nextsub++);
            int dup = 0;
            for (size_t i = 0; i < nlive; i++)
                if (live[i].sub == e->sub && !strcmp(live[i].filter, e->filter) &&
                    !strcmp(live[i].queue, e->queue))
                    dup = 1;
            int rc = ins(s, e->filter, e->queue[0] ? e->queue : NULL, e->sub);
            CHECKF(rc == (dup ? SUBLIST_ERR_EXISTS : 0), "op %d insert %s rc %d", op, e->filter,
                   rc);
            if (!dup) nlive++;
        } else if (x < 55 && nlive) { /* remove */
            size_t i = rnd((uint32_t)nlive);
            oentry e = live[i];
            CHECKF(rem(s, e.filter, e.queue[0] ? e.queue : NULL, e.sub) == 0, "op %d remove %s",
                   op, e.filter);
            live[i] = live[--nlive];
            CHECKF(rem(s, e.filter, e.queue[0] ? e.queue : NULL, e.sub) == -1,
                   "op %d second remove %s", op, e.filter);
        } else if (x < 58 && nlive) { /* duplicate insert of a live entry */
            oentry *e = &live[rnd((uint32_t)nlive)];
            CHECK(ins(s, e->filter, e->queue[0] ? e->queue : NULL, e->sub) ==
                  SUBLIST_ERR_EXISTS);
        } else { /* match a few subjects, some twice (cache hits) */
            for (int t = 0; t < subject_tries; t++) {
                char subj[128];
                rnd_subject(subj, alpha, nalpha, maxtok + 1);
                for (int rep = 0; rep < 2; rep++) {
                    const sublist_result *r = match(s, subj);
                    const char *why = oracle_check(r, live, nlive, subj, tmp, tmp2);
                    CHECKF(!why, "op %d: %s", op, why);
                    nmatch++;
                    if (r->npsubs || r->nqgroups) nnonempty++;
                    int want = 0;
                    for (size_t i = 0; i < nlive && !want; i++)
                        want = bf_match(live[i].filter, strlen(live[i].filter), subj,
                                        strlen(subj));
                    CHECKF(sublist_has_interest(s, subj, strlen(subj)) == want,
                           "op %d: has_interest %s", op, subj);
                    if (rnd(2)) break;
                }
            }
        }
        sublist_stats st;
        sublist_get_stats(s, &st);
        CHECKF(st.subscriptions == nlive, "op %d: %llu subscriptions, want %zu", op,
               (unsigned long long)st.subscriptions, nlive);
    }
    CHECKF(nnonempty > nmatch / 10, "too few non-empty matches: %d of %d", nnonempty, nmatch);
    while (nlive) {
        oentry e = live[--nlive];
        CHECK(rem(s, e.filter, e.queue[0] ? e.queue : NULL, e.sub) == 0);
    }
    CHECK(node_count(s) == 0);
    sublist_free(s);
    free(live);
    free(tmp);
    free(tmp2);
}

static void test_oracle_small_alphabet(void) {
    static const char *const alpha[] = {"a", "b", "cc", "a*"};
    run_oracle(0x5eed1234abcdULL, alpha, 4, 4, 400, 40000, 3);
}

static void test_oracle_cache_eviction(void) {
    /* enough distinct subjects (16^1 + ... + 16^5) to overflow the 4096-entry cache */
    static const char *const alpha[] = {"a", "b", "c", "d", "e", "f", "g", "h",
                                        "i", "j", "k", "l", "m", "n", "o", "p"};
    run_oracle(0xfeedface42ULL, alpha, 16, 4, 600, 30000, 8);
}

/* ---------------------------------------------------------------------------------------- */
/* 100,000 subscriptions.                                                                    */

static double now_sec(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

enum { BIG = 100000 };

static void big_filter(int i, char *f, size_t fsz, const char **q) {
    int a = i % 1000, b = i / 1000, kind = (int)(((uint32_t)i * 2654435761u) >> 16) % 10;
    *q = NULL;
    if (kind <= 5) {
        snprintf(f, fsz, "svc.%d.%d.x", a, b);
    } else if (kind == 6) {
        snprintf(f, fsz, "svc.%d.*.x", a);
    } else if (kind == 7) {
        snprintf(f, fsz, "svc.%d.>", a);
    } else if (kind == 8) {
        snprintf(f, fsz, "*.%d.%d.x", a, b);
    } else {
        snprintf(f, fsz, "svc.%d.%d.x", a, b);
        *q = (i & 1) ? "qa" : "qb";
    }
}

static void test_100k_subscriptions(void) {
    sublist *s = sublist_new();
    char (*filters)[32] = malloc(BIG * sizeof *filters);
    const char **queues = malloc(BIG * sizeof *queues);
    int *order = malloc(BIG * sizeof *order);
    CHECK(s && filters && queues && order);
    for (int i = 0; i < BIG; i++) big_filter(i, filters[i], sizeof filters[i], &queues[i]);

    double t0 = now_sec();
    for (int i = 0; i < BIG; i++) CHECKF(ins(s, filters[i], queues[i], SUB(i)) == 0, "%d", i);
    double t_ins = now_sec() - t0;
    sublist_stats st;
    sublist_get_stats(s, &st);
    CHECK(st.subscriptions == BIG);

    /* correctness on a sample, against brute force over all 100k entries */
    char subj[64];
    for (int k = 0; k < 60; k++) {
        int a = (k * 379) % 1000, b = (k * 37) % 100;
        snprintf(subj, sizeof subj, "svc.%d.%d.x", a, b);
        const sublist_result *r = match(s, subj);
        size_t np = 0, nq = 0, got_q = 0;
        for (int i = 0; i < BIG; i++) {
            if (!bf_match(filters[i], strlen(filters[i]), subj, strlen(subj))) continue;
            if (queues[i]) {
                nq++;
                CHECKF(has_qsub(r, queues[i], SUB(i)), "%s missing %s", subj, filters[i]);
            } else {
                np++;
                CHECKF(has_psub(r, SUB(i)), "%s missing %s", subj, filters[i]);
            }
        }
        for (size_t g = 0; g < r->nqgroups; g++) got_q += r->qgroups[g].nsubs;
        CHECKF(r->npsubs == np && got_q == nq, "%s: %zu/%zu want %zu/%zu", subj, r->npsubs,
               got_q, np, nq);
    }

    /* 100k distinct subjects: mostly cache misses (the cache holds 4096) */
    size_t total = 0;
    t0 = now_sec();
    for (int i = 0; i < BIG; i++) {
        int n = snprintf(subj, sizeof subj, "svc.%d.%d.x", i % 1000, i / 1000);
        total += sublist_match(s, subj, (size_t)n)->npsubs;
    }
    double t_miss = now_sec() - t0;
    CHECK(total > 0);
    /* 1000 hot subjects matched 100 times each: cache hits */
    t0 = now_sec();
    for (int i = 0; i < BIG; i++) {
        int j = i % 1000;
        int n = snprintf(subj, sizeof subj, "svc.%d.%d.x", j, j % 100);
        total += sublist_match(s, subj, (size_t)n)->npsubs;
    }
    double t_hit = now_sec() - t0;
    sublist_get_stats(s, &st);
    CHECKF(st.cache_hits >= 99000, "%llu hits", (unsigned long long)st.cache_hits);

    /* remove everything in a shuffled order, with the cache full */
    for (int i = 0; i < BIG; i++) order[i] = i;
    rng_state = 77;
    for (int i = BIG - 1; i > 0; i--) {
        int j = (int)rnd((uint32_t)i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    t0 = now_sec();
    for (int k = 0; k < BIG; k++) {
        int i = order[k];
        CHECKF(rem(s, filters[i], queues[i], SUB(i)) == 0, "remove %s", filters[i]);
        if (k % 10000 == 0) { /* keep subjects cached while removing */
            for (int j = 0; j < 4096; j++) {
                int n = snprintf(subj, sizeof subj, "svc.%d.%d.x", j % 1000, j % 100);
                sublist_match(s, subj, (size_t)n);
            }
        }
    }
    double t_rem = now_sec() - t0;
    sublist_get_stats(s, &st);
    CHECK(st.subscriptions == 0 && st.nodes == 0);
    CHECK(match(s, "svc.1.1.x")->npsubs == 0);
    printf("info: 100k subscriptions: insert %.1f ms, match 100k distinct subjects %.1f ms, "
           "match 100k cached %.1f ms, remove %.1f ms\n",
           t_ins * 1e3, t_miss * 1e3, t_hit * 1e3, t_rem * 1e3);
    sublist_free(s);
    free(filters);
    free(queues);
    free(order);
}

int main(void) {
    RUN(test_literal);
    RUN(test_pwc);
    RUN(test_fwc);
    RUN(test_mixed);
    RUN(test_queue_groups);
    RUN(test_removal);
    RUN(test_cache_invalidation);
    RUN(test_has_interest);
    RUN(test_invalid_and_duplicates);
    RUN(test_result_lifetime);
    RUN(test_oracle_small_alphabet);
    RUN(test_oracle_cache_eviction);
    RUN(test_100k_subscriptions);
    TESTLIB_EXIT();
}

/*
 * sublist.c — the subscription index behind sublist.h: which subscriptions does a published
 * subject reach. Behaviour follows nats-server's server/sublist.go; the code is our own.
 *
 * Trie. Every node is one token of a filter and at the same time the level below it: a hash table
 * of literal child tokens (open addressing, linear probing, backward-shift deletion; each slot
 * holds the child and the 64-bit XXH3 of its token, so a probe that misses does not touch the
 * child), plus one child for `*` and one for `>`. The node holds the plain subscriptions and the
 * queue groups of the filter that ends there. Removing the last entry of a node prunes it and
 * every ancestor that became empty, so an empty sublist is a bare root.
 *
 * Subscription sets. Plain subscriptions of a node are a pointer array (copied into results as
 * is); above SL_IDX_MIN members a side index (pointer hash -> position) makes find/remove O(1),
 * removal swaps the last member into the hole. Queue groups of a node are an array of groups with
 * the same kind of index on the group name once there are many.
 *
 * Match cache. A published subject's result is built once into a single allocation (entry header,
 * plain subs, queue-group members, group structs, names, subject) and kept in a table of at most
 * SL_CACHE_MAX entries keyed by the subject; a hit returns it without tokenizing. A miss with a
 * full cache evicts one entry (CLOCK: entries hit since the hand last passed get a second chance).
 * Evicted entries are not freed at once but parked in a ring of SUBLIST_RESULT_KEEP, so results
 * handed out survive that many further matches; the ring is emptied at every insert/remove.
 * Insert and remove drop exactly the cached subjects the changed filter matches. A literal filter
 * is one table lookup. Otherwise every cached subject is also linked into invalidation buckets
 * keyed by (position, token, token count) for its first SL_BPOS tokens; a filter with a literal
 * token among its first SL_BPOS picks the position whose buckets (over the token counts it can
 * match) are shortest and checks only those subjects. A filter without one walks the cache.
 */
#include "sublist.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

enum {
    SL_IDX_MIN = 16,                   /* sets larger than this get a hash index */
    SL_CACHE_MAX = 4096,               /* cached subjects */
    SL_CACHE_TAB = 2 * SL_CACHE_MAX,   /* slots of the cache's hash table (power of two) */
    SL_BUCKETS = 4096,                 /* invalidation buckets (power of two) */
    SL_BPOS = 3,                       /* token positions a cached subject is bucketed by */
    SL_KEEP = SUBLIST_RESULT_KEEP,     /* evicted results kept alive */
};

/* ------------------------------------------------------------------------------------------ */
/* Position index: open-addressing table from a 32-bit hash to a position in some array.       */
/* A slot holds (hash << 32) | (position + 1); 0 is empty.                                     */

typedef struct sl_idx {
    uint64_t *slot; /* NULL when there is no index */
    uint32_t mask;  /* capacity - 1 */
} sl_idx;

typedef uint32_t (*sl_hash_at_fn)(const void *arr, uint32_t pos);

static inline uint64_t idx_val(uint32_t h, uint32_t pos) {
    return ((uint64_t)h << 32) | ((uint64_t)pos + 1);
}

static void idx_put(sl_idx *x, uint32_t h, uint32_t pos) {
    uint32_t i = h & x->mask;
    while (x->slot[i]) i = (i + 1) & x->mask;
    x->slot[i] = idx_val(h, pos);
}

/* Slot number of a value known to be present. */
static uint32_t idx_locate(const sl_idx *x, uint64_t v) {
    uint32_t i = (uint32_t)(v >> 32) & x->mask;
    while (x->slot[i] != v) i = (i + 1) & x->mask;
    return i;
}

/* Empties slot i and shifts later members of its probe run back so lookups stay correct. */
static void idx_erase(sl_idx *x, uint32_t i) {
    uint32_t mask = x->mask, j = i;
    x->slot[i] = 0;
    for (;;) {
        j = (j + 1) & mask;
        uint64_t v = x->slot[j];
        if (!v) return;
        uint32_t home = (uint32_t)(v >> 32) & mask;
        if (((j - home) & mask) >= ((j - i) & mask)) { /* home is not inside (i, j] */
            x->slot[i] = v;
            x->slot[j] = 0;
            i = j;
        }
    }
}

static void idx_drop(sl_idx *x) {
    free(x->slot);
    x->slot = NULL;
    x->mask = 0;
}

/* Rebuilds (or drops) the index of an array of n members to suit n. Out of memory leaves no
 * index: finds then fall back to a linear scan, which is slower but still correct. */
static void idx_fit(sl_idx *x, const void *arr, uint32_t n, sl_hash_at_fn hf) {
    idx_drop(x);
    if (n <= SL_IDX_MIN) return;
    uint32_t cap = 64;
    while (cap < 4 * (uint64_t)n) cap <<= 1;
    x->slot = calloc(cap, sizeof *x->slot);
    if (!x->slot) return;
    x->mask = cap - 1;
    for (uint32_t i = 0; i < n; i++) idx_put(x, hf(arr, i), i);
}

/* The array just grew to n members (the new one at n - 1). */
static void idx_added(sl_idx *x, const void *arr, uint32_t n, sl_hash_at_fn hf) {
    if (!x->slot) {
        if (n > SL_IDX_MIN) idx_fit(x, arr, n, hf);
    } else if ((uint64_t)n * 2 > (uint64_t)x->mask + 1) {
        idx_fit(x, arr, n, hf);
    } else {
        idx_put(x, hf(arr, n - 1), n - 1);
    }
}

/* Member pos of an array of n is about to be removed by moving member n - 1 into its place. */
static void idx_removing(sl_idx *x, const void *arr, uint32_t n, uint32_t pos, sl_hash_at_fn hf) {
    if (!x->slot) return;
    idx_erase(x, idx_locate(x, idx_val(hf(arr, pos), pos)));
    if (pos != n - 1) {
        uint32_t h = hf(arr, n - 1);
        x->slot[idx_locate(x, idx_val(h, n - 1))] = idx_val(h, pos);
    }
}

/* The array shrank to n members. */
static void idx_removed(sl_idx *x, const void *arr, uint32_t n, sl_hash_at_fn hf) {
    if (!x->slot) return;
    uint64_t cap = (uint64_t)x->mask + 1;
    if (n < SL_IDX_MIN / 2 || (cap > 64 && (uint64_t)n * 8 < cap)) idx_fit(x, arr, n, hf);
}

/* ------------------------------------------------------------------------------------------ */
/* Subscription set: pointer array plus optional index.                                        */

typedef struct sl_vec {
    void **v;
    uint32_t n, cap;
    sl_idx idx;
} sl_vec;

static inline uint32_t ptr_hash(const void *p) {
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (uint32_t)x;
}

static uint32_t vec_hash_at(const void *arr, uint32_t pos) {
    return ptr_hash(((void *const *)arr)[pos]);
}

static int64_t vec_find(const sl_vec *v, const void *p) {
    if (v->idx.slot) {
        uint32_t h = ptr_hash(p), mask = v->idx.mask;
        for (uint32_t i = h & mask;; i = (i + 1) & mask) {
            uint64_t e = v->idx.slot[i];
            if (!e) return -1;
            uint32_t pos = (uint32_t)e - 1;
            if ((uint32_t)(e >> 32) == h && v->v[pos] == p) return pos;
        }
    }
    for (uint32_t i = 0; i < v->n; i++)
        if (v->v[i] == p) return i;
    return -1;
}

static int vec_add(sl_vec *v, void *p) {
    if (v->n == v->cap) {
        uint32_t ncap = v->cap ? v->cap * 2 : 2;
        void **nv = realloc(v->v, ncap * sizeof *nv);
        if (!nv) return -1;
        v->v = nv;
        v->cap = ncap;
    }
    v->v[v->n++] = p;
    idx_added(&v->idx, v->v, v->n, vec_hash_at);
    return 0;
}

static void vec_free(sl_vec *v) {
    free(v->v);
    idx_drop(&v->idx);
    memset(v, 0, sizeof *v);
}

static void vec_del(sl_vec *v, uint32_t pos) {
    idx_removing(&v->idx, v->v, v->n, pos, vec_hash_at);
    v->v[pos] = v->v[v->n - 1];
    v->n--;
    if (v->n == 0) {
        vec_free(v);
        return;
    }
    idx_removed(&v->idx, v->v, v->n, vec_hash_at);
    if (v->cap > 8 && v->n * 4 <= v->cap) {
        void **nv = realloc(v->v, (v->cap / 2) * sizeof *nv);
        if (nv) {
            v->v = nv;
            v->cap /= 2;
        }
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Queue groups of one node.                                                                   */

typedef struct sl_qg {
    char *name; /* own copy, NUL-terminated */
    uint32_t len;
    uint32_t h; /* low 32 bits of XXH3 of the name */
    sl_vec subs;
} sl_qg;

typedef struct sl_qset {
    sl_qg *g;
    uint32_t n, cap;
    sl_idx idx;
} sl_qset;

static uint32_t qg_hash_at(const void *arr, uint32_t pos) {
    return ((const sl_qg *)arr)[pos].h;
}

static int64_t qset_find(const sl_qset *qs, const char *name, uint32_t len, uint32_t h) {
    if (qs->idx.slot) {
        uint32_t mask = qs->idx.mask;
        for (uint32_t i = h & mask;; i = (i + 1) & mask) {
            uint64_t e = qs->idx.slot[i];
            if (!e) return -1;
            const sl_qg *g = &qs->g[(uint32_t)e - 1];
            if ((uint32_t)(e >> 32) == h && g->len == len && memcmp(g->name, name, len) == 0)
                return (uint32_t)e - 1;
        }
    }
    for (uint32_t i = 0; i < qs->n; i++) {
        const sl_qg *g = &qs->g[i];
        if (g->h == h && g->len == len && memcmp(g->name, name, len) == 0) return i;
    }
    return -1;
}

/* ------------------------------------------------------------------------------------------ */
/* Trie nodes.                                                                                 */

typedef struct sl_node sl_node;

/* A literal child with its token hash, so probes that miss never touch the child. */
typedef struct sl_slot {
    uint64_t h;
    sl_node *n; /* NULL: empty slot */
} sl_slot;

struct sl_node {
    sl_slot *tab; /* literal children by token, open addressing; NULL when none */
    uint32_t tmask, nlit;
    sl_node *pwc, *fwc; /* children for `*` and `>` */
    sl_vec psubs;       /* plain subscriptions of the filter ending here */
    sl_qset *qs;        /* queue groups of the filter ending here; NULL when none */
    uint64_t hash;      /* XXH3 of tok */
    uint32_t len;
    char tok[];
};

static sl_node *node_new(const char *tok, uint32_t len, uint64_t hash) {
    sl_node *n = calloc(1, sizeof *n + len);
    if (!n) return NULL;
    n->hash = hash;
    n->len = len;
    if (len) memcpy(n->tok, tok, len);
    return n;
}

static bool node_empty(const sl_node *n) {
    return n->psubs.n == 0 && !n->qs && n->nlit == 0 && !n->pwc && !n->fwc;
}

static sl_node *lvl_get(const sl_node *l, const char *t, uint32_t len, uint64_t h) {
    if (!l->tab) return NULL;
    for (uint32_t i = (uint32_t)h & l->tmask;; i = (i + 1) & l->tmask) {
        const sl_slot *e = &l->tab[i];
        if (!e->n) return NULL;
        if (e->h == h && e->n->len == len && memcmp(e->n->tok, t, len) == 0) return e->n;
    }
}

static int lvl_resize(sl_node *l, uint32_t cap) {
    sl_slot *nt = calloc(cap, sizeof *nt);
    if (!nt) return -1;
    for (uint32_t i = 0; l->tab && i <= l->tmask; i++) {
        if (!l->tab[i].n) continue;
        uint32_t j = (uint32_t)l->tab[i].h & (cap - 1);
        while (nt[j].n) j = (j + 1) & (cap - 1);
        nt[j] = l->tab[i];
    }
    free(l->tab);
    l->tab = nt;
    l->tmask = cap - 1;
    return 0;
}

static int lvl_put(sl_node *l, sl_node *c) {
    uint32_t cap = l->tab ? l->tmask + 1 : 0;
    if ((uint64_t)(l->nlit + 1) * 2 > cap && lvl_resize(l, cap ? cap * 2 : 4) != 0) return -1;
    uint32_t i = (uint32_t)c->hash & l->tmask;
    while (l->tab[i].n) i = (i + 1) & l->tmask;
    l->tab[i] = (sl_slot){.h = c->hash, .n = c};
    l->nlit++;
    return 0;
}

static void lvl_del(sl_node *l, const sl_node *c) {
    uint32_t mask = l->tmask, i = (uint32_t)c->hash & mask;
    while (l->tab[i].n != c) i = (i + 1) & mask;
    l->tab[i].n = NULL;
    for (uint32_t j = i;;) {
        j = (j + 1) & mask;
        if (!l->tab[j].n) break;
        uint32_t home = (uint32_t)l->tab[j].h & mask;
        if (((j - home) & mask) >= ((j - i) & mask)) {
            l->tab[i] = l->tab[j];
            l->tab[j].n = NULL;
            i = j;
        }
    }
    if (--l->nlit == 0) {
        free(l->tab);
        l->tab = NULL;
        l->tmask = 0;
    } else if (mask + 1 > 8 && l->nlit * 8 < mask + 1) {
        (void)lvl_resize(l, (mask + 1) / 2); /* shrinking is optional */
    }
}

static void node_free_all(sl_node *n) {
    if (!n) return;
    for (uint32_t i = 0; n->tab && i <= n->tmask; i++) node_free_all(n->tab[i].n);
    free(n->tab);
    node_free_all(n->pwc);
    node_free_all(n->fwc);
    vec_free(&n->psubs);
    if (n->qs) {
        for (uint32_t i = 0; i < n->qs->n; i++) {
            free(n->qs->g[i].name);
            vec_free(&n->qs->g[i].subs);
        }
        free(n->qs->g);
        idx_drop(&n->qs->idx);
        free(n->qs);
    }
    free(n);
}

/* ------------------------------------------------------------------------------------------ */
/* Tokens.                                                                                     */

enum { TK_LIT, TK_PWC, TK_FWC };

typedef struct sl_tok {
    const char *p;
    uint32_t len;
    uint32_t kind;
    uint64_t h; /* XXH3 of the token (literal tokens) */
} sl_tok;

/* ------------------------------------------------------------------------------------------ */
/* Match cache.                                                                                */

typedef struct sl_centry {
    sublist_result res; /* first: &entry->res is what callers get */
    uint64_t hash;      /* XXH3 of the subject */
    const char *subj;   /* inside this allocation */
    uint32_t len, ntok;
    uint32_t slot;                  /* index in cache->ent */
    uint32_t bkt[SL_BPOS];          /* invalidation bucket of token i (i < nb) */
    int32_t bprev[SL_BPOS];         /* bucket list links: slot * 4 + position, -1 for none */
    int32_t bnext[SL_BPOS];
    uint8_t nb;                     /* min(ntok, SL_BPOS) */
    uint8_t ref;                    /* CLOCK reference bit */
} sl_centry;

typedef struct sl_cache {
    sl_centry *ent[SL_CACHE_MAX];
    sl_idx tab; /* subject hash -> slot */
    int32_t bhead[SL_BUCKETS]; /* first link of each bucket, -1 for none */
    uint32_t blen[SL_BUCKETS];
    uint32_t doomed[SL_CACHE_MAX]; /* invalidation scratch: slots to drop */
    uint32_t freeslot[SL_CACHE_MAX];
    uint32_t nfree, n, hand;
    uint32_t maxtok; /* highest ntok cached since the cache was last empty */
    uint64_t tabslots[SL_CACHE_TAB];
} sl_cache;

/* Scratch result a match builds before it is frozen into a cache entry. */
typedef struct sl_sgrp {
    const char *name;
    uint32_t len, h;
    uint32_t count, off;
} sl_sgrp;

typedef struct sl_smem {
    uint32_t g;
    void *sub;
} sl_smem;

typedef struct sl_scratch {
    void **ps;
    size_t nps, cps;
    sl_sgrp *g;
    uint32_t ng, cg;
    sl_smem *m;
    size_t nm, cm;
    sl_idx gidx;
    bool oom;
} sl_scratch;

struct sublist {
    sl_node *root;
    sl_cache *cache; /* allocated at the first match */
    uint64_t count, nodes, matches, hits;
    sl_tok *tok;
    size_t tokcap;
    sl_node **path;
    size_t pathcap;
    sl_scratch r;
    sl_centry *grave[SL_KEEP]; /* evicted entries kept alive for a while (ring) */
    uint32_t gravepos, ngrave;
};

static const sublist_result sl_empty = {0};

static inline uint32_t bucket_of(uint32_t pos, uint64_t th, uint32_t ntok) {
    uint64_t x = th ^ ((uint64_t)ntok * 0x9E3779B97F4A7C15ULL) ^ ((uint64_t)pos << 56);
    x ^= x >> 29;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 32;
    return (uint32_t)x & (SL_BUCKETS - 1);
}

static inline sl_centry *link_ent(const sl_cache *c, int32_t l) {
    return c->ent[(uint32_t)l >> 2];
}

static void bucket_link(sl_cache *c, sl_centry *e, uint32_t pos, uint32_t b) {
    int32_t me = (int32_t)(e->slot * 4 + pos), next = c->bhead[b];
    e->bkt[pos] = b;
    e->bprev[pos] = -1;
    e->bnext[pos] = next;
    if (next >= 0) link_ent(c, next)->bprev[next & 3] = me;
    c->bhead[b] = me;
    c->blen[b]++;
}

static void bucket_unlink(sl_cache *c, sl_centry *e, uint32_t pos) {
    int32_t prev = e->bprev[pos], next = e->bnext[pos];
    if (prev >= 0)
        link_ent(c, prev)->bnext[prev & 3] = next;
    else
        c->bhead[e->bkt[pos]] = next;
    if (next >= 0) link_ent(c, next)->bprev[next & 3] = prev;
    c->blen[e->bkt[pos]]--;
}

static void grave_clear(sublist *s) {
    if (s->ngrave == 0) return;
    s->ngrave = 0;
    for (uint32_t i = 0; i < SL_KEEP; i++) {
        free(s->grave[i]);
        s->grave[i] = NULL;
    }
    s->gravepos = 0;
}

static void grave_push(sublist *s, sl_centry *e) {
    if (s->grave[s->gravepos])
        free(s->grave[s->gravepos]);
    else
        s->ngrave++;
    s->grave[s->gravepos] = e;
    s->gravepos = (s->gravepos + 1) % SL_KEEP;
}

static sl_cache *cache_new(void) {
    sl_cache *c = malloc(sizeof *c);
    if (!c) return NULL;
    memset(c->ent, 0, sizeof c->ent);
    memset(c->tabslots, 0, sizeof c->tabslots);
    c->tab.slot = c->tabslots;
    c->tab.mask = SL_CACHE_TAB - 1;
    for (uint32_t i = 0; i < SL_BUCKETS; i++) c->bhead[i] = -1;
    memset(c->blen, 0, sizeof c->blen);
    for (uint32_t i = 0; i < SL_CACHE_MAX; i++) c->freeslot[i] = SL_CACHE_MAX - 1 - i;
    c->nfree = SL_CACHE_MAX;
    c->n = c->hand = c->maxtok = 0;
    return c;
}

static sl_centry *cache_find(const sl_cache *c, const char *subj, uint32_t len, uint64_t hash) {
    uint32_t h = (uint32_t)hash, mask = c->tab.mask;
    for (uint32_t i = h & mask;; i = (i + 1) & mask) {
        uint64_t v = c->tab.slot[i];
        if (!v) return NULL;
        if ((uint32_t)(v >> 32) != h) continue;
        sl_centry *e = c->ent[(uint32_t)v - 1];
        if (e->hash == hash && e->len == len && memcmp(e->subj, subj, len) == 0) return e;
    }
}

/* Takes e out of the cache; the caller frees or parks it. */
static void cache_unlink(sl_cache *c, sl_centry *e) {
    idx_erase(&c->tab, idx_locate(&c->tab, idx_val((uint32_t)e->hash, e->slot)));
    for (uint32_t p = 0; p < e->nb; p++) bucket_unlink(c, e, p);
    c->ent[e->slot] = NULL;
    c->freeslot[c->nfree++] = e->slot;
    if (--c->n == 0) c->maxtok = 0;
}

static void cache_evict_one(sublist *s) {
    sl_cache *c = s->cache;
    for (;;) {
        sl_centry *e = c->ent[c->hand];
        c->hand = (c->hand + 1) % SL_CACHE_MAX;
        if (!e) continue;
        if (e->ref) {
            e->ref = 0;
            continue;
        }
        cache_unlink(c, e);
        grave_push(s, e);
        return;
    }
}

/* Adds e, the result of the subject tokenized as t[0..e->ntok). */
static void cache_add(sublist *s, sl_centry *e, const sl_tok *t) {
    sl_cache *c = s->cache;
    if (c->n == SL_CACHE_MAX) cache_evict_one(s);
    uint32_t slot = c->freeslot[--c->nfree];
    e->slot = slot;
    e->ref = 0;
    c->ent[slot] = e;
    c->n++;
    idx_put(&c->tab, (uint32_t)e->hash, slot);
    e->nb = (uint8_t)(e->ntok < SL_BPOS ? e->ntok : SL_BPOS);
    for (uint32_t p = 0; p < e->nb; p++) bucket_link(c, e, p, bucket_of(p, t[p].h, e->ntok));
    if (e->ntok > c->maxtok) c->maxtok = e->ntok;
}

/* True when the cached literal subject matches the filter ft[0..nft). */
static bool centry_matches(const sl_centry *e, const sl_tok *ft, size_t nft, bool fwc) {
    if (fwc ? e->ntok < nft : e->ntok != nft) return false;
    const char *p = e->subj, *end = e->subj + e->len;
    for (size_t i = 0; i < nft; i++) {
        if (ft[i].kind == TK_FWC) return true;
        const char *dot = memchr(p, '.', (size_t)(end - p));
        size_t tl = dot ? (size_t)(dot - p) : (size_t)(end - p);
        if (ft[i].kind == TK_LIT && (tl != ft[i].len || memcmp(p, ft[i].p, tl) != 0)) return false;
        p += tl + 1;
    }
    return true;
}

/* Drops every cached subject that the filter (already tokenized in s->tok) matches. Also ends
 * the life of parked results, as the header allows at insert/remove. */
static void cache_invalidate(sublist *s, const char *filter, size_t flen, size_t nft) {
    grave_clear(s);
    sl_cache *c = s->cache;
    if (!c || c->n == 0) return;
    const sl_tok *ft = s->tok;
    bool fwc = ft[nft - 1].kind == TK_FWC, lit = !fwc;
    for (size_t i = 0; lit && i < nft; i++)
        if (ft[i].kind != TK_LIT) lit = false;
    if (lit) {
        sl_centry *e = cache_find(c, filter, (uint32_t)flen, XXH3_64bits(filter, flen));
        if (e) {
            cache_unlink(c, e);
            free(e);
        }
        return;
    }
    if (nft == 1 && fwc) { /* `>` matches everything */
        for (uint32_t i = 0; i < SL_CACHE_MAX && c->n; i++) {
            if (c->ent[i]) {
                sl_centry *e = c->ent[i];
                cache_unlink(c, e);
                free(e);
            }
        }
        return;
    }
    /* token counts the filter can match, and the cheapest literal position to look up */
    uint32_t kmin = (uint32_t)nft, kmax = fwc ? c->maxtok : (uint32_t)nft;
    int best = -1;
    uint64_t bestcost = UINT64_MAX;
    for (uint32_t p = 0; p < nft && p < SL_BPOS; p++) {
        if (ft[p].kind != TK_LIT) continue;
        uint64_t cost = 0;
        for (uint32_t k = kmin; k <= kmax && cost < bestcost; k++)
            cost += c->blen[bucket_of(p, ft[p].h, k)];
        if (cost < bestcost) {
            bestcost = cost;
            best = (int)p;
        }
    }
    if (best >= 0) {
        /* collect first: dropping an entry unlinks it from lists being walked */
        uint32_t nd = 0;
        for (uint32_t k = kmin; k <= kmax; k++) {
            for (int32_t l = c->bhead[bucket_of((uint32_t)best, ft[best].h, k)]; l >= 0;) {
                sl_centry *e = link_ent(c, l);
                if ((l & 3) == best && e->ntok == k && centry_matches(e, ft, nft, fwc))
                    c->doomed[nd++] = e->slot;
                l = e->bnext[l & 3];
            }
        }
        for (uint32_t i = 0; i < nd; i++) {
            sl_centry *e = c->ent[c->doomed[i]];
            cache_unlink(c, e);
            free(e);
        }
        return;
    }
    for (uint32_t i = 0; i < SL_CACHE_MAX && c->n; i++) {
        sl_centry *e = c->ent[i];
        if (e && centry_matches(e, ft, nft, fwc)) {
            cache_unlink(c, e);
            free(e);
        }
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Tokenizing.                                                                                 */

static int tok_reserve(sublist *s, size_t n) {
    if (n <= s->tokcap) return 0;
    size_t cap = s->tokcap ? s->tokcap : 16;
    while (cap < n) cap *= 2;
    sl_tok *t = realloc(s->tok, cap * sizeof *t);
    if (!t) return -1;
    s->tok = t;
    s->tokcap = cap;
    return 0;
}

/* Splits subj into s->tok. For a filter, `*` and `>` tokens are wildcards and `>` must be last.
 * For a published subject every token is literal: a `*` or `>` token there (not valid, but
 * nats-server only rejects it in pedantic mode) is looked up as text, which no literal child has,
 * so only wildcard filters match it, as in sublist.go. Empty tokens are invalid in both.
 * Returns 0, SUBLIST_ERR_INVALID or SUBLIST_ERR_NOMEM. */
static int tokenize(sublist *s, const char *subj, size_t len, bool filter, size_t *ntok) {
    if (len == 0 || len > UINT32_MAX) return SUBLIST_ERR_INVALID;
    size_t n = 0;
    const char *p = subj, *end = subj + len;
    for (;;) {
        const char *dot = memchr(p, '.', (size_t)(end - p));
        const char *te = dot ? dot : end;
        uint32_t tl = (uint32_t)(te - p);
        if (tl == 0) return SUBLIST_ERR_INVALID;
        if (n == s->tokcap && tok_reserve(s, n + 1) != 0) return SUBLIST_ERR_NOMEM;
        sl_tok *t = &s->tok[n++];
        t->p = p;
        t->len = tl;
        t->kind = TK_LIT;
        t->h = 0;
        if (filter && tl == 1 && (*p == '*' || *p == '>')) {
            t->kind = *p == '*' ? TK_PWC : TK_FWC;
            if (t->kind == TK_FWC && dot) return SUBLIST_ERR_INVALID; /* `>` must be last */
        }
        if (t->kind == TK_LIT) t->h = XXH3_64bits(p, tl);
        if (!dot) break;
        p = dot + 1;
        if (p == end) return SUBLIST_ERR_INVALID; /* trailing dot */
    }
    *ntok = n;
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Building results.                                                                           */

static uint32_t sgrp_hash_at(const void *arr, uint32_t pos) {
    return ((const sl_sgrp *)arr)[pos].h;
}

static int64_t res_find_group(const sl_scratch *r, const sl_qg *q) {
    if (r->gidx.slot) {
        uint32_t mask = r->gidx.mask;
        for (uint32_t i = q->h & mask;; i = (i + 1) & mask) {
            uint64_t e = r->gidx.slot[i];
            if (!e) return -1;
            const sl_sgrp *g = &r->g[(uint32_t)e - 1];
            if ((uint32_t)(e >> 32) == q->h && g->len == q->len &&
                memcmp(g->name, q->name, q->len) == 0)
                return (uint32_t)e - 1;
        }
    }
    for (uint32_t i = 0; i < r->ng; i++) {
        const sl_sgrp *g = &r->g[i];
        if (g->h == q->h && g->len == q->len && memcmp(g->name, q->name, q->len) == 0) return i;
    }
    return -1;
}

static bool grow(void **arr, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return true;
    size_t nc = *cap ? *cap : 16;
    while (nc < need) nc *= 2;
    void *na = realloc(*arr, nc * elem);
    if (!na) return false;
    *arr = na;
    *cap = nc;
    return true;
}

static void res_add_node(sl_scratch *r, const sl_node *n) {
    if (r->oom) return;
    if (n->psubs.n) {
        if (!grow((void **)&r->ps, &r->cps, r->nps + n->psubs.n, sizeof *r->ps)) {
            r->oom = true;
            return;
        }
        memcpy(r->ps + r->nps, n->psubs.v, n->psubs.n * sizeof *r->ps);
        r->nps += n->psubs.n;
    }
    if (!n->qs) return;
    bool fresh = r->ng == 0; /* groups within one node are distinct: no search needed */
    for (uint32_t qi = 0; qi < n->qs->n; qi++) {
        const sl_qg *q = &n->qs->g[qi];
        int64_t gi = fresh ? -1 : res_find_group(r, q);
        if (gi < 0) {
            size_t cg = r->cg;
            if (!grow((void **)&r->g, &cg, (size_t)r->ng + 1, sizeof *r->g) || cg > UINT32_MAX) {
                r->oom = true;
                return;
            }
            r->cg = (uint32_t)cg;
            gi = r->ng++;
            r->g[gi] = (sl_sgrp){.name = q->name, .len = q->len, .h = q->h};
            idx_added(&r->gidx, r->g, r->ng, sgrp_hash_at);
        }
        if (!grow((void **)&r->m, &r->cm, r->nm + q->subs.n, sizeof *r->m)) {
            r->oom = true;
            return;
        }
        for (uint32_t k = 0; k < q->subs.n; k++)
            r->m[r->nm++] = (sl_smem){.g = (uint32_t)gi, .sub = q->subs.v[k]};
        r->g[gi].count += q->subs.n;
    }
}

/* Walks the trie for the literal tokens t[0..nt), like matchLevel in sublist.go. */
static void match_level(sl_scratch *r, const sl_node *l, const sl_tok *t, size_t nt) {
    for (size_t i = 0; i < nt; i++) {
        if (l->fwc) res_add_node(r, l->fwc);
        if (l->pwc) {
            if (i + 1 == nt)
                res_add_node(r, l->pwc);
            else
                match_level(r, l->pwc, t + i + 1, nt - i - 1);
        }
        const sl_node *n = lvl_get(l, t[i].p, t[i].len, t[i].h);
        if (!n) return;
        if (i + 1 == nt) res_add_node(r, n);
        l = n;
    }
}

static bool node_has_subs(const sl_node *n) {
    return n->psubs.n || n->qs;
}

static bool any_level(const sl_node *l, const sl_tok *t, size_t nt) {
    for (size_t i = 0; i < nt; i++) {
        if (l->fwc && node_has_subs(l->fwc)) return true;
        if (l->pwc) {
            if (i + 1 == nt) {
                if (node_has_subs(l->pwc)) return true;
            } else if (any_level(l->pwc, t + i + 1, nt - i - 1)) {
                return true;
            }
        }
        const sl_node *n = lvl_get(l, t[i].p, t[i].len, t[i].h);
        if (!n) return false;
        if (i + 1 == nt) return node_has_subs(n);
        l = n;
    }
    return false;
}

/* Freezes the scratch result for subj into one allocation. */
static sl_centry *res_freeze(sl_scratch *r, const char *subj, uint32_t len, uint64_t hash,
                             uint32_t ntok) {
    size_t names = 0;
    for (uint32_t i = 0; i < r->ng; i++) names += (size_t)r->g[i].len + 1;
    size_t sz = sizeof(sl_centry) + (r->nps + r->nm) * sizeof(void *) +
                r->ng * sizeof(sublist_qgroup) + names + len;
    sl_centry *e = malloc(sz);
    if (!e) return NULL;
    void **ps = (void **)(e + 1);
    void **mem = ps + r->nps;
    sublist_qgroup *qg = (sublist_qgroup *)(mem + r->nm);
    char *str = (char *)(qg + r->ng);
    if (r->nps) memcpy(ps, r->ps, r->nps * sizeof *ps);
    uint32_t off = 0;
    for (uint32_t i = 0; i < r->ng; i++) {
        sl_sgrp *g = &r->g[i];
        g->off = off;
        memcpy(str, g->name, g->len);
        str[g->len] = 0;
        qg[i] = (sublist_qgroup){.queue = str, .queue_len = g->len, .subs = mem + off,
                                 .nsubs = g->count};
        str += g->len + 1;
        off += g->count;
    }
    for (size_t k = 0; k < r->nm; k++) mem[r->g[r->m[k].g].off++] = r->m[k].sub;
    memcpy(str, subj, len);
    e->res = (sublist_result){.psubs = r->nps ? ps : NULL, .npsubs = r->nps,
                              .qgroups = r->ng ? qg : NULL, .nqgroups = r->ng};
    e->hash = hash;
    e->subj = str;
    e->len = len;
    e->ntok = ntok;
    return e;
}

/* ------------------------------------------------------------------------------------------ */
/* Public functions.                                                                           */

sublist *sublist_new(void) {
    sublist *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->root = node_new(NULL, 0, 0);
    if (!s->root) {
        free(s);
        return NULL;
    }
    return s;
}

void sublist_free(sublist *s) {
    if (!s) return;
    node_free_all(s->root);
    if (s->cache) {
        for (uint32_t i = 0; i < SL_CACHE_MAX; i++) free(s->cache->ent[i]);
        free(s->cache);
    }
    grave_clear(s);
    free(s->tok);
    free(s->path);
    free(s->r.ps);
    free(s->r.g);
    free(s->r.m);
    idx_drop(&s->r.gidx);
    free(s);
}

/* Removes empty nodes from s->path[depth] upwards (the path of the last walk). */
static void prune(sublist *s, size_t depth) {
    for (size_t i = depth; i >= 1; i--) {
        sl_node *n = s->path[i], *parent = s->path[i - 1];
        if (!node_empty(n)) return;
        if (parent->pwc == n)
            parent->pwc = NULL;
        else if (parent->fwc == n)
            parent->fwc = NULL;
        else
            lvl_del(parent, n);
        free(n);
        s->nodes--;
    }
}

/* Tokenizes a filter and walks (creating nodes when `create`) to its node; the path is left in
 * s->path[0..nt]. Returns 0 with *node set (NULL when absent and not creating), or an error. */
static int walk_filter(sublist *s, const char *subj, size_t len, bool create, size_t *ntok,
                       sl_node **node) {
    size_t nt;
    int rc = tokenize(s, subj, len, true, &nt);
    if (rc) return rc;
    if (nt + 1 > s->pathcap) {
        size_t cap = s->pathcap ? s->pathcap : 16;
        while (cap < nt + 1) cap *= 2;
        sl_node **np = realloc(s->path, cap * sizeof *np);
        if (!np) return SUBLIST_ERR_NOMEM;
        s->path = np;
        s->pathcap = cap;
    }
    *ntok = nt;
    sl_node *n = s->root;
    s->path[0] = n;
    for (size_t i = 0; i < nt; i++) {
        const sl_tok *t = &s->tok[i];
        sl_node **slot = t->kind == TK_PWC ? &n->pwc : t->kind == TK_FWC ? &n->fwc : NULL;
        sl_node *c = slot ? *slot : lvl_get(n, t->p, t->len, t->h);
        if (!c) {
            if (!create) {
                *node = NULL;
                return 0;
            }
            c = node_new(t->p, t->len, t->h);
            if (!c || (slot ? (*slot = c, 0) : lvl_put(n, c)) != 0) {
                free(c);
                prune(s, i);
                return SUBLIST_ERR_NOMEM;
            }
            s->nodes++;
        }
        s->path[i + 1] = c;
        n = c;
    }
    *node = n;
    return 0;
}

static int node_add_queued(sl_node *n, const char *queue, uint32_t qlen, void *sub) {
    uint32_t h = (uint32_t)XXH3_64bits(queue, qlen);
    if (!n->qs && !(n->qs = calloc(1, sizeof *n->qs))) return SUBLIST_ERR_NOMEM;
    sl_qset *qs = n->qs;
    int64_t gi = qset_find(qs, queue, qlen, h);
    if (gi >= 0) {
        sl_vec *v = &qs->g[gi].subs;
        if (vec_find(v, sub) >= 0) return SUBLIST_ERR_EXISTS;
        return vec_add(v, sub) ? SUBLIST_ERR_NOMEM : 0;
    }
    if (qs->n == qs->cap) {
        uint32_t nc = qs->cap ? qs->cap * 2 : 2;
        sl_qg *ng = realloc(qs->g, nc * sizeof *ng);
        if (!ng) goto nomem;
        qs->g = ng;
        qs->cap = nc;
    }
    sl_qg g = {.len = qlen, .h = h};
    if (!(g.name = malloc((size_t)qlen + 1))) goto nomem;
    memcpy(g.name, queue, qlen);
    g.name[qlen] = 0;
    if (vec_add(&g.subs, sub) != 0) {
        free(g.name);
        goto nomem;
    }
    qs->g[qs->n++] = g;
    idx_added(&qs->idx, qs->g, qs->n, qg_hash_at);
    return 0;
nomem:
    if (qs->n == 0) {
        free(qs->g);
        free(qs);
        n->qs = NULL;
    }
    return SUBLIST_ERR_NOMEM;
}

static int node_remove_queued(sl_node *n, const char *queue, uint32_t qlen, void *sub) {
    sl_qset *qs = n->qs;
    if (!qs) return -1;
    int64_t gi = qset_find(qs, queue, qlen, (uint32_t)XXH3_64bits(queue, qlen));
    if (gi < 0) return -1;
    sl_vec *v = &qs->g[gi].subs;
    int64_t pos = vec_find(v, sub);
    if (pos < 0) return -1;
    vec_del(v, (uint32_t)pos);
    if (v->n) return 0;
    free(qs->g[gi].name);
    idx_removing(&qs->idx, qs->g, qs->n, (uint32_t)gi, qg_hash_at);
    qs->g[gi] = qs->g[qs->n - 1];
    if (--qs->n == 0) {
        free(qs->g);
        idx_drop(&qs->idx);
        free(qs);
        n->qs = NULL;
        return 0;
    }
    idx_removed(&qs->idx, qs->g, qs->n, qg_hash_at);
    if (qs->cap > 8 && qs->n * 4 <= qs->cap) {
        sl_qg *ng = realloc(qs->g, (qs->cap / 2) * sizeof *ng);
        if (ng) {
            qs->g = ng;
            qs->cap /= 2;
        }
    }
    return 0;
}

int sublist_insert(sublist *s, const char *subject, size_t len, const char *queue, size_t qlen,
                   void *sub) {
    if (!queue) qlen = 0;
    if (!subject || qlen > UINT32_MAX) return SUBLIST_ERR_INVALID;
    size_t nt;
    sl_node *n;
    int rc = walk_filter(s, subject, len, true, &nt, &n);
    if (rc) return rc;
    if (qlen == 0)
        rc = vec_find(&n->psubs, sub) >= 0 ? SUBLIST_ERR_EXISTS
             : vec_add(&n->psubs, sub)     ? SUBLIST_ERR_NOMEM
                                           : 0;
    else
        rc = node_add_queued(n, queue, (uint32_t)qlen, sub);
    if (rc) {
        prune(s, nt);
        return rc;
    }
    s->count++;
    cache_invalidate(s, subject, len, nt);
    return 0;
}

int sublist_remove(sublist *s, const char *subject, size_t len, const char *queue, size_t qlen,
                   void *sub) {
    if (!queue) qlen = 0;
    if (!subject || qlen > UINT32_MAX) return -1;
    size_t nt;
    sl_node *n;
    if (walk_filter(s, subject, len, false, &nt, &n) != 0 || !n) return -1;
    if (qlen == 0) {
        int64_t pos = vec_find(&n->psubs, sub);
        if (pos < 0) return -1;
        vec_del(&n->psubs, (uint32_t)pos);
    } else if (node_remove_queued(n, queue, (uint32_t)qlen, sub) != 0) {
        return -1;
    }
    s->count--;
    prune(s, nt);
    cache_invalidate(s, subject, len, nt);
    return 0;
}

static const sublist_result *match(sublist *s, const char *subject, size_t len, bool cache);

const sublist_result *sublist_match(sublist *s, const char *subject, size_t len) {
    return match(s, subject, len, true);
}

const sublist_result *sublist_match_once(sublist *s, const char *subject, size_t len) {
    return match(s, subject, len, false);
}

static const sublist_result *match(sublist *s, const char *subject, size_t len, bool cache) {
    s->matches++;
    if (len == 0 || len > UINT32_MAX) return &sl_empty;
    uint64_t hash = XXH3_64bits(subject, len);
    /* a subject used once is hardly ever cached, and probing for it is a cold read of the
     * cache's table (2-4 % of the server's CPU under async publishes, one per PubAck) */
    if (cache && s->cache && s->cache->n) {
        sl_centry *e = cache_find(s->cache, subject, (uint32_t)len, hash);
        if (e) {
            e->ref = 1;
            s->hits++;
            return &e->res;
        }
    }
    size_t nt;
    if (tokenize(s, subject, len, false, &nt) != 0) return &sl_empty;
    sl_scratch *r = &s->r;
    r->nps = r->nm = 0;
    r->ng = 0;
    r->oom = false;
    match_level(r, s->root, s->tok, nt);
    idx_drop(&r->gidx);
    if (r->oom) return &sl_empty;
    sl_centry *e = res_freeze(r, subject, (uint32_t)len, hash, (uint32_t)nt);
    if (!e) return &sl_empty;
    if (cache && !s->cache) s->cache = cache_new();
    if (cache && s->cache)
        cache_add(s, e, s->tok);
    else
        grave_push(s, e); /* uncached, still valid for SL_KEEP matches */
    return &e->res;
}

int sublist_has_interest(sublist *s, const char *subject, size_t len) {
    if (len == 0 || len > UINT32_MAX) return 0;
    if (s->cache && s->cache->n) {
        sl_centry *e = cache_find(s->cache, subject, (uint32_t)len, XXH3_64bits(subject, len));
        if (e) return e->res.npsubs || e->res.nqgroups;
    }
    size_t nt;
    if (tokenize(s, subject, len, false, &nt) != 0) return 0;
    return any_level(s->root, s->tok, nt);
}

void sublist_get_stats(const sublist *s, sublist_stats *out) {
    out->subscriptions = s->count;
    out->cache_entries = s->cache ? s->cache->n : 0;
    out->matches = s->matches;
    out->cache_hits = s->hits;
    out->nodes = s->nodes;
}

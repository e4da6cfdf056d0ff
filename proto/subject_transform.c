/*
 * subject_transform.c — nats-server's subject transforms (see subject_transform.h).
 */
#include "subject_transform.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "subject.h"

#define MAX_TOKENS 64

typedef struct part {
    const char *lit; /* a literal token (points into dest), or NULL */
    size_t len;
    int star;        /* a reference to the star-th '*' of the source (0-based), or -1 */
    bool fwc;        /* the source's '>' (the rest of the subject) */
} part;

struct subject_transform {
    char *src, *dest;
    const char *stok[MAX_TOKENS]; /* source tokens */
    size_t slen[MAX_TOKENS];
    size_t nsrc;
    bool src_fwc;                 /* the source ends in '>' */
    size_t nstars;                /* '*' tokens of the source */
    part parts[MAX_TOKENS];
    size_t nparts;
};

static size_t split(const char *s, const char **tok, size_t *len, size_t max)
{
    size_t n = 0;
    for (const char *p = s;; p++) {
        const char *start = p;
        while (*p && *p != '.')
            p++;
        if (n == max)
            return max + 1;
        tok[n] = start;
        len[n++] = (size_t)(p - start);
        if (!*p)
            return n;
    }
}

static bool is_tok(const char *t, size_t n, const char *w)
{
    return n == strlen(w) && memcmp(t, w, n) == 0;
}

/* "{{wildcard(N)}}" (blanks allowed, any case) or "$N": N, else 0. */
static int numbered(const char *t, size_t n)
{
    if (n >= 2 && t[0] == '$') {
        int v = 0;
        for (size_t i = 1; i < n; i++) {
            if (!isdigit((unsigned char)t[i]) || v > 1000)
                return 0;
            v = v * 10 + (t[i] - '0');
        }
        return v;
    }
    if (n < 4 || memcmp(t, "{{", 2) != 0 || memcmp(t + n - 2, "}}", 2) != 0)
        return 0;
    const char *p = t + 2, *end = t + n - 2;
    while (p < end && *p == ' ')
        p++;
    static const char fn[] = "wildcard(";
    for (size_t i = 0; i < sizeof fn - 1; i++, p++)
        if (p >= end || tolower((unsigned char)*p) != fn[i])
            return -1; /* another function: not supported */
    int v = 0;
    while (p < end && isdigit((unsigned char)*p)) {
        if (v > 1000)
            return -1; /* no source has that many wildcards */
        v = v * 10 + (*p++ - '0');
    }
    if (p >= end || *p++ != ')')
        return -1;
    while (p < end && *p == ' ')
        p++;
    return p == end ? v : -1;
}

subject_transform *subject_transform_new(const char *src, const char *dest)
{
    if (!src || !*src)
        src = ">";
    if (!dest || !*dest || !subject_valid_filter(src, strlen(src)) ||
        !subject_valid_filter(dest, strlen(dest)))
        return NULL;
    subject_transform *t = calloc(1, sizeof *t);
    if (!t || !(t->src = strdup(src)) || !(t->dest = strdup(dest)))
        goto bad;
    t->nsrc = split(t->src, t->stok, t->slen, MAX_TOKENS);
    if (t->nsrc > MAX_TOKENS)
        goto bad;
    for (size_t i = 0; i < t->nsrc; i++) {
        if (is_tok(t->stok[i], t->slen[i], "*"))
            t->nstars++;
        else if (is_tok(t->stok[i], t->slen[i], ">"))
            t->src_fwc = true;
    }
    const char *dtok[MAX_TOKENS];
    size_t dlen[MAX_TOKENS];
    size_t nd = split(t->dest, dtok, dlen, MAX_TOKENS);
    if (nd > MAX_TOKENS)
        goto bad;
    size_t positional = 0;
    for (size_t i = 0; i < nd; i++) {
        part *p = &t->parts[t->nparts++];
        p->star = -1;
        int n = numbered(dtok[i], dlen[i]);
        if (is_tok(dtok[i], dlen[i], "*")) {
            if (positional >= t->nstars)
                goto bad;
            p->star = (int)positional++;
        } else if (is_tok(dtok[i], dlen[i], ">")) {
            if (!t->src_fwc)
                goto bad;
            p->fwc = true;
        } else if (n < 0 || (n > 0 && (size_t)n > t->nstars)) {
            goto bad;
        } else if (n > 0) {
            p->star = n - 1;
        } else {
            p->lit = dtok[i];
            p->len = dlen[i];
        }
    }
    return t;
bad:
    subject_transform_free(t);
    return NULL;
}

void subject_transform_free(subject_transform *t)
{
    if (!t)
        return;
    free(t->src);
    free(t->dest);
    free(t);
}

long subject_transform_apply(const subject_transform *t, const char *subject, size_t len,
                             char *out, size_t cap)
{
    /* the subject's token boundaries */
    size_t start[MAX_TOKENS + 1], tlen[MAX_TOKENS + 1], nt = 0;
    for (size_t at = 0;;) {
        size_t end = at;
        while (end < len && subject[end] != '.')
            end++;
        if (end == at || nt == MAX_TOKENS + 1)
            return -1; /* an empty token, or too many */
        start[nt] = at;
        tlen[nt++] = end - at;
        if (end == len)
            break;
        at = end + 1;
    }
    const char *stars[MAX_TOKENS], *rest = NULL;
    size_t star_len[MAX_TOKENS], nstars = 0, rest_len = 0;
    for (size_t i = 0; i < t->nsrc; i++) {
        if (is_tok(t->stok[i], t->slen[i], ">")) {
            if (i >= nt)
                return -1; /* '>' needs at least one token */
            rest = subject + start[i];
            rest_len = len - start[i];
            break;
        }
        if (i >= nt)
            return -1;
        if (is_tok(t->stok[i], t->slen[i], "*")) {
            stars[nstars] = subject + start[i];
            star_len[nstars++] = tlen[i];
        } else if (tlen[i] != t->slen[i] || memcmp(subject + start[i], t->stok[i], tlen[i])) {
            return -1;
        }
    }
    if (!t->src_fwc && nt != t->nsrc)
        return -1;
    size_t w = 0;
    for (size_t i = 0; i < t->nparts; i++) {
        const part *p = &t->parts[i];
        const char *v = p->lit;
        size_t n = p->len;
        if (p->star >= 0) {
            v = stars[p->star];
            n = star_len[p->star];
        } else if (p->fwc) {
            v = rest;
            n = rest_len;
        }
        if (w + n + 2 > cap)
            return -1;
        if (i)
            out[w++] = '.';
        memcpy(out + w, v, n);
        w += n;
    }
    out[w] = '\0';
    return (long)w;
}

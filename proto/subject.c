/*
 * subject.c — NATS subject validation and wildcard matching (see subject.h).
 *
 * Tokens are separated by '.'; a token may hold any byte except whitespace and '.', as
 * nats-server accepts (UTF-8 in subjects is legal). `*` and `>` are wildcards only when they
 * are a whole token.
 */
#include "subject.h"

#include <string.h>

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/* Walks the tokens of s; returns false on an empty token or whitespace. When allow_wildcards
 * is false, `*` and `>` tokens are refused. */
static bool subject_check(const char *s, size_t len, bool allow_wildcards)
{
    if (len == 0)
        return false;
    size_t tok_start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || s[i] == '.') {
            size_t tlen = i - tok_start;
            if (tlen == 0)
                return false;
            if (tlen == 1 && (s[tok_start] == '*' || s[tok_start] == '>')) {
                if (!allow_wildcards)
                    return false;
                if (s[tok_start] == '>' && i != len)
                    return false;
            }
            tok_start = i + 1;
        } else if (is_space((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}

bool subject_valid_filter(const char *s, size_t len)
{
    return subject_check(s, len, true);
}

bool subject_valid_literal(const char *s, size_t len)
{
    return subject_check(s, len, false);
}

bool subject_has_wildcard(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if ((s[i] == '*' || s[i] == '>') && (i == 0 || s[i - 1] == '.') &&
            (i + 1 == len || s[i + 1] == '.'))
            return true;
    }
    return false;
}

bool subject_matches(const char *filter, size_t flen, const char *subj, size_t slen)
{
    size_t fi = 0, si = 0;
    for (;;) {
        if (fi >= flen || si >= slen)
            return fi >= flen && si >= slen;
        size_t fe = fi;
        while (fe < flen && filter[fe] != '.')
            fe++;
        size_t se = si;
        while (se < slen && subj[se] != '.')
            se++;
        size_t ftl = fe - fi;
        if (ftl == 1 && filter[fi] == '>' && fe == flen)
            return se > si; /* at least one token left */
        if (!(ftl == 1 && filter[fi] == '*')) {
            if (ftl != se - si)
                return false;
            for (size_t k = 0; k < ftl; k++)
                if (filter[fi + k] != subj[si + k])
                    return false;
        } else if (se == si) {
            return false;
        }
        /* both advance past the separator; a trailing '.' on one side only is a mismatch */
        bool fend = fe >= flen, send = se >= slen;
        if (fend != send)
            return false;
        if (fend)
            return true;
        fi = fe + 1;
        si = se + 1;
    }
}

bool subject_filters_overlap(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t ai = 0, bi = 0;
    for (;;) {
        bool aend = ai >= alen, bend = bi >= blen;
        if (aend || bend)
            return aend && bend;
        size_t ae = ai, be = bi;
        while (ae < alen && a[ae] != '.')
            ae++;
        while (be < blen && b[be] != '.')
            be++;
        bool afwc = ae - ai == 1 && a[ai] == '>';
        bool bfwc = be - bi == 1 && b[bi] == '>';
        if (afwc || bfwc)
            return true; /* '>' takes one or more tokens: the other side has at least one here */
        bool apwc = ae - ai == 1 && a[ai] == '*';
        bool bpwc = be - bi == 1 && b[bi] == '*';
        if (!apwc && !bpwc && (ae - ai != be - bi || memcmp(a + ai, b + bi, ae - ai) != 0))
            return false;
        ai = ae + 1;
        bi = be + 1;
        if (ae >= alen || be >= blen)
            return ae >= alen && be >= blen;
    }
}

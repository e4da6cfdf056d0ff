/*
 * subject.h — NATS subject syntax: validation of published subjects and subscription filters,
 * and matching of a literal subject against a filter with `*` and `>` wildcards.
 * Pure functions over (pointer, length) byte ranges; nothing is allocated.
 */
#ifndef WEIR_SUBJECT_H
#define WEIR_SUBJECT_H

#include <stdbool.h>
#include <stddef.h>

/* A subscription filter: non-empty dot-separated tokens, no empty token, no whitespace;
 * `*` and `>` only as whole tokens, `>` only last. */
bool subject_valid_filter(const char *s, size_t len);

/* A subject one may publish to: a valid filter without wildcard tokens. */
bool subject_valid_literal(const char *s, size_t len);

/* True when the literal subject `subj` matches `filter`. */
bool subject_matches(const char *filter, size_t flen, const char *subj, size_t slen);

/* True when the filter contains a `*` or `>` token. */
bool subject_has_wildcard(const char *s, size_t len);

/* True when some literal subject matches both filters (stream subjects may not overlap). */
bool subject_filters_overlap(const char *a, size_t alen, const char *b, size_t blen);

#endif

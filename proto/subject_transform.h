/*
 * subject_transform.h — nats-server's subject transforms (stream republish): a source filter
 * with wildcards and a destination that reuses what the wildcards matched, positionally ("*"
 * and ">" in the destination take the source's wildcards in order) or by number
 * ("{{wildcard(1)}}", "$1"). Pure functions.
 *
 *   src "orders.*.>"  dest "audit.*.>"              orders.eu.new.1  -> audit.eu.new.1
 *   src "a.*.*"       dest "b.{{wildcard(2)}}.$1"    a.x.y            -> b.y.x
 *
 * The other mustache functions of nats-server (partition, split, slice) are not supported:
 * subject_transform_new refuses them.
 */
#ifndef WEIR_SUBJECT_TRANSFORM_H
#define WEIR_SUBJECT_TRANSFORM_H

#include <stdbool.h>
#include <stddef.h>

typedef struct subject_transform subject_transform;

/* A transform from src (a valid filter; NULL or "" = ">") to dest. NULL when dest is not a
 * valid subject, refers to wildcards src does not have, or uses what is not supported. */
subject_transform *subject_transform_new(const char *src, const char *dest);
void subject_transform_free(subject_transform *t);

/* Writes the destination of subject into out (NUL-terminated). Returns its length, or -1 when
 * subject does not match the source or the result does not fit cap. */
long subject_transform_apply(const subject_transform *t, const char *subject, size_t len,
                             char *out, size_t cap);

#endif

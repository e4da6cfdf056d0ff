/*
 * jserr.h — JetStream API errors as nats-server reports them: an HTTP-like `code`, the numeric
 * `err_code` of nats-server's errors.json, and the description with its {placeholders} filled.
 * Every rejection in stream/ carries one, so the wire layer answers exactly what nats-server
 * answers: {"code":..,"err_code":..,"description":..}.
 *
 * The identifiers are nats-server's constant names in upper snake case without the "JS"
 * prefix and the "Err"/"ErrF" suffix (JSStreamNotFoundErr → JSERR_STREAM_NOT_FOUND); their
 * values are the err_codes. The table lives in jserr_table.c.
 */
#ifndef WEIR_JSERR_H
#define WEIR_JSERR_H

#include <stddef.h>

#include "jserr_ids.h" /* enum jserr_id: JSERR_NONE = 0 and one entry per errors.json entry */

typedef struct jserr {
    int code;     /* 400, 404, 500, 503 ... ; 0 when no error */
    int err_code; /* errors.json error_code */
    char description[512];
} jserr;

/* Fills *e for `id`. The variadic arguments are (name, value) pairs of C strings ending with
 * NULL, replacing "{name}" in the description: jserr_set(e, JSERR_STREAM_WRONG_LAST_SEQUENCE,
 * "seq", "42", NULL). Unknown ids give code 500 and the id in the description. */
void jserr_set(jserr *e, jserr_id id, ...);

/* Clears *e (code 0). */
void jserr_clear(jserr *e);

/* The code and raw (unfilled) description of an id; NULL description for an unknown id. */
int jserr_code(jserr_id id);
const char *jserr_template(jserr_id id);

/* Internal to jserr.c: the generated table's row for an id (jserr_table.c), NULL when unknown. */
typedef struct jserr_def {
    jserr_id id;           /* = err_code */
    int code;              /* 400, 404, 500, 503 ... */
    const char *tmpl;      /* description with {placeholders} */
} jserr_def;
const jserr_def *jserr_table_find(jserr_id id);

#endif

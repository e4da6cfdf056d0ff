/*
 * jserr.c — fills jserr values from the generated table of nats-server's errors (jserr_table.c):
 * code, err_code and the description with its {placeholders} replaced, as nats-server's
 * NewJS...Error constructors do (one pass, replaced values are not scanned again; a placeholder
 * without a value stays as written). Descriptions longer than the buffer are cut on a UTF-8
 * character boundary so that they stay valid JSON strings.
 */
#include "jserr.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define JSERR_MAX_ARGS 8

typedef struct {
    char *buf;
    size_t cap; /* bytes available including the terminating NUL */
    size_t len;
    bool full;
} jserr_out;

/* Appends n bytes, stopping (for good) at the first UTF-8 character that does not fit. */
static void out_append(jserr_out *o, const char *s, size_t n)
{
    if (o->full)
        return;
    size_t room = o->cap - 1 - o->len;
    if (n > room) {
        n = room;
        /* step back over continuation bytes so no character is cut in half */
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
        o->full = true;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

void jserr_clear(jserr *e)
{
    e->code = 0;
    e->err_code = 0;
    e->description[0] = '\0';
}

int jserr_code(jserr_id id)
{
    const jserr_def *d = jserr_table_find(id);
    return d ? d->code : 500;
}

const char *jserr_template(jserr_id id)
{
    const jserr_def *d = jserr_table_find(id);
    return d ? d->tmpl : NULL;
}

void jserr_set(jserr *e, jserr_id id, ...)
{
    const char *names[JSERR_MAX_ARGS], *values[JSERR_MAX_ARGS];
    size_t nargs = 0;
    va_list ap;
    va_start(ap, id);
    for (;;) {
        const char *name = va_arg(ap, const char *);
        if (!name)
            break;
        const char *value = va_arg(ap, const char *);
        if (nargs < JSERR_MAX_ARGS) {
            names[nargs] = name;
            values[nargs] = value ? value : "";
            nargs++;
        }
    }
    va_end(ap);

    const jserr_def *d = jserr_table_find(id);
    if (!d) {
        e->code = 500;
        e->err_code = (int)id;
        snprintf(e->description, sizeof e->description, "unknown JetStream error %d", (int)id);
        return;
    }
    e->code = d->code;
    e->err_code = (int)d->id;

    jserr_out o = {e->description, sizeof e->description, 0, false};
    e->description[0] = '\0';
    const char *p = d->tmpl;
    while (*p) {
        const char *open = strchr(p, '{');
        if (!open) {
            out_append(&o, p, strlen(p));
            break;
        }
        out_append(&o, p, (size_t)(open - p));
        const char *close = strchr(open + 1, '}');
        if (!close) {
            out_append(&o, open, strlen(open));
            break;
        }
        size_t nlen = (size_t)(close - open - 1);
        size_t i;
        for (i = 0; i < nargs; i++)
            if (strlen(names[i]) == nlen && memcmp(names[i], open + 1, nlen) == 0)
                break;
        if (i < nargs)
            out_append(&o, values[i], strlen(values[i]));
        else
            out_append(&o, open, (size_t)(close - open + 1));
        p = close + 1;
    }
}

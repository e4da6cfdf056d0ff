/*
 * conf_parse.c — reads nats-server's configuration format into the value tree of conf_parse.h.
 *
 * A recursive-descent reader over the whole text that follows the grammar of nats-server's
 * conf/lex.go state machine: where nats-server's lexer accepts something, so do we, with the
 * same meaning; where it fails, we fail with a "FILE:LINE:COL: message" pointing at the cause
 * (an unclosed block or string points at its opening character). A few inputs that nats-server
 * silently turns into something odd are refused instead (an unknown size suffix, a NUL from
 * "\x00"); see docs/CONFIGURATION.md.
 *
 * Variables: `$NAME` looks for NAME among the keys already written in the enclosing maps,
 * innermost first (arrays are skipped), then in the environment, whose value is read as a
 * value in this same format (so FOO=4222 is an integer). An included file has its own scope;
 * its keys are merged into the map holding the `include`.
 */
#include "conf_parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CONF_MAX_DEPTH 64         /* nesting of maps and arrays */
#define CONF_MAX_INCLUDE_DEPTH 16 /* includes within includes; stops include cycles */

/* Shared by a parser and every sub-parser (includes, environment values). */
typedef struct conf_ctx {
    conf_doc *doc;
    char *err;
    size_t errlen;
    bool failed;
} conf_ctx;

/* The maps being built, innermost first: where $variables are looked up. */
typedef struct conf_scope {
    conf_value *map;
    struct conf_scope *up;
} conf_scope;

/* Environment variables being expanded, to detect A=$B, B=$A cycles. */
typedef struct conf_envref {
    const char *name;
    struct conf_envref *up;
} conf_envref;

typedef struct parser {
    conf_ctx *ctx;
    const char *s; /* NUL-terminated text */
    size_t pos;
    int line;
    size_t line_start;
    const char *file; /* interned in ctx->doc */
    const char *dir;  /* base for relative includes ("" = current directory) */
    int depth;
    int include_depth;
    conf_scope *scope;
    conf_envref *env;
    const conf_pos *env_at; /* parsing an environment value: every position is the reference */
    const char *env_name;
} parser;

/* ---- small helpers ---------------------------------------------------------------------- */

static conf_pos here(const parser *p)
{
    if (p->env_at)
        return *p->env_at;
    conf_pos at = {p->file, p->line, (int)(p->pos - p->line_start) + 1};
    return at;
}

__attribute__((format(printf, 3, 4))) static void failf(parser *p, conf_pos at, const char *fmt,
                                                        ...)
{
    conf_ctx *c = p->ctx;
    if (c->failed)
        return;
    c->failed = true;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (p->env_name)
        snprintf(c->err, c->errlen, "%s:%d:%d: environment variable \"%s\": %s", at.file, at.line,
                 at.col, p->env_name, msg);
    else
        snprintf(c->err, c->errlen, "%s:%d:%d: %s", at.file, at.line, at.col, msg);
}

static void oom(parser *p) { failf(p, here(p), "out of memory"); }

/* Describes a character for a message: 'x', a new line, end of file, byte 0xHH. */
static const char *show_char(int c, char buf[16])
{
    if (c == 0)
        return "end of file";
    if (c == '\n' || c == '\r')
        return "a new line";
    if (c > 32 && c < 127)
        snprintf(buf, 16, "'%c'", c);
    else
        snprintf(buf, 16, "byte 0x%02x", (unsigned)(unsigned char)c);
    return buf;
}

static int peek(const parser *p) { return (unsigned char)p->s[p->pos]; }
static int peek_at(const parser *p, size_t k)
{
    for (size_t i = 0; i < k; i++)
        if (!p->s[p->pos + i])
            return 0;
    return (unsigned char)p->s[p->pos + k];
}

static void adv(parser *p)
{
    if (!p->s[p->pos])
        return;
    if (p->s[p->pos] == '\n') {
        p->line++;
        p->line_start = p->pos + 1;
    }
    p->pos++;
}

static bool is_ws(int c) { return c == ' ' || c == '\t'; }
static bool is_nl(int c) { return c == '\n' || c == '\r'; }
static bool is_space(int c) { return is_ws(c) || is_nl(c) || c == '\v' || c == '\f'; }
static bool is_digit(int c) { return c >= '0' && c <= '9'; }
static bool at_comment(const parser *p)
{
    return peek(p) == '#' || (peek(p) == '/' && peek_at(p, 1) == '/');
}

static void skip_ws(parser *p)
{
    while (is_ws(peek(p)))
        adv(p);
}

static void skip_comment(parser *p)
{
    while (peek(p) && !is_nl(peek(p)))
        adv(p);
}

/* Skips spaces, new lines and comments. */
static void skip_blank(parser *p)
{
    for (;;) {
        if (is_space(peek(p)))
            adv(p);
        else if (at_comment(p))
            skip_comment(p);
        else
            return;
    }
}

/* Growable byte buffer for strings with escapes. */
typedef struct sbuf {
    char *b;
    size_t n, cap;
} sbuf;

static int sb_put(sbuf *sb, const char *s, size_t n)
{
    if (sb->n + n + 1 > sb->cap) {
        size_t cap = sb->cap ? sb->cap * 2 : 32;
        while (cap < sb->n + n + 1)
            cap *= 2;
        char *b = realloc(sb->b, cap);
        if (!b)
            return -1;
        sb->b = b;
        sb->cap = cap;
    }
    memcpy(sb->b + sb->n, s, n);
    sb->n += n;
    sb->b[sb->n] = 0;
    return 0;
}

static char *sb_take(sbuf *sb)
{
    if (!sb->b && sb_put(sb, "", 0) < 0)
        return NULL;
    char *b = sb->b;
    sb->b = NULL;
    sb->n = sb->cap = 0;
    return b;
}

/* ---- the value tree --------------------------------------------------------------------- */

const char *conf_type_name(conf_type t)
{
    switch (t) {
    case CONF_STRING: return "string";
    case CONF_INT: return "integer";
    case CONF_FLOAT: return "float";
    case CONF_BOOL: return "boolean";
    case CONF_ARRAY: return "array";
    case CONF_MAP: return "map";
    }
    return "?";
}

static void value_free(conf_value *v)
{
    if (!v)
        return;
    free(v->text);
    for (size_t i = 0; v->type == CONF_ARRAY && i < v->n; i++)
        value_free(v->items[i]);
    for (size_t i = 0; v->type == CONF_MAP && i < v->n; i++) {
        free(v->entries[i].key);
        value_free(v->entries[i].value);
    }
    free(v->items);
    free(v->entries);
    free(v);
}

static conf_value *value_new(parser *p, conf_type t, conf_pos at)
{
    conf_value *v = calloc(1, sizeof *v);
    if (!v) {
        oom(p);
        return NULL;
    }
    v->type = t;
    v->pos = at;
    return v;
}

static conf_value *value_copy(const conf_value *v)
{
    conf_value *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    *c = *v;
    c->text = NULL;
    c->items = NULL;
    c->entries = NULL;
    c->n = c->cap = 0;
    if (v->text && !(c->text = strdup(v->text)))
        goto fail;
    if (v->type == CONF_ARRAY && v->n) {
        if (!(c->items = calloc(v->n, sizeof *c->items)))
            goto fail;
        c->cap = v->n;
        for (; c->n < v->n; c->n++)
            if (!(c->items[c->n] = value_copy(v->items[c->n])))
                goto fail;
    }
    if (v->type == CONF_MAP && v->n) {
        if (!(c->entries = calloc(v->n, sizeof *c->entries)))
            goto fail;
        c->cap = v->n;
        for (; c->n < v->n; c->n++) {
            conf_entry *d = &c->entries[c->n];
            *d = v->entries[c->n];
            d->value = value_copy(v->entries[c->n].value);
            d->key = strdup(v->entries[c->n].key);
            if (!d->value || !d->key) {
                c->n++; /* so that value_free releases the half-made entry */
                goto fail;
            }
        }
    }
    return c;
fail:
    value_free(c);
    return NULL;
}

static int array_push(parser *p, conf_value *a, conf_value *item)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 4;
        conf_value **items = realloc(a->items, cap * sizeof *items);
        if (!items) {
            oom(p);
            value_free(item);
            return -1;
        }
        a->items = items;
        a->cap = cap;
    }
    a->items[a->n++] = item;
    return 0;
}

/* Sets key (taken over) to value (taken over) in map; a key already present gets the new value.
 * Returns the entry, or NULL when out of memory (both are freed then). */
static conf_entry *map_set(parser *p, conf_value *m, char *key, conf_pos at, conf_value *value)
{
    for (size_t i = 0; i < m->n; i++) {
        conf_entry *e = &m->entries[i];
        if (strcmp(e->key, key) == 0) {
            free(key);
            value_free(e->value);
            e->value = value;
            e->pos = at;
            e->used_as_variable = false;
            return e;
        }
    }
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 8;
        conf_entry *entries = realloc(m->entries, cap * sizeof *entries);
        if (!entries) {
            oom(p);
            free(key);
            value_free(value);
            return NULL;
        }
        m->entries = entries;
        m->cap = cap;
    }
    conf_entry *e = &m->entries[m->n++];
    e->key = key;
    e->pos = at;
    e->value = value;
    e->used_as_variable = false;
    return e;
}

static const char *intern_file(conf_ctx *c, const char *name)
{
    conf_doc *d = c->doc;
    for (size_t i = 0; i < d->nfiles; i++)
        if (strcmp(d->files[i], name) == 0)
            return d->files[i];
    char **files = realloc(d->files, (d->nfiles + 1) * sizeof *files);
    if (!files)
        return NULL;
    d->files = files;
    if (!(files[d->nfiles] = strdup(name)))
        return NULL;
    return files[d->nfiles++];
}

/* ---- values ----------------------------------------------------------------------------- */

static conf_value *parse_value(parser *p, const char *key, bool newline_ok);
static int parse_body(parser *p, conf_value *map, bool braces, conf_pos open);
static conf_value *parse_document(parser *p);

/* Reads one escape sequence (at the backslash) into sb. */
static int parse_escape(parser *p, sbuf *sb)
{
    conf_pos at = here(p);
    adv(p);
    int c = peek(p);
    const char *rep = NULL;
    switch (c) {
    case 't': rep = "\t"; break;
    case 'n': rep = "\n"; break;
    case 'r': rep = "\r"; break;
    case '"': rep = "\""; break;
    case '\\': rep = "\\"; break;
    case 'x': {
        adv(p);
        int h = peek(p), l = peek_at(p, 1);
        if (!isxdigit(h) || !isxdigit(l)) {
            failf(p, at, "expected two hexadecimal digits after '\\x'");
            return -1;
        }
        char byte = (char)((isdigit(h) ? h - '0' : tolower(h) - 'a' + 10) * 16 +
                           (isdigit(l) ? l - '0' : tolower(l) - 'a' + 10));
        if (!byte) {
            failf(p, at, "'\\x00' is not allowed in a string");
            return -1;
        }
        adv(p);
        adv(p);
        if (sb_put(sb, &byte, 1) < 0) {
            oom(p);
            return -1;
        }
        return 0;
    }
    default: {
        char b[16];
        failf(p, at,
              "invalid escape character %s: only \\xXX, \\t, \\n, \\r, \\\" and \\\\ are allowed",
              show_char(c, b));
        return -1;
    }
    }
    adv(p);
    if (sb_put(sb, rep, 1) < 0) {
        oom(p);
        return -1;
    }
    return 0;
}

static conf_value *make_string(parser *p, conf_pos at, char *text)
{
    if (!text) {
        oom(p);
        return NULL;
    }
    conf_value *v = value_new(p, CONF_STRING, at);
    if (!v) {
        free(text);
        return NULL;
    }
    v->text = text;
    return v;
}

static conf_value *parse_raw_string(parser *p, conf_pos at)
{
    adv(p);
    size_t start = p->pos;
    while (peek(p) != '\'') {
        if (!peek(p)) {
            failf(p, at, "unterminated string: end of file reached before the closing '");
            return NULL;
        }
        adv(p);
    }
    char *text = strndup(p->s + start, p->pos - start);
    adv(p);
    return make_string(p, at, text);
}

static conf_value *parse_quoted_string(parser *p, conf_pos at)
{
    sbuf sb = {0};
    adv(p);
    for (;;) {
        int c = peek(p);
        if (!c) {
            failf(p, at, "unterminated string: end of file reached before the closing \"");
            goto fail;
        }
        if (c == '"') {
            adv(p);
            break;
        }
        if (c == '\\') {
            if (parse_escape(p, &sb) < 0)
                goto fail;
            continue;
        }
        if (sb_put(&sb, p->s + p->pos, 1) < 0) {
            oom(p);
            goto fail;
        }
        adv(p);
    }
    return make_string(p, at, sb_take(&sb));
fail:
    free(sb.b);
    return NULL;
}

/* `( ... )`: multi-line text up to a line holding only ')'. */
static conf_value *parse_block_string(parser *p, conf_pos at)
{
    adv(p);
    size_t start = p->pos;
    for (;;) {
        int c = peek(p);
        if (!c) {
            failf(p, at, "unclosed '(': end of file reached before a line holding only ')'");
            return NULL;
        }
        int after = peek_at(p, 2);
        if (c == '\n' && peek_at(p, 1) == ')' && (after == 0 || is_nl(after))) {
            char *text = strndup(p->s + start, p->pos - start);
            adv(p);
            adv(p);
            return make_string(p, at, text);
        }
        adv(p);
    }
}

static conf_value *resolve_variable(parser *p, const char *name, conf_pos at)
{
    if (!strncmp(name, "2a$", 3) || !strncmp(name, "2b$", 3) || !strncmp(name, "2y$", 3)) {
        /* an unquoted bcrypt hash, as nats-server reads it */
        size_t n = strlen(name);
        char *text = malloc(n + 2);
        if (text) {
            text[0] = '$';
            memcpy(text + 1, name, n + 1);
        }
        return make_string(p, at, text);
    }
    if (!*name) {
        failf(p, at, "'$' must be followed by a variable name");
        return NULL;
    }
    for (conf_scope *sc = p->scope; sc; sc = sc->up) {
        for (size_t i = 0; i < sc->map->n; i++) {
            conf_entry *e = &sc->map->entries[i];
            if (strcmp(e->key, name) != 0)
                continue;
            e->used_as_variable = true;
            conf_value *v = value_copy(e->value);
            if (!v) {
                oom(p);
                return NULL;
            }
            v->pos = at;
            v->flags |= CONF_FLAG_VARIABLE;
            return v;
        }
    }
    for (conf_envref *r = p->env; r; r = r->up) {
        if (strcmp(r->name, name) == 0) {
            failf(p, at, "variable reference cycle for \"%s\"", name);
            return NULL;
        }
    }
    const char *text = getenv(name);
    if (!text) {
        failf(p, at, "variable reference for \"%s\" can not be found", name);
        return NULL;
    }
    conf_envref ref = {name, p->env};
    parser q = {
        .ctx = p->ctx,
        .s = text,
        .line = 1,
        .file = p->file,
        .dir = p->dir,
        .depth = p->depth,
        .include_depth = p->include_depth,
        .env = &ref,
        .env_at = &at,
        .env_name = name,
    };
    skip_ws(&q);
    conf_value *v = parse_value(&q, name, false);
    if (!v)
        return NULL;
    skip_ws(&q);
    if (peek(&q)) {
        char b[16];
        failf(&q, at, "unexpected %s after the value", show_char(peek(&q), b));
        value_free(v);
        return NULL;
    }
    v->flags |= CONF_FLAG_VARIABLE;
    return v;
}

/* Terminators of unquoted strings and numbers. */
static bool is_value_end(int c)
{
    return c == 0 || is_space(c) || c == ';' || c == ',' || c == ']' || c == '}';
}

/* An unquoted string whose first bytes, from start, have already been consumed. */
static conf_value *parse_unquoted(parser *p, conf_pos at, size_t start)
{
    sbuf sb = {0};
    bool escaped = false;
    if (sb_put(&sb, p->s + start, p->pos - start) < 0)
        goto nomem;
    while (!is_value_end(peek(p))) {
        if (peek(p) == '\\') {
            escaped = true;
            if (parse_escape(p, &sb) < 0)
                goto fail;
            continue;
        }
        if (sb_put(&sb, p->s + p->pos, 1) < 0)
            goto nomem;
        adv(p);
    }
    char *text = sb_take(&sb);
    if (!text)
        goto nomem;
    if (!escaped) {
        static const char *const yes[] = {"true", "yes", "on"};
        static const char *const no[] = {"false", "no", "off"};
        for (int i = 0; i < 3; i++) {
            if (!strcasecmp(text, yes[i]) || !strcasecmp(text, no[i])) {
                conf_value *v = value_new(p, CONF_BOOL, at);
                if (v)
                    v->b = !strcasecmp(text, yes[i]);
                free(text);
                return v;
            }
        }
        if (text[0] == '$') {
            conf_value *v = resolve_variable(p, text + 1, at);
            free(text);
            return v;
        }
    }
    return make_string(p, at, text);
nomem:
    oom(p);
fail:
    free(sb.b);
    return NULL;
}

static bool is_size_suffix(int c) { return c && strchr("kKmMgGtTpPeE", c) != NULL; }

/* Integer text with an optional size suffix -> value. */
static conf_value *make_integer(parser *p, conf_pos at, size_t start, size_t end)
{
    static const struct {
        const char *suffix;
        int64_t mult;
    } suffixes[] = {
        {"", 1},
        {"k", 1000LL}, {"kb", 1LL << 10}, {"ki", 1LL << 10}, {"kib", 1LL << 10},
        {"m", 1000000LL}, {"mb", 1LL << 20}, {"mi", 1LL << 20}, {"mib", 1LL << 20},
        {"g", 1000000000LL}, {"gb", 1LL << 30}, {"gi", 1LL << 30}, {"gib", 1LL << 30},
        {"t", 1000000000000LL}, {"tb", 1LL << 40}, {"ti", 1LL << 40}, {"tib", 1LL << 40},
        {"p", 1000000000000000LL}, {"pb", 1LL << 50}, {"pi", 1LL << 50}, {"pib", 1LL << 50},
        {"e", 1000000000000000000LL}, {"eb", 1LL << 60}, {"ei", 1LL << 60}, {"eib", 1LL << 60},
    };
    char *text = strndup(p->s + start, end - start);
    if (!text) {
        oom(p);
        return NULL;
    }
    const char *q = text;
    bool neg = *q == '-';
    if (neg)
        q++;
    int64_t num = 0;
    bool range = true;
    for (; is_digit(*q); q++) {
        int d = *q - '0';
        if (num > (INT64_MAX - d) / 10)
            range = false;
        else
            num = num * 10 + d;
    }
    if (neg)
        num = -num;
    int64_t mult = 0;
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++)
        if (!strcasecmp(q, suffixes[i].suffix))
            mult = suffixes[i].mult;
    if (!mult) {
        failf(p, at, "invalid size suffix in '%s'", text);
        free(text);
        return NULL;
    }
    if (range && mult > 1 && (num > INT64_MAX / mult || num < INT64_MIN / mult))
        range = false;
    if (!range) {
        failf(p, at, "integer '%s' is out of range", text);
        free(text);
        return NULL;
    }
    conf_value *v = value_new(p, CONF_INT, at);
    if (!v) {
        free(text);
        return NULL;
    }
    v->i = num * mult;
    v->text = text;
    if (*q)
        v->flags |= CONF_FLAG_SUFFIX;
    return v;
}

/* Integer, float, date-time, IP address, or an unquoted string that starts with a digit. */
static conf_value *parse_number(parser *p, conf_pos at)
{
    size_t start = p->pos;
    bool neg = peek(p) == '-';
    if (neg)
        adv(p);
    size_t digits = p->pos;
    while (is_digit(peek(p)))
        adv(p);
    int c = peek(p);
    if (!neg && c == '-' && p->pos - digits == 4) {
        /* a Zulu date-time YYYY-MM-DDTHH:MM:SSZ, kept as a string */
        static const char fmt[] = "-00-00T00:00:00Z";
        for (const char *f = fmt; *f; f++) {
            int d = peek(p);
            if (*f == '0' ? !is_digit(d) : d != *f) {
                failf(p, at, "invalid date-time: expected the form YYYY-MM-DDTHH:MM:SSZ");
                return NULL;
            }
            adv(p);
        }
        return make_string(p, at, strndup(p->s + start, p->pos - start));
    }
    if (c == '.') {
        if (!is_digit(peek_at(p, 1))) {
            char b[16];
            adv(p);
            failf(p, here(p), "a float needs a digit after the '.', found %s",
                  show_char(peek(p), b));
            return NULL;
        }
        adv(p);
        while (is_digit(peek(p)))
            adv(p);
        if (peek(p) == '.') { /* an IP address, maybe with a port: 127.0.0.1:4222 */
            while (is_digit(peek(p)) || peek(p) == '.' || peek(p) == ':' || peek(p) == '-')
                adv(p);
            return make_string(p, at, strndup(p->s + start, p->pos - start));
        }
        char *text = strndup(p->s + start, p->pos - start);
        if (!text) {
            oom(p);
            return NULL;
        }
        conf_value *v = value_new(p, CONF_FLOAT, at);
        if (!v) {
            free(text);
            return NULL;
        }
        v->f = strtod(text, NULL);
        v->text = text;
        return v;
    }
    if (is_size_suffix(c)) {
        adv(p);
        while (peek(p) && strchr("bBiI", peek(p)))
            adv(p);
        if (is_value_end(peek(p)))
            return make_integer(p, at, start, p->pos);
        return parse_unquoted(p, at, start); /* e.g. 500ms, 1m30s */
    }
    if (is_value_end(c) || neg)
        return make_integer(p, at, start, p->pos);
    return parse_unquoted(p, at, start); /* e.g. 30s, 1h, 5abc */
}

static conf_value *parse_array(parser *p, const char *key, conf_pos at)
{
    conf_value *a = value_new(p, CONF_ARRAY, at);
    if (!a)
        return NULL;
    adv(p);
    char b[16];
    for (;;) {
        skip_blank(p);
        int c = peek(p);
        if (!c)
            goto unclosed;
        if (c == ']') {
            adv(p);
            return a;
        }
        if (c == ',') {
            failf(p, here(p), "unexpected ',' in array");
            goto fail;
        }
        conf_value *item = parse_value(p, key, true);
        if (!item || array_push(p, a, item) < 0)
            goto fail;
        skip_ws(p);
        if (at_comment(p))
            skip_comment(p);
        c = peek(p);
        if (c == ',' || is_nl(c)) {
            adv(p);
        } else if (c == ']') {
            adv(p);
            return a;
        } else if (!c) {
            goto unclosed;
        } else {
            failf(p, here(p), "expected ',' or ']' after an array item, found %s",
                  show_char(c, b));
            goto fail;
        }
    }
unclosed:
    failf(p, at, "unclosed '[': end of file reached before its ']'");
fail:
    value_free(a);
    return NULL;
}

static conf_value *parse_map(parser *p, conf_pos at)
{
    conf_value *m = value_new(p, CONF_MAP, at);
    if (!m)
        return NULL;
    adv(p);
    conf_scope sc = {m, p->scope};
    p->scope = &sc;
    int rc = parse_body(p, m, true, at);
    p->scope = sc.up;
    if (rc < 0) {
        value_free(m);
        return NULL;
    }
    return m;
}

/* A value where one is expected; key names it in messages. newline_ok: new lines before the
 * value are skipped (inside maps and arrays) rather than refused (at the top level). */
static conf_value *parse_value(parser *p, const char *key, bool newline_ok)
{
    if (newline_ok) {
        while (is_space(peek(p)))
            adv(p);
    } else {
        skip_ws(p);
    }
    conf_pos at = here(p);
    int c = peek(p);
    char b[16];
    if (p->depth >= CONF_MAX_DEPTH) {
        failf(p, at, "maps and arrays are nested too deeply");
        return NULL;
    }
    conf_value *v = NULL;
    p->depth++;
    switch (c) {
    case 0:
    case '\n':
    case '\r':
    case '}':
    case ']':
    case ',':
    case ';':
        failf(p, at, "expected a value for \"%s\", found %s", key, show_char(c, b));
        break;
    case '[': v = parse_array(p, key, at); break;
    case '{': v = parse_map(p, at); break;
    case '\'': v = parse_raw_string(p, at); break;
    case '"': v = parse_quoted_string(p, at); break;
    case '(': v = parse_block_string(p, at); break;
    case '.': failf(p, at, "a float must start with a digit, not '.'"); break;
    case '-':
        if (is_digit(peek_at(p, 1)))
            v = parse_number(p, at);
        else
            failf(p, at, "expected a digit after '-'");
        break;
    default:
        if (at_comment(p))
            failf(p, at, "expected a value for \"%s\", found a comment", key);
        else if (is_digit(c))
            v = parse_number(p, at);
        else
            v = parse_unquoted(p, at, p->pos);
        break;
    }
    p->depth--;
    return v;
}

/* ---- keys, includes, blocks ------------------------------------------------------------- */

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup("");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

static int read_whole_file(const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t n = 0, cap = 4096;
    char *b = malloc(cap);
    if (!b) {
        fclose(f);
        errno = ENOMEM;
        return -1;
    }
    for (;;) {
        if (n + 1 >= cap) {
            char *nb = realloc(b, cap * 2);
            if (!nb) {
                free(b);
                fclose(f);
                errno = ENOMEM;
                return -1;
            }
            b = nb;
            cap *= 2;
        }
        size_t r = fread(b + n, 1, cap - n - 1, f);
        n += r;
        if (r == 0) {
            if (ferror(f)) {
                int e = errno ? errno : EIO;
                free(b);
                fclose(f);
                errno = e;
                return -1;
            }
            break;
        }
    }
    fclose(f);
    b[n] = 0;
    *out = b;
    *len = n;
    return 0;
}

/* Parses a whole text as a document of its own (the main file or an included one). */
static conf_value *parse_text(conf_ctx *ctx, const char *name, const char *text, size_t len,
                              int include_depth)
{
    const char *file = intern_file(ctx, name);
    char *dir = dir_of(name);
    parser p = {.ctx = ctx, .s = text, .line = 1, .file = file, .dir = dir,
                .include_depth = include_depth};
    conf_value *root = NULL;
    if (!file || !dir) {
        ctx->failed = true;
        snprintf(ctx->err, ctx->errlen, "%s: out of memory", name);
    } else if (strlen(text) != len) {
        while (p.s[p.pos])
            adv(&p);
        failf(&p, here(&p), "unexpected NUL byte");
    } else {
        root = parse_document(&p);
    }
    free(dir);
    return root;
}

static int parse_include(parser *p, conf_value *map, conf_pos at)
{
    skip_ws(p);
    int c = peek(p);
    char b[16];
    char *name = NULL;
    conf_pos name_at = here(p);
    if (c == '\'' || c == '"') {
        adv(p);
        size_t start = p->pos;
        while (peek(p) != c) {
            if (!peek(p) || is_nl(peek(p))) {
                failf(p, name_at, "unterminated include file name");
                return -1;
            }
            adv(p);
        }
        name = strndup(p->s + start, p->pos - start);
        adv(p);
    } else if (!c || is_nl(c) || strchr("[{(\\;}", c)) {
        failf(p, name_at, "expected a file name after include, found %s", show_char(c, b));
        return -1;
    } else {
        size_t start = p->pos;
        while (!is_space(peek(p)) && peek(p) && peek(p) != ';' && peek(p) != '}')
            adv(p);
        name = strndup(p->s + start, p->pos - start);
    }
    if (!name) {
        oom(p);
        return -1;
    }
    if (!*name) {
        failf(p, name_at, "expected a file name after include");
        free(name);
        return -1;
    }
    if (p->env_at) { /* `{include x}` inside an environment variable's value */
        failf(p, at, "include is not allowed here");
        free(name);
        return -1;
    }
    char *path;
    if (name[0] == '/' || !*p->dir)
        path = strdup(name);
    else if (asprintf(&path, "%s%s%s", p->dir, strcmp(p->dir, "/") ? "/" : "", name) < 0)
        path = NULL;
    free(name);
    if (!path) {
        oom(p);
        return -1;
    }
    if (p->include_depth >= CONF_MAX_INCLUDE_DEPTH) {
        failf(p, at, "includes are nested too deeply (does \"%s\" include itself?)", path);
        free(path);
        return -1;
    }
    char *text;
    size_t len;
    if (read_whole_file(path, &text, &len) < 0) {
        failf(p, at, "cannot read include file \"%s\": %s", path, strerror(errno));
        free(path);
        return -1;
    }
    conf_value *root = parse_text(p->ctx, path, text, len, p->include_depth + 1);
    free(text);
    free(path);
    if (!root)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < root->n; i++) {
        conf_entry *src = &root->entries[i];
        bool used = src->used_as_variable;
        conf_entry *dst = rc == 0 ? map_set(p, map, src->key, src->pos, src->value) : NULL;
        if (dst)
            dst->used_as_variable = used;
        else if (rc == 0)
            rc = -1; /* map_set freed key and value */
        else {
            free(src->key);
            value_free(src->value);
        }
    }
    root->n = 0;
    value_free(root);
    return rc;
}

/* One `key [=|:] value` (or `include FILE`) into map. in_map: inside braces. The key (or
 * "include") is copied into keybuf for the caller's messages. */
static int parse_entry(parser *p, conf_value *map, bool in_map, char *keybuf, size_t keylen)
{
    conf_pos at = here(p);
    int c = peek(p);
    char b[16];
    char *key;
    bool quoted = c == '"' || c == '\'';
    if (quoted) {
        adv(p);
        size_t start = p->pos;
        while (peek(p) != c) {
            if (!peek(p)) {
                failf(p, at, "unterminated quoted key: end of file reached before its closing %c",
                      c);
                return -1;
            }
            adv(p);
        }
        key = strndup(p->s + start, p->pos - start);
        adv(p);
    } else {
        size_t start = p->pos;
        while (!is_space(peek(p)) && !strchr("=:{[},;", peek(p))) /* strchr finds the NUL */
            adv(p);
        if (p->pos == start) {
            failf(p, at, "expected a key, found %s", show_char(c, b));
            return -1;
        }
        key = strndup(p->s + start, p->pos - start);
    }
    if (!key) {
        oom(p);
        return -1;
    }
    snprintf(keybuf, keylen, "%s", key);
    if (!quoted && !strcasecmp(key, "include") && is_space(peek(p))) {
        free(key);
        return parse_include(p, map, at);
    }
    while (is_space(peek(p)))
        adv(p);
    c = peek(p);
    if (!c || c == '}') {
        failf(p, at, "key \"%s\" has no value", key);
        free(key);
        return -1;
    }
    if (c == '=' || c == ':')
        adv(p);
    conf_value *v = parse_value(p, key, in_map);
    if (!v) {
        free(key);
        return -1;
    }
    return map_set(p, map, key, at, v) ? 0 : -1;
}

/* The entries of a map body until '}' (braces) or the end of the text. */
static int parse_body(parser *p, conf_value *map, bool braces, conf_pos open)
{
    char b[16], key[128];
    for (;;) {
        skip_blank(p);
        int c = peek(p);
        if (!c) {
            if (!braces)
                return 0;
            failf(p, open, "unclosed '{': end of file reached before its '}'");
            return -1;
        }
        if (c == '}') {
            if (braces) {
                adv(p);
                return 0;
            }
            failf(p, here(p), "unexpected '}' with no '{' open");
            return -1;
        }
        if (parse_entry(p, map, braces, key, sizeof key) < 0)
            return -1;
        skip_ws(p);
        c = peek(p);
        if (!c || c == '}' || at_comment(p))
            continue;
        if (is_nl(c) || c == ',' || c == ';') {
            adv(p);
            continue;
        }
        failf(p, here(p), "expected a new line, ',' or ';' after the value of \"%s\", found %s",
              key, show_char(c, b));
        return -1;
    }
}

static conf_value *parse_document(parser *p)
{
    conf_pos start = {p->file, 1, 1};
    conf_value *root = value_new(p, CONF_MAP, start);
    if (!root)
        return NULL;
    conf_scope sc = {root, NULL};
    p->scope = &sc;
    int rc;
    skip_blank(p);
    if (peek(p) == '{') { /* the whole document in braces, as JSON is */
        conf_pos open = here(p);
        adv(p);
        rc = parse_body(p, root, true, open);
        skip_blank(p);
        if (rc == 0 && peek(p)) {
            char b[16];
            failf(p, here(p), "unexpected %s after the closing '}'", show_char(peek(p), b));
            rc = -1;
        }
    } else {
        rc = parse_body(p, root, false, start);
    }
    p->scope = NULL;
    if (rc < 0) {
        value_free(root);
        return NULL;
    }
    return root;
}

/* ---- public ----------------------------------------------------------------------------- */

void conf_doc_free(conf_doc *doc)
{
    if (!doc)
        return;
    value_free(doc->root);
    for (size_t i = 0; i < doc->nfiles; i++)
        free(doc->files[i]);
    free(doc->files);
    free(doc);
}

static conf_doc *parse_top(const char *name, const char *text, size_t len, char *err,
                           size_t errlen)
{
    conf_doc *doc = calloc(1, sizeof *doc);
    if (!doc) {
        snprintf(err, errlen, "%s: out of memory", name);
        return NULL;
    }
    conf_ctx ctx = {.doc = doc, .err = err, .errlen = errlen};
    doc->root = parse_text(&ctx, name, text, len, 0);
    if (!doc->root) {
        conf_doc_free(doc);
        return NULL;
    }
    return doc;
}

conf_doc *conf_parse_string(const char *name, const char *text, char *err, size_t errlen)
{
    if (errlen)
        err[0] = 0;
    return parse_top(name, text, strlen(text), err, errlen);
}

conf_doc *conf_parse_file(const char *path, char *err, size_t errlen)
{
    if (errlen)
        err[0] = 0;
    char *text;
    size_t len;
    if (read_whole_file(path, &text, &len) < 0) {
        snprintf(err, errlen, "%s: cannot read configuration file: %s", path, strerror(errno));
        return NULL;
    }
    conf_doc *doc = parse_top(path, text, len, err, errlen);
    free(text);
    return doc;
}

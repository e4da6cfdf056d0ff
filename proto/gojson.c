/*
 * gojson.c — a JSON syntax checker that fails where Go's encoding/json scanner fails and says
 * what it says (see gojson.h). It follows the scanner's states one byte at a time: the message
 * names the first byte that cannot continue the value and what the scanner was looking for,
 * and the end of input is handled as Go does, by feeding one blank (so "1." ends with "invalid
 * character ' ' after decimal point in numeric literal", "[1" with "unexpected end of JSON
 * input").
 */
#include "gojson.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

enum { PS_OBJECT_KEY, PS_OBJECT_VALUE, PS_ARRAY_VALUE };

typedef enum {
    ST_BEGIN_VALUE_OR_EMPTY,
    ST_BEGIN_VALUE,
    ST_BEGIN_STRING_OR_EMPTY,
    ST_BEGIN_STRING,
    ST_END_VALUE,
    ST_END_TOP,
    ST_IN_STRING,
    ST_IN_STRING_ESC,
    ST_IN_STRING_ESC_U, /* + 0..3 hex digits seen */
    ST_IN_STRING_ESC_U1,
    ST_IN_STRING_ESC_U12,
    ST_IN_STRING_ESC_U123,
    ST_NEG,
    ST_1,
    ST_0,
    ST_DOT,
    ST_DOT0,
    ST_E,
    ST_ESIGN,
    ST_E0,
    ST_LITERAL, /* inside true/false/null: `lit` and `litpos` say where */
} state;

typedef struct scanner {
    state st;
    unsigned char stack[GOJSON_MAX_DEPTH + 1];
    size_t depth;
    bool end_top;
    const char *lit; /* the literal being read */
    size_t litpos;   /* bytes of it already matched */
    char *msg;
    size_t cap;
    bool failed;
} scanner;

const char *gojson_quote_char(unsigned char c, char out[16])
{
    if (c == '\'') {
        snprintf(out, 16, "'\\''");
        return out;
    }
    if (c == '"') {
        snprintf(out, 16, "'\"'");
        return out;
    }
    /* strconv.Quote(string(rune(c))) between single quotes */
    switch (c) {
    case '\a': snprintf(out, 16, "'\\a'"); return out;
    case '\b': snprintf(out, 16, "'\\b'"); return out;
    case '\f': snprintf(out, 16, "'\\f'"); return out;
    case '\n': snprintf(out, 16, "'\\n'"); return out;
    case '\r': snprintf(out, 16, "'\\r'"); return out;
    case '\t': snprintf(out, 16, "'\\t'"); return out;
    case '\v': snprintf(out, 16, "'\\v'"); return out;
    case '\\': snprintf(out, 16, "'\\\\'"); return out;
    default: break;
    }
    if (c < 0x20 || c == 0x7f)
        snprintf(out, 16, "'\\x%02x'", c);
    else if (c < 0x7f)
        snprintf(out, 16, "'%c'", c);
    else if (c < 0xa1 || c == 0xad) /* C1 controls, no-break space, soft hyphen: not printable */
        snprintf(out, 16, "'\\u%04x'", c);
    else /* the rune U+00A1..U+00FF, written in UTF-8 */
        snprintf(out, 16, "'%c%c'", 0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    return out;
}

static void fail(scanner *s, unsigned char c, const char *context)
{
    char q[16];
    snprintf(s->msg, s->cap, "invalid character %s %s", gojson_quote_char(c, q), context);
    s->failed = true;
}

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static void push(scanner *s, unsigned char c, unsigned char ps, state next)
{
    if (s->depth >= GOJSON_MAX_DEPTH) {
        fail(s, c, "exceeded max depth");
        return;
    }
    s->stack[s->depth++] = ps;
    s->st = next;
}

static void step(scanner *s, unsigned char c);

static void begin_value(scanner *s, unsigned char c)
{
    if (is_space(c))
        return;
    switch (c) {
    case '{': push(s, c, PS_OBJECT_KEY, ST_BEGIN_STRING_OR_EMPTY); return;
    case '[': push(s, c, PS_ARRAY_VALUE, ST_BEGIN_VALUE_OR_EMPTY); return;
    case '"': s->st = ST_IN_STRING; return;
    case '-': s->st = ST_NEG; return;
    case '0': s->st = ST_0; return;
    case 't': s->st = ST_LITERAL; s->lit = "true"; s->litpos = 1; return;
    case 'f': s->st = ST_LITERAL; s->lit = "false"; s->litpos = 1; return;
    case 'n': s->st = ST_LITERAL; s->lit = "null"; s->litpos = 1; return;
    default: break;
    }
    if (c >= '1' && c <= '9') {
        s->st = ST_1;
        return;
    }
    fail(s, c, "looking for beginning of value");
}

static void end_value(scanner *s, unsigned char c)
{
    if (s->depth == 0) {
        s->st = ST_END_TOP;
        s->end_top = true;
        step(s, c);
        return;
    }
    if (is_space(c)) {
        s->st = ST_END_VALUE;
        return;
    }
    unsigned char *ps = &s->stack[s->depth - 1];
    switch (*ps) {
    case PS_OBJECT_KEY:
        if (c == ':') {
            *ps = PS_OBJECT_VALUE;
            s->st = ST_BEGIN_VALUE;
            return;
        }
        fail(s, c, "after object key");
        return;
    case PS_OBJECT_VALUE:
        if (c == ',') {
            *ps = PS_OBJECT_KEY;
            s->st = ST_BEGIN_STRING;
            return;
        }
        if (c == '}') {
            s->depth--;
            s->st = s->depth == 0 ? ST_END_TOP : ST_END_VALUE;
            s->end_top = s->depth == 0;
            return;
        }
        fail(s, c, "after object key:value pair");
        return;
    default:
        if (c == ',') {
            s->st = ST_BEGIN_VALUE;
            return;
        }
        if (c == ']') {
            s->depth--;
            s->st = s->depth == 0 ? ST_END_TOP : ST_END_VALUE;
            s->end_top = s->depth == 0;
            return;
        }
        fail(s, c, "after array element");
        return;
    }
}

static void literal(scanner *s, unsigned char c)
{
    char want = s->lit[s->litpos];
    if (c != (unsigned char)want) {
        char ctx[64];
        snprintf(ctx, sizeof ctx, "in literal %s (expecting '%c')", s->lit, want);
        fail(s, c, ctx);
        return;
    }
    if (s->lit[++s->litpos] == '\0')
        s->st = ST_END_VALUE;
}

static void step(scanner *s, unsigned char c)
{
    switch (s->st) {
    case ST_BEGIN_VALUE_OR_EMPTY:
        if (is_space(c))
            return;
        if (c == ']') {
            end_value(s, c);
            return;
        }
        begin_value(s, c);
        return;
    case ST_BEGIN_VALUE:
        begin_value(s, c);
        return;
    case ST_BEGIN_STRING_OR_EMPTY:
        if (is_space(c))
            return;
        if (c == '}') {
            s->stack[s->depth - 1] = PS_OBJECT_VALUE;
            end_value(s, c);
            return;
        }
        /* fall through */
    case ST_BEGIN_STRING:
        if (is_space(c))
            return;
        if (c == '"') {
            s->st = ST_IN_STRING;
            return;
        }
        fail(s, c, "looking for beginning of object key string");
        return;
    case ST_END_VALUE:
        end_value(s, c);
        return;
    case ST_END_TOP:
        if (!is_space(c))
            fail(s, c, "after top-level value");
        return;
    case ST_IN_STRING:
        if (c == '"')
            s->st = ST_END_VALUE;
        else if (c == '\\')
            s->st = ST_IN_STRING_ESC;
        else if (c < 0x20)
            fail(s, c, "in string literal");
        return;
    case ST_IN_STRING_ESC:
        if (strchr("bfnrt\\/\"", c) && c)
            s->st = ST_IN_STRING;
        else if (c == 'u')
            s->st = ST_IN_STRING_ESC_U;
        else
            fail(s, c, "in string escape code");
        return;
    case ST_IN_STRING_ESC_U:
    case ST_IN_STRING_ESC_U1:
    case ST_IN_STRING_ESC_U12:
    case ST_IN_STRING_ESC_U123:
        if (!is_hex(c)) {
            fail(s, c, "in \\u hexadecimal character escape");
            return;
        }
        s->st = s->st == ST_IN_STRING_ESC_U123 ? ST_IN_STRING : (state)(s->st + 1);
        return;
    case ST_NEG:
        if (c == '0')
            s->st = ST_0;
        else if (c >= '1' && c <= '9')
            s->st = ST_1;
        else
            fail(s, c, "in numeric literal");
        return;
    case ST_1:
        if (c >= '0' && c <= '9')
            return;
        /* fall through */
    case ST_0:
        if (c == '.')
            s->st = ST_DOT;
        else if (c == 'e' || c == 'E')
            s->st = ST_E;
        else
            end_value(s, c);
        return;
    case ST_DOT:
        if (c >= '0' && c <= '9')
            s->st = ST_DOT0;
        else
            fail(s, c, "after decimal point in numeric literal");
        return;
    case ST_DOT0:
        if (c >= '0' && c <= '9')
            return;
        if (c == 'e' || c == 'E')
            s->st = ST_E;
        else
            end_value(s, c);
        return;
    case ST_E:
        if (c == '+' || c == '-') {
            s->st = ST_ESIGN;
            return;
        }
        /* fall through */
    case ST_ESIGN:
        if (c >= '0' && c <= '9')
            s->st = ST_E0;
        else
            fail(s, c, "in exponent of numeric literal");
        return;
    case ST_E0:
        if (c >= '0' && c <= '9')
            return;
        end_value(s, c);
        return;
    case ST_LITERAL:
        literal(s, c);
        return;
    }
}

bool gojson_check(const char *buf, size_t len, char *msg, size_t cap)
{
    static _Thread_local scanner s; /* the depth stack is large: kept off the call stack */
    char dummy[1];
    memset(&s, 0, offsetof(scanner, stack));
    s.depth = 0;
    s.end_top = false;
    s.failed = false;
    s.st = ST_BEGIN_VALUE;
    s.msg = cap ? msg : dummy;
    s.cap = cap ? cap : sizeof dummy;
    for (size_t i = 0; i < len; i++) {
        step(&s, (unsigned char)buf[i]);
        if (s.failed)
            return false;
    }
    if (s.end_top)
        return true;
    step(&s, ' ');
    if (s.end_top && !s.failed)
        return true;
    if (!s.failed)
        snprintf(s.msg, s.cap, "unexpected end of JSON input");
    return false;
}

const char *gojson_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER:
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "bool";
    default: return "null";
    }
}

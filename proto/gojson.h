/*
 * gojson.h — JSON syntax checking with the error texts of Go's encoding/json, so that the
 * JetStream API can answer a malformed request exactly as nats-server does ("invalid JSON:
 * invalid character 'x' looking for beginning of value"). Pure functions, no allocation.
 */
#ifndef WEIR_GOJSON_H
#define WEIR_GOJSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Go's limit on the nesting of arrays and objects ("exceeded max depth"). */
#define GOJSON_MAX_DEPTH 10000

/* Checks that buf[0..len) is exactly one JSON value (surrounding blanks allowed), as Go's
 * json.Unmarshal does before it decodes. Returns true when it is; otherwise false with Go's
 * SyntaxError text in msg (NUL-terminated, cut to cap): "unexpected end of JSON input",
 * "invalid character '}' after object key", "exceeded max depth", ... */
bool gojson_check(const char *buf, size_t len, char *msg, size_t cap);

/* Go's quoteChar: how a byte is shown inside those messages ('x', '\n', '\x01', '\u0080',
 * '\''). Writes at most 12 bytes plus the NUL; returns out. */
const char *gojson_quote_char(unsigned char c, char out[16]);

/* How Go's encoding/json names the kind of a decoded value in an UnmarshalTypeError: "object",
 * "array", "string", "number", "bool" or "null". */
const char *gojson_kind(const json_t *v);

#endif

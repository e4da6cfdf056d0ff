/*
 * fuzz_gojson.c — libFuzzer target for proto/gojson.c. Arbitrary bytes are checked as JSON (in
 * a buffer of exactly their size, so any over-read is caught); the message must be a
 * NUL-terminated text within its buffer, the verdict must not depend on the message buffer's
 * size, and whatever the checker refuses jansson must refuse too (Go's syntax is never looser
 * than jansson's: jansson additionally refuses huge numbers, invalid UTF-8 and lone surrogates;
 * inputs with NUL bytes are left out of that comparison, as jansson ends its input at one).
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/gojson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    char msg[128], small[8];
    memset(msg, 'x', sizeof msg);
    bool ok = gojson_check(buf, size, msg, sizeof msg);
    if (!ok && memchr(msg, '\0', sizeof msg) == NULL)
        abort();
    if (gojson_check(buf, size, small, sizeof small) != ok || gojson_check(buf, size, NULL, 0) != ok)
        abort();
    if (!ok && memchr(buf, '\0', size) == NULL) { /* jansson stops at a NUL outside strings */
        json_error_t jerr;
        json_t *j = json_loadb(buf, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
        if (j)
            abort();
    }
    free(buf);
    return 0;
}

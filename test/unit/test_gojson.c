/*
 * test_gojson.c — unit tests for proto/gojson.c (JSON syntax errors worded as Go's
 * encoding/json words them) and proto/gotime.c (RFC 3339 with nanoseconds as Go writes and
 * reads it). The expected texts are what Go's json.Unmarshal and time.Time.MarshalJSON give.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/gojson.h"
#include "proto/gotime.h"
#include "test/testlib.h"

static int fails_with(const char *json, const char *want)
{
    char msg[256];
    if (gojson_check(json, strlen(json), msg, sizeof msg))
        return 0;
    return strcmp(msg, want) == 0;
}

static int valid(const char *json)
{
    char msg[256];
    return gojson_check(json, strlen(json), msg, sizeof msg);
}

static void test_valid_documents(void)
{
    CHECK(valid("{}"));
    CHECK(valid(" [1, 2.5e-3, true, false, null, \"x\\u00e9\\n\"] \r\n"));
    CHECK(valid("0"));
    CHECK(valid("-0.1E+5"));
    CHECK(valid("\"just a string\""));
    CHECK(valid("{\"a\":{\"b\":[{}]},\"c\":\"\xc3\xa9\"}"));
    CHECK(valid("[]"));
    CHECK(valid("true"));
}

static void test_end_of_input(void)
{
    CHECK(fails_with("", "unexpected end of JSON input"));
    CHECK(fails_with("   ", "unexpected end of JSON input"));
    CHECK(fails_with("[", "unexpected end of JSON input"));
    CHECK(fails_with("{\"a\":", "unexpected end of JSON input"));
    CHECK(fails_with("\"abc", "unexpected end of JSON input"));
    /* the blank Go feeds at the end is what breaks these */
    CHECK(fails_with("tru", "invalid character ' ' in literal true (expecting 'e')"));
    CHECK(fails_with("nul", "invalid character ' ' in literal null (expecting 'l')"));
    CHECK(fails_with("1.", "invalid character ' ' after decimal point in numeric literal"));
    CHECK(fails_with("-", "invalid character ' ' in numeric literal"));
    CHECK(fails_with("1e", "invalid character ' ' in exponent of numeric literal"));
}

static void test_contexts(void)
{
    CHECK(fails_with("{bad", "invalid character 'b' looking for beginning of object key string"));
    CHECK(fails_with("{\"a\" 1}", "invalid character '1' after object key"));
    CHECK(fails_with("{\"a\":1 \"b\"}", "invalid character '\"' after object key:value pair"));
    CHECK(fails_with("[1 2]", "invalid character '2' after array element"));
    CHECK(fails_with("{} x", "invalid character 'x' after top-level value"));
    CHECK(fails_with("01", "invalid character '1' after top-level value"));
    CHECK(fails_with("x", "invalid character 'x' looking for beginning of value"));
    CHECK(fails_with("[,]", "invalid character ',' looking for beginning of value"));
    CHECK(fails_with("{\"a\":}", "invalid character '}' looking for beginning of value"));
    CHECK(fails_with("{\"a\":1,}", "invalid character '}' looking for beginning of object key string"));
    CHECK(fails_with("\"a\\x\"", "invalid character 'x' in string escape code"));
    CHECK(fails_with("\"\\u12G4\"", "invalid character 'G' in \\u hexadecimal character escape"));
    CHECK(fails_with("\"a\nb\"", "invalid character '\\n' in string literal"));
    CHECK(fails_with("fals3", "invalid character '3' in literal false (expecting 'e')"));
    CHECK(fails_with("-x", "invalid character 'x' in numeric literal"));
    CHECK(fails_with("1.x", "invalid character 'x' after decimal point in numeric literal"));
    CHECK(fails_with("1e+x", "invalid character 'x' in exponent of numeric literal"));
    CHECK(fails_with("{'a':1}", "invalid character '\\'' looking for beginning of object key string"));
}

static void test_depth(void)
{
    size_t n = GOJSON_MAX_DEPTH;
    char *doc = malloc(2 * n + 2);
    CHECK(doc);
    memset(doc, '[', n);
    memset(doc + n, ']', n);
    doc[2 * n] = '\0';
    int ok = valid(doc);
    memset(doc, '[', n + 1);
    doc[n + 1] = '\0';
    int deep = fails_with(doc, "invalid character '[' exceeded max depth");
    free(doc);
    CHECK(ok);
    CHECK(deep);
}

static void test_quote_char(void)
{
    char q[16];
    CHECK(strcmp(gojson_quote_char('a', q), "'a'") == 0);
    CHECK(strcmp(gojson_quote_char('\'', q), "'\\''") == 0);
    CHECK(strcmp(gojson_quote_char('"', q), "'\"'") == 0);
    CHECK(strcmp(gojson_quote_char('\\', q), "'\\\\'") == 0);
    CHECK(strcmp(gojson_quote_char(0x01, q), "'\\x01'") == 0);
    CHECK(strcmp(gojson_quote_char(0x7f, q), "'\\x7f'") == 0);
    CHECK(strcmp(gojson_quote_char(0x80, q), "'\\u0080'") == 0);
    CHECK(strcmp(gojson_quote_char(0xa0, q), "'\\u00a0'") == 0);
    CHECK(strcmp(gojson_quote_char(0xe9, q), "'\xc3\xa9'") == 0);
    CHECK(strcmp(gojson_quote_char('\t', q), "'\\t'") == 0);
}

static void test_time_format(void)
{
    char b[GOTIME_RFC3339_MAX];
    CHECK(strcmp(gotime_format_rfc3339nano(0, b), "1970-01-01T00:00:00Z") == 0);
    CHECK(strcmp(gotime_format_rfc3339nano(INT64_C(1730763902060192000), b),
                 "2024-11-04T23:45:02.060192Z") == 0);
    CHECK(strcmp(gotime_format_rfc3339nano(INT64_C(1730763902000000001), b),
                 "2024-11-04T23:45:02.000000001Z") == 0);
    CHECK(strcmp(gotime_format_rfc3339nano(INT64_C(951825600) * 1000000000, b),
                 "2000-02-29T12:00:00Z") == 0);
    CHECK(strcmp(gotime_format_rfc3339nano(-500000000, b), "1969-12-31T23:59:59.5Z") == 0);
}

static void test_time_parse(void)
{
    int64_t ns = 0;
    const char *s = "2024-11-04T23:45:02.060192000Z";
    CHECK(gotime_parse_rfc3339(s, strlen(s), &ns) == 0 && ns == INT64_C(1730763902060192000));
    s = "2024-11-05T00:45:02+01:00";
    CHECK(gotime_parse_rfc3339(s, strlen(s), &ns) == 0 && ns == INT64_C(1730763902000000000));
    s = "2024-11-04T20:45:02.5-03:00";
    CHECK(gotime_parse_rfc3339(s, strlen(s), &ns) == 0 && ns == INT64_C(1730763902500000000));
    s = "1969-12-31T23:59:59Z";
    CHECK(gotime_parse_rfc3339(s, strlen(s), &ns) == 0 && ns == -INT64_C(1000000000));
    static const char *bad[] = {
        "", "2024-11-04", "2024-11-04T23:45:02", "2024-13-01T00:00:00Z", "2023-02-29T00:00:00Z",
        "2024-11-04T24:00:00Z", "2024-11-04T23:45:02.Z", "2024-11-04T23:45:02+0100",
        "2024-11-04 23:45:02Z", "x024-11-04T23:45:02Z", "2024-11-04T23:45:02Zjunk",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECKF(gotime_parse_rfc3339(bad[i], strlen(bad[i]), &ns) < 0, "accepted \"%s\"", bad[i]);
    char b[GOTIME_RFC3339_MAX];
    int64_t t = INT64_C(1700000000123456789);
    gotime_format_rfc3339nano(t, b);
    CHECK(gotime_parse_rfc3339(b, strlen(b), &ns) == 0 && ns == t);
}

int main(void)
{
    RUN(test_valid_documents);
    RUN(test_end_of_input);
    RUN(test_contexts);
    RUN(test_depth);
    RUN(test_quote_char);
    RUN(test_time_format);
    RUN(test_time_parse);
    TESTLIB_EXIT();
}

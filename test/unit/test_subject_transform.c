/*
 * test_subject_transform.c — proto/subject_transform.c: positional and numbered wildcards,
 * non-matching subjects, refused transforms, and output that does not fit.
 */
#include "proto/subject_transform.h"
#include "test/testlib.h"

#include <string.h>

/* The transform of subj, or "-" when it does not match, or "invalid" for a refused transform. */
static const char *apply(const char *src, const char *dest, const char *subj, char *out, size_t cap)
{
    subject_transform *t = subject_transform_new(src, dest);
    if (!t)
        return "invalid";
    long n = subject_transform_apply(t, subj, strlen(subj), out, cap);
    subject_transform_free(t);
    return n < 0 ? "-" : out;
}

#define T(src, dest, subj, want)                                                               \
    do {                                                                                       \
        char out_[256];                                                                        \
        const char *got_ = apply(src, dest, subj, out_, sizeof out_);                          \
        CHECKF(!strcmp(got_, want), "%s -> %s on %s: got %s, want %s", (src) ? (src) : "(null)", \
               dest, subj, got_, want);                                                        \
    } while (0)

static void test_positional(void)
{
    T("orders.*.>", "audit.*.>", "orders.eu.new.1", "audit.eu.new.1");
    T(">", "bar.>", "$KV.TEST.foo", "bar.$KV.TEST.foo");
    T("", "x.>", "q", "x.q");
    char out[64];
    CHECK(!strcmp(apply(NULL, "x.>", "a.b", out, sizeof out), "x.a.b"));
    T("foo", "bar", "foo", "bar");
    T("a.*.b.*", "*.*", "a.1.b.2", "1.2");
}

static void test_numbered(void)
{
    T("a.*.*", "b.{{wildcard(2)}}.$1", "a.x.y", "b.y.x");
    T("a.*.*", "b.{{Wildcard(1)}}", "a.x.y", "b.x");
}

static void test_no_match(void)
{
    T("a.*", "b.*", "a.x.y", "-");
    T("a.*", "b.*", "c.x", "-");
    T("a.>", "b.>", "a", "-");
    T("a.*", "b.*", "a..", "-");
    char small[4];
    CHECK(!strcmp(apply("a.*", "bbbb.*", "a.x", small, sizeof small), "-"));
}

static void test_refused(void)
{
    T("a.>", "b.*", "a.x", "invalid");              /* no '*' in the source */
    T("a.*", "b.>", "a.x", "invalid");              /* no '>' in the source */
    T("a.*", "b.$2", "a.x", "invalid");             /* only one wildcard */
    T("a.*", "b.{{partition(3,1)}}", "a.x", "invalid");
    T("a.*", "b.{{wildcard(99999999999)}}", "a.x", "invalid"); /* found by the fuzzer */
    T("a.*", "b..c", "a.x", "invalid");
    T("a.*", "", "a.x", "invalid");
}

int main(void)
{
    RUN(test_positional);
    RUN(test_numbered);
    RUN(test_no_match);
    RUN(test_refused);
    TESTLIB_EXIT();
}
